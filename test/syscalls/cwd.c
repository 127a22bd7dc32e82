/* getcwd, chdir and fchdir: the path getcwd reports, relative lookups from
 * the working directory, ERANGE, and the errors. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>

/* The raw getcwd returns the length including the NUL. */
static long raw_getcwd(char *buf, size_t size)
{
    return syscall(SYS_getcwd, buf, size);
}

static void check_cwd(const char *want)
{
    char buf[PATH_MAX];
    memset(buf, 'X', sizeof(buf));
    CHECK_EQ(CHECK_OK(raw_getcwd(buf, sizeof(buf))), strlen(want) + 1);
    CHECK_STR(buf, want);
    CHECK_STR(getcwd(buf, sizeof(buf)), want);
}

static void same_file(const char *a, const char *b)
{
    struct stat x, y;
    CHECK_OK(stat(a, &x));
    CHECK_OK(stat(b, &y));
    CHECK_EQ(x.st_dev, y.st_dev);
    CHECK_EQ(x.st_ino, y.st_ino);
}

static void change(void)
{
    CHECK_OK(chdir("/usr"));
    check_cwd("/usr");
    /* Relative paths start at the working directory. */
    int fd = CHECK_OK(open("lib", O_RDONLY | O_DIRECTORY));
    struct stat a, b;
    CHECK_OK(fstat(fd, &a));
    CHECK_OK(stat("/usr/lib", &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_OK(close(fd));
    same_file(".", "/usr");
    same_file("..", "/");
    CHECK_OK(chdir("lib"));
    check_cwd("/usr/lib");
    CHECK_OK(chdir("../.."));
    check_cwd("/");
    CHECK_OK(chdir(".."));
    check_cwd("/");
    CHECK_OK(chdir("etc"));
    check_cwd("/etc");
    CHECK_OK(access("passwd", R_OK));
    same_file("passwd", "/etc/passwd");
    CHECK_OK(chdir("//etc/.//"));
    check_cwd("/etc");
}

static void through_symlink(void)
{
    struct stat st;
    char target[16];
    /* The working directory is the resolved path: /bin -> usr/bin gives
     * /usr/bin. */
    if (lstat("/bin", &st) != 0 || !S_ISLNK(st.st_mode))
        return;
    long n = CHECK_OK(readlink("/bin", target, sizeof(target) - 1));
    target[n] = 0;
    if (strcmp(target, "usr/bin") != 0)
        return;
    CHECK_OK(chdir("/bin"));
    check_cwd("/usr/bin");
}

static void by_fd(void)
{
    int fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    CHECK_OK(chdir("/"));
    CHECK_OK(fchdir(fd));
    check_cwd("/etc");
    same_file("passwd", "/etc/passwd");
    CHECK_OK(close(fd));
    fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(fchdir(fd), ENOTDIR);
    CHECK_OK(close(fd));
    CHECK_ERR(fchdir(fd), EBADF);
    CHECK_ERR(fchdir(-1), EBADF);
    check_cwd("/etc");
}

static void range(void)
{
    char buf[PATH_MAX];
    CHECK_OK(chdir("/usr"));
    /* "/usr" needs 5 bytes. */
    CHECK_ERR(raw_getcwd(buf, 1), ERANGE);
    CHECK_ERR(raw_getcwd(buf, 4), ERANGE);
    CHECK_ERR(raw_getcwd(buf, 0), ERANGE);
    CHECK_EQ(CHECK_OK(raw_getcwd(buf, 5)), 5);
    CHECK_STR(buf, "/usr");
    CHECK_ERR(raw_getcwd(BAD_PTR, sizeof(buf)), EFAULT);
    /* glibc allocates when given no buffer. */
    char *p = getcwd(NULL, 0);
    CHECK(p != NULL);
    CHECK_STR(p, "/usr");
    free(p);
}

static void errors(void)
{
    CHECK_OK(chdir("/"));
    CHECK_ERR(chdir("/etc/passwd"), ENOTDIR);
    CHECK_ERR(chdir("/etc/passwd/x"), ENOTDIR);
    CHECK_ERR(chdir("/dev/null"), ENOTDIR);
    CHECK_ERR(chdir("/nonexistent-syscalls-test"), ENOENT);
    CHECK_ERR(chdir(""), ENOENT);
    CHECK_ERR(syscall(SYS_chdir, BAD_PTR), EFAULT);
    /* Failed calls leave the working directory alone. */
    check_cwd("/");
}

int main(void)
{
    RUN(change);
    RUN(through_symlink);
    RUN(by_fd);
    RUN(range);
    RUN(errors);
    return 0;
}
