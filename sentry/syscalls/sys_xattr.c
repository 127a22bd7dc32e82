/* Extended attributes: getxattr, lgetxattr, fgetxattr, setxattr, lsetxattr,
 * fsetxattr, listxattr, llistxattr, flistxattr, removexattr, lremovexattr,
 * fremovexattr (the rules: sentry/vfs/xattr.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/xattr.h>

#include "sentry/syscalls/internal.h"
#include "sentry/vfs/xattr.h"

/* The attribute name at addr: -ERANGE if empty or longer than 255. */
static int copy_name(struct task *t, uint64_t addr, char name[VFS_XATTR_NAME_MAX + 1])
{
    ssize_t n = mm_copy_in_string(t->mm, addr, name, VFS_XATTR_NAME_MAX + 1);
    if (n == -ENAMETOOLONG)
        return -ERANGE;
    if (n < 0)
        return (int)n;
    return n == 0 ? -ERANGE : 0;
}

/* What an xattr call works on: a path (followed or not) or an fd. */
struct target {
    struct vfs_path p;
    struct file *f; /* for the fd calls (holds p's references) */
};

static int target_path(struct task *t, uint64_t addr, bool follow, struct target *x)
{
    x->f = NULL;
    return sc_resolve_path(t, AT_FDCWD, addr, follow ? 0 : AT_SYMLINK_NOFOLLOW, &x->p);
}

static int target_fd(struct task *t, int fd, struct target *x)
{
    x->f = sc_file(t, fd);
    if (!x->f)
        return -EBADF;
    if ((x->f->flags & O_PATH) || !x->f->path.d) {
        file_put(x->f);
        return -EBADF;
    }
    x->p = x->f->path;
    return 0;
}

static void target_put(struct target *x)
{
    if (x->f)
        file_put(x->f);
    else
        path_put(&x->p);
}

static long do_get(struct task *t, struct target *x, uint64_t name_addr, uint64_t buf, size_t size)
{
    char name[VFS_XATTR_NAME_MAX + 1];
    long r = copy_name(t, name_addr, name);
    char *val = NULL;
    if (r == 0 && size) {
        if (size > VFS_XATTR_SIZE_MAX)
            size = VFS_XATTR_SIZE_MAX;
        val = malloc(size);
        if (!val)
            r = -ENOMEM;
    }
    if (r == 0) {
        struct vfs_walk_ctx ctx;
        sc_cred_ctx(t, &ctx);
        r = vfs_getxattr(&ctx, x->p.d->inode, name, val, size);
    }
    if (r > 0 && size) {
        int c = mm_copy_out(t->mm, buf, val, (size_t)r);
        if (c < 0)
            r = c;
    }
    free(val);
    target_put(x);
    return r;
}

static long do_set(struct task *t, struct target *x, uint64_t name_addr, uint64_t value,
                   size_t size, int flags)
{
    char name[VFS_XATTR_NAME_MAX + 1];
    long r = copy_name(t, name_addr, name);
    char *val = NULL;
    if (r == 0 && (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
        r = -EINVAL;
    if (r == 0 && size > VFS_XATTR_SIZE_MAX)
        r = -E2BIG;
    if (r == 0 && size) {
        val = malloc(size);
        r = val ? mm_copy_in(t->mm, value, val, size) : -ENOMEM;
    }
    if (r == 0) {
        struct vfs_walk_ctx ctx;
        sc_cred_ctx(t, &ctx);
        r = vfs_setxattr(&ctx, &x->p, name, val, size, flags);
    }
    free(val);
    target_put(x);
    return r;
}

static long do_list(struct task *t, struct target *x, uint64_t buf, size_t size)
{
    long r = 0;
    char *names = NULL;
    if (size) {
        if (size > VFS_XATTR_LIST_MAX)
            size = VFS_XATTR_LIST_MAX;
        names = malloc(size);
        if (!names)
            r = -ENOMEM;
    }
    if (r == 0) {
        struct vfs_walk_ctx ctx;
        sc_cred_ctx(t, &ctx);
        r = vfs_listxattr(&ctx, x->p.d->inode, names, size);
    }
    if (r > 0 && size) {
        int c = mm_copy_out(t->mm, buf, names, (size_t)r);
        if (c < 0)
            r = c;
    }
    free(names);
    target_put(x);
    return r;
}

static long do_remove(struct task *t, struct target *x, uint64_t name_addr)
{
    char name[VFS_XATTR_NAME_MAX + 1];
    long r = copy_name(t, name_addr, name);
    if (r == 0) {
        struct vfs_walk_ctx ctx;
        sc_cred_ctx(t, &ctx);
        r = vfs_removexattr(&ctx, &x->p, name);
    }
    target_put(x);
    return r;
}

#define PATH_CALL(call, follow, ...)                                                               \
    struct target x;                                                                               \
    int r = target_path(t, ARG_U64(0), follow, &x);                                                \
    return r < 0 ? r : call(t, &x, __VA_ARGS__)

#define FD_CALL(call, ...)                                                                         \
    struct target x;                                                                               \
    int r = target_fd(t, ARG_INT(0), &x);                                                          \
    return r < 0 ? r : call(t, &x, __VA_ARGS__)

long sys_getxattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_get, true, ARG_U64(1), ARG_U64(2), (size_t)ARG_U64(3));
}

long sys_lgetxattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_get, false, ARG_U64(1), ARG_U64(2), (size_t)ARG_U64(3));
}

long sys_fgetxattr(struct task *t, const struct syscall_args *args)
{
    FD_CALL(do_get, ARG_U64(1), ARG_U64(2), (size_t)ARG_U64(3));
}

long sys_setxattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_set, true, ARG_U64(1), ARG_U64(2), (size_t)ARG_U64(3), ARG_INT(4));
}

long sys_lsetxattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_set, false, ARG_U64(1), ARG_U64(2), (size_t)ARG_U64(3), ARG_INT(4));
}

long sys_fsetxattr(struct task *t, const struct syscall_args *args)
{
    FD_CALL(do_set, ARG_U64(1), ARG_U64(2), (size_t)ARG_U64(3), ARG_INT(4));
}

long sys_listxattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_list, true, ARG_U64(1), (size_t)ARG_U64(2));
}

long sys_llistxattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_list, false, ARG_U64(1), (size_t)ARG_U64(2));
}

long sys_flistxattr(struct task *t, const struct syscall_args *args)
{
    FD_CALL(do_list, ARG_U64(1), (size_t)ARG_U64(2));
}

long sys_removexattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_remove, true, ARG_U64(1));
}

long sys_lremovexattr(struct task *t, const struct syscall_args *args)
{
    PATH_CALL(do_remove, false, ARG_U64(1));
}

long sys_fremovexattr(struct task *t, const struct syscall_args *args)
{
    FD_CALL(do_remove, ARG_U64(1));
}
