/* getdents64, getdents, getcwd, chdir, fchdir. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "sentry/syscalls/internal.h"

struct dents_buf {
    char *buf;
    size_t cap, len;
    bool old;  /* struct linux_dirent (getdents) instead of linux_dirent64 */
    bool full; /* an entry did not fit */
};

static bool emit(void *arg, const char *name, uint64_t ino, uint8_t type, int64_t off)
{
    struct dents_buf *b = arg;
    size_t nl = strlen(name);
    size_t reclen;
    if (b->old)
        reclen = (8 + 8 + 2 + nl + 1 + 1 + 7) & ~7ul; /* ino, off, reclen, name, NUL, type */
    else
        reclen = (8 + 8 + 2 + 1 + nl + 1 + 7) & ~7ul;
    if (b->len + reclen > b->cap) {
        b->full = true;
        return false;
    }
    char *p = b->buf + b->len;
    memset(p, 0, reclen);
    uint16_t rl = (uint16_t)reclen;
    memcpy(p, &ino, 8);
    memcpy(p + 8, &off, 8);
    memcpy(p + 16, &rl, 2);
    if (b->old) {
        memcpy(p + 18, name, nl);
        p[reclen - 1] = (char)type;
    } else {
        p[18] = (char)type;
        memcpy(p + 19, name, nl);
    }
    b->len += reclen;
    return true;
}

static long do_getdents(struct task *t, int fd, uint64_t addr, unsigned count, bool old)
{
    struct file *f = sc_file(t, fd);
    if (!f)
        return -EBADF;
    long r;
    if (!S_ISDIR(f->inode->mode) || !f->ops->iterate) {
        r = S_ISDIR(f->inode->mode) ? -EINVAL : -ENOTDIR;
        file_put(f);
        return r;
    }
    if (count > SC_IO_CHUNK)
        count = SC_IO_CHUNK;
    struct dents_buf b = {malloc(count ? count : 1), count, 0, old, false};
    if (!b.buf) {
        file_put(f);
        return -ENOMEM;
    }
    pthread_mutex_lock(&f->pos_lock);
    int64_t pos = f->pos;
    r = f->ops->iterate(f, &pos, emit, &b);
    if (r == 0 && b.len == 0 && b.full)
        r = -EINVAL; /* not even one entry fits (else: end of directory) */
    if (r == 0) {
        r = mm_copy_out(t->mm, addr, b.buf, b.len);
        if (r == 0) {
            f->pos = pos;
            r = (long)b.len;
        }
    }
    pthread_mutex_unlock(&f->pos_lock);
    if (r >= 0)
        vfs_notify_file(f, IN_ACCESS); /* Linux's iterate_dir */
    free(b.buf);
    file_put(f);
    return r;
}

long sys_getdents64(struct task *t, const struct syscall_args *args)
{
    return do_getdents(t, ARG_INT(0), ARG_U64(1), (unsigned)args->a[2], false);
}

long sys_getdents(struct task *t, const struct syscall_args *args)
{
    return do_getdents(t, ARG_INT(0), ARG_U64(1), (unsigned)args->a[2], true);
}

long sys_getcwd(struct task *t, const struct syscall_args *args)
{
    uint64_t size = ARG_U64(1);
    pthread_mutex_lock(&t->fs->lock);
    char *name = vfs_path_name(&t->fs->root, &t->fs->cwd);
    pthread_mutex_unlock(&t->fs->lock);
    if (!name)
        return -ENOMEM;
    size_t n = strlen(name) + 1;
    long r;
    if (n > size)
        r = -ERANGE;
    else
        r = mm_copy_out(t->mm, ARG_U64(0), name, n) < 0 ? -EFAULT : (long)n;
    free(name);
    return r;
}

static long set_cwd(struct task *t, struct vfs_path *p)
{
    if (!S_ISDIR(p->d->inode->mode)) {
        path_put(p);
        return -ENOTDIR;
    }
    struct vfs_attr a;
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    int r = vfs_getattr(p->d->inode, &a);
    if (r == 0)
        r = vfs_permission(&a, &ctx, 1);
    if (r < 0) {
        path_put(p);
        return r;
    }
    pthread_mutex_lock(&t->fs->lock);
    struct vfs_path old = t->fs->cwd;
    t->fs->cwd = *p;
    pthread_mutex_unlock(&t->fs->lock);
    path_put(&old);
    return 0;
}

long sys_chdir(struct task *t, const struct syscall_args *args)
{
    struct vfs_path p;
    int r = sc_resolve_path(t, AT_FDCWD, ARG_U64(0), 0, &p);
    if (r < 0)
        return r;
    return set_cwd(t, &p);
}

long sys_fchdir(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    if (!f->path.d) {
        file_put(f);
        return -ENOTDIR;
    }
    struct vfs_path p = f->path;
    path_get(&p);
    file_put(f);
    return set_cwd(t, &p);
}
