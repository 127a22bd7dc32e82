#include "runsc/container/bootcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/log.h"
#include "runsc/spec/seccomp.h"

/* runc's default when process.capabilities is absent. */
#define DEFAULT_CAPS                                                                               \
    ((1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) |           \
     (1ull << 7) | (1ull << 8) | (1ull << 10) | (1ull << 13) | (1ull << 18) | (1ull << 27) |       \
     (1ull << 29) | (1ull << 31))

int bootcfg_pack_fd(const Runsc__Boot__Config *cfg, rs_error_t *err)
{
    size_t len = runsc__boot__config__get_packed_size(cfg);
    uint8_t *buf = xmalloc(len ? len : 1);
    runsc__boot__config__pack(cfg, buf);
    int fd = memfd_create("runsc-boot-config", MFD_CLOEXEC);
    if (fd < 0) {
        free(buf);
        return rs_error(err, errno, "memfd_create");
    }
    int r = fu_write_all(fd, buf, len);
    free(buf);
    if (r < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return rs_error(err, r < 0 ? -r : errno, "writing the boot configuration");
    }
    return fd;
}

/* Mount options that are flags (runc's table); the rest is filesystem data. */
static bool mount_flag(Runsc__Boot__Mount *m, const char *o)
{
    static const char *const ignored[] = {
        "bind",       "rbind",     "rw",         "suid",        "dev",           "exec",
        "async",      "sync",      "dirsync",    "atime",       "noatime",       "diratime",
        "nodiratime", "relatime",  "norelatime", "strictatime", "nostrictatime", "mand",
        "nomand",     "lazytime",  "nolazytime", "private",     "rprivate",      "shared",
        "rshared",    "slave",     "rslave",     "unbindable",  "runbindable",   "iversion",
        "noiversion", "tmpcopyup", "rro",        "rrw",         "rnosuid",       "rnodev",
        "rnoexec",    "nocopyup",  "copyup",     "idmap",       "ridmap",        "defaults",
        NULL};
    if (strcmp(o, "ro") == 0)
        m->readonly = true;
    else if (strcmp(o, "nosuid") == 0)
        m->nosuid = true;
    else if (strcmp(o, "nodev") == 0)
        m->nodev = true;
    else if (strcmp(o, "noexec") == 0)
        m->noexec = true;
    else {
        for (size_t i = 0; ignored[i]; i++)
            if (strcmp(o, ignored[i]) == 0)
                return true;
        return false;
    }
    return true;
}

static bool type_supported(const char *t)
{
    static const char *const types[] = {"tmpfs",  "proc",    "sysfs",    "devpts", "mqueue",
                                        "cgroup", "cgroup2", "devtmpfs", NULL};
    for (size_t i = 0; types[i]; i++)
        if (strcmp(t, types[i]) == 0)
            return true;
    return false;
}

void bootcfg_mounts_free(struct bootcfg_mounts *m)
{
    for (size_t i = 0; i < m->count; i++)
        free(m->items[i].data);
    for (size_t i = 0; i < m->bind_count; i++)
        free(m->sources[i]);
    free(m->items);
    free(m->ptrs);
    free(m->sources);
    free(m->readonly);
    memset(m, 0, sizeof(*m));
}

int bootcfg_mounts(const struct spec *s, struct bootcfg_mounts *out, rs_error_t *err)
{
    memset(out, 0, sizeof(*out));
    size_t n = s->mounts_count;
    out->items = xzalloc((n ? n : 1) * sizeof(*out->items));
    out->ptrs = xzalloc((n ? n : 1) * sizeof(*out->ptrs));
    out->sources = xzalloc((n ? n : 1) * sizeof(*out->sources));
    out->readonly = xzalloc((n ? n : 1) * sizeof(*out->readonly));
    for (size_t i = 0; i < n; i++) {
        const struct spec_mount *sm = &s->mounts[i];
        Runsc__Boot__Mount *m = &out->items[i];
        runsc__boot__mount__init(m);
        m->data = NULL; /* owned: set below (init points it at a shared "") */
        out->ptrs[i] = m;
        out->count = i + 1;
        m->destination = sm->destination;
        m->gofer_index = -1;
        bool bind = spec_mount_is_bind(sm);
        m->type = bind ? "bind" : sm->type;
        if (!m->type || !m->type[0]) {
            bootcfg_mounts_free(out);
            return rs_error(err, 0, "mounts[%zu] (%s): no type", i, sm->destination);
        }
        if (!bind && !type_supported(m->type)) {
            bootcfg_mounts_free(out);
            return rs_error(err, 0,
                            "mounts[%zu] (%s): type \"%s\" is not supported in the sandbox "
                            "(supported: bind, tmpfs, devtmpfs, proc, sysfs, devpts, mqueue, "
                            "cgroup; cgroup2 is skipped)",
                            i, sm->destination, m->type);
        }
        size_t dlen = 0;
        char *data = xzalloc(1);
        for (size_t j = 0; j < sm->options.count; j++) {
            const char *o = sm->options.items[j];
            if (mount_flag(m, o))
                continue;
            if (bind) {
                log_debug("mounts[%zu] (%s): option \"%s\" ignored for a bind mount", i,
                          sm->destination, o);
                continue;
            }
            size_t ol = strlen(o);
            data = xrealloc(data, dlen + ol + 2);
            if (dlen)
                data[dlen++] = ',';
            memcpy(data + dlen, o, ol + 1);
            dlen += ol;
        }
        m->data = data;
        if (!bind) {
            m->source = sm->source ? sm->source : m->type;
            continue;
        }
        if (!sm->source || !sm->source[0]) {
            bootcfg_mounts_free(out);
            return rs_error(err, 0, "mounts[%zu] (%s): a bind mount needs a source", i,
                            sm->destination);
        }
        char *src = sm->source[0] == '/'
                        ? xstrdup(sm->source)
                        : xasprintf("%s/%s", s->bundle ? s->bundle : ".", sm->source);
        struct stat st;
        if (stat(src, &st) < 0) {
            int e = errno;
            free(src);
            bootcfg_mounts_free(out);
            return rs_error(err, e, "mounts[%zu] (%s): source %s", i, sm->destination, sm->source);
        }
        m->source = src;
        m->gofer_index = (int32_t)(1 + out->bind_count);
        out->sources[out->bind_count] = src;
        out->readonly[out->bind_count] = m->readonly;
        out->bind_count++;
    }
    return 0;
}

int bootcfg_fd(struct runsc_globals *g, const struct spec *s, const struct bootcfg_mounts *mounts,
               const struct cgroup_limits *limits, rs_error_t *err)
{
    const struct spec_process *p = s->process;
    Runsc__Boot__Config cfg = RUNSC__BOOT__CONFIG__INIT;
    cfg.n_argv = p->args.count;
    cfg.argv = p->args.items;
    cfg.n_env = p->env.count;
    cfg.env = p->env.items;
    cfg.cwd = p->cwd ? p->cwd : "/";
    cfg.uid = p->user.uid;
    cfg.gid = p->user.gid;
    cfg.n_groups = p->user.additional_gids_count;
    cfg.groups = p->user.additional_gids;
    cfg.hostname = s->hostname ? s->hostname : "";
    cfg.root_readonly = s->root.readonly;
    cfg.platform = (char *)g->platform;
    if (p->capabilities_set) {
        cfg.cap_effective = p->capabilities.effective;
        cfg.cap_permitted = p->capabilities.permitted;
        cfg.cap_inheritable = p->capabilities.inheritable;
        cfg.cap_bounding = p->capabilities.bounding;
        cfg.cap_ambient = p->capabilities.ambient;
    } else {
        cfg.cap_effective = cfg.cap_permitted = cfg.cap_bounding = DEFAULT_CAPS;
    }
    cfg.no_new_privileges = p->no_new_privileges;
    cfg.terminal = p->terminal;
    cfg.umask = p->user.umask_set ? p->user.umask : 022;
    cfg.debug = g->debug;
    Runsc__Boot__Rlimit *rl = calloc(p->rlimits_count ? p->rlimits_count : 1, sizeof(*rl));
    Runsc__Boot__Rlimit **rlp = calloc(p->rlimits_count ? p->rlimits_count : 1, sizeof(*rlp));
    if (!rl || !rlp) {
        free(rl);
        free(rlp);
        return rs_error(err, ENOMEM, "boot configuration");
    }
    for (size_t i = 0; i < p->rlimits_count; i++) {
        runsc__boot__rlimit__init(&rl[i]);
        rl[i].resource = p->rlimits[i].resource;
        rl[i].cur = p->rlimits[i].soft;
        rl[i].max = p->rlimits[i].hard;
        rlp[i] = &rl[i];
    }
    cfg.n_rlimits = p->rlimits_count;
    cfg.rlimits = rlp;
    cfg.n_mounts = mounts->count;
    cfg.mounts = mounts->ptrs;
    cfg.n_masked_paths = s->lx.masked_paths.count;
    cfg.masked_paths = s->lx.masked_paths.items;
    cfg.n_readonly_paths = s->lx.readonly_paths.count;
    cfg.readonly_paths = s->lx.readonly_paths.items;
    /* The host cgroup's limits, for the sandbox's cgroupfs. */
    Runsc__Boot__Resources res = RUNSC__BOOT__RESOURCES__INIT;
    if (limits) {
        res.memory_limit = limits->memory_limit;
        res.cpu_shares = limits->cpu_shares;
        res.cpu_quota_us = limits->cpu_quota_us;
        res.cpu_period_us = limits->cpu_period_us;
        res.pids_max = limits->pids_max;
        cfg.resources = &res;
    }
    /* linux.seccomp, compiled to BPF (runsc/spec/seccomp.c). */
    if (s->lx.seccomp && spec_seccomp_compile(s->lx.seccomp, &cfg.seccomp_filter.data,
                                              &cfg.seccomp_filter.len, err) < 0) {
        free(rl);
        free(rlp);
        return -1;
    }
    int fd = bootcfg_pack_fd(&cfg, err);
    free(rl);
    free(rlp);
    free(cfg.seccomp_filter.data);
    return fd;
}
