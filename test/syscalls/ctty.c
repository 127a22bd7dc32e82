/* Controlling terminals: /dev/tty (ENXIO without one, the same terminal
 * after TIOCSCTTY or an open without O_NOCTTY), inheritance by fork and
 * loss by setsid, TIOCSCTTY (on a master too) and its EPERM cases, TIOCNOTTY (non-leader, leader:
 * SIGHUP and SIGCONT to the foreground group), a session leader's exit
 * (SIGHUP to the foreground group, the session loses the terminal), the
 * master's close (SIGHUP to the leader; the old foreground group's SIGHUP
 * when the leader exits), /proc/self/stat tty_nr and tpgid; and the pty
 * master's TIOCGPTPEER, TIOCPKT and IXON flow control (^S/^Q). */
#include "pty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

/* Nothing (more) to read within a short time. */
static void read_nothing(int fd)
{
    read_nothing_for(fd, 200);
}

/* Runs fn in a child (a fresh process, killed by SIGALRM if stuck) and
 * checks that it exited 0 (its failed checks print their own line). */
static void in_child(void (*fn)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        alarm(10);
        fn();
        _exit(0);
    }
    check_reap(pid);
}

/* Fields 7 (tty_nr) and 8 (tpgid) of /proc/self/stat. */
static void stat_tty(int *tty_nr, int *tpgid)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY);
    if (fd < 0) {
        *tty_nr = *tpgid = -2; /* no procfs: nothing to compare */
        return;
    }
    ssize_t n = CHECK_OK(read(fd, buf, sizeof(buf) - 1));
    close(fd);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    CHECK(p != NULL);
    char state;
    int ppid, pgrp, sid;
    CHECK_EQ(sscanf(p + 1, " %c %d %d %d %d %d", &state, &ppid, &pgrp, &sid, tty_nr, tpgid), 6);
}

static void check_stat_tty(int want_nr, int want_tpgid)
{
    int nr, tpgid;
    stat_tty(&nr, &tpgid);
    if (nr == -2)
        return;
    CHECK_EQ(nr, want_nr);
    CHECK_EQ(tpgid, want_tpgid);
}

/* Linux's new_encode_dev, as /proc/<pid>/stat shows a terminal. */
static int encode_dev(dev_t d)
{
    unsigned ma = major(d), mi = minor(d);
    return (int)((mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12));
}

/* ---- /dev/tty ----------------------------------------------------------- */

static void no_ctty_child(void)
{
    CHECK_EQ(setsid(), getpid());
    CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO);
    CHECK_ERR(open("/dev/tty", O_RDONLY | O_NOCTTY), ENXIO);
    check_stat_tty(0, -1);
}

static void no_ctty(void)
{
    in_child(no_ctty_child);
}

static void acquire_child(void)
{
    char name[64], name2[64], buf[16];
    signal(SIGHUP, SIG_IGN); /* closing our terminal's master hangs us up */
    CHECK_EQ(setsid(), getpid());
    int m = new_master(name, sizeof(name));
    int s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO);
    int v;
    CHECK_ERR(ioctl(s, TIOCGSID, &v), ENOTTY);
    /* A write-only open does not make it the controlling terminal. */
    int w = CHECK_OK(open(name, O_WRONLY));
    CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO);
    CHECK_OK(close(w));
    /* An open for reading without O_NOCTTY does, for a session leader. */
    int r = CHECK_OK(open(name, O_RDWR));
    CHECK_OK(ioctl(s, TIOCGSID, &v));
    CHECK_EQ(v, getpid());
    CHECK_OK(ioctl(s, TIOCGPGRP, &v));
    CHECK_EQ(v, getpgrp());
    CHECK_OK(close(r));
    /* /dev/tty is a new open file on the same terminal. */
    int t = CHECK_OK(open("/dev/tty", O_RDWR));
    CHECK(isatty(t));
    struct stat st;
    CHECK_OK(fstat(t, &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 5);
    CHECK_EQ(minor(st.st_rdev), 0);
    unsigned n;
    CHECK_ERR(ioctl(t, TIOCGPTN, &n), ENOTTY); /* the replica, not a master */
    CHECK_EQ(tcgetsid(t), getpid());
    CHECK_EQ(write(t, "via\n", 4), 4);
    read_exact(m, "via\r\n", 5);
    CHECK_EQ(write(m, "in\n", 3), 3);
    read_exact(m, "in\r\n", 4); /* the echo */
    CHECK_EQ(read(t, buf, sizeof(buf)), 3);
    CHECK_MEM(buf, "in\n", 3);
    CHECK_OK(fcntl(t, F_SETFL, O_NONBLOCK)); /* its own open file description */
    CHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
    CHECK_OK(ioctl(m, TIOCGPTN, &n));
    check_stat_tty(encode_dev(makedev(136, n)), getpgrp());
    CHECK_OK(close(t));
    /* TIOCSCTTY: already ours is fine; another terminal is EPERM. */
    CHECK_OK(ioctl(s, TIOCSCTTY, 0));
    int m2 = new_master(name2, sizeof(name2));
    int s2 = CHECK_OK(open(name2, O_RDWR | O_NOCTTY));
    CHECK_ERR(ioctl(s2, TIOCSCTTY, 0), EPERM);
    /* A child inherits it; setsid loses it. */
    fflush(stderr);
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        int fd = open("/dev/tty", O_RDWR);
        if (fd < 0)
            _exit(2);
        close(fd);
        if (ioctl(s2, TIOCSCTTY, 0) != -1 || errno != EPERM)
            _exit(3); /* not a session leader */
        if (setsid() != getpid())
            _exit(4);
        if (open("/dev/tty", O_RDWR) != -1 || errno != ENXIO)
            _exit(5);
        /* A new leader may not take a terminal another session has
         * (without arg 1 and CAP_SYS_ADMIN)... */
        if (ioctl(s, TIOCSCTTY, 0) != -1 || errno != EPERM)
            _exit(6);
        /* ...but one no session has. */
        if (ioctl(s2, TIOCSCTTY, 0) != 0)
            _exit(7);
        if (ioctl(s, TIOCSCTTY, 0) != -1 || errno != EPERM)
            _exit(8); /* it has one now */
        _exit(0);
    }
    check_reap(c);
    /* Still ours after the child's exit (it led another session). */
    t = CHECK_OK(open("/dev/tty", O_RDWR));
    CHECK_OK(close(t));
    CHECK_OK(close(s2));
    CHECK_OK(close(m2));
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

static void acquire(void)
{
    in_child(acquire_child);
}

/* ---- hangups and their signals ----------------------------------------- */

static int g_sigfd = -1;
static void on_sig(int sig)
{
    char c = sig == SIGHUP ? 'H' : sig == SIGCONT ? 'C' : '?';
    if (write(g_sigfd, &c, 1) != 1)
        _exit(99);
}

/* Reads the signal letters that arrive on fd within ms. */
static void read_sigs(int fd, int ms, char *out, size_t size)
{
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n + 1 < size && poll(&p, 1, ms) == 1) {
        if (read(fd, out + n, 1) != 1)
            break;
        n++;
    }
    out[n] = '\0';
}

/* The shape shared by the hangup tests: a session leader L with the pty as
 * its controlling terminal and a child G in another process group, in the
 * foreground, that reports SIGHUP and SIGCONT on a pipe. */
struct job {
    int m;      /* the master (the test's) */
    pid_t l, g; /* leader and foreground child */
    int sigs;   /* read end: G's (and L's) signal letters */
    int ctl;    /* write end: a byte tells L what to do */
    int status; /* read end: L's reports */
};

/* What L does on its command byte. */
static void leader(int s, int ctl, int status, int sigw)
{
    char cmd;
    for (;;) {
        ssize_t r = read(ctl, &cmd, 1);
        if (r == 1)
            break;
        if (r == 0 || errno != EINTR)
            _exit(20);
    }
    char res = 'y';
    switch (cmd) {
    case 'x': /* exit */
        _exit(0);
    case 'n': { /* TIOCNOTTY as the leader */
        int v;
        if (ioctl(s, TIOCNOTTY) != 0)
            res = '1';
        else if (open("/dev/tty", O_RDWR) != -1 || errno != ENXIO)
            res = '2';
        else if (ioctl(s, TIOCGSID, &v) != -1 || errno != ENOTTY)
            res = '3';
        break;
    }
    case 'h': { /* after the master's close: the terminal is gone */
        if (open("/dev/tty", O_RDWR) != -1 || errno != ENXIO)
            res = '4';
        break;
    }
    }
    if (write(status, &res, 1) != 1)
        _exit(21);
    /* Then wait for the exit command. */
    while (read(ctl, &cmd, 1) < 0 && errno == EINTR)
        ;
    (void)sigw;
    _exit(0);
}

static void job_start(struct job *j, bool leader_reports_hup)
{
    char name[64];
    j->m = new_master(name, sizeof(name));
    int sp[2], cp[2], rp[2], gp[2];
    CHECK_OK(pipe(sp));
    CHECK_OK(pipe(cp));
    CHECK_OK(pipe(rp));
    CHECK_OK(pipe(gp)); /* G's readiness, to L */
    fflush(stderr);
    j->l = CHECK_OK(fork());
    if (j->l == 0) {
        alarm(10);
        close(j->m);
        close(sp[0]);
        close(cp[1]);
        close(rp[0]);
        if (setsid() < 0)
            _exit(30);
        int s = open(name, O_RDWR | O_NOCTTY);
        if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
            _exit(31);
        g_sigfd = sp[1];
        if (leader_reports_hup) {
            struct sigaction sa = {.sa_handler = on_sig};
            sigaction(SIGHUP, &sa, NULL);
        }
        pid_t g = fork();
        if (g < 0)
            _exit(32);
        if (g == 0) {
            alarm(10);
            close(gp[0]);
            close(cp[0]);
            close(rp[1]);
            setpgid(0, 0);
            struct sigaction sa = {.sa_handler = on_sig};
            sigaction(SIGHUP, &sa, NULL);
            sigaction(SIGCONT, &sa, NULL);
            if (write(gp[1], "R", 1) != 1)
                _exit(40);
            close(gp[1]);
            for (;;)
                pause(); /* until SIGALRM or SIGKILL */
        }
        close(gp[1]);
        setpgid(g, g);
        char c;
        if (read(gp[0], &c, 1) != 1)
            _exit(33);
        if (tcsetpgrp(s, g) < 0)
            _exit(34);
        if (write(rp[1], &g, sizeof(g)) != sizeof(g))
            _exit(35);
        leader(s, cp[0], rp[1], sp[1]);
    }
    close(sp[1]);
    close(cp[0]);
    close(rp[1]);
    close(gp[0]);
    close(gp[1]);
    j->sigs = sp[0];
    j->ctl = cp[1];
    j->status = rp[0];
    CHECK_EQ(read(j->status, &j->g, sizeof(j->g)), sizeof(j->g));
    int v;
    CHECK_OK(ioctl(j->m, TIOCGPGRP, &v));
    CHECK_EQ(v, j->g);
    CHECK_OK(ioctl(j->m, TIOCGSID, &v));
    CHECK_EQ(v, j->l);
}

static void job_cmd(struct job *j, char cmd)
{
    CHECK_EQ(write(j->ctl, &cmd, 1), 1);
}

static char job_result(struct job *j)
{
    char r = 0;
    CHECK_EQ(read(j->status, &r, 1), 1);
    return r;
}

static void job_end(struct job *j, bool close_master)
{
    job_cmd(j, 'x');
    int st;
    check_reap(j->l);
    kill(j->g, SIGKILL);
    CHECK_EQ(waitpid(j->g, &st, 0), j->g); /* reparented to us (subreaper) */
    close(j->sigs);
    close(j->ctl);
    close(j->status);
    if (close_master)
        CHECK_OK(close(j->m));
}

static void leader_exit(void)
{
    struct job j;
    job_start(&j, false);
    /* The leader's exit: SIGHUP (only) to the foreground group. */
    job_cmd(&j, 'x');
    int st;
    check_reap(j.l);
    char got[8];
    read_sigs(j.sigs, 2000, got, 2);
    CHECK_STR(got, "H");
    read_sigs(j.sigs, 200, got, sizeof(got));
    CHECK_STR(got, "");
    /* The terminal has no session any more. */
    int v = -1;
    CHECK_ERR(ioctl(j.m, TIOCGSID, &v), ENOTTY);
    CHECK_OK(ioctl(j.m, TIOCGPGRP, &v));
    CHECK_EQ(v, 0);
    kill(j.g, SIGKILL);
    CHECK_EQ(waitpid(j.g, &st, 0), j.g);
    close(j.sigs);
    close(j.ctl);
    close(j.status);
    CHECK_OK(close(j.m));
}

static void notty(void)
{
    struct job j;
    job_start(&j, false);
    /* The leader gives it up: SIGHUP and SIGCONT to the foreground group. */
    job_cmd(&j, 'n');
    CHECK_EQ(job_result(&j), 'y');
    char got[8];
    read_sigs(j.sigs, 2000, got, 3);
    CHECK(strcmp(got, "HC") == 0 || strcmp(got, "CH") == 0);
    int v;
    CHECK_ERR(ioctl(j.m, TIOCGSID, &v), ENOTTY);
    job_end(&j, true);
}

static void notty_member_child(void)
{
    char name[64];
    signal(SIGHUP, SIG_IGN); /* closing our terminal's master hangs us up */
    CHECK_EQ(setsid(), getpid());
    int m = new_master(name, sizeof(name));
    int s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    CHECK_OK(ioctl(s, TIOCSCTTY, 0));
    CHECK_ERR(ioctl(m, TIOCNOTTY), ENOTTY); /* a master is nobody's terminal */
    fflush(stderr);
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        if (ioctl(s, TIOCNOTTY) != 0)
            _exit(2);
        if (open("/dev/tty", O_RDWR) != -1 || errno != ENXIO)
            _exit(3);
        if (ioctl(s, TIOCNOTTY) != -1 || errno != ENOTTY)
            _exit(4);
        int v;
        if (ioctl(s, TIOCGPGRP, &v) != -1 || errno != ENOTTY)
            _exit(5);
        _exit(0);
    }
    check_reap(c);
    /* The member's TIOCNOTTY left the session's terminal alone. */
    int v;
    CHECK_OK(ioctl(s, TIOCGSID, &v));
    CHECK_EQ(v, getpid());
    int t = CHECK_OK(open("/dev/tty", O_RDWR));
    CHECK_OK(close(t));
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

static void notty_member(void)
{
    in_child(notty_member_child);
}

/* TIOCSCTTY on a master takes its replica. */
static void sctty_master_child(void)
{
    char name[64];
    signal(SIGHUP, SIG_IGN); /* closing our terminal's master hangs us up */
    CHECK_EQ(setsid(), getpid());
    int m = new_master(name, sizeof(name));
    CHECK_OK(ioctl(m, TIOCSCTTY, 0));
    int v;
    CHECK_OK(ioctl(m, TIOCGSID, &v));
    CHECK_EQ(v, getpid());
    int t = CHECK_OK(open("/dev/tty", O_RDWR));
    CHECK_EQ(write(t, "r", 1), 1);
    read_exact(m, "r", 1);
    CHECK_OK(close(t));
    CHECK_OK(close(m));
    CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO); /* hung up with the master */
}

static void sctty_master(void)
{
    in_child(sctty_master_child);
}

static void master_close(void)
{
    struct job j;
    job_start(&j, true);
    /* The master's close hangs the replica up: SIGHUP and SIGCONT to the
     * session leader (L reports SIGHUP), nothing to the foreground group. */
    CHECK_OK(close(j.m));
    char got[8];
    read_sigs(j.sigs, 2000, got, 2);
    CHECK_STR(got, "H");
    read_sigs(j.sigs, 200, got, sizeof(got));
    CHECK_STR(got, "");
    job_cmd(&j, 'h');
    CHECK_EQ(job_result(&j), 'y'); /* the session lost its terminal */
    /* The leader's exit now hangs up the group that was in the
     * foreground: SIGHUP and SIGCONT. */
    job_cmd(&j, 'x');
    int st;
    check_reap(j.l);
    read_sigs(j.sigs, 2000, got, 3);
    CHECK(strcmp(got, "HC") == 0 || strcmp(got, "CH") == 0);
    kill(j.g, SIGKILL);
    CHECK_EQ(waitpid(j.g, &st, 0), j.g);
    close(j.sigs);
    close(j.ctl);
    close(j.status);
}

/* ---- the master's ioctls ----------------------------------------------- */

static void peer_child(int m)
{
    /* Without O_NOCTTY a session leader takes the replica it opens. */
    CHECK_EQ(setsid(), getpid());
    int s = CHECK_OK(ioctl(m, TIOCGPTPEER, O_RDWR));
    int v;
    CHECK_OK(ioctl(s, TIOCGSID, &v));
    CHECK_EQ(v, getpid());
}

static int g_peer_master;
static void peer_child_fn(void)
{
    peer_child(g_peer_master);
}

static void peer(void)
{
    int m = open_master();
    /* Locked: the replica cannot be opened. */
    CHECK_ERR(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY), EIO);
    CHECK_OK(unlockpt(m));
    int s = CHECK_OK(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    unsigned n;
    CHECK_OK(ioctl(m, TIOCGPTN, &n));
    struct stat st;
    CHECK_OK(fstat(s, &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 136);
    CHECK_EQ(minor(st.st_rdev), n);
    CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(s, F_GETFL) & O_ACCMODE, O_RDWR);
    CHECK_EQ(write(s, "p\n", 2), 2);
    read_exact(m, "p\r\n", 3);
    /* A replica has no peer to open. */
    CHECK_ERR(ioctl(s, TIOCGPTPEER, O_RDWR), EIO);
    int r = CHECK_OK(ioctl(m, TIOCGPTPEER, O_RDONLY | O_NOCTTY | O_NONBLOCK));
    CHECK_EQ(fcntl(r, F_GETFD), 0);
    CHECK_EQ(fcntl(r, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY | O_NONBLOCK);
    char buf[4];
    CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
    CHECK_ERR(write(r, "x", 1), EBADF);
    g_peer_master = m;
    in_child(peer_child_fn);
    CHECK_OK(close(r));
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

/* Reads one packet-mode status byte. */
static void read_status(int m, int want)
{
    struct pollfd p = {.fd = m, .events = POLLPRI};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK(p.revents & POLLPRI);
    unsigned char c[8];
    CHECK_EQ(read(m, c, sizeof(c)), 1);
    CHECK_EQ(c[0], want);
}

static void packet(void)
{
    char name[64];
    int m = new_master(name, sizeof(name));
    int s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    int on = 1, v = -1;
    CHECK_OK(ioctl(m, TIOCGPKT, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(ioctl(m, TIOCPKT, &on));
    CHECK_OK(ioctl(m, TIOCGPKT, &v));
    CHECK_EQ(v, 1);
    CHECK_ERR(ioctl(s, TIOCPKT, &on), ENOTTY);
    /* Data comes after a TIOCPKT_DATA byte. */
    CHECK_EQ(write(s, "hi", 2), 2);
    read_exact(m, "\0hi", 3);
    /* The replica's flushes. */
    CHECK_OK(tcflush(s, TCIFLUSH));
    read_status(m, TIOCPKT_FLUSHREAD);
    CHECK_OK(tcflush(s, TCOFLUSH));
    read_status(m, TIOCPKT_FLUSHWRITE);
    /* ^S and ^Q (IXON is on by default). */
    CHECK_EQ(write(m, "\023", 1), 1);
    read_status(m, TIOCPKT_STOP);
    CHECK_EQ(write(m, "\021", 1), 1);
    read_status(m, TIOCPKT_START);
    /* Clearing IXON: ^S/^Q no longer control the flow. */
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    t.c_iflag &= ~IXON;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    read_status(m, TIOCPKT_NOSTOP);
    t.c_iflag |= IXON;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    read_status(m, TIOCPKT_DOSTOP);
    /* Off again: plain data. */
    int off = 0;
    CHECK_OK(ioctl(m, TIOCPKT, &off));
    CHECK_EQ(write(s, "ok", 2), 2);
    read_exact(m, "ok", 2);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

/* Waits until fd stops (want false) or starts (true) being writable. */
static void wait_writable(int fd, bool want)
{
    for (int i = 0; i < 500; i++) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r = poll(&p, 1, 0);
        if ((r == 1 && (p.revents & POLLOUT)) == want)
            return;
        usleep(10000);
    }
    FAIL("the replica never became %s", want ? "writable" : "unwritable");
}

static void flow(void)
{
    char name[64];
    int m = new_master(name, sizeof(name));
    int s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
    struct termios t;
    CHECK_OK(tcgetattr(s, &t));
    CHECK(t.c_iflag & IXON);
    CHECK_EQ(t.c_cc[VSTOP], 023);
    CHECK_EQ(t.c_cc[VSTART], 021);
    CHECK_EQ(write(s, "a", 1), 1); /* written before the stop: readable */
    CHECK_EQ(write(m, "\023", 1), 1);
    wait_writable(s, false);
    read_exact(m, "a", 1);
    CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
    CHECK_ERR(write(s, "b", 1), EAGAIN);
    /* Echo waits too; ^S/^Q are neither echoed nor read. */
    CHECK_EQ(write(m, "q", 1), 1);
    read_nothing(m);
    CHECK_EQ(write(m, "\021", 1), 1);
    wait_writable(s, true);
    read_exact(m, "q", 1);
    CHECK_EQ(write(s, "b", 1), 1);
    read_exact(m, "b", 1);
    CHECK_EQ(write(m, "\n", 1), 1);
    read_exact(m, "\r\n", 2);
    char buf[8];
    CHECK_EQ(read(s, buf, sizeof(buf)), 2);
    CHECK_MEM(buf, "q\n", 2);
    /* IXANY: any byte starts it again. */
    t.c_iflag |= IXANY;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    CHECK_EQ(write(m, "\023", 1), 1);
    wait_writable(s, false);
    CHECK_EQ(write(m, "z", 1), 1);
    wait_writable(s, true);
    read_exact(m, "z", 1);
    /* Without IXON they are ordinary bytes; clearing it restarts output. */
    CHECK_EQ(write(m, "\023", 1), 1);
    wait_writable(s, false);
    t.c_iflag &= ~(IXON | IXANY);
    t.c_lflag &= ~ECHO;
    CHECK_OK(tcsetattr(s, TCSANOW, &t));
    wait_writable(s, true);
    CHECK_EQ(write(m, "\023\021\n", 3), 3);
    struct pollfd p = {.fd = s, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK_EQ(read(s, buf, sizeof(buf)), 4);
    CHECK_MEM(buf, "z\023\021\n", 4);
    CHECK_OK(close(s));
    CHECK_OK(close(m));
}

int main(void)
{
    /* Orphaned foreground children come back to us to be reaped. */
    CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
    RUN(no_ctty);
    RUN(acquire);
    RUN(notty_member);
    RUN(sctty_master);
    RUN(leader_exit);
    RUN(notty);
    RUN(master_close);
    RUN(peer);
    RUN(packet);
    RUN(flow);
    return 0;
}
