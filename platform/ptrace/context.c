/* Contexts: running application code with PTRACE_SYSEMU.
 *
 * A ctx belongs to the host thread that created it; that thread is the
 * tracer of one stub thread per address space the ctx runs in (created on
 * first use, or taken from the address space's pool of parked threads).
 *
 * One switch: pin the stub thread to our CPU if we moved, SETREGS (and the
 * XSAVE state if the sentry changed it), PTRACE_SYSEMU, wait for the stop,
 * GETREGS + GETREGSET. Stops are sorted out as:
 *   SIGTRAP|0x80           a system call (PTRACE_O_TRACESYSGOOD)
 *   SIGURG from us         ctx_interrupt() (dropped if no interrupt pending)
 *   SIGSEGV page fault     PLATFORM_EV_FAULT; the signal is dropped
 *   SIGILL SIGFPE SIGTRAP SIGBUS SIGSEGV(other) SIGSYS from the kernel
 *                          PLATFORM_EV_SIGNAL; the signal is dropped
 *   anything else          dropped, and the application goes on
 * No signal is ever delivered to a stub: the sentry decides.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/ptrace/decode_amd64.h"
#include "platform/ptrace/internal.h"
#include "platform/ptrace/ptrace.h"
#include "platform/ptrace/stub.h"
#include "platform/ptrace/tracee.h"

/* The ctx of this host thread (the latest one it created), so that as_map
 * can use the caller's own stub thread. */
static __thread struct ptrace_ctx *tls_ctx;

struct ptrace_ctx *ptrace_current_ctx(const struct ptrace_platform *p)
{
    struct ptrace_ctx *c = tls_ctx;
    return c && c->p == p ? c : NULL;
}

int ptrace_new_ctx(struct platform *pl, struct platform_ctx **out)
{
    struct ptrace_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->p = ptrace_pp(pl);
    ctx->owner = pthread_self();
    ctx->owner_tid = (pid_t)syscall(SYS_gettid);
    atomic_init(&ctx->running, 0);
    atomic_init(&ctx->interrupt, 0);
    tls_ctx = ctx;
    *out = (struct platform_ctx *)ctx;
    return 0;
}

static bool thread_dead(struct ptrace_thread *t)
{
    pthread_mutex_lock(&t->as->mu);
    bool dead = t->dead;
    pthread_mutex_unlock(&t->as->mu);
    return dead;
}

/* Frees the entries of address spaces released since. */
static void ctx_sweep(struct ptrace_ctx *ctx)
{
    struct ptrace_thread **pp = &ctx->threads;
    while (*pp) {
        struct ptrace_thread *t = *pp;
        if (!thread_dead(t)) {
            pp = &t->ctx_next;
            continue;
        }
        *pp = t->ctx_next;
        struct ptrace_as *as = t->as;
        free(t);
        ptrace_as_unref(as);
    }
}

/* Ends our tracing of t: detach, or if it cannot stop any more (it is being
 * killed), reap it. Afterwards nobody in the sentry waits for it. */
static void untrace(struct ptrace_thread *t)
{
    if (t->reaped || ptrace(PTRACE_DETACH, t->tid, NULL, NULL) == 0)
        return;
    int status;
    ptrace_wait(t->tid, &status);
    t->reaped = true;
}

int ptrace_ctx_thread(struct ptrace_ctx *ctx, struct ptrace_as *as, struct ptrace_thread **out)
{
    for (struct ptrace_thread *t = ctx->threads; t; t = t->ctx_next) {
        if (t->as == as) {
            *out = t;
            return 0;
        }
    }
    ctx_sweep(ctx);

    struct ptrace_thread *t = NULL;
    pthread_mutex_lock(&as->mu);
    if (as->dead) {
        pthread_mutex_unlock(&as->mu);
        return -ESRCH;
    }
    for (t = as->threads; t; t = t->as_next) {
        if (!t->owned && !t->reaped) {
            t->owned = true;
            break;
        }
    }
    pthread_mutex_unlock(&as->mu);
    if (!t) {
        struct ptrace_req req = {.kind = PTRACE_REQ_NEW_THREAD, .as = as};
        long r = ptrace_creator_call(ctx->p, &req);
        if (r < 0)
            return (int)r;
        t = req.thread;
    }
    int err = ptrace_seize_stop(t->tid, PTRACE_STUB_OPTIONS);
    if (!err && (err = ptrace_get_regs(t->tid, &t->init_regs)))
        untrace(t); /* seized but unusable (dying): leave it untraced or reaped */
    if (err) {
        pthread_mutex_lock(&as->mu);
        t->reaped |= err == -ECHILD;
        t->owned = false;
        pthread_mutex_unlock(&as->mu);
        return err == -ECHILD ? -ESRCH : err;
    }
    t->cpu = -1;
    t->fpu_cached = false;
    t->ctx_next = ctx->threads;
    ctx->threads = t;
    *out = t;
    return 0;
}

void ptrace_ctx_pin(struct ptrace_ctx *ctx, struct ptrace_thread *t)
{
    if (!atomic_load_explicit(&ctx->p->pin, memory_order_relaxed))
        return;
    int cpu = sched_getcpu();
    if (cpu >= 0 && cpu != t->cpu) {
        ptrace_pin(t->tid, cpu); /* best effort (a cpuset may forbid it): no retry */
        t->cpu = cpu;
    }
}

static bool is_sync_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGBUS ||
           sig == SIGSYS;
}

/* Runs the thread until a stop the sentry must see. */
static int run(struct ptrace_ctx *ctx, struct ptrace_thread *t, enum platform_event *event,
               siginfo_t *si)
{
    for (;;) {
        if (ptrace(PTRACE_SYSEMU, t->tid, NULL, NULL) < 0)
            return -errno;
        int status, err;
        if ((err = ptrace_wait(t->tid, &status)))
            return err;
        if (!WIFSTOPPED(status))
            return -ECHILD; /* dead, and now reaped */
        int sig = WSTOPSIG(status);
        if (sig == (SIGTRAP | 0x80)) {
            *event = PLATFORM_EV_SYSCALL;
            return 0;
        }
        if (status >> 16)
            continue; /* PTRACE_EVENT_STOP: a group stop or a stray interrupt */
        if (ptrace(PTRACE_GETSIGINFO, t->tid, NULL, si) < 0)
            return -errno;
        if (sig == SIGURG && si->si_code == SI_TKILL && si->si_pid == ctx->p->sentry_pid) {
            if (atomic_exchange(&ctx->interrupt, 0)) {
                *event = PLATFORM_EV_INTERRUPTED;
                return 0;
            }
            continue; /* late: the interrupt was already reported */
        }
        if (si->si_code <= 0)
            continue; /* sent by a process, not raised by the application */
        if (sig == SIGSEGV && (si->si_code == SEGV_MAPERR || si->si_code == SEGV_ACCERR ||
                               si->si_code == SEGV_PKUERR)) {
            *event = PLATFORM_EV_FAULT;
            return 0;
        }
        if (is_sync_signal(sig)) {
            *event = PLATFORM_EV_SIGNAL;
            return 0;
        }
    }
}

static unsigned fault_access(struct ptrace_ctx *ctx, struct ptrace_as *as, struct ptrace_thread *t,
                             const struct user_regs_struct *gp, const siginfo_t *si)
{
    uint64_t addr = (uint64_t)si->si_addr;
    uint8_t code[16], byte;
    struct ptrace_fault_in in = {
        .addr = addr,
        .si_code = si->si_code,
        .rip = gp->rip,
        .rsp = gp->rsp,
        .rsi = gp->rsi,
        .rdi = gp->rdi,
        .code = code,
    };
    in.ncode = ptrace_read_mem(t->tid, gp->rip, code, sizeof(code));
    if (si->si_code == SEGV_ACCERR)
        in.addr_readable = ptrace_read_mem(t->tid, addr, &byte, 1) == 1;
    unsigned acc = ptrace_fault_access(&in);
    if (!acc) {
        /* Unknown instruction: say read; the same fault again means write. */
        acc = PLATFORM_ACCESS_READ;
        if (ctx->last_fault_as == as && ctx->last_fault_addr == addr &&
            ctx->last_fault_ip == gp->rip)
            acc |= PLATFORM_ACCESS_WRITE;
    }
    ctx->last_fault_as = as;
    ctx->last_fault_addr = addr;
    ctx->last_fault_ip = gp->rip;
    return acc;
}

int ptrace_ctx_switch(struct platform_ctx *pc, struct platform_as *pas, struct platform_regs *regs,
                      struct platform_switch_info *info)
{
    struct ptrace_ctx *ctx = ptrace_pctx(pc);
    struct ptrace_as *as = ptrace_pas(pas);
    struct ptrace_platform *p = ctx->p;
    if (!pthread_equal(pthread_self(), ctx->owner))
        return -EPERM;
    struct ptrace_thread *t;
    int err = ptrace_ctx_thread(ctx, as, &t);
    if (err)
        return err;
    if (t->reaped)
        return -ESRCH;
    ptrace_ctx_pin(ctx, t);

    struct user_regs_struct gp = regs->gp;
    if (!gp.cs)
        gp.cs = t->init_regs.cs;
    if (!gp.ss)
        gp.ss = t->init_regs.ss;
    gp.orig_rax = (uint64_t)-1; /* never restart a syscall on resume */

    memset(info, 0, sizeof(*info));
    atomic_store(&ctx->running, ((uint64_t)t->pid << 32) | (uint32_t)t->tid);
    if (atomic_exchange(&ctx->interrupt, 0)) {
        atomic_store(&ctx->running, 0);
        info->event = PLATFORM_EV_INTERRUPTED;
        return 0;
    }
    err = ptrace_set_regs(t->tid, &gp);
    if (!err && (!t->fpu_cached || memcmp(t->fpu_cache, regs->fpu, p->xstate_size) != 0)) {
        t->fpu_cached = false;
        err = ptrace_set_fpu(t->tid, regs->fpu, p->xstate_size);
    }
    enum platform_event event = PLATFORM_EV_SYSCALL;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (!err)
        err = run(ctx, t, &event, &si);
    atomic_store(&ctx->running, 0);

    struct user_regs_struct out;
    uint32_t size = PLATFORM_FPU_MAX;
    if (!err)
        err = ptrace_get_regs(t->tid, &out);
    if (!err)
        err = ptrace_get_fpu(t->tid, t->fpu_cache, &size);
    if (err) {
        t->fpu_cached = false;
        if (err == -ECHILD)
            t->reaped = true;
        return err == -ECHILD ? -ESRCH : err;
    }
    t->fpu_cached = true;
    regs->gp = out;
    memcpy(regs->fpu, t->fpu_cache, size);
    regs->fpu_size = size;

    info->event = event;
    if (event == PLATFORM_EV_FAULT || event == PLATFORM_EV_SIGNAL)
        info->siginfo = si;
    if (event == PLATFORM_EV_FAULT) {
        info->fault_addr = (uint64_t)si.si_addr;
        info->fault_access = fault_access(ctx, as, t, &out, &si);
    } else {
        ctx->last_fault_as = NULL;
    }
    return 0;
}

void ptrace_ctx_interrupt(struct platform_ctx *pc)
{
    struct ptrace_ctx *ctx = ptrace_pctx(pc);
    atomic_store(&ctx->interrupt, 1);
    uint64_t r = atomic_load(&ctx->running);
    if (r)
        syscall(SYS_tgkill, (pid_t)(r >> 32), (pid_t)(uint32_t)r, SIGURG);
}

void ptrace_ctx_release(struct platform_ctx *pc)
{
    if (!pc)
        return;
    struct ptrace_ctx *ctx = ptrace_pctx(pc);
    const struct ptrace_stub *s = ptrace_stub_get();
    struct ptrace_thread *t = ctx->threads;
    while (t) {
        struct ptrace_thread *next = t->ctx_next;
        struct ptrace_as *as = t->as;
        pthread_mutex_lock(&as->mu);
        bool dead = t->dead;
        if (!dead && !t->reaped && ptrace_park_detach(t->tid, &t->init_regs, s->park) != 0)
            untrace(t); /* the stub is dying: reap the thread here */
        if (!dead)
            t->owned = false; /* back to the pool, parked and untraced (or reaped) */
        pthread_mutex_unlock(&as->mu);
        if (dead) {
            free(t);
            ptrace_as_unref(as);
        }
        t = next;
    }
    if (tls_ctx == ctx)
        tls_ctx = NULL;
    free(ctx);
}

pid_t ptrace_ctx_tid(struct platform_ctx *pc, struct platform_as *pas)
{
    struct ptrace_ctx *ctx = ptrace_pctx(pc);
    for (struct ptrace_thread *t = ctx->threads; t; t = t->ctx_next)
        if (t->as == ptrace_pas(pas))
            return t->tid;
    return 0;
}
