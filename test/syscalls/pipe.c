/* pipe, pipe2 and pipe I/O in one process: flags, fstat, O_NONBLOCK both
 * ways, EOF, EPIPE with SIGPIPE (caught, ignored, blocked), PIPE_BUF
 * atomicity, partial non-blocking writes, F_GETPIPE_SZ/F_SETPIPE_SZ,
 * FIONREAD, O_DIRECT packets. Blocking across processes: pipe_block.c. */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#define KERNEL_O_LARGEFILE 0100000

static char g_buf[1 << 17];

/* Writes to a non-blocking fd until EAGAIN; returns the bytes written. */
static long fill(int fd, size_t chunk)
{
    long total = 0;
    for (;;) {
        ssize_t r = write(fd, g_buf, chunk);
        if (r < 0) {
            CHECK_EQ(errno, EAGAIN);
            return total;
        }
        total += r;
    }
}

/* Reads a non-blocking fd until EAGAIN or EOF; returns the bytes read. */
static long drain(int fd)
{
    long total = 0;
    for (;;) {
        ssize_t r = read(fd, g_buf, sizeof(g_buf));
        if (r < 0) {
            CHECK_EQ(errno, EAGAIN);
            return total;
        }
        if (r == 0)
            return total;
        total += r;
    }
}

static int lowest_free_fd(void)
{
    int fd = CHECK_OK(dup(0));
    CHECK_OK(close(fd));
    return fd;
}

static void create(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETFL)), O_RDONLY);
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_GETFL)), O_WRONLY);
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETFD)), 0);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));

    CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETFD)), FD_CLOEXEC);
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_GETFD)), FD_CLOEXEC);
    /* Pipes have no O_LARGEFILE. */
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETFL)), O_RDONLY | O_NONBLOCK);
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_GETFL)), O_WRONLY | O_NONBLOCK);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));

    /* O_DIRECT is a property of the write end only. */
    CHECK_OK(pipe2(p, O_DIRECT));
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETFL)), O_RDONLY);
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_GETFL)) & ~KERNEL_O_LARGEFILE, O_WRONLY | O_DIRECT);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));

    int before = lowest_free_fd();
    CHECK_ERR(syscall(SYS_pipe2, p, O_APPEND), EINVAL);
    CHECK_ERR(syscall(SYS_pipe2, p, O_RDWR), EINVAL);
    CHECK_ERR(syscall(SYS_pipe2, BAD_PTR, 0), EFAULT);
    CHECK_ERR(syscall(SYS_pipe, BAD_PTR), EFAULT);
    /* A failed pipe leaves no fds behind. */
    CHECK_EQ(lowest_free_fd(), before);
}

static void attributes(void)
{
    int p[2], q[2];
    CHECK_OK(pipe(p));
    CHECK_OK(pipe(q));
    struct stat r, w, o;
    CHECK_OK(fstat(p[0], &r));
    CHECK_OK(fstat(p[1], &w));
    CHECK_OK(fstat(q[0], &o));
    CHECK(S_ISFIFO(r.st_mode));
    CHECK_EQ(r.st_mode & 07777, 0600);
    CHECK_EQ(r.st_ino, w.st_ino);
    CHECK_EQ(r.st_dev, w.st_dev);
    CHECK_NE(r.st_ino, o.st_ino);
    CHECK_EQ(r.st_dev, o.st_dev);
    CHECK_EQ(r.st_nlink, 1);
    CHECK_EQ(r.st_size, 0);
    CHECK_EQ(r.st_blksize, 4096);
    CHECK_EQ(r.st_uid, geteuid());
    CHECK_EQ(r.st_gid, getegid());
    /* Not seekable; each end only one way. */
    CHECK_ERR(lseek(p[0], 0, SEEK_CUR), ESPIPE);
    CHECK_ERR(pread(p[0], g_buf, 1, 0), ESPIPE);
    CHECK_ERR(pwrite(p[1], "x", 1, 0), ESPIPE);
    CHECK_ERR(read(p[1], g_buf, 1), EBADF);
    CHECK_ERR(write(p[0], "x", 1), EBADF);
    for (int i = 0; i < 2; i++) {
        CHECK_OK(close(p[i]));
        CHECK_OK(close(q[i]));
    }
}

static void data(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(write(p[1], "hello", 5)), 5);
    CHECK_EQ(CHECK_OK(write(p[1], " world", 6)), 6);
    /* A read returns what is there, across writes. */
    char b[64] = {0};
    CHECK_EQ(CHECK_OK(read(p[0], b, 3)), 3);
    CHECK_MEM(b, "hel", 3);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 8);
    CHECK_MEM(b, "lo world", 8);
    /* Zero-length I/O. */
    CHECK_EQ(CHECK_OK(read(p[0], b, 0)), 0);
    CHECK_EQ(CHECK_OK(write(p[1], b, 0)), 0);
    /* readv / writev. */
    struct iovec iov[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    CHECK_EQ(CHECK_OK(writev(p[1], iov, 3)), 5);
    char x[2], y[8];
    struct iovec riov[2] = {{x, 2}, {y, 8}};
    CHECK_EQ(CHECK_OK(readv(p[0], riov, 2)), 5);
    CHECK_MEM(x, "ab", 2);
    CHECK_MEM(y, "cde", 3);
    /* A bad buffer. */
    CHECK_ERR(write(p[1], BAD_PTR, 10), EFAULT);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void nonblocking(void)
{
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    CHECK_ERR(read(p[0], g_buf, 1), EAGAIN);
    /* The default capacity is 16 pages of 4 KiB. */
    CHECK_EQ(fill(p[1], 1), 65536);
    CHECK_ERR(write(p[1], "x", 1), EAGAIN);
    CHECK_EQ(drain(p[0]), 65536);
    /* Small writes share a page while they fit in it whole: 4 writes of
     * 1000 bytes per page. */
    CHECK_EQ(fill(p[1], 1000), 64000);
    CHECK_EQ(drain(p[0]), 64000);
    /* A big write stops where the pipe is full: a partial count. */
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 100000)), 65536);
    CHECK_ERR(write(p[1], g_buf, 100000), EAGAIN);
    /* Reading one byte frees nothing (the first page is still in use). */
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 1)), 1);
    CHECK_ERR(write(p[1], "x", 1), EAGAIN);
    /* A whole page read frees a slot. */
    CHECK_EQ(CHECK_OK(read(p[0], g_buf, 4095)), 4095);
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 5000)), 4096);
    CHECK_EQ(drain(p[0]), 65536);
    /* O_NONBLOCK belongs to each description: the read end blocks now. */
    CHECK_OK(fcntl(p[0], F_SETFL, 0));
    CHECK_EQ(fill(p[1], 4096), 65536);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void atomic(void)
{
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    /* 65436 bytes: 15 full pages and 3996 bytes in the 16th (100 free). */
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 65436)), 65436);
    /* 200 bytes (<= PIPE_BUF) do not fit whole: nothing is written. */
    CHECK_ERR(write(p[1], g_buf, 200), EAGAIN);
    CHECK_ERR(write(p[1], g_buf, 4096), EAGAIN);
    /* 100 bytes fit whole. */
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 100)), 100);
    CHECK_ERR(write(p[1], g_buf, 1), EAGAIN);
    int n;
    CHECK_OK(ioctl(p[0], FIONREAD, &n));
    CHECK_EQ(n, 65536);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void eof(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    int w2 = CHECK_OK(dup(p[1]));
    CHECK_EQ(CHECK_OK(write(p[1], "abc", 3)), 3);
    CHECK_OK(close(p[1]));
    char b[8];
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 3);
    /* A writer is left (w2): still no EOF; check without blocking. */
    CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    CHECK_ERR(read(p[0], b, sizeof(b)), EAGAIN);
    CHECK_OK(fcntl(p[0], F_SETFL, 0));
    CHECK_EQ(CHECK_OK(write(w2, "de", 2)), 2);
    CHECK_OK(close(w2));
    /* Data first, then EOF (blocking read, no writer: returns at once). */
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 2);
    CHECK_MEM(b, "de", 2);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 0);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 0);
    CHECK_OK(close(p[0]));
}

static volatile sig_atomic_t g_sigpipes;

static void on_sigpipe(int sig)
{
    g_sigpipes++;
}

static void epipe(void)
{
    int p[2];
    struct sigaction sa = {.sa_handler = on_sigpipe}, old;
    CHECK_OK(sigaction(SIGPIPE, &sa, &old));

    /* Caught: EPIPE and one SIGPIPE per failed write. */
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[0]));
    g_sigpipes = 0;
    CHECK_ERR(write(p[1], "x", 1), EPIPE);
    CHECK_EQ(g_sigpipes, 1);
    CHECK_ERR(write(p[1], g_buf, 100000), EPIPE);
    CHECK_EQ(g_sigpipes, 2);
    /* Zero bytes: no error, no signal. */
    CHECK_EQ(CHECK_OK(write(p[1], "x", 0)), 0);
    CHECK_EQ(g_sigpipes, 2);
    CHECK_OK(close(p[1]));

    /* The reader goes with data still in the pipe: EPIPE all the same. */
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(write(p[1], "abc", 3)), 3);
    CHECK_OK(close(p[0]));
    CHECK_ERR(write(p[1], "x", 1), EPIPE);
    CHECK_EQ(g_sigpipes, 3);
    CHECK_OK(close(p[1]));

    /* Blocked: EPIPE, and SIGPIPE stays pending. */
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[0]));
    CHECK_ERR(write(p[1], "x", 1), EPIPE);
    CHECK_OK(sigpending(&pending));
    CHECK(sigismember(&pending, SIGPIPE));
    CHECK_EQ(g_sigpipes, 3);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK_EQ(g_sigpipes, 4); /* delivered on unblocking */
    CHECK_OK(close(p[1]));

    /* Ignored: EPIPE only (the process survives). */
    sa.sa_handler = SIG_IGN;
    CHECK_OK(sigaction(SIGPIPE, &sa, NULL));
    CHECK_OK(pipe(p));
    CHECK_OK(close(p[0]));
    CHECK_ERR(write(p[1], "x", 1), EPIPE);
    CHECK_OK(close(p[1]));
    CHECK_EQ(g_sigpipes, 4);
    CHECK_OK(sigaction(SIGPIPE, &old, NULL));
}

static void pipe_size(void)
{
    int p[2];
    CHECK_OK(pipe2(p, O_NONBLOCK));
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETPIPE_SZ)), 65536);
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_GETPIPE_SZ)), 65536);
    /* Rounded up to a power-of-two number of pages, at least one. */
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_SETPIPE_SZ, 0)), 4096);
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETPIPE_SZ)), 4096);
    CHECK_EQ(fill(p[1], 1), 4096);
    CHECK_EQ(drain(p[0]), 4096);
    CHECK_EQ(CHECK_OK(fcntl(p[1], F_SETPIPE_SZ, 5000)), 8192);
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_SETPIPE_SZ, 3 * 4096)), 16384);
    CHECK_EQ(fill(p[1], 1), 16384);
    CHECK_EQ(drain(p[0]), 16384);
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_SETPIPE_SZ, 1 << 20)), 1 << 20);
    CHECK_EQ(fill(p[1], 65536), 1 << 20);
    /* Shrinking below what the pipe holds: EBUSY, nothing changes. */
    CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 65536), EBUSY);
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_GETPIPE_SZ)), 1 << 20);
    CHECK_EQ(drain(p[0]), 1 << 20);
    /* 3 pages of data (8193 bytes) need 3 slots: 8 KiB is too small. */
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 8193)), 8193);
    CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 8192), EBUSY);
    CHECK_EQ(CHECK_OK(fcntl(p[0], F_SETPIPE_SZ, 16384)), 16384);
    /* The data survives a resize. */
    CHECK_EQ(drain(p[0]), 8193);
    /* Above /proc/sys/fs/pipe-max-size (1 MiB): EPERM unless privileged. */
    long r = fcntl(p[0], F_SETPIPE_SZ, (1 << 20) + 1);
    if (r < 0)
        CHECK_EQ(errno, EPERM);
    else
        CHECK_EQ(r, 2 << 20);
    /* Beyond 2^31: EINVAL; the argument is an unsigned int. */
    CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, (1u << 31) + 1), EINVAL);
    CHECK_EQ(CHECK_OK(syscall(SYS_fcntl, p[0], F_SETPIPE_SZ, (1ul << 32) | 8192)), 8192);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    /* Not a pipe. */
    int fd = CHECK_OK(open("/dev/null", O_RDONLY));
    CHECK_ERR(fcntl(fd, F_GETPIPE_SZ), EBADF);
    CHECK_ERR(fcntl(fd, F_SETPIPE_SZ, 4096), EBADF);
    CHECK_OK(close(fd));
}

static void fionread(void)
{
    int p[2], n = -1;
    CHECK_OK(pipe(p));
    CHECK_OK(ioctl(p[0], FIONREAD, &n));
    CHECK_EQ(n, 0);
    CHECK_EQ(CHECK_OK(write(p[1], "hello", 5)), 5);
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 5000)), 5000);
    CHECK_OK(ioctl(p[0], FIONREAD, &n));
    CHECK_EQ(n, 5005);
    char b[2];
    CHECK_EQ(CHECK_OK(read(p[0], b, 2)), 2);
    CHECK_OK(ioctl(p[0], FIONREAD, &n));
    CHECK_EQ(n, 5003);
    /* The write end sees the same pipe. */
    CHECK_OK(ioctl(p[1], FIONREAD, &n));
    CHECK_EQ(n, 5003);
    CHECK_ERR(ioctl(p[0], FIONREAD, BAD_PTR), EFAULT);
    /* Pipes are not terminals. */
    CHECK_ERR(ioctl(p[0], TIOCGWINSZ, g_buf), ENOTTY);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void packets(void)
{
    int p[2], n;
    CHECK_OK(pipe2(p, O_DIRECT | O_NONBLOCK));
    CHECK_EQ(CHECK_OK(write(p[1], "abc", 3)), 3);
    CHECK_EQ(CHECK_OK(write(p[1], "defg", 4)), 4);
    CHECK_OK(ioctl(p[0], FIONREAD, &n));
    CHECK_EQ(n, 7);
    char b[8192];
    /* One packet per read... */
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 3);
    CHECK_MEM(b, "abc", 3);
    /* ... and what does not fit is dropped. */
    CHECK_EQ(CHECK_OK(read(p[0], b, 2)), 2);
    CHECK_MEM(b, "de", 2);
    CHECK_ERR(read(p[0], b, sizeof(b)), EAGAIN);
    /* Writes are split into PIPE_BUF packets. */
    CHECK_EQ(CHECK_OK(write(p[1], g_buf, 5000)), 5000);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 4096);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 904);
    /* One slot per packet: 16 packets fill the pipe. */
    for (int i = 0; i < 16; i++)
        CHECK_EQ(CHECK_OK(write(p[1], "x", 1)), 1);
    CHECK_ERR(write(p[1], "x", 1), EAGAIN);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 1);
    /* Packet mode is switched with F_SETFL on the write end. */
    CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    CHECK_EQ(CHECK_OK(write(p[1], "abc", 3)), 3);
    CHECK_EQ(CHECK_OK(write(p[1], "def", 3)), 3);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 6);
    CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK | O_DIRECT));
    CHECK_EQ(CHECK_OK(write(p[1], "abc", 3)), 3);
    CHECK_EQ(CHECK_OK(write(p[1], "def", 3)), 3);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 3);
    CHECK_EQ(CHECK_OK(read(p[0], b, sizeof(b))), 3);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

int main(void)
{
    memset(g_buf, 'z', sizeof(g_buf));
    RUN(create);
    RUN(attributes);
    RUN(data);
    RUN(nonblocking);
    RUN(atomic);
    RUN(eof);
    RUN(epipe);
    RUN(pipe_size);
    RUN(fionread);
    RUN(packets);
    return 0;
}
