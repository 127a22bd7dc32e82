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
    const struct spec_resources *r = &s->lx.resources;
    char buf[64];
    struct {
        const char *ctrl, *file;
        bool set;
        long long v;
    } limits[] = {
        {"memory", "memory.limit_in_bytes", r->memory.limit_set && r->memory.limit > 0,
         (long long)r->memory.limit},
        {"pids", "pids.max", r->pids.limit_set && r->pids.limit > 0, (long long)r->pids.limit},
        {"cpu", "cpu.shares", r->cpu.shares_set && r->cpu.shares > 0, (long long)r->cpu.shares},
        {"cpu", "cpu.cfs_period_us", r->cpu.period_set && r->cpu.period > 0,
         (long long)r->cpu.period},
        {"cpu", "cpu.cfs_quota_us", r->cpu.quota_set && r->cpu.quota != 0, (long long)r->cpu.quota},
    };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (!limits[i].set || !mounted(limits[i].ctrl))
            continue;
        cleanup_free char *dir = xasprintf(CG_ROOT "/%s%s", limits[i].ctrl, path);
        snprintf(buf, sizeof(buf), "%lld", limits[i].v);
        int w = write_value(dir, limits[i].file, buf);
        if (w < 0)
            return rs_error(err, -w, "setting %s to %s in cgroup %s", limits[i].file, buf, path);
    }
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
