/* The gofer served to the sentry's client: walk, stat, open, getdents,
 * readlink, create, mkdir, unlink, setattr, close; path safety (names are
 * single components, symlinks are never followed), read-only mounts, bind
 * mounts (--bind, --bind-ro), fid and fd accounting, a dead gofer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/entry.h"
#include "test/unit/gofer/helpers.h"
#include "test/unit/harness.h"
#include "urpc/conn.h"

TEST(mount_returns_root)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = 0;
    struct gofer_attr attr;
    bool ro = true;
    CHECK_INT(gofer_mount(t.c, &root, &attr, &ro), ==, 0);
    CHECK(!ro);
    CHECK(root != 0);
    struct stat st;
    CHECK_INT(stat(t.root, &st), ==, 0);
    CHECK_INT(attr.ino, ==, st.st_ino);
    CHECK_INT(attr.dev, ==, st.st_dev);
    CHECK_INT(attr.mode, ==, st.st_mode);
    /* Each mount is a new fid. */
    uint64_t root2 = 0;
    CHECK_INT(gofer_mount(t.c, &root2, &attr, &ro), ==, 0);
    CHECK(root2 != root);
    tg_stop(&t);
}

TEST(walk_several_names_in_one_call)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    const char *names[] = {"a", "b", "c", "deep.txt"};
    uint64_t fids[4];
    struct gofer_attr attrs[4];
    size_t walked = 0;
    CHECK_INT(gofer_walk(t.c, root, names, 4, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 4);
    char p[512];
    const char *paths[] = {"a", "a/b", "a/b/c", "a/b/c/deep.txt"};
    for (int i = 0; i < 4; i++) {
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", t.root, paths[i]);
        CHECK_INT(lstat(p, &st), ==, 0);
        CHECK_INT(attrs[i].ino, ==, st.st_ino);
        CHECK_INT(attrs[i].mode, ==, st.st_mode);
        CHECK_INT(attrs[i].size, ==, st.st_size);
    }
    CHECK(S_ISDIR(attrs[2].mode));
    CHECK(S_ISREG(attrs[3].mode));
    CHECK_INT(attrs[3].size, ==, 4);
    /* The fids are distinct and usable. */
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            CHECK(fids[i] != fids[j]);
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, fids[3], &a), ==, 0);
    CHECK_INT(a.ino, ==, attrs[3].ino);
    tg_stop(&t);
}

TEST(walk_more_than_one_call_worth)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    const char *names[1 + TG_DEPTH];
    names[0] = "dirs";
    for (int i = 1; i <= TG_DEPTH; i++)
        names[i] = "d";
    uint64_t fids[1 + TG_DEPTH];
    struct gofer_attr attrs[1 + TG_DEPTH];
    size_t walked = 0;
    CHECK_INT(gofer_walk(t.c, root, names, 1 + TG_DEPTH, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 1 + TG_DEPTH);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 2 + TG_DEPTH);
    for (int i = 0; i <= TG_DEPTH; i++)
        CHECK(S_ISDIR(attrs[i].mode));
    CHECK_INT(gofer_close(t.c, fids, 1 + TG_DEPTH), ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1);
    tg_stop(&t);
}

TEST(walk_stops_at_missing_name)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    const char *names[] = {"a", "b", "nope", "x"};
    uint64_t fids[4];
    struct gofer_attr attrs[4];
    size_t walked = 99;
    CHECK_INT(gofer_walk(t.c, root, names, 4, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 2);
    CHECK(S_ISDIR(attrs[1].mode));
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 3);
    CHECK_INT(gofer_close(t.c, fids, 2), ==, 0);
    const char *missing[] = {"nope"};
    walked = 99;
    CHECK_INT(gofer_walk(t.c, root, missing, 1, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1);
    tg_stop(&t);
}

TEST(walk_rejects_names_that_are_not_one_component)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    const char *bad[] = {"..", ".", "x/y", "", "b/../..", "/", "/etc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t fids[2];
        struct gofer_attr attrs[2];
        size_t walked = 99;
        const char *names[] = {bad[i]};
        CHECK_INT(gofer_walk(t.c, a, names, 1, fids, attrs, &walked), ==, -EINVAL);
        /* A bad name anywhere fails the whole walk, nothing walked. */
        const char *names2[] = {"b", bad[i]};
        CHECK_INT(gofer_walk(t.c, a, names2, 2, fids, attrs, &walked), ==, -EINVAL);
    }
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *names[] = {longname};
    uint64_t fid;
    struct gofer_attr attr;
    size_t walked;
    CHECK_INT(gofer_walk(t.c, a, names, 1, &fid, &attr, &walked), ==, -ENAMETOOLONG);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 2);
    tg_stop(&t);
}

TEST(walk_through_a_file_is_enotdir)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    const char *names[] = {"file.txt", "x"};
    uint64_t fids[2];
    struct gofer_attr attrs[2];
    size_t walked = 0;
    CHECK_INT(gofer_walk(t.c, root, names, 2, fids, attrs, &walked), ==, -ENOTDIR);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1); /* nothing left behind */
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_walk(t.c, f, names + 1, 1, fids, attrs, &walked), ==, -ENOTDIR);
    tg_stop(&t);
}

TEST(symlinks_are_walked_not_followed)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    const char *links[] = {"evil", "evil2", "dangle"};
    char outside[512];
    snprintf(outside, sizeof(outside), "%s/outside", t.tmp);
    const char *targets[] = {"/", "../../..", outside};
    for (int i = 0; i < 3; i++) {
        /* The walk returns the link itself and stops after it. */
        const char *names[] = {links[i], "etc", "passwd"};
        uint64_t fids[3];
        struct gofer_attr attrs[3];
        size_t walked = 0;
        CHECK_INT(gofer_walk(t.c, root, names, 3, fids, attrs, &walked), ==, 0);
        CHECK_INT(walked, ==, 1);
        CHECK(S_ISLNK(attrs[0].mode));
        char buf[512];
        ssize_t n = gofer_readlink(t.c, fids[0], buf, sizeof(buf));
        CHECK_INT(n, ==, (long long)strlen(targets[i]));
        buf[n] = '\0';
        CHECK_STR(buf, targets[i]);
        /* Nothing goes through it: no walk from it, no open, no listing. */
        size_t w2 = 0;
        CHECK_INT(gofer_walk(t.c, fids[0], names + 1, 1, fids + 1, attrs + 1, &w2), ==, -ENOTDIR);
        int fd = 123;
        CHECK_INT(gofer_open(t.c, fids[0], O_RDONLY, &fd), ==, -ELOOP);
        CHECK_INT(fd, ==, -1);
        struct gofer_dirent *ents = NULL;
        size_t ne = 0;
        CHECK_INT(gofer_getdents(t.c, fids[0], 0, 4096, &ents, &ne), ==, -ENOTDIR);
        CHECK_INT(gofer_setattr(t.c, fids[0], TG_SA_MODE(0777)), ==, -EOPNOTSUPP);
        CHECK_INT(gofer_setattr(t.c, fids[0], TG_SA_SIZE(0)), ==, -EINVAL);
        /* Creating over a link (even a dangling one) never follows it. */
        uint64_t cfid;
        struct gofer_attr cattr;
        int cfd = -1;
        CHECK_INT(gofer_create(t.c, root, links[i], O_RDWR, 0644, 0, 0, &cfid, &cattr, &cfd), ==,
                  -EEXIST);
        CHECK_INT(gofer_close(t.c, fids, 1), ==, 0);
    }
    struct stat st;
    CHECK_INT(lstat(outside, &st), ==, -1); /* dangle's target was not created */
    /* Readlink of a non-link is EINVAL. */
    char buf[16];
    CHECK_INT(gofer_readlink(t.c, root, buf, sizeof(buf)), ==, -EINVAL);
    /* A short buffer gets a truncated target, like readlink(2). */
    uint64_t l = tg_walk_path(&t, root, "evil2", NULL);
    CHECK_INT(gofer_readlink(t.c, l, buf, 3), ==, 3);
    CHECK(memcmp(buf, "../", 3) == 0);
    tg_stop(&t);
}

TEST(open_regular_file_hands_over_its_fd)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t f = tg_walk_path(&t, root, "a/b/c/deep.txt", NULL);
    int fd = -1;
    CHECK_INT(gofer_open(t.c, f, O_RDONLY, &fd), ==, 0);
    CHECK(fd >= 0);
    CHECK_STR(tg_read_fd(fd), "deep");
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    CHECK_INT(fcntl(fd, F_GETFL) & O_ACCMODE, ==, O_RDONLY);
    CHECK_INT(write(fd, "x", 1), ==, -1); /* opened read-only */
    CHECK_INT(errno, ==, EBADF);
    /* The very file that was walked. */
    struct stat st, host;
    CHECK_INT(fstat(fd, &st), ==, 0);
    char p[512];
    snprintf(p, sizeof(p), "%s/a/b/c/deep.txt", t.root);
    CHECK_INT(stat(p, &host), ==, 0);
    CHECK_INT(st.st_ino, ==, host.st_ino);
    close(fd);

    /* O_RDWR | O_TRUNC writes through. */
    uint64_t g = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_open(t.c, g, O_RDWR | O_TRUNC, &fd), ==, 0);
    CHECK_INT(fcntl(fd, F_GETFL) & O_ACCMODE, ==, O_RDWR);
    CHECK_STR(tg_read_fd(fd), "");
    CHECK_INT(pwrite(fd, "new", 3, 0), ==, 3);
    close(fd);
    snprintf(p, sizeof(p), "%s/file.txt", t.root);
    CHECK_INT(stat(p, &host), ==, 0);
    CHECK_INT(host.st_size, ==, 3);

    /* Directories open without an fd, and not for writing. */
    fd = 123;
    CHECK_INT(gofer_open(t.c, root, O_RDONLY, &fd), ==, 0);
    CHECK_INT(fd, ==, -1);
    CHECK_INT(gofer_open(t.c, root, O_RDWR, &fd), ==, -EISDIR);
    CHECK_INT(gofer_open(t.c, g, O_ACCMODE, &fd), ==, -EINVAL);
    tg_stop(&t);
}

TEST(open_device_or_fifo_is_refused)
{
    struct tg t;
    tg_make_tree(&t);
    char p[512];
    snprintf(p, sizeof(p), "%s/fifo", t.root);
    CHECK_INT(mkfifo(p, 0666), ==, 0);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    struct gofer_attr attr;
    uint64_t f = tg_walk_path(&t, root, "fifo", &attr);
    CHECK(S_ISFIFO(attr.mode));
    int fd = 123;
    /* Opening a fifo would block the gofer: refused at once. */
    CHECK_INT(gofer_open(t.c, f, O_RDONLY, &fd), ==, -ENXIO);
    CHECK_INT(fd, ==, -1);
    tg_stop(&t);
}

TEST(readonly_refuses_writes)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, true, false);
    uint64_t root = 0;
    struct gofer_attr attr;
    bool ro = false;
    CHECK_INT(gofer_mount(t.c, &root, &attr, &ro), ==, 0);
    CHECK(ro);
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    int fd = -1;
    CHECK_INT(gofer_open(t.c, f, O_RDONLY, &fd), ==, 0);
    CHECK_STR(tg_read_fd(fd), "content");
    close(fd);
    fd = 123;
    CHECK_INT(gofer_open(t.c, f, O_RDWR, &fd), ==, -EROFS);
    CHECK_INT(fd, ==, -1);
    CHECK_INT(gofer_open(t.c, f, O_WRONLY, &fd), ==, -EROFS);
    CHECK_INT(gofer_open(t.c, f, O_RDONLY | O_TRUNC, &fd), ==, -EROFS);
    uint64_t nf;
    struct gofer_attr na;
    CHECK_INT(gofer_create(t.c, root, "new", O_RDWR, 0644, 0, 0, &nf, &na, &fd), ==, -EROFS);
    CHECK_INT(gofer_mkdir(t.c, root, "newdir", 0755, 0, 0, &nf, &na), ==, -EROFS);
    CHECK_INT(gofer_unlink(t.c, root, "file.txt", false), ==, -EROFS);
    CHECK_INT(gofer_setattr(t.c, f, TG_SA_SIZE(0)), ==, -EROFS);
    CHECK_INT(gofer_setattr(t.c, f, TG_SA_MODE(0600)), ==, -EROFS);
    /* Nothing changed on the host. */
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/file.txt", t.root);
    CHECK_INT(stat(p, &st), ==, 0);
    CHECK_INT(st.st_size, ==, 7);
    CHECK_INT(st.st_mode & 07777, ==, 0644);
    snprintf(p, sizeof(p), "%s/new", t.root);
    CHECK_INT(lstat(p, &st), ==, -1);
    tg_stop(&t);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole directory in pages of size bytes; returns the names
 * (sorted, "\n"-joined) and checks each page made progress. */
static char *list_dir(struct tg *t, uint64_t dir, size_t size, size_t *pages)
{
    size_t cap = 65536, len = 0;
    char *out = calloc(1, cap);
    CHECK(out);
    char **names = NULL;
    size_t count = 0;
    int64_t off = 0;
    *pages = 0;
    for (;;) {
        struct gofer_dirent *ents = NULL;
        size_t n = 0;
        int r = gofer_getdents(t->c, dir, off, size, &ents, &n);
        if (r < 0)
            ut_fail(__FILE__, __LINE__, "getdents: %s", strerror(-r));
        if (n == 0)
            break;
        (*pages)++;
        for (size_t i = 0; i < n; i++) {
            names = realloc(names, (count + 1) * sizeof(*names));
            names[count++] = strdup(ents[i].name);
            CHECK(ents[i].ino != 0);
        }
        off = ents[n - 1].next_off;
        gofer_dirents_free(ents, n);
        CHECK(*pages < 10000);
    }
    qsort(names, count, sizeof(*names), cmp_str);
    for (size_t i = 0; i < count; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    return out;
}

/* What readdir says on the host, in the same form. */
static char *host_list(const char *path)
{
    DIR *d = opendir(path);
    CHECK(d);
    char **names = NULL;
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        names = realloc(names, (count + 1) * sizeof(*names));
        names[count++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof(*names), cmp_str);
    char *out = calloc(1, 65536);
    size_t len = 0;
    for (size_t i = 0; i < count; i++) {
        len += (size_t)snprintf(out + len, 65536 - len, "%s\n", names[i]);
        free(names[i]);
    }
    free(names);
    return out;
}

TEST(getdents_lists_everything)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    size_t pages = 0;
    char *got = list_dir(&t, root, 65536, &pages);
    CHECK_INT(pages, ==, 1);
    CHECK_STR(got, ".\n..\na\ndangle\ndirs\nevil\nevil2\nfile.txt\nmany\n");
    free(got);
    /* Types come through. */
    struct gofer_dirent *ents = NULL;
    size_t n = 0;
    CHECK_INT(gofer_getdents(t.c, root, 0, 65536, &ents, &n), ==, 0);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ents[i].name, "evil") == 0) {
            CHECK_INT(ents[i].type, ==, DT_LNK);
            seen++;
        }
        if (strcmp(ents[i].name, "file.txt") == 0) {
            CHECK_INT(ents[i].type, ==, DT_REG);
            seen++;
        }
        if (strcmp(ents[i].name, "a") == 0) {
            CHECK_INT(ents[i].type, ==, DT_DIR);
            seen++;
        }
    }
    CHECK_INT(seen, ==, 3);
    gofer_dirents_free(ents, n);
    /* Not a directory. */
    uint64_t f = tg_walk_path(&t, root, "file.txt", NULL);
    CHECK_INT(gofer_getdents(t.c, f, 0, 4096, &ents, &n), ==, -ENOTDIR);
    tg_stop(&t);
}

TEST(getdents_in_pages_concatenates_to_the_whole)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t many = tg_walk_path(&t, root, "many", NULL);
    char p[512];
    snprintf(p, sizeof(p), "%s/many", t.root);
    char *want = host_list(p);
    size_t pages = 0;
    char *whole = list_dir(&t, many, 1 << 20, &pages);
    CHECK_INT(pages, ==, 1);
    CHECK_STR(whole, want);
    char *paged = list_dir(&t, many, 100, &pages); /* two entries a page */
    CHECK(pages >= TG_MANY / 3);
    CHECK_STR(paged, want);
    free(paged);
    paged = list_dir(&t, many, 45, &pages); /* one entry a page */
    CHECK_INT(pages, ==, TG_MANY + 2);
    CHECK_STR(paged, want);
    free(paged);
    /* A size too small for one entry is EINVAL, not an endless empty page. */
    struct gofer_dirent *ents = NULL;
    size_t n = 0;
    CHECK_INT(gofer_getdents(t.c, many, 0, 8, &ents, &n), ==, -EINVAL);
    CHECK_INT(gofer_getdents(t.c, many, -1, 4096, &ents, &n), ==, -EINVAL);
    free(whole);
    free(want);
    tg_stop(&t);
}

TEST(create_write_stat)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    mode_t old = umask(077); /* the gofer's umask must not matter */
    uint64_t root = tg_mount(&t);
    uint64_t a = tg_walk_path(&t, root, "a", NULL);
    uint64_t fid = 0;
    struct gofer_attr attr;
    int fd = -1;
    CHECK_INT(gofer_create(t.c, a, "new.txt", O_RDWR, S_IFREG | 0664, 0, 0, &fid, &attr, &fd), ==,
              0);
    umask(old);
    CHECK(fd >= 0);
    CHECK(S_ISREG(attr.mode));
    CHECK_INT(attr.mode & 07777, ==, 0664);
    CHECK_INT(attr.size, ==, 0);
    CHECK_INT(fcntl(fd, F_GETFL) & O_ACCMODE, ==, O_RDWR);
    CHECK_INT(pwrite(fd, "abcdef", 6, 0), ==, 6);
    struct gofer_attr st;
    CHECK_INT(gofer_stat(t.c, fid, &st), ==, 0);
    CHECK_INT(st.size, ==, 6);
    CHECK_INT(st.ino, ==, attr.ino);
    char p[512];
    snprintf(p, sizeof(p), "%s/a/new.txt", t.root);
    struct stat host;
    CHECK_INT(lstat(p, &host), ==, 0);
    CHECK_INT(host.st_ino, ==, attr.ino);
    CHECK_INT(host.st_mode & 07777, ==, 0664);
    /* A walk finds it; creating it again is EEXIST. */
    struct gofer_attr wa;
    uint64_t w = tg_walk_path(&t, a, "new.txt", &wa);
    CHECK_INT(wa.size, ==, 6);
    uint64_t fid2;
    int fd2 = -1;
    CHECK_INT(gofer_create(t.c, a, "new.txt", O_RDWR, 0644, 0, 0, &fid2, &attr, &fd2), ==, -EEXIST);
    CHECK_INT(fd2, ==, -1);
    /* Truncate and chmod through SetAttr. */
    CHECK_INT(gofer_setattr(t.c, w, TG_SA_SIZE(2)), ==, 0);
    CHECK_INT(gofer_stat(t.c, fid, &st), ==, 0);
    CHECK_INT(st.size, ==, 2);
    CHECK_INT(gofer_setattr(t.c, w, TG_SA_MODE(0600)), ==, 0);
    CHECK_INT(gofer_stat(t.c, fid, &st), ==, 0);
    CHECK_INT(st.mode, ==, S_IFREG | 0600);
    CHECK_INT(gofer_setattr(t.c, a, TG_SA_SIZE(0)), ==, -EISDIR);
    /* Bad names and modes. */
    CHECK_INT(gofer_create(t.c, a, "..", O_RDWR, 0644, 0, 0, &fid2, &attr, &fd2), ==, -EINVAL);
    CHECK_INT(gofer_create(t.c, a, "x/y", O_RDWR, 0644, 0, 0, &fid2, &attr, &fd2), ==, -EINVAL);
    CHECK_INT(gofer_create(t.c, a, "dev", O_RDWR, S_IFCHR | 0644, 0, 0, &fid2, &attr, &fd2), ==,
              -EINVAL);
    CHECK_INT(gofer_create(t.c, w, "x", O_RDWR, 0644, 0, 0, &fid2, &attr, &fd2), ==, -ENOTDIR);
    close(fd);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 4); /* root, a, new.txt twice */
    tg_stop(&t);
}

TEST(create_applies_owner)
{
    if (geteuid() != 0)
        SKIP("needs CAP_CHOWN");
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t fid;
    struct gofer_attr attr;
    int fd = -1;
    CHECK_INT(gofer_create(t.c, root, "owned", O_WRONLY, 0640, 1234, 5678, &fid, &attr, &fd), ==,
              0);
    CHECK_INT(attr.uid, ==, 1234);
    CHECK_INT(attr.gid, ==, 5678);
    CHECK_INT(attr.mode, ==, S_IFREG | 0640);
    CHECK_INT(fcntl(fd, F_GETFL) & O_ACCMODE, ==, O_WRONLY);
    close(fd);
    CHECK_INT(gofer_mkdir(t.c, root, "owned_dir", 0700, 4321, 8765, &fid, &attr), ==, 0);
    CHECK_INT(attr.uid, ==, 4321);
    CHECK_INT(attr.gid, ==, 8765);
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/owned_dir", t.root);
    CHECK_INT(stat(p, &st), ==, 0);
    CHECK_INT(st.st_uid, ==, 4321);
    tg_stop(&t);
}

TEST(mkdir_and_unlink)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    mode_t old = umask(022);
    uint64_t root = tg_mount(&t);
    uint64_t d = 0;
    struct gofer_attr attr;
    CHECK_INT(gofer_mkdir(t.c, root, "newdir", 0777, 0, 0, &d, &attr), ==, 0);
    umask(old);
    CHECK_INT(attr.mode, ==, S_IFDIR | 0777);
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/newdir", t.root);
    CHECK_INT(lstat(p, &st), ==, 0);
    CHECK_INT(st.st_ino, ==, attr.ino);
    CHECK_INT(gofer_mkdir(t.c, root, "newdir", 0777, 0, 0, &d, &attr), ==, -EEXIST);
    CHECK_INT(gofer_mkdir(t.c, root, "..", 0777, 0, 0, &d, &attr), ==, -EINVAL);
    /* Files go in it through its fid. */
    uint64_t f;
    int fd = -1;
    CHECK_INT(gofer_create(t.c, d, "inner", O_RDWR, 0600, 0, 0, &f, &attr, &fd), ==, 0);
    close(fd);
    CHECK_INT(gofer_unlink(t.c, root, "newdir", true), ==, -ENOTEMPTY);
    CHECK_INT(gofer_unlink(t.c, d, "inner", true), ==, -ENOTDIR);
    CHECK_INT(gofer_unlink(t.c, d, "inner", false), ==, 0);
    CHECK_INT(gofer_unlink(t.c, d, "inner", false), ==, -ENOENT);
    CHECK_INT(gofer_unlink(t.c, root, "newdir", false), ==, -EISDIR);
    CHECK_INT(gofer_unlink(t.c, root, "newdir", true), ==, 0);
    CHECK_INT(lstat(p, &st), ==, -1);
    const char *names[] = {"newdir"};
    size_t walked = 9;
    CHECK_INT(gofer_walk(t.c, root, names, 1, &f, &attr, &walked), ==, 0);
    CHECK_INT(walked, ==, 0);
    /* Unlinking a symlink removes the link, not its target. */
    CHECK_INT(gofer_unlink(t.c, root, "dangle", false), ==, 0);
    CHECK_INT(gofer_unlink(t.c, root, "evil", false), ==, 0);
    CHECK_INT(stat("/", &st), ==, 0);
    CHECK_INT(gofer_unlink(t.c, root, "..", true), ==, -EINVAL);
    CHECK_INT(gofer_unlink(t.c, root, "a/b", true), ==, -EINVAL);
    tg_stop(&t);
}

TEST(close_releases_fids)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 0);
    uint64_t root = tg_mount(&t);
    const char *names[] = {"a", "b", "c"};
    uint64_t fids[3];
    struct gofer_attr attrs[3];
    size_t walked = 0;
    CHECK_INT(gofer_walk(t.c, root, names, 3, fids, attrs, &walked), ==, 0);
    uint64_t nf, nd;
    int fd = -1;
    CHECK_INT(gofer_create(t.c, root, "n", O_RDWR, 0644, 0, 0, &nf, &attrs[0], &fd), ==, 0);
    close(fd);
    CHECK_INT(gofer_mkdir(t.c, root, "nd", 0755, 0, 0, &nd, &attrs[0]), ==, 0);
    struct gofer_dirent *ents;
    size_t n;
    CHECK_INT(gofer_getdents(t.c, fids[2], 0, 4096, &ents, &n), ==, 0); /* caches a dir fd */
    gofer_dirents_free(ents, n);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 6);
    CHECK_INT(gofer_close(t.c, fids, 3), ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 3);
    uint64_t rest[] = {nf, nd, root};
    CHECK_INT(gofer_close(t.c, rest, 3), ==, 0);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 0);
    /* Closed fids are gone for good: ids are not reused. */
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, root, &a), ==, -EBADF);
    CHECK_INT(gofer_close(t.c, fids, 1), ==, -EBADF);
    uint64_t root2 = tg_mount(&t);
    CHECK(root2 != root && root2 != fids[0] && root2 != nd);
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1);
    /* Closing the connection releases what is left (checked in tg_stop). */
    tg_stop(&t);
}

TEST(bad_fid_is_ebadf)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    uint64_t bad = root + 1000;
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, bad, &a), ==, -EBADF);
    CHECK_INT(gofer_stat(t.c, 0, &a), ==, -EBADF);
    CHECK_INT(gofer_stat(t.c, UINT64_MAX, &a), ==, -EBADF);
    const char *names[] = {"a"};
    uint64_t fid;
    size_t walked;
    CHECK_INT(gofer_walk(t.c, bad, names, 1, &fid, &a, &walked), ==, -EBADF);
    int fd;
    CHECK_INT(gofer_open(t.c, bad, O_RDONLY, &fd), ==, -EBADF);
    struct gofer_dirent *ents;
    size_t n;
    CHECK_INT(gofer_getdents(t.c, bad, 0, 4096, &ents, &n), ==, -EBADF);
    char buf[16];
    CHECK_INT(gofer_readlink(t.c, bad, buf, sizeof(buf)), ==, -EBADF);
    CHECK_INT(gofer_create(t.c, bad, "x", O_RDWR, 0644, 0, 0, &fid, &a, &fd), ==, -EBADF);
    CHECK_INT(gofer_mkdir(t.c, bad, "x", 0755, 0, 0, &fid, &a), ==, -EBADF);
    CHECK_INT(gofer_unlink(t.c, bad, "a", true), ==, -EBADF);
    CHECK_INT(gofer_setattr(t.c, bad, TG_SA_SIZE(0)), ==, -EBADF);
    CHECK_INT(gofer_close(t.c, &bad, 1), ==, -EBADF);
    /* The connection is fine afterwards. */
    CHECK_INT(gofer_stat(t.c, root, &a), ==, 0);
    tg_stop(&t);
}

TEST(no_fd_leaks_in_the_client)
{
    struct tg t;
    tg_make_tree(&t);
    int before = ut_count_fds();
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    for (int round = 0; round < 3; round++) {
        uint64_t f = tg_walk_path(&t, root, "a/b/c/deep.txt", NULL);
        int fd = -1;
        CHECK_INT(gofer_open(t.c, f, O_RDONLY, &fd), ==, 0);
        close(fd);
        CHECK_INT(gofer_open(t.c, f, O_RDWR, &fd), ==, 0);
        close(fd);
        CHECK_INT(gofer_open(t.c, root, O_RDONLY, &fd), ==, 0); /* no fd */
        CHECK_INT(gofer_open(t.c, f, O_ACCMODE, &fd), ==, -EINVAL);
        uint64_t nf;
        struct gofer_attr a;
        CHECK_INT(gofer_create(t.c, root, "tmp", O_RDWR, 0644, 0, 0, &nf, &a, &fd), ==, 0);
        close(fd);
        CHECK_INT(gofer_create(t.c, root, "tmp", O_RDWR, 0644, 0, 0, &nf, &a, &fd), ==, -EEXIST);
        CHECK_INT(gofer_unlink(t.c, root, "tmp", false), ==, 0);
        struct gofer_dirent *ents;
        size_t n;
        CHECK_INT(gofer_getdents(t.c, root, 0, 4096, &ents, &n), ==, 0);
        gofer_dirents_free(ents, n);
        uint64_t both[] = {f, nf};
        CHECK_INT(gofer_close(t.c, both, 2), ==, 0);
    }
    CHECK_INT(ut_count_fds(), ==, before + 1); /* the client's socket */
    tg_stop(&t);
    CHECK_INT(ut_count_fds(), ==, before);
}

TEST(no_fd_leaks_in_the_server)
{
    struct tg t;
    tg_make_tree(&t);
    int before = ut_count_fds();
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    uint64_t f = tg_walk_path(&t, root, "a/b/c", NULL);
    struct gofer_dirent *ents;
    size_t n;
    CHECK_INT(gofer_getdents(t.c, f, 0, 4096, &ents, &n), ==, 0);
    gofer_dirents_free(ents, n);
    uint64_t nf;
    struct gofer_attr a;
    int fd;
    CHECK_INT(gofer_create(t.c, f, "x", O_RDWR, 0644, 0, 0, &nf, &a, &fd), ==, 0);
    close(fd);
    CHECK_INT(gofer_create(t.c, f, "x", O_RDWR, 0644, 0, 0, &nf, &a, &fd), ==, -EEXIST);
    CHECK_INT(gofer_setattr(t.c, nf,
                            &(struct vfs_setattr){
                                .mask = VFS_SA_SIZE | VFS_SA_MODE, .size = 1, .mode = 0600}),
              ==, 0);
    /* Fids left open: the closing connection releases them and their fds. */
    tg_stop(&t);
    CHECK_INT(ut_count_fds(), ==, before);
}

struct walker {
    struct tg *t;
    uint64_t root;
    int failures;
};

static void *walk_loop(void *arg)
{
    struct walker *w = arg;
    for (int i = 0; i < 300; i++) {
        const char *names[] = {"a", "b", "c", "deep.txt"};
        uint64_t fids[4];
        struct gofer_attr attrs[4];
        size_t walked = 0;
        if (gofer_walk(w->t->c, w->root, names, 4, fids, attrs, &walked) != 0 || walked != 4 ||
            attrs[3].size != 4)
            w->failures++;
        else if (gofer_close(w->t->c, fids, 4) != 0)
            w->failures++;
    }
    return NULL;
}

TEST(client_is_thread_safe)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_thread(&t, false);
    uint64_t root = tg_mount(&t);
    pthread_t th[4];
    struct walker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct walker){&t, root, 0};
        CHECK_INT(pthread_create(&th[i], NULL, walk_loop, &w[i]), ==, 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].failures, ==, 0);
    }
    CHECK_INT(gofer_server_fid_count(t.srv), ==, 1);
    tg_stop(&t);
}

TEST(dead_gofer_is_eio)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, false);
    uint64_t root = tg_mount(&t);
    kill(t.pid, SIGKILL);
    int st;
    CHECK_INT(waitpid(t.pid, &st, 0), ==, t.pid);
    t.pid = 0;
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, root, &a), ==, -EIO);
    CHECK_INT(gofer_stat(t.c, root, &a), ==, -EIO); /* and stays so */
    const char *names[] = {"a"};
    uint64_t fid;
    size_t walked;
    CHECK_INT(gofer_walk(t.c, root, names, 1, &fid, &a, &walked), ==, -EIO);
    tg_stop(&t);
}

TEST(gofer_main_usage_errors)
{
    struct tg t;
    tg_make_tree(&t);
    char *no_root[] = {"gofer", "--io-fds", "0", NULL};
    CHECK_INT(gofer_main(3, no_root), ==, 1);
    char *no_fds[] = {"gofer", "--root", t.root, NULL};
    CHECK_INT(gofer_main(3, no_fds), ==, 1);
    char *bad_fd[] = {"gofer", "--root", t.root, "--io-fds", "3x", NULL};
    CHECK_INT(gofer_main(5, bad_fd), ==, 1);
    char *closed_fd[] = {"gofer", "--root", t.root, "--io-fds", "999", NULL};
    CHECK_INT(gofer_main(5, closed_fd), ==, 1);
    char *missing_root[] = {"gofer", "--root", "/nonexistent/x", "--io-fds", "0", NULL};
    CHECK_INT(gofer_main(5, missing_root), ==, 1);
    char *unknown[] = {"gofer", "--root", t.root, "--io-fds", "0", "--frobnicate", NULL};
    CHECK_INT(gofer_main(6, unknown), ==, 1);
    char *extra[] = {"gofer", "--root", t.root, "--io-fds", "0", "extra", NULL};
    CHECK_INT(gofer_main(6, extra), ==, 1);
    /* Not a socket: refused before serving anything. */
    int pfd[2];
    CHECK_INT(pipe(pfd), ==, 0);
    char num[16];
    snprintf(num, sizeof(num), "%d", pfd[0]);
    char *pipe_fd[] = {"gofer", "--root", t.root, "--io-fds", num, NULL};
    CHECK_INT(gofer_main(5, pipe_fd), ==, 1);
    /* Bind mounts: absolute sources only, one more fd than binds, sources
     * that exist. */
    char *rel_bind[] = {"gofer", "--root", t.root, "--bind", "a", "--io-fds", "0,1", NULL};
    CHECK_INT(gofer_main(7, rel_bind), ==, 1);
    char *rel_bind_ro[] = {"gofer", "--root", t.root, "--bind-ro", "", "--io-fds", "0,1", NULL};
    CHECK_INT(gofer_main(7, rel_bind_ro), ==, 1);
    char *few_fds[] = {"gofer", "--root", t.root, "--bind", t.root, "--io-fds", "0", NULL};
    CHECK_INT(gofer_main(7, few_fds), ==, 1);
    int sv[2][2];
    CHECK_INT(urpc_socketpair(sv[0]), ==, 0);
    CHECK_INT(urpc_socketpair(sv[1]), ==, 0);
    char fds[32];
    snprintf(fds, sizeof(fds), "%d,%d", sv[0][1], sv[1][1]);
    char *missing_src[] = {"gofer",          "--root",   t.root, "--bind",
                           "/nonexistent/x", "--io-fds", fds,    NULL};
    CHECK_INT(gofer_main(7, missing_src), ==, 1);
    /* gofer_main took (and closed) both fds it was given. */
    CHECK_INT(fcntl(sv[0][1], F_GETFD), ==, -1);
    CHECK_INT(fcntl(sv[1][1], F_GETFD), ==, -1);
    close(sv[0][0]);
    close(sv[1][0]);
}

TEST(bind_mounts_serve_their_own_root)
{
    struct tg t;
    tg_make_tree(&t);
    char a[512], secret[512], p[600];
    snprintf(a, sizeof(a), "%s/a", t.root);
    snprintf(secret, sizeof(secret), "%s/secret", t.tmp);
    int sv[3][2];
    for (int i = 0; i < 3; i++)
        CHECK_INT(urpc_socketpair(sv[i]), ==, 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(100);
        for (int i = 0; i < 3; i++)
            close(sv[i][0]);
        char fds[64];
        snprintf(fds, sizeof(fds), "%d,%d,%d", sv[0][1], sv[1][1], sv[2][1]);
        char *argv[] = {"gofer",     "--root", t.root,     "--bind", a,
                        "--bind-ro", secret,   "--io-fds", fds,      NULL};
        _exit(gofer_main(9, argv));
    }
    struct gofer_client *c[3];
    for (int i = 0; i < 3; i++) {
        close(sv[i][1]);
        CHECK_INT(gofer_client_new(sv[i][0], &c[i]), ==, 0);
    }
    uint64_t root, fid;
    struct gofer_attr attr, attrs[3];
    size_t walked = 0;
    bool ro = true;
    struct stat st;
    const char *top[] = {"file.txt"};

    /* Connection 1 serves the directory a, writable: names resolve in a. */
    CHECK_INT(gofer_mount(c[1], &root, &attr, &ro), ==, 0);
    CHECK(!ro);
    CHECK_INT(stat(a, &st), ==, 0);
    CHECK_INT(attr.ino, ==, st.st_ino);
    const char *deep[] = {"b", "c", "deep.txt"};
    uint64_t fids[3];
    CHECK_INT(gofer_walk(c[1], root, deep, 3, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 3);
    CHECK_INT(gofer_walk(c[1], root, top, 1, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 0); /* the root's file.txt is not beneath a */
    CHECK_INT(gofer_mkdir(c[1], root, "made", 0755, 0, 0, &fid, &attr), ==, 0);
    snprintf(p, sizeof(p), "%s/made", a);
    CHECK_INT(stat(p, &st), ==, 0);
    CHECK(S_ISDIR(st.st_mode));

    /* Connection 2 serves one file from outside the root, read-only. */
    CHECK_INT(gofer_mount(c[2], &root, &attr, &ro), ==, 0);
    CHECK(ro);
    CHECK(S_ISREG(attr.mode));
    int fd = -1;
    CHECK_INT(gofer_open(c[2], root, O_RDONLY, &fd), ==, 0);
    CHECK_STR(tg_read_fd(fd), "secret");
    close(fd);
    CHECK_INT(gofer_open(c[2], root, O_RDWR, &fd), ==, -EROFS);
    CHECK_INT(gofer_setattr(c[2], root, TG_SA_SIZE(0)), ==, -EROFS);
    CHECK_INT(gofer_walk(c[2], root, top, 1, fids, attrs, &walked), ==, -ENOTDIR);
    CHECK_INT(gofer_mkdir(c[2], root, "x", 0755, 0, 0, &fid, &attr), ==, -ENOTDIR);
    struct gofer_statfs sf;
    CHECK_INT(gofer_statfs(c[2], root, &sf), ==, 0);
    CHECK(sf.flags & ST_RDONLY);

    /* Connection 0 serves the root, writable. */
    CHECK_INT(gofer_mount(c[0], &root, &attr, &ro), ==, 0);
    CHECK(!ro);
    CHECK_INT(gofer_walk(c[0], root, top, 1, fids, attrs, &walked), ==, 0);
    CHECK_INT(walked, ==, 1);

    for (int i = 0; i < 3; i++)
        gofer_client_free(c[i]);
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), ==, pid);
    CHECK(WIFEXITED(status));
    CHECK_INT(WEXITSTATUS(status), ==, 0);
    CHECK_INT(stat(secret, &st), ==, 0);
    CHECK_INT(st.st_size, ==, 6);
}
