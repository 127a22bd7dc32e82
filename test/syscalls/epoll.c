/* epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2: creation flags, epoll_ctl's errors (EBADF, EINVAL, EPERM,
 * EEXIST, ENOENT, EFAULT, ELOOP, the EPOLLEXCLUSIVE rules), epoll_wait's
 * arguments, level- and edge-triggered pipes, EPOLLONESHOT and MOD,
 * EPOLLHUP/EPOLLERR always reported, maxevents and round robin, closing a
 * watched file (and the dup'ed-fd case), nested epolls (readiness, poll on
 * an epoll fd, cycles and the depth limit), timeouts, blocking woken by
 * another thread and another process, signals (EINTR even with
 * SA_RESTART, the masks of epoll_pwait and epoll_pwait2), eventfd,
 * timerfd and signalfd items, /proc/self/fd and fdinfo. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#define MS 1000000LL

static char g_buf[1 << 16];

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
}

static void mod(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
}

/* epoll_wait with timeout 0 into ev[max]; returns the count. */
static int ready(int ep, struct epoll_event *ev, int max)
{
    return (int)CHECK_OK(epoll_wait(ep, ev, max, 0));
}

/* The one ready event (checks there is exactly one). */
static struct epoll_event one(int ep)
{
    struct epoll_event ev[4];
    CHECK_EQ(ready(ep, ev, 4), 1);
    return ev[0];
}

/* Reads whatever fd has, without blocking. */
static void drain(int fd)
{
    int fl = CHECK_OK(fcntl(fd, F_GETFL));
    CHECK_OK(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
    while (read(fd, g_buf, sizeof(g_buf)) > 0)
        ;
    CHECK_OK(fcntl(fd, F_SETFL, fl));
}

static void create(void)
{
    CHECK_ERR(epoll_create(0), EINVAL);
    CHECK_ERR(epoll_create(-1), EINVAL);
    int ep = CHECK_OK(epoll_create(1));
    CHECK_EQ(CHECK_OK(fcntl(ep, F_GETFL)), O_RDWR);
    CHECK_EQ(CHECK_OK(fcntl(ep, F_GETFD)), 0);
    CHECK_OK(close(ep));
    ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
    CHECK_EQ(CHECK_OK(fcntl(ep, F_GETFD)), FD_CLOEXEC);
    /* Not readable or writable. */
    CHECK_ERR(read(ep, g_buf, 8), EINVAL);
    CHECK_ERR(write(ep, g_buf, 8), EINVAL);
    CHECK_OK(close(ep));
    CHECK_ERR(epoll_create1(1), EINVAL);
    CHECK_ERR(epoll_create1(O_NONBLOCK), EINVAL);
    /* An empty epoll: nothing, at once. */
    ep = CHECK_OK(epoll_create1(0));
    struct epoll_event ev[2];
    CHECK_EQ(ready(ep, ev, 2), 0);
    CHECK_OK(close(ep));
}

static void ctl_errors(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    int closed = CHECK_OK(dup(0));
    CHECK_OK(close(closed));
    struct epoll_event ev = {.events = EPOLLIN};
    CHECK_ERR(epoll_ctl(closed, EPOLL_CTL_ADD, p[0], &ev), EBADF);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, closed, &ev), EBADF);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
    /* O_PATH descriptions are not files to epoll_ctl. */
    int opath = CHECK_OK(open("/dev/null", O_PATH));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, opath, &ev), EBADF);
    CHECK_ERR(epoll_ctl(opath, EPOLL_CTL_ADD, p[0], &ev), EBADF);
    struct epoll_event out;
    CHECK_ERR(epoll_wait(opath, &out, 1, 0), EBADF);
    CHECK_OK(close(opath));
    /* epfd must be an epoll, and not the target itself. */
    CHECK_ERR(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    /* Files without readiness: EPERM (checked before the epoll fd). */
    int reg = CHECK_OK(open("/etc/passwd", O_RDONLY));
    int dir = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev), EPERM);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev), EPERM);
    CHECK_ERR(epoll_ctl(p[0], EPOLL_CTL_ADD, reg, &ev), EPERM);
    /* stdin is /dev/null (the runner's; a host file in the sandbox). */
    struct stat st;
    CHECK_OK(fstat(0, &st));
    if (S_ISCHR(st.st_mode) || S_ISREG(st.st_mode))
        CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev), EPERM);
    /* The event is read for ADD and MOD (even a bad op), not for DEL. */
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], BAD_PTR), EFAULT);
    CHECK_ERR(epoll_ctl(ep, 42, p[0], BAD_PTR), EFAULT);
    CHECK_ERR(epoll_ctl(ep, 42, p[0], &ev), EINVAL);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], BAD_PTR), ENOENT);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), ENOENT);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], BAD_PTR));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);

    /* EPOLLEXCLUSIVE: ADD only, with IN/OUT/ERR/HUP/WAKEUP/ET, never for
     * an epoll target; an exclusive item cannot be modified. */
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), EINVAL);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EINVAL);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EINVAL);
    int inner = CHECK_OK(epoll_create1(0));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, inner, &ev), EINVAL);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ev.events = EPOLLIN;
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), EINVAL);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    /* An exclusive item works as any other. */
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = 5;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    struct epoll_event got = one(ep);
    CHECK_EQ(got.events, EPOLLIN);
    CHECK_EQ(got.data.u64, 5);
    drain(p[0]);

    CHECK_OK(close(inner));
    CHECK_OK(close(reg));
    CHECK_OK(close(dir));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static void wait_errors(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    struct epoll_event ev[2];
    CHECK_ERR(syscall(SYS_epoll_wait, ep, ev, 0, 0), EINVAL);
    CHECK_ERR(syscall(SYS_epoll_wait, ep, ev, -1, 0), EINVAL);
    CHECK_ERR(syscall(SYS_epoll_wait, ep, ev, INT_MAX, 0), EINVAL);
    CHECK_ERR(epoll_wait(-1, ev, 1, 0), EBADF);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(epoll_wait(p[0], ev, 1, 0), EINVAL);
    /* The buffer must fit below the end of user space... */
    CHECK_ERR(syscall(SYS_epoll_wait, ep, (void *)(0x7ffffffff000ull - 12), 2, 0), EFAULT);
    /* ... but is only written when there is an event. */
    CHECK_EQ(CHECK_OK(syscall(SYS_epoll_wait, ep, BAD_PTR, 1, 0)), 0);
    add(ep, p[0], EPOLLIN, 1);
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    CHECK_ERR(syscall(SYS_epoll_wait, ep, BAD_PTR, 1, 0), EFAULT);
    /* A level-triggered event is still there. */
    CHECK_EQ(one(ep).data.u64, 1);
    /* epoll_pwait's mask size; epoll_pwait2's timeout. */
    sigset_t set;
    sigemptyset(&set);
    CHECK_ERR(syscall(SYS_epoll_pwait, ep, ev, 1, 0, &set, 4), EINVAL);
    CHECK_ERR(syscall(SYS_epoll_pwait, ep, ev, 1, 0, BAD_PTR, 8), EFAULT);
    CHECK_EQ(CHECK_OK(syscall(SYS_epoll_pwait, ep, ev, 1, 0, NULL, 4)), 1);
    struct timespec ts = {0, 1000000000};
    CHECK_ERR(syscall(SYS_epoll_pwait2, ep, ev, 1, &ts, NULL, 8), EINVAL);
    ts = (struct timespec){-1, 0};
    CHECK_ERR(syscall(SYS_epoll_pwait2, ep, ev, 1, &ts, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_epoll_pwait2, ep, ev, 1, BAD_PTR, NULL, 8), EFAULT);
    ts = (struct timespec){0, 0};
    CHECK_EQ(CHECK_OK(syscall(SYS_epoll_pwait2, ep, ev, 1, &ts, NULL, 8)), 1);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static void level_triggered(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    add(ep, p[0], EPOLLIN, 0x1111222233334444ull);
    add(ep, p[1], EPOLLOUT, 7);
    /* The write end is ready, the read end is not. */
    struct epoll_event ev = one(ep);
    CHECK_EQ(ev.events, EPOLLOUT);
    CHECK_EQ(ev.data.u64, 7);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Data: reported on every wait until read. */
    CHECK_EQ(CHECK_OK(write(p[1], "ab", 2)), 2);
    for (int i = 0; i < 3; i++) {
        ev = one(ep);
        CHECK_EQ(ev.events, EPOLLIN);
        CHECK(ev.data.u64 == 0x1111222233334444ull);
    }
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 1)), 1);
    CHECK_EQ(one(ep).events, EPOLLIN);
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 1)), 1);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Only the conditions asked for (and ERR/HUP) are reported. */
    mod(ep, p[0], EPOLLIN | EPOLLRDNORM, 1);
    CHECK_EQ(CHECK_OK(write(p[1], "c", 1)), 1);
    CHECK_EQ(one(ep).events, EPOLLIN | EPOLLRDNORM);
    mod(ep, p[0], EPOLLOUT, 1);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    drain(p[0]);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static void edge_triggered(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    add(ep, p[0], EPOLLIN | EPOLLET, 1);
    add(ep, p[1], EPOLLOUT | EPOLLET, 2);
    /* The write end: one event for the state it was added in. */
    struct epoll_event ev = one(ep);
    CHECK_EQ(ev.events, EPOLLOUT);
    CHECK_EQ(ev.data.u64, 2);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* A write: one event, not repeated while the data stays. */
    CHECK_EQ(CHECK_OK(write(p[1], "a", 1)), 1);
    ev = one(ep);
    CHECK_EQ(ev.events, EPOLLIN);
    CHECK_EQ(ev.data.u64, 1);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Another write is another edge, even unread. */
    CHECK_EQ(CHECK_OK(write(p[1], "b", 1)), 1);
    CHECK_EQ(one(ep).data.u64, 1);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Reading a pipe that was not full is no edge for the writer. */
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, sizeof(g_buf))), 2);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Filled up, then a page read: room again is an edge. */
    while (write(p[1], g_buf, 4096) > 0)
        ;
    CHECK_EQ(one(ep).data.u64, 1);
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 4096)), 4096);
    ev = one(ep);
    CHECK_EQ(ev.events, EPOLLOUT);
    CHECK_EQ(ev.data.u64, 2);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    drain(p[0]);
    /* MOD re-arms an edge-triggered item. */
    mod(ep, p[1], EPOLLOUT | EPOLLET, 3);
    CHECK_EQ(one(ep).data.u64, 3);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* A blocking wait for the next edge. */
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(30);
        _exit(write(p[1], "z", 1) == 1 ? 0 : 1);
    }
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 10000)), 1);
    CHECK_EQ(ev.data.u64, 1);
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static void oneshot(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    add(ep, p[0], EPOLLIN | EPOLLONESHOT, 9);
    CHECK_EQ(CHECK_OK(write(p[1], "a", 1)), 1);
    CHECK_EQ(one(ep).data.u64, 9);
    /* Disabled: nothing, whatever happens, even HUP. */
    struct epoll_event ev;
    CHECK_EQ(ready(ep, &ev, 1), 0);
    CHECK_EQ(CHECK_OK(write(p[1], "b", 1)), 1);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Still in the set: ADD is EEXIST; MOD re-arms it. */
    struct epoll_event e = {.events = EPOLLIN};
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e), EEXIST);
    mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 10);
    CHECK_EQ(one(ep).data.u64, 10);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* Level-triggered after MOD without the flag. */
    mod(ep, p[0], EPOLLIN, 11);
    CHECK_EQ(one(ep).data.u64, 11);
    CHECK_EQ(one(ep).data.u64, 11);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static void hup_err(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    /* No events asked for: HUP and ERR are still reported. */
    add(ep, p[0], 0, 1);
    struct epoll_event ev;
    CHECK_EQ(ready(ep, &ev, 1), 0);
    CHECK_EQ(CHECK_OK(write(p[1], "a", 1)), 1);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    CHECK_OK(close(p[1]));
    ev = one(ep);
    CHECK_EQ(ev.events, EPOLLHUP);
    mod(ep, p[0], EPOLLIN, 1);
    CHECK_EQ(one(ep).events, EPOLLIN | EPOLLHUP);
    CHECK_OK(close(p[0]));
    /* The write end when the reader goes: EPOLLERR. */
    CHECK_OK(pipe(p));
    add(ep, p[1], EPOLLOUT, 2);
    CHECK_EQ(one(ep).events, EPOLLOUT);
    CHECK_OK(close(p[0]));
    CHECK_EQ(one(ep).events, EPOLLOUT | EPOLLERR);
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static void maxevents(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[3][2];
    for (int i = 0; i < 3; i++) {
        CHECK_OK(pipe(p[i]));
        add(ep, p[i][0], EPOLLIN, (uint64_t)i);
        CHECK_EQ(CHECK_OK(write(p[i][1], "x", 1)), 1);
    }
    struct epoll_event ev[4];
    CHECK_EQ(ready(ep, ev, 4), 3);
    /* Two at a time: level-triggered items go round, so two waits see all
     * three. */
    bool seen[3] = {false, false, false};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ(ready(ep, ev, 2), 2);
        for (int j = 0; j < 2; j++) {
            CHECK_LT(ev[j].data.u64, 3);
            seen[ev[j].data.u64] = true;
        }
    }
    CHECK(seen[0] && seen[1] && seen[2]);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(close(p[i][0]));
        CHECK_OK(close(p[i][1]));
    }
    CHECK_OK(close(ep));
}

static void close_removes(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    add(ep, p[0], EPOLLIN, 1);
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    CHECK_EQ(one(ep).data.u64, 1);
    /* The last fd of the description goes: so does the item. */
    CHECK_OK(close(p[0]));
    struct epoll_event ev;
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* A new file at the same number is a new item. */
    int q[2];
    CHECK_OK(pipe(q));
    CHECK_EQ(q[0], p[0]);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL), ENOENT);
    add(ep, q[0], EPOLLIN, 2);
    /* Another fd of the description keeps the item (keyed by the first
     * fd): it still reports, and the closed fd cannot name it. */
    int d = CHECK_OK(dup(q[0]));
    CHECK_OK(close(q[0]));
    CHECK_EQ(CHECK_OK(write(q[1], "y", 1)), 1);
    CHECK_EQ(one(ep).data.u64, 2);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL), EBADF);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
    CHECK_OK(close(d));
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* The same description under two fds: two items. */
    int r[2];
    CHECK_OK(pipe(r));
    int r2 = CHECK_OK(dup(r[0]));
    add(ep, r[0], EPOLLIN, 3);
    add(ep, r2, EPOLLIN, 4);
    CHECK_EQ(CHECK_OK(write(r[1], "z", 1)), 1);
    struct epoll_event evs[4];
    CHECK_EQ(ready(ep, evs, 4), 2);
    CHECK_EQ(evs[0].data.u64 + evs[1].data.u64, 7);
    /* Closing the epoll with items in it (and the files after). */
    CHECK_OK(close(ep));
    CHECK_OK(close(r[0]));
    CHECK_OK(close(r2));
    CHECK_OK(close(r[1]));
    CHECK_OK(close(q[1]));
    CHECK_OK(close(p[1]));
}

static void nested(void)
{
    int outer = CHECK_OK(epoll_create1(0));
    int inner = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    add(inner, p[0], EPOLLIN, 1);
    add(outer, inner, EPOLLIN, 2);
    struct epoll_event ev;
    CHECK_EQ(ready(outer, &ev, 1), 0);
    struct pollfd pf = {.fd = inner, .events = POLLIN | POLLOUT};
    CHECK_EQ(CHECK_OK(poll(&pf, 1, 0)), 0);
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    /* The inner epoll is readable; the outer one says so. */
    CHECK_EQ(CHECK_OK(poll(&pf, 1, 0)), 1);
    CHECK_EQ(pf.revents, POLLIN);
    ev = one(outer);
    CHECK_EQ(ev.events, EPOLLIN);
    CHECK_EQ(ev.data.u64, 2);
    CHECK_EQ(one(inner).data.u64, 1);
    drain(p[0]);
    CHECK_EQ(ready(outer, &ev, 1), 0);
    /* A blocking wait on the outer epoll, woken through the inner one. */
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(30);
        _exit(write(p[1], "y", 1) == 1 ? 0 : 1);
    }
    CHECK_EQ(CHECK_OK(epoll_wait(outer, &ev, 1, 10000)), 1);
    CHECK_EQ(ev.data.u64, 2);
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* poll() on an epoll fd waits too. */
    drain(p[0]);
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(30);
        _exit(write(p[1], "y", 1) == 1 ? 0 : 1);
    }
    pf.revents = 0;
    CHECK_EQ(CHECK_OK(poll(&pf, 1, 10000)), 1);
    CHECK_EQ(pf.revents, POLLIN);
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    /* Cycles: ELOOP. */
    struct epoll_event e = {.events = EPOLLIN};
    CHECK_ERR(epoll_ctl(inner, EPOLL_CTL_ADD, outer, &e), ELOOP);
    int third = CHECK_OK(epoll_create1(0));
    add(third, outer, EPOLLIN, 3);
    CHECK_ERR(epoll_ctl(inner, EPOLL_CTL_ADD, third, &e), ELOOP);
    /* Closing an inner epoll removes it from the outer one. */
    CHECK_OK(close(inner));
    CHECK_EQ(ready(outer, &ev, 1), 0);
    CHECK_OK(close(third));
    CHECK_OK(close(outer));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void depth(void)
{
    /* A chain of epolls, each added to the next: five levels at most
     * (Linux 6.x counts the levels above the target and below it). */
    int e[8];
    for (int i = 0; i < 8; i++)
        e[i] = CHECK_OK(epoll_create1(0));
    struct epoll_event ev = {.events = EPOLLIN};
    int i = 1;
    while (i < 8 && epoll_ctl(e[i], EPOLL_CTL_ADD, e[i - 1], &ev) == 0)
        i++;
    CHECK_LT(i, 8);
    CHECK_EQ(errno, ELOOP);
    CHECK_GE(i, 5); /* e0 ... e4 work */
    /* Built from the top down: the same limit. */
    int f[8];
    for (int k = 0; k < 8; k++)
        f[k] = CHECK_OK(epoll_create1(0));
    int j = 0;
    while (j < 7 && epoll_ctl(f[j], EPOLL_CTL_ADD, f[j + 1], &ev) == 0)
        j++;
    CHECK_LT(j, 7);
    CHECK_EQ(errno, ELOOP);
    CHECK_GE(j, 4);
    /* An ordinary file at the bottom of the longest chain is fine. */
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_OK(epoll_ctl(e[0], EPOLL_CTL_ADD, p[0], &ev));
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    struct epoll_event out;
    CHECK_EQ(ready(e[i - 1], &out, 1), 1);
    for (int k = 0; k < 8; k++) {
        CHECK_OK(close(e[k]));
        CHECK_OK(close(f[k]));
    }
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void timeouts(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    add(ep, p[0], EPOLLIN, 1);
    struct epoll_event ev;
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 50)), 0);
    CHECK_GE(check_mono_ns() - t0, 50 * MS);
    t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(epoll_pwait(ep, &ev, 1, 30, NULL)), 0);
    CHECK_GE(check_mono_ns() - t0, 30 * MS);
    struct timespec ts = {0, 30 * MS};
    t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8)), 0);
    CHECK_GE(check_mono_ns() - t0, 30 * MS);
    /* Ready at once: no wait. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 10000)), 1);
    CHECK_LT(check_mono_ns() - t0, 5000 * MS);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

struct writer {
    int fd;
    int ms;
};

static void *write_later(void *arg)
{
    struct writer *w = arg;
    check_sleep_ms(w->ms);
    if (write(w->fd, "w", 1) != 1)
        abort();
    return NULL;
}

struct waiter_arg {
    int ep;
    int n;
    uint64_t data;
};

static void *wait_forever(void *arg)
{
    struct waiter_arg *a = arg;
    struct epoll_event ev;
    a->n = epoll_wait(a->ep, &ev, 1, -1);
    a->data = ev.data.u64;
    return NULL;
}

static void threads(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    add(ep, p[0], EPOLLIN, 6);
    /* A wait without a timeout, woken by another thread's write. */
    struct writer w = {.fd = p[1], .ms = 30};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, write_later, &w), 0);
    struct epoll_event ev;
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, -1)), 1);
    CHECK_EQ(ev.data.u64, 6);
    CHECK_EQ(pthread_join(th, NULL), 0);
    drain(p[0]);
    /* Two threads waiting on one epoll: a level-triggered event wakes
     * them both. */
    struct waiter_arg a[2] = {{.ep = ep}, {.ep = ep}};
    pthread_t wt[2];
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_create(&wt[i], NULL, wait_forever, &a[i]), 0);
    check_sleep_ms(30);
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(pthread_join(wt[i], NULL), 0);
        CHECK_EQ(a[i].n, 1);
        CHECK_EQ(a[i].data, 6);
    }
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

static volatile sig_atomic_t g_sigs;

static void on_usr1(int sig)
{
    g_sigs++;
}

struct kicker {
    pthread_t target;
    volatile bool done;
};

static void *kick(void *arg)
{
    struct kicker *k = arg;
    while (!k->done) {
        check_sleep_ms(30);
        if (!k->done)
            pthread_kill(k->target, SIGUSR1);
    }
    return NULL;
}

static void signals(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    add(ep, p[0], EPOLLIN, 1);
    /* Never restarted, even with SA_RESTART. */
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART}, old;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    struct kicker k = {.target = pthread_self()};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, kick, &k), 0);
    struct epoll_event ev;
    CHECK_ERR(epoll_wait(ep, &ev, 1, -1), EINTR);
    CHECK_ERR(epoll_wait(ep, &ev, 1, 10000), EINTR);
    k.done = true;
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_GE(g_sigs, 2);

    /* epoll_pwait's mask: a pending blocked signal does not interrupt a
     * wait whose mask keeps it blocked; one whose mask unblocks it is
     * interrupted, the handler runs, and the old mask is back. */
    sigset_t usr1, empty, orig, now;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&empty);
    CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, &orig));
    int before = g_sigs;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(CHECK_OK(epoll_pwait(ep, &ev, 1, 10, &usr1)), 0);
    CHECK_EQ(g_sigs, before);
    CHECK_ERR(epoll_pwait(ep, &ev, 1, -1, &empty), EINTR);
    CHECK_EQ(g_sigs, before + 1);
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
    CHECK(sigismember(&now, SIGUSR1));
    /* epoll_pwait2 the same way. */
    CHECK_OK(raise(SIGUSR1));
    struct timespec ts = {0, 10 * MS};
    CHECK_EQ(CHECK_OK(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, &usr1, 8)), 0);
    CHECK_ERR(syscall(SYS_epoll_pwait2, ep, &ev, 1, NULL, &empty, 8), EINTR);
    CHECK_EQ(g_sigs, before + 2);
    /* An event ready and a signal pending: the event wins, the mask is
     * restored at once. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(CHECK_OK(epoll_pwait(ep, &ev, 1, -1, &empty)), 1);
    CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &now));
    CHECK(sigismember(&now, SIGUSR1));
    CHECK_EQ(g_sigs, before + 2);
    CHECK_OK(sigprocmask(SIG_SETMASK, &orig, NULL));
    CHECK_EQ(g_sigs, before + 3);
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

/* stdout: the runner's pipe (a host file in the sandbox), if it is one. */
static void host_pipe(void)
{
    struct stat st;
    CHECK_OK(fstat(1, &st));
    if (!S_ISFIFO(st.st_mode))
        return;
    int ep = CHECK_OK(epoll_create1(0));
    add(ep, 1, EPOLLOUT, 1);
    for (int i = 0; i < 2; i++) {
        struct epoll_event ev = one(ep);
        CHECK_EQ(ev.events, EPOLLOUT);
        CHECK_EQ(ev.data.u64, 1);
    }
    /* Edge-triggered: once. */
    mod(ep, 1, EPOLLOUT | EPOLLET, 2);
    CHECK_EQ(one(ep).data.u64, 2);
    struct epoll_event ev;
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* In a nested epoll too. */
    int outer = CHECK_OK(epoll_create1(0));
    mod(ep, 1, EPOLLOUT, 3);
    add(outer, ep, EPOLLIN, 4);
    CHECK_EQ(one(outer).data.u64, 4);
    CHECK_EQ(CHECK_OK(epoll_wait(outer, &ev, 1, 1000)), 1);
    CHECK_OK(close(outer));
    CHECK_OK(close(ep));
}

static void eventfd_items(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int efd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
    add(ep, efd, EPOLLIN | EPOLLOUT, 1);
    struct epoll_event ev = one(ep);
    CHECK_EQ(ev.events, EPOLLOUT);
    uint64_t v = 5;
    CHECK_EQ(CHECK_OK(write(efd, &v, 8)), 8);
    CHECK_EQ(one(ep).events, EPOLLIN | EPOLLOUT);
    /* Edge-triggered: each write is an edge. */
    mod(ep, efd, EPOLLIN | EPOLLET, 2);
    CHECK_EQ(one(ep).events, EPOLLIN);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    CHECK_EQ(CHECK_OK(write(efd, &v, 8)), 8);
    CHECK_EQ(one(ep).events, EPOLLIN);
    CHECK_EQ(CHECK_OK(read(efd, &v, 8)), 8);
    CHECK_EQ(v, 10);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* A thread's write wakes a blocked wait. */
    mod(ep, efd, EPOLLIN, 3);
    pthread_t th;
    struct waiter_arg a = {.ep = ep};
    CHECK_EQ(pthread_create(&th, NULL, wait_forever, &a), 0);
    check_sleep_ms(20);
    v = 1;
    CHECK_EQ(CHECK_OK(write(efd, &v, 8)), 8);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(a.n, 1);
    CHECK_EQ(a.data, 3);
    CHECK_OK(close(efd));
    CHECK_OK(close(ep));
}

static void timerfd_items(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int tfd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
    add(ep, tfd, EPOLLIN | EPOLLET, 1);
    struct epoll_event ev;
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* The wait ends with the expiration. */
    struct itimerspec its = {.it_value = {0, 40 * MS}};
    CHECK_OK(timerfd_settime(tfd, 0, &its, NULL));
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 10000)), 1);
    CHECK_GE(check_mono_ns() - t0, 35 * MS);
    CHECK_EQ(ev.events, EPOLLIN);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    uint64_t v;
    CHECK_EQ(CHECK_OK(read(tfd, &v, 8)), 8);
    CHECK_EQ(v, 1);
    /* Periodic, level-triggered: readable until read. */
    its = (struct itimerspec){.it_value = {0, 10 * MS}, .it_interval = {0, 10 * MS}};
    CHECK_OK(timerfd_settime(tfd, 0, &its, NULL));
    mod(ep, tfd, EPOLLIN, 2);
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 10000)), 1);
    CHECK_EQ(one(ep).data.u64, 2);
    CHECK_EQ(CHECK_OK(read(tfd, &v, 8)), 8);
    CHECK_GE(v, 1);
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 10000)), 1);
    CHECK_OK(close(tfd));
    CHECK_OK(close(ep));
}

static void signalfd_items(void)
{
    sigset_t usr2, orig;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &usr2, &orig));
    int sfd = CHECK_OK(signalfd(-1, &usr2, SFD_NONBLOCK));
    int ep = CHECK_OK(epoll_create1(0));
    add(ep, sfd, EPOLLIN, 1);
    struct epoll_event ev;
    CHECK_EQ(ready(ep, &ev, 1), 0);
    CHECK_OK(raise(SIGUSR2));
    ev = one(ep);
    CHECK_EQ(ev.events, EPOLLIN);
    struct signalfd_siginfo si;
    CHECK_EQ(CHECK_OK(read(sfd, &si, sizeof(si))), sizeof(si));
    CHECK_EQ(si.ssi_signo, SIGUSR2);
    CHECK_EQ(ready(ep, &ev, 1), 0);
    /* A signal from another process wakes a blocked wait. */
    pid_t parent = getpid();
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(30);
        _exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
    }
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 10000)), 1);
    CHECK_EQ(ev.data.u64, 1);
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(CHECK_OK(read(sfd, &si, sizeof(si))), sizeof(si));
    CHECK_OK(close(ep));
    CHECK_OK(close(sfd));
    CHECK_OK(sigprocmask(SIG_SETMASK, &orig, NULL));
}

/* An epoll whose signalfd item was added by a process that has exited and
 * been reaped (the queue it registered on is gone), still used and closed
 * by another process. */
static void signalfd_orphan(void)
{
    int go[2], res[2];
    CHECK_OK(pipe(go));
    CHECK_OK(pipe(res));
    pid_t a = CHECK_OK(fork());
    if (a == 0) {
        sigset_t usr2;
        sigemptyset(&usr2);
        sigaddset(&usr2, SIGUSR2);
        if (sigprocmask(SIG_BLOCK, &usr2, NULL) < 0)
            _exit(2);
        int sfd = signalfd(-1, &usr2, SFD_NONBLOCK);
        int ep = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        if (sfd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
            _exit(3);
        if (fork() == 0) {
            char c;
            if (read(go[0], &c, 1) != 1)
                _exit(4);
            int n = epoll_wait(ep, &ev, 1, 0);
            close(ep);
            close(sfd);
            c = n >= 0 ? 'y' : 'n';
            _exit(write(res[1], &c, 1) == 1 ? 0 : 5);
        }
        _exit(0);
    }
    int st;
    CHECK_EQ(CHECK_OK(waitpid(a, &st, 0)), a);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(CHECK_OK(write(go[1], "x", 1)), 1);
    CHECK_OK(close(res[1]));
    char c = 0;
    CHECK_EQ(CHECK_OK(read(res[0], &c, 1)), 1);
    CHECK_EQ(c, 'y');
    CHECK_OK(close(go[0]));
    CHECK_OK(close(go[1]));
    CHECK_OK(close(res[0]));
}

/* EPOLLWAKEUP is dropped without CAP_BLOCK_SUSPEND (fdinfo shows the
 * item's events). */
static void wakeup_flag(int ep, int fd, const char *fdinfo)
{
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
            _exit(2);
        bool had = d[1].effective & (1u << (CAP_BLOCK_SUSPEND - 32));
        struct epoll_event ev = {.events = EPOLLOUT | EPOLLWAKEUP};
        char buf[4096], want[128];
        if (had) {
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
                _exit(3);
            /* Kept, unless the kernel has no power management
             * (CONFIG_PM_SLEEP off: always dropped). */
            char drop[128];
            snprintf(want, sizeof(want), "tfd: %8d events: %8x ", fd,
                     EPOLLOUT | EPOLLWAKEUP | EPOLLERR | EPOLLHUP);
            snprintf(drop, sizeof(drop), "tfd: %8d events: %8x ", fd,
                     EPOLLOUT | EPOLLERR | EPOLLHUP);
            if (!check_read_text(fdinfo, buf, sizeof(buf)) ||
                (!strstr(buf, want) && !strstr(buf, drop)))
                _exit(8);
        }
        d[1].effective &= ~(1u << (CAP_BLOCK_SUSPEND - 32));
        if (syscall(SYS_capset, &h, d) < 0)
            _exit(4);
        if (epoll_ctl(ep, had ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
            _exit(5);
        if (!check_read_text(fdinfo, buf, sizeof(buf)))
            _exit(6);
        snprintf(want, sizeof(want), "tfd: %8d events: %8x ", fd, EPOLLOUT | EPOLLERR | EPOLLHUP);
        _exit(strstr(buf, want) ? 0 : 7);
    }
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
}

static void proc_files(void)
{
    int ep = CHECK_OK(epoll_create1(0));
    int p[2];
    CHECK_OK(pipe(p));
    add(ep, p[0], EPOLLIN | EPOLLET, 0xabc);
    char path[64], buf[4096], want[128];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n >= 0) {
        buf[n] = 0;
        CHECK_STR(buf, "anon_inode:[eventpoll]");
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
        if (check_read_text(path, buf, sizeof(buf))) {
            snprintf(want, sizeof(want), "tfd: %8d events: %8x data: %16llx  pos:0 ino:", p[0],
                     EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP, 0xabcULL);
            CHECK(strstr(buf, want) != NULL);
            wakeup_flag(ep, p[1], path);
        }
    }
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(close(ep));
}

int main(void)
{
    RUN(create);
    RUN(ctl_errors);
    RUN(wait_errors);
    RUN(level_triggered);
    RUN(edge_triggered);
    RUN(oneshot);
    RUN(hup_err);
    RUN(maxevents);
    RUN(close_removes);
    RUN(nested);
    RUN(depth);
    RUN(timeouts);
    RUN(threads);
    RUN(signals);
    RUN(host_pipe);
    RUN(eventfd_items);
    RUN(timerfd_items);
    RUN(signalfd_items);
    RUN(signalfd_orphan);
    RUN(proc_files);
    return 0;
}
