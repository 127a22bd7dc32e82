/* Pipe ping-pong between two processes: one byte there and back is one
 * operation. Default 1e5 round trips. With the argument "1cpu" both
 * processes are pinned to the CPU the program starts on: the figure is then
 * the hand-off cost without cross-CPU wake-ups, which on a nested VM cost
 * ~40 us and make the unpinned figure swing with the scheduler's placement.
 * The pinned figure is printed as pipe_pingpong_1cpu. */
#include <sched.h>
#include <sys/wait.h>

#include "bench.h"

static int to_child[2], to_parent[2];

static void op(void *ctx, long k)
{
    (void)ctx;
    char c = 'x';
    for (long i = 0; i < k; i++) {
        if (write(to_child[1], &c, 1) != 1)
            bench_die("write");
        if (read(to_parent[0], &c, 1) != 1)
            bench_die("read");
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    long done;
    bench_parse(argc, argv, 100000, "[1cpu]", &o);
    int pin = o.argc > 0 && strcmp(o.argv[0], "1cpu") == 0;
    if (o.argc > 1 || (o.argc == 1 && !pin))
        bench_usage(argv[0], "[1cpu]");
    const char *name = o.label ? o.label : pin ? "pipe_pingpong_1cpu" : "pipe_pingpong";
    if (pin) {
        cpu_set_t set;
        int cpu = sched_getcpu();
        CPU_ZERO(&set);
        CPU_SET(cpu < 0 ? 0 : cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0) /* the child inherits it */
            bench_die("sched_setaffinity");
    }
    if (pipe(to_child) < 0 || pipe(to_parent) < 0)
        bench_die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0) {
        char c;
        close(to_child[1]);
        close(to_parent[0]);
        while (read(to_child[0], &c, 1) == 1)
            if (write(to_parent[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    op(NULL, 1);
    double s = bench_loop(op, NULL, &o, &done);
    close(to_child[1]);
    int st;
    waitpid(pid, &st, 0);
    bench_report(name, s, done, "us/op");
    return 0;
}
