/* inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch. The
 * instances and events are sentry/kernel/inotify.c. */
#include <fcntl.h>
#include <sys/inotify.h>

#include "sentry/kernel/inotify.h"
#include "sentry/syscalls/internal.h"

/* Every bit inotify_add_watch knows (Linux's ALL_INOTIFY_BITS). */
#define ALL_BITS                                                                                   \
    (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |       \
     IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)

static long do_init(struct task *t, int flags)
{
    if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
        return -EINVAL;
    struct file *f;
    int r = inotify_create_file(t->creds.euid, flags & IN_NONBLOCK ? O_NONBLOCK : 0, &f);
    if (r < 0)
        return r;
    return sc_install_new(t, f, flags & IN_CLOEXEC);
}

long sys_inotify_init(struct task *t, const struct syscall_args *args)
{
    return do_init(t, 0);
}

long sys_inotify_init1(struct task *t, const struct syscall_args *args)
{
    return do_init(t, ARG_INT(0));
}

long sys_inotify_add_watch(struct task *t, const struct syscall_args *args)
{
    uint32_t mask = (uint32_t)ARG_U64(2);
    if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
        return -EINVAL;
    if (!(mask & ALL_BITS))
        return -EINVAL;
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    long r = -EINVAL;
    if (!inotify_is_file(f))
        goto out;
    struct vfs_path p;
    r = sc_resolve_path(t, AT_FDCWD, ARG_U64(1), (mask & IN_DONT_FOLLOW) ? AT_SYMLINK_NOFOLLOW : 0,
                        &p);
    if (r < 0)
        goto out;
    struct inode *ino = p.d->inode;
    if ((mask & IN_ONLYDIR) && !S_ISDIR(ino->mode)) {
        r = -ENOTDIR;
    } else {
        struct vfs_attr a;
        struct vfs_walk_ctx ctx;
        sc_cred_ctx(t, &ctx);
        r = vfs_getattr(ino, &a);
        if (r == 0)
            r = vfs_permission(&a, &ctx, 4);
        if (r == 0)
            r = inotify_add_watch_inode(f, ino, mask);
    }
    path_put(&p);
out:
    file_put(f);
    return r;
}

long sys_inotify_rm_watch(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    long r = inotify_is_file(f) ? inotify_rm_watch_wd(f, ARG_INT(1)) : -EINVAL;
    file_put(f);
    return r;
}
