/* cgroups v1 through cgroupfs (/sys/fs/cgroup/<controller>/<path>). */
#include "runsc/container/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/log.h"

#define CG_ROOT "/sys/fs/cgroup"

static const char *const g_controllers[] = {"cpu",   "cpuacct", "cpuset",  "memory", "pids",
                                            "blkio", "devices", "freezer", "systemd"};

char *cgroup_path_of(const struct spec *s)
{
    const char *p = s->lx.cgroups_path;
    if (!p || !*p)
        return NULL;
    if (p[0] == '/')
        return xstrdup(p);
    /* systemd form "slice:prefix:name" -> /slice/prefix-name.scope */
    char *copy = xstrdup(p);
    char *slice = strtok(copy, ":"), *prefix = strtok(NULL, ":"), *name = strtok(NULL, ":");
    char *out;
    if (slice && prefix && name)
        out = xasprintf("/%s/%s-%s.scope", slice, prefix, name);
    else
        out = xasprintf("/%s", p);
    free(copy);
    return out;
}

static bool mounted(const char *ctrl)
{
    cleanup_free char *d = xasprintf(CG_ROOT "/%s", ctrl);
    struct stat st;
    return stat(d, &st) == 0 && S_ISDIR(st.st_mode);
}

static int write_value(const char *dir, const char *file, const char *value)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, file);
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fu_write_all(fd, value, strlen(value));
    close(fd);
    return r;
}

/* cpuset needs cpus and mems before a task can join: copy the parent's. */
static void cpuset_inherit(const char *dir)
{
    const char *files[] = {"cpuset.cpus", "cpuset.mems"};
    for (size_t i = 0; i < 2; i++) {
        cleanup_free char *mine = xasprintf("%s/%s", dir, files[i]);
        char *cur = NULL;
        rs_error_t e = NULL;
        if (fu_read_file(mine, 4096, &cur, NULL, &e) == 0 && cur[0] && cur[0] != '\n') {
            free(cur);
            continue;
        }
        free(cur);
        rs_error_release(&e);
        cleanup_free char *parent = xstrdup(dir);
        char *slash = strrchr(parent, '/');
        if (!slash)
            continue;
        *slash = '\0';
        if (strcmp(parent, CG_ROOT "/cpuset") != 0)
            cpuset_inherit(parent);
        cleanup_free char *pf = xasprintf("%s/%s", parent, files[i]);
        char *val = NULL;
        if (fu_read_file(pf, 4096, &val, NULL, &e) == 0) {
            write_value(dir, files[i], val);
            free(val);
        }
        rs_error_release(&e);
    }
}

/* Zeroes the limits whose controller is not mounted (create warns about
 * those instead of failing). */
static void drop_unmounted(struct cgroup_resources *r)
{
    if (!mounted("memory"))
        r->memory = r->memory_reservation = r->memory_swap = 0;
    if (!mounted("cpu")) {
        r->cpu_shares = r->cpu_period = r->cpu_rt_period = 0;
        r->cpu_quota = r->cpu_rt_runtime = 0;
    }
    if (!mounted("cpuset"))
        r->cpuset_cpus = r->cpuset_mems = NULL;
    if (!mounted("pids"))
        r->pids_limit = 0;
}

int cgroup_create(const char *path, const struct spec *s, rs_error_t *err)
{
    for (size_t i = 0; i < sizeof(g_controllers) / sizeof(g_controllers[0]); i++) {
        const char *c = g_controllers[i];
        if (!mounted(c)) {
            log_warn("cgroup controller %s is not mounted: its limits do not apply", c);
            continue;
        }
        cleanup_free char *dir = xasprintf(CG_ROOT "/%s%s", c, path);
        if (fu_mkdir_p(dir, 0755, err) < 0)
            return rs_error_wrap(err, "creating cgroup %s", path);
        if (strcmp(c, "cpuset") == 0)
            cpuset_inherit(dir);
    }
    if (!s->lx.resources_set)
        return 0;
    struct cgroup_resources r;
    cgroup_resources_from_spec(&s->lx.resources, &r);
    drop_unmounted(&r);
    if (cgroup_resources_empty(&r))
        return 0;
    if (cgroup_set(path, &r, err) < 0)
        return rs_error_wrap(err, "applying linux.resources");
    return 0;
}

/* ---- setting limits ----------------------------------------------------- */

void cgroup_resources_from_spec(const struct spec_resources *r, struct cgroup_resources *out)
{
    memset(out, 0, sizeof(*out));
    if (r->memory.limit_set)
        out->memory = r->memory.limit;
    if (r->memory.reservation_set)
        out->memory_reservation = r->memory.reservation;
    if (r->memory.swap_set)
        out->memory_swap = r->memory.swap;
    if (r->cpu.shares_set)
        out->cpu_shares = r->cpu.shares;
    if (r->cpu.quota_set)
        out->cpu_quota = r->cpu.quota;
    if (r->cpu.period_set)
        out->cpu_period = r->cpu.period;
    out->cpuset_cpus = r->cpu.cpus;
    out->cpuset_mems = r->cpu.mems;
    if (r->pids.limit_set)
        out->pids_limit = r->pids.limit;
}

bool cgroup_resources_empty(const struct cgroup_resources *r)
{
    return !r->memory && !r->memory_reservation && !r->memory_swap && !r->cpu_shares &&
           !r->cpu_quota && !r->cpu_period && !r->cpu_rt_runtime && !r->cpu_rt_period &&
           !(r->cpuset_cpus && r->cpuset_cpus[0]) && !(r->cpuset_mems && r->cpuset_mems[0]) &&
           !r->pids_limit && !r->blkio_weight;
}

/* The values cgroup_set wrote, with what the files held before, so that a
 * refused value undoes the others. */
#define CG_MAX_WRITES 16

struct cg_txn {
    const char *path; /* the cgroup, e.g. "/docker/abc" */
    size_t n;
    char *file[CG_MAX_WRITES];
    char *old[CG_MAX_WRITES];
};

static int read_value(const char *file, char **out, rs_error_t *err)
{
    if (fu_read_file(file, 65536, out, NULL, err) < 0)
        return -1;
    size_t n = strlen(*out);
    while (n && ((*out)[n - 1] == '\n' || (*out)[n - 1] == ' '))
        (*out)[--n] = '\0';
    return 0;
}

static bool has_file(const char *ctrl, const char *path, const char *file)
{
    cleanup_free char *p = xasprintf(CG_ROOT "/%s%s/%s", ctrl, path, file);
    return access(p, F_OK) == 0;
}

/* Writes value to <ctrl>/<path>/<file>, remembering the old value. */
static int txn_write(struct cg_txn *t, const char *ctrl, const char *file, const char *value,
                     rs_error_t *err)
{
    if (t->n == CG_MAX_WRITES)
        return rs_error(err, EOVERFLOW, "too many cgroup writes");
    char *p = xasprintf(CG_ROOT "/%s%s/%s", ctrl, t->path, file);
    char *old = NULL;
    if (read_value(p, &old, err) < 0) {
        free(p);
        return rs_error_wrap(err, "cgroup %s", t->path);
    }
    cleanup_free char *dir = xasprintf(CG_ROOT "/%s%s", ctrl, t->path);
    int w = write_value(dir, file, value);
    if (w < 0) {
        free(p);
        free(old);
        return rs_error(err, -w, "setting %s to %s in cgroup %s", file, value, t->path);
    }
    t->file[t->n] = p;
    t->old[t->n] = old;
    t->n++;
    return 0;
}

static int txn_write_int(struct cg_txn *t, const char *ctrl, const char *file, long long v,
                         rs_error_t *err)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return txn_write(t, ctrl, file, buf, err);
}

static void txn_end(struct cg_txn *t, bool undo)
{
    for (size_t i = t->n; i-- > 0;) {
        if (undo) {
            int fd = open(t->file[i], O_WRONLY | O_CLOEXEC);
            int w = fd < 0 ? -errno : fu_write_all(fd, t->old[i], strlen(t->old[i]));
            if (fd >= 0)
                close(fd);
            if (w < 0)
                log_warn("restoring %s to %s: %s", t->file[i], t->old[i], strerror(-w));
        }
        free(t->file[i]);
        free(t->old[i]);
    }
    t->n = 0;
}

static bool cpuset_list_ok(const char *s)
{
    /* "0-3,5": digits, commas and ranges. */
    return strspn(s, "0123456789,-") == strlen(s) && s[0] != ',' && s[0] != '-';
}

static int validate(const char *path, const struct cgroup_resources *r, rs_error_t *err)
{
    const struct {
        const char *what;
        int64_t v;
    } neg[] = {{"memory limit", r->memory},
               {"memory reservation", r->memory_reservation},
               {"memory+swap limit", r->memory_swap},
               {"cpu quota", r->cpu_quota},
               {"cpu realtime runtime", r->cpu_rt_runtime}};
    for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++)
        if (neg[i].v < -1)
            return rs_error(err, EINVAL, "invalid %s %lld: must be -1 (unlimited) or positive",
                            neg[i].what, (long long)neg[i].v);
    if (r->cpu_shares > INT64_MAX || r->cpu_period > INT64_MAX || r->cpu_rt_period > INT64_MAX)
        return rs_error(err, EINVAL, "cpu value out of range");
    const char *lists[] = {r->cpuset_cpus, r->cpuset_mems};
    for (size_t i = 0; i < 2; i++)
        if (lists[i] && lists[i][0] && !cpuset_list_ok(lists[i]))
            return rs_error(err, EINVAL, "invalid cpuset list \"%s\" (expected e.g. 0-3,5)",
                            lists[i]);
    if (r->blkio_weight && (r->blkio_weight < 10 || r->blkio_weight > 1000))
        return rs_error(err, EINVAL, "invalid blkio weight %u: the range is 10 to 1000",
                        (unsigned)r->blkio_weight);
    /* The controllers the values need, and the cgroup in each. */
    const struct {
        const char *ctrl;
        bool needed;
    } need[] = {
        {"memory", r->memory || r->memory_reservation || r->memory_swap},
        {"cpu",
         r->cpu_shares || r->cpu_quota || r->cpu_period || r->cpu_rt_runtime || r->cpu_rt_period},
        {"cpuset", (r->cpuset_cpus && r->cpuset_cpus[0]) || (r->cpuset_mems && r->cpuset_mems[0])},
        {"pids", r->pids_limit != 0},
    };
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (!need[i].needed)
            continue;
        if (!mounted(need[i].ctrl))
            return rs_error(err, 0, "the %s cgroup controller is not mounted", need[i].ctrl);
        cleanup_free char *dir = xasprintf(CG_ROOT "/%s%s", need[i].ctrl, path);
        struct stat st;
        if (stat(dir, &st) < 0)
            return rs_error(err, errno, "cgroup %s", dir);
    }
    return 0;
}

static int set_memory(struct cg_txn *t, const struct cgroup_resources *r, rs_error_t *err)
{
    int64_t mem = r->memory, swap = r->memory_swap;
    bool memsw = has_file("memory", t->path, "memory.memsw.limit_in_bytes");
    /* An unlimited memory limit without a swap value lifts both (runc). */
    if (mem == -1 && swap == 0 && memsw)
        swap = -1;
    if (swap != 0 && !memsw)
        return rs_error(err, 0,
                        "the kernel does not account swap (no memory.memsw.limit_in_bytes; "
                        "boot with swapaccount=1): the memory+swap limit cannot be set");
    /* The kernel keeps memory <= memory+swap at every step: raise
     * memory+swap first when it grows past the current memory limit. */
    bool swap_first = false;
    if (mem != 0 && swap != 0) {
        cleanup_free char *p = xasprintf(CG_ROOT "/memory%s/memory.limit_in_bytes", t->path);
        cleanup_free char *cur = NULL;
        if (read_value(p, &cur, err) < 0)
            return -1;
        swap_first = swap == -1 || strtoull(cur, NULL, 10) < (unsigned long long)swap;
    }
    if (swap_first && txn_write_int(t, "memory", "memory.memsw.limit_in_bytes", swap, err) < 0)
        return -1;
    if (mem != 0 && txn_write_int(t, "memory", "memory.limit_in_bytes", mem, err) < 0) {
        if ((*err)->status != EBUSY)
            return -1;
        /* Lowering the limit below what is in use fails after reclaim. */
        cleanup_free char *dir = xasprintf(CG_ROOT "/memory%s", t->path);
        cleanup_free char *pu = xasprintf("%s/memory.usage_in_bytes", dir);
        cleanup_free char *pm = xasprintf("%s/memory.max_usage_in_bytes", dir);
        char *use = NULL, *peak = NULL;
        rs_error_t e = NULL;
        if (read_value(pu, &use, &e) == 0 && read_value(pm, &peak, &e) == 0) {
            rs_error_release(err);
            rs_error(err, EBUSY,
                     "cannot set the memory limit of cgroup %s to %lld bytes (current usage: %s, "
                     "peak usage: %s)",
                     t->path, (long long)mem, use, peak);
        }
        rs_error_release(&e);
        free(use);
        free(peak);
        return -1;
    }
    if (!swap_first && swap != 0 &&
        txn_write_int(t, "memory", "memory.memsw.limit_in_bytes", swap, err) < 0)
        return -1;
    if (r->memory_reservation &&
        txn_write_int(t, "memory", "memory.soft_limit_in_bytes", r->memory_reservation, err) < 0)
        return -1;
    return 0;
}

static int set_cpu(struct cg_txn *t, const struct cgroup_resources *r, rs_error_t *err)
{
    if (r->cpu_rt_period &&
        txn_write_int(t, "cpu", "cpu.rt_period_us", (long long)r->cpu_rt_period, err) < 0)
        return -1;
    if (r->cpu_rt_runtime &&
        txn_write_int(t, "cpu", "cpu.rt_runtime_us", r->cpu_rt_runtime, err) < 0)
        return -1;
    if (r->cpu_shares) {
        if (txn_write_int(t, "cpu", "cpu.shares", (long long)r->cpu_shares, err) < 0)
            return -1;
        /* The kernel clamps shares to [2, 262144] silently. */
        cleanup_free char *p = xasprintf(CG_ROOT "/cpu%s/cpu.shares", t->path);
        cleanup_free char *got = NULL;
        if (read_value(p, &got, err) < 0)
            return -1;
        unsigned long long g = strtoull(got, NULL, 10);
        if (g != r->cpu_shares)
            return rs_error(err, EINVAL, "cpu shares %llu are out of range: the %s allowed is %llu",
                            (unsigned long long)r->cpu_shares,
                            r->cpu_shares > g ? "maximum" : "minimum", g);
    }
    /* A shorter period can be refused until the quota is lowered with it:
     * then write the quota first and the period again. */
    bool period_again = false;
    if (r->cpu_period &&
        txn_write_int(t, "cpu", "cpu.cfs_period_us", (long long)r->cpu_period, err) < 0) {
        if ((*err)->status != EINVAL || !r->cpu_quota)
            return -1;
        rs_error_release(err);
        period_again = true;
    }
    if (r->cpu_quota) {
        if (txn_write_int(t, "cpu", "cpu.cfs_quota_us", r->cpu_quota, err) < 0)
            return -1;
        if (period_again &&
            txn_write_int(t, "cpu", "cpu.cfs_period_us", (long long)r->cpu_period, err) < 0)
            return -1;
    }
    return 0;
}

static int set_others(struct cg_txn *t, const struct cgroup_resources *r, rs_error_t *err)
{
    if (r->cpuset_cpus && r->cpuset_cpus[0] &&
        txn_write(t, "cpuset", "cpuset.cpus", r->cpuset_cpus, err) < 0)
        return -1;
    if (r->cpuset_mems && r->cpuset_mems[0] &&
        txn_write(t, "cpuset", "cpuset.mems", r->cpuset_mems, err) < 0)
        return -1;
    if (r->pids_limit > 0 && txn_write_int(t, "pids", "pids.max", r->pids_limit, err) < 0)
        return -1;
    if (r->pids_limit < 0 && txn_write(t, "pids", "pids.max", "max", err) < 0)
        return -1;
    if (r->blkio_weight) {
        const char *f = NULL;
        if (mounted("blkio") && has_file("blkio", t->path, "blkio.weight"))
            f = "blkio.weight";
        else if (mounted("blkio") && has_file("blkio", t->path, "blkio.bfq.weight"))
            f = "blkio.bfq.weight";
        if (!f) {
            log_warn("the kernel has no blkio weight (no blkio.weight or blkio.bfq.weight): "
                     "blockIO.weight %u is ignored",
                     (unsigned)r->blkio_weight);
            log_stderr("warning: the kernel has no blkio weight (no blkio.weight or "
                       "blkio.bfq.weight): blockIO.weight %u is ignored",
                       (unsigned)r->blkio_weight);
        } else if (txn_write_int(t, "blkio", f, r->blkio_weight, err) < 0) {
            return -1;
        }
    }
    return 0;
}

int cgroup_set(const char *path, const struct cgroup_resources *r, rs_error_t *err)
{
    if (validate(path, r, err) < 0)
        return -1;
    struct cg_txn t = {.path = path};
    if (set_memory(&t, r, err) < 0 || set_cpu(&t, r, err) < 0 || set_others(&t, r, err) < 0) {
        txn_end(&t, true);
        return -1;
    }
    txn_end(&t, false);
    return 0;
}

int cgroup_add(const char *path, pid_t pid, rs_error_t *err)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    for (size_t i = 0; i < sizeof(g_controllers) / sizeof(g_controllers[0]); i++) {
        if (!mounted(g_controllers[i]))
            continue;
        cleanup_free char *dir = xasprintf(CG_ROOT "/%s%s", g_controllers[i], path);
        int w = write_value(dir, "cgroup.procs", buf);
        if (w < 0)
            return rs_error(err, -w, "adding pid %d to cgroup %s (%s)", (int)pid, path,
                            g_controllers[i]);
    }
    return 0;
}

int cgroup_pids(const char *path, pid_t **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    const char *ctrls[] = {"pids", "memory", "cpu"};
    for (size_t c = 0; c < 3; c++) {
        if (!mounted(ctrls[c]))
            continue;
        cleanup_free char *f = xasprintf(CG_ROOT "/%s%s/cgroup.procs", ctrls[c], path);
        FILE *fp = fopen(f, "re");
        if (!fp)
            continue;
        size_t n = 0, cap = 16;
        pid_t *v = xmalloc(cap * sizeof(pid_t));
        int pid;
        while (fscanf(fp, "%d", &pid) == 1) {
            if (n == cap) {
                cap *= 2;
                v = xrealloc(v, cap * sizeof(pid_t));
            }
            v[n++] = pid;
        }
        fclose(fp);
        *out = v;
        *count = n;
        return 0;
    }
    return -ENOENT;
}

void cgroup_destroy(const char *path)
{
    for (size_t i = 0; i < sizeof(g_controllers) / sizeof(g_controllers[0]); i++) {
        if (!mounted(g_controllers[i]))
            continue;
        cleanup_free char *dir = xasprintf(CG_ROOT "/%s%s", g_controllers[i], path);
        for (int tries = 0; tries < 50 && rmdir(dir) < 0 && errno == EBUSY; tries++)
            usleep(20000);
    }
}

/* ---- reading limits back --------------------------------------------------- */

/* v1's "no limit" for memory.limit_in_bytes (LLONG_MAX rounded down to a
 * page) and above. */
#define CG_V1_UNLIMITED INT64_C(9223372036854771712)

/* The first line of dir/name, or NULL. */
static char *read_line(const char *dir, const char *name)
{
    cleanup_free char *p = xasprintf("%s/%s", dir, name);
    char *v = NULL;
    rs_error_t e = NULL;
    if (fu_read_file(p, 4096, &v, NULL, &e) < 0) {
        rs_error_release(&e);
        return NULL;
    }
    v[strcspn(v, "\n")] = '\0';
    return v;
}

/* A decimal number at the start of s (up to a blank); false for "max",
 * garbage or an empty string. */
static bool parse_int(const char *s, int64_t *v)
{
    if (!s || !s[0])
        return false;
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno || end == s || (*end && *end != ' '))
        return false;
    *v = n;
    return true;
}

static bool read_int(const char *dir, const char *name, int64_t *v)
{
    cleanup_free char *s = read_line(dir, name);
    return parse_int(s, v);
}

/* The caller's cgroup in the hierarchy of controller ctrl, or (ctrl NULL)
 * in the v2 unified hierarchy ("0::/path"), from /proc/self/cgroup;
 * malloc'ed, or NULL. */
static char *own_cgroup(const char *ctrl)
{
    FILE *fp = fopen("/proc/self/cgroup", "re");
    if (!fp)
        return NULL;
    char line[4096];
    char *out = NULL;
    while (!out && fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        char *ctrls = c1 + 1;
        if (!ctrl) {
            if (strncmp(line, "0:", 2) == 0 && !ctrls[0])
                out = xstrdup(c2 + 1);
            continue;
        }
        char *save = NULL;
        for (char *tok = strtok_r(ctrls, ",", &save); tok && !out; tok = strtok_r(NULL, ",", &save))
            if (strcmp(tok, ctrl) == 0)
                out = xstrdup(c2 + 1);
    }
    fclose(fp);
    return out;
}

/* The v1 directory of controller ctrl for the cgroup at path (NULL: the
 * caller's own); malloc'ed, or NULL when the controller is not mounted. */
static char *v1_dir(const char *ctrl, const char *path)
{
    if (!mounted(ctrl))
        return NULL;
    if (path)
        return xasprintf(CG_ROOT "/%s%s", ctrl, path);
    cleanup_free char *own = own_cgroup(ctrl);
    return own ? xasprintf(CG_ROOT "/%s%s", ctrl, own) : NULL;
}

static void read_v1(const char *path, struct cgroup_limits *out)
{
    int64_t v;
    cleanup_free char *mem = v1_dir("memory", path);
    if (mem && read_int(mem, "memory.limit_in_bytes", &v) && v > 0 && v < CG_V1_UNLIMITED)
        out->memory_limit = v;
    cleanup_free char *cpu = v1_dir("cpu", path);
    if (cpu && read_int(cpu, "cpu.shares", &v) && v > 0)
        out->cpu_shares = (uint64_t)v;
    if (cpu && read_int(cpu, "cpu.cfs_quota_us", &v) && v > 0)
        out->cpu_quota_us = v;
    if (cpu && read_int(cpu, "cpu.cfs_period_us", &v) && v > 0)
        out->cpu_period_us = (uint64_t)v;
    cleanup_free char *pids = v1_dir("pids", path);
    if (pids && read_int(pids, "pids.max", &v) && v > 0)
        out->pids_max = v;
}

/* A v2 unified hierarchy: memory.max, pids.max, cpu.max ("QUOTA PERIOD",
 * QUOTA "max" when unlimited). cpu.weight has no exact v1 equivalent:
 * cpu_shares stays unknown. */
static void read_v2(const char *path, struct cgroup_limits *out)
{
    cleanup_free char *own = path ? NULL : own_cgroup(NULL);
    if (!path && !own)
        return;
    cleanup_free char *dir = xasprintf(CG_ROOT "%s", path ? path : own);
    int64_t v;
    if (read_int(dir, "memory.max", &v) && v > 0)
        out->memory_limit = v;
    if (read_int(dir, "pids.max", &v) && v > 0)
        out->pids_max = v;
    cleanup_free char *cpu = read_line(dir, "cpu.max");
    const char *sp = cpu ? strchr(cpu, ' ') : NULL;
    if (sp && parse_int(sp + 1, &v) && v > 0) {
        out->cpu_period_us = (uint64_t)v;
        if (parse_int(cpu, &v) && v > 0)
            out->cpu_quota_us = v;
    }
}

void cgroup_read_limits(const char *path, struct cgroup_limits *out)
{
    memset(out, 0, sizeof(*out));
    struct stat st;
    if (stat(CG_ROOT "/cgroup.controllers", &st) == 0)
        read_v2(path, out);
    else
        read_v1(path, out);
}
