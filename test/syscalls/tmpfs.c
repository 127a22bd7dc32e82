/* tmpfs behaviour that other filesystems may not share, on /dev/shm (a
 * tmpfs natively and in the sandbox): statfs magic, directory sizes, sparse
 * files (st_blocks, SEEK_DATA/SEEK_HOLE), truncation freeing pages, data
 * across pages, private mappings, unlinked open files. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

static char g_dir[PATH_MAX];

static const char *P(const char *name)
{
    static char buf[4][PATH_MAX];
    static int next;
    char *b = buf[next++ % 4];
    size_t ld = strlen(g_dir), ln = strlen(name);
    if (ld + 1 + ln >= PATH_MAX)
        FAIL("path too long");
    memcpy(b, g_dir, ld);
    b[ld] = '/';
    memcpy(b + ld + 1, name, ln + 1);
    return b;
}

static struct stat st_of(const char *path)
{
    struct stat st;
    CHECK_OK(lstat(path, &st));
    return st;
}

static void cleanup(void)
{
    const char *names[] = {"sub/f", "sub", "sparse", "pages", "map", "gone", "lnk", NULL};
    for (int i = 0; names[i]; i++) {
        unlink(P(names[i]));
        rmdir(P(names[i]));
    }
    rmdir(g_dir);
}

static void statfs_(void)
{
    struct statfs s;
    CHECK_OK(statfs(g_dir, &s));
    CHECK_EQ(s.f_type, TMPFS_MAGIC);
    int fd = CHECK_OK(open(g_dir, O_RDONLY | O_DIRECTORY));
    CHECK_OK(fstatfs(fd, &s));
    CHECK_EQ(s.f_type, TMPFS_MAGIC);
    CHECK_OK(close(fd));
}

static void dirs(void)
{
    /* 20 bytes per entry, "." and ".." included (BOGO_DIRENT_SIZE). */
    CHECK_OK(mkdir(P("sub"), 0755));
    struct stat st = st_of(P("sub"));
    CHECK_EQ(st.st_size, 40);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_EQ(st.st_blocks, 0);
    int fd = CHECK_OK(open(P("sub/f"), O_CREAT | O_WRONLY, 0600));
    CHECK_OK(close(fd));
    CHECK_EQ(st_of(P("sub")).st_size, 60);
    CHECK_NE(st_of(P("sub/f")).st_ino, st.st_ino);
    CHECK_OK(unlink(P("sub/f")));
    CHECK_EQ(st_of(P("sub")).st_size, 40);
    /* A symlink's size is its target's length. */
    CHECK_OK(symlink("0123456789", P("lnk")));
    CHECK_EQ(st_of(P("lnk")).st_size, 10);
}

static void sparse(void)
{
    int fd = CHECK_OK(open(P("sparse"), O_CREAT | O_RDWR | O_TRUNC, 0600));
    const off_t far = 1 << 20;
    CHECK_EQ(CHECK_OK(pwrite(fd, "x", 1, far + 5)), 1);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, far + 6);
    CHECK_EQ(st.st_blocks, 8); /* one page */
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_DATA)), far);
    CHECK_EQ(CHECK_OK(lseek(fd, 0, SEEK_HOLE)), 0);
    CHECK_EQ(CHECK_OK(lseek(fd, far + 1, SEEK_HOLE)), far + 6);
    CHECK_ERR(lseek(fd, far + 6, SEEK_DATA), ENXIO);
    CHECK_ERR(lseek(fd, -1, SEEK_HOLE), ENXIO);
    char buf[16];
    memset(buf, 'z', sizeof(buf));
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 100)), (long)sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        CHECK_EQ(buf[i], 0);
    /* Truncation frees the pages past the end. */
    CHECK_OK(ftruncate(fd, 10));
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_blocks, 0);
    CHECK_EQ(st.st_size, 10);
    /* Growing again reads zeros where the data was. */
    CHECK_OK(ftruncate(fd, far + 6));
    CHECK_EQ(CHECK_OK(pread(fd, buf, 1, far + 5)), 1);
    CHECK_EQ(buf[0], 0);
    CHECK_OK(close(fd));
}

static void pages(void)
{
    static char data[3 * 4096 + 123], back[sizeof(data)];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7 + 3);
    int fd = CHECK_OK(open(P("pages"), O_CREAT | O_RDWR | O_TRUNC, 0600));
    CHECK_EQ(CHECK_OK(pwrite(fd, data, sizeof(data), 4000)), (long)sizeof(data));
    CHECK_EQ(CHECK_OK(pread(fd, back, sizeof(back), 4000)), (long)sizeof(back));
    CHECK_MEM(back, data, sizeof(data));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 4000 + (off_t)sizeof(data));
    CHECK_EQ(st.st_blocks, 5 * 8); /* bytes 4000..16411 touch pages 0-4 */
    /* Shrinking into a page zeroes its tail. */
    CHECK_OK(ftruncate(fd, 4097));
    CHECK_OK(ftruncate(fd, 8192));
    CHECK_EQ(CHECK_OK(pread(fd, back, 4095, 4097)), 4095);
    for (int i = 0; i < 4095; i++)
        if (back[i])
            FAIL("byte %d after shrink and grow is %d", 4097 + i, back[i]);
    CHECK_OK(close(fd));
}

static void mapping(void)
{
    int fd = CHECK_OK(open(P("map"), O_CREAT | O_RDWR | O_TRUNC, 0600));
    CHECK_EQ(CHECK_OK(write(fd, "mapped tmpfs data", 17)), 17);
    char *p = CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
    CHECK_MEM(p, "mapped tmpfs data", 17);
    CHECK_EQ(p[17], 0);
    p[0] = 'M'; /* private: the file does not change */
    char buf[4];
    CHECK_EQ(CHECK_OK(pread(fd, buf, 1, 0)), 1);
    CHECK_EQ(buf[0], 'm');
    CHECK_OK(munmap(p, 4096));
    CHECK_OK(close(fd));
}

static void unlinked(void)
{
    int fd = CHECK_OK(open(P("gone"), O_CREAT | O_RDWR | O_TRUNC, 0600));
    CHECK_OK(unlink(P("gone")));
    static char big[64 * 1024];
    memset(big, 'q', sizeof(big));
    CHECK_EQ(CHECK_OK(write(fd, big, sizeof(big))), (long)sizeof(big));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_nlink, 0);
    CHECK_EQ(st.st_size, (off_t)sizeof(big));
    char c;
    CHECK_EQ(CHECK_OK(pread(fd, &c, 1, sizeof(big) - 1)), 1);
    CHECK_EQ(c, 'q');
    CHECK_OK(close(fd));
}

int main(void)
{
    struct statfs s;
    if (statfs("/dev/shm", &s) < 0 || s.f_type != TMPFS_MAGIC)
        SKIP("/dev/shm is not a tmpfs here");
    snprintf(g_dir, sizeof(g_dir), "/dev/shm/syscalls-tmpfs-%d", (int)getpid());
    CHECK_OK(mkdir(g_dir, 0700));
    atexit(cleanup);
    RUN(statfs_);
    RUN(dirs);
    RUN(sparse);
    RUN(pages);
    RUN(mapping);
    RUN(unlinked);
    return 0;
}
