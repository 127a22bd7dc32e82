/* stat, lstat, fstat, newfstatat and statx: the same file seen through each,
 * file types, symlinks, AT_EMPTY_PATH, statx masks, and the errors. */
#include "check.h"

#include <fcntl.h>
#include <sys/sysmacros.h>

static const char *const k_links[] = {"/etc/os-release", "/bin", "/lib", "/sbin", "/lib64", NULL};

static void same_stat(const struct stat *a, const struct stat *b)
{
    CHECK_EQ(a->st_dev, b->st_dev);
    CHECK_EQ(a->st_ino, b->st_ino);
    CHECK_EQ(a->st_mode, b->st_mode);
    CHECK_EQ(a->st_nlink, b->st_nlink);
    CHECK_EQ(a->st_uid, b->st_uid);
    CHECK_EQ(a->st_gid, b->st_gid);
    CHECK_EQ(a->st_rdev, b->st_rdev);
    CHECK_EQ(a->st_size, b->st_size);
    CHECK_EQ(a->st_blksize, b->st_blksize);
    CHECK_EQ(a->st_blocks, b->st_blocks);
    CHECK_EQ(a->st_mtim.tv_sec, b->st_mtim.tv_sec);
    CHECK_EQ(a->st_mtim.tv_nsec, b->st_mtim.tv_nsec);
    CHECK_EQ(a->st_ctim.tv_sec, b->st_ctim.tv_sec);
    CHECK_EQ(a->st_ctim.tv_nsec, b->st_ctim.tv_nsec);
}

static void stat_vs_fstat(void)
{
    struct stat a, b, c, d, e;
    CHECK_OK(stat("/etc/passwd", &a));
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_OK(fstat(fd, &b));
    CHECK_OK(lstat("/etc/passwd", &c));
    CHECK_OK(fstatat(AT_FDCWD, "/etc/passwd", &d, 0));
    int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    CHECK_OK(fstatat(dir, "passwd", &e, 0));
    same_stat(&a, &b);
    same_stat(&a, &c);
    same_stat(&a, &d);
    same_stat(&a, &e);
    CHECK(S_ISREG(a.st_mode));
    CHECK_GT(a.st_size, 0);
    CHECK_GE(a.st_nlink, 1);
    CHECK_GT(a.st_blksize, 0);
    /* st_size is what read() returns. */
    char buf[1 << 16];
    long n = 0, r;
    while ((r = CHECK_OK(read(fd, buf, sizeof(buf)))) > 0)
        n += r;
    CHECK_EQ(n, a.st_size);

    /* AT_EMPTY_PATH with "" is fstat of dirfd; without it, "" is ENOENT. */
    CHECK_OK(fstatat(fd, "", &e, AT_EMPTY_PATH));
    same_stat(&a, &e);
    CHECK_ERR(fstatat(fd, "", &e, 0), ENOENT);
    CHECK_OK(fstatat(dir, "", &e, AT_EMPTY_PATH));
    CHECK(S_ISDIR(e.st_mode));
    CHECK_OK(close(fd));
    CHECK_OK(close(dir));
}

static void file_types(void)
{
    struct stat st;
    CHECK_OK(stat("/etc", &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_GE(st.st_nlink, 2);
    CHECK_OK(stat("/", &st));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_OK(stat("/dev/null", &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 1);
    CHECK_EQ(minor(st.st_rdev), 3);
    CHECK_OK(stat("/dev/zero", &st));
    CHECK(S_ISCHR(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 1);
    CHECK_EQ(minor(st.st_rdev), 5);
    /* "/.." is "/". */
    struct stat root;
    CHECK_OK(stat("/", &root));
    CHECK_OK(stat("/..", &st));
    CHECK_EQ(st.st_ino, root.st_ino);
    CHECK_EQ(st.st_dev, root.st_dev);
}

static void symlinks(void)
{
    const char *link = check_find_symlink(k_links);
    if (!link)
        SKIP("no symlink among /etc/os-release, /bin, /lib, /sbin, /lib64");
    struct stat l, s, t;
    CHECK_OK(lstat(link, &l));
    CHECK(S_ISLNK(l.st_mode));
    char target[4096];
    long n = CHECK_OK(readlink(link, target, sizeof(target)));
    CHECK_EQ(l.st_size, n);
    CHECK_OK(stat(link, &s));
    CHECK(!S_ISLNK(s.st_mode));
    CHECK(l.st_ino != s.st_ino || l.st_dev != s.st_dev);
    CHECK_OK(fstatat(AT_FDCWD, link, &t, AT_SYMLINK_NOFOLLOW));
    same_stat(&l, &t);
    CHECK_OK(fstatat(AT_FDCWD, link, &t, 0));
    same_stat(&s, &t);
}

static void statx_basic(void)
{
    struct stat st;
    struct statx sx;
    CHECK_OK(stat("/etc/passwd", &st));
    memset(&sx, 0xff, sizeof(sx));
    CHECK_OK(statx(AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS, &sx));
    CHECK_EQ(sx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
    CHECK_EQ(sx.stx_ino, st.st_ino);
    CHECK_EQ(sx.stx_mode, st.st_mode);
    CHECK_EQ(sx.stx_nlink, st.st_nlink);
    CHECK_EQ(sx.stx_uid, st.st_uid);
    CHECK_EQ(sx.stx_gid, st.st_gid);
    CHECK_EQ(sx.stx_size, st.st_size);
    CHECK_EQ(sx.stx_blocks, st.st_blocks);
    CHECK_EQ(sx.stx_blksize, st.st_blksize);
    CHECK_EQ(makedev(sx.stx_dev_major, sx.stx_dev_minor), st.st_dev);
    CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
    CHECK_EQ(sx.stx_mtime.tv_nsec, st.st_mtim.tv_nsec);
    CHECK_EQ(sx.__spare0[0], 0);

    /* The char device numbers. */
    CHECK_OK(statx(AT_FDCWD, "/dev/null", 0, STATX_TYPE, &sx));
    CHECK(sx.stx_mask & STATX_TYPE);
    CHECK(S_ISCHR(sx.stx_mode));
    CHECK_EQ(sx.stx_rdev_major, 1);
    CHECK_EQ(sx.stx_rdev_minor, 3);

    /* AT_EMPTY_PATH on a descriptor; AT_SYMLINK_NOFOLLOW on a link. */
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_OK(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
    CHECK_EQ(sx.stx_ino, st.st_ino);
    CHECK_ERR(statx(fd, "", 0, STATX_BASIC_STATS, &sx), ENOENT);
    CHECK_ERR(statx(fd, "x", 0, STATX_BASIC_STATS, &sx), ENOTDIR);
    CHECK_OK(close(fd));
    const char *link = check_find_symlink(k_links);
    if (link) {
        CHECK_OK(statx(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
        CHECK(S_ISLNK(sx.stx_mode));
    }

    /* Reserved mask bits and unknown flags are EINVAL. */
    CHECK_ERR(statx(AT_FDCWD, "/etc/passwd", 0, STATX__RESERVED, &sx), EINVAL);
    CHECK_ERR(statx(AT_FDCWD, "/etc/passwd", 0x80000000, STATX_BASIC_STATS, &sx), EINVAL);
    CHECK_ERR(statx(AT_FDCWD, "/etc/passwd", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
                    STATX_BASIC_STATS, &sx),
              EINVAL);
    CHECK_ERR(statx(AT_FDCWD, "/nonexistent-syscalls-test", 0, STATX_BASIC_STATS, &sx), ENOENT);
    CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS, BAD_PTR), EFAULT);
}

static void errors(void)
{
    struct stat st;
    CHECK_ERR(stat("/nonexistent-syscalls-test", &st), ENOENT);
    CHECK_ERR(lstat("/nonexistent-syscalls-test", &st), ENOENT);
    CHECK_ERR(stat("", &st), ENOENT);
    CHECK_ERR(stat("/etc/passwd/x", &st), ENOTDIR);
    CHECK_ERR(stat("/etc/passwd/", &st), ENOTDIR);
    /* Bad buffers and bad paths (raw syscalls: no libc in between). */
    CHECK_ERR(syscall(SYS_stat, "/etc/passwd", BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_lstat, "/etc/passwd", BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_stat, BAD_PTR, &st), EFAULT);
    CHECK_ERR(syscall(SYS_newfstatat, AT_FDCWD, "/etc/passwd", BAD_PTR, 0), EFAULT);
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(syscall(SYS_fstat, fd, BAD_PTR), EFAULT);
    /* A regular file as dirfd, a bad dirfd, unknown flags. */
    CHECK_ERR(fstatat(fd, "x", &st, 0), ENOTDIR);
    CHECK_ERR(fstatat(100000, "x", &st, 0), EBADF);
    CHECK_ERR(fstatat(AT_FDCWD, "/etc/passwd", &st, 0x1), EINVAL);
    CHECK_OK(close(fd));
    CHECK_ERR(fstat(fd, &st), EBADF);
    CHECK_ERR(fstat(-1, &st), EBADF);
    CHECK_ERR(fstatat(100000, "", &st, AT_EMPTY_PATH), EBADF);
}

int main(void)
{
    RUN(stat_vs_fstat);
    RUN(file_types);
    RUN(statx_basic);
    RUN(errors);
    RUN(symlinks); /* last: it may skip */
    return 0;
}
