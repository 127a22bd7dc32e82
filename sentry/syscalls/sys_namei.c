/* Namespace and attribute changes: mkdir, mkdirat, mknod, mknodat, rmdir,
 * unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink,
 * symlinkat, chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat,
 * utime, utimes, futimesat, utimensat, truncate, ftruncate. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <utime.h>

#include "sentry/syscalls/internal.h"

int sc_path_ctx(struct task *t, int dirfd, uint64_t addr, char *path, struct vfs_walk_ctx *ctx)
{
    int r = sc_copy_path(t, addr, path);
    return r < 0 ? r : task_walk_ctx(t, dirfd, path, ctx);
}

void sc_cred_ctx(struct task *t, struct vfs_walk_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    task_cred_ctx(t, ctx);
}

uint32_t sc_umask(struct task *t)
{
    pthread_mutex_lock(&t->fs->lock);
    uint32_t m = t->fs->umask;
    pthread_mutex_unlock(&t->fs->lock);
    return m;
}

/* The two paths of link and rename: both are copied before either is
 * resolved (Linux's getname order). */
static int two_path_ctx(struct task *t, int odfd, uint64_t oaddr, char *opath,
                        struct vfs_walk_ctx *octx, int ndfd, uint64_t naddr, char *npath,
                        struct vfs_walk_ctx *nctx)
{
    int r = sc_copy_path(t, oaddr, opath);
    if (r == 0)
        r = sc_copy_path(t, naddr, npath);
    if (r == 0)
        r = task_walk_ctx(t, odfd, opath, octx);
    if (r < 0)
        return r;
    r = task_walk_ctx(t, ndfd, npath, nctx);
    if (r < 0)
        task_walk_ctx_release(octx);
    return r;
}

/* ---- mkdir, mknod, symlink ---------------------------------------------- */

static long do_mkdirat(struct task *t, int dirfd, uint64_t path_addr, uint32_t mode)
{
    char path[PATH_MAX];
    struct vfs_walk_ctx ctx;
    int r = sc_path_ctx(t, dirfd, path_addr, path, &ctx);
    if (r < 0)
        return r;
    r = vfs_mkdirat(&ctx, path, mode & 07777 & ~sc_umask(t));
    task_walk_ctx_release(&ctx);
    return r;
}

long sys_mkdir(struct task *t, const struct syscall_args *args)
{
    return do_mkdirat(t, AT_FDCWD, ARG_U64(0), (uint32_t)ARG_U64(1));
}

long sys_mkdirat(struct task *t, const struct syscall_args *args)
{
    return do_mkdirat(t, ARG_INT(0), ARG_U64(1), (uint32_t)ARG_U64(2));
}

static long do_mknodat(struct task *t, int dirfd, uint64_t path_addr, uint32_t mode, uint32_t dev)
{
    int r = vfs_mknod_type(mode); /* before the path, as Linux's may_mknod */
    if (r < 0)
        return r;
    char path[PATH_MAX];
    struct vfs_walk_ctx ctx;
    r = sc_path_ctx(t, dirfd, path_addr, path, &ctx);
    if (r < 0)
        return r;
    /* The old 32-bit dev_t encoding (Linux's new_decode_dev). */
    unsigned major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    uint32_t perm = mode & 07777 & ~sc_umask(t);
    r = vfs_mknodat(&ctx, path, (mode & S_IFMT) | perm, makedev(major, minor));
    task_walk_ctx_release(&ctx);
    return r;
}

long sys_mknod(struct task *t, const struct syscall_args *args)
{
    return do_mknodat(t, AT_FDCWD, ARG_U64(0), (uint32_t)ARG_U64(1), (uint32_t)ARG_U64(2));
}

long sys_mknodat(struct task *t, const struct syscall_args *args)
{
    return do_mknodat(t, ARG_INT(0), ARG_U64(1), (uint32_t)ARG_U64(2), (uint32_t)ARG_U64(3));
}

static long do_symlinkat(struct task *t, uint64_t target_addr, int dirfd, uint64_t path_addr)
{
    char target[PATH_MAX], path[PATH_MAX];
    struct vfs_walk_ctx ctx;
    int r = sc_copy_path(t, target_addr, target);
    if (r == 0)
        r = sc_path_ctx(t, dirfd, path_addr, path, &ctx);
    if (r < 0)
        return r;
    r = vfs_symlinkat(&ctx, target, path);
    task_walk_ctx_release(&ctx);
    return r;
}

long sys_symlink(struct task *t, const struct syscall_args *args)
{
    return do_symlinkat(t, ARG_U64(0), AT_FDCWD, ARG_U64(1));
}

long sys_symlinkat(struct task *t, const struct syscall_args *args)
{
    return do_symlinkat(t, ARG_U64(0), ARG_INT(1), ARG_U64(2));
}

/* ---- link, unlink, rmdir, rename ----------------------------------------- */

static long do_linkat(struct task *t, int odfd, uint64_t oaddr, int ndfd, uint64_t naddr, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char opath[PATH_MAX], npath[PATH_MAX];
    struct vfs_walk_ctx octx, nctx;
    int r = two_path_ctx(t, odfd, oaddr, opath, &octx, ndfd, naddr, npath, &nctx);
    if (r < 0)
        return r;
    int wf = ((flags & AT_SYMLINK_FOLLOW) ? WALK_FOLLOW : 0) |
             ((flags & AT_EMPTY_PATH) ? WALK_EMPTY_PATH : 0);
    r = vfs_linkat(&octx, opath, &nctx, npath, wf);
    task_walk_ctx_release(&octx);
    task_walk_ctx_release(&nctx);
    return r;
}

long sys_link(struct task *t, const struct syscall_args *args)
{
    return do_linkat(t, AT_FDCWD, ARG_U64(0), AT_FDCWD, ARG_U64(1), 0);
}

long sys_linkat(struct task *t, const struct syscall_args *args)
{
    return do_linkat(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), ARG_U64(3), ARG_INT(4));
}

static long do_unlinkat(struct task *t, int dirfd, uint64_t path_addr, bool rmdir)
{
    char path[PATH_MAX];
    struct vfs_walk_ctx ctx;
    int r = sc_path_ctx(t, dirfd, path_addr, path, &ctx);
    if (r < 0)
        return r;
    r = vfs_unlinkat(&ctx, path, rmdir);
    task_walk_ctx_release(&ctx);
    return r;
}

long sys_unlink(struct task *t, const struct syscall_args *args)
{
    return do_unlinkat(t, AT_FDCWD, ARG_U64(0), false);
}

long sys_rmdir(struct task *t, const struct syscall_args *args)
{
    return do_unlinkat(t, AT_FDCWD, ARG_U64(0), true);
}

long sys_unlinkat(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(2);
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    return do_unlinkat(t, ARG_INT(0), ARG_U64(1), flags & AT_REMOVEDIR);
}

static long do_renameat2(struct task *t, int odfd, uint64_t oaddr, int ndfd, uint64_t naddr,
                         unsigned flags)
{
    /* Linux checks the flags before it copies the names in: bad flags are
     * EINVAL even with bad name pointers. */
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
        return -EINVAL;
    char opath[PATH_MAX], npath[PATH_MAX];
    struct vfs_walk_ctx octx, nctx;
    int r = two_path_ctx(t, odfd, oaddr, opath, &octx, ndfd, naddr, npath, &nctx);
    if (r < 0)
        return r;
    r = vfs_renameat(&octx, opath, &nctx, npath, flags);
    task_walk_ctx_release(&octx);
    task_walk_ctx_release(&nctx);
    return r;
}

long sys_rename(struct task *t, const struct syscall_args *args)
{
    return do_renameat2(t, AT_FDCWD, ARG_U64(0), AT_FDCWD, ARG_U64(1), 0);
}

long sys_renameat(struct task *t, const struct syscall_args *args)
{
    return do_renameat2(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), ARG_U64(3), 0);
}

long sys_renameat2(struct task *t, const struct syscall_args *args)
{
    return do_renameat2(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), ARG_U64(3), (unsigned)ARG_U64(4));
}

/* ---- chmod, chown, utimes, truncate ---------------------------------------- */

/* Applies sa to (dirfd, path) resolved with AT_* flags. */
static long setattr_at(struct task *t, int dirfd, uint64_t path_addr, int at_flags,
                       struct vfs_setattr *sa)
{
    char path[PATH_MAX];
    int r = sc_copy_path(t, path_addr, path);
    if (r < 0)
        return r;
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    if (!path[0] && (at_flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
        struct file *f = sc_file(t, dirfd);
        if (!f)
            return -EBADF;
        /* O_PATH descriptions are fine here: the change is by path. */
        if (f->path.d)
            r = vfs_setattr(&ctx, &f->path, sa);
        else
            r = vfs_file_setattr(&ctx, f, sa);
        file_put(f);
        return r;
    }
    struct vfs_path p;
    r = sc_resolve_at(t, dirfd, path, at_flags, &p);
    if (r < 0)
        return r;
    r = vfs_setattr(&ctx, &p, sa);
    path_put(&p);
    return r;
}

static long setattr_fd(struct task *t, int fd, struct vfs_setattr *sa)
{
    struct file *f = sc_file(t, fd);
    if (!f)
        return -EBADF;
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    int r = vfs_file_setattr(&ctx, f, sa);
    file_put(f);
    return r;
}

long sys_chmod(struct task *t, const struct syscall_args *args)
{
    struct vfs_setattr sa = {.mask = VFS_SA_MODE, .mode = (uint32_t)ARG_U64(1) & 07777};
    return setattr_at(t, AT_FDCWD, ARG_U64(0), 0, &sa);
}

long sys_fchmodat(struct task *t, const struct syscall_args *args)
{
    struct vfs_setattr sa = {.mask = VFS_SA_MODE, .mode = (uint32_t)ARG_U64(2) & 07777};
    return setattr_at(t, ARG_INT(0), ARG_U64(1), 0, &sa);
}

long sys_fchmod(struct task *t, const struct syscall_args *args)
{
    struct vfs_setattr sa = {.mask = VFS_SA_MODE, .mode = (uint32_t)ARG_U64(1) & 07777};
    return setattr_fd(t, ARG_INT(0), &sa);
}

static void chown_sa(uint32_t uid, uint32_t gid, struct vfs_setattr *sa)
{
    memset(sa, 0, sizeof(*sa));
    if (uid != UINT32_MAX) {
        sa->mask |= VFS_SA_UID;
        sa->uid = uid;
    }
    if (gid != UINT32_MAX) {
        sa->mask |= VFS_SA_GID;
        sa->gid = gid;
    }
}

long sys_chown(struct task *t, const struct syscall_args *args)
{
    struct vfs_setattr sa;
    chown_sa((uint32_t)ARG_U64(1), (uint32_t)ARG_U64(2), &sa);
    return setattr_at(t, AT_FDCWD, ARG_U64(0), 0, &sa);
}

long sys_lchown(struct task *t, const struct syscall_args *args)
{
    struct vfs_setattr sa;
    chown_sa((uint32_t)ARG_U64(1), (uint32_t)ARG_U64(2), &sa);
    return setattr_at(t, AT_FDCWD, ARG_U64(0), AT_SYMLINK_NOFOLLOW, &sa);
}

long sys_fchown(struct task *t, const struct syscall_args *args)
{
    struct vfs_setattr sa;
    chown_sa((uint32_t)ARG_U64(1), (uint32_t)ARG_U64(2), &sa);
    return setattr_fd(t, ARG_INT(0), &sa);
}

long sys_fchownat(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(4);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vfs_setattr sa;
    chown_sa((uint32_t)ARG_U64(2), (uint32_t)ARG_U64(3), &sa);
    return setattr_at(t, ARG_INT(0), ARG_U64(1), flags, &sa);
}

/* utimensat core: times (NULL: both now) with UTIME_NOW / UTIME_OMIT. */
static long do_utimes(struct task *t, int dirfd, uint64_t path_addr, const struct timespec *ts,
                      int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vfs_setattr sa = {0};
    if (!ts) {
        sa.mask = VFS_SA_ATIME_NOW | VFS_SA_MTIME_NOW;
    } else {
        for (int i = 0; i < 2; i++) {
            long ns = ts[i].tv_nsec;
            if (ns != UTIME_NOW && ns != UTIME_OMIT && (ns < 0 || ns > 999999999))
                return -EINVAL;
        }
        if (ts[0].tv_nsec == UTIME_NOW)
            sa.mask |= VFS_SA_ATIME_NOW;
        else if (ts[0].tv_nsec != UTIME_OMIT) {
            sa.mask |= VFS_SA_ATIME;
            sa.atime = ts[0];
        }
        if (ts[1].tv_nsec == UTIME_NOW)
            sa.mask |= VFS_SA_MTIME_NOW;
        else if (ts[1].tv_nsec != UTIME_OMIT) {
            sa.mask |= VFS_SA_MTIME;
            sa.mtime = ts[1];
        }
    }
    if (!path_addr) {
        /* No path: the file dirfd itself (futimens). */
        if (dirfd == AT_FDCWD)
            return -EFAULT;
        if (flags)
            return -EINVAL;
        return setattr_fd(t, dirfd, &sa);
    }
    return setattr_at(t, dirfd, path_addr, flags, &sa);
}

long sys_utimensat(struct task *t, const struct syscall_args *args)
{
    struct timespec ts[2];
    uint64_t taddr = ARG_U64(2);
    if (taddr) {
        int r = mm_copy_in(t->mm, taddr, ts, sizeof(ts));
        if (r < 0)
            return r;
        /* Nothing to do: Linux does not even look at the path. */
        if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
            return 0;
    }
    return do_utimes(t, ARG_INT(0), ARG_U64(1), taddr ? ts : NULL, ARG_INT(3));
}

static long do_futimesat(struct task *t, int dirfd, uint64_t path_addr, uint64_t taddr)
{
    if (!taddr)
        return do_utimes(t, dirfd, path_addr, NULL, 0);
    struct timeval tv[2];
    int r = mm_copy_in(t->mm, taddr, tv, sizeof(tv));
    if (r < 0)
        return r;
    struct timespec ts[2];
    for (int i = 0; i < 2; i++) {
        if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
            return -EINVAL;
        ts[i].tv_sec = tv[i].tv_sec;
        ts[i].tv_nsec = tv[i].tv_usec * 1000;
    }
    return do_utimes(t, dirfd, path_addr, ts, 0);
}

long sys_utimes(struct task *t, const struct syscall_args *args)
{
    if (!ARG_U64(0))
        return -EFAULT;
    return do_futimesat(t, AT_FDCWD, ARG_U64(0), ARG_U64(1));
}

long sys_futimesat(struct task *t, const struct syscall_args *args)
{
    return do_futimesat(t, ARG_INT(0), ARG_U64(1), ARG_U64(2));
}

long sys_utime(struct task *t, const struct syscall_args *args)
{
    if (!ARG_U64(0))
        return -EFAULT;
    if (!ARG_U64(1))
        return do_utimes(t, AT_FDCWD, ARG_U64(0), NULL, 0);
    struct utimbuf ub;
    int r = mm_copy_in(t->mm, ARG_U64(1), &ub, sizeof(ub));
    if (r < 0)
        return r;
    struct timespec ts[2] = {{ub.actime, 0}, {ub.modtime, 0}};
    return do_utimes(t, AT_FDCWD, ARG_U64(0), ts, 0);
}

long sys_truncate(struct task *t, const struct syscall_args *args)
{
    int64_t len = (int64_t)ARG_U64(1);
    if (len < 0)
        return -EINVAL; /* before the path, as Linux's do_sys_truncate */
    struct vfs_path p;
    int r = sc_resolve_path(t, AT_FDCWD, ARG_U64(0), 0, &p);
    if (r < 0)
        return r;
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    r = vfs_truncate_path(&ctx, &p, len);
    path_put(&p);
    return r;
}

long sys_ftruncate(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    int r = vfs_file_truncate(f, (int64_t)ARG_U64(1));
    file_put(f);
    return r;
}
