/* fork + execve of a static "true" (PATH, default /bin/true) + wait.
 * Default 1000 times. */
#include <sys/wait.h>

#include "bench.h"

static void op(void *ctx, long k)
{
    char *path = ctx;
    char *args[] = {path, NULL};
    char *env[] = {NULL};
    for (long i = 0; i < k; i++) {
        pid_t pid = fork();
        if (pid < 0)
            bench_die("fork");
        if (pid == 0) {
            execve(path, args, env);
            _exit(127);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid)
            bench_die("waitpid");
        if (st != 0) {
            fprintf(stderr, "%s: exit status 0x%x\n", path, st);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    bench_parse(argc, argv, 1000, "[PATH]", &o);
    char *path = o.argc > 0 ? o.argv[0] : "/bin/true";
    bench_run(op, path, &o, "fork_exec", "us/op");
    return 0;
}
