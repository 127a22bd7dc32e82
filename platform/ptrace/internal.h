/* Directory-private declarations of the ptrace platform.
 *
 * Objects and who owns what (see README.md for the whole story):
 *
 *   struct ptrace_platform  one per create(): the MemoryFile dup, the "creator"
 *                           host thread, and the master stub it traces.
 *   struct ptrace_as        one stub process. Its leader thread is traced by the
 *                           creator thread and only ever runs injected syscalls
 *                           (clone of further stub threads, maps for callers
 *                           without a ctx). Application code runs in the other
 *                           threads of the process, one per (ctx, as) pair.
 *   struct ptrace_thread    one stub thread that runs application code; traced
 *                           by the host thread of the ctx that owns it, or
 *                           parked untraced in the as's pool (pause() loop).
 *   struct ptrace_ctx       one per sentry task thread (host thread).
 *
 * Lock order: ptrace_as.mu, then ptrace_platform.mu (the request queue).
 * ptrace_ctx.threads is touched only by the ctx's own host thread.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "platform/platform.h"

/* Options of every traced stub thread. */
#define PTRACE_STUB_OPTIONS (PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)

struct ptrace_as;
struct ptrace_ctx;

struct ptrace_thread {
    pid_t tid;
    pid_t pid;                         /* the stub process (thread group id) */
    struct ptrace_as *as;              /* holds a reference */
    struct ptrace_thread *as_next;     /* as->threads, under as->mu */
    struct ptrace_thread *ctx_next;    /* owner ctx's list, owner host thread only */
    bool owned;                        /* under as->mu: reserved/traced by a ctx */
    bool dead;                         /* under as->mu: killed and reaped by as_release */
    bool reaped;                       /* owner only: its exit was collected, tid is stale */
    int cpu;                           /* CPU the thread is pinned to, -1 if none */
    struct user_regs_struct init_regs; /* a clean register set for injections */
    bool fpu_cached;                   /* fpu_cache holds the thread's FP state */
    uint8_t fpu_cache[PLATFORM_FPU_MAX] __attribute__((aligned(64)));
};

enum ptrace_req_kind {
    PTRACE_REQ_NEW_AS,     /* clone a new stub process from the master */
    PTRACE_REQ_NEW_THREAD, /* clone a parked stub thread in req.as */
    PTRACE_REQ_SYSCALL,    /* inject req.nr(req.args) into req.as's leader */
    PTRACE_REQ_QUIT,
};

struct ptrace_req {
    enum ptrace_req_kind kind;
    struct ptrace_as *as;
    long nr;
    uint64_t args[6];
    long result; /* >= 0 or -errno */
    struct ptrace_thread *thread;
    bool done;
    struct ptrace_req *next;
};

struct ptrace_platform {
    int memfd;            /* our dup of the MemoryFile */
    uint32_t xstate_size; /* NT_X86_XSTATE size the kernel uses */
    uint64_t min_addr;    /* host vm.mmap_min_addr */
    uint64_t max_addr;    /* the stub page */
    atomic_bool pin;      /* pin stub threads to their tracer's CPU */
    pid_t sentry_pid;

    pthread_t creator; /* traces the master and every as leader */
    pid_t creator_tid;
    pid_t master; /* creator thread only */
    int master_pidfd;
    bool master_gone; /* creator thread only: master reaped, pid stale */
    struct user_regs_struct master_regs;

    pthread_mutex_t mu; /* request queue and start-up handshake */
    pthread_cond_t req_cond;
    pthread_cond_t done_cond;
    struct ptrace_req *req_head, **req_tail;
    struct ptrace_as *ases; /* live address spaces (for destroy) */
    bool started;
    int start_err;
};

struct ptrace_as {
    struct ptrace_platform *p;
    pid_t pid;        /* the leader: traced by the creator thread */
    int pidfd;        /* kill and reap it without pid-reuse races */
    bool leader_gone; /* creator thread only: leader reaped, pid stale */
    struct user_regs_struct leader_regs;
    pthread_mutex_t mu;
    struct ptrace_thread *threads; /* all threads but the leader */
    bool dead;                     /* released: the process is gone */
    struct ptrace_as *p_next;      /* p->ases, under p->mu */
    atomic_int refs;               /* the sentry's + one per ptrace_thread */
};

struct ptrace_ctx {
    struct ptrace_platform *p;
    pthread_t owner;
    pid_t owner_tid;
    struct ptrace_thread *threads; /* stub threads this host thread traces */
    _Atomic uint64_t running;      /* pid << 32 | tid while in ctx_switch, else 0 */
    atomic_int interrupt;          /* ctx_interrupt() pending */
    /* Last fault, for the "same fault again means write" fallback. */
    const struct ptrace_as *last_fault_as;
    uint64_t last_fault_addr, last_fault_ip;
};

static inline struct ptrace_platform *ptrace_pp(struct platform *p)
{
    return (struct ptrace_platform *)p;
}

static inline struct ptrace_as *ptrace_pas(struct platform_as *as)
{
    return (struct ptrace_as *)as;
}

static inline struct ptrace_ctx *ptrace_pctx(struct platform_ctx *ctx)
{
    return (struct ptrace_ctx *)ctx;
}

/* ptrace.c: the creator thread. Queues req, waits until it is served and
 * returns req->result. */
long ptrace_creator_call(struct ptrace_platform *p, struct ptrace_req *req);

/* as.c */
int ptrace_new_as(struct platform *p, struct platform_as **out);
int ptrace_as_map(struct platform_as *as, uint64_t addr, uint64_t len, uint64_t off, int prot);
int ptrace_as_unmap(struct platform_as *as, uint64_t addr, uint64_t len);
void ptrace_as_release(struct platform_as *as);
void ptrace_as_unref(struct ptrace_as *as);
/* Creator thread: a new stub thread in as, parked and untraced, linked into
 * as->threads as owned (reserved for the caller). */
long ptrace_as_clone_thread(struct ptrace_as *as, struct ptrace_thread **out);
/* Creator thread: a new stub process cloned from the master. */
long ptrace_as_clone_process(struct ptrace_platform *p, struct ptrace_as *as);

/* context.c */
int ptrace_new_ctx(struct platform *p, struct platform_ctx **out);
int ptrace_ctx_switch(struct platform_ctx *ctx, struct platform_as *as, struct platform_regs *regs,
                      struct platform_switch_info *info);
void ptrace_ctx_interrupt(struct platform_ctx *ctx);
void ptrace_ctx_release(struct platform_ctx *ctx);
/* The ctx of the calling host thread for platform p, or NULL. */
struct ptrace_ctx *ptrace_current_ctx(const struct ptrace_platform *p);
/* The calling ctx's stub thread in as, created (or taken from the pool) on
 * first use. */
int ptrace_ctx_thread(struct ptrace_ctx *ctx, struct ptrace_as *as, struct ptrace_thread **out);
/* Pins t to the calling (tracer) thread's current CPU if it moved, unless
 * pinning is off. */
void ptrace_ctx_pin(struct ptrace_ctx *ctx, struct ptrace_thread *t);
