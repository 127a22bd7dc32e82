/* runcmd [-n N] [-t SEC] [-l NAME] [-d] [-a] [-u UNIT] -- PROG ARGS...
 *
 * Times N runs of PROG (fork, execv with the current environment, wait) and
 * prints "NAME MEDIAN UNIT" (UNIT ms/op unless -u us/op or s/op). The
 * program's stdout goes to /dev/null, or with -d into a pipe that runcmd
 * reads and discards (so that "tar cf - DIR" really reads DIR: GNU tar skips
 * reading files when its archive is /dev/null). Its stderr is left alone.
 * With -a every run is printed too, as "#sample NAME VALUE UNIT". A run that
 * fails (non-zero status) ends runcmd with status 1. Used for the start-up
 * benchmark (PROG is a container runtime) and the application benchmarks. */
#include <fcntl.h>
#include <sys/wait.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double run_once(char **args, int drain)
{
    int p[2] = {-1, -1};
    if (drain && pipe(p) < 0)
        bench_die("pipe");
    double start = bench_now();
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0) {
        int out = drain ? p[1] : open("/dev/null", O_WRONLY);
        if (out < 0 || dup2(out, 1) < 0)
            _exit(126);
        if (drain) {
            close(p[0]);
            close(p[1]);
        }
        execv(args[0], args);
        fprintf(stderr, "runcmd: %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    if (drain) {
        static char buf[1 << 16];
        close(p[1]);
        while (read(p[0], buf, sizeof(buf)) > 0)
            ;
        close(p[0]);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        bench_die("waitpid");
    double el = bench_now() - start;
    if (st != 0) {
        fprintf(stderr, "runcmd: %s: %s %d\n", args[0],
                WIFEXITED(st) ? "exit status" : "killed by signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        exit(1);
    }
    return el;
}

int main(int argc, char **argv)
{
    long n = 1;
    double cap = 0;
    const char *name = "runcmd", *unit = "ms/op";
    int drain = 0, all = 0, c;
    while ((c = getopt(argc, argv, "+n:t:l:u:da")) != -1) {
        switch (c) {
        case 'n':
            n = atol(optarg);
            break;
        case 't':
            cap = strtod(optarg, NULL);
            break;
        case 'l':
            name = optarg;
            break;
        case 'u':
            unit = optarg;
            break;
        case 'd':
            drain = 1;
            break;
        case 'a':
            all = 1;
            break;
        default:
            bench_usage(argv[0], "[-d] [-a] [-u UNIT] -- PROG ARGS...");
        }
    }
    if (optind >= argc || n <= 0)
        bench_usage(argv[0], "[-d] [-a] [-u UNIT] -- PROG ARGS...");
    double scale = strncmp(unit, "us/", 3) == 0 ? 1e6 : strncmp(unit, "s/", 2) == 0 ? 1 : 1e3;
    double *t = calloc((size_t)n, sizeof(double));
    if (!t)
        bench_die("calloc");
    double start = bench_now();
    long done = 0;
    while (done < n) {
        t[done] = run_once(argv + optind, drain);
        if (all)
            printf("#sample %s %.4f %s\n", name, t[done] * scale, unit);
        done++;
        if (cap > 0 && bench_now() - start >= cap)
            break;
    }
    qsort(t, (size_t)done, sizeof(double), cmp_double);
    double med = done % 2 ? t[done / 2] : (t[done / 2 - 1] + t[done / 2]) / 2;
    printf("%s %.4f %s\n", name, med * scale, unit);
    return 0;
}
