/* Blocking pipes and poll/select across processes: a blocked reader or
 * writer woken by another process, EOF and POLLHUP when the last writer
 * exits, PIPE_BUF atomicity with several writers, signals interrupting
 * blocked reads, writes, poll and select (EINTR, SA_RESTART, partial
 * counts, restart with the time left after a stop), SIGPIPE's default
 * action. */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

static char g_buf[1 << 17];

/* Forks a child that sleeps ms, then writes len bytes of g_buf to fd and
 * exits (closing what it holds). */
static pid_t writer_after(int fd, int ms, size_t len)
{
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(ms);
        _exit(write(fd, g_buf, len) == (ssize_t)len ? 0 : 1);
    }
    return c;
}

static void reader_woken(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t c = writer_after(p[1], 50, 5);
    CHECK_OK(close(p[1]));
    long long t0 = check_mono_ns();
    char b[16];
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 5);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    /* The child was the last writer: EOF once it is gone. */
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 0);
    CHECK_OK(close(p[0]));
    check_reap(c);
}

static void writer_woken(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        CHECK_OK(close(p[1]));
        check_sleep_ms(50);
        long total = 0;
        ssize_t r;
        while ((r = read(p[0], g_buf, sizeof(g_buf))) > 0)
            total += r;
        _exit(r == 0 && total == 100000 ? 0 : 1);
    }
    CHECK_OK(close(p[0]));
    /* More than the pipe holds: blocks until the child reads. */
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 100000)), 100000);
    CHECK_OK(close(p[1]));
    check_reap(c);
}

/* Writers of PIPE_BUF or less never interleave. */
static void atomic_writers(void)
{
    enum { WRITERS = 4, RECORDS = 300, SIZE = 100 };
    int p[2];
    CHECK_OK(pipe(p));
    pid_t kids[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        kids[k] = CHECK_OK(fork());
        if (kids[k] == 0) {
            char rec[SIZE];
            memset(rec, 'a' + k, sizeof(rec));
            for (int i = 0; i < RECORDS; i++)
                if (write(p[1], rec, sizeof(rec)) != sizeof(rec))
                    _exit(1);
            _exit(0);
        }
    }
    CHECK_OK(close(p[1]));
    int seen[WRITERS] = {0};
    char rec[SIZE];
    size_t have = 0;
    ssize_t r;
    /* Read in odd-sized pieces; check each whole record. */
    while ((r = read(p[0], rec + have, sizeof(rec) - have < 37 ? sizeof(rec) - have : 37)) > 0) {
        have += (size_t)r;
        if (have < sizeof(rec))
            continue;
        int k = rec[0] - 'a';
        CHECK(k >= 0 && k < WRITERS);
        for (size_t i = 1; i < sizeof(rec); i++)
            if (rec[i] != rec[0])
                FAIL("record from writer %d mixed with '%c' at byte %zu", k, rec[i], i);
        seen[k]++;
        have = 0;
    }
    CHECK_OK(r);
    CHECK_EQ(have, 0);
    for (int k = 0; k < WRITERS; k++) {
        CHECK_EQ(seen[k], RECORDS);
        check_reap(kids[k]);
    }
    CHECK_OK(close(p[0]));
}

static void poll_woken(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t c = writer_after(p[1], 50, 1);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(poll(&f, 1, -1)), 1);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    CHECK_EQ(f.revents, POLLIN);
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 10)), 1);
    check_reap(c);

    /* The last writer exits: POLLHUP wakes the poller. */
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        _exit(0);
    }
    CHECK_OK(close(p[1]));
    f.revents = 0;
    CHECK_EQ(CHECK_OK(poll(&f, 1, 10000)), 1);
    CHECK_EQ(f.revents, POLLHUP);
    check_reap(c);
    CHECK_OK(close(p[0]));

    /* select, on the writer of a full pipe that a child drains. */
    CHECK_OK(pipe2(p, O_NONBLOCK));
    while (write(p[1], g_buf, sizeof(g_buf)) > 0)
        ;
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        _exit(read(p[0], g_buf, 4096) == 4096 ? 0 : 1);
    }
    fd_set w;
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    struct timeval tv = {10, 0};
    CHECK_EQ(CHECK_OK(select(p[1] + 1, NULL, &w, NULL, &tv)), 1);
    CHECK(FD_ISSET(p[1], &w));
    CHECK_LT(tv.tv_sec, 10);
    check_reap(c);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static volatile sig_atomic_t g_usr1;

static void on_usr1(int sig)
{
    g_usr1++;
}

/* A child that sends SIGUSR1 to the parent every 20 ms, then (if data)
 * writes one byte to fd after the fifth; killed by the parent when done. */
static pid_t nagger(int fd, bool data)
{
    pid_t parent = getpid();
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        for (int i = 0;; i++) {
            check_sleep_ms(20);
            kill(parent, SIGUSR1);
            if (data && i == 4 && write(fd, "x", 1) != 1)
                _exit(1);
        }
    }
    return c;
}

static void stop(pid_t c)
{
    int st;
    CHECK_OK(kill(c, SIGKILL));
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void set_usr1(int flags)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = flags};
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    g_usr1 = 0;
}

static void interrupted(void)
{
    int p[2];
    char b[8];
    CHECK_OK(pipe(p));

    /* A blocked read: EINTR without SA_RESTART. */
    set_usr1(0);
    pid_t c = nagger(p[1], false);
    CHECK_ERR(read(p[0], b, sizeof(b)), EINTR);
    CHECK_GE(g_usr1, 1);
    stop(c);

    /* With SA_RESTART the read goes on until data comes. */
    set_usr1(SA_RESTART);
    c = nagger(p[1], true);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 1);
    stop(c);
    CHECK_GE(g_usr1, 1);

    /* A blocked write that moved some data returns the partial count. */
    set_usr1(0);
    c = nagger(p[1], false);
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 100000)), 65536);
    stop(c);
    /* Full and nothing moved: EINTR. */
    set_usr1(0);
    c = nagger(p[1], false);
    CHECK_ERR(write(p[1], g_buf, 10), EINTR);
    stop(c);
    while (CHECK_OK(read(p[0], g_buf, sizeof(g_buf))) == (long)sizeof(g_buf))
        ;

    /* poll and select: EINTR even with SA_RESTART. */
    set_usr1(SA_RESTART);
    c = nagger(p[1], false);
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    CHECK_ERR(poll(&f, 1, -1), EINTR);
    CHECK_ERR(poll(&f, 1, 10000), EINTR);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_ERR(select(p[0] + 1, &r, NULL, NULL, NULL), EINTR);
    stop(c);
    CHECK_GE(g_usr1, 3);

    signal(SIGUSR1, SIG_DFL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

/* A stop and continue (no handler) restarts poll with the same end time
 * (restart_syscall), not the whole timeout: the child's 400 ms poll,
 * stopped from 50 ms to 350 ms, still ends about 400 ms after it began.
 * (select restarts with the time that was left when the stop came: no
 * check, as 50 + 300 + 350 ms is too close to a full restart's 750.) */
static void restart_after_stop(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        long long t0 = check_mono_ns();
        struct pollfd f = {.fd = p[0], .events = POLLIN};
        int r = poll(&f, 1, 400);
        long long ms = (check_mono_ns() - t0) / 1000000;
        _exit(r != 0 ? 1 : ms < 400 ? 2 : ms > 650 ? 3 : 0);
    }
    check_sleep_ms(50);
    CHECK_OK(kill(c, SIGSTOP));
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, WUNTRACED)), c);
    CHECK(WIFSTOPPED(st));
    check_sleep_ms(300);
    CHECK_OK(kill(c, SIGCONT));
    check_reap(c);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void sigpipe_kills(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[0]));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        signal(SIGPIPE, SIG_DFL);
        write(p[1], "x", 1);
        _exit(0);
    }
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGPIPE);
    CHECK_OK(close(p[1]));
}

int main(void)
{
    memset(g_buf, 'z', sizeof(g_buf));
    RUN(reader_woken);
    RUN(writer_woken);
    RUN(atomic_writers);
    RUN(poll_woken);
    RUN(interrupted);
    RUN(restart_after_stop);
    RUN(sigpipe_kills);
    return 0;
}
