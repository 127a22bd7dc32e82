/* CPU time: getrusage (self, children, thread), times(), wait4's rusage,
 * CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID, clock_getcpuclockid
 * and pthread_getcpuclockid. Spinning counts; sleeping does not. */
#include "check.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

static int64_t ns_of(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    CHECK_OK(clock_gettime(c, &ts));
    return ns_of(ts);
}

static int64_t tv_ns(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/* Spins in user space for about ms of wall time (the clock is read rarely,
 * so nearly all of it is application time). */
static void spin(int ms)
{
    int64_t end = clock_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
    volatile uint64_t x = 0;
    do {
        for (int i = 0; i < 2000000; i++)
            x += (uint64_t)i;
    } while (clock_ns(CLOCK_MONOTONIC) < end);
}

#define MS 1000000LL

static void self_times(void)
{
    int64_t p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    spin(300);
    int64_t p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    CHECK_GE(p1 - p0, 150 * MS);
    CHECK_GE(t1 - t0, 150 * MS);
    struct rusage ru;
    CHECK_OK(getrusage(RUSAGE_SELF, &ru));
    CHECK_GE(tv_ns(ru.ru_utime), 150 * MS);
    CHECK_OK(getrusage(RUSAGE_THREAD, &ru));
    CHECK_GE(tv_ns(ru.ru_utime), 150 * MS);
    struct tms tm;
    CHECK(times(&tm) != (clock_t)-1);
    CHECK_GE(tm.tms_utime, 15); /* USER_HZ 100 */
    /* Sleeping is not CPU time. */
    struct timespec nap = {0, 300 * MS};
    CHECK_OK(nanosleep(&nap, NULL));
    int64_t p2 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    CHECK_GE(p2, p1);
    CHECK_LT(p2 - p1, 150 * MS);
    struct timespec res;
    CHECK_OK(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res));
    CHECK_EQ(res.tv_sec, 0);
    CHECK_GT(res.tv_nsec, 0);
}

static void children_times(void)
{
    struct rusage before;
    CHECK_OK(getrusage(RUSAGE_CHILDREN, &before));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        spin(300);
        _exit(0);
    }
    struct rusage ru;
    int status;
    CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
    CHECK_EQ(status, 0);
    CHECK_GE(tv_ns(ru.ru_utime), 150 * MS);
    struct rusage after;
    CHECK_OK(getrusage(RUSAGE_CHILDREN, &after));
    CHECK_GE(tv_ns(after.ru_utime) - tv_ns(before.ru_utime), 150 * MS);
    struct tms tm;
    CHECK(times(&tm) != (clock_t)-1);
    CHECK_GE(tm.tms_cutime, 15);
}

static void *spinner(void *arg)
{
    spin(300);
    return arg;
}

static void other_clocks(void)
{
    /* A live child's process clock. */
    int p[2];
    CHECK_OK(pipe(p));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        close(p[0]);
        spin(300);
        if (write(p[1], "x", 1) != 1)
            _exit(2);
        pause();
        _exit(0);
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    clockid_t cid;
    CHECK_EQ(clock_getcpuclockid(pid, &cid), 0);
    CHECK_GE(clock_ns(cid), 150 * MS);
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_OK(waitpid(pid, NULL, 0));
    close(p[0]);
    /* Another thread of this process: its own clock, and ours stays ours. */
    int64_t mine0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, spinner, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    int64_t mine1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    CHECK_LT(mine1 - mine0, 150 * MS);
    CHECK_EQ(pthread_create(&th, NULL, spinner, NULL), 0);
    clockid_t tcid;
    CHECK_EQ(pthread_getcpuclockid(th, &tcid), 0);
    CHECK_GE(clock_ns(tcid), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    /* A thread's time stays in its process after it exits. */
    CHECK_GE(clock_ns(CLOCK_PROCESS_CPUTIME_ID), 600 * MS - 300 * MS);
    struct timespec ts;
    CHECK_ERR(clock_gettime((clockid_t)((~(clockid_t)0x3fffff) << 3 | 2), &ts), EINVAL);
}

int main(void)
{
    RUN(self_times);
    RUN(children_times);
    RUN(other_clocks);
    return 0;
}
