/* The namespace and attribute calls: mkdir(at), mknod(at), symlink(at),
 * link(at), unlink(at), rmdir, rename(at/at2), chmod family, chown family,
 * utime/utimes/futimesat/utimensat, truncate/ftruncate, with exact errnos.
 *
 * Works in a fresh directory below $NAMEI_DIR (default /tmp: a tmpfs in the
 * sandbox; point NAMEI_DIR at a directory of a writable gofer mount to test
 * that filesystem). Parts that need root skip their root-only checks when
 * run unprivileged. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

static char g_base[PATH_MAX];
static char g_path[8][PATH_MAX];
static bool g_root;
static bool g_other_dir; /* $NAMEI_DIR given */

/* g_base/name in one of a few rotating buffers. */
static const char *P(const char *name)
{
    static int next;
    char *b = g_path[next++ % 8];
    size_t lb = strlen(g_base), ln = strlen(name);
    if (lb + 1 + ln >= PATH_MAX)
        FAIL("path too long");
    memcpy(b, g_base, lb);
    b[lb] = '/';
    memcpy(b + lb + 1, name, ln + 1);
    return b;
}

static struct stat st_of(const char *path)
{
    struct stat st;
    CHECK_OK(lstat(path, &st));
    return st;
}

static void touch(const char *path, mode_t mode)
{
    int fd = CHECK_OK(open(path, O_CREAT | O_EXCL | O_WRONLY, mode));
    CHECK_OK(close(fd));
}

static int cmp_ts(struct timespec a, struct timespec b)
{
    if (a.tv_sec != b.tv_sec)
        return a.tv_sec < b.tv_sec ? -1 : 1;
    return a.tv_nsec < b.tv_nsec ? -1 : a.tv_nsec > b.tv_nsec;
}

/* Removes path and everything below it. */
static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[PATH_MAX];
                snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void cleanup(void)
{
    rm_rf(g_base);
}

static void mkdir_(void)
{
    struct stat before = st_of(g_base);
    CHECK_OK(mkdir(P("d"), 0750));
    struct stat st = st_of(P("d"));
    CHECK(S_ISDIR(st.st_mode));
    CHECK_EQ(st.st_mode & 07777, 0750);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_EQ(st.st_uid, geteuid());
    CHECK_EQ(st_of(g_base).st_nlink, before.st_nlink + 1);
    CHECK_ERR(mkdir(P("d"), 0755), EEXIST);
    CHECK_ERR(mkdir(P("d/"), 0755), EEXIST);
    CHECK_ERR(mkdir(P("."), 0755), EEXIST);
    CHECK_ERR(mkdir(P("d/.."), 0755), EEXIST);
    CHECK_ERR(mkdir(P("missing/d"), 0755), ENOENT);
    CHECK_ERR(mkdir("", 0755), ENOENT);
    touch(P("f"), 0644);
    CHECK_ERR(mkdir(P("f/d"), 0755), ENOTDIR);
    CHECK_ERR(mkdir(P("f"), 0755), EEXIST);
    /* A trailing slash is fine for mkdir. */
    CHECK_OK(mkdir(P("d/sub/"), 0700));
    CHECK_EQ(st_of(P("d")).st_nlink, 3);
    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = '\0';
    CHECK_ERR(mkdir(P(longname), 0755), ENAMETOOLONG);
    /* mkdirat relative to a directory fd; the mode loses S_ISUID/S_ISGID
     * but keeps the sticky bit. */
    int dfd = CHECK_OK(open(P("d"), O_RDONLY | O_DIRECTORY));
    CHECK_OK(mkdirat(dfd, "at", 07777));
    CHECK_EQ(st_of(P("d/at")).st_mode & 07777, 01755);
    CHECK_ERR(mkdirat(dfd, "at", 0755), EEXIST);
    int ffd = CHECK_OK(open(P("f"), O_RDONLY));
    CHECK_ERR(mkdirat(ffd, "x", 0755), ENOTDIR);
    CHECK_ERR(mkdirat(999, "x", 0755), EBADF);
    CHECK_OK(close(ffd));
    CHECK_OK(close(dfd));
    /* The directory's mtime and ctime move with a new entry. */
    struct stat d1 = st_of(P("d"));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK_OK(mkdir(P("d/later"), 0755));
    struct stat d2 = st_of(P("d"));
    CHECK_GT(cmp_ts(d2.st_mtim, d1.st_mtim), 0);
    CHECK_GT(cmp_ts(d2.st_ctim, d1.st_ctim), 0);
}

static void umask_(void)
{
    mode_t old = umask(027);
    CHECK_OK(mkdir(P("um_d"), 0777));
    CHECK_EQ(st_of(P("um_d")).st_mode & 07777, 0750);
    CHECK_OK(mknod(P("um_f"), S_IFREG | 0666, 0));
    CHECK_EQ(st_of(P("um_f")).st_mode & 07777, 0640);
    CHECK_OK(symlink("target", P("um_l")));
    CHECK_EQ(st_of(P("um_l")).st_mode & 07777, 0777);
    int fd = CHECK_OK(open(P("um_o"), O_CREAT | O_WRONLY, 0777));
    CHECK_OK(close(fd));
    CHECK_EQ(st_of(P("um_o")).st_mode & 07777, 0750);
    umask(old);
}

static void mknod_(void)
{
    CHECK_OK(mknod(P("n_reg"), S_IFREG | 0640, 0));
    struct stat st = st_of(P("n_reg"));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    /* No type means a regular file. */
    CHECK_OK(mknod(P("n_zero"), 0600, 0));
    CHECK(S_ISREG(st_of(P("n_zero")).st_mode));
    CHECK_ERR(mknod(P("n_reg"), S_IFREG | 0600, 0), EEXIST);
    CHECK_ERR(mknod(P("n_dir"), S_IFDIR | 0755, 0), EPERM);
    CHECK_ERR(syscall(SYS_mknod, P("n_bad"), 0170000 | 0600, 0), EINVAL);
    CHECK_ERR(mknod(P("missing/n"), S_IFREG | 0600, 0), ENOENT);
    CHECK_ERR(mknod(P("n_slash/"), S_IFREG | 0600, 0), ENOENT);
    CHECK_ERR(mknod(P("n_reg/"), S_IFREG | 0600, 0), EEXIST);
    CHECK_OK(mknod(P("n_sock"), S_IFSOCK | 0600, 0));
    CHECK(S_ISSOCK(st_of(P("n_sock")).st_mode));
    CHECK_OK(mknod(P("n_fifo"), S_IFIFO | 0600, 0));
    st = st_of(P("n_fifo"));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(st.st_size, 0);
    CHECK_ERR(mknod(P("n_fifo"), S_IFIFO | 0600, 0), EEXIST);
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    CHECK_OK(mknodat(dfd, "n_at", S_IFREG | 0644, 0));
    CHECK(S_ISREG(st_of(P("n_at")).st_mode));
    CHECK_OK(close(dfd));
    /* Device nodes (root only; a gofer mount refuses them with EPERM). */
    if (g_root && !g_other_dir) {
        CHECK_OK(mknod(P("n_chr"), S_IFCHR | 0600, makedev(1, 3)));
        st = st_of(P("n_chr"));
        CHECK(S_ISCHR(st.st_mode));
        CHECK_EQ(major(st.st_rdev), 1);
        CHECK_EQ(minor(st.st_rdev), 3);
        CHECK_OK(unlink(P("n_chr")));
    }
}

static void symlink_(void)
{
    CHECK_OK(symlink("some/target", P("l")));
    struct stat st = st_of(P("l"));
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_size, 11);
    char buf[64];
    CHECK_EQ(CHECK_OK(readlink(P("l"), buf, sizeof(buf))), 11);
    CHECK_MEM(buf, "some/target", 11);
    CHECK_ERR(stat(P("l"), &st), ENOENT); /* dangling */
    CHECK_ERR(symlink("x", P("l")), EEXIST);
    CHECK_ERR(symlink("", P("l_empty")), ENOENT);
    CHECK_ERR(symlink("x", P("missing/l")), ENOENT);
    CHECK_ERR(symlink("x", P("l_slash/")), ENOENT);
    /* A symlink to a file works through it. */
    check_write_str(P("sl_target"), "through");
    CHECK_OK(symlink("sl_target", P("sl")));
    check_content(P("sl"), "through");
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    CHECK_OK(symlinkat("sl_target", dfd, "sl_at"));
    check_content(P("sl_at"), "through");
    CHECK_OK(close(dfd));
    /* Loops. */
    CHECK_OK(symlink("loop_b", P("loop_a")));
    CHECK_OK(symlink("loop_a", P("loop_b")));
    CHECK_ERR(open(P("loop_a"), O_RDONLY), ELOOP);
    CHECK_ERR(mkdir(P("loop_a/x"), 0755), ELOOP);
    CHECK_ERR(open(P("sl"), O_RDONLY | O_NOFOLLOW), ELOOP);
    /* The link itself is not followed by unlink. */
    CHECK_OK(unlink(P("sl")));
    check_content(P("sl_target"), "through");
}

static void link_(void)
{
    check_write_str(P("lk"), "data");
    CHECK_OK(link(P("lk"), P("lk2")));
    struct stat a = st_of(P("lk")), b = st_of(P("lk2"));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(a.st_nlink, 2);
    check_content(P("lk2"), "data");
    CHECK_ERR(link(P("lk"), P("lk2")), EEXIST);
    CHECK_ERR(link(P("nothing"), P("lk3")), ENOENT);
    CHECK_OK(mkdir(P("lk_dir"), 0755));
    CHECK_ERR(link(P("lk_dir"), P("lk_dir2")), EPERM);
    CHECK_ERR(link(P("lk"), P("missing/x")), ENOENT);
    CHECK_ERR(link(P("lk"), P("lk_new/")), ENOENT);
    CHECK_ERR(link(P("lk"), P("lk_dir")), EEXIST);
    CHECK_ERR(link(P("lk"), P("lk_dir/..")), EEXIST);
    /* linkat: a symlink is linked itself unless AT_SYMLINK_FOLLOW. */
    CHECK_OK(symlink("lk", P("lk_sym")));
    CHECK_OK(linkat(AT_FDCWD, P("lk_sym"), AT_FDCWD, P("lk_nofollow"), 0));
    CHECK(S_ISLNK(st_of(P("lk_nofollow")).st_mode));
    CHECK_OK(linkat(AT_FDCWD, P("lk_sym"), AT_FDCWD, P("lk_follow"), AT_SYMLINK_FOLLOW));
    CHECK(S_ISREG(st_of(P("lk_follow")).st_mode));
    CHECK_EQ(st_of(P("lk_follow")).st_ino, a.st_ino);
    CHECK_EQ(st_of(P("lk")).st_nlink, 3);
    CHECK_ERR(linkat(AT_FDCWD, P("lk"), AT_FDCWD, P("lk_bad"), 0x8000), EINVAL);
    /* AT_EMPTY_PATH links the file an fd refers to. */
    if (g_root) {
        int fd = CHECK_OK(open(P("lk"), O_RDONLY));
        CHECK_OK(linkat(fd, "", AT_FDCWD, P("lk_fd"), AT_EMPTY_PATH));
        CHECK_EQ(st_of(P("lk_fd")).st_ino, a.st_ino);
        CHECK_OK(close(fd));
    }
    /* ctime of the file moves with its link count. */
    CHECK_OK(unlink(P("lk2")));
    CHECK_EQ(st_of(P("lk")).st_nlink, g_root ? 3 : 2);
}

static void unlink_(void)
{
    check_write_str(P("u"), "gone");
    int fd = CHECK_OK(open(P("u"), O_RDWR));
    CHECK_OK(unlink(P("u")));
    CHECK_ERR(lstat(P("u"), &(struct stat){0}), ENOENT);
    CHECK_ERR(unlink(P("u")), ENOENT);
    /* The open file keeps working. */
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_nlink, 0);
    CHECK_EQ(CHECK_OK(pwrite(fd, "still", 5, 4)), 5);
    char buf[16] = {0};
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 0)), 9);
    CHECK_MEM(buf, "gonestill", 9);
    CHECK_OK(close(fd));
    /* A new file may take the name. */
    touch(P("u"), 0600);
    CHECK_OK(unlink(P("u")));

    CHECK_OK(mkdir(P("ud"), 0755));
    CHECK_ERR(unlink(P("ud")), EISDIR);
    CHECK_ERR(unlink(P("ud/")), EISDIR);
    CHECK_ERR(unlink(P(".")), EISDIR);
    CHECK_ERR(unlink(P("ud/..")), EISDIR);
    touch(P("uf"), 0600);
    CHECK_ERR(unlink(P("uf/")), ENOTDIR);
    CHECK_ERR(unlink(P("uf/x")), ENOTDIR);
    CHECK_ERR(unlink(P("none/x")), ENOENT);
    CHECK_ERR(unlink(""), ENOENT);
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    CHECK_ERR(unlinkat(dfd, "uf", 0x1), EINVAL);
    CHECK_ERR(unlinkat(dfd, "ud", 0), EISDIR);
    CHECK_ERR(unlinkat(dfd, "uf", AT_REMOVEDIR), ENOTDIR);
    CHECK_OK(unlinkat(dfd, "uf", 0));
    CHECK_OK(unlinkat(dfd, "ud", AT_REMOVEDIR));
    CHECK_ERR(lstat(P("ud"), &st), ENOENT);
    CHECK_OK(close(dfd));
}

static void rmdir_(void)
{
    struct stat before = st_of(g_base);
    CHECK_OK(mkdir(P("r"), 0755));
    CHECK_OK(mkdir(P("r/sub"), 0755));
    CHECK_ERR(rmdir(P("r")), ENOTEMPTY);
    CHECK_ERR(rmdir(P("r/sub/.")), EINVAL);
    CHECK_ERR(rmdir(P("r/sub/..")), ENOTEMPTY);
    CHECK_ERR(rmdir(P("r/none")), ENOENT);
    touch(P("r/file"), 0600);
    CHECK_ERR(rmdir(P("r/file")), ENOTDIR);
    CHECK_ERR(rmdir(P("r/file/")), ENOTDIR);
    CHECK_OK(unlink(P("r/file")));
    /* An open directory that is removed: empty, and nothing can be created. */
    int dfd = CHECK_OK(open(P("r/sub"), O_RDONLY | O_DIRECTORY));
    CHECK_OK(rmdir(P("r/sub/")));
    CHECK_EQ(st_of(P("r")).st_nlink, 2);
    struct stat st;
    CHECK_OK(fstat(dfd, &st));
    CHECK_EQ(st.st_nlink, 0);
    CHECK_ERR(openat(dfd, "new", O_CREAT | O_WRONLY, 0600), ENOENT);
    CHECK_ERR(mkdirat(dfd, "new", 0700), ENOENT);
    char buf[512];
    CHECK_ERR(syscall(SYS_getdents64, dfd, buf, sizeof(buf)), ENOENT);
    CHECK_OK(close(dfd));
    CHECK_OK(rmdir(P("r")));
    CHECK_EQ(st_of(g_base).st_nlink, before.st_nlink);
    CHECK_ERR(rmdir("/"), EBUSY);
}

static void rename_(void)
{
    /* A file to a new name. */
    check_write_str(P("ra"), "A");
    ino_t ia = st_of(P("ra")).st_ino;
    CHECK_OK(rename(P("ra"), P("rb")));
    CHECK_ERR(lstat(P("ra"), &(struct stat){0}), ENOENT);
    CHECK_EQ(st_of(P("rb")).st_ino, ia);
    check_content(P("rb"), "A");
    /* Over an existing file: the target is replaced. */
    check_write_str(P("rc"), "C");
    int cfd = CHECK_OK(open(P("rc"), O_RDONLY));
    CHECK_OK(rename(P("rb"), P("rc")));
    CHECK_EQ(st_of(P("rc")).st_ino, ia);
    check_content(P("rc"), "A");
    char buf[8] = {0};
    CHECK_EQ(CHECK_OK(read(cfd, buf, sizeof(buf))), 1); /* the old file lives on */
    CHECK_EQ(buf[0], 'C');
    CHECK_OK(close(cfd));
    /* Same file: nothing happens. */
    CHECK_OK(rename(P("rc"), P("rc")));
    CHECK_OK(link(P("rc"), P("rc_link")));
    CHECK_OK(rename(P("rc"), P("rc_link")));
    CHECK_EQ(st_of(P("rc")).st_ino, ia); /* both names stay */
    CHECK_EQ(st_of(P("rc_link")).st_nlink, 2);
    CHECK_OK(unlink(P("rc_link")));
    CHECK_ERR(rename(P("none"), P("x")), ENOENT);
    CHECK_ERR(rename(P("rc"), P("none/x")), ENOENT);
    CHECK_ERR(rename(P("rc/"), P("x")), ENOTDIR);
    CHECK_ERR(rename(P("rc"), P("x/")), ENOTDIR);
    CHECK_ERR(rename(P("."), P("x")), EBUSY);
    CHECK_ERR(rename(P("rc"), P(".")), EBUSY);
    CHECK_ERR(rename(P("rc"), P("..")), EBUSY);

    /* Directories. */
    CHECK_OK(mkdir(P("rd1"), 0755));
    CHECK_OK(mkdir(P("rd2"), 0755));
    CHECK_OK(mkdir(P("rd1/sub"), 0755));
    touch(P("rd1/sub/f"), 0600);
    CHECK_ERR(rename(P("rd1"), P("rd1/sub/x")), EINVAL);
    CHECK_ERR(rename(P("rd1"), P("rd1/x")), EINVAL);
    CHECK_ERR(rename(P("rd1/sub"), P("rd1")), ENOTEMPTY);
    CHECK_ERR(rename(P("rc"), P("rd2")), EISDIR);
    CHECK_ERR(rename(P("rd2"), P("rc")), ENOTDIR);
    CHECK_ERR(rename(P("rd2"), P("rd1")), ENOTEMPTY);
    /* Moving a directory to another parent moves a link of "..". */
    struct stat p1 = st_of(P("rd1")), p2 = st_of(P("rd2"));
    ino_t isub = st_of(P("rd1/sub")).st_ino;
    CHECK_OK(rename(P("rd1/sub"), P("rd2/moved/")));
    CHECK_EQ(st_of(P("rd1")).st_nlink, p1.st_nlink - 1);
    CHECK_EQ(st_of(P("rd2")).st_nlink, p2.st_nlink + 1);
    CHECK_EQ(st_of(P("rd2/moved")).st_ino, isub);
    check_content(P("rd2/moved/f"), "");
    /* ".." of the moved directory is its new parent. */
    CHECK_EQ(st_of(P("rd2/moved/..")).st_ino, p2.st_ino);
    /* Over an empty directory. */
    CHECK_OK(mkdir(P("rd_empty"), 0755));
    CHECK_OK(rename(P("rd2"), P("rd_empty")));
    CHECK_ERR(lstat(P("rd2"), &(struct stat){0}), ENOENT);
    check_content(P("rd_empty/moved/f"), "");
    /* An open directory fd follows its directory. */
    int dfd = CHECK_OK(open(P("rd_empty/moved"), O_RDONLY | O_DIRECTORY));
    CHECK_OK(rename(P("rd_empty/moved"), P("rd1/back")));
    CHECK_OK(fstatat(dfd, "f", &(struct stat){0}, 0));
    CHECK_OK(close(dfd));
    CHECK_OK(access(P("rd1/back/f"), F_OK));
}

static void renameat2_(void)
{
    check_write_str(P("x1"), "one");
    check_write_str(P("x2"), "two");
    if (syscall(SYS_renameat2, AT_FDCWD, P("x1"), AT_FDCWD, P("x2"), RENAME_NOREPLACE) == 0)
        FAIL("RENAME_NOREPLACE replaced");
    if (errno == EINVAL) {
        printf("renameat2_: flags not supported by the filesystem at %s: not checked\n", g_base);
        return;
    }
    CHECK_EQ(errno, EEXIST);
    CHECK_OK(syscall(SYS_renameat2, AT_FDCWD, P("x1"), AT_FDCWD, P("x3"), RENAME_NOREPLACE));
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("x3"), AT_FDCWD, P(".."), RENAME_NOREPLACE),
              EEXIST);
    ino_t i3 = st_of(P("x3")).st_ino, i2 = st_of(P("x2")).st_ino;
    CHECK_OK(syscall(SYS_renameat2, AT_FDCWD, P("x3"), AT_FDCWD, P("x2"), RENAME_EXCHANGE));
    CHECK_EQ(st_of(P("x3")).st_ino, i2);
    CHECK_EQ(st_of(P("x2")).st_ino, i3);
    check_content(P("x2"), "one");
    check_content(P("x3"), "two");
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("x3"), AT_FDCWD, P("x9"), RENAME_EXCHANGE),
              ENOENT);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("x3"), AT_FDCWD, P("x2"),
                      RENAME_EXCHANGE | RENAME_NOREPLACE),
              EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("x3"), AT_FDCWD, P("x2"), 0x100), EINVAL);
    /* Exchange a directory and a file in different parents. */
    CHECK_OK(mkdir(P("xa"), 0755));
    CHECK_OK(mkdir(P("xb"), 0755));
    CHECK_OK(mkdir(P("xa/dir"), 0755));
    touch(P("xb/file"), 0600);
    CHECK_OK(
        syscall(SYS_renameat2, AT_FDCWD, P("xa/dir"), AT_FDCWD, P("xb/file"), RENAME_EXCHANGE));
    CHECK(S_ISREG(st_of(P("xa/dir")).st_mode));
    CHECK(S_ISDIR(st_of(P("xb/file")).st_mode));
    CHECK_EQ(st_of(P("xa")).st_nlink, 2);
    CHECK_EQ(st_of(P("xb")).st_nlink, 3);
    CHECK_EQ(st_of(P("xb/file/..")).st_ino, st_of(P("xb")).st_ino);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("xb"), AT_FDCWD, P("xb/file"), RENAME_EXCHANGE),
              EINVAL);
}

/* Renames and links across mounts: EXDEV. */
static void exdev_(void)
{
    struct stat a, b;
    if (stat("/dev/shm", &b) < 0 || !S_ISDIR(b.st_mode)) {
        printf("exdev_: no /dev/shm: not checked\n");
        return;
    }
    a = st_of(g_base);
    if (a.st_dev == b.st_dev) {
        printf("exdev_: %s and /dev/shm are one filesystem: not checked\n", g_base);
        return;
    }
    check_write_str(P("xd"), "x");
    char other[PATH_MAX];
    snprintf(other, sizeof(other), "/dev/shm/namei-exdev-%d", (int)getpid());
    CHECK_ERR(rename(P("xd"), other), EXDEV);
    CHECK_ERR(link(P("xd"), other), EXDEV);
    CHECK_ERR(lstat(other, &b), ENOENT);
}

static void chmod_(void)
{
    touch(P("cm"), 0600);
    struct stat before = st_of(P("cm"));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK_OK(chmod(P("cm"), 0754));
    struct stat st = st_of(P("cm"));
    CHECK_EQ(st.st_mode, S_IFREG | 0754);
    CHECK_GT(cmp_ts(st.st_ctim, before.st_ctim), 0);
    /* The type bits of the argument are ignored. */
    CHECK_OK(chmod(P("cm"), S_IFDIR | 01640));
    CHECK_EQ(st_of(P("cm")).st_mode, S_IFREG | 01640);
    int fd = CHECK_OK(open(P("cm"), O_RDONLY));
    CHECK_OK(fchmod(fd, 0604));
    CHECK_EQ(st_of(P("cm")).st_mode & 07777, 0604);
    CHECK_OK(close(fd));
    fd = CHECK_OK(open(P("cm"), O_PATH));
    CHECK_ERR(fchmod(fd, 0600), EBADF);
    CHECK_OK(close(fd));
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    CHECK_OK(fchmodat(dfd, "cm", 0640, 0));
    CHECK_EQ(st_of(P("cm")).st_mode & 07777, 0640);
    CHECK_ERR(syscall(SYS_fchmodat, dfd, "none", 0640), ENOENT);
    CHECK_OK(close(dfd));
    CHECK_ERR(chmod(P("none"), 0600), ENOENT);
    CHECK_ERR(chmod(P("cm/x"), 0600), ENOTDIR);
    CHECK_ERR(fchmod(999, 0600), EBADF);
    /* chmod follows symlinks. */
    CHECK_OK(symlink("cm", P("cm_l")));
    CHECK_OK(chmod(P("cm_l"), 0611));
    CHECK_EQ(st_of(P("cm")).st_mode & 07777, 0611);
    CHECK_EQ(st_of(P("cm_l")).st_mode & 07777, 0777);
    /* Set-ID bits as root. */
    if (g_root) {
        CHECK_OK(chmod(P("cm"), 06755));
        CHECK_EQ(st_of(P("cm")).st_mode & 07777, 06755);
    }
}

static void chown_(void)
{
    if (!g_root) {
        /* Giving a file to oneself is allowed to its owner. */
        touch(P("co"), 0600);
        CHECK_OK(chown(P("co"), geteuid(), -1));
        CHECK_ERR(chown(P("co"), geteuid() + 1, -1), EPERM);
        return;
    }
    touch(P("co"), 0600);
    struct stat before = st_of(P("co"));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK_OK(chown(P("co"), 1234, 5678));
    struct stat st = st_of(P("co"));
    CHECK_EQ(st.st_uid, 1234);
    CHECK_EQ(st.st_gid, 5678);
    CHECK_GT(cmp_ts(st.st_ctim, before.st_ctim), 0);
    /* -1 keeps a field. */
    CHECK_OK(chown(P("co"), -1, 42));
    st = st_of(P("co"));
    CHECK_EQ(st.st_uid, 1234);
    CHECK_EQ(st.st_gid, 42);
    CHECK_OK(chown(P("co"), 7, -1));
    st = st_of(P("co"));
    CHECK_EQ(st.st_uid, 7);
    CHECK_EQ(st.st_gid, 42);
    /* chown clears set-user-ID, and set-group-ID when group-executable. */
    CHECK_OK(chmod(P("co"), 06755));
    CHECK_OK(chown(P("co"), 8, 9));
    CHECK_EQ(st_of(P("co")).st_mode & 07777, 0755);
    CHECK_OK(chmod(P("co"), 06745));
    CHECK_OK(chown(P("co"), 8, 9));
    CHECK_EQ(st_of(P("co")).st_mode & 07777,
             02745); /* S_ISGID without group x: mandatory locking */
    /* Directories keep their bits. */
    CHECK_OK(mkdir(P("co_d"), 02755));
    CHECK_OK(chmod(P("co_d"), 02755));
    CHECK_OK(chown(P("co_d"), 3, 3));
    CHECK_EQ(st_of(P("co_d")).st_mode & 07777, 02755);
    /* lchown and AT_SYMLINK_NOFOLLOW change the link. */
    CHECK_OK(symlink("co", P("co_l")));
    CHECK_OK(lchown(P("co_l"), 11, 12));
    CHECK_EQ(st_of(P("co_l")).st_uid, 11);
    CHECK_EQ(st_of(P("co")).st_uid, 8);
    CHECK_OK(chown(P("co_l"), 13, 14));
    CHECK_EQ(st_of(P("co")).st_uid, 13);
    CHECK_EQ(st_of(P("co_l")).st_uid, 11);
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    CHECK_OK(fchownat(dfd, "co_l", 15, 16, AT_SYMLINK_NOFOLLOW));
    CHECK_EQ(st_of(P("co_l")).st_gid, 16);
    CHECK_ERR(fchownat(dfd, "co", 1, 1, 0x4000), EINVAL);
    CHECK_ERR(fchownat(dfd, "none", 1, 1, 0), ENOENT);
    CHECK_OK(close(dfd));
    int fd = CHECK_OK(open(P("co"), O_RDONLY));
    CHECK_OK(fchown(fd, 17, 18));
    CHECK_EQ(st_of(P("co")).st_uid, 17);
    CHECK_OK(fchownat(fd, "", 19, 20, AT_EMPTY_PATH));
    CHECK_EQ(st_of(P("co")).st_gid, 20);
    CHECK_OK(close(fd));
    fd = CHECK_OK(open(P("co"), O_PATH));
    CHECK_ERR(fchown(fd, 1, 1), EBADF);
    CHECK_OK(fchownat(fd, "", 21, 22, AT_EMPTY_PATH));
    CHECK_EQ(st_of(P("co")).st_uid, 21);
    CHECK_OK(close(fd));
}

static void utimes_(void)
{
    touch(P("ut"), 0644);
    struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    CHECK_OK(utimensat(AT_FDCWD, P("ut"), ts, 0));
    struct stat st = st_of(P("ut"));
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK_EQ(st.st_atim.tv_nsec, 123456789);
    CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
    CHECK_EQ(st.st_mtim.tv_nsec, 987654321);
    /* UTIME_OMIT keeps one; UTIME_NOW takes the time. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec t2[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    CHECK_OK(utimensat(AT_FDCWD, P("ut"), t2, 0));
    st = st_of(P("ut"));
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK_GE(st.st_mtim.tv_sec, now.tv_sec - 1);
    /* NULL: both now. */
    CHECK_OK(utimensat(AT_FDCWD, P("ut"), NULL, 0));
    st = st_of(P("ut"));
    CHECK_GE(st.st_atim.tv_sec, now.tv_sec - 1);
    /* Both UTIME_OMIT: not even the path is looked at. */
    struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    CHECK_OK(utimensat(AT_FDCWD, P("none"), omit, 0));
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    CHECK_ERR(utimensat(AT_FDCWD, P("ut"), bad, 0), EINVAL);
    CHECK_ERR(utimensat(AT_FDCWD, P("ut"), ts, 0x8000), EINVAL);
    CHECK_ERR(utimensat(AT_FDCWD, P("none"), ts, 0), ENOENT);
    /* A NULL path is the fd itself (futimens). */
    int fd = CHECK_OK(open(P("ut"), O_RDONLY));
    CHECK_OK(syscall(SYS_utimensat, fd, NULL, ts, 0));
    CHECK_EQ(st_of(P("ut")).st_mtim.tv_sec, 1100000000);
    CHECK_ERR(syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW), EINVAL);
    CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT);
    CHECK_OK(close(fd));
    /* AT_SYMLINK_NOFOLLOW sets the link's own times. */
    CHECK_OK(symlink("ut", P("ut_l")));
    struct timespec lt[2] = {{2000, 0}, {3000, 0}};
    CHECK_OK(utimensat(AT_FDCWD, P("ut_l"), lt, AT_SYMLINK_NOFOLLOW));
    CHECK_EQ(st_of(P("ut_l")).st_mtim.tv_sec, 3000);
    CHECK_EQ(st_of(P("ut")).st_mtim.tv_sec, 1100000000);
    CHECK_OK(utimensat(AT_FDCWD, P("ut_l"), lt, 0));
    CHECK_EQ(st_of(P("ut")).st_mtim.tv_sec, 3000);
    /* utimes, futimesat, utime: microseconds and seconds. */
    struct timeval tv[2] = {{5000, 1}, {6000, 999999}};
    CHECK_OK(utimes(P("ut"), tv));
    st = st_of(P("ut"));
    CHECK_EQ(st.st_atim.tv_nsec, 1000);
    CHECK_EQ(st.st_mtim.tv_sec, 6000);
    CHECK_EQ(st.st_mtim.tv_nsec, 999999000);
    struct timeval badtv[2] = {{1, 1000000}, {1, 0}};
    CHECK_ERR(utimes(P("ut"), badtv), EINVAL);
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    struct timeval tv2[2] = {{7000, 0}, {8000, 0}};
    CHECK_OK(syscall(SYS_futimesat, dfd, "ut", tv2));
    CHECK_EQ(st_of(P("ut")).st_mtim.tv_sec, 8000);
    CHECK_OK(close(dfd));
    struct utimbuf ub = {9000, 9500};
    CHECK_OK(utime(P("ut"), &ub));
    st = st_of(P("ut"));
    CHECK_EQ(st.st_atim.tv_sec, 9000);
    CHECK_EQ(st.st_mtim.tv_sec, 9500);
    CHECK_EQ(st.st_mtim.tv_nsec, 0);
    CHECK_OK(utime(P("ut"), NULL));
    CHECK_GE(st_of(P("ut")).st_mtim.tv_sec, now.tv_sec - 1);
}

static void truncate_(void)
{
    check_write_str(P("tr"), "0123456789");
    CHECK_OK(truncate(P("tr"), 4));
    CHECK_EQ(st_of(P("tr")).st_size, 4);
    check_content(P("tr"), "0123");
    /* Growing reads back zeros, also where old data was. */
    CHECK_OK(truncate(P("tr"), 8192 + 10));
    int fd = CHECK_OK(open(P("tr"), O_RDWR));
    char buf[8192 + 10];
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), (long)sizeof(buf));
    CHECK_MEM(buf, "0123", 4);
    for (size_t i = 4; i < sizeof(buf); i++)
        if (buf[i])
            FAIL("byte %zu is %d after growing", i, buf[i]);
    CHECK_OK(ftruncate(fd, 2));
    CHECK_EQ(st_of(P("tr")).st_size, 2);
    CHECK_ERR(ftruncate(fd, -1), EINVAL);
    CHECK_OK(close(fd));
    fd = CHECK_OK(open(P("tr"), O_RDONLY));
    CHECK_ERR(ftruncate(fd, 0), EINVAL);
    CHECK_OK(close(fd));
    fd = CHECK_OK(open(P("tr"), O_PATH));
    CHECK_ERR(ftruncate(fd, 0), EBADF);
    CHECK_OK(close(fd));
    CHECK_ERR(truncate(P("tr"), -1), EINVAL);
    CHECK_ERR(truncate(P("none"), 0), ENOENT);
    CHECK_ERR(truncate(g_base, 0), EISDIR);
    fd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    CHECK_ERR(ftruncate(fd, 0), EINVAL);
    CHECK_OK(close(fd));
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(ftruncate(p[1], 0), EINVAL);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    /* truncate follows symlinks. */
    CHECK_OK(symlink("tr", P("tr_l")));
    CHECK_OK(truncate(P("tr_l"), 100));
    CHECK_EQ(st_of(P("tr")).st_size, 100);
}

/* getdents keeps its place while entries come and go: every entry that
 * stays is seen exactly once. */
static void getdents_stable(void)
{
    CHECK_OK(mkdir(P("gd"), 0755));
    char name[64];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "gd/keep%03d", i);
        touch(P(name), 0600);
        snprintf(name, sizeof(name), "gd/drop%03d", i);
        touch(P(name), 0600);
    }
    int fd = CHECK_OK(open(P("gd"), O_RDONLY | O_DIRECTORY));
    int seen[200] = {0};
    char buf[1024];
    int round = 0;
    for (;;) {
        long n = CHECK_OK(syscall(SYS_getdents64, fd, buf, sizeof(buf)));
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            int k;
            if (sscanf(d->d_name, "keep%d", &k) == 1)
                seen[k]++;
            off += d->d_reclen;
        }
        /* Between reads: remove some, add others. */
        for (int i = round * 10; i < round * 10 + 10 && i < 200; i++) {
            snprintf(name, sizeof(name), "gd/drop%03d", i);
            CHECK_OK(unlink(P(name)));
            snprintf(name, sizeof(name), "gd/new%03d", i);
            touch(P(name), 0600);
        }
        round++;
    }
    CHECK_OK(close(fd));
    for (int i = 0; i < 200; i++)
        if (seen[i] != 1)
            FAIL("keep%03d seen %d times", i, seen[i]);
}

int main(void)
{
    const char *dir = getenv("NAMEI_DIR");
    if (!dir || !*dir)
        dir = "/tmp";
    else
        g_other_dir = true;
    snprintf(g_base, sizeof(g_base), "%s/namei.XXXXXX", dir);
    if (!mkdtemp(g_base))
        SKIP("no writable directory: mkdtemp in %s: %s", dir, strerror(errno));
    atexit(cleanup);
    g_root = geteuid() == 0;
    umask(022);
    RUN(mkdir_);
    RUN(umask_);
    RUN(mknod_);
    RUN(symlink_);
    RUN(link_);
    RUN(unlink_);
    RUN(rmdir_);
    RUN(rename_);
    RUN(chmod_);
    RUN(chown_);
    RUN(utimes_);
    RUN(truncate_);
    RUN(getdents_stable);
    RUN(exdev_);
    RUN(renameat2_);
    return 0;
}
