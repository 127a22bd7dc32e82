/* The gofer's metadata-changing RPCs through the sentry's client: mknod,
 * symlink, link, rename, setattr (size, owner, mode, times), statfs. Each:
 * success checked on the host, EEXIST / ENOENT / ENOTEMPTY, bad names,
 * EROFS, and that no symlink of the tree (evil -> /, dangle -> outside) ever
 * leads an operation outside the root. Most tests run the real `gofer`
 * entry (gofer_main in a child: capabilities dropped, the seccomp filter in
 * KILL mode), so a syscall the filter lacks kills the gofer and fails the
 * test with EIO. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "test/unit/gofer/helpers.h"
#include "test/unit/harness.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* <root>/rel into buf. */
static const char *host_path(const struct tg *t, const char *rel, char buf[600])
{
    snprintf(buf, 600, "%s/%s", t->root, rel);
    return buf;
}

static void host_lstat(const struct tg *t, const char *rel, struct stat *st)
{
    char p[600];
    if (lstat(host_path(t, rel, p), st) < 0)
        ut_fail(__FILE__, __LINE__, "lstat %s: %s", p, strerror(errno));
}

static bool host_exists(const struct tg *t, const char *rel)
{
    char p[600];
    struct stat st;
    return lstat(host_path(t, rel, p), &st) == 0;
}

/* Nothing the symlinks of the tree point at was created or changed. */
static void check_outside_untouched(const struct tg *t)
{
    char p[600];
    struct stat st;
    snprintf(p, sizeof(p), "%s/outside", t->tmp);
    CHECK_INT(lstat(p, &st), ==, -1);
    snprintf(p, sizeof(p), "%s/secret", t->tmp);
    CHECK_INT(lstat(p, &st), ==, 0);
    CHECK_INT(st.st_size, ==, 6);
    CHECK_INT(st.st_nlink, ==, 1);
    CHECK_INT(st.st_mode & 07777, ==, 0644);
}

static const char *const g_bad_names[] = {"", ".", "..", "a/b", "/", "x/"};
#define N_BAD (sizeof(g_bad_names) / sizeof(g_bad_names[0]))

static const char *long_name(void)
{
    static char n[NAME_MAX + 2];
    memset(n, 'x', NAME_MAX + 1);
    n[NAME_MAX + 1] = '\0';
    return n;
}

/* ---- Mknod ---------------------------------------------------------------- */

TEST(mknod_creates_regular_files_fifos_and_sockets)
{
    struct tg t;
    tg_make_tree(&t);
    mode_t old = umask(077); /* the gofer's umask must not apply */
    tg_start_fork(&t, false, false);
    umask(old);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    static const struct {
        const char *name;
        uint32_t mode;
        mode_t type;
    } cases[] = {
        {"reg", S_IFREG | 0664, S_IFREG},   {"notype", 0606, S_IFREG},
        {"fifo", S_IFIFO | 0620, S_IFIFO},  {"sock", S_IFSOCK | 0755, S_IFSOCK},
        {"suid", S_IFREG | 04711, S_IFREG},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t fid = 0;
        struct gofer_attr attr;
        CHECK_INT(gofer_mknod(t.c, a, cases[i].name, cases[i].mode, 0, 0, 0, &fid, &attr), ==, 0);
        CHECK(fid != 0);
        char rel[64];
        snprintf(rel, sizeof(rel), "a/%s", cases[i].name);
        struct stat st;
        host_lstat(&t, rel, &st);
        CHECK_INT(st.st_mode, ==, cases[i].type | (cases[i].mode & 07777));
        CHECK_INT(attr.mode, ==, st.st_mode);
        CHECK_INT(attr.ino, ==, st.st_ino);
        /* The fid is the new file's. */
        struct gofer_attr sa;
        CHECK_INT(gofer_stat(t.c, fid, &sa), ==, 0);
        CHECK_INT(sa.ino, ==, st.st_ino);
        CHECK_INT(gofer_close(t.c, &fid, 1), ==, 0);
    }
    /* A fifo made so is never opened by the gofer (no blocking open). */
    uint64_t ff = tg_walk_path(&t, a, "fifo", NULL);
    int fd = 5;
    CHECK_INT(gofer_open(t.c, ff, O_RDONLY, &fd), ==, -ENXIO);
    /* A regular one is usable for I/O. */
    uint64_t rf = tg_walk_path(&t, a, "reg", NULL);
    CHECK_INT(gofer_open(t.c, rf, O_RDWR, &fd), ==, 0);
    CHECK_INT(write(fd, "hi", 2), ==, 2);
    close(fd);
    tg_stop(&t);
}

TEST(mknod_refuses_devices_bad_types_and_existing_names)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t fid;
    struct gofer_attr attr;
    CHECK_INT(gofer_mknod(t.c, root, "chr", S_IFCHR | 0666, makedev(1, 3), 0, 0, &fid, &attr), ==,
              -EPERM);
    CHECK_INT(gofer_mknod(t.c, root, "blk", S_IFBLK | 0666, makedev(8, 0), 0, 0, &fid, &attr), ==,
              -EPERM);
    CHECK_INT(gofer_mknod(t.c, root, "dir", S_IFDIR | 0755, 0, 0, 0, &fid, &attr), ==, -EINVAL);
    CHECK_INT(gofer_mknod(t.c, root, "lnk", S_IFLNK | 0777, 0, 0, 0, &fid, &attr), ==, -EINVAL);
    CHECK(!host_exists(&t, "chr") && !host_exists(&t, "blk") && !host_exists(&t, "dir") &&
          !host_exists(&t, "lnk"));
    /* Existing names, symlinks included (never followed, even dangling). */
    CHECK_INT(gofer_mknod(t.c, root, "file.txt", S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==,
              -EEXIST);
    CHECK_INT(gofer_mknod(t.c, root, "a", S_IFIFO | 0644, 0, 0, 0, &fid, &attr), ==, -EEXIST);
    CHECK_INT(gofer_mknod(t.c, root, "dangle", S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==, -EEXIST);
    CHECK_INT(gofer_mknod(t.c, root, "evil", S_IFIFO | 0644, 0, 0, 0, &fid, &attr), ==, -EEXIST);
    /* Bad names. */
    for (size_t i = 0; i < N_BAD; i++)
        CHECK_INT(gofer_mknod(t.c, root, g_bad_names[i], S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==,
                  -EINVAL);
    CHECK_INT(gofer_mknod(t.c, root, long_name(), S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==,
              -ENAMETOOLONG);
    /* Not a directory; an unknown fid; a directory removed meanwhile. */
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_mknod(t.c, f, "x", S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==, -ENOTDIR);
    CHECK_INT(gofer_mknod(t.c, 9999, "x", S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==, -EBADF);
    uint64_t gone;
    CHECK_INT(gofer_mkdir(t.c, root, "gone", 0755, 0, 0, &gone, &attr), ==, 0);
    CHECK_INT(gofer_unlink(t.c, root, "gone", true), ==, 0);
    CHECK_INT(gofer_mknod(t.c, gone, "x", S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==, -ENOENT);
    tg_stop(&t);
    check_outside_untouched(&t);
}

TEST(mknod_and_symlink_apply_the_owner)
{
    if (geteuid() != 0)
        SKIP("needs CAP_CHOWN");
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t fid;
    struct gofer_attr attr;
    CHECK_INT(gofer_mknod(t.c, root, "owned", S_IFIFO | 0640, 0, 1234, 5678, &fid, &attr), ==, 0);
    CHECK_INT(attr.uid, ==, 1234);
    CHECK_INT(attr.gid, ==, 5678);
    CHECK_INT(attr.mode, ==, S_IFIFO | 0640);
    struct stat st;
    host_lstat(&t, "owned", &st);
    CHECK_INT(st.st_uid, ==, 1234);
    CHECK_INT(st.st_gid, ==, 5678);
    /* Set-id bits survive the chown (the mode is applied after it). */
    CHECK_INT(gofer_mknod(t.c, root, "suid", S_IFREG | 06750, 0, 1234, 5678, &fid, &attr), ==, 0);
    CHECK_INT(attr.mode, ==, S_IFREG | 06750);
    CHECK_INT(attr.uid, ==, 1234);
    CHECK_INT(gofer_symlink(t.c, root, "olink", "/etc", 4321, 8765, &fid, &attr), ==, 0);
    CHECK_INT(attr.uid, ==, 4321);
    CHECK_INT(attr.gid, ==, 8765);
    host_lstat(&t, "olink", &st);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_INT(st.st_uid, ==, 4321);
    CHECK_INT(st.st_gid, ==, 8765);
    /* The link's target was not chowned. */
    CHECK_INT(stat("/etc", &st), ==, 0);
    CHECK(st.st_uid != 4321);
    tg_stop(&t);
}

/* ---- Symlink -------------------------------------------------------------- */

TEST(symlink_creates_a_link_that_is_never_followed)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    uint64_t fid;
    struct gofer_attr attr;
    char outside[512];
    snprintf(outside, sizeof(outside), "%s/outside", t.tmp);
    CHECK_INT(gofer_symlink(t.c, a, "out", outside, 0, 0, &fid, &attr), ==, 0);
    CHECK(S_ISLNK(attr.mode));
    CHECK_INT(attr.size, ==, (long long)strlen(outside));
    char p[600], buf[600];
    ssize_t n = readlink(host_path(&t, "a/out", p), buf, sizeof(buf) - 1);
    CHECK_INT(n, ==, (long long)strlen(outside));
    buf[n] = '\0';
    CHECK_STR(buf, outside);
    /* The fid is the link: readlink works, open does not go through it. */
    n = gofer_readlink(t.c, fid, buf, sizeof(buf));
    CHECK_INT(n, ==, (long long)strlen(outside));
    int fd = 3;
    CHECK_INT(gofer_open(t.c, fid, O_RDONLY, &fd), ==, -ELOOP);
    /* Creating through it: EEXIST, nothing appears outside. */
    uint64_t f2;
    CHECK_INT(gofer_create(t.c, a, "out", O_RDWR, 0644, 0, 0, &f2, &attr, &fd), ==, -EEXIST);
    CHECK_INT(gofer_mknod(t.c, a, "out", S_IFREG | 0644, 0, 0, 0, &f2, &attr), ==, -EEXIST);
    /* A relative target full of "..": stored as is. */
    CHECK_INT(gofer_symlink(t.c, a, "up", "../../../../../../etc/passwd", 0, 0, &fid, &attr), ==,
              0);
    struct stat st;
    host_lstat(&t, "a/up", &st);
    CHECK(S_ISLNK(st.st_mode));
    /* Existing names (a symlink too), empty and oversize targets, bad names. */
    CHECK_INT(gofer_symlink(t.c, root, "file.txt", "x", 0, 0, &fid, &attr), ==, -EEXIST);
    CHECK_INT(gofer_symlink(t.c, root, "evil", "x", 0, 0, &fid, &attr), ==, -EEXIST);
    CHECK_INT(gofer_symlink(t.c, root, "dangle", "x", 0, 0, &fid, &attr), ==, -EEXIST);
    CHECK_INT(gofer_symlink(t.c, root, "empty", "", 0, 0, &fid, &attr), ==, -ENOENT);
    char *big = malloc(PATH_MAX + 1);
    memset(big, 'a', PATH_MAX);
    big[PATH_MAX] = '\0';
    CHECK_INT(gofer_symlink(t.c, root, "big", big, 0, 0, &fid, &attr), ==, -ENAMETOOLONG);
    big[PATH_MAX - 1] = '\0'; /* 4095 bytes: the longest target */
    CHECK_INT(gofer_symlink(t.c, root, "big", big, 0, 0, &fid, &attr), ==, 0);
    CHECK_INT(attr.size, ==, PATH_MAX - 1);
    free(big);
    for (size_t i = 0; i < N_BAD; i++)
        CHECK_INT(gofer_symlink(t.c, root, g_bad_names[i], "x", 0, 0, &fid, &attr), ==, -EINVAL);
    CHECK_INT(gofer_symlink(t.c, root, long_name(), "x", 0, 0, &fid, &attr), ==, -ENAMETOOLONG);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_symlink(t.c, f, "x", "y", 0, 0, &fid, &attr), ==, -ENOTDIR);
    tg_stop(&t);
    check_outside_untouched(&t);
}

/* ---- Link ----------------------------------------------------------------- */

TEST(link_adds_a_name_for_the_fids_inode)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_link(t.c, a, "hard", f), ==, 0);
    struct stat s1, s2;
    host_lstat(&t, "file.txt", &s1);
    host_lstat(&t, "a/hard", &s2);
    CHECK_INT(s1.st_ino, ==, s2.st_ino);
    CHECK_INT(s1.st_nlink, ==, 2);
    struct gofer_attr attr;
    CHECK_INT(gofer_stat(t.c, f, &attr), ==, 0);
    CHECK_INT(attr.nlink, ==, 2);
    /* Existing names (a dangling symlink too: not followed), directories. */
    CHECK_INT(gofer_link(t.c, a, "hard", f), ==, -EEXIST);
    CHECK_INT(gofer_link(t.c, root, "dangle", f), ==, -EEXIST);
    CHECK_INT(gofer_link(t.c, root, "evil", f), ==, -EEXIST);
    CHECK_INT(gofer_link(t.c, root, "adir", a), ==, -EPERM);
    CHECK(!host_exists(&t, "adir"));
    for (size_t i = 0; i < N_BAD; i++)
        CHECK_INT(gofer_link(t.c, root, g_bad_names[i], f), ==, -EINVAL);
    CHECK_INT(gofer_link(t.c, root, long_name(), f), ==, -ENAMETOOLONG);
    CHECK_INT(gofer_link(t.c, f, "x", f), ==, -ENOTDIR);
    CHECK_INT(gofer_link(t.c, root, "x", 9999), ==, -EBADF);
    CHECK_INT(gofer_link(t.c, 9999, "x", f), ==, -EBADF);
    tg_stop(&t);
    check_outside_untouched(&t);
}

TEST(link_of_a_symlink_links_the_symlink_itself)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    const char *names[] = {"evil", "dangle"};
    for (int i = 0; i < 2; i++) {
        uint64_t fids[1];
        struct gofer_attr attrs[1];
        size_t walked = 0;
        CHECK_INT(gofer_walk(t.c, root, &names[i], 1, fids, attrs, &walked), ==, 0);
        CHECK_INT(walked, ==, 1);
        CHECK(S_ISLNK(attrs[0].mode));
        char nn[32];
        snprintf(nn, sizeof(nn), "%s_hard", names[i]);
        CHECK_INT(gofer_link(t.c, root, nn, fids[0]), ==, 0);
        struct stat s1, s2;
        host_lstat(&t, names[i], &s1);
        host_lstat(&t, nn, &s2);
        CHECK(S_ISLNK(s2.st_mode));
        CHECK_INT(s1.st_ino, ==, s2.st_ino);
    }
    tg_stop(&t);
    check_outside_untouched(&t);
}

TEST(link_follows_the_inode_not_the_name)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    struct gofer_attr fa;
    CHECK_INT(gofer_stat(t.c, f, &fa), ==, 0);
    /* The name is swapped for a symlink to a file outside the root. */
    char p[600], q[600], target[512];
    host_path(&t, "file.txt", p);
    host_path(&t, "moved.txt", q);
    CHECK_INT(rename(p, q), ==, 0);
    snprintf(target, sizeof(target), "%s/secret", t.tmp);
    CHECK_INT(symlink(target, p), ==, 0);
    CHECK_INT(gofer_link(t.c, root, "again", f), ==, 0);
    struct stat st;
    host_lstat(&t, "again", &st);
    CHECK(S_ISREG(st.st_mode));
    CHECK_INT(st.st_ino, ==, fa.ino);
    /* An inode without names cannot get one back. */
    CHECK_INT(unlink(q), ==, 0);
    host_path(&t, "again", q);
    CHECK_INT(unlink(q), ==, 0);
    CHECK_INT(gofer_link(t.c, root, "resurrect", f), ==, -ENOENT);
    CHECK(!host_exists(&t, "resurrect"));
    tg_stop(&t);
    check_outside_untouched(&t);
}

/* ---- Rename --------------------------------------------------------------- */

TEST(rename_moves_replaces_and_exchanges)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    uint64_t b = tg_walk_path(&t, root, "a/b", NULL);
    struct stat orig, st;
    host_lstat(&t, "file.txt", &orig);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    /* Within a directory, then across directories. */
    CHECK_INT(gofer_rename(t.c, root, "file.txt", root, "f2", 0), ==, 0);
    CHECK(!host_exists(&t, "file.txt"));
    host_lstat(&t, "f2", &st);
    CHECK_INT(st.st_ino, ==, orig.st_ino);
    CHECK_INT(gofer_rename(t.c, root, "f2", b, "f3", 0), ==, 0);
    host_lstat(&t, "a/b/f3", &st);
    CHECK_INT(st.st_ino, ==, orig.st_ino);
    /* The fid follows the inode. */
    struct gofer_attr attr;
    CHECK_INT(gofer_stat(t.c, f, &attr), ==, 0);
    CHECK_INT(attr.ino, ==, orig.st_ino);
    /* Replacing an existing file; RENAME_NOREPLACE refuses to. */
    uint64_t nf;
    CHECK_INT(gofer_mknod(t.c, a, "other", S_IFREG | 0600, 0, 0, 0, &nf, &attr), ==, 0);
    CHECK_INT(gofer_rename(t.c, b, "f3", a, "other", RENAME_NOREPLACE), ==, -EEXIST);
    CHECK(host_exists(&t, "a/b/f3"));
    CHECK_INT(gofer_rename(t.c, b, "f3", a, "other", 0), ==, 0);
    host_lstat(&t, "a/other", &st);
    CHECK_INT(st.st_ino, ==, orig.st_ino);
    /* RENAME_EXCHANGE swaps a file and a directory. */
    struct stat dir_st;
    host_lstat(&t, "many", &dir_st);
    CHECK_INT(gofer_rename(t.c, a, "other", root, "many", RENAME_EXCHANGE), ==, 0);
    host_lstat(&t, "many", &st);
    CHECK_INT(st.st_ino, ==, orig.st_ino);
    host_lstat(&t, "a/other", &st);
    CHECK_INT(st.st_ino, ==, dir_st.st_ino);
    CHECK_INT(gofer_rename(t.c, a, "other", root, "missing", RENAME_EXCHANGE), ==, -ENOENT);
    CHECK_INT(gofer_rename(t.c, root, "many", root, "many", RENAME_NOREPLACE | RENAME_EXCHANGE), ==,
              -EINVAL);
    CHECK_INT(gofer_rename(t.c, root, "many", root, "x", 4 /* RENAME_WHITEOUT */), ==, -EINVAL);
    CHECK_INT(gofer_rename(t.c, root, "many", root, "x", 0x100), ==, -EINVAL);
    tg_stop(&t);
    check_outside_untouched(&t);
}

TEST(rename_errors)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    uint64_t c = tg_walk_path(&t, root, "a/b/c", NULL);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_rename(t.c, root, "nope", root, "x", 0), ==, -ENOENT);
    /* A directory over a non-empty one; into itself; over a file. */
    uint64_t e;
    struct gofer_attr attr;
    CHECK_INT(gofer_mkdir(t.c, root, "e", 0755, 0, 0, &e, &attr), ==, 0);
    CHECK_INT(gofer_rename(t.c, root, "e", root, "many", 0), ==, -ENOTEMPTY);
    CHECK_INT(gofer_rename(t.c, root, "a", c, "loop", 0), ==, -EINVAL);
    CHECK_INT(gofer_rename(t.c, root, "e", root, "file.txt", 0), ==, -ENOTDIR);
    CHECK_INT(gofer_rename(t.c, root, "file.txt", root, "e", 0), ==, -EISDIR);
    /* Over an empty directory works. */
    CHECK_INT(gofer_rename(t.c, root, "many", root, "e", 0), ==, 0);
    CHECK(!host_exists(&t, "many"));
    /* Bad names on either side, non-directories, unknown fids. */
    for (size_t i = 0; i < N_BAD; i++) {
        CHECK_INT(gofer_rename(t.c, root, g_bad_names[i], a, "x", 0), ==, -EINVAL);
        CHECK_INT(gofer_rename(t.c, root, "file.txt", a, g_bad_names[i], 0), ==, -EINVAL);
    }
    CHECK_INT(gofer_rename(t.c, root, "file.txt", a, long_name(), 0), ==, -ENAMETOOLONG);
    CHECK_INT(gofer_rename(t.c, f, "x", a, "y", 0), ==, -ENOTDIR);
    CHECK_INT(gofer_rename(t.c, root, "file.txt", f, "y", 0), ==, -ENOTDIR);
    CHECK_INT(gofer_rename(t.c, root, "file.txt", 9999, "y", 0), ==, -EBADF);
    CHECK_INT(gofer_rename(t.c, 9999, "file.txt", root, "y", 0), ==, -EBADF);
    CHECK(host_exists(&t, "file.txt"));
    tg_stop(&t);
}

TEST(rename_never_goes_through_a_symlink)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    /* Renaming a link moves the link. */
    CHECK_INT(gofer_rename(t.c, root, "evil", root, "evil_moved", 0), ==, 0);
    struct stat st;
    host_lstat(&t, "evil_moved", &st);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_INT(stat("/", &st), ==, 0);
    /* A file renamed onto a dangling link replaces the link: nothing appears
     * where it pointed. */
    CHECK_INT(gofer_rename(t.c, root, "file.txt", root, "dangle", 0), ==, 0);
    host_lstat(&t, "dangle", &st);
    CHECK(S_ISREG(st.st_mode));
    /* The walked link can name neither side's directory: it is not one. */
    uint64_t fids[1];
    struct gofer_attr attrs[1];
    size_t walked = 0;
    const char *n[] = {"evil2"};
    CHECK_INT(gofer_walk(t.c, root, n, 1, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 1);
    CHECK_INT(gofer_rename(t.c, root, "dangle", fids[0], "x", 0), ==, -ENOTDIR);
    CHECK_INT(gofer_rename(t.c, fids[0], "secret", root, "stolen", 0), ==, -ENOTDIR);
    CHECK(!host_exists(&t, "stolen"));
    tg_stop(&t);
    check_outside_untouched(&t);
}

/* ---- SetAttr -------------------------------------------------------------- */

TEST(setattr_times_explicit_now_and_omitted)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    struct vfs_setattr sa = {.mask = VFS_SA_ATIME | VFS_SA_MTIME,
                             .atime = {.tv_sec = 1000, .tv_nsec = 500},
                             .mtime = {.tv_sec = 2000, .tv_nsec = 250}};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    struct stat st;
    host_lstat(&t, "file.txt", &st);
    CHECK_INT(st.st_atim.tv_sec, ==, 1000);
    CHECK_INT(st.st_atim.tv_nsec, ==, 500);
    CHECK_INT(st.st_mtim.tv_sec, ==, 2000);
    CHECK_INT(st.st_mtim.tv_nsec, ==, 250);
    /* mtime only: atime stays. */
    sa = (struct vfs_setattr){.mask = VFS_SA_MTIME, .mtime = {.tv_sec = 3000}};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    host_lstat(&t, "file.txt", &st);
    CHECK_INT(st.st_atim.tv_sec, ==, 1000);
    CHECK_INT(st.st_mtim.tv_sec, ==, 3000);
    /* Now: the gofer's clock. */
    time_t before = time(NULL);
    sa = (struct vfs_setattr){.mask = VFS_SA_ATIME_NOW | VFS_SA_MTIME_NOW};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    host_lstat(&t, "file.txt", &st);
    CHECK(st.st_atim.tv_sec >= before - 1 && st.st_atim.tv_sec <= time(NULL) + 1);
    CHECK(st.st_mtim.tv_sec >= before - 1 && st.st_mtim.tv_sec <= time(NULL) + 1);
    /* atime now with an explicit mtime, on a directory. */
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    sa = (struct vfs_setattr){.mask = VFS_SA_ATIME_NOW | VFS_SA_MTIME, .mtime = {.tv_sec = 77}};
    CHECK_INT(gofer_setattr(t.c, a, &sa), ==, 0);
    host_lstat(&t, "a", &st);
    CHECK_INT(st.st_mtim.tv_sec, ==, 77);
    CHECK(st.st_atim.tv_sec >= before - 1);
    /* Bad nanoseconds; an empty mask is a no-op. */
    sa = (struct vfs_setattr){.mask = VFS_SA_MTIME, .mtime = {.tv_nsec = 1000000000}};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, -EINVAL);
    sa = (struct vfs_setattr){.mask = 0};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    tg_stop(&t);
}

TEST(setattr_on_a_symlink_changes_the_link_not_its_target)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    char secret[600];
    snprintf(secret, sizeof(secret), "%s/secret", t.tmp);
    char p[600];
    CHECK_INT(symlink(secret, host_path(&t, "tosecret", p)), ==, 0);
    struct stat before;
    CHECK_INT(stat(secret, &before), ==, 0);
    const char *n[] = {"tosecret"};
    uint64_t fids[1];
    struct gofer_attr attrs[1];
    size_t walked = 0;
    CHECK_INT(gofer_walk(t.c, root, n, 1, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 1);
    uint64_t l = fids[0];
    struct vfs_setattr sa = {.mask = VFS_SA_ATIME | VFS_SA_MTIME,
                             .atime = {.tv_sec = 12345},
                             .mtime = {.tv_sec = 23456}};
    CHECK_INT(gofer_setattr(t.c, l, &sa), ==, 0);
    struct stat st;
    host_lstat(&t, "tosecret", &st);
    CHECK_INT(st.st_mtim.tv_sec, ==, 23456);
    CHECK_INT(gofer_setattr(t.c, l, TG_SA_MODE(0600)), ==, -EOPNOTSUPP);
    CHECK_INT(gofer_setattr(t.c, l, TG_SA_SIZE(0)), ==, -EINVAL);
    if (geteuid() == 0) {
        sa = (struct vfs_setattr){.mask = VFS_SA_UID | VFS_SA_GID, .uid = 4242, .gid = 4343};
        CHECK_INT(gofer_setattr(t.c, l, &sa), ==, 0);
        host_lstat(&t, "tosecret", &st);
        CHECK_INT(st.st_uid, ==, 4242);
        CHECK_INT(st.st_gid, ==, 4343);
    }
    /* The target outside is as it was. */
    CHECK_INT(stat(secret, &st), ==, 0);
    CHECK_INT(st.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);
    CHECK_INT(st.st_mtim.tv_nsec, ==, before.st_mtim.tv_nsec);
    CHECK_INT(st.st_uid, ==, before.st_uid);
    CHECK_INT(st.st_gid, ==, before.st_gid);
    CHECK_INT(st.st_size, ==, 6);
    tg_stop(&t);
    check_outside_untouched(&t);
}

TEST(setattr_owner_then_mode_keeps_set_id_bits)
{
    if (geteuid() != 0)
        SKIP("needs CAP_CHOWN");
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    struct vfs_setattr sa = {.mask = VFS_SA_UID | VFS_SA_GID | VFS_SA_MODE | VFS_SA_SIZE,
                             .uid = 1111,
                             .gid = 2222,
                             .mode = 06755,
                             .size = 3};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    struct stat st;
    host_lstat(&t, "file.txt", &st);
    CHECK_INT(st.st_uid, ==, 1111);
    CHECK_INT(st.st_gid, ==, 2222);
    CHECK_INT(st.st_mode, ==, S_IFREG | 06755);
    CHECK_INT(st.st_size, ==, 3);
    /* gid only: uid stays. */
    sa = (struct vfs_setattr){.mask = VFS_SA_GID, .gid = 3333};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    host_lstat(&t, "file.txt", &st);
    CHECK_INT(st.st_uid, ==, 1111);
    CHECK_INT(st.st_gid, ==, 3333);
    /* A directory's owner. */
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    sa = (struct vfs_setattr){.mask = VFS_SA_UID, .uid = 999};
    CHECK_INT(gofer_setattr(t.c, a, &sa), ==, 0);
    host_lstat(&t, "a", &st);
    CHECK_INT(st.st_uid, ==, 999);
    /* -1 is no owner. */
    sa = (struct vfs_setattr){.mask = VFS_SA_UID, .uid = UINT32_MAX};
    CHECK_INT(gofer_setattr(t.c, a, &sa), ==, -EINVAL);
    tg_stop(&t);
}

TEST(setattr_checks_everything_before_changing_anything)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    struct stat before, st;
    host_lstat(&t, "a", &before);
    /* Truncating a directory fails: its mode and times are not changed first. */
    struct vfs_setattr sa = {.mask = VFS_SA_MODE | VFS_SA_MTIME | VFS_SA_SIZE,
                             .mode = 0700,
                             .mtime = {.tv_sec = 5},
                             .size = 0};
    CHECK_INT(gofer_setattr(t.c, a, &sa), ==, -EISDIR);
    host_lstat(&t, "a", &st);
    CHECK_INT(st.st_mode, ==, before.st_mode);
    CHECK_INT(st.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);
    sa = (struct vfs_setattr){.mask = VFS_SA_MODE, .mode = 0200755};
    CHECK_INT(gofer_setattr(t.c, a, &sa), ==, -EINVAL);
    sa = (struct vfs_setattr){.mask = VFS_SA_SIZE, .size = -1};
    CHECK_INT(gofer_setattr(t.c, a, &sa), ==, -EINVAL);
    CHECK_INT(gofer_setattr(t.c, 9999, TG_SA_MODE(0700)), ==, -EBADF);
    tg_stop(&t);
}

/* ---- StatFS ------------------------------------------------------------- */

TEST(statfs_reports_the_host_file_system)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    struct gofer_statfs gs;
    CHECK_INT(gofer_statfs(t.c, root, &gs), ==, 0);
    struct statfs hs;
    CHECK_INT(statfs(t.root, &hs), ==, 0);
    CHECK_INT(gs.type, ==, (uint64_t)hs.f_type);
    CHECK_INT(gs.bsize, ==, (uint64_t)hs.f_bsize);
    CHECK_INT(gs.blocks, ==, hs.f_blocks);
    CHECK_INT(gs.files, ==, hs.f_files);
    CHECK_INT(gs.namelen, ==, (uint64_t)hs.f_namelen);
    CHECK_INT(gs.flags & ST_RDONLY, ==, hs.f_flags & ST_RDONLY);
    /* Any fid: a symlink's is its own file system's. */
    const char *n[] = {"evil"};
    uint64_t fids[1];
    struct gofer_attr attrs[1];
    size_t walked = 0;
    CHECK_INT(gofer_walk(t.c, root, n, 1, fids, attrs, &walked), ==, 0);
    CHECK_INT(gofer_statfs(t.c, fids[0], &gs), ==, 0);
    CHECK_INT(gs.type, ==, (uint64_t)hs.f_type);
    CHECK_INT(gofer_statfs(t.c, 9999, &gs), ==, -EBADF);
    tg_stop(&t);
}

/* ---- read-only, fids ---------------------------------------------------- */

TEST(readonly_refuses_the_new_writes)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, true, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    uint64_t fid;
    struct gofer_attr attr;
    struct stat before, st;
    host_lstat(&t, "file.txt", &before);
    CHECK_INT(gofer_mknod(t.c, root, "n", S_IFREG | 0644, 0, 0, 0, &fid, &attr), ==, -EROFS);
    CHECK_INT(gofer_mknod(t.c, root, "n", S_IFIFO | 0644, 0, 0, 0, &fid, &attr), ==, -EROFS);
    CHECK_INT(gofer_symlink(t.c, root, "n", "x", 0, 0, &fid, &attr), ==, -EROFS);
    CHECK_INT(gofer_link(t.c, a, "n", f), ==, -EROFS);
    CHECK_INT(gofer_rename(t.c, root, "file.txt", a, "n", 0), ==, -EROFS);
    CHECK_INT(gofer_rename(t.c, root, "file.txt", root, "a", RENAME_EXCHANGE), ==, -EROFS);
    struct vfs_setattr sa = {.mask = VFS_SA_MTIME_NOW};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, -EROFS);
    sa = (struct vfs_setattr){.mask = VFS_SA_UID | VFS_SA_GID, .uid = 1, .gid = 1};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, -EROFS);
    sa = (struct vfs_setattr){.mask = 0};
    CHECK_INT(gofer_setattr(t.c, f, &sa), ==, 0);
    CHECK(!host_exists(&t, "n") && !host_exists(&t, "a/n"));
    host_lstat(&t, "file.txt", &st);
    CHECK_INT(st.st_nlink, ==, 1);
    CHECK_INT(st.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);
    CHECK_INT(st.st_mtim.tv_nsec, ==, before.st_mtim.tv_nsec);
    CHECK_INT(st.st_uid, ==, before.st_uid);
    /* Statfs still answers, and says read-only. */
    struct gofer_statfs gs;
    CHECK_INT(gofer_statfs(t.c, root, &gs), ==, 0);
    CHECK(gs.flags & ST_RDONLY);
    tg_stop(&t);
}

TEST(new_files_get_exactly_one_fid_and_failures_none)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1);
    uint64_t fids[2];
    struct gofer_attr attr;
    CHECK_INT(gofer_mknod(t.c, root, "n", S_IFIFO | 0644, 0, 0, 0, &fids[0], &attr), ==, 0);
    CHECK_INT(gofer_symlink(t.c, root, "s", "n", 0, 0, &fids[1], &attr), ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 3);
    uint64_t x;
    CHECK_INT(gofer_mknod(t.c, root, "n", S_IFIFO | 0644, 0, 0, 0, &x, &attr), ==, -EEXIST);
    CHECK_INT(gofer_symlink(t.c, root, "s", "n", 0, 0, &x, &attr), ==, -EEXIST);
    CHECK_INT(gofer_mknod(t.c, root, "d", S_IFCHR | 0644, 0, 0, 0, &x, &attr), ==, -EPERM);
    CHECK_INT(gofer_link(t.c, root, "l", fids[0]), ==, 0);
    CHECK_INT(gofer_rename(t.c, root, "l", root, "m", 0), ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 3);
    CHECK_INT(gofer_close(t.c, fids, 2), ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1);
    tg_stop(&t);
}
