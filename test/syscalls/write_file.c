/* write, pwrite64, writev, ftruncate and O_APPEND on a regular file in a
 * writable temporary directory ($TMPDIR or /tmp): appends through two
 * descriptions at once never overlap, and each one's offset ends right after
 * its own bytes. Skips when there is none (the sandbox's root is read-only
 * unless /tmp is a tmpfs there). */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/uio.h>

static char g_path[4096];
static int g_fd = -1;

static void remove_file(void)
{
    unlink(g_path);
}

static int make_file(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    snprintf(g_path, sizeof(g_path), "%s/syscalls-write-XXXXXX", dir);
    int fd = mkstemp(g_path);
    if (fd < 0 && (errno == EROFS || errno == EACCES || errno == ENOENT || errno == EPERM))
        SKIP("no writable temporary directory: %s: %s", dir, strerror(errno));
    CHECK(fd >= 0);
    return fd;
}

static off_t size_of(int fd)
{
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    return st.st_size;
}

static void write_read(void)
{
    int fd = g_fd;
    char buf[64];
    CHECK_EQ(CHECK_OK(write(fd, "hello, ", 7)), 7);
    struct iovec iov[3] = {{"wor", 3}, {"", 0}, {"ld\n", 3}};
    CHECK_EQ(CHECK_OK(writev(fd, iov, 3)), 6);
    CHECK_EQ(size_of(fd), 13);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 13);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 0)), 13);
    CHECK_MEM(buf, "hello, world\n", 13);

    /* pwrite does not move the offset, and overwrites in place. */
    CHECK_EQ(CHECK_OK(pwrite(fd, "W", 1, 7)), 1);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 13);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 0)), 13);
    CHECK_MEM(buf, "hello, World\n", 13);
    CHECK_ERR(pwrite(fd, "x", 1, -1), EINVAL);

    /* Writing past the end leaves a hole that reads as zeros. */
    CHECK_EQ(CHECK_OK(pwrite(fd, "end", 3, 100)), 3);
    CHECK_EQ(size_of(fd), 103);
    memset(buf, 'x', sizeof(buf));
    CHECK_EQ(CHECK_OK(pread(fd, buf, 10, 13)), 10);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(buf[i], 0);

    /* A fault in the second buffer: only the first one is written. */
    struct iovec bad[2] = {{"abcd", 4}, {BAD_PTR, 10}};
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_SET)), 0);
    CHECK_EQ(CHECK_OK(writev(fd, bad, 2)), 4);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 4);
    bad[0].iov_base = BAD_PTR;
    CHECK_ERR(writev(fd, bad, 2), EFAULT);
    CHECK_ERR(write(fd, BAD_PTR, 1), EFAULT);
    CHECK_EQ(size_of(fd), 103);
}

static void truncate_file(void)
{
    int fd = g_fd;
    char buf[8];
    CHECK_OK(ftruncate(fd, 5));
    CHECK_EQ(size_of(fd), 5);
    CHECK_OK(ftruncate(fd, 8192));
    CHECK_EQ(size_of(fd), 8192);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 5)), sizeof(buf));
    CHECK_EQ(buf[0], 0);
    CHECK_ERR(ftruncate(fd, -1), EINVAL);
    CHECK_OK(ftruncate(fd, 0));
    CHECK_EQ(size_of(fd), 0);
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 0)), 0);

    /* Read-only descriptors can neither write nor truncate. */
    int ro = CHECK_OK(open(g_path, O_RDONLY));
    CHECK_ERR(write(ro, "x", 1), EBADF);
    CHECK_ERR(ftruncate(ro, 0), EINVAL);
    CHECK_OK(close(ro));
}

static void append(void)
{
    char buf[16];
    int fd = CHECK_OK(open(g_path, O_WRONLY | O_TRUNC | O_APPEND));
    CHECK_EQ(CHECK_OK(write(fd, "abc", 3)), 3);
    /* O_APPEND writes go to the end whatever the offset... */
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_SET)), 0);
    CHECK_EQ(CHECK_OK(write(fd, "de", 2)), 2);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_CUR)), 5);
    /* ...and on Linux even pwrite's offset is ignored (see pwrite(2), BUGS). */
    CHECK_EQ(CHECK_OK(pwrite(fd, "f", 1, 0)), 1);
    CHECK_OK(close(fd));
    fd = CHECK_OK(open(g_path, O_RDONLY));
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), 6);
    CHECK_MEM(buf, "abcdef", 6);
    CHECK_OK(close(fd));
}

/* Concurrent appenders: each thread appends records through its own
 * O_APPEND description and checks, after every write, that the offset is
 * just past its own record (the record is there). */
#define REC_LEN 16
#define RECS 3000

struct appender {
    char tag;
    int fd;
    bool vector; /* writev of two pieces instead of write */
    char err[128];
};

static void *append_main(void *arg)
{
    struct appender *a = arg;
    for (int i = 0; i < RECS; i++) {
        char rec[REC_LEN + 1], back[REC_LEN];
        snprintf(rec, sizeof(rec), "%c%014d\n", a->tag, i);
        ssize_t n;
        if (a->vector) {
            struct iovec iov[2] = {{rec, 5}, {rec + 5, REC_LEN - 5}};
            n = writev(a->fd, iov, 2);
        } else {
            n = write(a->fd, rec, REC_LEN);
        }
        if (n != REC_LEN) {
            snprintf(a->err, sizeof(a->err), "write %d: %zd (%s)", i, n, strerror(errno));
            return NULL;
        }
        off_t pos = lseek(a->fd, 0, SEEK_CUR);
        if (pos < REC_LEN || pread(a->fd, back, REC_LEN, pos - REC_LEN) != REC_LEN ||
            memcmp(back, rec, REC_LEN) != 0) {
            snprintf(a->err, sizeof(a->err), "record %c%d: offset %lld is not after it", a->tag, i,
                     (long long)pos);
            return NULL;
        }
    }
    return NULL;
}

static void concurrent_append(void)
{
    int fd = CHECK_OK(open(g_path, O_WRONLY | O_TRUNC));
    CHECK_OK(close(fd));
    struct appender a = {'a', CHECK_OK(open(g_path, O_RDWR | O_APPEND)), false, ""};
    struct appender b = {'b', CHECK_OK(open(g_path, O_RDWR | O_APPEND)), true, ""};
    pthread_t ta, tb;
    CHECK_EQ(pthread_create(&ta, NULL, append_main, &a), 0);
    CHECK_EQ(pthread_create(&tb, NULL, append_main, &b), 0);
    CHECK_EQ(pthread_join(ta, NULL), 0);
    CHECK_EQ(pthread_join(tb, NULL), 0);
    if (a.err[0] || b.err[0])
        FAIL("%s", a.err[0] ? a.err : b.err);
    /* Every record whole, each thread's in order. */
    CHECK_EQ(size_of(a.fd), 2 * RECS * REC_LEN);
    static char all[2 * RECS * REC_LEN];
    CHECK_EQ(CHECK_OK(pread(a.fd, all, sizeof(all), 0)), sizeof(all));
    int next[2] = {0, 0};
    for (size_t off = 0; off < sizeof(all); off += REC_LEN) {
        char want[REC_LEN + 1];
        char tag = all[off];
        if (tag != 'a' && tag != 'b')
            FAIL("bad record at %zu", off);
        snprintf(want, sizeof(want), "%c%014d\n", tag, next[tag - 'a']++);
        CHECK_MEM(all + off, want, REC_LEN);
    }
    CHECK_OK(close(a.fd));
    CHECK_OK(close(b.fd));
}

int main(void)
{
    g_fd = make_file();
    atexit(remove_file);
    RUN(write_read);
    RUN(truncate_file);
    CHECK_OK(close(g_fd));
    RUN(append);
    RUN(concurrent_append);
    return 0;
}
