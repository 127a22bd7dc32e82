/* epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2. The epoll itself is sentry/kernel/epoll.c.
 *
 * epoll_wait is never restarted: a signal makes it fail with EINTR, as
 * Linux (whatever SA_RESTART says). epoll_pwait and epoll_pwait2 install
 * their signal mask for the call; when a signal interrupts them it stays
 * until the signal is delivered (task.restore_sigmask), as ppoll's. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "sentry/kernel/epoll.h"
#include "sentry/syscalls/internal.h"

#define NSEC_PER_SEC 1000000000L
/* Relative timeouts longer than this are waited as "forever". */
#define FOREVER_SEC (100L * 365 * 24 * 3600)
/* Linux's TASK_SIZE_MAX (access_ok's limit). */
#define USER_ADDR_MAX 0x7ffffffff000ull
/* Linux's EP_MAX_EVENTS. */
#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_kevent))

/* The file at fd, as Linux's fdget: an O_PATH description is EBADF too. */
static long do_create(struct task *t, int flags)
{
    if (flags & ~EPOLL_CLOEXEC)
        return -EINVAL;
    struct file *f;
    int r = epoll_create_file(&f);
    if (r < 0)
        return r;
    return sc_install_new(t, f, flags & EPOLL_CLOEXEC);
}

long sys_epoll_create(struct task *t, const struct syscall_args *args)
{
    if (ARG_INT(0) <= 0)
        return -EINVAL;
    return do_create(t, 0);
}

long sys_epoll_create1(struct task *t, const struct syscall_args *args)
{
    return do_create(t, ARG_INT(0));
}

long sys_epoll_ctl(struct task *t, const struct syscall_args *args)
{
    int op = ARG_INT(1), fd = ARG_INT(2);
    struct epoll_kevent ev;
    if (op != EPOLL_CTL_DEL) {
        int r = mm_copy_in(t->mm, ARG_U64(3), &ev, sizeof(ev));
        if (r < 0)
            return r;
    }
    struct file *epf = sc_file_nopath(t, ARG_INT(0));
    if (!epf)
        return -EBADF;
    struct file *tf = sc_file_nopath(t, fd);
    if (!tf) {
        file_put(epf);
        return -EBADF;
    }
    int r = epoll_ctl_file(epf, op, fd, tf, op != EPOLL_CTL_DEL ? &ev : NULL,
                           creds_capable(&t->creds, CREDS_CAP_BLOCK_SUSPEND));
    file_put(tf);
    file_put(epf);
    return r;
}

/* ---- waiting ------------------------------------------------------------- */

/* A timeout: none (NULL deadline), zero (look once) or an end time. */
struct ep_timeout {
    bool zero;
    bool has_end;
    struct timespec end; /* CLOCK_MONOTONIC */
};

static int timeout_set(struct ep_timeout *to, int64_t sec, int64_t nsec)
{
    if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC)
        return -EINVAL;
    if (sec == 0 && nsec == 0) {
        to->zero = true;
        return 0;
    }
    if (sec > FOREVER_SEC)
        return 0; /* forever */
    struct timespec rel = {sec, nsec};
    deadline_after(&to->end, &rel);
    to->has_end = true;
    return 0;
}

static long do_wait(struct task *t, int epfd, uint64_t events, int maxevents,
                    const struct ep_timeout *to)
{
    if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
        return -EINVAL;
    uint64_t size = (uint64_t)maxevents * sizeof(struct epoll_kevent);
    if (size > USER_ADDR_MAX || events > USER_ADDR_MAX - size)
        return -EFAULT;
    struct file *f = sc_file_nopath(t, epfd);
    if (!f)
        return -EBADF;
    if (!epoll_is_file(f)) {
        file_put(f);
        return -EINVAL;
    }
    struct epoll_kevent *out;
    int n = epoll_wait_file(t, f, maxevents, to->has_end ? &to->end : NULL, to->zero, &out);
    file_put(f);
    if (n > 0) {
        int r = mm_copy_out(t->mm, events, out, (size_t)n * sizeof(*out));
        if (r < 0)
            n = r;
    }
    free(out);
    return n;
}

static void timeout_from_ms(struct ep_timeout *to, int ms)
{
    if (ms >= 0)
        timeout_set(to, ms / 1000, (int64_t)(ms % 1000) * 1000000);
}

long sys_epoll_wait(struct task *t, const struct syscall_args *args)
{
    struct ep_timeout to = {0};
    timeout_from_ms(&to, ARG_INT(3));
    return do_wait(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), &to);
}

/* epoll_pwait and epoll_pwait2: do_wait under the signal mask at
 * ARG_U64(4) (size ARG_U64(5)). */
static long do_pwait(struct task *t, const struct syscall_args *args, const struct ep_timeout *to)
{
    bool masked;
    int r = sc_sigmask_begin(t, ARG_U64(4), ARG_U64(5), &masked);
    if (r < 0)
        return r;
    long ret = do_wait(t, ARG_INT(0), ARG_U64(1), ARG_INT(2), to);
    sc_sigmask_end(t, masked, ret == -EINTR); /* epoll is never restarted */
    return ret;
}

long sys_epoll_pwait(struct task *t, const struct syscall_args *args)
{
    struct ep_timeout to = {0};
    timeout_from_ms(&to, ARG_INT(3));
    return do_pwait(t, args, &to);
}

long sys_epoll_pwait2(struct task *t, const struct syscall_args *args)
{
    struct ep_timeout to = {0};
    if (ARG_U64(3)) {
        struct timespec ts;
        int r = mm_copy_in(t->mm, ARG_U64(3), &ts, sizeof(ts));
        if (r < 0)
            return r;
        r = timeout_set(&to, ts.tv_sec, ts.tv_nsec);
        if (r < 0)
            return r;
    }
    return do_pwait(t, args, &to);
}
