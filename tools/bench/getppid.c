/* getppid: the cheapest system call, i.e. the cost of one trip into the
 * kernel (or the sandbox's). Default 1e6 calls. */
#include <sys/syscall.h>

#include "bench.h"

static void op(void *ctx, long k)
{
    (void)ctx;
    for (long i = 0; i < k; i++)
        syscall(SYS_getppid);
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, 1000000, "", &o);
    bench_run(op, NULL, &o, "getppid", "us/op");
    return 0;
}
