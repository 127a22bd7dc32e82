/* timerfd_create, timerfd_settime, timerfd_gettime: clocks and flags
 * (EINVAL, the _ALARM clocks and CAP_WAKE_ALARM), settime's checks and old
 * value, gettime of armed, disarmed and periodic timers, reads (the 8-byte
 * expiration count, EINVAL for short buffers, EAGAIN, blocking, missed
 * periods, absolute expirations in the past, CLOCK_REALTIME absolute
 * times), poll readiness, a blocked read in another process, signals
 * (EINTR, SA_RESTART), /proc/self/fd and fdinfo. */
#include "check.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#define MS 1000000LL

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

static struct timespec ns_ts(long long ns)
{
    return (struct timespec){ns / 1000000000LL, ns % 1000000000LL};
}

/* Arms fd: value and interval in ns. */
static void arm(int fd, int flags, long long value, long long interval)
{
    struct itimerspec its = {.it_value = ns_ts(value), .it_interval = ns_ts(interval)};
    CHECK_OK(timerfd_settime(fd, flags, &its, NULL));
}

static uint64_t read_count(int fd)
{
    uint64_t v = 0;
    CHECK_EQ(CHECK_OK(read(fd, &v, sizeof(v))), 8);
    return v;
}

static short revents(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    CHECK_OK(poll(&p, 1, 0));
    return p.revents;
}

/* Whether the caller has CAP_WAKE_ALARM in its effective set. */
static bool has_wake_alarm(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return false;
    return d[1].effective & (1u << (CAP_WAKE_ALARM - 32));
}

static void create(void)
{
    static const int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
    for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        int fd = CHECK_OK(timerfd_create(clocks[i], 0));
        CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR);
        CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), 0);
        CHECK_OK(close(fd));
    }
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR | O_NONBLOCK);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode & S_IFMT, 0);
    /* Reads need 8 bytes, even empty ones; there is no write. */
    char b[8];
    CHECK_ERR(read(fd, b, 0), EINVAL);
    CHECK_ERR(write(fd, b, 0), EINVAL);
    CHECK_ERR(write(fd, b, 8), EINVAL);
    CHECK_OK(close(fd));
    /* Clocks without timerfds, bad flags. */
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC_RAW, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_TAI, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_REALTIME_COARSE, 0), EINVAL);
    CHECK_ERR(timerfd_create(-1, 0), EINVAL);
    CHECK_ERR(timerfd_create(100, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, O_APPEND), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME), EINVAL);
}

static void alarm_clocks(void)
{
    if (has_wake_alarm()) {
        int fd = CHECK_OK(timerfd_create(CLOCK_REALTIME_ALARM, 0));
        CHECK_OK(close(fd));
        fd = CHECK_OK(timerfd_create(CLOCK_BOOTTIME_ALARM, TFD_NONBLOCK));
        arm(fd, 0, 5 * MS, 0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
        CHECK_EQ(read_count(fd), 1);
        CHECK_OK(close(fd));
    }
    /* Without CAP_WAKE_ALARM: EPERM (in a child that drops it). */
    int keep = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
            _exit(2);
        d[1].effective &= ~(1u << (CAP_WAKE_ALARM - 32));
        if (syscall(SYS_capset, &h, d) < 0)
            _exit(3);
        if (timerfd_create(CLOCK_REALTIME_ALARM, 0) != -1 || errno != EPERM)
            _exit(4);
        if (timerfd_create(CLOCK_BOOTTIME_ALARM, 0) != -1 || errno != EPERM)
            _exit(5);
        /* Other clocks need nothing. */
        if (timerfd_create(CLOCK_MONOTONIC, 0) < 0)
            _exit(6);
        _exit(0);
    }
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_OK(close(keep));
}

static void settime_errors(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    struct itimerspec its = {.it_value = {1, 0}};
    CHECK_ERR(timerfd_settime(fd, 4, &its, NULL), EINVAL);
    CHECK_ERR(timerfd_settime(fd, -1, &its, NULL), EINVAL);
    its.it_value.tv_nsec = 1000000000;
    CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
    its.it_value = (struct timespec){-1, 0};
    CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
    its.it_value = (struct timespec){1, 0};
    its.it_interval = (struct timespec){0, -1};
    CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
    its.it_interval = (struct timespec){0, 0};
    CHECK_ERR(syscall(SYS_timerfd_settime, fd, 0, BAD_PTR, NULL), EFAULT);
    CHECK_ERR(syscall(SYS_timerfd_settime, fd, 0, &its, BAD_PTR), EFAULT);
    struct itimerspec cur;
    CHECK_ERR(syscall(SYS_timerfd_gettime, fd, BAD_PTR), EFAULT);
    /* Not a timerfd: EINVAL; not an fd: EBADF. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(timerfd_settime(p[0], 0, &its, NULL), EINVAL);
    CHECK_ERR(timerfd_gettime(p[0], &cur), EINVAL);
    CHECK_ERR(timerfd_settime(-1, 0, &its, NULL), EBADF);
    CHECK_ERR(timerfd_gettime(-1, &cur), EBADF);
    int opath = CHECK_OK(open("/dev/null", O_PATH));
    CHECK_ERR(timerfd_gettime(opath, &cur), EBADF);
    CHECK_OK(close(opath));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_ERR(timerfd_settime(p[0], 0, &its, NULL), EBADF);
    /* No write; reads need 8 bytes. */
    uint64_t v = 1;
    CHECK_ERR(write(fd, &v, sizeof(v)), EINVAL);
    CHECK_ERR(read(fd, &v, 4), EINVAL);
    /* TFD_TIMER_CANCEL_ON_SET is accepted (with or without an absolute
     * CLOCK_REALTIME time). */
    CHECK_OK(timerfd_settime(fd, TFD_TIMER_CANCEL_ON_SET, &its, NULL));
    CHECK_OK(close(fd));
}

static void gettime(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    struct itimerspec cur, old;
    memset(&cur, 0x55, sizeof(cur));
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK_EQ(ts_ns(&cur.it_value), 0);
    CHECK_EQ(ts_ns(&cur.it_interval), 0);
    /* Armed: the time left and the interval. */
    struct itimerspec its = {.it_value = {100, 0}, .it_interval = {1, 500000000}};
    CHECK_OK(timerfd_settime(fd, 0, &its, &old));
    CHECK_EQ(ts_ns(&old.it_value), 0);
    CHECK_EQ(ts_ns(&old.it_interval), 0);
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK_LE(ts_ns(&cur.it_value), 100000 * MS);
    CHECK_GT(ts_ns(&cur.it_value), 99000 * MS);
    CHECK_EQ(ts_ns(&cur.it_interval), 1500 * MS);
    /* Set again: the old setting comes back. */
    its = (struct itimerspec){.it_value = {50, 0}};
    CHECK_OK(timerfd_settime(fd, 0, &its, &old));
    CHECK_GT(ts_ns(&old.it_value), 99000 * MS);
    CHECK_EQ(ts_ns(&old.it_interval), 1500 * MS);
    /* A zero value disarms, but the interval is still reported. */
    its = (struct itimerspec){.it_interval = {2, 0}};
    CHECK_OK(timerfd_settime(fd, 0, &its, &old));
    CHECK_GT(ts_ns(&old.it_value), 49000 * MS);
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK_EQ(ts_ns(&cur.it_value), 0);
    CHECK_EQ(ts_ns(&cur.it_interval), 2000 * MS);
    /* An expired one-shot timer reads 0; a periodic one its next
     * expiration. */
    arm(fd, 0, 1 * MS, 0);
    check_sleep_ms(10);
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK_EQ(ts_ns(&cur.it_value), 0);
    arm(fd, 0, 1 * MS, 30 * MS);
    check_sleep_ms(10);
    CHECK_OK(timerfd_gettime(fd, &cur));
    CHECK_GT(ts_ns(&cur.it_value), 0);
    CHECK_LE(ts_ns(&cur.it_value), 30 * MS);
    /* gettime does not take the count. */
    CHECK_EQ(read_count(fd), 1);
    CHECK_OK(close(fd));
}

static void reads(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
    uint64_t v;
    /* Disarmed, or not expired yet: EAGAIN; not readable. */
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    arm(fd, 0, 10000 * MS, 0);
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), 0);
    /* Expired: POLLIN only (no POLLRDNORM), read once. */
    arm(fd, 0, 1 * MS, 0);
    check_sleep_ms(10);
    CHECK_EQ(revents(fd, POLLIN | POLLRDNORM | POLLOUT), POLLIN);
    uint64_t big[2] = {0, 0x77};
    CHECK_EQ(CHECK_OK(read(fd, big, sizeof(big))), 8);
    CHECK_EQ(big[0], 1);
    CHECK_EQ(big[1], 0x77);
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    CHECK_EQ(revents(fd, POLLIN), 0);

    /* Periodic: missed periods count. */
    long long t0 = now_ns(CLOCK_MONOTONIC);
    arm(fd, 0, 20 * MS, 20 * MS);
    check_sleep_ms(110);
    v = read_count(fd);
    CHECK_GE(v, 5);
    CHECK_LE(v, (now_ns(CLOCK_MONOTONIC) - t0) / (20 * MS));
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    /* settime resets the count. */
    check_sleep_ms(50);
    CHECK_EQ(revents(fd, POLLIN), POLLIN);
    arm(fd, 0, 10000 * MS, 0);
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    /* Disarming too. */
    arm(fd, 0, 1 * MS, 0);
    check_sleep_ms(5);
    arm(fd, 0, 0, 0);
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);

    /* An absolute time in the past: expired at once, with every period
     * since. */
    t0 = now_ns(CLOCK_MONOTONIC);
    arm(fd, TFD_TIMER_ABSTIME, t0 - 1000 * MS, 100 * MS);
    v = read_count(fd);
    CHECK_GE(v, 11);
    CHECK_LE(v, 1 + (now_ns(CLOCK_MONOTONIC) - t0 + 1000 * MS) / (100 * MS));
    CHECK_OK(close(fd));

    /* Blocking: a one-shot timer, then a periodic one. */
    fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    t0 = now_ns(CLOCK_MONOTONIC);
    arm(fd, 0, 30 * MS, 0);
    CHECK_EQ(read_count(fd), 1);
    CHECK_GE(now_ns(CLOCK_MONOTONIC) - t0, 30 * MS);
    t0 = now_ns(CLOCK_MONOTONIC);
    arm(fd, 0, 10 * MS, 10 * MS);
    for (int i = 0; i < 3; i++)
        CHECK_GE(read_count(fd), 1);
    CHECK_GE(now_ns(CLOCK_MONOTONIC) - t0, 30 * MS);
    CHECK_OK(close(fd));

    /* CLOCK_REALTIME with an absolute time. */
    fd = CHECK_OK(timerfd_create(CLOCK_REALTIME, 0));
    t0 = now_ns(CLOCK_MONOTONIC);
    arm(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, now_ns(CLOCK_REALTIME) + 40 * MS, 0);
    CHECK_EQ(read_count(fd), 1);
    CHECK_GE(now_ns(CLOCK_MONOTONIC) - t0, 30 * MS);
    CHECK_OK(close(fd));

    /* CLOCK_BOOTTIME, relative. */
    fd = CHECK_OK(timerfd_create(CLOCK_BOOTTIME, 0));
    arm(fd, 0, 5 * MS, 0);
    CHECK_EQ(read_count(fd), 1);
    CHECK_OK(close(fd));
}

static void poll_wait(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    arm(fd, 0, 40 * MS, 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
    CHECK_GE(now_ns(CLOCK_MONOTONIC) - t0, 39 * MS);
    CHECK_EQ(p.revents, POLLIN);
    CHECK_EQ(read_count(fd), 1);
    /* Nothing more: a short poll times out. */
    CHECK_EQ(CHECK_OK(poll(&p, 1, 20)), 0);
    CHECK_OK(close(fd));
}

static void other_process(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        uint64_t v = 0;
        _exit(read(fd, &v, 8) == 8 && v == 1 ? 0 : 1);
    }
    check_sleep_ms(20);
    arm(fd, 0, 20 * MS, 0);
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_OK(close(fd));
}

static volatile sig_atomic_t g_sigs;

static void on_sig(int sig)
{
    g_sigs++;
}

static void signals(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    struct sigaction sa = {.sa_handler = on_sig}, old;
    CHECK_OK(sigaction(SIGALRM, &sa, &old));
    /* No SA_RESTART: EINTR. */
    struct itimerval it = {.it_value = {0, 30000}, .it_interval = {0, 30000}};
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    uint64_t v;
    CHECK_ERR(read(fd, &v, sizeof(v)), EINTR);
    it = (struct itimerval){0};
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    CHECK_GE(g_sigs, 1);
    /* SA_RESTART: the read goes on until the timerfd expires. */
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    int before = g_sigs;
    arm(fd, 0, 80 * MS, 0);
    it = (struct itimerval){.it_value = {0, 20000}};
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    CHECK_EQ(read_count(fd), 1);
    CHECK_EQ(g_sigs, before + 1);
    CHECK_OK(sigaction(SIGALRM, &old, NULL));
    CHECK_OK(close(fd));
}

static void proc_files(void)
{
    int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0) {
        CHECK_OK(close(fd));
        return; /* no /proc */
    }
    buf[n] = 0;
    CHECK_STR(buf, "anon_inode:[timerfd]");
    arm(fd, TFD_TIMER_ABSTIME, now_ns(CLOCK_MONOTONIC) + 100000 * MS, 3 * MS);
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    if (check_read_text(path, buf, sizeof(buf))) {
        CHECK(strstr(buf, "clockid: 1\n") != NULL);
        CHECK(strstr(buf, "ticks: 0\n") != NULL);
        CHECK(strstr(buf, "settime flags: 01\n") != NULL);
        CHECK(strstr(buf, "it_interval: (0, 3000000)\n") != NULL);
    }
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(create);
    RUN(alarm_clocks);
    RUN(settime_errors);
    RUN(gettime);
    RUN(reads);
    RUN(poll_wait);
    RUN(other_process);
    RUN(signals);
    RUN(proc_files);
    return 0;
}
