/* Touches fresh anonymous memory one byte per 4 KiB page: the cost of a page
 * fault. -n is in MiB (default 256); the figure is per page. */
#include <sys/mman.h>

#include "bench.h"

static char *mem;
static long next_page;

static void op(void *ctx, long k)
{
    (void)ctx;
    for (long i = 0; i < k; i++)
        mem[(next_page++) * 4096] = 1;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    long done;
    bench_parse(argc, argv, 256, "", &o);
    size_t len = (size_t)o.n << 20;
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        bench_die("mmap");
    madvise(mem, len, MADV_NOHUGEPAGE); /* 4 KiB faults on every host */
    o.n = (long)(len / 4096);
    double s = bench_loop(op, NULL, &o, &done);
    bench_report(o.label ? o.label : "touch_page", s, done, "us/page");
    munmap(mem, len);
    return 0;
}
