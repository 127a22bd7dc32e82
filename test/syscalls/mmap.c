/* mmap, munmap, mprotect, mremap, madvise, msync and brk: anonymous and
 * file-backed private mappings, MAP_FIXED, MAP_FIXED_NOREPLACE, growing and
 * moving, DONTNEED, the program break, and the errors. Faults (SIGSEGV) are
 * in mmap_fault.c.
 *
 * Whether a range is mapped is probed with mprotect(PROT_NONE...), which is
 * ENOMEM on unmapped memory. */
#include "check.h"

#include <fcntl.h>
#include <sys/mman.h>

static long pg;
static const char *g_self; /* this program's binary: a file of many pages */

static int mapped(void *addr, size_t len, int prot)
{
    if (mprotect(addr, len, prot) == 0)
        return 1;
    CHECK_EQ(errno, ENOMEM);
    return 0;
}

static char *map_anon(size_t len)
{
    return CHECK_PTR(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
}

static void anon_private(void)
{
    char *p = map_anon(4 * pg);
    CHECK_EQ((uintptr_t)p % pg, 0);
    for (long i = 0; i < 4 * pg; i++)
        if (p[i] != 0)
            FAIL("byte %ld of a new anonymous mapping is %d", i, p[i]);
    for (long i = 0; i < 4 * pg; i++)
        p[i] = (char)(i * 7);
    for (long i = 0; i < 4 * pg; i++)
        CHECK_EQ(p[i], (char)(i * 7));
    CHECK_OK(munmap(p, 4 * pg));
    CHECK(!mapped(p, pg, PROT_READ));
    /* Unmapping what is not mapped is fine. */
    CHECK_OK(munmap(p, 4 * pg));

    /* PROT_NONE, then made writable. */
    p = CHECK_PTR(mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK_OK(mprotect(p, pg, PROT_READ | PROT_WRITE));
    p[0] = 1;
    CHECK_EQ(p[0], 1);
    CHECK_OK(munmap(p, pg));

    /* Shared anonymous memory behaves the same within one process. */
    p = CHECK_PTR(mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    CHECK_EQ(p[pg], 0);
    p[pg] = 5;
    CHECK_EQ(p[pg], 5);
    CHECK_OK(munmap(p, 2 * pg));

    /* A private mapping of /dev/zero is anonymous memory. */
    int fd = CHECK_OK(open("/dev/zero", O_RDWR));
    p = CHECK_PTR(mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
    CHECK_EQ(p[0] + p[2 * pg - 1], 0);
    p[1] = 3;
    CHECK_EQ(p[1], 3);
    CHECK_OK(munmap(p, 2 * pg));
    CHECK_OK(close(fd));
}

static void invalid(void)
{
    char *p = map_anon(pg);
    CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    /* Neither MAP_PRIVATE nor MAP_SHARED. */
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
    CHECK_ERR(mmap(p + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    CHECK_ERR(mmap(NULL, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    CHECK_ERR(munmap(p + 1, pg), EINVAL);
    CHECK_ERR(munmap(p, 0), EINVAL);
    /* The failed calls did not touch the mapping. */
    p[0] = 1;
    CHECK_OK(munmap(p, pg));

    /* File mappings. */
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 100000, 0), EBADF);
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
    /* A negative offset is a huge page offset that wraps: EOVERFLOW. */
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, -pg), EOVERFLOW);
    /* A shared writable mapping needs a writable descriptor. */
    CHECK_ERR(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
    CHECK_OK(close(fd));
    /* Any mapping needs a readable descriptor. */
    fd = CHECK_OK(open("/dev/zero", O_WRONLY));
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0), EACCES);
    CHECK_OK(close(fd));
    /* Directories cannot be mapped. */
    fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0), ENODEV);
    CHECK_OK(close(fd));
}

static void fixed(void)
{
    char *p = map_anon(3 * pg);
    memset(p, 'A', pg);
    memset(p + pg, 'B', pg);
    memset(p + 2 * pg, 'C', pg);
    /* MAP_FIXED replaces the middle page with a fresh one. */
    char *q = CHECK_PTR(
        mmap(p + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    CHECK_EQ(q, p + pg);
    CHECK_EQ(p[0], 'A');
    CHECK_EQ(p[pg - 1], 'A');
    CHECK_EQ(p[pg], 0);
    CHECK_EQ(p[2 * pg - 1], 0);
    CHECK_EQ(p[2 * pg], 'C');

    /* MAP_FIXED_NOREPLACE refuses any overlap... */
    CHECK_ERR(mmap(p + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
              EEXIST);
    CHECK_ERR(mmap(p, 3 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
              EEXIST);
    CHECK_EQ(p[pg + 1], 0);
    /* ...but maps exactly there when the range is free. */
    CHECK_OK(munmap(p + pg, pg));
    CHECK(!mapped(p + pg, pg, PROT_READ | PROT_WRITE));
    q = CHECK_PTR(mmap(p + pg, pg, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    CHECK_EQ(q, p + pg);
    CHECK_EQ(q[0], 0);
    /* A free hint address is used as is. */
    CHECK_OK(munmap(p + pg, pg));
    q = CHECK_PTR(mmap(p + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK_EQ(q, p + pg);
    /* munmap of a part splits the mapping. */
    CHECK_OK(munmap(p + pg, pg));
    CHECK(mapped(p, pg, PROT_READ | PROT_WRITE));
    CHECK(!mapped(p + pg, pg, PROT_READ | PROT_WRITE));
    CHECK(mapped(p + 2 * pg, pg, PROT_READ | PROT_WRITE));
    CHECK_EQ(p[2 * pg], 'C');
    CHECK_OK(munmap(p, 3 * pg));
}

static char *read_all(const char *path, size_t *len)
{
    int fd = CHECK_OK(open(path, O_RDONLY));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    char *buf = malloc(st.st_size + 1);
    CHECK(buf != NULL);
    size_t n = 0;
    long r;
    while ((r = CHECK_OK(read(fd, buf + n, st.st_size + 1 - n))) > 0)
        n += r;
    CHECK_EQ(n, st.st_size);
    CHECK_OK(close(fd));
    *len = n;
    return buf;
}

static void file_private(void)
{
    size_t len;
    char *content = read_all("/etc/passwd", &len);
    CHECK_GT(len, 0);
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    char *p = CHECK_PTR(mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0));
    CHECK_MEM(p, content, len);
    /* The rest of the last page reads as zeros. */
    size_t end = (len + pg - 1) / pg * pg;
    for (size_t i = len; i < end; i++)
        CHECK_EQ(p[i], 0);

    /* Writable private mapping of a read-only descriptor: the writes stay
     * in this process; the file and other mappings do not change. */
    char *w = CHECK_PTR(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
    CHECK_MEM(w, content, len);
    memset(w, '#', len);
    CHECK_EQ(w[len - 1], '#');
    CHECK_MEM(p, content, len);
    char *back = malloc(len);
    CHECK_EQ(CHECK_OK(pread(fd, back, len, 0)), len);
    CHECK_MEM(back, content, len);
    /* MADV_DONTNEED drops the private copy: the file shows through again. */
    CHECK_OK(madvise(w, len, MADV_DONTNEED));
    CHECK_MEM(w, content, len);
    CHECK_OK(munmap(w, len));

    /* A shared read-only mapping of a read-only descriptor is fine, but
     * cannot be made writable. */
    char *s = CHECK_PTR(mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0));
    CHECK_MEM(s, content, len);
    CHECK_ERR(mprotect(s, pg, PROT_READ | PROT_WRITE), EACCES);
    CHECK_OK(munmap(s, len));
    /* The mapping outlives the descriptor. */
    CHECK_OK(close(fd));
    CHECK_MEM(p, content, len);
    CHECK_OK(munmap(p, len));
    free(back);
    free(content);

    /* A mapping at a page offset of a larger file. */
    content = read_all(g_self, &len);
    CHECK_GT(len, 3 * pg);
    fd = CHECK_OK(open(g_self, O_RDONLY));
    p = CHECK_PTR(mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, pg));
    CHECK_MEM(p, content + pg, 2 * pg);
    CHECK_OK(munmap(p, 2 * pg));
    CHECK_OK(close(fd));
    free(content);
}

static void protect(void)
{
    char *p = map_anon(2 * pg);
    p[0] = 9;
    CHECK_OK(mprotect(p, pg, PROT_READ));
    CHECK_EQ(p[0], 9);
    CHECK_OK(mprotect(p, pg, PROT_READ | PROT_WRITE));
    p[0] = 10;
    CHECK_EQ(p[0], 10);
    CHECK_OK(mprotect(p, 0, PROT_READ));
    CHECK_ERR(mprotect(p + 1, pg, PROT_READ), EINVAL);
    CHECK_ERR(mprotect(p, pg, 0x10), EINVAL);
    /* A range that is partly unmapped. */
    CHECK_OK(munmap(p + pg, pg));
    CHECK_ERR(mprotect(p, 2 * pg, PROT_READ), ENOMEM);
    CHECK_OK(munmap(p, pg));
}

static void remap(void)
{
    char *p = map_anon(2 * pg);
    memset(p, 'x', 2 * pg);
    /* Grow with MREMAP_MAYMOVE keeps the data; the new part is zero. */
    char *q = CHECK_PTR(mremap(p, 2 * pg, 64 * pg, MREMAP_MAYMOVE));
    CHECK_EQ(q[0], 'x');
    CHECK_EQ(q[2 * pg - 1], 'x');
    CHECK_EQ(q[2 * pg], 0);
    CHECK_EQ(q[64 * pg - 1], 0);
    if (q != p)
        CHECK(!mapped(p, pg, PROT_READ));
    /* Shrinking stays in place and unmaps the tail. */
    CHECK_EQ(CHECK_PTR(mremap(q, 64 * pg, pg, 0)), q);
    CHECK_EQ(q[0], 'x');
    CHECK(!mapped(q + pg, pg, PROT_READ | PROT_WRITE));

    /* Growing in place over another mapping fails without MAYMOVE. */
    char *r = CHECK_PTR(
        mmap(q + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    CHECK_EQ(r, q + pg);
    CHECK_ERR(mremap(q, pg, 2 * pg, 0), ENOMEM);
    CHECK_EQ(q[0], 'x');

    /* MREMAP_FIXED moves to the given address and unmaps the old one. */
    char *target = map_anon(pg);
    CHECK_OK(munmap(target, pg));
    char *t = CHECK_PTR(mremap(q, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, target));
    CHECK_EQ(t, target);
    CHECK_EQ(t[0], 'x');
    CHECK(!mapped(q, pg, PROT_READ | PROT_WRITE));

    /* Errors. */
    CHECK_ERR(mremap(t + 1, pg, pg, 0), EINVAL);
    CHECK_ERR(mremap(t, pg, 0, 0), EINVAL);
    CHECK_ERR(mremap(t, pg, pg, 0x100), EINVAL);
    CHECK_ERR(mremap(t, pg, pg, MREMAP_FIXED, q), EINVAL);
    CHECK_ERR(mremap(q, pg, 2 * pg, MREMAP_MAYMOVE), EFAULT);
    CHECK_OK(munmap(t, pg));
    CHECK_OK(munmap(r, pg));
}

static void advise(void)
{
    char *p = map_anon(4 * pg);
    memset(p, 'y', 4 * pg);
    CHECK_OK(madvise(p + pg, 2 * pg, MADV_DONTNEED));
    CHECK_EQ(p[pg - 1], 'y');
    CHECK_EQ(p[pg], 0);
    CHECK_EQ(p[3 * pg - 1], 0);
    CHECK_EQ(p[3 * pg], 'y');
    CHECK_OK(madvise(p, 4 * pg, MADV_NORMAL));
    CHECK_OK(madvise(p, 4 * pg, MADV_WILLNEED));
    CHECK_OK(madvise(p, 0, MADV_DONTNEED));
    CHECK_ERR(madvise(p + 1, pg, MADV_DONTNEED), EINVAL);
    CHECK_ERR(madvise(p, pg, 12345), EINVAL);
    CHECK_OK(munmap(p + 2 * pg, pg));
    CHECK_ERR(madvise(p, 4 * pg, MADV_DONTNEED), ENOMEM);
    CHECK_OK(munmap(p, 4 * pg));

    /* msync on anonymous memory is fine; its errors are the usual ones. */
    p = map_anon(pg);
    CHECK_OK(msync(p, pg, MS_SYNC));
    CHECK_ERR(msync(p + 1, pg, MS_SYNC), EINVAL);
    CHECK_ERR(msync(p, pg, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_OK(munmap(p, pg));
    CHECK_ERR(msync(p, pg, MS_SYNC), ENOMEM);
}

static void program_break(void)
{
    /* Raw brk: it returns the new break, or the old one on failure. No
     * malloc may run in between (glibc's malloc moves the break too). */
    uintptr_t cur = syscall(SYS_brk, 0);
    CHECK_NE(cur, 0);
    uintptr_t top = cur + 3 * pg;
    CHECK_EQ(syscall(SYS_brk, top), top);
    CHECK_EQ(syscall(SYS_brk, 0), top);
    char *b = (char *)cur;
    for (long i = 0; i < 3 * pg; i++)
        if (b[i] != 0)
            FAIL("byte %ld of the grown heap is %d", i, b[i]);
    memset(b, 'z', 3 * pg);
    /* Shrink: the pages above the page-aligned break are gone. */
    CHECK_EQ(syscall(SYS_brk, cur), cur);
    uintptr_t page_end = (cur + pg - 1) & ~(uintptr_t)(pg - 1);
    CHECK(!mapped((void *)page_end, pg, PROT_READ | PROT_WRITE));
    /* Growing again gives fresh zero pages. */
    CHECK_EQ(syscall(SYS_brk, top), top);
    CHECK_EQ(((char *)page_end)[0], 0);
    CHECK_EQ(((char *)page_end)[pg - 1], 0);
    /* Requests below the start or absurdly high fail: the break stays. */
    CHECK_EQ(syscall(SYS_brk, 4096), top);
    CHECK_EQ(syscall(SYS_brk, 1UL << 62), top);
    CHECK_EQ(syscall(SYS_brk, cur), cur);
}

static void big(void)
{
    /* 1 GiB of address space, one page touched. */
    size_t len = 1UL << 30;
    char *p =
        CHECK_PTR(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    p[len / 2] = 1;
    CHECK_EQ(p[len / 2], 1);
    CHECK_EQ(p[len - 1], 0);
    CHECK_OK(munmap(p, len));
}

int main(int argc, char **argv)
{
    (void)argc;
    pg = check_page_size();
    g_self = argv[0];
    if (g_self[0] != '/')
        SKIP("run with an absolute path (to map this binary): %s", g_self);
    RUN(anon_private);
    RUN(invalid);
    RUN(fixed);
    RUN(file_private);
    RUN(protect);
    RUN(remap);
    RUN(advise);
    RUN(program_break);
    RUN(big);
    return 0;
}
