/* alarm, getitimer, setitimer, timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete. The timers themselves are
 * sentry/kernel/timer.c (one sentry thread fires them). */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/timer.h"
#include "sentry/syscalls/internal.h"

#define NSEC_PER_SEC 1000000000LL
#define NSEC_PER_USEC 1000LL

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* The kernel's struct sigevent (64 bytes; glibc's has the same layout). */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    union {
        int tid;
        int pad[12];
    } un;
};
_Static_assert(sizeof(struct ksigevent) == 64, "struct sigevent is 64 bytes");

/* ---- alarm, getitimer, setitimer ------------------------------------------ */

static bool timeval_ok(const struct timeval *tv)
{
    return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static int64_t tv_to_ns(const struct timeval *tv)
{
    if (tv->tv_sec > INT64_MAX / 4 / NSEC_PER_SEC)
        return INT64_MAX / 4;
    return (int64_t)tv->tv_sec * NSEC_PER_SEC + tv->tv_usec * NSEC_PER_USEC;
}

static struct timeval ns_to_tv(int64_t ns)
{
    struct timeval tv = {ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / NSEC_PER_USEC};
    return tv;
}

long sys_alarm(struct task *t, const struct syscall_args *args)
{
    unsigned int secs = (unsigned int)ARG_U64(0);
    int64_t old = 0;
    int r = timer_itimer_set(t, ITIMER_REAL, (int64_t)secs * NSEC_PER_SEC, 0, &old, NULL);
    if (r < 0)
        return r;
    /* Whole seconds left, rounded to nearest; never 0 for an armed alarm. */
    int64_t s = old / NSEC_PER_SEC, rem = old % NSEC_PER_SEC;
    if ((!s && rem) || rem >= NSEC_PER_SEC / 2)
        s++;
    return s;
}

long sys_getitimer(struct task *t, const struct syscall_args *args)
{
    int64_t v, iv;
    int r = timer_itimer_get(t, ARG_INT(0), &v, &iv);
    if (r < 0)
        return r;
    struct itimerval out = {.it_interval = ns_to_tv(iv), .it_value = ns_to_tv(v)};
    return mm_copy_out(t->mm, ARG_U64(1), &out, sizeof(out));
}

long sys_setitimer(struct task *t, const struct syscall_args *args)
{
    struct itimerval nv;
    memset(&nv, 0, sizeof(nv));
    /* A NULL new value disarms (a Linux misfeature kept for old programs). */
    if (ARG_U64(1)) {
        int r = mm_copy_in(t->mm, ARG_U64(1), &nv, sizeof(nv));
        if (r < 0)
            return r;
        if (!timeval_ok(&nv.it_value) || !timeval_ok(&nv.it_interval))
            return -EINVAL;
    }
    int64_t ov = 0, oiv = 0;
    int r = timer_itimer_set(t, ARG_INT(0), tv_to_ns(&nv.it_value), tv_to_ns(&nv.it_interval), &ov,
                             &oiv);
    if (r < 0)
        return r;
    if (ARG_U64(2)) {
        struct itimerval out = {.it_interval = ns_to_tv(oiv), .it_value = ns_to_tv(ov)};
        return mm_copy_out(t->mm, ARG_U64(2), &out, sizeof(out));
    }
    return 0;
}

/* ---- POSIX timers -------------------------------------------------------- */

long sys_timer_create(struct task *t, const struct syscall_args *args)
{
    struct timer_sigevent ev, *evp = NULL;
    if (ARG_U64(1)) {
        struct ksigevent kev;
        int r = mm_copy_in(t->mm, ARG_U64(1), &kev, sizeof(kev));
        if (r < 0)
            return r;
        ev = (struct timer_sigevent){
            .notify = kev.notify, .signo = kev.signo, .value = kev.value, .tid = kev.un.tid};
        evp = &ev;
    }
    int id = timer_posix_create(t, ARG_INT(0), evp);
    if (id < 0)
        return id;
    int r = mm_copy_out(t->mm, ARG_U64(2), &id, sizeof(id));
    if (r < 0) {
        timer_posix_delete(t, id);
        return r;
    }
    return 0;
}

long sys_timer_settime(struct task *t, const struct syscall_args *args)
{
    if (!ARG_U64(2))
        return -EINVAL;
    struct itimerspec nv;
    int r = mm_copy_in(t->mm, ARG_U64(2), &nv, sizeof(nv));
    if (r < 0)
        return r;
    if (!sc_timespec_ok(&nv.it_value) || !sc_timespec_ok(&nv.it_interval))
        return -EINVAL;
    struct itimerspec old;
    r = timer_posix_settime(t, ARG_INT(0), ARG_INT(1), &nv, ARG_U64(3) ? &old : NULL);
    if (r < 0)
        return r;
    if (ARG_U64(3))
        return mm_copy_out(t->mm, ARG_U64(3), &old, sizeof(old));
    return 0;
}

long sys_timer_gettime(struct task *t, const struct syscall_args *args)
{
    struct itimerspec cur;
    int r = timer_posix_gettime(t, ARG_INT(0), &cur);
    if (r < 0)
        return r;
    return mm_copy_out(t->mm, ARG_U64(1), &cur, sizeof(cur));
}

long sys_timer_getoverrun(struct task *t, const struct syscall_args *args)
{
    return timer_posix_getoverrun(t, ARG_INT(0));
}

long sys_timer_delete(struct task *t, const struct syscall_args *args)
{
    return timer_posix_delete(t, ARG_INT(0));
}
