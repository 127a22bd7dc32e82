/* dup, dup2, dup3 and fcntl: descriptor numbering, shared offsets and status
 * flags, F_DUPFD, F_GETFD/F_SETFD, F_GETFL/F_SETFL, and the errors. */
#include "check.h"

#include <fcntl.h>
#include <sys/resource.h>

/* The kernel's O_LARGEFILE (glibc defines it as 0 on x86_64). */
#define KERNEL_O_LARGEFILE 0100000

static void dup_lowest(void)
{
    int a = CHECK_OK(open("/dev/null", O_RDONLY));
    int b = CHECK_OK(open("/dev/null", O_RDONLY));
    int c = CHECK_OK(open("/dev/null", O_RDONLY));
    CHECK_EQ(b, a + 1);
    CHECK_EQ(c, a + 2);
    CHECK_OK(close(b));
    /* dup and open take the lowest free number. */
    CHECK_EQ(CHECK_OK(dup(c)), b);
    int d = CHECK_OK(dup(c));
    CHECK_EQ(d, c + 1);
    CHECK_OK(close(a));
    CHECK_EQ(CHECK_OK(open("/dev/null", O_RDONLY)), a);
    CHECK_OK(close(a));
    CHECK_OK(close(b));
    CHECK_OK(close(c));
    CHECK_OK(close(d));
    CHECK_ERR(dup(c), EBADF);
    CHECK_ERR(dup(-1), EBADF);
}

static void shared_file(void)
{
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
    int d = CHECK_OK(dup(fd));
    /* The duplicate shares the offset and status flags, not FD_CLOEXEC. */
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    CHECK_EQ(CHECK_OK(fcntl(d, F_GETFD)), 0);
    CHECK_EQ(CHECK_OK(lseek(fd, 5, SEEK_SET)), 5);
    CHECK_EQ(CHECK_OK(lseek(d, 0, SEEK_CUR)), 5);
    char buf[3];
    CHECK_EQ(CHECK_OK(read(d, buf, 3)), 3);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 8);
    CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
    CHECK_EQ(CHECK_OK(fcntl(d, F_GETFL)) & O_NONBLOCK, O_NONBLOCK);
    /* Closing one leaves the other working. */
    CHECK_OK(close(fd));
    CHECK_EQ(CHECK_OK(read(d, buf, 3)), 3);
    CHECK_EQ(CHECK_OK(lseek(d, 0, SEEK_CUR)), 11);
    CHECK_OK(close(d));
}

static void dup2_dup3(void)
{
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    int other = CHECK_OK(open("/dev/null", O_RDONLY));
    /* dup2 onto itself is a no-op returning the fd; dup3 refuses it. */
    CHECK_EQ(CHECK_OK(dup2(fd, fd)), fd);
    CHECK_ERR(dup3(fd, fd, 0), EINVAL);
    CHECK_ERR(dup3(fd, fd, O_CLOEXEC), EINVAL);
    /* dup2 onto an open descriptor closes it silently. */
    CHECK_EQ(CHECK_OK(dup2(fd, other)), other);
    struct stat a, b;
    CHECK_OK(fstat(fd, &a));
    CHECK_OK(fstat(other, &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(CHECK_OK(fcntl(other, F_GETFD)), 0);
    /* A high target number. */
    CHECK_EQ(CHECK_OK(dup2(fd, 200)), 200);
    CHECK_OK(fstat(200, &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_OK(close(200));
    /* dup3 with O_CLOEXEC; other flags are EINVAL. */
    CHECK_EQ(CHECK_OK(dup3(fd, other, O_CLOEXEC)), other);
    CHECK_EQ(CHECK_OK(fcntl(other, F_GETFD)), FD_CLOEXEC);
    CHECK_EQ(CHECK_OK(dup3(fd, other, 0)), other);
    CHECK_EQ(CHECK_OK(fcntl(other, F_GETFD)), 0);
    CHECK_ERR(dup3(fd, other, O_NONBLOCK), EINVAL);
    /* Bad descriptors. */
    CHECK_ERR(dup2(100000, other), EBADF);
    CHECK_ERR(dup2(100000, 100000), EBADF);
    CHECK_ERR(dup2(fd, -1), EBADF);
    CHECK_ERR(dup3(100000, other, 0), EBADF);
    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK_ERR(dup2(fd, rl.rlim_cur), EBADF);
    CHECK_ERR(dup3(fd, rl.rlim_cur, 0), EBADF);
    CHECK_OK(close(other));
    CHECK_OK(close(fd));
}

static void dupfd(void)
{
    int fd = CHECK_OK(open("/dev/null", O_RDONLY));
    int d = CHECK_OK(fcntl(fd, F_DUPFD, 100));
    CHECK_EQ(d, 100);
    /* The lowest free number at or above the minimum. */
    CHECK_EQ(CHECK_OK(fcntl(fd, F_DUPFD, 100)), 101);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), 0);
    int e = CHECK_OK(fcntl(fd, F_DUPFD_CLOEXEC, 100));
    CHECK_EQ(e, 102);
    CHECK_EQ(CHECK_OK(fcntl(e, F_GETFD)), FD_CLOEXEC);
    CHECK_OK(close(100));
    /* With minimum 0 it is dup(): the lowest free number overall. */
    int low = CHECK_OK(fcntl(fd, F_DUPFD, 0));
    CHECK_OK(close(low));
    CHECK_EQ(CHECK_OK(dup(fd)), low);
    CHECK_LT(low, 100);
    CHECK_OK(close(low));
    CHECK_OK(close(101));
    CHECK_OK(close(102));
    struct rlimit rl;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK_ERR(fcntl(fd, F_DUPFD, rl.rlim_cur), EINVAL);
    CHECK_ERR(fcntl(fd, F_DUPFD, -1), EINVAL);
    CHECK_ERR(fcntl(100000, F_DUPFD, 0), EBADF);
    CHECK_OK(close(fd));
}

static void fd_flags(void)
{
    int fd = CHECK_OK(open("/dev/null", O_RDONLY));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), 0);
    CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    /* Bits other than FD_CLOEXEC are dropped. */
    CHECK_OK(fcntl(fd, F_SETFD, 0xfe));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), 0);
    CHECK_OK(close(fd));
}

static void status_flags(void)
{
    int r = CHECK_OK(open("/dev/null", O_RDONLY));
    int w = CHECK_OK(open("/dev/null", O_WRONLY));
    int rw = CHECK_OK(open("/dev/null", O_RDWR | O_NONBLOCK));
    CHECK_EQ(CHECK_OK(fcntl(r, F_GETFL)) & O_ACCMODE, O_RDONLY);
    CHECK_EQ(CHECK_OK(fcntl(w, F_GETFL)) & O_ACCMODE, O_WRONLY);
    CHECK_EQ(CHECK_OK(fcntl(rw, F_GETFL)) & O_ACCMODE, O_RDWR);
    CHECK_EQ(CHECK_OK(fcntl(rw, F_GETFL)) & O_NONBLOCK, O_NONBLOCK);
    /* 64-bit kernels force O_LARGEFILE on; O_CREAT and O_CLOEXEC are not
     * status flags. */
    long fl = CHECK_OK(fcntl(r, F_GETFL));
    CHECK_EQ(fl & KERNEL_O_LARGEFILE, KERNEL_O_LARGEFILE);
    CHECK_EQ(fl, O_RDONLY | KERNEL_O_LARGEFILE);

    /* Round trip of O_APPEND|O_NONBLOCK; the access mode cannot change. */
    CHECK_OK(fcntl(r, F_SETFL, O_APPEND | O_NONBLOCK));
    CHECK_EQ(CHECK_OK(fcntl(r, F_GETFL)), O_RDONLY | O_APPEND | O_NONBLOCK | KERNEL_O_LARGEFILE);
    CHECK_OK(fcntl(r, F_SETFL, O_RDWR | O_CREAT | O_TRUNC | O_EXCL));
    CHECK_EQ(CHECK_OK(fcntl(r, F_GETFL)), O_RDONLY | KERNEL_O_LARGEFILE);
    CHECK_OK(fcntl(w, F_SETFL, O_APPEND));
    CHECK_EQ(CHECK_OK(fcntl(w, F_GETFL)) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND);
    CHECK_OK(fcntl(w, F_SETFL, 0));
    CHECK_EQ(CHECK_OK(fcntl(w, F_GETFL)) & (O_ACCMODE | O_APPEND), O_WRONLY);

    /* Errors. */
    CHECK_OK(close(rw));
    CHECK_ERR(fcntl(rw, F_GETFL), EBADF);
    CHECK_ERR(fcntl(rw, F_SETFL, 0), EBADF);
    CHECK_ERR(fcntl(rw, F_GETFD), EBADF);
    CHECK_ERR(fcntl(rw, F_SETFD, 0), EBADF);
    CHECK_ERR(syscall(SYS_fcntl, r, 12345, 0), EINVAL);
    CHECK_OK(close(r));
    CHECK_OK(close(w));
}

int main(void)
{
    RUN(dup_lowest);
    RUN(shared_file);
    RUN(dup2_dup3);
    RUN(dupfd);
    RUN(fd_flags);
    RUN(status_flags);
    return 0;
}
