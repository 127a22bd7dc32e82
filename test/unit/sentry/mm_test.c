/* sentry/mm without a platform: VMAs, demand paging, copy_in/copy_out. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "test/unit/harness.h"

static struct mm *new_mm(struct memfile **mfp)
{
    struct memfile *mf;
    CHECK_INT(memfile_create(1ull << 34, &mf), ==, 0);
    struct mm *mm;
    CHECK_INT(mm_create(mf, NULL, NULL, &mm), ==, 0);
    *mfp = mf;
    return mm;
}

TEST(demand_paging_1gib)
{
    struct memfile *mf;
    struct mm *mm = new_mm(&mf);
    uint64_t a;
    CHECK_INT(mm_mmap(mm, 0, 1ull << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL,
                      0, 0, &a),
              ==, 0);
    uint64_t before = memfile_resident(mf);
    char x = 'x';
    CHECK_INT(mm_copy_out(mm, a + (512ull << 20), &x, 1), ==, 0);
    char y = 0;
    CHECK_INT(mm_copy_in(mm, a + (512ull << 20), &y, 1), ==, 0);
    CHECK_INT(y, ==, 'x');
    CHECK_INT(memfile_resident(mf) - before, <, 1 << 20);
    mm_put(mm);
    CHECK_INT(mf->used, ==, 0);
    memfile_destroy(mf);
}

TEST(copy_faults)
{
    struct memfile *mf;
    struct mm *mm = new_mm(&mf);
    char b[16];
    CHECK_INT(mm_copy_in(mm, 0x100000, b, 1), ==, -EFAULT);
    uint64_t a;
    CHECK_INT(mm_mmap(mm, 0, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, 0, &a), ==, 0);
    CHECK_INT(mm_copy_in(mm, a, b, 16), ==, 0);
    CHECK_INT(b[0], ==, 0);
    CHECK_INT(mm_copy_out(mm, a, b, 1), ==, -EFAULT);       /* read-only */
    CHECK_INT(mm_copy_in(mm, a + 8190, b, 4), ==, -EFAULT); /* runs off the end */
    CHECK_INT(mm_mprotect(mm, a, 4096, PROT_READ | PROT_WRITE), ==, 0);
    CHECK_INT(mm_copy_out(mm, a + 4000, "hello", 5), ==, 0);
    CHECK_INT(mm_copy_out(mm, a + 4094, "hello", 5), ==, -EFAULT); /* second page read-only */
    char s[8];
    CHECK_INT(mm_copy_in_string(mm, a + 4000, s, sizeof(s)), ==, 5);
    CHECK_STR(s, "hello");
    CHECK_INT(mm_munmap(mm, a, 8192), ==, 0);
    CHECK_INT(mm_copy_in(mm, a, b, 1), ==, -EFAULT);
    mm_put(mm);
    memfile_destroy(mf);
}

TEST(fixed_and_noreplace)
{
    struct memfile *mf;
    struct mm *mm = new_mm(&mf);
    uint64_t a, b;
    CHECK_INT(mm_mmap(mm, 0x400000, 3 * 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0, 0, &a),
              ==, 0);
    CHECK_INT(a, ==, 0x400000);
    CHECK_INT(mm_copy_out(mm, a + 4096, "x", 1), ==, 0);
    CHECK_INT(mm_mmap(mm, 0x401000, 4096, PROT_READ,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0, 0, &b),
              ==, -EEXIST);
    CHECK_INT(mm_mmap(mm, 0x401000, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0, 0, &b),
              ==, 0);
    char c = 1;
    CHECK_INT(mm_copy_in(mm, 0x401000, &c, 1), ==, 0);
    CHECK_INT(c, ==, 0); /* replaced by a fresh zero page */
    CHECK_INT(mm_mmap(mm, 0x401001, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL,
                      0, 0, &b),
              ==, -EINVAL);
    CHECK_INT(mm_mmap(mm, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, 0, &b), ==,
              -EINVAL);
    mm_put(mm);
    memfile_destroy(mf);
}

TEST(brk_grows_and_shrinks)
{
    struct memfile *mf;
    struct mm *mm = new_mm(&mf);
    mm_set_brk_start(mm, 0x600000);
    CHECK_INT(mm_brk(mm, 0), ==, 0x600000);
    CHECK_INT(mm_brk(mm, 0x620010), ==, 0x620010);
    CHECK_INT(mm_copy_out(mm, 0x620000, "abc", 3), ==, 0);
    CHECK_INT(mm_copy_out(mm, 0x620ff0, "abc", 3), ==, 0); /* same page as the break */
    CHECK_INT(mm_brk(mm, 0x601000), ==, 0x601000);
    CHECK_INT(mm_copy_out(mm, 0x620000, "abc", 3), ==, -EFAULT);
    CHECK_INT(mm_brk(mm, 0x100), ==, 0x601000); /* below start: unchanged */
    mm_put(mm);
    memfile_destroy(mf);
}

TEST(mremap_moves_data)
{
    struct memfile *mf;
    struct mm *mm = new_mm(&mf);
    uint64_t a, b, n;
    CHECK_INT(mm_mmap(mm, 0x10000000, 8192, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0, 0, &a),
              ==, 0);
    /* Block growth in place. */
    CHECK_INT(mm_mmap(mm, 0x10002000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      NULL, 0, 0, &b),
              ==, 0);
    CHECK_INT(mm_copy_out(mm, a + 4096, "data", 5), ==, 0);
    CHECK_INT(mm_mremap(mm, a, 8192, 16384, 0, 0, &n), ==, -ENOMEM);
    CHECK_INT(mm_mremap(mm, a, 8192, 16384, MREMAP_MAYMOVE, 0, &n), ==, 0);
    CHECK(n != a);
    char s[5];
    CHECK_INT(mm_copy_in(mm, n + 4096, s, 5), ==, 0);
    CHECK_STR(s, "data");
    CHECK_INT(mm_copy_in(mm, a, s, 1), ==, -EFAULT);
    CHECK_INT(mm_copy_out(mm, n + 12288, "z", 1), ==, 0);
    mm_put(mm);
    CHECK_INT(mf->used, ==, 0);
    memfile_destroy(mf);
}

TEST(shared_anon_and_dontneed)
{
    struct memfile *mf;
    struct mm *mm = new_mm(&mf);
    uint64_t a, p;
    CHECK_INT(
        mm_mmap(mm, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, NULL, 0, 0, &a),
        ==, 0);
    CHECK_INT(
        mm_mmap(mm, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, 0, &p),
        ==, 0);
    CHECK_INT(mm_copy_out(mm, a, "s", 1), ==, 0);
    CHECK_INT(mm_copy_out(mm, p, "p", 1), ==, 0);
    CHECK_INT(mm_madvise(mm, a, 4096, MADV_DONTNEED), ==, 0);
    CHECK_INT(mm_madvise(mm, p, 4096, MADV_DONTNEED), ==, 0);
    char c;
    CHECK_INT(mm_copy_in(mm, a, &c, 1), ==, 0);
    CHECK_INT(c, ==, 's'); /* shared memory keeps its data */
    CHECK_INT(mm_copy_in(mm, p, &c, 1), ==, 0);
    CHECK_INT(c, ==, 0); /* private memory reads back zero */
    CHECK_INT(mm_madvise(mm, p, 4096, 12345), ==, -EINVAL);
    mm_put(mm);
    CHECK_INT(mf->used, ==, 0);
    memfile_destroy(mf);
}

TEST(frame_refcounts_punch)
{
    struct memfile *mf;
    CHECK_INT(memfile_create(1ull << 30, &mf), ==, 0);
    int64_t f = memfile_alloc(mf, 4);
    CHECK(f >= 0);
    memset(memfile_ptr(mf, (uint64_t)f), 0xab, 4 * 4096);
    CHECK_INT(memfile_resident(mf), >=, 4 * 4096);
    memfile_get(mf, (uint64_t)f);
    memfile_put(mf, (uint64_t)f);
    CHECK_INT(memfile_refs(mf, (uint64_t)f), ==, 1);
    for (int i = 0; i < 4; i++)
        memfile_put(mf, (uint64_t)f + (uint64_t)i * 4096);
    CHECK_INT(memfile_resident(mf), ==, 0);
    int64_t g = memfile_alloc(mf, 1);
    CHECK(g >= 0);
    CHECK_INT(((uint8_t *)memfile_ptr(mf, (uint64_t)g))[0], ==, 0);
    memfile_destroy(mf);
}
