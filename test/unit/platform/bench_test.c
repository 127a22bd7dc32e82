/* Micro-benchmarks of the ptrace platform. They print numbers and assert
 * only that the work was done (timing on shared, nested VMs is noise). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace.h"
#include "test/unit/harness.h"
#include "test/unit/platform/pt_util.h"

SNIPPET(bench_loop, "1: mov $39, %eax\n syscall\n jmp 1b\n");

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void pin_self(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0) {
        for (int i = 0; i < CPU_SETSIZE; i++)
            CPU_SET(i, &set);
    } else {
        CPU_SET(cpu, &set);
    }
    sched_setaffinity(0, sizeof(set), &set);
}

/* Syscall round trips: stop, GETREGS+XSTATE, SETREGS, resume. */
static double round_trips(struct env *e, int n)
{
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    struct platform_switch_info info;
    CHECK_INT(e->ops->ctx_switch(e->ctx, e->as, &r, &info), ==, 0); /* warm up */
    double t0 = now_us();
    for (int i = 0; i < n; i++) {
        r.gp.rax = (uint64_t)i;
        CHECK_INT(e->ops->ctx_switch(e->ctx, e->as, &r, &info), ==, 0);
        CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
    }
    return (now_us() - t0) / n;
}

static void report(const char *what, double us)
{
    printf("  bench: %-44s %7.2f us/round trip (%8.0f/s)\n", what, us, 1e6 / us);
}

TEST(bench_syscall_round_trip)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct env e;
    env_init(&e);
    env_load(&e, snip_bench_loop, snip_bench_loop_end);

    /* Default: the stub thread follows the tracer's CPU. */
    report("stub follows the tracer's CPU", round_trips(&e, 20000));
    if (ncpu >= 2) {
        pin_self(0); /* and the tracer stays put */
        report("stub follows, tracer pinned to CPU 0", round_trips(&e, 20000));
        pin_self(-1);
    }

    /* No affinity management at all: the scheduler decides. */
    ptrace_set_pinning(e.p, false);
    pid_t tid = ptrace_ctx_tid(e.ctx, e.as);
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < ncpu; i++)
        CPU_SET(i, &all);
    CHECK_INT(sched_setaffinity(tid, sizeof(all), &all), ==, 0);
    report("not pinned", round_trips(&e, 20000));

    if (ncpu >= 2) {
        /* Forced onto different CPUs: the cost of the cross-CPU wake-up. */
        pin_self(0);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(1, &one);
        CHECK_INT(sched_setaffinity(tid, sizeof(one), &one), ==, 0);
        report("tracer on CPU 0, stub on CPU 1", round_trips(&e, 3000));
        pin_self(-1);
    }
    env_fini(&e);
}

TEST(bench_map_and_create)
{
    struct env e;
    env_init(&e);
    env_load(&e, snip_bench_loop, snip_bench_loop_end);
    int n = 2000;
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ | PROT_WRITE), ==, 0);
    double map_us = (now_us() - t0) / n;
    printf("  bench: %-44s %7.2f us\n", "as_map, caller's own stub thread", map_us);

    n = 50;
    t0 = now_us();
    for (int i = 0; i < n; i++) {
        struct platform_as *as;
        CHECK_INT(e.ops->new_as(e.p, &as), ==, 0);
        e.ops->as_release(as);
    }
    printf("  bench: %-44s %7.2f us\n", "new_as + as_release", (now_us() - t0) / n);
    env_fini(&e);
}
