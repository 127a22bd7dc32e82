/* statfs/fstatfs numbers: a tmpfs's block and inode counts (and how a file
 * changes them), the root's counts, the magics of proc, sysfs, devpts and
 * the mqueue filesystem, ST_VALID, and the errors.
 *
 * The tmpfs is /dev/shm (skipped when it is not a tmpfs with size and inode
 * limits, which a Linux tmpfs reports as zero counts). Other programs may
 * use /dev/shm at the same time, so a change is checked within a margin. */
#include "check.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <mqueue.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#ifndef ST_VALID
#define ST_VALID 0x20
#endif
#define MQUEUE_MAGIC_ 0x19800202

static char g_file[64];

/* Relations every filesystem's numbers keep. */
static void check_sane(const struct statfs *s)
{
    CHECK_GT(s->f_bsize, 0);
    CHECK_EQ(s->f_frsize, s->f_bsize);
    CHECK(s->f_bfree <= s->f_blocks);
    CHECK(s->f_bavail <= s->f_bfree);
    CHECK(s->f_ffree <= s->f_files);
    CHECK_GT(s->f_namelen, 0);
    CHECK(s->f_flags & ST_VALID);
}

static void tmpfs_counts(void)
{
    struct statfs s, f;
    CHECK_OK(statfs("/dev/shm", &s));
    check_sane(&s);
    CHECK_EQ(s.f_type, TMPFS_MAGIC);
    CHECK_EQ(s.f_bsize, sysconf(_SC_PAGESIZE));
    CHECK_EQ(s.f_namelen, 255);
    CHECK_GT(s.f_blocks, 0);
    CHECK(s.f_bavail == s.f_bfree); /* no blocks reserved for root */
    CHECK_GT(s.f_files, 0);
    /* fstatfs on a directory of it: the same filesystem. */
    int d = CHECK_OK(open("/dev/shm", O_RDONLY | O_DIRECTORY));
    CHECK_OK(fstatfs(d, &f));
    CHECK_EQ(f.f_type, s.f_type);
    CHECK(f.f_blocks == s.f_blocks && f.f_files == s.f_files);
    CHECK_OK(close(d));
    /* statvfs: the same numbers, converted by glibc. */
    struct statvfs v;
    CHECK_OK(statvfs("/dev/shm", &v));
    CHECK(v.f_blocks == s.f_blocks && v.f_files == s.f_files);
    CHECK_EQ(v.f_namemax, 255);
}

/* A new file takes an inode; its pages take blocks; removing it gives
 * both back. */
static void tmpfs_usage(void)
{
    enum { PAGES = 256, MARGIN = 64 };
    struct statfs before, during, after;
    CHECK_OK(statfs("/dev/shm", &before));
    snprintf(g_file, sizeof(g_file), "/dev/shm/statfs.%d", (int)getpid());
    int fd = CHECK_OK(open(g_file, O_CREAT | O_EXCL | O_RDWR, 0600));
    long page = sysconf(_SC_PAGESIZE);
    char *buf = calloc(1, (size_t)page);
    CHECK(buf != NULL);
    memset(buf, 'x', (size_t)page);
    for (int i = 0; i < PAGES; i++)
        CHECK_EQ(CHECK_OK(write(fd, buf, (size_t)page)), page);
    free(buf);
    CHECK_OK(fstatfs(fd, &during));
    long long used = (long long)before.f_bfree - (long long)during.f_bfree;
    CHECK_GE(used, PAGES - MARGIN);
    CHECK_LE(used, PAGES + MARGIN);
    long long inodes = (long long)before.f_ffree - (long long)during.f_ffree;
    CHECK_GE(inodes, 1 - MARGIN);
    CHECK_LE(inodes, 1 + MARGIN);
    CHECK_OK(unlink(g_file));
    g_file[0] = '\0';
    CHECK_OK(close(fd));
    CHECK_OK(statfs("/dev/shm", &after));
    long long freed = (long long)after.f_bfree - (long long)during.f_bfree;
    CHECK_GE(freed, PAGES - MARGIN);
    CHECK_LE(freed, PAGES + MARGIN);
}

static void root(void)
{
    struct statfs s;
    CHECK_OK(statfs("/", &s));
    check_sane(&s);
    CHECK_GT(s.f_blocks, 0);
    CHECK_GT(s.f_files, 0);
    /* An O_PATH descriptor is enough for fstatfs. */
    int fd = CHECK_OK(open("/etc", O_PATH));
    struct statfs f;
    CHECK_OK(fstatfs(fd, &f));
    CHECK_EQ(f.f_type, s.f_type);
    CHECK_OK(close(fd));
}

/* The pseudo filesystems report their magic and no counts. */
static void magics(void)
{
    struct statfs s;
    CHECK_OK(statfs("/proc", &s));
    check_sane(&s);
    CHECK_EQ(s.f_type, PROC_SUPER_MAGIC);
    CHECK_EQ(s.f_blocks, 0);
    CHECK_EQ(s.f_files, 0);
    if (statfs("/sys", &s) == 0) {
        check_sane(&s);
        CHECK_EQ(s.f_type, SYSFS_MAGIC);
    }
    if (statfs("/dev/pts", &s) == 0) {
        check_sane(&s);
        CHECK_EQ(s.f_type, DEVPTS_SUPER_MAGIC);
        CHECK_EQ(s.f_blocks, 0);
    }
    /* A message queue descriptor is a file of the mqueue filesystem. */
    char name[32];
    snprintf(name, sizeof(name), "statfs.%d", (int)getpid());
    int q = (int)CHECK_OK(syscall(SYS_mq_open, name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
    CHECK_OK(syscall(SYS_mq_unlink, name));
    CHECK_OK(fstatfs(q, &s));
    CHECK_EQ(s.f_type, MQUEUE_MAGIC_);
    CHECK_OK(close(q));
}

static void errors(void)
{
    struct statfs s;
    CHECK_ERR(statfs("/nonexistent", &s), ENOENT);
    CHECK_ERR(statfs("/etc/passwd/x", &s), ENOTDIR);
    CHECK_ERR(statfs("", &s), ENOENT);
    CHECK_ERR(statfs(BAD_PTR, &s), EFAULT);
    CHECK_ERR(syscall(SYS_statfs, "/", BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_fstatfs, 0, BAD_PTR), EFAULT);
    CHECK_ERR(fstatfs(-1, &s), EBADF);
}

static void cleanup(void)
{
    if (g_file[0])
        unlink(g_file);
}

int main(void)
{
    atexit(cleanup);
    RUN(root);
    RUN(magics);
    RUN(errors);
    struct statfs s;
    if (statfs("/dev/shm", &s) < 0 || s.f_type != TMPFS_MAGIC)
        SKIP("/dev/shm is not a tmpfs");
    if (s.f_blocks == 0 || s.f_files == 0)
        SKIP("/dev/shm has no size or inode limit: no counts to check");
    RUN(tmpfs_counts);
    RUN(tmpfs_usage);
    return 0;
}
