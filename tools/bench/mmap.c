/* mmap + munmap of 4 KiB of anonymous memory (not touched). Default 1e5. */
#include <sys/mman.h>

#include "bench.h"

static void op(void *ctx, long k)
{
    (void)ctx;
    for (long i = 0; i < k; i++) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            bench_die("mmap");
        if (munmap(p, 4096) < 0)
            bench_die("munmap");
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, 100000, "", &o);
    bench_run(op, NULL, &o, "mmap_munmap", "us/op");
    return 0;
}
