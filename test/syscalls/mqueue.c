/* POSIX message queues through the raw system calls (names without glibc's
 * leading '/'): mq_open's flags, names and limits, mq_unlink, priority
 * order, O_NONBLOCK (EAGAIN), timeouts (ETIMEDOUT), EMSGSIZE, EBADF for the
 * wrong access mode, blocking across processes, EINTR, poll, the status
 * line a read returns, mq_notify (SIGEV_SIGNAL with SI_MESGQ, SIGEV_NONE,
 * EBUSY) and mq_getsetattr; for an unprivileged user (a child switched to a
 * uid of its own; skipped when that fails): the limits of
 * /proc/sys/fs/mqueue enforced, RLIMIT_MSGQUEUE (EMFILE, Linux's byte
 * count, given back when the queue is gone) and queues_max (ENOSPC). */
#include "check.h"

#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static char g_name[64];

static long mq_open_(const char *name, int flags, int mode, struct mq_attr *attr)
{
    return syscall(SYS_mq_open, name, flags, mode, attr);
}

static long mq_send_(int fd, const void *msg, size_t len, unsigned prio, const struct timespec *ts)
{
    return syscall(SYS_mq_timedsend, fd, msg, len, prio, ts);
}

static long mq_recv_(int fd, void *msg, size_t len, unsigned *prio, const struct timespec *ts)
{
    return syscall(SYS_mq_timedreceive, fd, msg, len, prio, ts);
}

static long mq_unlink_(const char *name)
{
    return syscall(SYS_mq_unlink, name);
}

static long mq_getsetattr_(int fd, const struct mq_attr *n, struct mq_attr *o)
{
    return syscall(SYS_mq_getsetattr, fd, n, o);
}

/* A small queue (maxmsg 4, msgsize 64) under g_name. */
static int small_queue(int flags)
{
    struct mq_attr a = {.mq_maxmsg = 4, .mq_msgsize = 64};
    return (int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | flags, 0600, &a));
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += (ms % 1000) * 1000000L;
    ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

static void open_unlink(void)
{
    CHECK_ERR(mq_open_(g_name, O_RDWR, 0, NULL), ENOENT);
    CHECK_ERR(mq_unlink_(g_name), ENOENT);
    int fd = (int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0640, NULL));
    /* Always close-on-exec. */
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    struct mq_attr a;
    CHECK_OK(mq_getsetattr_(fd, NULL, &a));
    CHECK_EQ(a.mq_flags, 0);
    CHECK_GT(a.mq_maxmsg, 0);
    CHECK_GT(a.mq_msgsize, 0);
    CHECK_EQ(a.mq_curmsgs, 0);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0640 & ~(mode_t)umask(022));
    umask(022);
    CHECK_ERR(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL), EEXIST);
    int fd2 = (int)CHECK_OK(mq_open_(g_name, O_CREAT | O_WRONLY, 0600, NULL));
    int fd3 = (int)CHECK_OK(mq_open_(g_name, O_RDONLY | O_NONBLOCK, 0, NULL));
    CHECK_OK(mq_getsetattr_(fd3, NULL, &a));
    CHECK_EQ(a.mq_flags, O_NONBLOCK);
    /* Unlinked, the queue lives on for its descriptors. */
    CHECK_OK(mq_send_(fd2, "x", 1, 0, NULL));
    CHECK_OK(mq_unlink_(g_name));
    CHECK_ERR(mq_unlink_(g_name), ENOENT);
    CHECK_ERR(mq_open_(g_name, O_RDWR, 0, NULL), ENOENT);
    char buf[8192];
    CHECK_EQ(CHECK_OK(mq_recv_(fd3, buf, sizeof(buf), NULL, NULL)), 1);
    CHECK_OK(close(fd));
    CHECK_OK(close(fd2));
    CHECK_OK(close(fd3));
}

static void bad_args(void)
{
    CHECK_ERR(mq_open_("", O_RDWR | O_CREAT, 0600, NULL), ENOENT);
    CHECK_ERR(mq_open_("a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    CHECK_ERR(mq_open_("/abc", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    CHECK_ERR(mq_open_(".", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    CHECK_ERR(mq_open_("..", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_ERR(mq_open_(longname, O_RDWR | O_CREAT, 0600, NULL), ENAMETOOLONG);
    CHECK_ERR(mq_unlink_("a/b"), EACCES);
    CHECK_ERR(mq_open_(NULL, O_RDWR, 0, NULL), EFAULT);
    /* Limits: positive, at most the hard limits even with privileges. */
    struct mq_attr a = {.mq_maxmsg = 0, .mq_msgsize = 64};
    CHECK_ERR(mq_open_(g_name, O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a.mq_maxmsg = 4;
    a.mq_msgsize = -1;
    CHECK_ERR(mq_open_(g_name, O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a.mq_msgsize = 64;
    a.mq_maxmsg = 1000000;
    CHECK_ERR(mq_open_(g_name, O_RDWR | O_CREAT, 0600, &a), EINVAL);
    a.mq_maxmsg = 4;
    a.mq_msgsize = 1L << 30;
    CHECK_ERR(mq_open_(g_name, O_RDWR | O_CREAT, 0600, &a), EINVAL);
    CHECK_ERR(mq_open_(g_name, O_RDWR, 0, NULL), ENOENT);
    /* The attributes are read first, even without O_CREAT. */
    CHECK_ERR(mq_open_(g_name, O_RDWR, 0, (struct mq_attr *)1), EFAULT);
    CHECK_ERR(mq_open_("a/b", O_RDWR, 0, (struct mq_attr *)1), EFAULT);
    /* Descriptors that are not queues. */
    char buf[64];
    CHECK_ERR(mq_send_(0, "x", 1, 0, NULL), EBADF);
    CHECK_ERR(mq_recv_(0, buf, sizeof(buf), NULL, NULL), EBADF);
    CHECK_ERR(mq_getsetattr_(0, NULL, NULL), EBADF);
    CHECK_ERR(mq_send_(-1, "x", 1, 0, NULL), EBADF);
    CHECK_ERR(syscall(SYS_mq_notify, 0, NULL), EBADF);
}

static void priorities(void)
{
    int fd = small_queue(O_RDWR);
    CHECK_OK(mq_send_(fd, "a1", 2, 1, NULL));
    CHECK_OK(mq_send_(fd, "b5", 2, 5, NULL));
    CHECK_OK(mq_send_(fd, "c1", 2, 1, NULL));
    CHECK_OK(mq_send_(fd, "d5", 2, 5, NULL));
    struct mq_attr a;
    CHECK_OK(mq_getsetattr_(fd, NULL, &a));
    CHECK_EQ(a.mq_curmsgs, 4);
    CHECK_EQ(a.mq_maxmsg, 4);
    CHECK_EQ(a.mq_msgsize, 64);
    const char *want[] = {"b5", "d5", "a1", "c1"};
    const unsigned wprio[] = {5, 5, 1, 1};
    for (int i = 0; i < 4; i++) {
        char buf[64] = {0};
        unsigned prio = 99;
        CHECK_EQ(CHECK_OK(mq_recv_(fd, buf, sizeof(buf), &prio, NULL)), 2);
        CHECK_MEM(buf, want[i], 2);
        CHECK_EQ(prio, wprio[i]);
    }
    /* Zero-length messages and the largest priority. */
    CHECK_OK(mq_send_(fd, "", 0, 32767, NULL));
    CHECK_ERR(mq_send_(fd, "x", 1, 32768, NULL), EINVAL);
    char buf[64];
    unsigned prio;
    CHECK_EQ(CHECK_OK(mq_recv_(fd, buf, sizeof(buf), &prio, NULL)), 0);
    CHECK_EQ(prio, 32767);
    CHECK_OK(close(fd));
    CHECK_OK(mq_unlink_(g_name));
}

static void limits_and_modes(void)
{
    int fd = small_queue(O_RDWR | O_NONBLOCK);
    char big[65] = {0}, buf[64];
    CHECK_ERR(mq_send_(fd, big, 65, 0, NULL), EMSGSIZE);
    CHECK_ERR(mq_recv_(fd, buf, 63, NULL, NULL), EMSGSIZE);
    CHECK_ERR(mq_recv_(fd, buf, 64, NULL, NULL), EAGAIN);
    for (int i = 0; i < 4; i++)
        CHECK_OK(mq_send_(fd, big, 64, 0, NULL));
    CHECK_ERR(mq_send_(fd, big, 1, 0, NULL), EAGAIN);
    /* Timeouts: invalid ones are EINVAL, past ones ETIMEDOUT when full. */
    struct timespec bad = {0, 1000000000L};
    CHECK_ERR(mq_send_(fd, big, 1, 0, &bad), EINVAL);
    struct mq_attr set = {.mq_flags = 0}, old;
    CHECK_OK(mq_getsetattr_(fd, &set, &old));
    CHECK_EQ(old.mq_flags, O_NONBLOCK);
    CHECK_EQ(old.mq_curmsgs, 4);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)) & O_NONBLOCK, 0);
    struct timespec past = {1, 0};
    CHECK_ERR(mq_send_(fd, big, 1, 0, &past), ETIMEDOUT);
    struct timespec ts, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    deadline_in(&ts, 100);
    CHECK_ERR(mq_send_(fd, big, 1, 0, &ts), ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK_GE(ms, 90);
    /* Only O_NONBLOCK may be set. */
    set.mq_flags = O_NONBLOCK | O_APPEND;
    CHECK_ERR(mq_getsetattr_(fd, &set, NULL), EINVAL);
    set.mq_flags = O_NONBLOCK;
    set.mq_maxmsg = 100; /* ignored */
    CHECK_OK(mq_getsetattr_(fd, &set, NULL));
    CHECK_OK(mq_getsetattr_(fd, NULL, &old));
    CHECK_EQ(old.mq_flags, O_NONBLOCK);
    CHECK_EQ(old.mq_maxmsg, 4);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(CHECK_OK(mq_recv_(fd, buf, sizeof(buf), NULL, NULL)), 64);
    CHECK_OK(mq_getsetattr_(fd, &(struct mq_attr){0}, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    deadline_in(&ts, 100);
    CHECK_ERR(mq_recv_(fd, buf, sizeof(buf), NULL, &ts), ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK_GE(ms, 90);
    CHECK_OK(close(fd));
    /* Access modes. */
    int rd = (int)CHECK_OK(mq_open_(g_name, O_RDONLY, 0, NULL));
    int wr = (int)CHECK_OK(mq_open_(g_name, O_WRONLY | O_NONBLOCK, 0, NULL));
    CHECK_ERR(mq_send_(rd, "x", 1, 0, NULL), EBADF);
    CHECK_ERR(mq_recv_(wr, buf, sizeof(buf), NULL, NULL), EBADF);
    CHECK_ERR(mq_open_(g_name, O_RDWR | O_WRONLY, 0, NULL), EINVAL);
    CHECK_OK(close(rd));
    CHECK_OK(close(wr));
    CHECK_OK(mq_unlink_(g_name));
}

static void blocking(void)
{
    int fd = small_queue(O_RDWR);
    pid_t pid = (pid_t)CHECK_OK(fork());
    if (pid == 0) {
        usleep(100000);
        if (mq_send_(fd, "hello", 5, 3, NULL) < 0)
            _exit(2);
        /* Then fill the queue: the parent's sends block until it reads. */
        char buf[64];
        if (mq_recv_(fd, buf, sizeof(buf), NULL, NULL) != 2 || memcmp(buf, "go", 2) != 0)
            _exit(3);
        _exit(0);
    }
    char buf[64];
    unsigned prio = 0;
    CHECK_EQ(CHECK_OK(mq_recv_(fd, buf, sizeof(buf), &prio, NULL)), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_EQ(prio, 3);
    CHECK_OK(mq_send_(fd, "go", 2, 0, NULL));
    check_reap(pid);
    /* A full queue blocks a sender until a receiver makes room. */
    for (int i = 0; i < 4; i++)
        CHECK_OK(mq_send_(fd, "f", 1, 0, NULL));
    pid = (pid_t)CHECK_OK(fork());
    if (pid == 0) {
        usleep(100000);
        _exit(mq_recv_(fd, buf, sizeof(buf), NULL, NULL) == 1 ? 0 : 4);
    }
    CHECK_OK(mq_send_(fd, "g", 1, 0, NULL));
    check_reap(pid);
    CHECK_OK(close(fd));
    CHECK_OK(mq_unlink_(g_name));
}

static void on_alarm(int sig)
{
}

static void interrupted(void)
{
    int fd = small_queue(O_RDWR);
    struct sigaction sa = {.sa_handler = on_alarm};
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    alarm(1);
    char buf[64];
    CHECK_ERR(mq_recv_(fd, buf, sizeof(buf), NULL, NULL), EINTR);
    CHECK_OK(close(fd));
    CHECK_OK(mq_unlink_(g_name));
}

static void polling(void)
{
    int fd = small_queue(O_RDWR);
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 1);
    CHECK_EQ(p.revents, POLLOUT);
    CHECK_OK(mq_send_(fd, "x", 1, 0, NULL));
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 1);
    CHECK_EQ(p.revents, POLLIN | POLLOUT);
    for (int i = 0; i < 3; i++)
        CHECK_OK(mq_send_(fd, "x", 1, 0, NULL));
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 1);
    CHECK_EQ(p.revents, POLLIN);
    char buf[64];
    for (int i = 0; i < 4; i++)
        CHECK_OK(mq_recv_(fd, buf, sizeof(buf), NULL, NULL));
    /* A poller sleeps until a message arrives. */
    pid_t pid = (pid_t)CHECK_OK(fork());
    if (pid == 0) {
        usleep(100000);
        _exit(mq_send_(fd, "y", 1, 0, NULL) == 0 ? 0 : 2);
    }
    p.events = POLLIN;
    CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
    CHECK_EQ(p.revents, POLLIN);
    check_reap(pid);
    CHECK_OK(close(fd));
    CHECK_OK(mq_unlink_(g_name));
}

static volatile sig_atomic_t g_got;
static siginfo_t g_info;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    g_info = *si;
    g_got++;
}

static void status_line(int fd, char *buf, size_t size)
{
    long n = CHECK_OK(pread(fd, buf, size - 1, 0));
    buf[n] = '\0';
}

static void notify(void)
{
    int fd = small_queue(O_RDWR | O_NONBLOCK);
    char line[256], buf[64];
    status_line(fd, line, sizeof(line));
    CHECK_STR(line, "QSIZE:0          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
    struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
    ev.sigev_value.sival_int = 1234;
    CHECK_OK(syscall(SYS_mq_notify, fd, &ev));
    CHECK_ERR(syscall(SYS_mq_notify, fd, &ev), EBUSY);
    char want[128];
    snprintf(want, sizeof(want), "QSIZE:0          NOTIFY:0     SIGNO:%-5d NOTIFY_PID:%-6d\n",
             SIGUSR1, getpid());
    status_line(fd, line, sizeof(line));
    CHECK_STR(line, want);
    g_got = 0;
    CHECK_OK(mq_send_(fd, "abc", 3, 0, NULL));
    for (int i = 0; i < 200 && !g_got; i++)
        usleep(5000);
    CHECK_EQ(g_got, 1);
    CHECK_EQ(g_info.si_signo, SIGUSR1);
    CHECK_EQ(g_info.si_code, SI_MESGQ);
    CHECK_EQ(g_info.si_value.sival_int, 1234);
    CHECK_EQ(g_info.si_pid, getpid());
    CHECK_EQ(g_info.si_uid, getuid());
    /* One notification per registration; the queue's bytes in QSIZE. */
    status_line(fd, line, sizeof(line));
    CHECK_STR(line, "QSIZE:3          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
    CHECK_OK(mq_recv_(fd, buf, sizeof(buf), NULL, NULL));
    CHECK_OK(mq_send_(fd, "abc", 3, 0, NULL));
    usleep(20000);
    CHECK_EQ(g_got, 1);
    /* Only an empty queue becoming non-empty notifies. */
    CHECK_OK(syscall(SYS_mq_notify, fd, &ev));
    CHECK_OK(mq_send_(fd, "d", 1, 0, NULL));
    usleep(20000);
    CHECK_EQ(g_got, 1);
    /* Removal, also when not registered. */
    CHECK_OK(syscall(SYS_mq_notify, fd, NULL));
    CHECK_OK(syscall(SYS_mq_notify, fd, NULL));
    status_line(fd, line, sizeof(line));
    CHECK_STR(line, "QSIZE:4          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
    /* SIGEV_NONE registers (EBUSY for others) without a signal. */
    while (mq_recv_(fd, buf, sizeof(buf), NULL, NULL) >= 0)
        ;
    CHECK_EQ(errno, EAGAIN);
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    CHECK_OK(syscall(SYS_mq_notify, fd, &none));
    snprintf(want, sizeof(want), "QSIZE:0          NOTIFY:1     SIGNO:0     NOTIFY_PID:%-6d\n",
             getpid());
    status_line(fd, line, sizeof(line));
    CHECK_STR(line, want);
    CHECK_ERR(syscall(SYS_mq_notify, fd, &ev), EBUSY);
    CHECK_OK(mq_send_(fd, "e", 1, 0, NULL));
    usleep(20000);
    CHECK_EQ(g_got, 1);
    CHECK_OK(syscall(SYS_mq_notify, fd, &ev)); /* SIGEV_NONE was used up */
    CHECK_OK(syscall(SYS_mq_notify, fd, NULL));
    struct sigevent badev = {.sigev_notify = 77};
    CHECK_ERR(syscall(SYS_mq_notify, fd, &badev), EINVAL);
    badev.sigev_notify = SIGEV_SIGNAL;
    badev.sigev_signo = 100;
    CHECK_ERR(syscall(SYS_mq_notify, fd, &badev), EINVAL);
    CHECK_OK(close(fd));
    CHECK_OK(mq_unlink_(g_name));
}

/* ---- limits, for an unprivileged user ---------------------------------------- */

static long mq_sysctl(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
    FILE *f = fopen(path, "re");
    if (!f)
        FAIL("%s: %s", path, check_errname_(errno));
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1)
        FAIL("%s: not a number", path);
    fclose(f);
    return v;
}

/* What Linux charges to RLIMIT_MSGQUEUE for a queue (x86-64: a struct
 * msg_msg per message and a priority-tree node per possible priority, 48
 * bytes each, plus the message data). */
static long mq_bytes(long maxmsg, long msgsize)
{
    return maxmsg * 48 + (maxmsg < 32768 ? maxmsg : 32768) * 48 + maxmsg * msgsize;
}

static void set_msgqueue_soft(rlim_t soft)
{
    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_MSGQUEUE, &rl));
    rl.rlim_cur = soft;
    CHECK_OK(setrlimit(RLIMIT_MSGQUEUE, &rl));
}

/* Runs fn in a child switched to a uid with no queues of its own and no
 * CAP_SYS_RESOURCE; skips when the switch fails (not root). */
static void as_user(void (*fn)(void))
{
    pid_t pid = (pid_t)CHECK_OK(fork());
    if (pid == 0) {
        uid_t uid = 40000 + (uid_t)(getpid() % 20000);
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(77);
        /* The parts set soft limits below the hard one (Linux's default
         * 819200 bytes is room enough). */
        struct rlimit rl;
        CHECK_OK(getrlimit(RLIMIT_MSGQUEUE, &rl));
        if (rl.rlim_max < 100000)
            _exit(78);
        fn();
        exit(0);
    }
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
        SKIP("setresuid to an unprivileged uid failed (not root?)");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 78)
        SKIP("RLIMIT_MSGQUEUE's hard limit is below 100000 bytes");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        FAIL("child status %#x", st);
}

static void sysctl_limits_user(void)
{
    long msg_max = mq_sysctl("msg_max"), msgsize_max = mq_sysctl("msgsize_max");
    long msg_default = mq_sysctl("msg_default");
    long msgsize_default = mq_sysctl("msgsize_default");
    CHECK_GT(msg_max, 0);
    CHECK_GT(msgsize_max, 0);
    CHECK_GT(mq_sysctl("queues_max"), 0);
    /* An unprivileged creator gets at most msg_max x msgsize_max. */
    struct mq_attr a = {.mq_maxmsg = msg_max + 1, .mq_msgsize = 1};
    CHECK_ERR(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, &a), EINVAL);
    a = (struct mq_attr){.mq_maxmsg = 1, .mq_msgsize = msgsize_max + 1};
    CHECK_ERR(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, &a), EINVAL);
    a = (struct mq_attr){.mq_maxmsg = msg_max, .mq_msgsize = 1};
    CHECK_OK(close((int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, &a))));
    CHECK_OK(mq_unlink_(g_name));
    a = (struct mq_attr){.mq_maxmsg = 1, .mq_msgsize = msgsize_max};
    CHECK_OK(close((int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, &a))));
    CHECK_OK(mq_unlink_(g_name));
    /* Without attributes: the defaults (capped by the maxima). */
    int fd = (int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL));
    CHECK_OK(mq_getsetattr_(fd, NULL, &a));
    CHECK_EQ(a.mq_maxmsg, msg_default < msg_max ? msg_default : msg_max);
    CHECK_EQ(a.mq_msgsize, msgsize_default < msgsize_max ? msgsize_default : msgsize_max);
    CHECK_OK(close(fd));
    CHECK_OK(mq_unlink_(g_name));
}

static void sysctl_limits(void)
{
    /* The files exist for everyone; their values are checked as a user. */
    static const char *const names[] = {"msg_default", "msg_max", "msgsize_default", "msgsize_max",
                                        "queues_max"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        CHECK_GT(mq_sysctl(names[i]), 0);
    as_user(sysctl_limits_user);
}

static void rlimit_msgqueue_user(void)
{
    char other[80];
    snprintf(other, sizeof(other), "%s-other", g_name);
    struct mq_attr a = {.mq_maxmsg = 2, .mq_msgsize = 100},
                   tiny = {.mq_maxmsg = 1, .mq_msgsize = 1};
    long a_bytes = mq_bytes(2, 100), tiny_bytes = mq_bytes(1, 1);
    /* Exactly at the limit is allowed; one byte over is EMFILE. */
    set_msgqueue_soft((rlim_t)a_bytes - 1);
    CHECK_ERR(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, &a), EMFILE);
    CHECK_ERR(mq_open_(g_name, O_RDWR, 0, NULL), ENOENT);
    set_msgqueue_soft((rlim_t)a_bytes);
    int fd = (int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, &a));
    /* The user's queues add up. */
    CHECK_ERR(mq_open_(other, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny), EMFILE);
    set_msgqueue_soft((rlim_t)(a_bytes + tiny_bytes - 1));
    CHECK_ERR(mq_open_(other, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny), EMFILE);
    set_msgqueue_soft((rlim_t)(a_bytes + tiny_bytes));
    int fd2 = (int)CHECK_OK(mq_open_(other, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny));
    CHECK_OK(close(fd2));
    CHECK_OK(mq_unlink_(other));
    /* Opening an existing queue charges nothing. */
    set_msgqueue_soft(0);
    CHECK_OK(close((int)CHECK_OK(mq_open_(g_name, O_RDWR, 0, NULL))));
    /* An unlinked queue stays charged while it is open. */
    set_msgqueue_soft((rlim_t)(a_bytes + tiny_bytes - 1));
    CHECK_OK(mq_unlink_(g_name));
    CHECK_ERR(mq_open_(other, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny), EMFILE);
    CHECK_OK(close(fd));
    fd2 = (int)CHECK_OK(mq_open_(other, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny));
    CHECK_OK(close(fd2));
    CHECK_OK(mq_unlink_(other));
    /* The defaults are charged too. */
    long msg_max = mq_sysctl("msg_max"), msgsize_max = mq_sysctl("msgsize_max");
    long dm = mq_sysctl("msg_default"), ds = mq_sysctl("msgsize_default");
    long d_bytes = mq_bytes(dm < msg_max ? dm : msg_max, ds < msgsize_max ? ds : msgsize_max);
    set_msgqueue_soft((rlim_t)d_bytes - 1);
    CHECK_ERR(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL), EMFILE);
    set_msgqueue_soft((rlim_t)d_bytes);
    CHECK_OK(close((int)CHECK_OK(mq_open_(g_name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL))));
    CHECK_OK(mq_unlink_(g_name));
}

static void rlimit_msgqueue(void)
{
    as_user(rlimit_msgqueue_user);
}

static void queues_max_user(void)
{
    long max = mq_sysctl("queues_max");
    if (max > 900)
        return; /* a host tuned far up: too many descriptors */
    struct mq_attr tiny = {.mq_maxmsg = 1, .mq_msgsize = 1};
    set_msgqueue_soft((rlim_t)(mq_bytes(1, 1) * (max + 1)));
    /* Queues count until they are gone, unlinked or not: kept open and
     * unlinked here, so that none outlives this process. */
    static int fds[1024];
    char name[96];
    long n = 0, r = 0;
    int err = 0;
    snprintf(name, sizeof(name), "%s-q", g_name);
    while (n <= max) {
        r = mq_open_(name, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny);
        if (r < 0) {
            err = errno;
            break;
        }
        fds[n++] = (int)r;
        CHECK_OK(mq_unlink_(name));
    }
    /* The count is the namespace's: queues of other users count too. */
    if (r >= 0)
        FAIL("%ld queues created, queues_max is %ld", n, max);
    CHECK_EQ(err, ENOSPC);
    CHECK_GE(n, 1);
    CHECK_LE(n, max);
    /* Checked before the attributes and the user's limit. */
    struct mq_attr bad = {.mq_maxmsg = 0, .mq_msgsize = 1};
    CHECK_ERR(mq_open_(name, O_CREAT | O_EXCL | O_RDWR, 0600, &bad), ENOSPC);
    set_msgqueue_soft(0);
    CHECK_ERR(mq_open_(name, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny), ENOSPC);
    /* Closing one gives its place back. */
    CHECK_OK(close(fds[--n]));
    set_msgqueue_soft((rlim_t)(mq_bytes(1, 1) * (max + 1)));
    CHECK_OK(close((int)CHECK_OK(mq_open_(name, O_CREAT | O_EXCL | O_RDWR, 0600, &tiny))));
    CHECK_OK(mq_unlink_(name));
    while (n > 0)
        CHECK_OK(close(fds[--n]));
}

static void queues_max(void)
{
    as_user(queues_max_user);
}

int main(void)
{
    snprintf(g_name, sizeof(g_name), "runsc-test-%d", getpid());
    umask(022);
    RUN(open_unlink);
    RUN(bad_args);
    RUN(priorities);
    RUN(limits_and_modes);
    RUN(blocking);
    RUN(interrupted);
    RUN(polling);
    RUN(notify);
    RUN(sysctl_limits);
    RUN(rlimit_msgqueue);
    RUN(queues_max);
    return 0;
}
