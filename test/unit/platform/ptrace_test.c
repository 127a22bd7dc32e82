/* The ptrace platform, end to end: machine code in a MemoryFile, run in a
 * stub, events back to the "sentry" (this test). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace.h"
#include "test/unit/harness.h"
#include "test/unit/platform/pt_util.h"

SNIPPET(sysargs, "mov $39, %eax\n mov $1, %edi\n mov $2, %esi\n mov $3, %edx\n"
                 "mov $4, %r10d\n mov $5, %r8d\n mov $6, %r9d\n syscall\n"
                 "mov %rax, (%rbx)\n mov $60, %eax\n syscall\n");
SNIPPET(store, "movq $0x55, (%rdx)\n mov $60, %eax\n syscall\n");
SNIPPET(load, "mov (%rdx), %rax\n mov %rax, (%rbx)\n mov $60, %eax\n syscall\n");
SNIPPET(jump, "jmp *%rdx\n");
SNIPPET(ud2, "ud2\n");
SNIPPET(int3, "int3\n mov $60, %eax\n syscall\n");
SNIPPET(div0, "xor %ecx, %ecx\n xor %edx, %edx\n mov $1, %eax\n div %ecx\n");
SNIPPET(fsread, "mov %fs:0, %rax\n mov %rax, (%rbx)\n mov $60, %eax\n syscall\n");
SNIPPET(xmm, "movdqu %xmm0, (%rbx)\n pcmpeqd %xmm1, %xmm1\n mov $60, %eax\n syscall\n");
SNIPPET(spin, "1: jmp 1b\n");
SNIPPET(sysloop, "1: mov $39, %eax\n syscall\n mov %rax, (%rbx)\n jmp 1b\n");

static void sw(struct env *e, struct platform_regs *r, struct platform_switch_info *info)
{
    CHECK_INT(e->ops->ctx_switch(e->ctx, e->as, r, info), ==, 0);
}

static void expect_syscall(struct env *e, struct platform_regs *r, long nr)
{
    struct platform_switch_info info;
    sw(e, r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
    CHECK_INT(r->gp.orig_rax, ==, nr);
}

TEST(syscall_args_and_result)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysargs, snip_sysargs_end, &r);
    expect_syscall(&e, &r, 39);
    CHECK_INT(r.gp.rdi, ==, 1);
    CHECK_INT(r.gp.rsi, ==, 2);
    CHECK_INT(r.gp.rdx, ==, 3);
    CHECK_INT(r.gp.r10, ==, 4);
    CHECK_INT(r.gp.r8, ==, 5);
    CHECK_INT(r.gp.r9, ==, 6);
    CHECK_INT(r.gp.rip, ==, CODE_ADDR + 40); /* past the syscall instruction */
    CHECK_INT(r.gp.rbx, ==, DATA_ADDR);
    CHECK(r.fpu_size >= 512);
    r.gp.rax = 0x1234;
    expect_syscall(&e, &r, 60);
    CHECK_INT(data_u64(&e, 0), ==, 0x1234);
    env_fini(&e);
}

TEST(fault_write_unmapped_then_map)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_store, snip_store_end, &r);
    r.gp.rdx = 0x600008;
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_FAULT);
    CHECK_INT(info.fault_addr, ==, 0x600008);
    CHECK_INT(info.fault_access, ==, PLATFORM_ACCESS_WRITE);
    CHECK_INT(info.siginfo.si_signo, ==, SIGSEGV);
    CHECK_INT(info.siginfo.si_code, ==, SEGV_MAPERR);
    CHECK_INT(r.gp.rip, ==, CODE_ADDR); /* at the faulting instruction */
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ | PROT_WRITE), ==, 0);
    expect_syscall(&e, &r, 60);
    CHECK_INT(e.mem[OFF_SPARE + 8], ==, 0x55);
    env_fini(&e);
}

TEST(fault_read_unmapped)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_load, snip_load_end, &r);
    r.gp.rdx = 0x600010;
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_FAULT);
    CHECK_INT(info.fault_addr, ==, 0x600010);
    CHECK_INT(info.fault_access, ==, PLATFORM_ACCESS_READ);
    memset(e.mem + OFF_SPARE, 0, PAGE);
    e.mem[OFF_SPARE + 0x10] = 0x77;
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ), ==, 0);
    expect_syscall(&e, &r, 60);
    CHECK_INT(data_u64(&e, 0), ==, 0x77);
    env_fini(&e);
}

TEST(fault_write_readonly_is_write)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_store, snip_store_end, &r);
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ), ==, 0);
    r.gp.rdx = 0x600020;
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_FAULT);
    CHECK_INT(info.siginfo.si_code, ==, SEGV_ACCERR);
    CHECK_INT(info.fault_addr, ==, 0x600020);
    CHECK_INT(info.fault_access, ==, PLATFORM_ACCESS_WRITE);
    /* Upgrade the mapping (as the sentry does after copy-on-write). */
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ | PROT_WRITE), ==, 0);
    expect_syscall(&e, &r, 60);
    CHECK_INT(e.mem[OFF_SPARE + 0x20], ==, 0x55);
    env_fini(&e);
}

TEST(fault_exec)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_jump, snip_jump_end, &r);
    r.gp.rdx = 0x600000;
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_FAULT);
    CHECK_INT(info.fault_addr, ==, 0x600000);
    CHECK_INT(info.fault_access, ==, PLATFORM_ACCESS_EXEC);
    CHECK_INT(r.gp.rip, ==, 0x600000);
    /* Mapped but not executable: still an exec fault (ACCERR). */
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ), ==, 0);
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_FAULT);
    CHECK_INT(info.siginfo.si_code, ==, SEGV_ACCERR);
    CHECK_INT(info.fault_access, ==, PLATFORM_ACCESS_EXEC);
    env_fini(&e);
}

TEST(unmap_then_fault)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysargs, snip_sysargs_end, &r);
    r.gp.rbx = DATA_ADDR + 8;
    expect_syscall(&e, &r, 39);
    CHECK_INT(e.ops->as_unmap(e.as, DATA_ADDR, PAGE), ==, 0);
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_FAULT);
    CHECK_INT(info.fault_addr, ==, DATA_ADDR + 8);
    CHECK_INT(info.fault_access, ==, PLATFORM_ACCESS_WRITE);
    env_fini(&e);
}

static void expect_signal(const char *start, const char *end, int signo, int code, uint64_t rip)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, start, end, &r);
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_SIGNAL);
    CHECK_INT(info.siginfo.si_signo, ==, signo);
    CHECK_INT(info.siginfo.si_code, ==, code);
    CHECK_INT(r.gp.rip, ==, rip);
    /* The signal was not delivered: the stub is alive and runs on. */
    CHECK_INT(kill(ptrace_as_pid(e.as), 0), ==, 0);
    env_fini(&e);
}

TEST(ud2_is_sigill)
{
    expect_signal(snip_ud2, snip_ud2_end, SIGILL, ILL_ILLOPN, CODE_ADDR);
}

TEST(int3_is_sigtrap)
{
    expect_signal(snip_int3, snip_int3_end, SIGTRAP, SI_KERNEL, CODE_ADDR + 1);
}

TEST(div0_is_sigfpe)
{
    expect_signal(snip_div0, snip_div0_end, SIGFPE, FPE_INTDIV, CODE_ADDR + 9);
}

TEST(int3_then_continue)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_int3, snip_int3_end, &r);
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_SIGNAL);
    expect_syscall(&e, &r, 60); /* the sentry ignored it: the code goes on */
    env_fini(&e);
}

TEST(sigbus_beyond_memfile)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_load, snip_load_end, &r);
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, MEM_SIZE, PROT_READ), ==, 0);
    r.gp.rdx = 0x600000;
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_SIGNAL);
    CHECK_INT(info.siginfo.si_signo, ==, SIGBUS);
    env_fini(&e);
}

TEST(fs_base_visible)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_fsread, snip_fsread_end, &r);
    set_data_u64(&e, 0x100, 0x1122334455667788ull);
    r.gp.fs_base = DATA_ADDR + 0x100;
    expect_syscall(&e, &r, 60);
    CHECK_INT(data_u64(&e, 0), ==, 0x1122334455667788ull);
    CHECK_INT(r.gp.fs_base, ==, DATA_ADDR + 0x100);
    env_fini(&e);
}

TEST(xsave_round_trip)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_xmm, snip_xmm_end, &r);
    uint8_t pattern[16];
    for (int i = 0; i < 16; i++)
        pattern[i] = (uint8_t)(0xa0 + i);
    memcpy(r.fpu + 160, pattern, 16); /* xmm0 in the legacy area */
    expect_syscall(&e, &r, 60);
    CHECK(memcmp(e.mem + OFF_DATA, pattern, 16) == 0);
    for (int i = 0; i < 16; i++)
        CHECK_INT(r.fpu[176 + i], ==, 0xff); /* xmm1 set by the code */
    CHECK(memcmp(r.fpu + 160, pattern, 16) == 0);
    uint32_t mxcsr;
    memcpy(&mxcsr, r.fpu + 24, 4);
    CHECK_INT(mxcsr & 0xffff, ==, 0x1f80);
    CHECK(r.fpu_size > 512);
    env_fini(&e);
}

TEST(fpu_size_and_init)
{
    uint32_t size = platform_fpu_size();
    CHECK(size >= 512 && size <= PLATFORM_FPU_MAX);
    struct platform_regs r;
    memset(&r, 0xee, sizeof(r));
    platform_fpu_init(&r);
    CHECK_INT(r.fpu_size, ==, size);
    uint16_t fcw;
    uint32_t mxcsr;
    memcpy(&fcw, r.fpu, 2);
    memcpy(&mxcsr, r.fpu + 24, 4);
    CHECK_INT(fcw, ==, 0x37f);
    CHECK_INT(mxcsr, ==, 0x1f80);
    CHECK_INT(r.fpu[160], ==, 0);
}

struct interrupter {
    struct env *e;
    int delay_us;
    int count;
};

static void *interrupt_later(void *arg)
{
    struct interrupter *in = arg;
    for (int i = 0; i < in->count; i++) {
        usleep((useconds_t)in->delay_us);
        in->e->ops->ctx_interrupt(in->e->ctx);
    }
    return NULL;
}

static void check_no_pending_signal(pid_t tid)
{
    char what[64];
    snprintf(what, sizeof(what), "task/%d/status", (int)tid);
    const char *st = proc_read(tid, what);
    CHECK(st != NULL);
    CHECK_CONTAINS(st, "SigPnd:\t0000000000000000");
    CHECK_CONTAINS(st, "ShdPnd:\t0000000000000000");
}

TEST(interrupt_running)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_spin, snip_spin_end, &r);
    memcpy(e.mem + OFF_CODE + 0x100, snip_sysargs, (size_t)(snip_sysargs_end - snip_sysargs));
    struct interrupter in = {&e, 100000, 1};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, interrupt_later, &in), ==, 0);
    struct platform_switch_info info;
    sw(&e, &r, &info);
    pthread_join(th, NULL);
    CHECK_INT(info.event, ==, PLATFORM_EV_INTERRUPTED);
    CHECK(r.gp.rip == CODE_ADDR); /* inside the spin loop */
    pid_t tid = ptrace_ctx_tid(e.ctx, e.as);
    CHECK(tid > 0);
    check_no_pending_signal(tid);
    /* The context runs on normally. */
    r.gp.rip = CODE_ADDR + 0x100;
    expect_syscall(&e, &r, 39);
    r.gp.rax = 9;
    expect_syscall(&e, &r, 60);
    CHECK_INT(data_u64(&e, 0), ==, 9);
    check_no_pending_signal(tid);
    env_fini(&e);
}

TEST(interrupt_before_switch)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysargs, snip_sysargs_end, &r);
    e.ops->ctx_interrupt(e.ctx);
    struct platform_switch_info info;
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_INTERRUPTED);
    CHECK_INT(r.gp.rip, ==, CODE_ADDR); /* did not run */
    expect_syscall(&e, &r, 39);
    /* Interrupt between two switches: the next one returns at once. */
    e.ops->ctx_interrupt(e.ctx);
    sw(&e, &r, &info);
    CHECK_INT(info.event, ==, PLATFORM_EV_INTERRUPTED);
    r.gp.rax = 5;
    expect_syscall(&e, &r, 60);
    CHECK_INT(data_u64(&e, 0), ==, 5);
    env_fini(&e);
}

TEST(interrupt_storm_during_syscalls)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysloop, snip_sysloop_end, &r);
    struct interrupter in = {&e, 300, 200};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, interrupt_later, &in), ==, 0);
    int interrupted = 0, syscalls = 0;
    uint64_t last = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct platform_switch_info info;
        sw(&e, &r, &info);
        if (info.event == PLATFORM_EV_INTERRUPTED) {
            interrupted++;
        } else {
            CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
            CHECK_INT(r.gp.orig_rax, ==, 39);
            if (syscalls > 0)
                CHECK_INT(data_u64(&e, 0), ==, last); /* each result stored once */
            last = 1000 + (uint64_t)syscalls++;
            r.gp.rax = last;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= 3)
            break;
        if (interrupted == in.count)
            break;
    }
    pthread_join(th, NULL);
    CHECK(interrupted >= 1);
    CHECK(interrupted <= in.count);
    CHECK(syscalls > 0);
    env_fini(&e);
}

TEST(two_address_spaces)
{
    struct env e;
    env_init(&e);
    env_load(&e, snip_sysargs, snip_sysargs_end);
    struct platform_as *as2;
    CHECK_INT(e.ops->new_as(e.p, &as2), ==, 0);
    CHECK(ptrace_as_pid(as2) != ptrace_as_pid(e.as));
    CHECK_INT(e.ops->as_map(as2, CODE_ADDR, PAGE, OFF_CODE, PROT_READ | PROT_EXEC), ==, 0);
    CHECK_INT(e.ops->as_map(as2, DATA_ADDR, PAGE, OFF_SPARE, PROT_READ | PROT_WRITE), ==, 0);
    struct platform_regs r1, r2;
    regs_init(&r1, CODE_ADDR);
    regs_init(&r2, CODE_ADDR);
    r1.gp.rbx = r2.gp.rbx = DATA_ADDR;
    struct platform_switch_info info;
    CHECK_INT(e.ops->ctx_switch(e.ctx, e.as, &r1, &info), ==, 0);
    CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
    CHECK_INT(e.ops->ctx_switch(e.ctx, as2, &r2, &info), ==, 0);
    CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
    r1.gp.rax = 111;
    r2.gp.rax = 222;
    CHECK_INT(e.ops->ctx_switch(e.ctx, e.as, &r1, &info), ==, 0);
    CHECK_INT(r1.gp.orig_rax, ==, 60);
    CHECK_INT(e.ops->ctx_switch(e.ctx, as2, &r2, &info), ==, 0);
    CHECK_INT(r2.gp.orig_rax, ==, 60);
    uint64_t v1, v2;
    memcpy(&v1, e.mem + OFF_DATA, 8);
    memcpy(&v2, e.mem + OFF_SPARE, 8);
    CHECK_INT(v1, ==, 111);
    CHECK_INT(v2, ==, 222);
    e.ops->as_release(as2);
    /* The first one is unaffected. */
    regs_init(&r1, CODE_ADDR);
    r1.gp.rbx = DATA_ADDR;
    expect_syscall(&e, &r1, 39);
    env_fini(&e);
}

struct other {
    struct env *e;
    struct platform_as *as;
    int err;
};

static void *new_as_elsewhere(void *arg)
{
    struct other *o = arg;
    o->err = o->e->ops->new_as(o->e->p, &o->as);
    if (o->err)
        return NULL;
    /* No ctx on this thread: maps go through the creator thread. */
    o->err = o->e->ops->as_map(o->as, CODE_ADDR, PAGE, OFF_CODE, PROT_READ | PROT_EXEC);
    if (!o->err)
        o->err = o->e->ops->as_map(o->as, DATA_ADDR, PAGE, OFF_DATA, PROT_READ | PROT_WRITE);
    return NULL;
}

TEST(new_as_from_another_thread)
{
    struct env e;
    env_init(&e);
    memcpy(e.mem + OFF_CODE, snip_sysargs, (size_t)(snip_sysargs_end - snip_sysargs));
    struct other o = {&e, NULL, 0};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, new_as_elsewhere, &o), ==, 0);
    pthread_join(th, NULL);
    CHECK_INT(o.err, ==, 0);
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR;
    struct platform_switch_info info;
    CHECK_INT(e.ops->ctx_switch(e.ctx, o.as, &r, &info), ==, 0);
    CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
    r.gp.rax = 77;
    CHECK_INT(e.ops->ctx_switch(e.ctx, o.as, &r, &info), ==, 0);
    CHECK_INT(r.gp.orig_rax, ==, 60);
    CHECK_INT(data_u64(&e, 0), ==, 77);
    e.ops->as_release(o.as);
    env_fini(&e);
}

struct worker {
    struct env *e;
    int id;
    int iters;
    pid_t tid;
    pthread_barrier_t *together; /* if set: overlap the whole run with the others */
};

/* A sentry task thread: its own ctx, the shared address space. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct platform_ops *ops = w->e->ops;
    struct platform_ctx *ctx;
    CHECK_INT(ops->new_ctx(w->e->p, &ctx), ==, 0);
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR + 8 * (uint64_t)w->id;
    uint64_t last = 0;
    for (int i = 0; i < w->iters; i++) {
        struct platform_switch_info info;
        CHECK_INT(ops->ctx_switch(ctx, w->e->as, &r, &info), ==, 0);
        CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
        CHECK_INT(r.gp.orig_rax, ==, 39);
        CHECK_INT(r.gp.rbx, ==, DATA_ADDR + 8 * (uint64_t)w->id);
        if (i > 0)
            CHECK_INT(data_u64(w->e, 8 * (uint64_t)w->id), ==, last);
        last = ((uint64_t)w->id << 32) | (uint64_t)i;
        r.gp.rax = last;
        if (i == 0 && w->together)
            pthread_barrier_wait(w->together);
    }
    w->tid = ptrace_ctx_tid(ctx, w->e->as);
    if (w->together)
        pthread_barrier_wait(w->together);
    ops->ctx_release(ctx);
    return NULL;
}

TEST(threads_share_an_address_space)
{
    struct env e;
    env_init(&e);
    env_load(&e, snip_sysloop, snip_sysloop_end);
    pid_t pid = ptrace_as_pid(e.as);
    pthread_barrier_t together;
    pthread_barrier_init(&together, NULL, 2);
    struct worker w[2] = {{&e, 1, 300, 0, &together}, {&e, 2, 300, 0, &together}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        CHECK_INT(pthread_create(&th[i], NULL, worker_main, &w[i]), ==, 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK(w[0].tid > 0 && w[1].tid > 0 && w[0].tid != w[1].tid);
    CHECK(w[0].tid != pid && w[1].tid != pid);
    /* The leader, this thread's (it made the maps), two parked ones. */
    CHECK_INT(proc_threads(pid), ==, 4);
    /* A new task thread reuses a parked stub thread. */
    struct worker w3 = {&e, 3, 10, 0, NULL};
    pthread_t t3;
    CHECK_INT(pthread_create(&t3, NULL, worker_main, &w3), ==, 0);
    pthread_join(t3, NULL);
    CHECK(w3.tid == w[0].tid || w3.tid == w[1].tid);
    CHECK_INT(proc_threads(pid), ==, 4);
    env_fini(&e);
}

TEST(as_release_with_threads_of_other_ctxs)
{
    struct env e;
    env_init(&e);
    env_load(&e, snip_sysloop, snip_sysloop_end);
    struct platform_as *as2;
    CHECK_INT(e.ops->new_as(e.p, &as2), ==, 0);
    CHECK_INT(e.ops->as_map(as2, CODE_ADDR, PAGE, OFF_CODE, PROT_READ | PROT_EXEC), ==, 0);
    CHECK_INT(e.ops->as_map(as2, DATA_ADDR, PAGE, OFF_DATA, PROT_READ | PROT_WRITE), ==, 0);
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR;
    struct platform_switch_info info;
    CHECK_INT(e.ops->ctx_switch(e.ctx, as2, &r, &info), ==, 0);
    pid_t pid2 = ptrace_as_pid(as2);
    /* Released while this ctx still traces a thread in it (exec-like). */
    e.ops->as_release(as2);
    CHECK_INT(kill(pid2, 0), ==, -1);
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR;
    expect_syscall(&e, &r, 39);
    env_fini(&e);
}

static void *switch_elsewhere(void *arg)
{
    struct env *e = arg;
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    struct platform_switch_info info;
    return (void *)(long)e->ops->ctx_switch(e->ctx, e->as, &r, &info);
}

TEST(ctx_belongs_to_its_thread)
{
    struct env e;
    env_init(&e);
    env_load(&e, snip_sysargs, snip_sysargs_end);
    pthread_t th;
    void *ret;
    CHECK_INT(pthread_create(&th, NULL, switch_elsewhere, &e), ==, 0);
    pthread_join(th, &ret);
    CHECK_INT((long)ret, ==, -EPERM);
    env_fini(&e);
}

TEST(stub_has_only_its_page_and_windows)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysargs, snip_sysargs_end, &r);
    expect_syscall(&e, &r, 39);
    uint64_t lo, hi;
    e.ops->user_range(e.p, &lo, &hi);
    pid_t pid = ptrace_as_pid(e.as);
    const char *maps = proc_read(pid, "maps");
    CHECK(maps != NULL);
    bool stub = false, code = false, data = false;
    for (const char *l = maps; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof(line), "%.*s", (int)n, l);
        unsigned long long start, end;
        char perms[8];
        CHECK(sscanf(line, "%llx-%llx %7s", &start, &end, perms) == 3);
        if (start == hi) {
            CHECK_STR(perms, "r-xp");
            stub = true;
        } else if (start == CODE_ADDR) {
            CHECK_CONTAINS(line, "/memfd:memfile");
            CHECK_STR(perms, "r-xs");
            code = true;
        } else if (start == DATA_ADDR) {
            CHECK_CONTAINS(line, "/memfd:memfile");
            CHECK_STR(perms, "rw-s");
            data = true;
        } else if (!strstr(line, "[vsyscall]")) {
            ut_fail(__FILE__, __LINE__, "unexpected mapping in the stub: %s", line);
        }
        l += n + (nl ? 1 : 0);
    }
    CHECK(stub && code && data);

    /* Only the MemoryFile, at fd 3. */
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    CHECK(d != NULL);
    int nfds = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        nfds++;
        CHECK_STR(de->d_name, "3");
        char link[384], target[256];
        snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        CHECK(len > 0);
        target[len] = 0;
        CHECK_CONTAINS(target, "memfd:memfile");
    }
    closedir(d);
    CHECK_INT(nfds, ==, 1);

    const char *status = proc_read(pid, "status");
    CHECK_CONTAINS(status, "Seccomp:\t2");
    CHECK_CONTAINS(status, "NoNewPrivs:\t1");
    env_fini(&e);
}

TEST(seccomp_kills_other_syscalls)
{
    struct env e;
    env_init(&e);
    pid_t pid = ptrace_as_pid(e.as);
    const uint64_t args[6] = {0};
    /* mprotect is allowed (on nothing, but allowed)... */
    const uint64_t mp[6] = {0x600000, PAGE, PROT_READ};
    CHECK_INT(ptrace_as_syscall(e.as, SYS_mprotect, mp), ==, -ENOMEM);
    /* ...getpid is not: the whole stub dies. */
    CHECK_INT(ptrace_as_syscall(e.as, SYS_getpid, args), ==, -ESRCH);
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(errno, ==, ESRCH);
    env_fini(&e);
}

TEST(user_range_enforced)
{
    struct env e;
    env_init(&e);
    uint64_t lo, hi;
    e.ops->user_range(e.p, &lo, &hi);
    CHECK(lo >= PAGE);
    CHECK(hi > 0x7f0000000000ull && hi < 0x800000000000ull);
    CHECK_INT(e.ops->as_map(e.as, hi, PAGE, 0, PROT_READ), ==, -EINVAL);
    CHECK_INT(e.ops->as_map(e.as, hi - PAGE, 2 * PAGE, 0, PROT_READ), ==, -EINVAL);
    CHECK_INT(e.ops->as_map(e.as, lo - PAGE, PAGE, 0, PROT_READ), ==, -EINVAL);
    CHECK_INT(e.ops->as_map(e.as, 0x600001, PAGE, 0, PROT_READ), ==, -EINVAL);
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, 1, PROT_READ), ==, -EINVAL);
    CHECK_INT(e.ops->as_map(e.as, hi - PAGE, PAGE, 0, PROT_READ), ==, 0);
    CHECK_INT(e.ops->as_unmap(e.as, hi, PAGE), ==, -EINVAL);
    env_fini(&e);
}

TEST(stub_pinned_to_tracer_cpu)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        SKIP("one CPU");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(1, &set);
    CHECK_INT(sched_setaffinity(0, sizeof(set), &set), ==, 0);
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysargs, snip_sysargs_end, &r);
    expect_syscall(&e, &r, 39);
    pid_t tid = ptrace_ctx_tid(e.ctx, e.as);
    cpu_set_t got;
    CHECK_INT(sched_getaffinity(tid, sizeof(got), &got), ==, 0);
    CHECK_INT(CPU_COUNT(&got), ==, 1);
    CHECK(CPU_ISSET(1, &got));
    /* Follow the tracer when it moves. */
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CHECK_INT(sched_setaffinity(0, sizeof(set), &set), ==, 0);
    r.gp.rax = 1;
    expect_syscall(&e, &r, 60);
    CHECK_INT(sched_getaffinity(tid, sizeof(got), &got), ==, 0);
    CHECK_INT(CPU_COUNT(&got), ==, 1);
    CHECK(CPU_ISSET(0, &got));
    env_fini(&e);
}

TEST(release_leaves_nothing)
{
    int fds = ut_count_fds();
    for (int round = 0; round < 3; round++) {
        struct env e;
        env_init(&e);
        env_load(&e, snip_sysloop, snip_sysloop_end);
        struct platform_as *as2;
        CHECK_INT(e.ops->new_as(e.p, &as2), ==, 0);
        struct worker w = {&e, 1, 5, 0, NULL};
        pthread_t th;
        CHECK_INT(pthread_create(&th, NULL, worker_main, &w), ==, 0);
        pthread_join(th, NULL);
        struct platform_regs r;
        regs_init(&r, CODE_ADDR);
        r.gp.rbx = DATA_ADDR;
        expect_syscall(&e, &r, 39);
        e.ops->as_release(as2);
        env_fini(&e); /* checks waitpid(-1) == ECHILD */
    }
    CHECK_INT(ut_count_fds(), ==, fds);
}

TEST(stubs_die_with_the_sentry)
{
    CHECK_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), ==, 0);
    int pfd[2];
    CHECK_INT(pipe(pfd), ==, 0);
    pid_t sentry = fork();
    CHECK(sentry >= 0);
    if (sentry == 0) {
        struct env e;
        struct platform_regs r;
        env_start(&e, snip_sysargs, snip_sysargs_end, &r);
        expect_syscall(&e, &r, 39);
        pid_t pid = ptrace_as_pid(e.as);
        if (write(pfd[1], &pid, sizeof(pid)) != sizeof(pid))
            _exit(1);
        pause();
        _exit(0);
    }
    close(pfd[1]);
    pid_t stub = 0;
    CHECK_INT(read(pfd[0], &stub, sizeof(stub)), ==, sizeof(stub));
    close(pfd[0]);
    CHECK_INT(kill(stub, 0), ==, 0);
    CHECK_INT(kill(sentry, SIGKILL), ==, 0);
    int status;
    CHECK_INT(waitpid(sentry, &status, 0), ==, sentry);
    /* Orphaned stubs come to us (the subreaper): they must all be dead. */
    bool stub_seen = false;
    for (int i = 0; i < 500; i++) {
        pid_t p = waitpid(-1, &status, __WALL | WNOHANG);
        if (p < 0 && errno == ECHILD)
            break;
        if (p > 0) {
            CHECK(WIFSIGNALED(status));
            CHECK_INT(WTERMSIG(status), ==, SIGKILL);
            if (p == stub)
                stub_seen = true;
            continue;
        }
        usleep(10000);
    }
    CHECK(stub_seen);
    errno = 0;
    CHECK_INT(waitpid(-1, &status, __WALL | WNOHANG), ==, -1);
    CHECK_INT(errno, ==, ECHILD);
}

struct holder {
    struct env *e;
    struct platform_as *as;
    pthread_barrier_t *step;
    int switch_err;
};

/* Runs once in h->as, then waits while another thread releases h->as. */
static void *hold_thread_in_as(void *arg)
{
    struct holder *h = arg;
    struct platform_ctx *ctx;
    CHECK_INT(h->e->ops->new_ctx(h->e->p, &ctx), ==, 0);
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR;
    struct platform_switch_info info;
    CHECK_INT(h->e->ops->ctx_switch(ctx, h->as, &r, &info), ==, 0);
    CHECK_INT(info.event, ==, PLATFORM_EV_SYSCALL);
    pthread_barrier_wait(h->step); /* 1: it has a traced stub thread */
    pthread_barrier_wait(h->step); /* 2: the as is released */
    /* Its stub thread was reaped by the releasing thread; the ctx still
     * works in other address spaces and releases cleanly. */
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR;
    h->switch_err = h->e->ops->ctx_switch(ctx, h->e->as, &r, &info);
    h->e->ops->ctx_release(ctx);
    return NULL;
}

TEST(as_release_reaps_threads_of_other_tracers)
{
    struct env e;
    env_init(&e);
    env_load(&e, snip_sysloop, snip_sysloop_end);
    struct platform_as *as2;
    CHECK_INT(e.ops->new_as(e.p, &as2), ==, 0);
    CHECK_INT(e.ops->as_map(as2, CODE_ADDR, PAGE, OFF_CODE, PROT_READ | PROT_EXEC), ==, 0);
    CHECK_INT(e.ops->as_map(as2, DATA_ADDR, PAGE, OFF_DATA, PROT_READ | PROT_WRITE), ==, 0);
    pid_t pid2 = ptrace_as_pid(as2);
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 2);
    struct holder h = {&e, as2, &step, -1};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, hold_thread_in_as, &h), ==, 0);
    pthread_barrier_wait(&step);
    CHECK_INT(proc_threads(pid2), ==, 3); /* leader, ours (maps), the holder's */
    e.ops->as_release(as2);
    CHECK_INT(kill(pid2, 0), ==, -1);
    pthread_barrier_wait(&step);
    pthread_join(th, NULL);
    CHECK_INT(h.switch_err, ==, 0);
    env_fini(&e);
}

TEST(destroy_releases_leftover_address_spaces)
{
    struct env e;
    env_init(&e);
    struct platform_as *as2;
    CHECK_INT(e.ops->new_as(e.p, &as2), ==, 0);
    pid_t pid = ptrace_as_pid(e.as), pid2 = ptrace_as_pid(as2);
    e.ops->ctx_release(e.ctx);
    e.ops->destroy(e.p);
    CHECK_INT(kill(pid, 0), ==, -1);
    CHECK_INT(kill(pid2, 0), ==, -1);
    e.ctx = NULL;
    e.as = NULL;
    e.p = NULL;
    env_fini(&e);
}

struct victim {
    struct env *e;
    pthread_barrier_t *step;
    int err;
};

static void *run_then_find_dead(void *arg)
{
    struct victim *v = arg;
    struct platform_ctx *ctx;
    CHECK_INT(v->e->ops->new_ctx(v->e->p, &ctx), ==, 0);
    struct platform_regs r;
    regs_init(&r, CODE_ADDR);
    r.gp.rbx = DATA_ADDR + 8;
    struct platform_switch_info info;
    CHECK_INT(v->e->ops->ctx_switch(ctx, v->e->as, &r, &info), ==, 0);
    pthread_barrier_wait(v->step); /* 1: running */
    pthread_barrier_wait(v->step); /* 2: the stub was killed */
    v->err = v->e->ops->ctx_switch(ctx, v->e->as, &r, &info);
    v->e->ops->ctx_release(ctx);
    return NULL;
}

static void *map_without_ctx(void *arg)
{
    struct env *e = arg;
    return (void *)(long)e->ops->as_map(e->as, 0x600000, PAGE, OFF_SPARE, PROT_READ);
}

TEST(stub_killed_from_outside)
{
    struct env e;
    struct platform_regs r;
    env_start(&e, snip_sysloop, snip_sysloop_end, &r);
    expect_syscall(&e, &r, 39);
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 2);
    struct victim v = {&e, &step, 0};
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, run_then_find_dead, &v), ==, 0);
    pthread_barrier_wait(&step);
    pid_t pid = ptrace_as_pid(e.as);
    CHECK_INT(kill(pid, SIGKILL), ==, 0);
    struct platform_switch_info info;
    CHECK_INT(e.ops->ctx_switch(e.ctx, e.as, &r, &info), ==, -ESRCH);
    CHECK_INT(e.ops->ctx_switch(e.ctx, e.as, &r, &info), ==, -ESRCH);
    CHECK_INT(e.ops->as_map(e.as, 0x600000, PAGE, OFF_SPARE, PROT_READ), ==, -ESRCH);
    void *ret;
    pthread_t mapper;
    CHECK_INT(pthread_create(&mapper, NULL, map_without_ctx, &e), ==, 0);
    pthread_join(mapper, &ret);
    CHECK_INT((long)ret, ==, -ESRCH);
    /* Other address spaces are not held up. */
    struct platform_as *as2;
    CHECK_INT(e.ops->new_as(e.p, &as2), ==, 0);
    e.ops->as_release(as2);
    pthread_barrier_wait(&step);
    pthread_join(th, NULL);
    CHECK_INT(v.err, ==, -ESRCH);
    env_fini(&e);
}
