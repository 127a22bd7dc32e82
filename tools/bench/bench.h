/* Shared helpers of the benchmark programs (static, one header, no library).
 *
 * Every program takes the same flags:
 *     -n N     operations to run (the program's default is the nominal size)
 *     -t SEC   stop early once SEC seconds have passed (0: never); the figure
 *              is then the mean over the operations that did run
 *     -l NAME  name printed instead of the program's own (fileio uses it)
 * and prints one line per figure: "NAME VALUE UNIT" (e.g. "getppid 0.190 us/op").
 * Errors go to stderr with a non-zero exit status, never as a figure. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bench_opts {
    long n;            /* operations (or MiB, pages ... as the program says) */
    double t;          /* time cap in seconds, 0 for none */
    const char *label; /* -l, or NULL */
    int argc;          /* positional arguments after the flags */
    char **argv;
};

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void bench_die(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    exit(1);
}

static inline void bench_usage(const char *prog, const char *extra)
{
    fprintf(stderr, "usage: %s [-n N] [-t SECONDS] [-l NAME] %s\n", prog, extra);
    exit(2);
}

static inline void bench_parse(int argc, char **argv, long def_n, const char *extra,
                               struct bench_opts *o)
{
    int c;
    o->n = def_n;
    o->t = 0;
    o->label = NULL;
    while ((c = getopt(argc, argv, "+n:t:l:h")) != -1) {
        char *end = NULL;
        switch (c) {
        case 'n':
            o->n = (long)strtod(optarg, &end);
            if (*end || o->n <= 0)
                bench_usage(argv[0], extra);
            break;
        case 't':
            o->t = strtod(optarg, &end);
            if (*end || o->t < 0)
                bench_usage(argv[0], extra);
            break;
        case 'l':
            o->label = optarg;
            break;
        default:
            bench_usage(argv[0], extra);
        }
    }
    o->argc = argc - optind;
    o->argv = argv + optind;
}

/* Runs fn(ctx, k) in batches until o->n operations are done or the time cap
 * is reached. The first batch has one operation; later batches grow (at most
 * doubling) towards what should fill the remaining time, so the clock is read
 * rarely and a capped run ends close to the cap. Returns the elapsed seconds
 * and the operations done in *done. */
typedef void (*bench_fn)(void *ctx, long k);

static inline double bench_loop(bench_fn fn, void *ctx, const struct bench_opts *o, long *done)
{
    long n = 0, batch = 1;
    double start = bench_now(), el = 0;
    while (n < o->n) {
        long k = batch < o->n - n ? batch : o->n - n;
        fn(ctx, k);
        n += k;
        el = bench_now() - start;
        if (o->t > 0 && el >= o->t)
            break;
        long next = batch * 2;
        if (o->t > 0 && el > 0) {
            double left = (o->t - el) / (el / (double)n);
            if (left < (double)next)
                next = left < 1 ? 1 : (long)left;
        }
        batch = next;
    }
    *done = n;
    return el;
}

/* Prints "NAME VALUE UNIT" with VALUE = seconds / ops scaled to the unit. */
static inline void bench_report(const char *name, double seconds, long ops, const char *unit)
{
    double scale = 1e6; /* us */
    if (strncmp(unit, "ns/", 3) == 0)
        scale = 1e9;
    else if (strncmp(unit, "ms/", 3) == 0)
        scale = 1e3;
    else if (strncmp(unit, "s/", 2) == 0)
        scale = 1;
    printf("%s %.4f %s\n", name, seconds * scale / (double)ops, unit);
    fflush(stdout);
}

/* The usual run: one warm-up operation, bench_loop, and the report under
 * -l's name or else name. */
static inline void bench_run(bench_fn fn, void *ctx, const struct bench_opts *o, const char *name,
                             const char *unit)
{
    long done;
    fn(ctx, 1);
    double s = bench_loop(fn, ctx, o, &done);
    bench_report(o->label ? o->label : name, s, done, unit);
}
