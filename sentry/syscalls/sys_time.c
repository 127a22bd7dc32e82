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
        *out = id; /* served by cpu_clock, not the host */
        return 0;
    default:
        return id < 0 ? 0 : -EINVAL; /* a CPU clock of a pid (cpu_clock checks) */
    }
}

static bool is_cpu_clock(int id)
{
    return id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID || id < 0;
}

/* A CPU-time clock: the caller's process or thread, or one named by
 * clock_getcpuclockid / pthread_getcpuclockid (id = ~pid << 3 | perthread
 * << 2 | which: PROF 0, VIRT 1, SCHED 2). Times as task_acct counts them. */
static int cpu_clock(struct task *t, int id, struct timespec *ts)
{
    int which = 2, pid = 0;
    bool thread = id == CLOCK_THREAD_CPUTIME_ID;
    if (id < 0) {
        which = id & 3;
        thread = (id & 4) != 0;
        pid = ~(int)(((uint32_t)id >> 3) | 0xe0000000u); /* ~(id >> 3), sign kept */
        if (which == 3)
            return -EINVAL;
    }
    task_acct(t, TASK_ACCT_SYS);
    uint64_t u = 0, st = 0;
    int r = 0;
    pthread_mutex_lock(&g_kernel->lock);
    if (thread) {
        struct task *o = pid ? kernel_find_task_locked(pid) : t;
        if (!o || o->tg != t->tg) {
            r = -EINVAL; /* Linux: only threads of the caller's own process */
        } else {
            u = __atomic_load_n(&o->utime_ns, __ATOMIC_RELAXED);
            st = __atomic_load_n(&o->stime_ns, __ATOMIC_RELAXED);
        }
    } else {
        struct thread_group *tg = pid ? kernel_find_tg_locked(pid) : t->tg;
        if (!tg || tg->state == TG_DEAD)
            r = -EINVAL;
        else
            tg_cputime_locked(tg, &u, &st);
    }
    pthread_mutex_unlock(&g_kernel->lock);
    if (r < 0)
        return r;
    uint64_t ns = which == 1 ? u : u + st;
    ts->tv_sec = (time_t)(ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
    return 0;
}

long sys_clock_gettime(struct task *t, const struct syscall_args *args)
{
    clockid_t c;
    int r = host_clock(ARG_INT(0), &c);
    if (r < 0)
        return r;
    struct timespec ts;
    if (is_cpu_clock(ARG_INT(0))) {
        r = cpu_clock(t, ARG_INT(0), &ts);
        if (r < 0)
            return r;
    } else {
        clock_gettime(c, &ts);
    }
    return mm_copy_out(t->mm, ARG_U64(1), &ts, sizeof(ts));
}

long sys_clock_getres(struct task *t, const struct syscall_args *args)
{
    clockid_t c;
    int r = host_clock(ARG_INT(0), &c);
    if (r < 0)
        return r;
    struct timespec ts = {0, 1}; /* the CPU clocks count nanoseconds */
    if (is_cpu_clock(ARG_INT(0))) {
        r = cpu_clock(t, ARG_INT(0), &ts); /* validates the id */
        if (r < 0)
            return r;
        ts = (struct timespec){0, 1};
    } else {
        clock_getres(c, &ts);
    }
    if (!ARG_U64(1))
        return 0;
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
    if (id < 0)
        return -EOPNOTSUPP; /* sleeping on CPU time: not supported (PARTIAL) */
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
