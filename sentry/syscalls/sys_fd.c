/* dup, dup2, dup3, fcntl, ioctl. */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/kernel/filelock.h"
#include "sentry/syscalls/internal.h"

long sys_dup(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    int r = fdt_install(t->fdt, 0, f, 0, sc_nofile(t));
    file_put(f);
    return r;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    struct file *f = sc_file(t, oldfd);
    if (!f)
        return -EBADF;
    int r = fdt_install_at(t->fdt, newfd, f, (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0, sc_nofile(t));
    file_put(f);
    return r;
}

long sys_dup2(struct task *t, const struct syscall_args *args)
{
    int oldfd = ARG_INT(0), newfd = ARG_INT(1);
    if (oldfd == newfd) {
        struct file *f = sc_file(t, oldfd);
        if (!f)
            return -EBADF;
        file_put(f);
        return newfd;
    }
    return do_dup3(t, oldfd, newfd, 0);
}

long sys_dup3(struct task *t, const struct syscall_args *args)
{
    if (ARG_INT(0) == ARG_INT(1))
        return -EINVAL;
    return do_dup3(t, ARG_INT(0), ARG_INT(1), ARG_INT(2));
}

/* Status flags F_SETFL may change. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

long sys_fcntl(struct task *t, const struct syscall_args *args)
{
    int fd = ARG_INT(0), cmd = ARG_INT(1);
    int fdflags;
    struct file *f = fdt_get_file(t->fdt, fd, &fdflags);
    if (!f)
        return -EBADF;
    long r;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        int min = ARG_INT(2);
        if (min < 0 || min >= sc_nofile(t)) {
            r = -EINVAL;
            break;
        }
        r = fdt_install(t->fdt, min, f, cmd == F_DUPFD_CLOEXEC ? FDT_CLOEXEC : 0, sc_nofile(t));
        break;
    }
    case F_GETFD:
        r = (fdflags & FDT_CLOEXEC) ? FD_CLOEXEC : 0;
        break;
    case F_SETFD:
        r = fdt_set_flags(t->fdt, fd, (ARG_INT(2) & FD_CLOEXEC) ? FDT_CLOEXEC : 0);
        break;
    case F_GETFL:
        r = f->flags & ~O_CLOEXEC;
        /* Anonymous pipes and anonymous-inode files (signalfd...) are made
         * without O_LARGEFILE, as in Linux. */
        if (!(r & O_PATH) && !(pipe_is_file(f) && !f->path.d) && !anon_file_name(f))
            r |= 0100000; /* the kernel's O_LARGEFILE (glibc defines it as 0) */
        break;
    case F_SETFL:
        if (f->flags & O_PATH) {
            r = -EBADF;
            break;
        }
        pthread_mutex_lock(&f->pos_lock);
        f->flags = (f->flags & ~SETFL_MASK) | (ARG_INT(2) & SETFL_MASK);
        pthread_mutex_unlock(&f->pos_lock);
        r = 0;
        break;
    case F_GETPIPE_SZ:
        r = pipe_get_size(f);
        break;
    case F_SETPIPE_SZ:
        /* Linux takes the argument as an unsigned int. */
        r = pipe_set_size(f, (uint32_t)ARG_U64(2),
                          creds_capable(&t->creds, CREDS_CAP_SYS_RESOURCE));
        break;
    case F_ADD_SEALS:
        r = tmpfs_add_seals(f, (uint32_t)ARG_U64(2));
        break;
    case F_GET_SEALS:
        r = tmpfs_get_seals(f);
        break;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: {
        struct flock fl;
        r = mm_copy_in(t->mm, ARG_U64(2), &fl, sizeof(fl));
        if (r == 0)
            r = filelock_fcntl(t, f, cmd, &fl);
        if (r == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK))
            r = mm_copy_out(t->mm, ARG_U64(2), &fl, sizeof(fl));
        break;
    }
    default:
        r = -EINVAL;
    }
    file_put(f);
    return r;
}

long sys_flock(struct task *t, const struct syscall_args *args)
{
    struct file *f = fdt_get_file(t->fdt, ARG_INT(0), NULL);
    if (!f)
        return -EBADF;
    long r = filelock_flock(t, f, ARG_INT(1));
    file_put(f);
    return r;
}

long sys_ioctl(struct task *t, const struct syscall_args *args)
{
    int fd = ARG_INT(0);
    unsigned cmd = (unsigned)args->a[1];
    int fdflags;
    struct file *f = fdt_get_file(t->fdt, fd, &fdflags);
    if (!f)
        return -EBADF;
    long r;
    if (f->flags & O_PATH) {
        file_put(f);
        return -EBADF;
    }
    switch (cmd) {
    case FIOCLEX:
        r = fdt_set_flags(t->fdt, fd, fdflags | FDT_CLOEXEC);
        break;
    case FIONCLEX:
        r = fdt_set_flags(t->fdt, fd, fdflags & ~FDT_CLOEXEC);
        break;
    case FIONBIO: {
        int on;
        r = mm_copy_in(t->mm, ARG_U64(2), &on, sizeof(on));
        if (r == 0) {
            pthread_mutex_lock(&f->pos_lock);
            f->flags = on ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK);
            pthread_mutex_unlock(&f->pos_lock);
        }
        break;
    }
    default:
        r = f->ops->ioctl ? f->ops->ioctl(f, t->mm, cmd, ARG_U64(2)) : -ENOTTY;
    }
    file_put(f);
    return r;
}
