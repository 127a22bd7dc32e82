/* open, openat and close on the read-only root: errors, O_NOFOLLOW,
 * O_DIRECTORY, O_CLOEXEC, O_CREAT on existing files, and dirfd handling. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>

static const char *const k_links[] = {"/etc/os-release", "/bin", "/lib", "/sbin", "/lib64", NULL};

static void same_file(int fd, const char *path)
{
    struct stat a, b;
    CHECK_OK(fstat(fd, &a));
    CHECK_OK(stat(path, &b));
    CHECK_EQ(a.st_dev, b.st_dev);
    CHECK_EQ(a.st_ino, b.st_ino);
}

static void errors(void)
{
    CHECK_ERR(open("/nonexistent-syscalls-test", O_RDONLY), ENOENT);
    CHECK_ERR(open("/nonexistent-syscalls-test/x", O_RDONLY), ENOENT);
    CHECK_ERR(open("", O_RDONLY), ENOENT);
    /* A path through a regular file. */
    CHECK_ERR(open("/etc/passwd/x", O_RDONLY), ENOTDIR);
    CHECK_ERR(open("/etc/passwd/", O_RDONLY), ENOTDIR);
    /* Directories cannot be opened for writing, even with O_CREAT. */
    CHECK_ERR(open("/etc", O_WRONLY), EISDIR);
    CHECK_ERR(open("/etc", O_RDWR), EISDIR);
    CHECK_ERR(open("/etc", O_RDONLY | O_CREAT, 0644), EISDIR);
    /* O_DIRECTORY on a file. */
    CHECK_ERR(open("/etc/passwd", O_RDONLY | O_DIRECTORY), ENOTDIR);
    CHECK_ERR(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR);
    /* O_CREAT|O_EXCL on an existing file is EEXIST (before EROFS). */
    CHECK_ERR(open("/etc/passwd", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    CHECK_ERR(open("/etc", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    /* Names longer than NAME_MAX, paths longer than PATH_MAX. */
    char name[NAME_MAX + 3];
    memset(name, 'a', sizeof(name));
    name[0] = '/';
    name[sizeof(name) - 1] = 0;
    CHECK_ERR(open(name, O_RDONLY), ENAMETOOLONG);
    static char path[PATH_MAX + 2];
    for (size_t i = 0; i + 1 < sizeof(path); i++)
        path[i] = i % 2 ? '.' : '/';
    CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
    CHECK_ERR(syscall(SYS_open, BAD_PTR, O_RDONLY), EFAULT);
}

static void success(void)
{
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    same_file(fd, "/etc/passwd");
    /* O_CREAT without O_EXCL just opens an existing file, even on a
     * read-only file system. */
    int fd2 = CHECK_OK(open("/etc/passwd", O_RDONLY | O_CREAT, 0644));
    same_file(fd2, "/etc/passwd");
    CHECK_OK(close(fd2));
    /* Extra slashes and dots resolve. */
    fd2 = CHECK_OK(open("//etc/./../etc//passwd", O_RDONLY));
    same_file(fd2, "/etc/passwd");
    CHECK_OK(close(fd2));
    CHECK_OK(close(fd));
    /* ".." of the root is the root. */
    fd = CHECK_OK(open("/../../..", O_RDONLY | O_DIRECTORY));
    same_file(fd, "/");
    CHECK_OK(close(fd));
    fd = CHECK_OK(open("/etc/", O_RDONLY | O_DIRECTORY));
    same_file(fd, "/etc");
    CHECK_OK(close(fd));
}

static void nofollow(void)
{
    const char *link = check_find_symlink(k_links);
    if (!link)
        SKIP("no symlink among /etc/os-release, /bin, /lib, /sbin, /lib64");
    struct stat st;
    CHECK_OK(stat(link, &st));
    /* Following the link works; O_NOFOLLOW on the last component is ELOOP,
     * with or without O_DIRECTORY. */
    int fd = CHECK_OK(open(link, O_RDONLY));
    same_file(fd, link);
    CHECK_OK(close(fd));
    CHECK_ERR(open(link, O_RDONLY | O_NOFOLLOW), ELOOP);
    if (S_ISDIR(st.st_mode))
        CHECK_ERR(open(link, O_RDONLY | O_NOFOLLOW | O_DIRECTORY), ELOOP);
    else
        CHECK_ERR(open(link, O_RDONLY | O_DIRECTORY), ENOTDIR);
    /* O_NOFOLLOW does not apply to earlier components: /bin/ls (through
     * /bin -> usr/bin on Debian) opens. */
    if (lstat("/bin/ls", &st) == 0 && S_ISREG(st.st_mode)) {
        fd = CHECK_OK(open("/bin/ls", O_RDONLY | O_NOFOLLOW));
        CHECK_OK(close(fd));
    }
}

static void cloexec(void)
{
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    int fd2 = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_EQ(CHECK_OK(fcntl(fd2, F_GETFD)), 0);
    /* O_CLOEXEC is a descriptor flag, not a file status flag. */
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)) & O_CLOEXEC, 0);
    CHECK_OK(close(fd));
    CHECK_OK(close(fd2));
}

static void at(void)
{
    int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    int fd = CHECK_OK(openat(dir, "passwd", O_RDONLY));
    same_file(fd, "/etc/passwd");
    CHECK_OK(close(fd));
    fd = CHECK_OK(openat(dir, "../etc/./passwd", O_RDONLY));
    same_file(fd, "/etc/passwd");
    CHECK_OK(close(fd));
    fd = CHECK_OK(openat(dir, ".", O_RDONLY));
    same_file(fd, "/etc");
    CHECK_OK(close(fd));
    CHECK_ERR(openat(dir, "nonexistent-syscalls-test", O_RDONLY), ENOENT);

    /* A dirfd that is not a directory, with a relative path. */
    int file = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(openat(file, "x", O_RDONLY), ENOTDIR);
    CHECK_ERR(openat(file, "", O_RDONLY), ENOENT);
    /* A bad dirfd with a relative path. */
    CHECK_ERR(openat(-1, "passwd", O_RDONLY), EBADF);
    CHECK_ERR(openat(100000, "passwd", O_RDONLY), EBADF);
    /* An absolute path ignores dirfd, whatever it is. */
    fd = CHECK_OK(openat(-1, "/etc/passwd", O_RDONLY));
    same_file(fd, "/etc/passwd");
    CHECK_OK(close(fd));
    fd = CHECK_OK(openat(file, "/etc/passwd", O_RDONLY));
    CHECK_OK(close(fd));
    fd = CHECK_OK(openat(100000, "/etc", O_RDONLY | O_DIRECTORY));
    same_file(fd, "/etc");
    CHECK_OK(close(fd));
    /* AT_FDCWD is the working directory. */
    CHECK_OK(chdir("/etc"));
    fd = CHECK_OK(openat(AT_FDCWD, "passwd", O_RDONLY));
    same_file(fd, "/etc/passwd");
    CHECK_OK(close(fd));
    CHECK_OK(close(file));
    CHECK_OK(close(dir));
}

static void close_fd(void)
{
    int fd = CHECK_OK(open("/dev/null", O_RDONLY));
    CHECK_OK(close(fd));
    CHECK_ERR(close(fd), EBADF);
    CHECK_ERR(close(-1), EBADF);
    CHECK_ERR(close(100000), EBADF);
    /* The lowest free number is reused. */
    CHECK_EQ(CHECK_OK(open("/dev/null", O_RDONLY)), fd);
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(errors);
    RUN(success);
    RUN(cloexec);
    RUN(at);
    RUN(close_fd);
    RUN(nofollow); /* last: it may skip */
    return 0;
}
