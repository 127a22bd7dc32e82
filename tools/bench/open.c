/* open + read + close of a small existing file (PATH, default
 * /bench/data/small). Default 1e5 times. */
#include <fcntl.h>

#include "bench.h"

static void op(void *ctx, long k)
{
    const char *path = ctx;
    char buf[4096];
    for (long i = 0; i < k; i++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            bench_die(path);
        if (read(fd, buf, sizeof(buf)) <= 0)
            bench_die("read");
        close(fd);
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, 100000, "[PATH]", &o);
    char *path = o.argc > 0 ? o.argv[0] : "/bench/data/small";
    bench_run(op, path, &o, "open_read_close", "us/op");
    return 0;
}
