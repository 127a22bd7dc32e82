/* poll, ppoll, select, pselect6 in one process: readiness of pipes (empty,
 * full, POLLHUP, POLLERR), /dev/null, regular files and stdin; POLLNVAL and
 * negative fds; EBADF/EINVAL/EFAULT; timeouts (zero and short, with the
 * time left written back); signal masks of ppoll and pselect6. Waking by
 * another process: pipe_block.c. */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

static char g_buf[1 << 16];

/* revents of fd for events, without waiting. */
static short revents(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events, .revents = 0x5555};
    int n = CHECK_OK(poll(&p, 1, 0));
    CHECK_EQ(n, p.revents != 0);
    return p.revents;
}

static void pipe_states(void)
{
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    /* Empty: the reader is not ready, the writer is. */
    CHECK_EQ(revents(p[0], POLLIN | POLLOUT), 0);
    CHECK_EQ(revents(p[1], POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM), POLLOUT | POLLWRNORM);
    CHECK_EQ(revents(p[1], POLLIN), 0);
    /* Data: POLLIN (and POLLRDNORM when asked). */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    CHECK_EQ(revents(p[0], POLLIN), POLLIN);
    CHECK_EQ(revents(p[0], POLLIN | POLLRDNORM | POLLPRI), POLLIN | POLLRDNORM);
    /* Full: the writer is not ready any more. */
    while (write(p[1], g_buf, sizeof(g_buf)) > 0)
        ;
    CHECK_EQ(revents(p[1], POLLOUT), 0);
    /* A page read makes room again. */
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 4096)), 4096);
    CHECK_EQ(revents(p[1], POLLOUT), POLLOUT);
    while (read(p[0], g_buf, sizeof(g_buf)) > 0)
        ;
    CHECK_EQ(revents(p[0], POLLIN), 0);

    /* The writer closes: POLLHUP (always reported, even unasked), with
     * POLLIN while data is left. */
    CHECK_EQ(CHECK_OK(write(p[1], "ab", 2)), 2);
    CHECK_OK(close(p[1]));
    CHECK_EQ(revents(p[0], POLLIN), POLLIN | POLLHUP);
    CHECK_EQ(revents(p[0], 0), POLLHUP);
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 10)), 2);
    CHECK_EQ(revents(p[0], POLLIN), POLLHUP);
    CHECK_OK(close(p[0]));

    /* The reader closes: POLLERR for the writer (always reported). */
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[0]));
    CHECK_EQ(revents(p[1], POLLOUT), POLLOUT | POLLERR);
    CHECK_EQ(revents(p[1], 0), POLLERR);
    CHECK_OK(close(p[1]));
}

static void other_files(void)
{
    /* Files without their own readiness are always ready. */
    int null = CHECK_OK(open("/dev/null", O_RDWR));
    CHECK_EQ(revents(null, POLLIN | POLLOUT), POLLIN | POLLOUT);
    CHECK_EQ(revents(null, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI),
             POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
    int reg = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_EQ(revents(reg, POLLIN | POLLOUT), POLLIN | POLLOUT);
    int dir = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
    CHECK_EQ(revents(dir, POLLIN), POLLIN);
    /* stdin is /dev/null (the runner's, a host file in the sandbox). */
    CHECK_EQ(revents(0, POLLIN), POLLIN);
    CHECK_OK(close(null));
    CHECK_OK(close(reg));
    CHECK_OK(close(dir));
}

static void poll_args(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    int closed = CHECK_OK(dup(0));
    CHECK_OK(close(closed));
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    struct pollfd f[4] = {
        {.fd = p[0], .events = POLLIN},
        {.fd = closed, .events = POLLIN},
        {.fd = -1, .events = POLLIN, .revents = 0x77},
        {.fd = p[1], .events = POLLIN},
    };
    /* A closed fd is POLLNVAL (and counts), a negative one is skipped. */
    CHECK_EQ(CHECK_OK(poll(f, 4, -1)), 2);
    CHECK_EQ(f[0].revents, POLLIN);
    CHECK_EQ(f[1].revents, POLLNVAL);
    CHECK_EQ(f[2].revents, 0);
    CHECK_EQ(f[3].revents, 0);
    /* The same fd twice counts twice. */
    struct pollfd g[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[0], .events = POLLIN}};
    CHECK_EQ(CHECK_OK(poll(g, 2, 0)), 2);
    /* No fds: a sleep. */
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(poll(NULL, 0, 20)), 0);
    CHECK_GE(check_mono_ns() - t0, 20000000LL);
    /* Errors. */
    CHECK_ERR(poll(BAD_PTR, 1, 0), EFAULT);
    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK_ERR(syscall(SYS_poll, NULL, (unsigned long)rl.rlim_cur + 1, 0), EINVAL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void poll_timeout(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(poll(&f, 1, 50)), 0);
    CHECK_GE(check_mono_ns() - t0, 50000000LL);
    CHECK_EQ(f.revents, 0);
    /* Ready at once: no wait at all. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(poll(&f, 1, 10000)), 1);
    CHECK_LT(check_mono_ns() - t0, 5000000000LL);

    /* ppoll: the timespec is checked, and the time left written back. */
    struct timespec ts = {0, 1000000000};
    CHECK_ERR(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), EINVAL);
    ts = (struct timespec){-1, 0};
    CHECK_ERR(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_ppoll, &f, 1, BAD_PTR, NULL, 8), EFAULT);
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 1)), 1);
    ts = (struct timespec){0, 30000000};
    t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8)), 0);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    CHECK_EQ(ts.tv_sec, 0);
    CHECK_EQ(ts.tv_nsec, 0);
    /* Ready at once: most of the time is left. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    ts = (struct timespec){100, 0};
    CHECK_EQ(CHECK_OK(syscall(SYS_ppoll, &f, 1, &ts, NULL, 8)), 1);
    CHECK_GE(ts.tv_sec, 90);
    CHECK_LE(ts.tv_sec, 100);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void select_basic(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    int hi = p[0] > p[1] ? p[0] : p[1];
    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    /* Timeout 0: look once. The write end is ready, the read end is not. */
    CHECK_EQ(CHECK_OK(select(hi + 1, &r, &w, NULL, &tv)), 1);
    CHECK(!FD_ISSET(p[0], &r));
    CHECK(FD_ISSET(p[1], &w));
    /* Both ready: each set's bit counts. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[1], &r);
    CHECK_EQ(CHECK_OK(select(hi + 1, &r, &w, NULL, &tv)), 2);
    CHECK(FD_ISSET(p[0], &r));
    CHECK(FD_ISSET(p[1], &w));
    CHECK(!FD_ISSET(p[1], &r));
    /* NULL sets, nfds 0: a sleep (with the time left written back). */
    tv = (struct timeval){0, 30000};
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(syscall(SYS_select, 0, NULL, NULL, NULL, &tv)), 0);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    CHECK_EQ(tv.tv_sec, 0);
    CHECK_EQ(tv.tv_usec, 0);
    /* Exceptional conditions: none on a pipe. */
    fd_set e;
    FD_ZERO(&e);
    FD_SET(p[0], &e);
    tv = (struct timeval){0, 0};
    CHECK_EQ(CHECK_OK(select(hi + 1, NULL, NULL, &e, &tv)), 0);
    CHECK(!FD_ISSET(p[0], &e));
    /* The reader goes: the writer is readable and writable (POLLERR). */
    CHECK_OK(close(p[0]));
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[1], &r);
    FD_SET(p[1], &w);
    CHECK_EQ(CHECK_OK(select(hi + 1, &r, &w, NULL, &tv)), 2);
    /* The writer goes: a reader at EOF is readable. */
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[1]));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ(CHECK_OK(select(p[0] + 1, &r, NULL, NULL, &tv)), 1);
    CHECK(FD_ISSET(p[0], &r));
    CHECK_OK(close(p[0]));
}

static void select_timeout(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval tv = {0, 50000};
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv)), 0);
    CHECK_GE(check_mono_ns() - t0, 50000000LL);
    /* The sets are cleared and the time left (none) written back. */
    CHECK(!FD_ISSET(p[0], &r));
    CHECK_EQ(tv.tv_sec, 0);
    CHECK_EQ(tv.tv_usec, 0);
    /* Ready at once: the time left is close to all of it. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    FD_SET(p[0], &r);
    tv = (struct timeval){100, 0};
    CHECK_EQ(CHECK_OK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv)), 1);
    CHECK_GE(tv.tv_sec, 90);
    CHECK_LE(tv.tv_sec, 100);
    /* tv_usec beyond a second is folded in; negative is EINVAL. */
    tv = (struct timeval){0, 1500000};
    CHECK_EQ(CHECK_OK(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv)), 1);
    CHECK_GE(tv.tv_sec, 1);
    tv = (struct timeval){0, -1};
    CHECK_ERR(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv), EINVAL);
    tv = (struct timeval){-1, 0};
    CHECK_ERR(syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &tv), EINVAL);
    /* pselect6: timespec, written back too. */
    struct timespec ts = {0, 30000000};
    FD_ZERO(&r);
    FD_SET(p[1], &r); /* a write end is never readable while a reader lives */
    t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(syscall(SYS_pselect6, p[1] + 1, &r, NULL, NULL, &ts, NULL)), 0);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    CHECK_EQ(ts.tv_sec, 0);
    CHECK_EQ(ts.tv_nsec, 0);
    ts = (struct timespec){0, 1000000000};
    CHECK_ERR(syscall(SYS_pselect6, p[1] + 1, &r, NULL, NULL, &ts, NULL), EINVAL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void select_errors(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    int closed = CHECK_OK(dup(0));
    CHECK_OK(close(closed));
    fd_set r;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(closed, &r);
    int hi = closed > p[1] ? closed : p[1];
    CHECK_ERR(select(hi + 1, &r, NULL, NULL, &tv), EBADF);
    /* A closed fd beyond nfds is not looked at. */
    FD_ZERO(&r);
    FD_SET(p[1], &r);
    FD_SET(closed, &r);
    if (closed > p[1])
        CHECK_EQ(CHECK_OK(select(p[1] + 1, &r, NULL, NULL, &tv)), 0);
    CHECK_ERR(syscall(SYS_select, -1, NULL, NULL, NULL, &tv), EINVAL);
    CHECK_ERR(syscall(SYS_select, p[1] + 1, BAD_PTR, NULL, NULL, &tv), EFAULT);
    CHECK_ERR(syscall(SYS_select, 1, NULL, NULL, NULL, BAD_PTR), EFAULT);
    /* A large nfds with only low fds set works (FD_SETSIZE sets). */
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK_EQ(CHECK_OK(select(FD_SETSIZE, &r, NULL, NULL, &tv)), 0);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static volatile sig_atomic_t g_usr1;

static void on_usr1(int sig)
{
    g_usr1++;
}

static sigset_t blocked_now(void)
{
    sigset_t s;
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &s));
    return s;
}

static void sigmasks(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    struct sigaction sa = {.sa_handler = on_usr1}, old;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    sigset_t usr1, empty, orig;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&empty);
    CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, &orig));
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_usr1, 0);
    struct pollfd f = {.fd = p[0], .events = POLLIN};

    /* A mask that keeps SIGUSR1 blocked: the pending signal does not
     * interrupt; the call times out. */
    struct timespec ts = {0, 10000000};
    CHECK_EQ(CHECK_OK(ppoll(&f, 1, &ts, &usr1)), 0);
    CHECK_EQ(g_usr1, 0);
    /* A mask that unblocks it: EINTR, the handler runs, and the old mask
     * is back afterwards. */
    CHECK_ERR(ppoll(&f, 1, NULL, &empty), EINTR);
    CHECK_EQ(g_usr1, 1);
    sigset_t now = blocked_now();
    CHECK(sigismember(&now, SIGUSR1));
    /* Nothing pending, the pipe ready: returns at once, the mask restored. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    CHECK_EQ(CHECK_OK(ppoll(&f, 1, NULL, &empty)), 1);
    now = blocked_now();
    CHECK(sigismember(&now, SIGUSR1));
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 1)), 1);
    /* Wrong sigset size. */
    CHECK_ERR(syscall(SYS_ppoll, &f, 1, &ts, &empty, 4), EINVAL);
    CHECK_ERR(syscall(SYS_ppoll, &f, 1, &ts, BAD_PTR, 8), EFAULT);

    /* pselect the same way. */
    fd_set r;
    CHECK_OK(raise(SIGUSR1));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ts = (struct timespec){0, 10000000};
    CHECK_EQ(CHECK_OK(pselect(p[0] + 1, &r, NULL, NULL, &ts, &usr1)), 0);
    CHECK_EQ(g_usr1, 1);
    FD_SET(p[0], &r);
    CHECK_ERR(pselect(p[0] + 1, &r, NULL, NULL, NULL, &empty), EINTR);
    CHECK_EQ(g_usr1, 2);
    now = blocked_now();
    CHECK(sigismember(&now, SIGUSR1));
    struct {
        const void *ss;
        size_t len;
    } pack = {&empty, 4};
    CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack), EINVAL);
    CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, BAD_PTR), EFAULT);

    CHECK_OK(raise(SIGUSR1));
    CHECK_OK(sigprocmask(SIG_SETMASK, &orig, NULL));
    CHECK_EQ(g_usr1, 3);
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

int main(void)
{
    RUN(pipe_states);
    RUN(other_files);
    RUN(poll_args);
    RUN(poll_timeout);
    RUN(select_basic);
    RUN(select_timeout);
    RUN(select_errors);
    RUN(sigmasks);
    return 0;
}
