/* stat, lstat, fstat, newfstatat, statx, access, faccessat, faccessat2,
 * readlink, readlinkat, statfs, fstatfs. */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/stat.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "sentry/syscalls/internal.h"

void sc_attr_to_stat(const struct vfs_attr *a, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = a->dev;
    st->st_ino = a->ino;
    st->st_nlink = a->nlink;
    st->st_mode = a->mode;
    st->st_uid = a->uid;
    st->st_gid = a->gid;
    st->st_rdev = a->rdev;
    st->st_size = a->size;
    st->st_blksize = a->blksize;
    st->st_blocks = a->blocks;
    st->st_atim = a->atime;
    st->st_mtim = a->mtime;
    st->st_ctim = a->ctime;
}

int sc_resolve_at(struct task *t, int dirfd, const char *path, int at_flags, struct vfs_path *out)
{
    if (!path[0] && (at_flags & AT_EMPTY_PATH)) {
        if (dirfd == AT_FDCWD) {
            pthread_mutex_lock(&t->fs->lock);
            *out = t->fs->cwd;
            path_get(out);
            pthread_mutex_unlock(&t->fs->lock);
            return 0;
        }
        struct file *f = sc_file(t, dirfd);
        if (!f)
            return -EBADF;
        if (!f->path.d) {
            /* Anonymous files (stdio, pipes) have no path: callers use the file. */
            file_put(f);
            return -ENOENT;
        }
        *out = f->path;
        path_get(out);
        file_put(f);
        return 0;
    }
    struct vfs_walk_ctx ctx;
    int r = task_walk_ctx(t, dirfd, path, &ctx);
    if (r < 0)
        return r;
    r = vfs_walk(&ctx, path, (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW, out);
    task_walk_ctx_release(&ctx);
    return r;
}

int sc_resolve_path(struct task *t, int dirfd, uint64_t addr, int at_flags, struct vfs_path *out)
{
    char path[PATH_MAX];
    int r = sc_copy_path(t, addr, path);
    return r < 0 ? r : sc_resolve_at(t, dirfd, path, at_flags, out);
}

/* Attributes for (dirfd, path, flags); handles AT_EMPTY_PATH on pathless files. */
static int attr_at(struct task *t, int dirfd, uint64_t path_addr, int flags, struct vfs_attr *a)
{
    char path[PATH_MAX];
    int r = sc_copy_path(t, path_addr, path);
    if (r < 0)
        return r;
    if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
        struct file *f = sc_file(t, dirfd);
        if (!f)
            return -EBADF;
        r = vfs_file_getattr(f, a);
        file_put(f);
        return r;
    }
    struct vfs_path p;
    r = sc_resolve_at(t, dirfd, path, flags, &p);
    if (r < 0)
        return r;
    r = vfs_getattr(p.d->inode, a);
    path_put(&p);
    return r;
}

static long stat_out(struct task *t, const struct vfs_attr *a, uint64_t addr)
{
    struct stat st;
    sc_attr_to_stat(a, &st);
    return mm_copy_out(t->mm, addr, &st, sizeof(st));
}

long sys_stat(struct task *t, const struct syscall_args *args)
{
    struct vfs_attr a;
    int r = attr_at(t, AT_FDCWD, ARG_U64(0), 0, &a);
    return r < 0 ? r : stat_out(t, &a, ARG_U64(1));
}

long sys_lstat(struct task *t, const struct syscall_args *args)
{
    struct vfs_attr a;
    int r = attr_at(t, AT_FDCWD, ARG_U64(0), AT_SYMLINK_NOFOLLOW, &a);
    return r < 0 ? r : stat_out(t, &a, ARG_U64(1));
}

long sys_fstat(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    struct vfs_attr a;
    int r = vfs_file_getattr(f, &a);
    file_put(f);
    return r < 0 ? r : stat_out(t, &a, ARG_U64(1));
}

long sys_newfstatat(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(3);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct vfs_attr a;
    int r = attr_at(t, ARG_INT(0), ARG_U64(1), flags, &a);
    return r < 0 ? r : stat_out(t, &a, ARG_U64(2));
}

long sys_statx(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(2);
    unsigned mask = (unsigned)args->a[3];
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    if (mask & STATX__RESERVED)
        return -EINVAL;
    struct vfs_attr a;
    int r = attr_at(t, ARG_INT(0), ARG_U64(1), flags, &a);
    if (r < 0)
        return r;
    struct statx sx;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = (uint32_t)a.blksize;
    sx.stx_nlink = a.nlink;
    sx.stx_uid = a.uid;
    sx.stx_gid = a.gid;
    sx.stx_mode = (uint16_t)a.mode;
    sx.stx_ino = a.ino;
    sx.stx_size = (uint64_t)a.size;
    sx.stx_blocks = (uint64_t)a.blocks;
    sx.stx_atime.tv_sec = a.atime.tv_sec;
    sx.stx_atime.tv_nsec = (uint32_t)a.atime.tv_nsec;
    sx.stx_mtime.tv_sec = a.mtime.tv_sec;
    sx.stx_mtime.tv_nsec = (uint32_t)a.mtime.tv_nsec;
    sx.stx_ctime.tv_sec = a.ctime.tv_sec;
    sx.stx_ctime.tv_nsec = (uint32_t)a.ctime.tv_nsec;
    sx.stx_rdev_major = major(a.rdev);
    sx.stx_rdev_minor = minor(a.rdev);
    sx.stx_dev_major = major(a.dev);
    sx.stx_dev_minor = minor(a.dev);
    return mm_copy_out(t->mm, ARG_U64(4), &sx, sizeof(sx));
}

static long do_faccessat(struct task *t, int dirfd, uint64_t path_addr, int mode, int flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vfs_path p;
    int r = sc_resolve_path(t, dirfd, path_addr, flags, &p);
    if (r < 0)
        return r;
    struct vfs_attr a;
    r = vfs_getattr(p.d->inode, &a);
    if (r == 0 && (mode & W_OK) && (p.mnt->flags & MNT_RDONLY) && !S_ISCHR(a.mode) &&
        !S_ISFIFO(a.mode) && !S_ISSOCK(a.mode))
        r = -EROFS;
    path_put(&p);
    if (r < 0)
        return r;
    /* access() checks with the real ids unless AT_EACCESS, and then with
     * the permitted capabilities for real root, none for anyone else
     * (access_override_creds). */
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    if (!(flags & AT_EACCESS)) {
        ctx.uid = t->creds.ruid;
        ctx.gid = t->creds.rgid;
        if (!(t->creds.securebits & CREDS_SECBIT_NO_SETUID_FIXUP))
            ctx.caps = t->creds.ruid == 0 ? t->creds.cap_permitted : 0;
    }
    return mode ? vfs_permission(&a, &ctx, mode) : 0;
}

long sys_access(struct task *t, const struct syscall_args *args)
{
    return do_faccessat(t, AT_FDCWD, ARG_U64(0), ARG_INT(1), 0);
}

long sys_faccessat(struct task *t, const struct syscall_args *args)
{
    return do_faccessat(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), 0);
}

long sys_faccessat2(struct task *t, const struct syscall_args *args)
{
    return do_faccessat(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), ARG_INT(3));
}

static long do_readlinkat(struct task *t, int dirfd, uint64_t path_addr, uint64_t buf, int64_t size)
{
    if (size <= 0)
        return -EINVAL;
    char path[PATH_MAX];
    int r = sc_copy_path(t, path_addr, path);
    if (r < 0)
        return r;
    struct vfs_path p;
    r = sc_resolve_at(t, dirfd, path, path[0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH, &p);
    if (r < 0)
        return r;
    if (!path[0] && !S_ISLNK(p.d->inode->mode)) {
        /* An empty path works only on a symlink opened with O_PATH. */
        path_put(&p);
        return -ENOENT;
    }
    char target[PATH_MAX];
    ssize_t n = vfs_readlink(&p, target, sizeof(target));
    path_put(&p);
    if (n < 0)
        return n;
    if (n > size)
        n = size;
    r = mm_copy_out(t->mm, buf, target, (size_t)n);
    return r < 0 ? r : n;
}

long sys_readlink(struct task *t, const struct syscall_args *args)
{
    return do_readlinkat(t, AT_FDCWD, ARG_U64(0), ARG_U64(1), (int)ARG_U64(2));
}

long sys_readlinkat(struct task *t, const struct syscall_args *args)
{
    return do_readlinkat(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), (int)ARG_U64(3));
}

static long statfs_out(struct task *t, struct vfs_path *p, uint64_t addr)
{
    struct statfs s;
    memset(&s, 0, sizeof(s));
    struct vfs_fs *fs = p->d->inode->fs;
    /* Filesystems with numbers (tmpfs, the gofer's) report them and their
     * magic through their statfs op; the others have only a magic. */
    const char *type = fs->type->name;
    if (strcmp(type, "proc") == 0)
        s.f_type = PROC_SUPER_MAGIC;
    else if (strcmp(type, "sysfs") == 0)
        s.f_type = SYSFS_MAGIC;
    else if (strcmp(type, "mqueue") == 0)
        s.f_type = 0x19800202; /* MQUEUE_MAGIC */
    else if (strcmp(type, "devpts") == 0)
        s.f_type = 0x1cd1; /* DEVPTS_SUPER_MAGIC */
    else
        s.f_type = 0x01021997; /* V9FS_MAGIC, as gVisor's gofer filesystem reports */
    s.f_bsize = 4096;
    s.f_namelen = 255;
    if (fs->statfs) {
        struct vfs_statfs v = {0};
        int r = fs->statfs(fs, p->d->inode, &v);
        if (r < 0)
            return r;
        s.f_type = (__fsword_t)v.type;
        s.f_bsize = (__fsword_t)v.bsize;
        s.f_blocks = v.blocks;
        s.f_bfree = v.bfree;
        s.f_bavail = v.bavail;
        s.f_files = v.files;
        s.f_ffree = v.ffree;
        s.f_namelen = (__fsword_t)v.namelen;
    }
    s.f_frsize = s.f_bsize;
    s.f_fsid.__val[0] = (int)(fs->dev & 0xffffffff);
    int fl = p->mnt->flags;
    s.f_flags = 0x20 /* ST_VALID */ | ((fl & MNT_RDONLY) ? ST_RDONLY : 0) |
                ((fl & MNT_NOSUID) ? ST_NOSUID : 0) | ((fl & MNT_NODEV) ? ST_NODEV : 0) |
                ((fl & MNT_NOEXEC) ? ST_NOEXEC : 0);
    return mm_copy_out(t->mm, addr, &s, sizeof(s));
}

long sys_statfs(struct task *t, const struct syscall_args *args)
{
    struct vfs_path p;
    int r = sc_resolve_path(t, AT_FDCWD, ARG_U64(0), 0, &p);
    if (r < 0)
        return r;
    long ret = statfs_out(t, &p, ARG_U64(1));
    path_put(&p);
    return ret;
}

long sys_fstatfs(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    long r;
    if (f->path.mnt) {
        r = statfs_out(t, &f->path, ARG_U64(1));
    } else {
        struct statfs s;
        memset(&s, 0, sizeof(s));
        s.f_type = 0x50495045; /* PIPEFS_MAGIC: anonymous host-backed files */
        s.f_bsize = 4096;
        s.f_namelen = 255;
        r = mm_copy_out(t->mm, ARG_U64(1), &s, sizeof(s));
    }
    file_put(f);
    return r;
}
