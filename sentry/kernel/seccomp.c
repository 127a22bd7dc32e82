/* The application's seccomp (seccomp.h): the classic-BPF validator and
 * interpreter, filter chains, what each action does to a system call, and
 * the container's filter.
 *
 * Lock: a task's seccomp_mode and seccomp chain are written under
 * kernel.lock (release stores: chain first, then mode) and read by the task
 * itself with acquire loads; other readers (clone, /proc) hold kernel.lock. */
#include "sentry/kernel/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/syscalls/syscalls.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a SIGSYS from SECCOMP_RET_TRAP */
#endif

#define BPF_MEMWORDS_N 16 /* scratch words M[0..15] */

/* ---- validation -------------------------------------------------------------- */

/* The instructions a seccomp program may use (Linux's seccomp_check_filter
 * list: no packet loads other than 32-bit absolute ones, no BPF_MOD, no
 * BPF_MSH, no BPF_IND). */
static bool opcode_allowed(uint16_t code)
{
    switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X:
        return true;
    default:
        return false;
    }
}

static bool is_cond_jump(uint16_t code)
{
    return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* Every read of scratch memory M[k] must follow a write of M[k] on every
 * path to it. Jumps only go forward, so one pass suffices: in[pc] is the
 * set of words written on every path reaching pc. */
static int check_memory(const struct sock_filter *insns, size_t len)
{
    uint16_t *in = malloc(len * sizeof(*in));
    if (!in)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++)
        in[i] = 0xffff;
    uint16_t valid = 0; /* at pc 0 nothing is written */
    int r = 0;
    for (size_t pc = 0; pc < len && r == 0; pc++) {
        const struct sock_filter *f = &insns[pc];
        valid &= in[pc];
        switch (f->code) {
        case BPF_ST:
        case BPF_STX:
            valid |= (uint16_t)(1u << f->k);
            break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
            if (!(valid & (1u << f->k)))
                r = -EINVAL;
            break;
        case BPF_JMP | BPF_JA:
            in[pc + 1 + f->k] &= valid;
            valid = 0xffff; /* nothing falls through */
            break;
        default:
            if (is_cond_jump(f->code)) {
                in[pc + 1 + f->jt] &= valid;
                in[pc + 1 + f->jf] &= valid;
                valid = 0xffff;
            } else if (BPF_CLASS(f->code) == BPF_RET) {
                valid = 0xffff;
            }
            break;
        }
    }
    free(in);
    return r;
}

int seccomp_prog_check(const struct sock_filter *insns, size_t len)
{
    if (len == 0 || len > SECCOMP_MAX_INSNS)
        return -EINVAL;
    for (size_t pc = 0; pc < len; pc++) {
        const struct sock_filter *f = &insns[pc];
        if (!opcode_allowed(f->code))
            return -EINVAL;
        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            /* An aligned word inside struct seccomp_data. */
            if (f->k >= sizeof(struct seccomp_data) || (f->k & 3))
                return -EINVAL;
            break;
        case BPF_ALU | BPF_DIV | BPF_K:
            if (f->k == 0)
                return -EINVAL;
            break;
        case BPF_ALU | BPF_LSH | BPF_K:
        case BPF_ALU | BPF_RSH | BPF_K:
            if (f->k >= 32)
                return -EINVAL;
            break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
        case BPF_ST:
        case BPF_STX:
            if (f->k >= BPF_MEMWORDS_N)
                return -EINVAL;
            break;
        case BPF_JMP | BPF_JA:
            if (f->k >= len - pc - 1)
                return -EINVAL;
            break;
        default:
            if (is_cond_jump(f->code) && (pc + f->jt + 1 >= len || pc + f->jf + 1 >= len))
                return -EINVAL;
            break;
        }
    }
    if (BPF_CLASS(insns[len - 1].code) != BPF_RET)
        return -EINVAL;
    return check_memory(insns, len);
}

/* ---- evaluation -------------------------------------------------------------- */

uint32_t seccomp_prog_run(const struct sock_filter *insns, size_t len, const struct seccomp_data *d)
{
    const unsigned char *data = (const unsigned char *)d;
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS_N] = {0};
    for (size_t pc = 0; pc < len; pc++) {
        const struct sock_filter *f = &insns[pc];
        uint32_t k = f->k;
        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            memcpy(&a, data + k, sizeof(a));
            break;
        case BPF_LD | BPF_W | BPF_LEN:
            a = sizeof(struct seccomp_data);
            break;
        case BPF_LDX | BPF_W | BPF_LEN:
            x = sizeof(struct seccomp_data);
            break;
        case BPF_LD | BPF_IMM:
            a = k;
            break;
        case BPF_LDX | BPF_IMM:
            x = k;
            break;
        case BPF_LD | BPF_MEM:
            a = mem[k];
            break;
        case BPF_LDX | BPF_MEM:
            x = mem[k];
            break;
        case BPF_ST:
            mem[k] = a;
            break;
        case BPF_STX:
            mem[k] = x;
            break;
        case BPF_MISC | BPF_TAX:
            x = a;
            break;
        case BPF_MISC | BPF_TXA:
            a = x;
            break;
        case BPF_ALU | BPF_ADD | BPF_K:
            a += k;
            break;
        case BPF_ALU | BPF_ADD | BPF_X:
            a += x;
            break;
        case BPF_ALU | BPF_SUB | BPF_K:
            a -= k;
            break;
        case BPF_ALU | BPF_SUB | BPF_X:
            a -= x;
            break;
        case BPF_ALU | BPF_MUL | BPF_K:
            a *= k;
            break;
        case BPF_ALU | BPF_MUL | BPF_X:
            a *= x;
            break;
        case BPF_ALU | BPF_DIV | BPF_K:
            a /= k; /* k != 0: checked */
            break;
        case BPF_ALU | BPF_DIV | BPF_X:
            if (x == 0)
                return 0; /* as Linux: the program returns 0 (KILL_THREAD) */
            a /= x;
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            a &= k;
            break;
        case BPF_ALU | BPF_AND | BPF_X:
            a &= x;
            break;
        case BPF_ALU | BPF_OR | BPF_K:
            a |= k;
            break;
        case BPF_ALU | BPF_OR | BPF_X:
            a |= x;
            break;
        case BPF_ALU | BPF_XOR | BPF_K:
            a ^= k;
            break;
        case BPF_ALU | BPF_XOR | BPF_X:
            a ^= x;
            break;
        case BPF_ALU | BPF_LSH | BPF_K:
            a <<= k;
            break;
        case BPF_ALU | BPF_LSH | BPF_X:
            a <<= (x & 31);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            a >>= k;
            break;
        case BPF_ALU | BPF_RSH | BPF_X:
            a >>= (x & 31);
            break;
        case BPF_ALU | BPF_NEG:
            a = -a;
            break;
        case BPF_JMP | BPF_JA:
            pc += k;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            pc += a == k ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JEQ | BPF_X:
            pc += a == x ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JGE | BPF_K:
            pc += a >= k ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JGE | BPF_X:
            pc += a >= x ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JGT | BPF_K:
            pc += a > k ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JGT | BPF_X:
            pc += a > x ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JSET | BPF_K:
            pc += (a & k) ? f->jt : f->jf;
            break;
        case BPF_JMP | BPF_JSET | BPF_X:
            pc += (a & x) ? f->jt : f->jf;
            break;
        case BPF_RET | BPF_K:
            return k;
        case BPF_RET | BPF_A:
            return a;
        default:
            return SECCOMP_RET_KILL_PROCESS; /* not reached: checked at install */
        }
    }
    return SECCOMP_RET_KILL_PROCESS; /* not reached: the last instruction returns */
}

/* The action part of a return value as Linux orders them: lower wins. */
static int32_t action_rank(uint32_t ret)
{
    return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

static uint32_t eval_chain(const struct seccomp_filter *f, const struct seccomp_data *d,
                           const struct seccomp_filter **match)
{
    uint32_t ret = SECCOMP_RET_ALLOW;
    *match = NULL;
    for (; f; f = f->prev) {
        uint32_t cur = seccomp_prog_run(f->insns, f->len, d);
        if (action_rank(cur) < action_rank(ret)) {
            ret = cur;
            *match = f;
        }
    }
    return ret;
}

uint32_t seccomp_filter_eval(const struct seccomp_filter *f, const struct seccomp_data *d)
{
    const struct seccomp_filter *match;
    return eval_chain(f, d, &match);
}

/* ---- filters ------------------------------------------------------------------- */

/* seccomp_filter_new for a program that passed seccomp_prog_check. */
static int filter_new_checked(const struct sock_filter *insns, size_t len,
                              struct seccomp_filter *prev, struct seccomp_filter **out)
{
    unsigned chain = (unsigned)len + (prev ? prev->chain_insns + 4 : 0);
    if (chain > SECCOMP_MAX_CHAIN_INSNS)
        return -ENOMEM;
    struct seccomp_filter *f = malloc(sizeof(*f) + len * sizeof(struct sock_filter));
    if (!f)
        return -ENOMEM;
    f->refs = 1;
    f->prev = prev;
    if (prev)
        seccomp_filter_get(prev);
    f->count = prev ? prev->count + 1 : 1;
    f->chain_insns = chain;
    f->log = false;
    f->len = (unsigned short)len;
    memcpy(f->insns, insns, len * sizeof(struct sock_filter));
    *out = f;
    return 0;
}

int seccomp_filter_new(const struct sock_filter *insns, size_t len, struct seccomp_filter *prev,
                       struct seccomp_filter **out)
{
    int r = seccomp_prog_check(insns, len);
    return r < 0 ? r : filter_new_checked(insns, len, prev, out);
}

void seccomp_filter_get(struct seccomp_filter *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void seccomp_filter_put(struct seccomp_filter *f)
{
    /* Iterative: a long chain must not recurse. */
    while (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        struct seccomp_filter *prev = f->prev;
        free(f);
        f = prev;
    }
}

/* ---- tasks ---------------------------------------------------------------------- */

static struct seccomp_filter *task_chain(struct task *t)
{
    return __atomic_load_n(&t->seccomp, __ATOMIC_ACQUIRE);
}

/* Installs chain f (a reference the task takes over) and the mode on t
 * (kernel.lock held); drops the task's old chain. */
static void task_set_locked(struct task *t, int mode, struct seccomp_filter *f)
{
    struct seccomp_filter *old = t->seccomp;
    __atomic_store_n(&t->seccomp, f, __ATOMIC_RELEASE);
    __atomic_store_n(&t->seccomp_mode, mode, __ATOMIC_RELEASE);
    seccomp_filter_put(old);
}

void seccomp_task_fork_locked(struct task *child, struct task *parent)
{
    struct seccomp_filter *f = parent->seccomp;
    if (f)
        seccomp_filter_get(f);
    child->seccomp = f;
    child->seccomp_mode = parent->seccomp_mode;
}

void seccomp_task_release(struct task *t)
{
    seccomp_filter_put(t->seccomp);
    t->seccomp = NULL;
}

void seccomp_task_status(int tid, int *mode, int *filters)
{
    *mode = 0;
    *filters = 0;
    struct kernel *k = g_kernel;
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    struct task *t = kernel_find_task_locked(tid);
    if (t) {
        *mode = t->seccomp_mode;
        *filters = t->seccomp ? (int)t->seccomp->count : 0;
    }
    pthread_mutex_unlock(&k->lock);
}

int seccomp_set_strict(struct task *t)
{
    struct kernel *k = g_kernel;
    pthread_mutex_lock(&k->lock);
    int r = 0;
    if (t->seccomp_mode != SECCOMP_MODE_DISABLED && t->seccomp_mode != SECCOMP_MODE_STRICT)
        r = -EINVAL;
    else
        __atomic_store_n(&t->seccomp_mode, SECCOMP_MODE_STRICT, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&k->lock);
    return r;
}

/* Whether a (a chain) is b or one of b's ancestors; NULL is everyone's. */
static bool is_ancestor(const struct seccomp_filter *a, const struct seccomp_filter *b)
{
    if (!a)
        return true;
    for (; b; b = b->prev)
        if (a == b)
            return true;
    return false;
}

long seccomp_set_filter(struct task *t, unsigned flags, const struct sock_filter *insns, size_t len)
{
    struct kernel *k = g_kernel;
    /* Validate before taking the lock (the chain limit is checked under it). */
    int r = seccomp_prog_check(insns, len);
    if (r < 0)
        return r;
    pthread_mutex_lock(&k->lock);
    if (t->seccomp_mode != SECCOMP_MODE_DISABLED && t->seccomp_mode != SECCOMP_MODE_FILTER) {
        pthread_mutex_unlock(&k->lock);
        return -EINVAL;
    }
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
        /* Every other thread must have no filter, or one of ours. */
        for (struct task *o = t->tg->tasks; o; o = o->tg_next) {
            if (o == t || o->exiting)
                continue;
            if (o->seccomp_mode == SECCOMP_MODE_STRICT ||
                (o->seccomp_mode == SECCOMP_MODE_FILTER && !is_ancestor(o->seccomp, t->seccomp))) {
                int tid = o->tid;
                pthread_mutex_unlock(&k->lock);
                return (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) ? -ESRCH : tid;
            }
        }
    }
    struct seccomp_filter *f;
    r = filter_new_checked(insns, len, t->seccomp, &f);
    if (r < 0) {
        pthread_mutex_unlock(&k->lock);
        return r;
    }
    f->log = (flags & SECCOMP_FILTER_FLAG_LOG) != 0;
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
        for (struct task *o = t->tg->tasks; o; o = o->tg_next) {
            if (o == t || o->exiting)
                continue;
            seccomp_filter_get(f);
            /* The old chain is an ancestor of f: still alive while o runs it. */
            task_set_locked(o, SECCOMP_MODE_FILTER, f);
            if (t->creds.no_new_privs)
                o->creds.no_new_privs = true;
        }
    }
    task_set_locked(t, SECCOMP_MODE_FILTER, f);
    pthread_mutex_unlock(&k->lock);
    return 0;
}

/* ---- the system call hook ---------------------------------------------------------- */

static const char *name_of(unsigned long nr)
{
    const char *n = syscall_name(nr);
    return n ? n : "?";
}

/* The wait status of a death by sig with a core dump (as signal delivery
 * reports it: the core flag only when RLIMIT_CORE allows a dump). */
static int core_status(struct task *t, int sig)
{
    return sig | (task_rlimit_cur(t, RLIMIT_CORE) != 0 ? 0x80 : 0);
}

/* Mode 1: read, write, exit and rt_sigreturn; anything else kills the thread
 * with SIGKILL. */
static bool strict_allowed(unsigned long nr)
{
    return nr == 0 || nr == 1 || nr == 60 || nr == 15;
}

bool seccomp_syscall_enter(struct task *t, unsigned long nr, const uint64_t args[6], long *ret)
{
    int mode = __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE);
    if (mode == SECCOMP_MODE_STRICT) {
        if (strict_allowed(nr))
            return true;
        log_info("seccomp: task %d: strict mode forbids %s (%lu): killed", t->tid, name_of(nr), nr);
        task_exit(t, SIGKILL, false);
    }
    if (mode != SECCOMP_MODE_FILTER)
        return true;
    struct seccomp_data d;
    memset(&d, 0, sizeof(d));
    d.nr = (int)nr;
    d.arch = AUDIT_ARCH_X86_64;
    d.instruction_pointer = t->regs.gp.rip;
    memcpy(d.args, args, sizeof(d.args));
    const struct seccomp_filter *match;
    uint32_t r = eval_chain(task_chain(t), &d, &match);
    uint32_t action = r & SECCOMP_RET_ACTION_FULL;
    uint32_t data = r & SECCOMP_RET_DATA;
    if (match && match->log && action != SECCOMP_RET_ALLOW)
        log_info("seccomp: task %d: %s (%lu): action %#x data %u", t->tid, name_of(nr), nr, action,
                 data);
    switch (action) {
    case SECCOMP_RET_ALLOW:
        return true;
    case SECCOMP_RET_LOG:
        log_info("seccomp: task %d: %s (%lu) logged and allowed", t->tid, name_of(nr), nr);
        return true;
    case SECCOMP_RET_ERRNO:
        *ret = -(long)(data > 4095 ? 4095 : data);
        return false;
    case SECCOMP_RET_TRACE:      /* no tracer: the call fails with ENOSYS, as Linux */
    case SECCOMP_RET_USER_NOTIF: /* no listener can exist: ENOSYS, as Linux */
        *ret = -ENOSYS;
        return false;
    case SECCOMP_RET_TRAP: {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        si.si_signo = SIGSYS;
        si.si_code = SYS_SECCOMP;
        si.si_errno = (int)data;
        si.si_call_addr = (void *)(uintptr_t)t->regs.gp.rip;
        si.si_syscall = (int)nr;
        si.si_arch = AUDIT_ARCH_X86_64;
        /* The handler sees rax = the syscall number (Linux rolls the call back). */
        t->regs.gp.rax = t->regs.gp.orig_rax;
        signal_force(t, SIGSYS, &si);
        *ret = SYSCALL_RETURN_REGS;
        return false;
    }
    case SECCOMP_RET_KILL_THREAD: {
        pthread_mutex_lock(&g_kernel->lock);
        bool alone = t->tg->nr_threads <= 1;
        pthread_mutex_unlock(&g_kernel->lock);
        log_info("seccomp: task %d: %s (%lu): thread killed", t->tid, name_of(nr), nr);
        if (!alone)
            task_exit(t, SIGSYS, false);
        task_exit(t, core_status(t, SIGSYS), true);
    }
    case SECCOMP_RET_KILL_PROCESS:
    default: /* unknown actions kill the process, as Linux */
        log_info("seccomp: task %d: %s (%lu): process killed", t->tid, name_of(nr), nr);
        task_exit(t, core_status(t, SIGSYS), true);
    }
}

/* ---- the container's filter ----------------------------------------------------------- */

static struct seccomp_filter *g_container_filter;

int seccomp_container_set(const void *prog, size_t len)
{
    if (len == 0 || len % sizeof(struct sock_filter) != 0)
        return -EINVAL;
    struct seccomp_filter *f;
    int r = seccomp_filter_new(prog, len / sizeof(struct sock_filter), NULL, &f);
    if (r < 0)
        return r;
    struct seccomp_filter *old = g_container_filter;
    g_container_filter = f;
    seccomp_filter_put(old);
    return 0;
}

void seccomp_spawn_attach(struct task *t)
{
    struct seccomp_filter *f = g_container_filter;
    if (!f)
        return;
    seccomp_filter_get(f);
    pthread_mutex_lock(&g_kernel->lock);
    task_set_locked(t, SECCOMP_MODE_FILTER, f);
    pthread_mutex_unlock(&g_kernel->lock);
}
