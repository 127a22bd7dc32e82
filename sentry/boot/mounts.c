/* The container's mount table, built by the sentry at boot from the boot
 * configuration (runsc/container/bootcfg.c converts the OCI spec's mounts).
 *
 * Order: the root (gofer connection 0) is mounted by boot.c; then /dev,
 * /dev/pts, /sys and /proc unless the spec mounts them itself; then the spec's mounts in
 * their order; then maskedPaths and readonlyPaths. A missing mount point is
 * created (a directory, or an empty file for a bind mount of a file) on
 * whatever filesystem holds its parent; a mount that cannot be made fails
 * the boot with a message naming it, except cgroup2 mounts, which are
 * skipped (no unified hierarchy in the sandbox: docs/runsc.md).
 *
 * Filesystems by type:
 *   bind      the gofer connection gofer_index (one per bind mount)
 *   tmpfs     a sentry tmpfs with the mount's data ("size=64m,mode=1777");
 *             on /dev: the sentry's devfs (a tmpfs with the device nodes)
 *   proc      the sentry's procfs
 *   sysfs     the sentry's minimal read-only sysfs (sentry/fsimpl/sys)
 *   devpts    the sentry's devpts (sentry/fsimpl/devpts): pseudo-terminals
 *             inside the sandbox; one instance shared by every devpts
 *             mount. Mounted on /dev/pts by default too (after /dev)
 *   mqueue    the sandbox's POSIX message queue filesystem (one per
 *             sandbox, the queues mq_open makes: sentry/fsimpl/mqueue)
 *   cgroup    with controller options ("memory", "cpu,cpuacct"): that
 *             cgroup v1 hierarchy (sentry/fsimpl/cgroupfs); without (what
 *             Docker and podman ask for): runc's layout, a tmpfs with one
 *             hierarchy mounted per controller (mount_cgroup_layout)
 * /dev/shm is always a sentry tmpfs (as in gVisor), even when an engine
 * asks for a bind of a host directory there (podman): shared memory must
 * be sandbox memory. */
#include "sentry/boot/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "sentry/fsimpl/cgroupfs/cgroupfs.h"
#include "sentry/fsimpl/dev/dev.h"
#include "sentry/fsimpl/devpts/devpts.h"
#include "sentry/fsimpl/gofer/client.h"
#include "sentry/fsimpl/gofer/gofer.h"
#include "sentry/fsimpl/mqueue/mqueue.h"
#include "sentry/fsimpl/proc/proc.h"
#include "sentry/fsimpl/synth/synth.h"
#include "sentry/fsimpl/sys/sys.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"

static int mount_flags(const Runsc__Boot__Mount *m)
{
    return (m->readonly ? MNT_RDONLY : 0) | (m->nosuid ? MNT_NOSUID : 0) |
           (m->nodev ? MNT_NODEV : 0) | (m->noexec ? MNT_NOEXEC : 0);
}

/* An empty directory filesystem (masked directories). */
static int empty_fs(const char *type, struct vfs_fs **fs, struct dentry **root)
{
    struct synth_fs *sfs;
    int r = synth_fs_new(type, &sfs);
    if (r < 0)
        return r;
    r = synth_root(sfs, root);
    if (r < 0) {
        vfs_fs_put(&sfs->fs);
        return r;
    }
    *fs = &sfs->fs;
    return 0;
}

/* Creates the missing directories of the absolute path dest (like
 * mkdir -p), the last one a directory or (want_dir false) an empty file. */
static int make_mount_point(const struct vfs_walk_ctx *ctx, const char *dest, bool want_dir)
{
    char *p = strdup(dest);
    if (!p)
        return -ENOMEM;
    int r = 0;
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        char saved = *s;
        *s = '\0';
        struct vfs_path cur;
        r = vfs_walk(ctx, p, WALK_FOLLOW, &cur);
        if (r == 0)
            path_put(&cur);
        else if (r == -ENOENT)
            r = end && !want_dir ? vfs_mknodat(ctx, p, S_IFREG | 0644, 0)
                                 : vfs_mkdirat(ctx, p, 0755);
        *s = saved;
        if (r < 0 || end)
            break;
        while (s[1] == '/')
            s++;
        if (s[1] == '\0')
            break;
    }
    free(p);
    return r;
}

/* The filesystem for mount m; *skip when it is deliberately not mounted. */
static int new_fs(const Runsc__Boot__Mount *m, const int *io_fds, int n_io, struct vfs_fs **fs,
                  struct dentry **root, bool *skip)
{
    const char *t = m->type;
    const char *dest = m->destination;
    *skip = false;
    if (strcmp(dest, "/dev/shm") == 0 && strcmp(t, "tmpfs") != 0) {
        log_debug("mount %s: a sentry tmpfs instead of %s %s", dest, t, m->source);
        return tmpfs_new("mode=1777", fs, root);
    }
    if (strcmp(t, "bind") == 0) {
        if (m->gofer_index < 1 || m->gofer_index >= n_io)
            return -EBADF;
        struct gofer_client *gc;
        int r = gofer_client_new(io_fds[m->gofer_index], &gc);
        if (r < 0)
            return r;
        bool ro = false;
        r = goferfs_new(gc, fs, root, &ro);
        if (r < 0)
            gofer_client_free(gc);
        return r;
    }
    if (strcmp(t, "tmpfs") == 0 || strcmp(t, "devtmpfs") == 0) {
        if (strcmp(dest, "/dev") == 0 || strcmp(t, "devtmpfs") == 0)
            return devfs_new(fs, root);
        return tmpfs_new(m->data, fs, root);
    }
    if (strcmp(t, "proc") == 0)
        return procfs_new(fs, root);
    if (strcmp(t, "sysfs") == 0)
        return sysfs_new(fs, root);
    if (strcmp(t, "mqueue") == 0)
        return mqueue_fs_get(fs, root);
    if (strcmp(t, "devpts") == 0)
        return devpts_new(fs, root);
    if (strcmp(t, "cgroup") == 0)
        return cgroupfs_get(m->data, fs, root);
    if (strcmp(t, "cgroup2") == 0) {
        log_info("mount %s: cgroup2 is not mounted (the sandbox has cgroup v1 hierarchies only)",
                 dest);
        *skip = true;
        return 0;
    }
    return -ENODEV;
}

static int do_mount(const struct vfs_walk_ctx *ctx, const Runsc__Boot__Mount *m, const int *io_fds,
                    int n_io)
{
    const char *dest = m->destination;
    if (!dest || dest[0] != '/') {
        log_stderr("mount %s: the destination must be an absolute path", dest ? dest : "(none)");
        return -EINVAL;
    }
    struct vfs_fs *fs = NULL;
    struct dentry *root = NULL;
    bool skip = false;
    int r = new_fs(m, io_fds, n_io, &fs, &root, &skip);
    if (r < 0) {
        const char *why = strerror(-r);
        if (r == -ENODEV)
            why = "unsupported filesystem type";
        else if (r == -EINVAL && strcmp(m->type, "cgroup") == 0)
            why = "unknown cgroup controller (the sandbox has cpuset, cpu, cpuacct, memory, pids)";
        log_stderr("mount %s (%s %s): %s", dest, m->type, m->source ? m->source : "", why);
        return r;
    }
    if (skip)
        return 0;
    int flags = mount_flags(m);
    bool is_dir = S_ISDIR(root->inode->mode);
    struct vfs_path mp;
    r = vfs_walk(ctx, dest, WALK_FOLLOW, &mp);
    if (r == -ENOENT) {
        r = make_mount_point(ctx, dest, is_dir);
        if (r == 0)
            r = vfs_walk(ctx, dest, WALK_FOLLOW, &mp);
        if (r < 0)
            log_stderr("mount %s: creating the mount point: %s", dest, strerror(-r));
    } else if (r < 0) {
        log_stderr("mount %s: %s", dest, strerror(-r));
    }
    if (r == 0) {
        r = vfs_mount(&mp, fs, root, flags);
        if (r < 0)
            log_stderr("mount %s (%s): %s", dest, m->type,
                       r == -ENOTDIR  ? "a directory over a file"
                       : r == -EISDIR ? "a file over a directory"
                                      : strerror(-r));
        else
            log_debug("mounted %s %s on %s (%s)", m->type, m->source ? m->source : "", dest,
                      m->data && m->data[0] ? m->data : "-");
        path_put(&mp);
    }
    dentry_put(root);
    vfs_fs_put(fs);
    return r;
}

/* A "cgroup" mount without controller options, as Docker and podman ask
 * for: runc's cgroup v1 layout. A tmpfs (mode 755) at the destination with
 * a directory per hierarchy of cgroupfs_v1_layout, the hierarchy mounted on
 * it with the mount's flags, and a link per controller of a combined
 * hierarchy (cpu -> cpu,cpuacct); the tmpfs is made read-only after that
 * when the mount is (runc remounts it so). */
static int mount_cgroup_layout(const struct vfs_walk_ctx *ctx, const Runsc__Boot__Mount *m)
{
    const char *dest = m->destination;
    Runsc__Boot__Mount tm = *m;
    tm.type = "tmpfs";
    tm.data = "mode=755";
    tm.readonly = false;
    int r = do_mount(ctx, &tm, NULL, 0);
    char path[4096];
    for (size_t i = 0; r == 0 && cgroupfs_v1_layout[i]; i++) {
        const char *name = cgroupfs_v1_layout[i];
        snprintf(path, sizeof(path), "%s/%s", dest, name);
        r = vfs_mkdirat(ctx, path, 0755);
        for (const char *c = strchr(name, ',') ? name : NULL; r == 0 && c && *c;) {
            size_t n = strcspn(c, ",");
            snprintf(path, sizeof(path), "%s/%.*s", dest, (int)n, c);
            r = vfs_symlinkat(ctx, name, path);
            c += n + (c[n] == ',');
        }
        if (r < 0) {
            log_stderr("mount %s (cgroup): making %s: %s", dest, path, strerror(-r));
            break;
        }
        Runsc__Boot__Mount cm = *m;
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", dest, name);
        cm.destination = sub;
        cm.data = (char *)name;
        r = do_mount(ctx, &cm, NULL, 0);
    }
    if (r == 0 && m->readonly) {
        /* The remount: nothing runs in the sandbox yet, the flags of the
         * mount are the boot's to change. */
        struct vfs_path p;
        r = vfs_walk(ctx, dest, WALK_FOLLOW, &p);
        if (r == 0) {
            p.mnt->flags |= MNT_RDONLY;
            path_put(&p);
        }
    }
    return r;
}

static bool spec_mounts(const Runsc__Boot__Config *cfg, const char *dest)
{
    for (size_t i = 0; i < cfg->n_mounts; i++)
        if (cfg->mounts[i]->destination && strcmp(cfg->mounts[i]->destination, dest) == 0)
            return true;
    return false;
}

/* A default mount when the spec has none there and the root has the
 * directory (runsc do, minimal bundles). */
static int default_mount(const struct vfs_walk_ctx *ctx, const Runsc__Boot__Config *cfg,
                         const char *dest, const char *type, int flags, const int *io_fds, int n_io)
{
    if (spec_mounts(cfg, dest))
        return 0;
    struct vfs_path p;
    if (vfs_walk(ctx, dest, WALK_FOLLOW | WALK_DIRECTORY, &p) < 0) {
        log_warn("the root filesystem has no %s directory: %s is not mounted", dest, dest);
        return 0;
    }
    path_put(&p);
    Runsc__Boot__Mount m = RUNSC__BOOT__MOUNT__INIT;
    m.destination = (char *)dest;
    m.type = (char *)type;
    m.source = (char *)type;
    m.gofer_index = -1;
    m.nosuid = (flags & MNT_NOSUID) != 0;
    m.nodev = (flags & MNT_NODEV) != 0;
    m.noexec = (flags & MNT_NOEXEC) != 0;
    return do_mount(ctx, &m, io_fds, n_io);
}

/* maskedPaths: an empty read-only directory over a directory, /dev/null
 * over anything else (runc's way); paths that do not exist are skipped. */
static int mask_path(const struct vfs_walk_ctx *ctx, const char *path)
{
    struct vfs_path p;
    int r = vfs_walk(ctx, path, 0, &p);
    if (r == -ENOENT || r == -ENOTDIR)
        return 0;
    if (r < 0) {
        log_stderr("maskedPaths %s: %s", path, strerror(-r));
        return r;
    }
    if (S_ISDIR(p.d->inode->mode)) {
        struct vfs_fs *fs;
        struct dentry *root;
        r = empty_fs("tmpfs", &fs, &root);
        if (r == 0) {
            r = vfs_mount(&p, fs, root, MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
            dentry_put(root);
            vfs_fs_put(fs);
        }
    } else if (S_ISLNK(p.d->inode->mode)) {
        r = 0; /* runc does not mask symlinks either: nothing to read */
    } else {
        struct vfs_path null;
        r = vfs_walk(ctx, "/dev/null", WALK_FOLLOW, &null);
        if (r == 0) {
            r = vfs_mount(&p, null.mnt->fs, null.d, MNT_RDONLY | MNT_NOSUID | MNT_NOEXEC);
            path_put(&null);
        }
    }
    path_put(&p);
    if (r < 0)
        log_stderr("maskedPaths %s: %s", path, strerror(-r));
    return r;
}

/* readonlyPaths: a read-only bind mount of the path onto itself. */
static int readonly_path(const struct vfs_walk_ctx *ctx, const char *path)
{
    struct vfs_path p;
    int r = vfs_walk(ctx, path, WALK_FOLLOW, &p);
    if (r == -ENOENT || r == -ENOTDIR)
        return 0;
    if (r == 0) {
        r = vfs_mount(&p, p.mnt->fs, p.d, p.mnt->flags | MNT_RDONLY);
        path_put(&p);
    }
    if (r < 0)
        log_stderr("readonlyPaths %s: %s", path, strerror(-r));
    return r;
}

int boot_mounts(const struct vfs_path *root, const Runsc__Boot__Config *cfg, const int *io_fds,
                int n_io)
{
    struct vfs_walk_ctx ctx = {.root = *root, .start = *root, .uid = 0, .gid = 0};
    /* The limits cgroupfs shows, before the first cgroup mount. */
    struct cgroupfs_limits cl = {0};
    if (cfg->resources) {
        cl.memory_limit = cfg->resources->memory_limit;
        cl.cpu_shares = cfg->resources->cpu_shares;
        cl.cpu_quota_us = cfg->resources->cpu_quota_us;
        cl.cpu_period_us = cfg->resources->cpu_period_us;
        cl.pids_max = cfg->resources->pids_max;
    }
    cgroupfs_init(&cl);
    int r = default_mount(&ctx, cfg, "/dev", "tmpfs", MNT_NOSUID | MNT_NOEXEC, io_fds, n_io);
    if (r == 0)
        r = default_mount(&ctx, cfg, "/dev/pts", "devpts", MNT_NOSUID | MNT_NOEXEC, io_fds, n_io);
    if (r == 0)
        r = default_mount(&ctx, cfg, "/sys", "sysfs", MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, io_fds,
                          n_io);
    if (r == 0)
        r = default_mount(&ctx, cfg, "/proc", "proc", MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, io_fds,
                          n_io);
    for (size_t i = 0; r == 0 && i < cfg->n_mounts; i++) {
        const Runsc__Boot__Mount *m = cfg->mounts[i];
        if (strcmp(m->type, "cgroup") == 0 && !(m->data && m->data[0]))
            r = mount_cgroup_layout(&ctx, m);
        else
            r = do_mount(&ctx, m, io_fds, n_io);
    }
    for (size_t i = 0; r == 0 && i < cfg->n_masked_paths; i++)
        r = mask_path(&ctx, cfg->masked_paths[i]);
    for (size_t i = 0; r == 0 && i < cfg->n_readonly_paths; i++)
        r = readonly_path(&ctx, cfg->readonly_paths[i]);
    return r;
}
