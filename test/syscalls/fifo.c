/* Named pipes (FIFOs): mkfifo/mknod(S_IFIFO) and stat, the open rules
 * (blocking until the other side opens, O_NONBLOCK: a reader at once, a
 * writer ENXIO; O_RDWR never waits), data through, EOF, EPIPE/SIGPIPE, poll
 * (POLLIN/POLLOUT/POLLHUP/POLLERR, no POLLHUP before a first writer), an
 * open interrupted by a signal, the pipe size fcntls, data dropped with the
 * last end, unlink while open, fstat/lseek/mmap//proc/self/fd on an open
 * FIFO, exec of a FIFO, a shell-style `writer > p & reader < p`. In a fresh
 * directory under /tmp (a tmpfs in the sandbox; skips without a writable
 * /tmp). */
#include "check.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>

static char g_dir[64];
static char g_path[128];

static const char *P(const char *name)
{
    snprintf(g_path, sizeof(g_path), "%s/%s", g_dir, name);
    return g_path;
}

static short revents(int fd, short events)
{
    struct pollfd pf = {.fd = fd, .events = events};
    CHECK_OK(poll(&pf, 1, 0));
    return pf.revents;
}

static void mkfifo_stat(void)
{
    umask(022);
    CHECK_OK(mkfifo(P("a"), 0640));
    struct stat st;
    CHECK_OK(stat(P("a"), &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(st.st_mode & 07777, 0640);
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(st.st_nlink, 1);
    CHECK_ERR(mkfifo(P("a"), 0600), EEXIST);
    CHECK_OK(mknod(P("b"), S_IFIFO | 0666, 0));
    CHECK_OK(lstat(P("b"), &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(st.st_mode & 07777, 0644);
    CHECK_OK(mknodat(AT_FDCWD, P("c"), S_IFIFO | 0600, 0));
    CHECK_OK(unlink(P("a")));
    CHECK_OK(unlink(P("b")));
    CHECK_OK(unlink(P("c")));
}

static void open_file_props(void)
{
    CHECK_OK(mkfifo(P("f"), 0600));
    struct stat st, fst;
    CHECK_OK(stat(P("f"), &st));
    /* O_TRUNC is ignored on a FIFO. */
    int fd = CHECK_OK(open(P("f"), O_RDWR | O_TRUNC));
    CHECK_OK(fstat(fd, &fst));
    CHECK(S_ISFIFO(fst.st_mode));
    CHECK_EQ(fst.st_ino, st.st_ino);
    CHECK_EQ(fst.st_dev, st.st_dev);
    CHECK_EQ(fst.st_size, 0);
    CHECK_ERR(lseek(fd, 0, SEEK_SET), ESPIPE);
    CHECK_ERR(lseek(fd, 0, SEEK_CUR), ESPIPE);
    CHECK_ERR(pread(fd, &st, 1, 0), ESPIPE);
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
    CHECK_EQ(errno, ENODEV);
    CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED);
    CHECK_EQ(errno, ENODEV);
    /* Opened by name: O_LARGEFILE, as any file open(2) opens. */
    CHECK((CHECK_OK(fcntl(fd, F_GETFL)) & O_ACCMODE) == O_RDWR);
    CHECK(CHECK_OK(fcntl(fd, F_GETFL)) & 0100000);
    /* /proc/self/fd names the node, not pipe:[...]. */
    char link[64], target[256];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = CHECK_OK(readlink(link, target, sizeof(target) - 1));
    target[n] = '\0';
    CHECK_STR(target, P("f"));
    CHECK_OK(close(fd));
    /* Executing a FIFO is EACCES (without waiting for a writer). */
    CHECK_OK(chmod(P("f"), 0700));
    char *argv[] = {g_path, NULL};
    CHECK_ERR(execve(P("f"), argv, argv + 1), EACCES);
    CHECK_OK(unlink(P("f")));
}

static void nonblocking_opens(void)
{
    CHECK_OK(mkfifo(P("nb"), 0600));
    /* No reader: a non-blocking writer is ENXIO. */
    CHECK_ERR(open(P("nb"), O_WRONLY | O_NONBLOCK), ENXIO);
    /* A non-blocking reader opens at once; with no writer yet a read is
     * EOF but poll shows no POLLHUP (no writer has come yet). */
    int r = CHECK_OK(open(P("nb"), O_RDONLY | O_NONBLOCK));
    char b[16] = {0};
    CHECK_EQ(CHECK_OK(read(r, b, sizeof(b))), 0);
    CHECK_EQ(revents(r, POLLIN), 0);
    /* Now a non-blocking writer finds the reader. */
    int w = CHECK_OK(open(P("nb"), O_WRONLY | O_NONBLOCK));
    CHECK_EQ(revents(w, POLLOUT), POLLOUT);
    CHECK_EQ(revents(r, POLLIN), 0);
    CHECK_ERR(read(r, b, sizeof(b)), EAGAIN);
    CHECK_EQ(CHECK_OK(write(w, "xy", 2)), 2);
    CHECK_EQ(revents(r, POLLIN), POLLIN);
    int on = 0;
    CHECK_OK(ioctl(r, FIONREAD, &on));
    CHECK_EQ(on, 2);
    /* The writer goes: the data stays, then EOF and POLLHUP. */
    CHECK_OK(close(w));
    CHECK_EQ(revents(r, POLLIN), POLLIN | POLLHUP);
    CHECK_EQ(CHECK_OK(read(r, b, sizeof(b))), 2);
    CHECK_MEM(b, "xy", 2);
    CHECK_EQ(CHECK_OK(read(r, b, sizeof(b))), 0);
    CHECK_EQ(revents(r, POLLIN), POLLHUP);
    /* A second non-blocking reader opened now still has no POLLHUP. */
    int r2 = CHECK_OK(open(P("nb"), O_RDONLY | O_NONBLOCK));
    CHECK_EQ(revents(r2, POLLIN), 0);
    CHECK_OK(close(r2));
    CHECK_OK(close(r));
    CHECK_ERR(open(P("nb"), O_WRONLY | O_NONBLOCK), ENXIO);
    CHECK_OK(unlink(P("nb")));
}

static int g_sigpipes;
static void on_sigpipe(int sig)
{
    g_sigpipes++;
}

static void epipe_pollerr(void)
{
    CHECK_OK(mkfifo(P("ep"), 0600));
    int r = CHECK_OK(open(P("ep"), O_RDONLY | O_NONBLOCK));
    int w = CHECK_OK(open(P("ep"), O_WRONLY | O_NONBLOCK));
    CHECK_OK(close(r));
    CHECK_EQ(revents(w, POLLOUT), POLLOUT | POLLERR);
    struct sigaction sa = {.sa_handler = on_sigpipe}, old;
    CHECK_OK(sigaction(SIGPIPE, &sa, &old));
    g_sigpipes = 0;
    CHECK_ERR(write(w, "x", 1), EPIPE);
    CHECK_EQ(g_sigpipes, 1);
    CHECK_OK(sigaction(SIGPIPE, &old, NULL));
    CHECK_OK(close(w));
    CHECK_OK(unlink(P("ep")));
}

static void rdwr(void)
{
    CHECK_OK(mkfifo(P("rw"), 0600));
    /* O_RDWR never waits, with or without O_NONBLOCK. */
    int fd = CHECK_OK(open(P("rw"), O_RDWR));
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
    CHECK_EQ(CHECK_OK(write(fd, "abc", 3)), 3);
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
    char b[8] = {0};
    CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 3);
    CHECK_MEM(b, "abc", 3);
    /* It is a reader and a writer for others. */
    int w = CHECK_OK(open(P("rw"), O_WRONLY | O_NONBLOCK));
    int r = CHECK_OK(open(P("rw"), O_RDONLY)); /* a writer is there */
    CHECK_EQ(CHECK_OK(write(w, "12", 2)), 2);
    CHECK_EQ(CHECK_OK(read(r, b, 1)), 1);
    CHECK_EQ(CHECK_OK(read(fd, b + 1, 1)), 1);
    CHECK_MEM(b, "12", 2);
    CHECK_OK(close(w));
    CHECK_OK(close(r));
    int fd2 = CHECK_OK(open(P("rw"), O_RDWR | O_NONBLOCK));
    CHECK_ERR(read(fd2, b, 1), EAGAIN);
    CHECK_OK(close(fd2));
    CHECK_OK(close(fd));
    CHECK_OK(unlink(P("rw")));
}

/* A child opens the other end; its result comes back through a status
 * pipe so the parent can see whether it is still blocked. */
static void blocking_pairs(void)
{
    CHECK_OK(mkfifo(P("bl"), 0600));
    for (int reader_first = 0; reader_first < 2; reader_first++) {
        int st[2];
        CHECK_OK(pipe(st));
        pid_t pid = CHECK_OK(fork());
        if (pid == 0) {
            close(st[0]);
            int fd = CHECK_OK(open(P("bl"), reader_first ? O_RDONLY : O_WRONLY));
            CHECK_EQ(CHECK_OK(write(st[1], "o", 1)), 1);
            char b[16] = {0};
            if (reader_first) {
                CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 5);
                CHECK_MEM(b, "hello", 5);
                CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 0); /* EOF */
            } else {
                CHECK_EQ(CHECK_OK(write(fd, "hello", 5)), 5);
            }
            _exit(0);
        }
        CHECK_OK(close(st[1]));
        /* The child is blocked in open. */
        struct pollfd pf = {.fd = st[0], .events = POLLIN};
        CHECK_EQ(CHECK_OK(poll(&pf, 1, 100)), 0);
        int fd = CHECK_OK(open(P("bl"), reader_first ? O_WRONLY : O_RDONLY));
        char c = 0;
        CHECK_EQ(CHECK_OK(read(st[0], &c, 1)), 1);
        char b[16] = {0};
        if (reader_first) {
            CHECK_EQ(CHECK_OK(write(fd, "hello", 5)), 5);
            CHECK_OK(close(fd));
        } else {
            CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 5);
            CHECK_MEM(b, "hello", 5);
            check_reap(pid);
            pid = 0;
            CHECK_EQ(revents(fd, POLLIN), POLLHUP);
            CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 0);
            CHECK_OK(close(fd));
        }
        if (pid)
            check_reap(pid);
        CHECK_OK(close(st[0]));
    }
    CHECK_OK(unlink(P("bl")));
}

/* A reader waiting in open counts as a reader: a non-blocking writer's open
 * succeeds, and the reader's open returns once that writer has opened, even
 * if it has closed again since; it then sees EOF and POLLHUP. */
static void waiting_reader_counts(void)
{
    CHECK_OK(mkfifo(P("wr"), 0600));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        int fd = CHECK_OK(open(P("wr"), O_RDONLY));
        char b[4] = {0};
        CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 0);
        CHECK_EQ(revents(fd, POLLIN), POLLHUP);
        _exit(0);
    }
    int w = -1;
    for (int i = 0; i < 5000 && w < 0; i++) {
        w = open(P("wr"), O_WRONLY | O_NONBLOCK);
        if (w < 0) {
            CHECK_EQ(errno, ENXIO);
            usleep(1000);
        }
    }
    CHECK_GE(w, 0);
    CHECK_OK(close(w));
    check_reap(pid);
    CHECK_OK(unlink(P("wr")));
}

static int g_alarms;
static void on_alarm(int sig)
{
    g_alarms++;
}

static void interrupted_open(void)
{
    CHECK_OK(mkfifo(P("in"), 0600));
    struct sigaction sa = {.sa_handler = on_alarm}, old; /* no SA_RESTART */
    CHECK_OK(sigaction(SIGALRM, &sa, &old));
    for (int i = 0; i < 2; i++) {
        g_alarms = 0;
        struct itimerval it = {.it_value = {.tv_usec = 50000}};
        CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
        CHECK_ERR(open(P("in"), i ? O_WRONLY : O_RDONLY), EINTR);
        CHECK_EQ(g_alarms, 1);
    }
    /* The interrupted opens left nothing behind. */
    CHECK_ERR(open(P("in"), O_WRONLY | O_NONBLOCK), ENXIO);
    int r = CHECK_OK(open(P("in"), O_RDONLY | O_NONBLOCK));
    CHECK_EQ(revents(r, POLLIN), 0);
    CHECK_OK(close(r));
    CHECK_OK(sigaction(SIGALRM, &old, NULL));
    CHECK_OK(unlink(P("in")));
}

static void pipe_sizes(void)
{
    CHECK_OK(mkfifo(P("sz"), 0600));
    int a = CHECK_OK(open(P("sz"), O_RDWR));
    int b = CHECK_OK(open(P("sz"), O_RDONLY));
    CHECK_EQ(CHECK_OK(fcntl(a, F_GETPIPE_SZ)), 65536);
    CHECK_EQ(CHECK_OK(fcntl(b, F_SETPIPE_SZ, 5000)), 8192);
    CHECK_EQ(CHECK_OK(fcntl(a, F_GETPIPE_SZ)), 8192); /* one pipe */
    /* Two pages of capacity: the third page-sized write would block. */
    CHECK_OK(fcntl(a, F_SETFL, O_NONBLOCK));
    char page[4096];
    memset(page, 'p', sizeof(page));
    CHECK_EQ(CHECK_OK(write(a, page, sizeof(page))), 4096);
    CHECK_EQ(CHECK_OK(write(a, page, sizeof(page))), 4096);
    CHECK_ERR(write(a, page, sizeof(page)), EAGAIN);
    CHECK_ERR(fcntl(a, F_SETPIPE_SZ, 4096), EBUSY);
    CHECK_OK(close(a));
    CHECK_OK(close(b));
    CHECK_OK(unlink(P("sz")));
}

static void discarded_on_last_close(void)
{
    CHECK_OK(mkfifo(P("dc"), 0600));
    int fd = CHECK_OK(open(P("dc"), O_RDWR | O_NONBLOCK));
    CHECK_EQ(CHECK_OK(write(fd, "gone", 4)), 4);
    CHECK_OK(fcntl(fd, F_SETPIPE_SZ, 8192));
    CHECK_OK(close(fd));
    /* A new pipe: empty, default size. */
    fd = CHECK_OK(open(P("dc"), O_RDWR | O_NONBLOCK));
    char b[8] = {0};
    CHECK_ERR(read(fd, b, sizeof(b)), EAGAIN);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETPIPE_SZ)), 65536);
    /* Data stays while any end is open. */
    int w = CHECK_OK(open(P("dc"), O_WRONLY | O_NONBLOCK));
    CHECK_EQ(CHECK_OK(write(w, "kept", 4)), 4);
    CHECK_OK(close(w));
    CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 4);
    CHECK_MEM(b, "kept", 4);
    CHECK_OK(close(fd));
    CHECK_OK(unlink(P("dc")));
}

static void unlink_while_open(void)
{
    CHECK_OK(mkfifo(P("ul"), 0600));
    int r = CHECK_OK(open(P("ul"), O_RDONLY | O_NONBLOCK));
    int w = CHECK_OK(open(P("ul"), O_WRONLY | O_NONBLOCK));
    CHECK_OK(unlink(P("ul")));
    struct stat st;
    CHECK_OK(fstat(r, &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(st.st_nlink, 0);
    CHECK_EQ(CHECK_OK(write(w, "still", 5)), 5);
    char b[8] = {0};
    CHECK_EQ(CHECK_OK(read(r, b, sizeof(b))), 5);
    CHECK_MEM(b, "still", 5);
    /* A new FIFO at the same name is another pipe. */
    CHECK_OK(mkfifo(P("ul"), 0600));
    CHECK_ERR(open(P("ul"), O_WRONLY | O_NONBLOCK), ENXIO);
    CHECK_OK(close(w));
    CHECK_EQ(CHECK_OK(read(r, b, sizeof(b))), 0);
    CHECK_OK(close(r));
    CHECK_OK(unlink(P("ul")));
}

/* mkfifo p; writer > p & reader < p: two children with the FIFO as their
 * stdout and stdin, more data than the pipe holds. */
#define SHELL_BYTES (300 * 1000)
static void shell_style(void)
{
    CHECK_OK(mkfifo(P("sh"), 0600));
    pid_t writer = CHECK_OK(fork());
    if (writer == 0) {
        int fd = CHECK_OK(open(P("sh"), O_WRONLY));
        CHECK_OK(dup2(fd, 1));
        close(fd);
        char buf[1000];
        for (int i = 0; i < SHELL_BYTES / 1000; i++) {
            memset(buf, 'a' + i % 26, sizeof(buf));
            CHECK_EQ(CHECK_OK(write(1, buf, sizeof(buf))), 1000);
        }
        _exit(0);
    }
    pid_t reader = CHECK_OK(fork());
    if (reader == 0) {
        int fd = CHECK_OK(open(P("sh"), O_RDONLY));
        CHECK_OK(dup2(fd, 0));
        close(fd);
        char buf[4096];
        long total = 0;
        for (;;) {
            ssize_t n = CHECK_OK(read(0, buf, sizeof(buf)));
            if (n == 0)
                break;
            for (ssize_t i = 0; i < n; i++)
                if (buf[i] != 'a' + (total + i) / 1000 % 26)
                    FAIL("byte %ld is %c", total + i, buf[i]);
            total += n;
        }
        CHECK_EQ(total, SHELL_BYTES);
        _exit(0);
    }
    check_reap(writer);
    check_reap(reader);
    CHECK_OK(unlink(P("sh")));
}

/* devfs is a tmpfs in the sandbox: /dev/shm takes FIFOs too. */
static void dev_shm(void)
{
    char p[64];
    snprintf(p, sizeof(p), "/dev/shm/fifo.%d", (int)getpid());
    if (mkfifo(p, 0600) < 0) {
        CHECK(errno == EACCES || errno == EROFS || errno == ENOENT);
        return;
    }
    int fd = CHECK_OK(open(p, O_RDWR));
    CHECK_EQ(CHECK_OK(write(fd, "d", 1)), 1);
    char c = 0;
    CHECK_EQ(CHECK_OK(read(fd, &c, 1)), 1);
    CHECK_EQ(c, 'd');
    CHECK_OK(close(fd));
    CHECK_OK(unlink(p));
}

int main(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/fifo.XXXXXX");
    if (!mkdtemp(g_dir))
        SKIP("no writable /tmp: %s", strerror(errno));
    RUN(mkfifo_stat);
    RUN(open_file_props);
    RUN(nonblocking_opens);
    RUN(epipe_pollerr);
    RUN(rdwr);
    RUN(blocking_pairs);
    RUN(waiting_reader_counts);
    RUN(interrupted_open);
    RUN(pipe_sizes);
    RUN(discarded_on_last_close);
    RUN(unlink_while_open);
    RUN(shell_style);
    RUN(dev_shm);
    CHECK_OK(rmdir(g_dir));
    return 0;
}
