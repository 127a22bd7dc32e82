/* open, openat, creat, close, close_range. */
#include <fcntl.h>
#include <linux/close_range.h>

#include "sentry/syscalls/internal.h"

static long do_openat(struct task *t, int dirfd, uint64_t path_addr, int flags, int mode)
{
    char path[PATH_MAX];
    struct vfs_walk_ctx ctx;
    int r = sc_path_ctx(t, dirfd, path_addr, path, &ctx);
    if (r < 0)
        return r;
    struct file *f;
    r = vfs_open(&ctx, path, flags, mode & ~(int)sc_umask(t) & 07777, &f);
    task_walk_ctx_release(&ctx);
    if (r < 0)
        return r;
    return sc_install_new(t, f, flags & O_CLOEXEC);
}

long sys_open(struct task *t, const struct syscall_args *args)
{
    return do_openat(t, AT_FDCWD, ARG_U64(0), ARG_INT(1), ARG_INT(2));
}

long sys_openat(struct task *t, const struct syscall_args *args)
{
    return do_openat(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), ARG_INT(3));
}

long sys_creat(struct task *t, const struct syscall_args *args)
{
    return do_openat(t, AT_FDCWD, ARG_U64(0), O_CREAT | O_WRONLY | O_TRUNC, ARG_INT(1));
}

long sys_close(struct task *t, const struct syscall_args *args)
{
    return fdt_close(t->fdt, ARG_INT(0));
}

long sys_close_range(struct task *t, const struct syscall_args *args)
{
    unsigned first = (unsigned)args->a[0], last = (unsigned)args->a[1];
    unsigned flags = (unsigned)args->a[2];
    if (flags & ~(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE))
        return -EINVAL;
    if (first > last)
        return -EINVAL;
    if (flags & CLOSE_RANGE_UNSHARE)
        return -EINVAL;
    int n = fdt_count(t->fdt);
    for (unsigned fd = first; fd <= last && fd < (unsigned)n; fd++) {
        if (flags & CLOSE_RANGE_CLOEXEC) {
            int fl;
            struct file *f = fdt_get_file(t->fdt, (int)fd, &fl);
            if (f) {
                fdt_set_flags(t->fdt, (int)fd, fl | FDT_CLOEXEC);
                file_put(f);
            }
        } else {
            fdt_close(t->fdt, (int)fd);
        }
    }
    return 0;
}
