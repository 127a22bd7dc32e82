/* Timers and signalfd: alarm, setitimer/getitimer (ITIMER_REAL periodic,
 * coalescing while blocked, ITIMER_PROF), POSIX timers (timer_create with
 * SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE; settime/gettime, absolute
 * CLOCK_REALTIME expirations, overruns and timer_getoverrun, delete, errors),
 * timers across fork and exec, signalfd4 (records, flags, poll, blocking
 * read, mask update, errors), nanosleep interrupted by a handled signal. */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

static const char *g_self; /* this program's path (argv[0]) */

/* Raw timer syscalls: the kernel's timer ids are ints. */
static int ktimer_create(clockid_t clock, struct sigevent *ev, int *id)
{
    return (int)syscall(SYS_timer_create, clock, ev, id);
}

static int ktimer_settime(int id, int flags, const struct itimerspec *v, struct itimerspec *old)
{
    return (int)syscall(SYS_timer_settime, id, flags, v, old);
}

static int ktimer_gettime(int id, struct itimerspec *cur)
{
    return (int)syscall(SYS_timer_gettime, id, cur);
}

static int ktimer_getoverrun(int id)
{
    return (int)syscall(SYS_timer_getoverrun, id);
}

static int ktimer_delete(int id)
{
    return (int)syscall(SYS_timer_delete, id);
}

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long ts_ns(const struct timespec *ts)
{
    return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static struct timespec ms_ts(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    return ts;
}

static void block(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
}

static void unblock(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
}

/* Waits for sig (blocked by the caller) for at most ms: its siginfo. */
static int wait_sig(int sig, long ms, siginfo_t *si)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    struct timespec ts = ms_ts(ms);
    return sigtimedwait(&s, si, &ts);
}

/* Handler bookkeeping. */
static volatile sig_atomic_t g_count;
static volatile int g_last_code, g_last_timerid, g_last_overrun, g_last_int;
static volatile pid_t g_last_tid;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    g_count++;
    g_last_code = si->si_code;
    g_last_timerid = si->si_timerid;
    g_last_overrun = si->si_overrun;
    g_last_int = si->si_value.sival_int;
    g_last_tid = gettid();
}

static void handle(int sig, int flags)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | flags;
    CHECK_OK(sigaction(sig, &sa, NULL));
}

static void reset_handler(int sig)
{
    signal(sig, SIG_DFL);
}

/* Waits (sleeping in sigsuspend) until g_count reaches n or ms pass. */
static void wait_count(int n, long ms)
{
    long long end = now_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
    while (g_count < n && now_ns(CLOCK_MONOTONIC) < end) {
        struct timespec ts = ms_ts(1);
        nanosleep(&ts, NULL);
    }
}

/* ---- alarm ------------------------------------------------------------------ */

static pid_t g_alarm_child;

/* Started first and reaped last: an alarm with the default action kills. */
static void alarm_kills_start(void)
{
    g_alarm_child = CHECK_OK(fork());
    if (g_alarm_child == 0) {
        alarm(1);
        for (;;)
            pause();
    }
}

static void alarm_kills_finish(void)
{
    int status;
    CHECK_EQ(CHECK_OK(waitpid(g_alarm_child, &status, 0)), g_alarm_child);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGALRM);
}

static void alarm_values(void)
{
    CHECK_EQ(alarm(0), 0);
    CHECK_EQ(alarm(100), 0);
    /* What is left, rounded to the nearest second. */
    CHECK_EQ(alarm(50), 100);
    struct itimerval it;
    CHECK_OK(getitimer(ITIMER_REAL, &it));
    CHECK_EQ(it.it_interval.tv_sec, 0);
    CHECK_EQ(it.it_interval.tv_usec, 0);
    CHECK(it.it_value.tv_sec >= 49 && it.it_value.tv_sec <= 50);
    CHECK_EQ(alarm(0), 50);
    CHECK_EQ(alarm(0), 0);
    CHECK_OK(getitimer(ITIMER_REAL, &it));
    CHECK_EQ(it.it_value.tv_sec, 0);
    CHECK_EQ(it.it_value.tv_usec, 0);

    /* A short itimer shows up as alarm's 1 (never 0 while armed). */
    struct itimerval v = {{0, 0}, {0, 300000}};
    CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
    CHECK_EQ(alarm(0), 1);
}

/* SIGALRM from an itimer: si_code SI_KERNEL. */
static void itimer_real_siginfo(void)
{
    handle(SIGALRM, 0);
    g_count = 0;
    struct itimerval v = {{0, 0}, {0, 20000}};
    CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
    wait_count(1, 2000);
    CHECK_EQ(g_count, 1);
    CHECK_EQ(g_last_code, SI_KERNEL);
    struct itimerval it;
    CHECK_OK(getitimer(ITIMER_REAL, &it));
    CHECK_EQ(it.it_value.tv_sec, 0);
    CHECK_EQ(it.it_value.tv_usec, 0);
    reset_handler(SIGALRM);
}

static void itimer_real_periodic(void)
{
    handle(SIGALRM, SA_RESTART);
    g_count = 0;
    struct itimerval v = {{0, 10000}, {0, 10000}}, old;
    CHECK_OK(setitimer(ITIMER_REAL, &v, &old));
    CHECK_EQ(old.it_value.tv_sec, 0);
    CHECK_EQ(old.it_value.tv_usec, 0);
    struct itimerval it;
    CHECK_OK(getitimer(ITIMER_REAL, &it));
    CHECK_EQ(it.it_interval.tv_sec, 0);
    CHECK_EQ(it.it_interval.tv_usec, 10000);
    CHECK(it.it_value.tv_usec > 0 && it.it_value.tv_usec <= 10000);
    wait_count(5, 2000);
    CHECK_GE(g_count, 5);

    /* Blocked, the expirations coalesce into one pending SIGALRM. */
    block(SIGALRM);
    g_count = 0;
    check_sleep_ms(60);
    CHECK_EQ(g_count, 0);
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGALRM));
    struct itimerval zero = {{0, 0}, {0, 0}};
    CHECK_OK(setitimer(ITIMER_REAL, &zero, &old));
    CHECK_EQ(old.it_interval.tv_usec, 10000);
    /* (Linux stops the timer until the pending SIGALRM is taken: 0 then.) */
    CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_usec <= 10000);
    unblock(SIGALRM);
    CHECK_EQ(g_count, 1);
    /* Disarmed: nothing more, and the interval is forgotten. */
    check_sleep_ms(30);
    CHECK_EQ(g_count, 1);
    CHECK_OK(getitimer(ITIMER_REAL, &it));
    CHECK_EQ(it.it_value.tv_usec, 0);
    CHECK_EQ(it.it_interval.tv_usec, 0);
    reset_handler(SIGALRM);
}

static void itimer_prof(void)
{
    handle(SIGPROF, 0);
    g_count = 0;
    struct itimerval v = {{0, 0}, {0, 10000}};
    CHECK_OK(setitimer(ITIMER_PROF, &v, NULL));
    struct itimerval it;
    CHECK_OK(getitimer(ITIMER_PROF, &it));
    CHECK(it.it_value.tv_sec == 0 && it.it_value.tv_usec > 0);
    /* Burn CPU until it fires (at most 2 s). */
    long long end = now_ns(CLOCK_MONOTONIC) + 2000000000LL;
    while (!g_count && now_ns(CLOCK_MONOTONIC) < end) {
    }
    CHECK_EQ(g_count, 1);
    CHECK_EQ(g_last_code, SI_KERNEL);
    reset_handler(SIGPROF);

    /* ITIMER_VIRTUAL is accepted too. */
    struct itimerval vv = {{1, 0}, {100, 0}};
    CHECK_OK(setitimer(ITIMER_VIRTUAL, &vv, NULL));
    CHECK_OK(getitimer(ITIMER_VIRTUAL, &it));
    CHECK_EQ(it.it_interval.tv_sec, 1);
    CHECK(it.it_value.tv_sec >= 99 && it.it_value.tv_sec <= 100);
    struct itimerval zero = {{0, 0}, {0, 0}};
    CHECK_OK(setitimer(ITIMER_VIRTUAL, &zero, NULL));
    CHECK_OK(getitimer(ITIMER_VIRTUAL, &it));
    CHECK_EQ(it.it_value.tv_sec, 0);
    CHECK_EQ(it.it_value.tv_usec, 0);
}

static void itimer_errors(void)
{
    struct itimerval v = {{0, 0}, {0, 0}}, it;
    CHECK_ERR(syscall(SYS_setitimer, 3, &v, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_setitimer, -1, &v, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_getitimer, 3, &it), EINVAL);
    CHECK_ERR(syscall(SYS_getitimer, ITIMER_REAL, BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_setitimer, ITIMER_REAL, BAD_PTR, NULL), EFAULT);
    struct itimerval bad = {{0, 0}, {0, 1000000}};
    CHECK_ERR(syscall(SYS_setitimer, ITIMER_REAL, &bad, NULL), EINVAL);
    struct itimerval neg = {{0, 0}, {-1, 0}};
    CHECK_ERR(syscall(SYS_setitimer, ITIMER_REAL, &neg, NULL), EINVAL);
    struct itimerval badi = {{0, -1}, {1, 0}};
    CHECK_ERR(syscall(SYS_setitimer, ITIMER_REAL, &badi, NULL), EINVAL);
}

/* ---- POSIX timers ------------------------------------------------------------ */

static void posix_signal(void)
{
    int sig = SIGRTMIN + 1;
    handle(sig, 0);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = 0x5eed;
    int id = -1;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    CHECK_GE(id, 0);
    /* Created disarmed. */
    struct itimerspec cur;
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK_EQ(ts_ns(&cur.it_value), 0);
    CHECK_EQ(ts_ns(&cur.it_interval), 0);

    g_count = 0;
    struct itimerspec v = {.it_value = ms_ts(20)};
    CHECK_OK(ktimer_settime(id, 0, &v, NULL));
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 20000000);
    wait_count(1, 2000);
    CHECK_EQ(g_count, 1);
    CHECK_EQ(g_last_code, SI_TIMER);
    CHECK_EQ(g_last_timerid, id);
    CHECK_EQ(g_last_overrun, 0);
    CHECK_EQ(g_last_int, 0x5eed);
    CHECK_EQ(ktimer_getoverrun(id), 0);
    /* A one-shot timer is disarmed after it fired. */
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK_EQ(ts_ns(&cur.it_value), 0);

    /* Periodic; settime reports the old setting. */
    struct itimerspec p = {.it_value = ms_ts(5), .it_interval = ms_ts(5)}, old;
    g_count = 0;
    CHECK_OK(ktimer_settime(id, 0, &p, &old));
    CHECK_EQ(ts_ns(&old.it_value), 0);
    wait_count(4, 2000);
    CHECK_GE(g_count, 4);
    struct itimerspec zero = {0};
    CHECK_OK(ktimer_settime(id, 0, &zero, &old));
    CHECK_EQ(ts_ns(&old.it_interval), 5000000);
    CHECK(ts_ns(&old.it_value) > 0 && ts_ns(&old.it_value) <= 5000000);
    CHECK_OK(ktimer_delete(id));
    CHECK_ERR(ktimer_gettime(id, &cur), EINVAL);
    CHECK_ERR(ktimer_delete(id), EINVAL);
    reset_handler(sig);

    /* No sigevent: SIGALRM with the timer id as the value. */
    handle(SIGALRM, 0);
    CHECK_OK(ktimer_create(CLOCK_REALTIME, NULL, &id));
    g_count = 0;
    v.it_value = ms_ts(5);
    CHECK_OK(ktimer_settime(id, 0, &v, NULL));
    wait_count(1, 2000);
    CHECK_EQ(g_count, 1);
    CHECK_EQ(g_last_code, SI_TIMER);
    CHECK_EQ(g_last_timerid, id);
    CHECK_EQ(g_last_int, id);
    CHECK_OK(ktimer_delete(id));
    reset_handler(SIGALRM);
}

/* Ids: the lowest free one is not required, but two timers differ. */
static void posix_ids_and_errors(void)
{
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    int a, b;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &a));
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &b));
    CHECK_NE(a, b);
    CHECK_OK(ktimer_delete(a));
    CHECK_OK(ktimer_delete(b));

    int id;
    CHECK_ERR(ktimer_create(12345, &ev, &id), EINVAL);
    CHECK_ERR(ktimer_create(CLOCK_MONOTONIC_RAW, &ev, &id), EOPNOTSUPP);
    CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, BAD_PTR, &id), EFAULT);
    struct sigevent bad = {0};
    bad.sigev_notify = 99;
    CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    bad.sigev_notify = SIGEV_SIGNAL;
    bad.sigev_signo = 0;
    CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    bad.sigev_signo = 65;
    CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    /* SIGEV_THREAD_ID needs a thread of this process. */
    pid_t child = CHECK_OK(fork());
    if (child == 0) {
        pause();
        _exit(0);
    }
    bad.sigev_notify = SIGEV_THREAD_ID;
    bad.sigev_signo = SIGUSR1;
    bad._sigev_un._tid = child;
    CHECK_ERR(ktimer_create(CLOCK_MONOTONIC, &bad, &id), EINVAL);
    CHECK_OK(kill(child, SIGKILL));
    CHECK_OK(waitpid(child, NULL, 0));

    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec v = {.it_value = {0, 1000000000L}};
    CHECK_ERR(ktimer_settime(id, 0, &v, NULL), EINVAL);
    v.it_value.tv_nsec = -1;
    CHECK_ERR(ktimer_settime(id, 0, &v, NULL), EINVAL);
    struct itimerspec vi = {.it_value = {1, 0}, .it_interval = {-1, 0}};
    CHECK_ERR(ktimer_settime(id, 0, &vi, NULL), EINVAL);
    CHECK_ERR(ktimer_settime(id, 0, NULL, NULL), EINVAL);
    CHECK_ERR(ktimer_settime(id, 0, BAD_PTR, NULL), EFAULT);
    CHECK_ERR(ktimer_gettime(id, BAD_PTR), EFAULT);
    struct itimerspec ok = {.it_value = {1, 0}};
    CHECK_ERR(ktimer_settime(id + 1000, 0, &ok, NULL), EINVAL);
    CHECK_ERR(ktimer_settime(-1, 0, &ok, NULL), EINVAL);
    CHECK_ERR(ktimer_getoverrun(id + 1000), EINVAL);
    CHECK_OK(ktimer_delete(id));
    CHECK_ERR(ktimer_delete(-1), EINVAL);
}

static void posix_none(void)
{
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    int id;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec v = {.it_value = ms_ts(30)}, cur;
    CHECK_OK(ktimer_settime(id, 0, &v, NULL));
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 30000000);
    check_sleep_ms(40);
    /* Expired: 0, and no signal came (nothing is pending). */
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK_EQ(ts_ns(&cur.it_value), 0);
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGALRM));

    /* Periodic: always some time left, at most an interval. */
    struct itimerspec p = {.it_value = ms_ts(2), .it_interval = ms_ts(7)};
    CHECK_OK(ktimer_settime(id, 0, &p, NULL));
    check_sleep_ms(20);
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 7000000);
    CHECK_EQ(ts_ns(&cur.it_interval), 7000000);
    CHECK_OK(ktimer_delete(id));
}

static volatile pid_t g_thread_tid;
static volatile int g_thread_sig, g_thread_code;

static void *thread_waits(void *arg)
{
    int sig = (int)(long)arg;
    g_thread_tid = gettid();
    siginfo_t si;
    g_thread_sig = wait_sig(sig, 2000, &si);
    g_thread_code = si.si_code;
    return NULL;
}

static void posix_thread_id(void)
{
    int sig = SIGRTMIN + 2;
    block(sig); /* every thread: only sigtimedwait takes it */
    g_thread_tid = 0;
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, thread_waits, (void *)(long)sig), 0);
    while (!g_thread_tid)
        check_sleep_ms(1);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
    ev._sigev_un._tid = g_thread_tid;
    int id;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec v = {.it_value = ms_ts(10)};
    CHECK_OK(ktimer_settime(id, 0, &v, NULL));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(g_thread_sig, sig);
    CHECK_EQ(g_thread_code, SI_TIMER);
    /* It went to that thread only. */
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, sig));
    CHECK_OK(ktimer_delete(id));
    unblock(sig);
}

static void posix_overrun(void)
{
    int sig = SIGRTMIN + 3;
    block(sig);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    ev.sigev_value.sival_int = 77;
    int id;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec p = {.it_value = ms_ts(1), .it_interval = ms_ts(1)};
    CHECK_OK(ktimer_settime(id, 0, &p, NULL));
    check_sleep_ms(60);
    /* One signal queued, however many expirations. */
    siginfo_t si;
    CHECK_EQ(wait_sig(sig, 1000, &si), sig);
    CHECK_EQ(si.si_code, SI_TIMER);
    CHECK_EQ(si.si_value.sival_int, 77);
    CHECK_GE(si.si_overrun, 20);
    CHECK_LE(si.si_overrun, 100);
    CHECK_EQ(ktimer_getoverrun(id), si.si_overrun);
    struct itimerspec zero = {0};
    CHECK_OK(ktimer_settime(id, 0, &zero, NULL));
    CHECK_OK(ktimer_delete(id));
    /* Nothing else was queued for it. */
    struct timespec ts = {0, 0};
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_ERR(sigtimedwait(&s, &si, &ts), EAGAIN);
    unblock(sig);
}

static void posix_abstime(void)
{
    int sig = SIGRTMIN + 4;
    block(sig);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = sig;
    int id;
    CHECK_OK(ktimer_create(CLOCK_REALTIME, &ev, &id));
    long long start = now_ns(CLOCK_MONOTONIC);
    long long when = now_ns(CLOCK_REALTIME) + 30000000LL;
    struct itimerspec v = {.it_value = {when / 1000000000LL, when % 1000000000LL}};
    CHECK_OK(ktimer_settime(id, TIMER_ABSTIME, &v, NULL));
    struct itimerspec cur;
    CHECK_OK(ktimer_gettime(id, &cur));
    CHECK(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 30000000);
    siginfo_t si;
    CHECK_EQ(wait_sig(sig, 2000, &si), sig);
    CHECK_GE(now_ns(CLOCK_MONOTONIC) - start, 25000000LL);
    /* An absolute time in the past fires at once. */
    v.it_value.tv_sec = 1;
    v.it_value.tv_nsec = 0;
    start = now_ns(CLOCK_MONOTONIC);
    CHECK_OK(ktimer_settime(id, TIMER_ABSTIME, &v, NULL));
    CHECK_EQ(wait_sig(sig, 2000, &si), sig);
    CHECK_LT(now_ns(CLOCK_MONOTONIC) - start, 500000000LL);
    CHECK_OK(ktimer_delete(id));

    /* CLOCK_MONOTONIC absolute. */
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    start = now_ns(CLOCK_MONOTONIC);
    when = start + 20000000LL;
    v.it_value.tv_sec = when / 1000000000LL;
    v.it_value.tv_nsec = when % 1000000000LL;
    CHECK_OK(ktimer_settime(id, TIMER_ABSTIME, &v, NULL));
    CHECK_EQ(wait_sig(sig, 2000, &si), sig);
    CHECK_GE(now_ns(CLOCK_MONOTONIC) - start, 15000000LL);
    CHECK_OK(ktimer_delete(id));
    unblock(sig);
}

/* fork does not inherit timers. */
static void timers_not_inherited(void)
{
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_NONE;
    int id;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec v = {.it_value = {100, 0}};
    CHECK_OK(ktimer_settime(id, 0, &v, NULL));
    struct itimerval rv = {{0, 0}, {100, 0}};
    CHECK_OK(setitimer(ITIMER_REAL, &rv, NULL));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        struct itimerspec cur;
        struct itimerval it;
        if (ktimer_gettime(id, &cur) != -1 || errno != EINVAL)
            _exit(1);
        if (getitimer(ITIMER_REAL, &it) != 0 || it.it_value.tv_sec || it.it_value.tv_usec)
            _exit(2);
        _exit(0);
    }
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_OK(ktimer_delete(id));
    CHECK_EQ(alarm(0), 100);
}

/* execve deletes POSIX timers; alarm survives. The child re-executes this
 * program with "exec-timers" and the timer id. */
static int exec_child(int id)
{
    struct itimerspec cur;
    if (ktimer_gettime(id, &cur) != -1 || errno != EINVAL) {
        fprintf(stderr, "POSIX timer %d survived execve\n", id);
        return 1;
    }
    unsigned left = alarm(0);
    if (left < 99 || left > 100) {
        fprintf(stderr, "alarm after execve: %u s left, expected 100\n", left);
        return 2;
    }
    return 0;
}

static void timers_across_exec(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        struct sigevent ev = {0};
        ev.sigev_notify = SIGEV_NONE;
        int id;
        if (ktimer_create(CLOCK_MONOTONIC, &ev, &id) != 0)
            _exit(10);
        struct itimerspec v = {.it_value = {100, 0}};
        if (ktimer_settime(id, 0, &v, NULL) != 0)
            _exit(11);
        alarm(100);
        char ids[16];
        snprintf(ids, sizeof(ids), "%d", id);
        execl(g_self, g_self, "exec-timers", ids, (char *)NULL);
        _exit(12);
    }
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
}

/* ---- signalfd ----------------------------------------------------------------- */

static void signalfd_basics(void)
{
    block(SIGUSR1);
    block(SIGUSR2);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    int fd = CHECK_OK(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR | O_NONBLOCK);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode, 0600);
    struct signalfd_siginfo rec[4];
    CHECK_ERR(read(fd, rec, sizeof(rec)), EAGAIN);
    struct pollfd pfd = {fd, POLLIN, 0};
    CHECK_EQ(CHECK_OK(poll(&pfd, 1, 0)), 0);

    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_OK(kill(getpid(), SIGUSR2)); /* not in the mask */
    CHECK_EQ(CHECK_OK(poll(&pfd, 1, 0)), 1);
    CHECK_EQ(pfd.revents, POLLIN);
    CHECK_ERR(read(fd, rec, sizeof(rec[0]) - 1), EINVAL);
    CHECK_EQ(CHECK_OK(read(fd, rec, sizeof(rec))), sizeof(rec[0]));
    CHECK_EQ(rec[0].ssi_signo, SIGUSR1);
    CHECK_EQ(rec[0].ssi_code, SI_USER);
    CHECK_EQ(rec[0].ssi_pid, getpid());
    CHECK_EQ(rec[0].ssi_uid, getuid());
    CHECK_ERR(read(fd, rec, sizeof(rec)), EAGAIN);
    /* Taken from the queue; SIGUSR2 is still pending. */
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR1));
    CHECK(sigismember(&pend, SIGUSR2));

    /* Changing the mask of an existing signalfd. */
    sigaddset(&mask, SIGUSR2);
    CHECK_EQ(CHECK_OK(signalfd(fd, &mask, 0)), fd);
    CHECK_EQ(CHECK_OK(read(fd, rec, sizeof(rec))), sizeof(rec[0]));
    CHECK_EQ(rec[0].ssi_signo, SIGUSR2);

    /* Queued RT signals: one record each, in order, with their values. */
    int rt = SIGRTMIN + 5;
    block(rt);
    sigaddset(&mask, rt);
    CHECK_EQ(CHECK_OK(signalfd(fd, &mask, 0)), fd);
    for (int i = 0; i < 3; i++) {
        union sigval val = {.sival_int = 100 + i};
        CHECK_OK(sigqueue(getpid(), rt, val));
    }
    CHECK_EQ(CHECK_OK(read(fd, rec, sizeof(rec))), 3 * sizeof(rec[0]));
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(rec[i].ssi_signo, rt);
        CHECK_EQ(rec[i].ssi_code, SI_QUEUE);
        CHECK_EQ(rec[i].ssi_int, 100 + i);
        CHECK_EQ(rec[i].ssi_pid, getpid());
    }

    /* A timer's signal through the signalfd. */
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = rt;
    ev.sigev_value.sival_int = 4242;
    int id;
    CHECK_OK(ktimer_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec v = {.it_value = ms_ts(5)};
    CHECK_OK(ktimer_settime(id, 0, &v, NULL));
    CHECK_EQ(CHECK_OK(poll(&pfd, 1, 2000)), 1);
    CHECK_EQ(CHECK_OK(read(fd, rec, sizeof(rec))), sizeof(rec[0]));
    CHECK_EQ(rec[0].ssi_signo, rt);
    CHECK_EQ(rec[0].ssi_code, SI_TIMER);
    CHECK_EQ(rec[0].ssi_tid, id);
    CHECK_EQ(rec[0].ssi_int, 4242);
    CHECK_EQ(rec[0].ssi_overrun, 0);
    CHECK_OK(ktimer_delete(id));
    CHECK_OK(close(fd));
    unblock(rt);
    unblock(SIGUSR1);
    unblock(SIGUSR2);
}

static void signalfd_errors(void)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    CHECK_ERR(syscall(SYS_signalfd4, -1, &mask, 8, 0x1234), EINVAL);
    CHECK_ERR(syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL);
    CHECK_ERR(syscall(SYS_signalfd4, -1, BAD_PTR, 8, 0), EFAULT);
    CHECK_ERR(syscall(SYS_signalfd4, 999, &mask, 8, 0), EBADF);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(syscall(SYS_signalfd4, p[0], &mask, 8, 0), EINVAL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    /* Plain signalfd (no flags). */
    int fd = CHECK_OK(syscall(SYS_signalfd, -1, &mask, 8));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), 0);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR);
    CHECK_OK(close(fd));
}

static void *send_later(void *arg)
{
    check_sleep_ms(30);
    kill(getpid(), (int)(long)arg);
    return NULL;
}

/* A blocking read and a poll wait for a signal sent later by another thread. */
static void signalfd_wait(void)
{
    block(SIGUSR1);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    int fd = CHECK_OK(signalfd(-1, &mask, 0));
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, send_later, (void *)(long)SIGUSR1), 0);
    struct signalfd_siginfo rec;
    CHECK_EQ(CHECK_OK(read(fd, &rec, sizeof(rec))), sizeof(rec));
    CHECK_EQ(rec.ssi_signo, SIGUSR1);
    CHECK_EQ(rec.ssi_code, SI_USER);
    CHECK_EQ(pthread_join(th, NULL), 0);

    CHECK_EQ(pthread_create(&th, NULL, send_later, (void *)(long)SIGUSR1), 0);
    struct pollfd pfd = {fd, POLLIN, 0};
    long long start = now_ns(CLOCK_MONOTONIC);
    CHECK_EQ(CHECK_OK(poll(&pfd, 1, 2000)), 1);
    CHECK_LT(now_ns(CLOCK_MONOTONIC) - start, 1000000000LL);
    CHECK_EQ(pfd.revents, POLLIN);
    CHECK_EQ(CHECK_OK(read(fd, &rec, sizeof(rec))), sizeof(rec));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_OK(close(fd));
    unblock(SIGUSR1);
}

/* ---- nanosleep and a handled signal ---------------------------------------- */

static void nanosleep_eintr(void)
{
    handle(SIGALRM, 0);
    struct itimerval v = {{0, 0}, {0, 50000}};
    CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
    struct timespec req = {2, 0}, rem = {0, 0};
    CHECK_ERR(nanosleep(&req, &rem), EINTR);
    CHECK_GT(ts_ns(&rem), 1500000000LL);
    CHECK_LT(ts_ns(&rem), 2000000000LL);
    /* SA_RESTART does not restart nanosleep either. */
    handle(SIGALRM, SA_RESTART);
    CHECK_OK(setitimer(ITIMER_REAL, &v, NULL));
    CHECK_ERR(nanosleep(&req, &rem), EINTR);
    CHECK_GT(ts_ns(&rem), 1500000000LL);
    reset_handler(SIGALRM);
}

int main(int argc, char **argv)
{
    g_self = argv[0];
    if (argc == 3 && strcmp(argv[1], "exec-timers") == 0)
        return exec_child(atoi(argv[2]));
    RUN(alarm_kills_start);
    RUN(alarm_values);
    RUN(itimer_real_siginfo);
    RUN(itimer_real_periodic);
    RUN(itimer_prof);
    RUN(itimer_errors);
    RUN(posix_signal);
    RUN(posix_ids_and_errors);
    RUN(posix_none);
    RUN(posix_thread_id);
    RUN(posix_overrun);
    RUN(posix_abstime);
    RUN(timers_not_inherited);
    RUN(timers_across_exec);
    RUN(signalfd_basics);
    RUN(signalfd_errors);
    RUN(signalfd_wait);
    RUN(nanosleep_eintr);
    RUN(alarm_kills_finish);
    return 0;
}
