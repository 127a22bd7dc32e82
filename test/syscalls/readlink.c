/* readlink and readlinkat: a symlink of the root's layout, truncation, no
 * NUL terminator, and the errors. */
#include "check.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>

static const char *const k_links[] = {"/etc/os-release", "/bin", "/lib", "/sbin", "/lib64", NULL};
static const char *g_link;

static void target(void)
{
    char buf[PATH_MAX + 1];
    struct stat l;
    memset(buf, 'X', sizeof(buf));
    long n = CHECK_OK(readlink(g_link, buf, sizeof(buf)));
    CHECK_GT(n, 0);
    /* No terminating NUL is written. */
    CHECK_EQ(buf[n], 'X');
    CHECK_EQ(memchr(buf, 0, n), NULL);
    CHECK_OK(lstat(g_link, &l));
    CHECK_EQ(l.st_size, n);
    buf[n] = 0;

    /* The target, resolved from the link's directory, is what stat()
     * of the link reaches. */
    char dir[PATH_MAX], path[2 * PATH_MAX + 2];
    snprintf(dir, sizeof(dir), "%s", g_link);
    if (buf[0] == '/')
        snprintf(path, sizeof(path), "%s", buf);
    else
        snprintf(path, sizeof(path), "%s/%s", dirname(dir), buf);
    struct stat a, b;
    CHECK_OK(stat(g_link, &a));
    CHECK_OK(stat(path, &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(a.st_dev, b.st_dev);

    /* Debian's known layout. */
    if (strcmp(g_link, "/bin") == 0)
        CHECK_STR(buf, "usr/bin");

    /* A short buffer gets the first bytes, and the call returns how many. */
    char small[3];
    memset(small, 'X', sizeof(small));
    CHECK_EQ(CHECK_OK(readlink(g_link, small, 2)), n < 2 ? n : 2);
    CHECK_MEM(small, buf, n < 2 ? n : 2);
    CHECK_EQ(small[2], 'X');
    CHECK_EQ(CHECK_OK(readlink(g_link, small, 1)), 1);
    CHECK_EQ(small[0], buf[0]);
}

static void at(void)
{
    char a[PATH_MAX], b[PATH_MAX];
    long n = CHECK_OK(readlink(g_link, a, sizeof(a)));
    /* Relative to a directory fd. */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", g_link);
    const char *base = strrchr(g_link, '/') + 1;
    *strrchr(dir, '/') = 0;
    int dfd = CHECK_OK(open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY));
    CHECK_EQ(CHECK_OK(readlinkat(dfd, base, b, sizeof(b))), n);
    CHECK_MEM(a, b, n);
    /* An absolute path ignores dirfd. */
    CHECK_EQ(CHECK_OK(readlinkat(100000, g_link, b, sizeof(b))), n);
    CHECK_EQ(CHECK_OK(readlinkat(AT_FDCWD, g_link, b, sizeof(b))), n);
    /* Empty path on a descriptor that is not a symlink: ENOENT. */
    CHECK_ERR(readlinkat(dfd, "", b, sizeof(b)), ENOENT);
    CHECK_ERR(readlinkat(100000, base, b, sizeof(b)), EBADF);
    int file = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(readlinkat(file, "x", b, sizeof(b)), ENOTDIR);
    CHECK_OK(close(file));
    CHECK_OK(close(dfd));
}

static void errors(void)
{
    char buf[64];
    /* Not a symlink. */
    CHECK_ERR(readlink("/etc/passwd", buf, sizeof(buf)), EINVAL);
    CHECK_ERR(readlink("/etc", buf, sizeof(buf)), EINVAL);
    CHECK_ERR(readlink("/", buf, sizeof(buf)), EINVAL);
    CHECK_ERR(readlink("/nonexistent-syscalls-test", buf, sizeof(buf)), ENOENT);
    CHECK_ERR(readlink("", buf, sizeof(buf)), ENOENT);
    CHECK_ERR(readlink("/etc/passwd/x", buf, sizeof(buf)), ENOTDIR);
    /* Buffer sizes of zero or less. */
    CHECK_ERR(syscall(SYS_readlink, g_link, buf, 0), EINVAL);
    CHECK_ERR(syscall(SYS_readlink, g_link, buf, -1), EINVAL);
    CHECK_ERR(syscall(SYS_readlinkat, AT_FDCWD, g_link, buf, 0), EINVAL);
    /* Bad pointers. */
    CHECK_ERR(syscall(SYS_readlink, g_link, BAD_PTR, sizeof(buf)), EFAULT);
    CHECK_ERR(syscall(SYS_readlink, BAD_PTR, buf, sizeof(buf)), EFAULT);
}

int main(void)
{
    g_link = check_find_symlink(k_links);
    if (!g_link)
        SKIP("no symlink among /etc/os-release, /bin, /lib, /sbin, /lib64");
    RUN(target);
    RUN(at);
    RUN(errors);
    return 0;
}
