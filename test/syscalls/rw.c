/* read, write, readv, writev, pread64, pwrite64, preadv, lseek on /dev/null,
 * /dev/zero, a directory and a regular file of the read-only root
 * (/etc/passwd). Writes to regular files are in write_file.c. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>

static const char k_file[] = "/etc/passwd";

/* The file's content read with read() in small pieces, and its size. */
static char *slurp(int fd, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    for (;;) {
        long r = CHECK_OK(read(fd, buf + n, 100));
        if (r == 0)
            break;
        n += r;
        CHECK_LT(n, cap - 100);
    }
    *len = n;
    return buf;
}

static void dev_null(void)
{
    char buf[64];
    int fd = CHECK_OK(open("/dev/null", O_RDWR));
    CHECK_EQ(CHECK_OK(write(fd, "hello", 5)), 5);
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), 0);
    CHECK_EQ(CHECK_OK(pwrite(fd, "x", 1, 12345)), 1);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 100)), 0);
    /* /dev/null's lseek always answers 0. */
    CHECK_EQ(CHECK_OK(lseek(fd, 100, SEEK_SET)), 0);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 0);
    /* write() does not look at the buffer of /dev/null. */
    CHECK_EQ(CHECK_OK(syscall(SYS_write, fd, BAD_PTR, 10)), 10);
    struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"", 0}};
    CHECK_EQ(CHECK_OK(writev(fd, iov, 3)), 5);
    CHECK_OK(close(fd));

    fd = CHECK_OK(open("/dev/null", O_WRONLY));
    CHECK_ERR(read(fd, buf, 1), EBADF);
    CHECK_OK(close(fd));
}

static void dev_zero(void)
{
    char buf[4096];
    int fd = CHECK_OK(open("/dev/zero", O_RDWR));
    memset(buf, 0xaa, sizeof(buf));
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        CHECK_EQ(buf[i], 0);
    CHECK_EQ(CHECK_OK(write(fd, buf, 100)), 100);
    memset(buf, 0xaa, sizeof(buf));
    CHECK_EQ(CHECK_OK(pread(fd, buf, 10, 1000)), 10);
    CHECK_EQ(buf[9], 0);
    CHECK_EQ((unsigned char)buf[10], 0xaa);
    CHECK_ERR(read(fd, BAD_PTR, 10), EFAULT);

    /* readv fills the buffers in order; a bad second buffer ends the read
     * early with the count of bytes already copied. */
    char a[3], b[5];
    memset(a, 1, sizeof(a));
    memset(b, 1, sizeof(b));
    struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    CHECK_EQ(CHECK_OK(readv(fd, iov, 2)), 8);
    CHECK_EQ(a[2] + b[0] + b[4], 0);
    iov[1].iov_base = BAD_PTR;
    CHECK_EQ(CHECK_OK(readv(fd, iov, 2)), 3);
    iov[0].iov_base = BAD_PTR;
    CHECK_ERR(readv(fd, iov, 2), EFAULT);
    CHECK_OK(close(fd));
}

static void regular_file(void)
{
    struct stat st;
    size_t len;
    int fd = CHECK_OK(open(k_file, O_RDONLY));
    CHECK_OK(fstat(fd, &st));
    char *content = slurp(fd, &len);
    CHECK_EQ(len, st.st_size);
    CHECK_GT(len, 10);
    /* At the end of the file, read returns 0. */
    char buf[256];
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), 0);
    CHECK_EQ(CHECK_OK(read(fd, buf, 0)), 0);

    /* pread at several offsets gives the same bytes as read, and does not
     * move the file offset. */
    CHECK_EQ(CHECK_OK(lseek(fd, 3, SEEK_SET)), 3);
    for (size_t off = 0; off < len; off += 37) {
        size_t want = len - off < 50 ? len - off : 50;
        CHECK_EQ(CHECK_OK(pread(fd, buf, 50, off)), want);
        CHECK_MEM(buf, content + off, want);
    }
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 3);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), len)), 0);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), len + 1000)), 0);
    CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
    CHECK_ERR(syscall(SYS_pread64, fd, buf, 1, (long)-4096), EINVAL);

    /* read continues at the offset lseek set. */
    CHECK_EQ(CHECK_OK(lseek(fd, 5, SEEK_SET)), 5);
    CHECK_EQ(CHECK_OK(read(fd, buf, 4)), 4);
    CHECK_MEM(buf, content + 5, 4);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 9);
    CHECK_EQ(CHECK_OK(lseek(fd, -2, SEEK_CUR)), 7);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_END)), st.st_size);
    CHECK_EQ(CHECK_OK(lseek(fd, -1, SEEK_END)), st.st_size - 1);
    CHECK_EQ(CHECK_OK(read(fd, buf, 10)), 1);
    CHECK_EQ(buf[0], content[len - 1]);
    /* Past the end is allowed; before the start is not. */
    CHECK_EQ(CHECK_OK(lseek(fd, 100000, SEEK_END)), st.st_size + 100000);
    CHECK_EQ(CHECK_OK(read(fd, buf, 10)), 0);
    CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK_ERR(lseek(fd, -(st.st_size + 1), SEEK_END), EINVAL);
    CHECK_ERR(lseek(fd, 0, 42), EINVAL);
    /* The failed calls left the offset alone. */
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), st.st_size + 100000);
    /* A file without holes: data at 0, the only hole at the end. */
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_DATA)), 0);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_HOLE)), st.st_size);
    CHECK_ERR(lseek(fd, st.st_size, SEEK_DATA), ENXIO);

    /* readv scatters the file over the buffers in order. */
    char a[7], b[1], c[20];
    struct iovec iov[4] = {{a, sizeof(a)}, {b, 0}, {b, sizeof(b)}, {c, sizeof(c)}};
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_SET)), 0);
    long want = len < 28 ? (long)len : 28;
    CHECK_EQ(CHECK_OK(readv(fd, iov, 4)), want);
    CHECK_MEM(a, content, 7);
    CHECK_EQ(b[0], content[7]);
    CHECK_MEM(c, content + 8, want - 8);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), want);
    /* preadv at an offset, without moving the file offset. */
    CHECK_EQ(CHECK_OK(preadv(fd, iov, 4, 1)), want);
    CHECK_MEM(a, content + 1, 7);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), want);
    CHECK_ERR(preadv(fd, iov, 4, -1), EINVAL);
    /* A fault in the second buffer: the bytes of the first are returned. */
    iov[3].iov_base = BAD_PTR;
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_SET)), 0);
    CHECK_EQ(CHECK_OK(readv(fd, iov, 4)), 8);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 8);
    CHECK_ERR(read(fd, BAD_PTR, 10), EFAULT);

    /* Writing to a read-only descriptor. */
    CHECK_ERR(write(fd, "x", 1), EBADF);
    CHECK_ERR(pwrite(fd, "x", 1, 0), EBADF);
    CHECK_ERR(writev(fd, iov, 1), EBADF);
    CHECK_OK(close(fd));
    free(content);
}

static void directory(void)
{
    char buf[16];
    int fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    CHECK_ERR(read(fd, buf, sizeof(buf)), EISDIR);
    CHECK_ERR(pread(fd, buf, sizeof(buf), 0), EISDIR);
    CHECK_OK(close(fd));
}

static void bad_fd(void)
{
    char buf[16];
    struct iovec iov = {buf, sizeof(buf)};
    int fd = CHECK_OK(open(k_file, O_RDONLY));
    CHECK_OK(close(fd));
    CHECK_ERR(read(fd, buf, 1), EBADF);
    CHECK_ERR(write(fd, buf, 1), EBADF);
    CHECK_ERR(pread(fd, buf, 1, 0), EBADF);
    CHECK_ERR(pwrite(fd, buf, 1, 0), EBADF);
    CHECK_ERR(readv(fd, &iov, 1), EBADF);
    CHECK_ERR(writev(fd, &iov, 1), EBADF);
    CHECK_ERR(lseek(fd, 0, SEEK_SET), EBADF);
    CHECK_ERR(read(-1, buf, 1), EBADF);
    CHECK_ERR(write(100000, buf, 1), EBADF);
}

static void iovec_limits(void)
{
    static struct iovec iov[IOV_MAX + 1];
    static char byte;
    for (int i = 0; i <= IOV_MAX; i++)
        iov[i] = (struct iovec){&byte, 1};
    int fd = CHECK_OK(open("/dev/null", O_RDWR));
    /* Up to IOV_MAX (1024) buffers are fine; one more is EINVAL. */
    CHECK_EQ(IOV_MAX, 1024);
    CHECK_EQ(CHECK_OK(writev(fd, iov, IOV_MAX)), IOV_MAX);
    CHECK_ERR(writev(fd, iov, IOV_MAX + 1), EINVAL);
    CHECK_ERR(readv(fd, iov, IOV_MAX + 1), EINVAL);
    CHECK_ERR(syscall(SYS_writev, fd, iov, -1), EINVAL);
    CHECK_EQ(CHECK_OK(writev(fd, iov, 0)), 0);
    /* A length that does not fit in ssize_t is EINVAL. */
    struct iovec big[2] = {{&byte, (size_t)SSIZE_MAX + 1}, {&byte, 1}};
    CHECK_ERR(writev(fd, big, 1), EINVAL);
    /* A single transfer moves at most MAX_RW_COUNT (INT_MAX rounded down to
     * a page) bytes: longer requests are cut, not refused. 1 TiB past a
     * static variable is still a user address, so there is no EFAULT. */
    const long max_rw = INT_MAX & ~(check_page_size() - 1);
    big[0].iov_len = 1UL << 40;
    CHECK_EQ(CHECK_OK(writev(fd, big, 2)), max_rw);
    CHECK_EQ(CHECK_OK(syscall(SYS_write, fd, &byte, 1UL << 40)), max_rw);
    /* The iovec array itself unreadable. */
    CHECK_ERR(writev(fd, BAD_PTR, 1), EFAULT);
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(dev_null);
    RUN(dev_zero);
    RUN(regular_file);
    RUN(directory);
    RUN(bad_fd);
    RUN(iovec_limits);
    return 0;
}
