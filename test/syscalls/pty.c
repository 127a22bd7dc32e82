/* Pseudo-terminals: /dev/ptmx (or /dev/pts/ptmx), grantpt/unlockpt/ptsname,
 * TIOCGPTN/TIOCSPTLCK, the replica node, canonical mode (line buffering,
 * ERASE, KILL, EOF, echo), output processing (ONLCR), raw mode, FIONREAD,
 * O_NONBLOCK and poll, window size, job control (TIOCSCTTY, TIOCGPGRP,
 * TIOCGSID, ^C -> SIGINT, SIGWINCH), hangup in both directions. */
#include "pty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

/* A master and its (unlocked) replica; *name gets the replica's path. */
static int new_pty(int *replica, char *name, size_t size)
{
    int m = new_master(name, size);
    *replica = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    return m;
}

/* Nothing (more) to read within a short time. */
static void read_nothing(int fd)
{
    read_nothing_for(fd, 100);
}

static void wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 5000), 1);
}

static void allocate(void)
{
    int m = open_master();
    unsigned n;
    CHECK_OK(ioctl(m, TIOCGPTN, &n));
    char name[64];
    CHECK_OK(ptsname_r(m, name, sizeof(name)));
    char want[64];
    snprintf(want, sizeof(want), "/dev/pts/%u", n);
    CHECK_STR(name, want);
    int lk = 0;
    CHECK_OK(ioctl(m, TIOCGPTLCK, &lk));
    CHECK_EQ(lk, 1);
    CHECK_ERR(open(name, O_RDWR | O_NOCTTY), EIO); /* locked */
    CHECK_OK(grantpt(m));
    CHECK_OK(unlockpt(m));
    struct stat st;
    CHECK_OK(stat(name, &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 136);
    CHECK_EQ(minor(st.st_rdev), n);
    CHECK_OK(fstat(m, &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 5);
    CHECK_EQ(minor(st.st_rdev), 2);
    int s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    CHECK(isatty(s));
    CHECK(isatty(m));
    CHECK_ERR(ioctl(s, TIOCGPTN, &n), ENOTTY);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
    /* The name goes with the master. */
    CHECK_ERR(stat(name, &st), ENOENT);
}

static void canonical(void)
{
    char name[64], buf[64];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    CHECK(t.c_lflag & ICANON);
    CHECK(t.c_lflag & ECHO);
    CHECK(t.c_oflag & ONLCR);
    CHECK(t.c_iflag & ICRNL);
    CHECK_EQ(t.c_cc[VEOF], 4);
    /* A line is delivered whole; the echo comes back with ONLCR. */
    CHECK_EQ(write(m, "hello\n", 6), 6);
    CHECK_EQ(read(s, buf, sizeof(buf)), 6);
    CHECK_MEM(buf, "hello\n", 6);
    read_exact(m, "hello\r\n", 7);
    /* ICRNL: a carriage return ends the line as a newline. */
    CHECK_EQ(write(m, "ab\r", 3), 3);
    CHECK_EQ(read(s, buf, sizeof(buf)), 3);
    CHECK_MEM(buf, "ab\n", 3);
    read_exact(m, "ab\r\n", 4);
    /* An incomplete line is not readable; FIONREAD counts complete lines. */
    CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
    CHECK_EQ(write(m, "xy", 2), 2);
    read_exact(m, "xy", 2);
    CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN);
    int nr = -1;
    CHECK_OK(ioctl(s, FIONREAD, &nr));
    CHECK_EQ(nr, 0);
    CHECK_EQ(write(m, "z\n", 2), 2);
    wait_readable(s);
    CHECK_OK(ioctl(s, FIONREAD, &nr));
    CHECK_EQ(nr, 4);
    CHECK_EQ(read(s, buf, 2), 2); /* a short buffer: the rest stays */
    CHECK_MEM(buf, "xy", 2);
    CHECK_EQ(read(s, buf, sizeof(buf)), 2);
    CHECK_MEM(buf, "z\n", 2);
    read_exact(m, "z\r\n", 3);
    CHECK_OK(fcntl(s, F_SETFL, 0));
    /* ERASE (DEL) and KILL (^U) with ECHOE/ECHOKE. */
    CHECK_EQ(write(m, "abc\177\177x\025yz\n", 10), 10);
    CHECK_EQ(read(s, buf, sizeof(buf)), 3);
    CHECK_MEM(buf, "yz\n", 3);
    read_exact(m, "abc\b \b\b \bx\b \b\b \byz\r\n", 20);
    /* EOF (^D): ends a line without itself; alone it reads as 0. */
    CHECK_EQ(write(m, "ab\4\4", 4), 4);
    CHECK_EQ(read(s, buf, sizeof(buf)), 2);
    CHECK_MEM(buf, "ab", 2);
    CHECK_EQ(read(s, buf, sizeof(buf)), 0);
    read_exact(m, "ab", 2);
    /* ECHOCTL shows control bytes as ^X. */
    CHECK_EQ(write(m, "\033\n", 2), 2);
    CHECK_EQ(read(s, buf, sizeof(buf)), 2);
    read_exact(m, "^[\r\n", 4);
    /* Output: ONLCR on the replica's writes. */
    CHECK_EQ(write(s, "out\n", 4), 4);
    read_exact(m, "out\r\n", 5);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

static void raw(void)
{
    char name[64], buf[64];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    cfmakeraw(&t);
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    struct termios back;
    CHECK_OK(tcgetattr(m, &back));
    CHECK(!(back.c_lflag & (ICANON | ECHO)));
    CHECK_EQ(write(m, "q", 1), 1);
    CHECK_EQ(read(s, buf, 1), 1); /* VMIN 1: one byte is enough */
    CHECK_EQ(buf[0], 'q');
    CHECK_EQ(write(m, "\r\3\n", 3), 3); /* no ICRNL, no ISIG */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(read(s, buf, 1), 1);
        CHECK_EQ(buf[0], "\r\3\n"[i]);
    }
    read_nothing(m); /* no echo */
    CHECK_EQ(write(s, "a\nb", 3), 3);
    read_exact(m, "a\nb", 3); /* no OPOST */
    /* VMIN 0, VTIME 0: a read returns what there is, maybe nothing. */
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    CHECK_EQ(read(s, buf, sizeof(buf)), 0);
    /* VMIN 0, VTIME 1: waits up to 0.1 s. */
    t.c_cc[VTIME] = 1;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    CHECK_EQ(read(s, buf, sizeof(buf)), 0);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

static void nonblock_poll(void)
{
    char name[64], buf[8];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    CHECK_OK(fcntl(m, F_SETFL, O_NONBLOCK));
    CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
    CHECK_ERR(read(m, buf, sizeof(buf)), EAGAIN);
    CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN);
    struct pollfd p[2] = {{.fd = m, .events = POLLIN | POLLOUT},
                          {.fd = s, .events = POLLIN | POLLOUT}};
    CHECK_EQ(poll(p, 2, 0), 2);
    CHECK_EQ(p[0].revents, POLLOUT);
    CHECK_EQ(p[1].revents, POLLOUT);
    CHECK_EQ(write(s, "x", 1), 1);
    p[0].events = POLLIN;
    CHECK_EQ(poll(p, 1, 5000), 1);
    CHECK_EQ(p[0].revents, POLLIN);
    int nr = 0;
    CHECK_OK(ioctl(m, FIONREAD, &nr));
    CHECK_EQ(nr, 1);
    CHECK_EQ(read(m, buf, sizeof(buf)), 1);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

static void winsize(void)
{
    char name[64];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    struct winsize w = {0};
    CHECK_OK(ioctl(s, TIOCGWINSZ, &w));
    CHECK_EQ(w.ws_row, 0);
    CHECK_EQ(w.ws_col, 0);
    struct winsize set = {.ws_row = 25, .ws_col = 80, .ws_xpixel = 1, .ws_ypixel = 2};
    CHECK_OK(ioctl(m, TIOCSWINSZ, &set));
    CHECK_OK(ioctl(s, TIOCGWINSZ, &w));
    CHECK_MEM(&w, &set, sizeof(w));
    CHECK_ERR(ioctl(s, TIOCGWINSZ, BAD_PTR), EFAULT);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

static int g_fd;
static void on_winch(int sig)
{
    (void)sig;
    if (write(g_fd, "W", 1) != 1)
        _exit(3);
}

/* The child: a session leader whose controlling terminal is the replica. */
static void job_child(const char *name)
{
    if (setsid() < 0)
        _exit(10);
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0)
        _exit(11);
    int v = -1;
    if (ioctl(s, TIOCGPGRP, &v) != -1 || errno != ENOTTY)
        _exit(12); /* not our terminal yet */
    if (ioctl(s, TIOCSCTTY, 0) < 0)
        _exit(13);
    if (ioctl(s, TIOCGPGRP, &v) < 0 || v != getpid())
        _exit(14);
    if (ioctl(s, TIOCGSID, &v) < 0 || v != getpid())
        _exit(15);
    if (tcsetpgrp(s, getpid()) < 0)
        _exit(16);
    g_fd = s;
    struct sigaction sa = {.sa_handler = on_winch};
    sigaction(SIGWINCH, &sa, NULL);
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag &= ~ECHO;
    tcsetattr(s, TCSANOW, &t);
    if (write(s, "R", 1) != 1)
        _exit(17);
    char buf[16];
    for (;;) {
        ssize_t r = read(s, buf, sizeof(buf));
        if (r == 0 || (r < 0 && errno != EINTR))
            _exit(18);
    }
}

static void job_control(void)
{
    char name[64];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    int v;
    CHECK_ERR(ioctl(m, TIOCGSID, &v), ENOTTY); /* no session yet */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(m);
        close(s);
        job_child(name);
    }
    read_exact(m, "R", 1);
    CHECK_OK(close(s)); /* kept until the child has the replica open */
    CHECK_OK(ioctl(m, TIOCGPGRP, &v));
    CHECK_EQ(v, pid);
    CHECK_OK(ioctl(m, TIOCGSID, &v));
    CHECK_EQ(v, pid);
    /* SIGWINCH goes to the foreground group when the size changes. */
    struct winsize w = {.ws_row = 10, .ws_col = 20};
    CHECK_OK(ioctl(m, TIOCSWINSZ, &w));
    read_exact(m, "W", 1);
    /* ^C: SIGINT to the foreground group. */
    CHECK_EQ(write(m, "\3", 1), 1);
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    if (WIFEXITED(st))
        FAIL("child exited %d", WEXITSTATUS(st));
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGINT);
    CHECK_OK(close(m));
}

static void hangup(void)
{
    char name[64], buf[16];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    /* The replica's last close: the master reads EIO and polls POLLHUP. */
    CHECK_EQ(write(s, "x\n", 2), 2);
    CHECK_OK(close(s));
    read_exact(m, "x\r\n", 3);
    CHECK_ERR(read(m, buf, sizeof(buf)), EIO);
    struct pollfd p = {.fd = m, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLHUP);
    /* A new replica ends the hangup. */
    s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    p.events = POLLOUT;
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);
    /* The master's close hangs the replica up: end of file on reads, EIO
     * on writes and ioctls, everything in poll. */
    CHECK_OK(close(m));
    CHECK_EQ(read(s, buf, sizeof(buf)), 0);
    CHECK_ERR(write(s, "y", 1), EIO);
    struct termios t;
    CHECK_ERR(tcgetattr(s, &t), EIO);
    p = (struct pollfd){.fd = s, .events = POLLIN | POLLOUT};
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLERR | POLLHUP);
    CHECK_ERR(open(name, O_RDWR | O_NOCTTY), ENOENT);
    CHECK_OK(close(s));
}

static void blocking(void)
{
    char name[64], buf[16];
    int s;
    int m = new_pty(&s, name, sizeof(name));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(50000);
        if (write(m, "late\n", 5) != 5)
            _exit(1);
        _exit(0);
    }
    CHECK_EQ(read(s, buf, sizeof(buf)), 5); /* blocks until the line */
    CHECK_MEM(buf, "late\n", 5);
    check_reap(pid);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

int main(void)
{
    RUN(allocate);
    RUN(canonical);
    RUN(raw);
    RUN(nonblock_poll);
    RUN(winsize);
    RUN(job_control);
    RUN(hangup);
    RUN(blocking);
    return 0;
}
