/* stat of an existing path (PATH, default /bench/data/small). Default 1e5. */
#include <sys/stat.h>

#include "bench.h"

static void op(void *ctx, long k)
{
    const char *path = ctx;
    struct stat st;
    for (long i = 0; i < k; i++)
        if (stat(path, &st) < 0)
            bench_die(path);
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, 100000, "[PATH]", &o);
    char *path = o.argc > 0 ? o.argv[0] : "/bench/data/small";
    bench_run(op, path, &o, "stat", "us/op");
    return 0;
}
