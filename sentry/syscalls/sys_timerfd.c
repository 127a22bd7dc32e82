/* timerfd_create, timerfd_settime, timerfd_gettime. The file is
 * sentry/fsimpl/anon/timerfd.c (on the timer thread of
 * sentry/kernel/timer.c). */
#include <fcntl.h>
#include <sys/timerfd.h>

#include "sentry/fsimpl/anon/timerfd.h"
#include "sentry/syscalls/internal.h"

#define NSEC_PER_SEC 1000000000L

/* The file at fd, as Linux's fdget: an O_PATH description is EBADF too. */
long sys_timerfd_create(struct task *t, const struct syscall_args *args)
{
    int clock = ARG_INT(0), flags = ARG_INT(1);
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
        return -EINVAL;
    struct file *f;
    int r = timerfd_create_file(t, clock, flags, &f);
    if (r < 0)
        return r;
    return sc_install_new(t, f, flags & TFD_CLOEXEC);
}

/* The timerfd at fd (a reference), or -EBADF / -EINVAL. */
static int get_timerfd(struct task *t, int fd, struct file **out)
{
    struct file *f = sc_file_nopath(t, fd);
    if (!f)
        return -EBADF;
    if (!timerfd_is_file(f)) {
        file_put(f);
        return -EINVAL;
    }
    *out = f;
    return 0;
}

long sys_timerfd_settime(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(1);
    struct itimerspec nv, old;
    int r = mm_copy_in(t->mm, ARG_U64(2), &nv, sizeof(nv));
    if (r < 0)
        return r;
    if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) || !sc_timespec_ok(&nv.it_value) ||
        !sc_timespec_ok(&nv.it_interval))
        return -EINVAL;
    struct file *f;
    r = get_timerfd(t, ARG_INT(0), &f);
    if (r < 0)
        return r;
    r = timerfd_settime_file(t, f, flags, &nv, ARG_U64(3) ? &old : NULL);
    file_put(f);
    if (r < 0)
        return r;
    if (ARG_U64(3))
        return mm_copy_out(t->mm, ARG_U64(3), &old, sizeof(old));
    return 0;
}

long sys_timerfd_gettime(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    int r = get_timerfd(t, ARG_INT(0), &f);
    if (r < 0)
        return r;
    struct itimerspec cur;
    timerfd_gettime_file(f, &cur);
    file_put(f);
    return mm_copy_out(t->mm, ARG_U64(1), &cur, sizeof(cur));
}
