/* Clocks and sleeping: clock_gettime (raw and through the vDSO),
 * clock_getres, gettimeofday, time, nanosleep and clock_nanosleep. */
#include "check.h"

#include <sys/time.h>
#include <time.h>

static long long ns(const struct timespec *t)
{
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static long long now(clockid_t clock)
{
    struct timespec t;
    CHECK_OK(clock_gettime(clock, &t));
    CHECK(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
    return ns(&t);
}

static void monotonic(void)
{
    /* Never goes back, through libc (vDSO) or the raw syscall. */
    long long prev = now(CLOCK_MONOTONIC);
    for (int i = 0; i < 1000; i++) {
        struct timespec t;
        long long cur = now(CLOCK_MONOTONIC);
        CHECK_GE(cur, prev);
        CHECK_OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t));
        CHECK_GE(ns(&t), cur);
        prev = ns(&t);
    }
    CHECK_GT(now(CLOCK_MONOTONIC), 0);
    CHECK_GE(now(CLOCK_BOOTTIME) + 1000000, now(CLOCK_MONOTONIC));
    CHECK_GT(now(CLOCK_MONOTONIC_COARSE), 0);
    CHECK_GT(now(CLOCK_MONOTONIC_RAW), 0);

    struct timespec res;
    CHECK_OK(clock_getres(CLOCK_MONOTONIC, &res));
    CHECK_EQ(res.tv_sec, 0);
    CHECK(res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    CHECK_OK(clock_getres(CLOCK_REALTIME, NULL));
}

static void realtime(void)
{
    struct timeval tv;
    long long rt = now(CLOCK_REALTIME);
    CHECK_OK(gettimeofday(&tv, NULL));
    long long tod = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    /* Within a second of each other, and after 2020. */
    CHECK_LT(llabs(tod - rt), 1000000000LL);
    CHECK_GT(rt / 1000000000LL, 1577836800LL);
    long t = CHECK_OK(syscall(SYS_time, NULL));
    CHECK_LT(labs(t - (long)(rt / 1000000000LL)), 2);
    CHECK_LT(llabs(now(CLOCK_REALTIME_COARSE) - rt), 1000000000LL);
    CHECK_OK(syscall(SYS_gettimeofday, &tv, NULL));
    CHECK_ERR(syscall(SYS_gettimeofday, BAD_PTR, NULL), EFAULT);
}

static void cpu_time(void)
{
    /* Process CPU time advances while this process computes. */
    long long start = now(CLOCK_PROCESS_CPUTIME_ID);
    long long wall = now(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (now(CLOCK_MONOTONIC) - wall < 20000000)
        for (int i = 0; i < 10000; i++)
            x += i;
    CHECK_GT(now(CLOCK_PROCESS_CPUTIME_ID), start);
    CHECK_GT(now(CLOCK_THREAD_CPUTIME_ID), 0);
}

static void bad_clocks(void)
{
    struct timespec t;
    CHECK_ERR(clock_gettime(100, &t), EINVAL);
    CHECK_ERR(syscall(SYS_clock_gettime, 100, &t), EINVAL);
    CHECK_ERR(syscall(SYS_clock_getres, 100, &t), EINVAL);
    CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR), EFAULT);
}

static void sleeping(void)
{
    struct timespec req = {0, 10000000}, rem = {5, 5};
    long long start = now(CLOCK_MONOTONIC);
    CHECK_OK(nanosleep(&req, &rem));
    long long slept = now(CLOCK_MONOTONIC) - start;
    CHECK_GE(slept, 10000000);
    CHECK_LT(slept, 1000000000);
    /* A zero sleep returns at once. */
    req.tv_nsec = 0;
    CHECK_OK(nanosleep(&req, NULL));
    /* Bad times. */
    req.tv_nsec = 1000000000;
    CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
    req.tv_nsec = -1;
    CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
    req = (struct timespec){-1, 0};
    CHECK_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_nanosleep, BAD_PTR, NULL), EFAULT);

    /* clock_nanosleep: relative, absolute (in the past: no wait) and the
     * errors. */
    req = (struct timespec){0, 10000000};
    start = now(CLOCK_MONOTONIC);
    CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL));
    CHECK_GE(now(CLOCK_MONOTONIC) - start, 10000000);
    struct timespec abs;
    CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &abs));
    abs.tv_nsec = (abs.tv_nsec + 20000000) % 1000000000;
    abs.tv_sec += abs.tv_nsec < 20000000;
    CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
    CHECK_GE(now(CLOCK_MONOTONIC), ns(&abs));
    abs.tv_sec -= 10;
    start = now(CLOCK_MONOTONIC);
    CHECK_OK(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
    CHECK_LT(now(CLOCK_MONOTONIC) - start, 500000000);
    CHECK_ERR(syscall(SYS_clock_nanosleep, 100, 0, &req, NULL), EINVAL);
    req.tv_nsec = 1000000000;
    CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), EINVAL);
}

int main(void)
{
    RUN(monotonic);
    RUN(realtime);
    RUN(cpu_time);
    RUN(bad_clocks);
    RUN(sleeping);
    return 0;
}
