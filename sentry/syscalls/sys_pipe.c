/* pipe, pipe2. The pipe itself is sentry/fsimpl/pipe; F_GETPIPE_SZ and
 * F_SETPIPE_SZ are in sys_fd.c (fcntl), FIONREAD in the pipe's ioctl. */
#include <fcntl.h>

#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/syscalls/internal.h"

/* O_NOTIFICATION_PIPE (watch queues) is O_EXCL. */
#define PIPE2_NOTIFICATION O_EXCL
#define PIPE2_FLAGS (O_CLOEXEC | O_NONBLOCK | O_DIRECT | PIPE2_NOTIFICATION)

static long do_pipe2(struct task *t, uint64_t fds_addr, int flags)
{
    if (flags & ~PIPE2_FLAGS)
        return -EINVAL;
    if (flags & PIPE2_NOTIFICATION)
        return -ENOPKG; /* Linux built without CONFIG_WATCH_QUEUE */
    struct file *rd, *wr;
    int r = pipe_create(t->creds.fsuid, t->creds.fsgid, flags & (O_NONBLOCK | O_DIRECT), &rd, &wr);
    if (r < 0)
        return r;
    int limit = (int)task_rlimit_cur(t, RLIMIT_NOFILE);
    int fdflags = (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0;
    int fds[2] = {-1, -1};
    fds[0] = fdt_install(t->fdt, 0, rd, fdflags, limit);
    if (fds[0] >= 0)
        fds[1] = fdt_install(t->fdt, 0, wr, fdflags, limit);
    file_put(rd);
    file_put(wr);
    if (fds[1] < 0) {
        r = fds[0] < 0 ? fds[0] : fds[1];
        if (fds[0] >= 0)
            fdt_close(t->fdt, fds[0]);
        return r;
    }
    r = mm_copy_out(t->mm, fds_addr, fds, sizeof(fds));
    if (r < 0) {
        fdt_close(t->fdt, fds[0]);
        fdt_close(t->fdt, fds[1]);
        return r;
    }
    return 0;
}

long sys_pipe(struct task *t, const struct syscall_args *args)
{
    return do_pipe2(t, ARG_U64(0), 0);
}

long sys_pipe2(struct task *t, const struct syscall_args *args)
{
    return do_pipe2(t, ARG_U64(0), ARG_INT(1));
}
