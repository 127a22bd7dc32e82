/* clock_gettime, clock_getres, gettimeofday, time, nanosleep,
 * clock_nanosleep. Clocks are the host's (the sandbox shares its time). */
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/syscalls/internal.h"

static int host_clock(int id, clockid_t *out)
{
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
        *out = id;
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        /* The application's CPU time is spent in its stub: approximate by
         * the sentry thread's own time (PARTIAL). */
        *out = CLOCK_THREAD_CPUTIME_ID;
        return 0;
    default:
        return -EINVAL;
    }
}

long sys_clock_gettime(struct task *t, const struct syscall_args *args)
{
    clockid_t c;
    int r = host_clock(ARG_INT(0), &c);
    if (r < 0)
        return r;
    struct timespec ts;
    clock_gettime(c, &ts);
    return mm_copy_out(t->mm, ARG_U64(1), &ts, sizeof(ts));
}

long sys_clock_getres(struct task *t, const struct syscall_args *args)
{
    clockid_t c;
    int r = host_clock(ARG_INT(0), &c);
    if (r < 0)
        return r;
    if (!ARG_U64(1))
        return 0;
    struct timespec ts;
    clock_getres(c, &ts);
    return mm_copy_out(t->mm, ARG_U64(1), &ts, sizeof(ts));
}

long sys_gettimeofday(struct task *t, const struct syscall_args *args)
{
    if (ARG_U64(0)) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        int r = mm_copy_out(t->mm, ARG_U64(0), &tv, sizeof(tv));
        if (r < 0)
            return r;
    }
    if (ARG_U64(1)) {
        struct timezone tz = {0, 0};
        return mm_copy_out(t->mm, ARG_U64(1), &tz, sizeof(tz));
    }
    return 0;
}

long sys_time(struct task *t, const struct syscall_args *args)
{
    time_t now = time(NULL);
    if (ARG_U64(0)) {
        int r = mm_copy_out(t->mm, ARG_U64(0), &now, sizeof(now));
        if (r < 0)
            return r;
    }
    return now;
}

static int read_ts(struct task *t, uint64_t addr, struct timespec *ts)
{
    int r = mm_copy_in(t->mm, addr, ts, sizeof(*ts));
    if (r < 0)
        return r;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
        return -EINVAL;
    return 0;
}

/* Sleeps until the absolute CLOCK_MONOTONIC-based deadline; on a signal
 * writes the remaining time to rmtp and asks for a restart (which
 * restart_syscall resumes, or becomes EINTR if a handler runs). */
static long sleep_until(struct task *t, clockid_t c, const struct timespec *abs_c, uint64_t rmtp,
                        bool restartable);

static long nanosleep_restart(struct task *t)
{
    return sleep_until(t, t->restart_clock, &t->restart_deadline, t->restart_rmtp, true);
}

static long sleep_until(struct task *t, clockid_t c, const struct timespec *abs_c, uint64_t rmtp,
                        bool restartable)
{
    /* Convert the target on clock c to a CLOCK_MONOTONIC deadline. */
    struct timespec now_c, dl;
    clock_gettime(c, &now_c);
    int64_t delta =
        (abs_c->tv_sec - now_c.tv_sec) * 1000000000LL + (abs_c->tv_nsec - now_c.tv_nsec);
    if (delta <= 0)
        return 0;
    struct timespec rel = {delta / 1000000000LL, delta % 1000000000LL};
    deadline_after(&dl, &rel);
    for (;;) {
        int r = task_block(t, &dl);
        if (r == -ETIMEDOUT)
            return 0;
        if (r == -EINTR)
            break;
    }
    if (!restartable)
        return -ERESTARTNOHAND;
    clock_gettime(c, &now_c);
    int64_t left = (abs_c->tv_sec - now_c.tv_sec) * 1000000000LL + (abs_c->tv_nsec - now_c.tv_nsec);
    if (left < 0)
        left = 0;
    if (rmtp) {
        struct timespec rem = {left / 1000000000LL, left % 1000000000LL};
        if (mm_copy_out(t->mm, rmtp, &rem, sizeof(rem)) < 0)
            return -EFAULT;
    }
    t->restart_fn = nanosleep_restart;
    t->restart_deadline = *abs_c;
    t->restart_clock = (int)c;
    t->restart_rmtp = rmtp;
    return -ERESTART_RESTARTBLOCK;
}

static void add_ts(struct timespec *a, const struct timespec *b)
{
    a->tv_sec += b->tv_sec;
    a->tv_nsec += b->tv_nsec;
    if (a->tv_nsec >= 1000000000L) {
        a->tv_sec++;
        a->tv_nsec -= 1000000000L;
    }
}

long sys_nanosleep(struct task *t, const struct syscall_args *args)
{
    struct timespec ts;
    int r = read_ts(t, ARG_U64(0), &ts);
    if (r < 0)
        return r;
    struct timespec target;
    clock_gettime(CLOCK_MONOTONIC, &target);
    add_ts(&target, &ts);
    return sleep_until(t, CLOCK_MONOTONIC, &target, ARG_U64(1), true);
}

long sys_clock_nanosleep(struct task *t, const struct syscall_args *args)
{
    int id = ARG_INT(0), flags = ARG_INT(1);
    if (id == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    clockid_t c;
    int r = host_clock(id, &c);
    if (r < 0)
        return r;
    if (id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_MONOTONIC_RAW ||
        id == CLOCK_REALTIME_COARSE || id == CLOCK_MONOTONIC_COARSE)
        return -EOPNOTSUPP;
    struct timespec ts;
    r = read_ts(t, ARG_U64(2), &ts);
    if (r < 0)
        return r;
    if (flags & TIMER_ABSTIME)
        return sleep_until(t, c, &ts, 0, false);
    struct timespec target;
    clock_gettime(c, &target);
    add_ts(&target, &ts);
    return sleep_until(t, c, &target, ARG_U64(3), true);
}
