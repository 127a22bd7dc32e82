/* fork + wait: the child exits at once. Default 2000 times. */
#include <sys/wait.h>

#include "bench.h"

static void op(void *ctx, long k)
{
    (void)ctx;
    for (long i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid < 0)
            bench_die("fork");
        if (pid == 0)
            _exit(0);
        int st;
        if (waitpid(pid, &st, 0) != pid)
            bench_die("waitpid");
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, 2000, "", &o);
    bench_run(op, NULL, &o, "fork_wait", "us/op");
    return 0;
}
