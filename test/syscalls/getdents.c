/* getdents64: listing /, record layout, d_type and d_ino, resuming at a
 * d_off with lseek, rewinding, and the errors. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>

struct dirent64_ {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

#define MAX_ENTRIES 4096

struct entry {
    char name[256];
    uint64_t ino;
    int64_t off;
    unsigned char type;
};

static struct entry g_entries[MAX_ENTRIES];

/* Reads fd to the end with a buffer of bufsize bytes; returns the count. */
static int list(int fd, size_t bufsize, struct entry *out)
{
    static char buf[1 << 16];
    int n = 0;
    CHECK_LE(bufsize, sizeof(buf));
    for (;;) {
        long r = CHECK_OK(syscall(SYS_getdents64, fd, buf, bufsize));
        if (r == 0)
            break;
        CHECK_LE(r, bufsize);
        for (long pos = 0; pos < r;) {
            struct dirent64_ *d = (struct dirent64_ *)(buf + pos);
            size_t namelen = strnlen(d->d_name, 256);
            /* Records are 8-byte aligned and hold the NUL-terminated name. */
            CHECK_EQ(d->d_reclen % 8, 0);
            CHECK_GE(d->d_reclen, offsetof(struct dirent64_, d_name) + namelen + 1);
            CHECK_LE(pos + d->d_reclen, r);
            CHECK_GT(namelen, 0);
            CHECK_LT(namelen, 256);
            CHECK_LT(n, MAX_ENTRIES);
            memcpy(out[n].name, d->d_name, namelen + 1);
            out[n].ino = d->d_ino;
            out[n].off = d->d_off;
            out[n].type = d->d_type;
            n++;
            pos += d->d_reclen;
        }
    }
    return n;
}

static const struct entry *find(const struct entry *e, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(e[i].name, name) == 0)
            return &e[i];
    return NULL;
}

static void list_root(void)
{
    int fd = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
    int n = list(fd, 1 << 16, g_entries);
    /* The end stays the end. */
    char buf[512];
    CHECK_EQ(CHECK_OK(syscall(SYS_getdents64, fd, buf, sizeof(buf))), 0);
    CHECK_GE(n, 5);
    const char *want[] = {".", "..", "etc", "usr", "tmp"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!find(g_entries, n, want[i]))
            FAIL("\"%s\" not listed in / (%d entries)", want[i], n);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(g_entries[i].name, g_entries[j].name) == 0)
                FAIL("\"%s\" listed twice", g_entries[i].name);

    /* d_type is the type lstat reports; d_ino the inode, where the entry is
     * not a mount point (those show the covered inode). */
    struct stat root;
    CHECK_OK(stat("/", &root));
    for (int i = 0; i < n; i++) {
        struct stat st;
        char path[300];
        snprintf(path, sizeof(path), "/%.255s", g_entries[i].name);
        if (lstat(path, &st) != 0)
            continue;
        unsigned char type = S_ISDIR(st.st_mode)   ? DT_DIR
                             : S_ISLNK(st.st_mode) ? DT_LNK
                             : S_ISREG(st.st_mode) ? DT_REG
                                                   : DT_UNKNOWN;
        if (type != DT_UNKNOWN && g_entries[i].type != type)
            FAIL("d_type of %s is %d, lstat says %d", path, g_entries[i].type, type);
        if (strcmp(g_entries[i].name, "..") != 0 && st.st_dev == root.st_dev &&
            g_entries[i].ino != st.st_ino)
            FAIL("d_ino of %s is %llu, lstat says %llu", path, (unsigned long long)g_entries[i].ino,
                 (unsigned long long)st.st_ino);
    }
    CHECK_EQ(find(g_entries, n, "etc")->type, DT_DIR);

    /* Rewinding lists the same entries again, also with a buffer that holds
     * only a few records per call. */
    static struct entry again[MAX_ENTRIES];
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_SET)), 0);
    CHECK_EQ(list(fd, 24 + 256, again), n);
    for (int i = 0; i < n; i++)
        CHECK(find(g_entries, n, again[i].name) != NULL);

    /* lseek to the d_off of an entry resumes right after it. */
    CHECK_GE(n, 3);
    CHECK_EQ(CHECK_OK(lseek(fd, g_entries[1].off, SEEK_SET)), g_entries[1].off);
    int m = list(fd, 1 << 16, again);
    CHECK_EQ(m, n - 2);
    CHECK_STR(again[0].name, g_entries[2].name);
    CHECK_OK(close(fd));
}

static void errors(void)
{
    char buf[4096];
    int fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    /* A buffer too small for the first record. */
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, 1), EINVAL);
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, 0), EINVAL);
    CHECK_ERR(syscall(SYS_getdents64, fd, BAD_PTR, sizeof(buf)), EFAULT);
    /* Nothing was consumed by the failed calls. */
    CHECK_GT(CHECK_OK(syscall(SYS_getdents64, fd, buf, sizeof(buf))), 0);
    CHECK_OK(close(fd));
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof(buf)), EBADF);
    fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
    CHECK_OK(close(fd));
    fd = CHECK_OK(open("/dev/null", O_RDONLY));
    CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(list_root);
    RUN(errors);
    return 0;
}
