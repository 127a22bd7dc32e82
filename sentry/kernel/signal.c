/* Signals: sending, the pending sets, delivery with x86-64 signal frames,
 * default actions, group stop/continue, syscall restart.
 *
 * Lock: thread_group.siglock protects the signal state of a group and of
 * its threads. kernel.lock may be held when taking it, never the reverse. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal_frame.h"

#define SIG_IGN_V 1ull
#define SIG_DFL_V 0ull
#define SA_RESTORER_V 0x04000000ull

enum sig_default { ACT_TERM, ACT_CORE, ACT_IGNORE, ACT_STOP, ACT_CONT };

static enum sig_default default_action(int sig)
{
    switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
        return ACT_CORE;
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
        return ACT_IGNORE;
    case SIGCONT:
        return ACT_CONT;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return ACT_STOP;
    default:
        return ACT_TERM;
    }
}

static bool is_rt(int sig)
{
    return sig >= SIGRTMIN_KERNEL;
}

void sigpending_clear(struct sigpending *p)
{
    while (p->head) {
        struct sigq *q = p->head;
        p->head = q->next;
        free(q);
    }
    p->set = 0;
}

/* Queues sig on p (siglock held). Standard signals coalesce. */
static void sigpending_add(struct sigpending *p, int sig, const siginfo_t *info)
{
    if ((p->set & SIGBIT(sig)) && !is_rt(sig))
        return;
    struct sigq *q = calloc(1, sizeof(*q));
    if (q) {
        if (info)
            q->info = *info;
        else {
            q->info.si_signo = sig;
            q->info.si_code = SI_KERNEL;
        }
        q->info.si_signo = sig;
        struct sigq **pp = &p->head;
        while (*pp)
            pp = &(*pp)->next;
        *pp = q;
    }
    p->set |= SIGBIT(sig);
}

/* Takes the first queued sig from p (siglock held). */
static bool sigpending_take(struct sigpending *p, int sig, siginfo_t *out)
{
    if (!(p->set & SIGBIT(sig)))
        return false;
    bool more = false, found = false;
    for (struct sigq **pp = &p->head; *pp;) {
        struct sigq *q = *pp;
        if (q->info.si_signo == sig) {
            if (!found) {
                *out = q->info;
                *pp = q->next;
                free(q);
                found = true;
                continue;
            }
            more = true;
        }
        pp = &q->next;
    }
    if (!found) {
        memset(out, 0, sizeof(*out));
        out->si_signo = sig;
        out->si_code = SI_KERNEL;
    }
    if (!more)
        p->set &= ~SIGBIT(sig);
    return true;
}

void task_interrupt(struct task *t)
{
    pthread_mutex_lock(&t->ctx_lock);
    if (t->ctx)
        g_kernel->pops->ctx_interrupt(t->ctx);
    pthread_mutex_unlock(&t->ctx_lock);
    task_wake(t);
}

bool task_signal_pending(struct task *t)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&tg->siglock);
    bool p = ((t->pending.set | tg->shared_pending.set) & ~t->sigmask) != 0 || tg->exiting ||
             t->exiting || (tg->stopped && !t->exiting);
    pthread_mutex_unlock(&tg->siglock);
    return p;
}

/* Whether sig would be dropped at send time (siglock held). A signal the
 * receiving thread blocks is never ignored (its handler may change before
 * it is unblocked; sigwait and signalfd take it): for a group signal that
 * is the group's leader (or first thread), as Linux checks the task the
 * pid names. */
static bool sig_ignored(struct thread_group *tg, struct task *target, int sig, bool forced)
{
    struct task *rcv = target ? target : (tg->leader ? tg->leader : tg->tasks);
    if (sig != SIGKILL && sig != SIGSTOP && rcv && !rcv->exiting && (rcv->sigmask & SIGBIT(sig)))
        return false;
    uint64_t h = tg->sighand->actions[sig - 1].handler;
    if (sig == SIGKILL || sig == SIGSTOP)
        return tg->is_init && !forced; /* init cannot be killed from inside */
    if (h == SIG_IGN_V)
        return true;
    if (h == SIG_DFL_V) {
        if (tg->is_init && !forced)
            return true; /* pid 1 only gets the signals it handles */
        return default_action(sig) == ACT_IGNORE;
    }
    return false;
}

/* Picks a thread to wake for a group signal (siglock held). */
static struct task *pick_thread(struct thread_group *tg, int sig)
{
    for (struct task *t = tg->tasks; t; t = t->tg_next)
        if (!(t->sigmask & SIGBIT(sig)) && !t->exiting)
            return t;
    return NULL;
}

/* Core of sending (siglock held). target NULL: the group. */
static int send_locked(struct thread_group *tg, struct task *target, int sig, const siginfo_t *info,
                       bool forced)
{
    if (tg->state != TG_ALIVE)
        return 0;
    /* SIGCONT resumes a stopped group and drops pending stop signals;
     * a stop signal drops a pending SIGCONT. */
    if (sig == SIGCONT) {
        uint64_t stops = SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU);
        tg->shared_pending.set &= ~stops;
        for (struct task *t = tg->tasks; t; t = t->tg_next)
            t->pending.set &= ~stops;
        if (tg->stopped) {
            tg->stopped = false;
            tg->cont_unreported = true;
            tg->stop_unreported = false;
            for (struct task *t = tg->tasks; t; t = t->tg_next)
                task_wake(t);
        }
    } else if (default_action(sig) == ACT_STOP) {
        tg->shared_pending.set &= ~SIGBIT(SIGCONT);
        for (struct task *t = tg->tasks; t; t = t->tg_next)
            t->pending.set &= ~SIGBIT(SIGCONT);
    }
    if (sig_ignored(tg, target, sig, forced))
        return 0;
    /* signalfd readers and pollers, sigtimedwait (blocked signals too). */
    waitq_wake(&tg->sigqueue_wq, POLLIN, 0);
    if (sig == SIGKILL) {
        /* Nothing stops SIGKILL: the whole group dies now. */
        tg->stopped = false;
        sigpending_add(&tg->shared_pending, sig, info);
        for (struct task *t = tg->tasks; t; t = t->tg_next)
            task_interrupt(t);
        return 0;
    }
    if (target) {
        sigpending_add(&target->pending, sig, info);
        if (!(target->sigmask & SIGBIT(sig)))
            task_interrupt(target);
        return 0;
    }
    sigpending_add(&tg->shared_pending, sig, info);
    struct task *t = pick_thread(tg, sig);
    if (t)
        task_interrupt(t);
    return 0;
}

int signal_send_group(struct thread_group *tg, int sig, const siginfo_t *info)
{
    if (sig < 0 || sig > KERNEL_NSIG)
        return -EINVAL;
    if (sig == 0)
        return 0;
    pthread_mutex_lock(&tg->siglock);
    int r = send_locked(tg, NULL, sig, info, false);
    pthread_mutex_unlock(&tg->siglock);
    return r;
}

int signal_send_external(struct thread_group *tg, int sig)
{
    if (sig <= 0 || sig > KERNEL_NSIG)
        return -EINVAL;
    siginfo_t si = {0};
    si.si_signo = sig;
    si.si_code = SI_USER; /* from outside the sandbox: pid 0, as Linux shows */
    pthread_mutex_lock(&tg->siglock);
    int r = send_locked(tg, NULL, sig, &si, true);
    pthread_mutex_unlock(&tg->siglock);
    return r;
}

int signal_send_task(struct task *t, int sig, const siginfo_t *info)
{
    if (sig < 0 || sig > KERNEL_NSIG)
        return -EINVAL;
    if (sig == 0)
        return 0;
    pthread_mutex_lock(&t->tg->siglock);
    int r = send_locked(t->tg, t, sig, info, false);
    pthread_mutex_unlock(&t->tg->siglock);
    return r;
}

void signal_force(struct task *t, int sig, const siginfo_t *info)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&tg->siglock);
    struct ksigaction *a = &tg->sighand->actions[sig - 1];
    /* A blocked or ignored synchronous signal kills: reset to default. */
    if ((t->sigmask & SIGBIT(sig)) || a->handler == SIG_IGN_V) {
        a->handler = SIG_DFL_V;
        t->sigmask &= ~SIGBIT(sig);
    }
    sigpending_add(&t->pending, sig, info);
    t->forced_sigs |= SIGBIT(sig);
    pthread_mutex_unlock(&tg->siglock);
}

void sighand_flush(struct sighand *sh)
{
    for (int i = 0; i < KERNEL_NSIG; i++) {
        struct ksigaction *a = &sh->actions[i];
        uint64_t handler = a->handler == SIG_IGN_V ? SIG_IGN_V : 0;
        memset(a, 0, sizeof(*a));
        a->handler = handler;
    }
}

void signal_exec_reset(struct task *t)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&tg->siglock);
    if (tg->sighand->refs > 1) {
        /* Unshare the handlers (vfork/CLONE_SIGHAND without threads). */
        struct sighand *n = calloc(1, sizeof(*n));
        if (n) {
            *n = *tg->sighand;
            n->refs = 1;
            __atomic_sub_fetch(&tg->sighand->refs, 1, __ATOMIC_ACQ_REL);
            tg->sighand = n;
        }
    }
    sighand_flush(tg->sighand);
    t->altstack.ss_flags = SS_DISABLE;
    t->altstack.ss_sp = NULL;
    t->altstack.ss_size = 0;
    pthread_mutex_unlock(&tg->siglock);
}

int signal_dequeue(struct task *t, uint64_t set, siginfo_t *info)
{
    struct sigpending *lists[2] = {&t->pending, &t->tg->shared_pending};
    for (int l = 0; l < 2; l++) {
        uint64_t m = lists[l]->set & set;
        if (!m)
            continue;
        int sig = __builtin_ctzll(m) + 1;
        sigpending_take(lists[l], sig, info);
        return sig;
    }
    return 0;
}

/* ---- delivery ------------------------------------------------------------ */

/* Next deliverable signal (siglock held): SIGKILL first, then synchronous
 * faults, then the lowest number; thread-private before shared. */
static int next_signal(struct task *t, siginfo_t *info)
{
    struct thread_group *tg = t->tg;
    uint64_t mine = t->pending.set & ~t->sigmask;
    uint64_t shared = tg->shared_pending.set & ~t->sigmask;
    if (shared & SIGBIT(SIGKILL)) {
        sigpending_take(&tg->shared_pending, SIGKILL, info);
        return SIGKILL;
    }
    static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS};
    for (size_t i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
        if (mine & SIGBIT(sync_sigs[i])) {
            sigpending_take(&t->pending, sync_sigs[i], info);
            return sync_sigs[i];
        }
    return signal_dequeue(t, ~t->sigmask, info);
}

/* The parent learns about a stop or continue (SIGCHLD unless SA_NOCLDSTOP). */
static void notify_parent_stop(struct thread_group *tg, int why, int sig)
{
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *p = tg->parent;
    if (p) {
        pthread_mutex_lock(&p->siglock);
        struct ksigaction *a = &p->sighand->actions[SIGCHLD - 1];
        bool nocldstop = a->flags & SA_NOCLDSTOP;
        if (!nocldstop) {
            siginfo_t si = {0};
            si.si_signo = SIGCHLD;
            si.si_code = why;
            si.si_pid = tg->tgid;
            si.si_uid = tg->leader ? tg->leader->creds.ruid : 0;
            si.si_status = sig;
            send_locked(p, NULL, SIGCHLD, &si, false);
        }
        pthread_mutex_unlock(&p->siglock);
        waitq_wake(&p->child_wait, 0, 0);
    }
    pthread_mutex_unlock(&g_kernel->lock);
}

/* Blocks while the group is stopped (siglock held on entry and exit).
 * task_block() would return at once (a stop counts as pending), so this
 * sleeps on the wake eventfd directly. */
static void do_group_stop(struct task *t)
{
    struct thread_group *tg = t->tg;
    t->state = TASK_STOPPED;
    while (tg->stopped && !tg->exiting && !t->exiting &&
           !(tg->shared_pending.set & SIGBIT(SIGKILL))) {
        pthread_mutex_unlock(&tg->siglock);
        struct pollfd pf = {t->wake_fd, POLLIN, 0};
        int acct = task_acct(t, TASK_ACCT_BLOCKED);
        poll(&pf, 1, -1);
        task_acct(t, acct);
        uint64_t v;
        ssize_t r = read(t->wake_fd, &v, sizeof(v));
        (void)r;
        pthread_mutex_lock(&tg->siglock);
    }
    t->state = TASK_RUNNING;
}

static int status_for(int sig, bool core, struct thread_group *tg)
{
    int st = sig & 0x7f;
    if (core && tg->rlimits[RLIMIT_CORE].rlim_cur != 0)
        st |= 0x80;
    return st;
}

/* Builds the rt_sigframe and points the registers at the handler. */
static int setup_frame(struct task *t, int sig, const siginfo_t *info, const struct ksigaction *act,
                       uint64_t old_mask)
{
    struct user_regs_struct *r = &t->regs.gp;
    uint64_t sp = r->rsp - 128; /* the red zone */
    bool on_alt = t->altstack.ss_flags != SS_DISABLE && t->altstack.ss_size &&
                  r->rsp >= (uint64_t)t->altstack.ss_sp &&
                  r->rsp < (uint64_t)t->altstack.ss_sp + t->altstack.ss_size;
    if ((act->flags & SA_ONSTACK) && t->altstack.ss_flags != SS_DISABLE && !on_alt &&
        t->altstack.ss_size)
        sp = (uint64_t)t->altstack.ss_sp + t->altstack.ss_size;

    /* FP state: the XSAVE area plus the trailing magic, 64-byte aligned. */
    uint32_t fsz = t->regs.fpu_size ? t->regs.fpu_size : 512;
    sp -= fsz + 4;
    sp &= ~63ull;
    uint64_t fp_addr = sp;
    uint8_t fpbuf[PLATFORM_FPU_MAX + 4];
    memcpy(fpbuf, t->regs.fpu, fsz);
    /* The software-reserved bytes (464..511) tell sigreturn what follows. */
    struct kfpx_sw_bytes sw = {0};
    sw.magic1 = FP_XSTATE_MAGIC1_K;
    sw.extended_size = fsz + 4;
    uint64_t xf = 3;
    if (fsz > 512)
        memcpy(&xf, t->regs.fpu + 512, sizeof(xf));
    sw.xfeatures = xf;
    sw.xstate_size = fsz;
    memcpy(fpbuf + 464, &sw, sizeof(sw));
    uint32_t magic2 = FP_XSTATE_MAGIC2_K;
    memcpy(fpbuf + fsz, &magic2, 4);
    if (mm_copy_out(t->mm, fp_addr, fpbuf, fsz + 4) < 0)
        return -EFAULT;

    struct rt_sigframe_k frame;
    memset(&frame, 0, sizeof(frame));
    sp -= sizeof(frame);
    sp = (sp & ~15ull) - 8; /* as after a call: (rsp + 8) % 16 == 0 */
    frame.pretcode = act->restorer;
    frame.uc.uc_flags = UC_FP_XSTATE_K | UC_SIGCONTEXT_SS_K | UC_STRICT_RESTORE_SS_K;
    frame.uc.uc_stack.ss_sp = (uint64_t)t->altstack.ss_sp;
    frame.uc.uc_stack.ss_size = t->altstack.ss_size;
    frame.uc.uc_stack.ss_flags = t->altstack.ss_flags == SS_DISABLE ? SS_DISABLE
                                 : on_alt                           ? SS_ONSTACK
                                                                    : 0;
    struct ksigcontext *sc = &frame.uc.uc_mcontext;
    sc->r8 = r->r8;
    sc->r9 = r->r9;
    sc->r10 = r->r10;
    sc->r11 = r->r11;
    sc->r12 = r->r12;
    sc->r13 = r->r13;
    sc->r14 = r->r14;
    sc->r15 = r->r15;
    sc->rdi = r->rdi;
    sc->rsi = r->rsi;
    sc->rbp = r->rbp;
    sc->rbx = r->rbx;
    sc->rdx = r->rdx;
    sc->rax = r->rax;
    sc->rcx = r->rcx;
    sc->rsp = r->rsp;
    sc->rip = r->rip;
    sc->eflags = r->eflags;
    sc->cs = 0x33;
    sc->ss = 0x2b;
    sc->oldmask = old_mask;
    sc->fpstate = fp_addr;
    if (sig == SIGSEGV || sig == SIGBUS) {
        sc->cr2 = (uint64_t)info->si_addr;
        sc->trapno = 14;
    }
    frame.uc.uc_sigmask = old_mask;
    frame.info = *info;
    if (mm_copy_out(t->mm, sp, &frame, sizeof(frame)) < 0)
        return -EFAULT;
    r->rdi = (uint64_t)sig;
    r->rsi = sp + offsetof(struct rt_sigframe_k, info);
    r->rdx = sp + offsetof(struct rt_sigframe_k, uc);
    r->rax = 0;
    r->rsp = sp;
    r->rip = act->handler;
    r->eflags &= ~(0x100ull | 0x400ull); /* TF, DF */
    r->cs = 0x33;
    r->ss = 0x2b;
    return 0;
}

long signal_sigreturn(struct task *t)
{
    struct user_regs_struct *r = &t->regs.gp;
    uint64_t frame_addr = r->rsp - 8;
    struct rt_sigframe_k frame;
    if (mm_copy_in(t->mm, frame_addr, &frame, sizeof(frame)) < 0)
        goto bad;
    struct ksigcontext *sc = &frame.uc.uc_mcontext;
    r->r8 = sc->r8;
    r->r9 = sc->r9;
    r->r10 = sc->r10;
    r->r11 = sc->r11;
    r->r12 = sc->r12;
    r->r13 = sc->r13;
    r->r14 = sc->r14;
    r->r15 = sc->r15;
    r->rdi = sc->rdi;
    r->rsi = sc->rsi;
    r->rbp = sc->rbp;
    r->rbx = sc->rbx;
    r->rdx = sc->rdx;
    r->rax = sc->rax;
    r->rcx = sc->rcx;
    r->rsp = sc->rsp;
    r->rip = sc->rip;
    /* Only the flags user code may change. */
    uint64_t fix = 0x0dd5; /* CF PF AF ZF SF TF DF OF */
    fix |= 0x40000;        /* AC */
    fix |= 0x200000;       /* ID */
    r->eflags = (r->eflags & ~fix) | (sc->eflags & fix);
    r->cs = 0x33;
    r->ss = 0x2b;
    if (sc->fpstate) {
        uint32_t fsz = t->regs.fpu_size ? t->regs.fpu_size : 512;
        if (mm_copy_in(t->mm, sc->fpstate, t->regs.fpu, fsz) < 0)
            goto bad;
        /* Keep the header sane: the platform writes it back with SETREGSET. */
        memset(t->regs.fpu + 464, 0, 48);
    }
    pthread_mutex_lock(&t->tg->siglock);
    t->sigmask = frame.uc.uc_sigmask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    pthread_mutex_unlock(&t->tg->siglock);
    /* uc_stack: as sigaltstack(2) would (errors ignored, as Linux). */
    if (frame.uc.uc_stack.ss_flags == SS_DISABLE) {
        t->altstack.ss_flags = SS_DISABLE;
    } else if (frame.uc.uc_stack.ss_size >= 2048) {
        t->altstack.ss_sp = (void *)frame.uc.uc_stack.ss_sp;
        t->altstack.ss_size = frame.uc.uc_stack.ss_size;
        t->altstack.ss_flags = 0;
    }
    return (long)r->rax;
bad : {
    siginfo_t si = {0};
    si.si_signo = SIGSEGV;
    si.si_code = SI_KERNEL;
    signal_force(t, SIGSEGV, &si);
    return (long)r->rax;
}
}

/* Terminates the whole group with a signal: never returns. */
static void die_of(struct task *t, int sig, bool core)
{
    task_exit(t, status_for(sig, core, t->tg), true);
}

void signal_deliver(struct task *t, bool after_syscall, long ret)
{
    struct thread_group *tg = t->tg;
    struct user_regs_struct *r = &t->regs.gp;
    bool restart_pending =
        after_syscall && (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
                          ret == -ERESTART_RESTARTBLOCK);
    for (;;) {
        if (t->exiting || tg->exiting)
            task_exit(t, tg->exit_status, false);
        pthread_mutex_lock(&tg->siglock);
        if (tg->stopped) {
            do_group_stop(t);
            pthread_mutex_unlock(&tg->siglock);
            continue;
        }
        siginfo_t info;
        int sig = next_signal(t, &info);
        if (!sig) {
            pthread_mutex_unlock(&tg->siglock);
            break;
        }
        bool forced = (t->forced_sigs & SIGBIT(sig)) != 0;
        t->forced_sigs &= ~SIGBIT(sig);
        struct ksigaction act = tg->sighand->actions[sig - 1];
        if (sig == SIGKILL) {
            pthread_mutex_unlock(&tg->siglock);
            die_of(t, SIGKILL, false);
        }
        if (act.handler == SIG_IGN_V) {
            pthread_mutex_unlock(&tg->siglock);
            continue;
        }
        if (act.handler == SIG_DFL_V) {
            enum sig_default d = default_action(sig);
            /* init: a default action that was queued while blocked is
             * dropped at delivery (Linux's SIGNAL_UNKILLABLE), unless the
             * kernel forced it (a fault: signal_force marks those). */
            bool fault = forced;
            if (tg->is_init && !fault) {
                pthread_mutex_unlock(&tg->siglock);
                continue;
            }
            if (d == ACT_IGNORE || d == ACT_CONT) {
                pthread_mutex_unlock(&tg->siglock);
                continue;
            }
            if (d == ACT_STOP) {
                /* Orphaned process groups are not tracked: the terminal
                 * stops apply to them too (Linux ignores them there). */
                tg->stopped = true;
                tg->stop_sig = sig;
                tg->stop_unreported = true;
                tg->cont_unreported = false;
                for (struct task *o = tg->tasks; o; o = o->tg_next)
                    if (o != t)
                        task_interrupt(o);
                pthread_mutex_unlock(&tg->siglock);
                notify_parent_stop(tg, CLD_STOPPED, sig);
                pthread_mutex_lock(&tg->siglock);
                do_group_stop(t);
                bool continued = tg->cont_unreported;
                pthread_mutex_unlock(&tg->siglock);
                if (continued)
                    notify_parent_stop(tg, CLD_CONTINUED, SIGCONT);
                continue;
            }
            pthread_mutex_unlock(&tg->siglock);
            die_of(t, sig, d == ACT_CORE);
        }
        /* A handler. Decide the fate of the interrupted syscall first. */
        if (restart_pending) {
            bool restart =
                ret == -ERESTARTNOINTR || (ret == -ERESTARTSYS && (act.flags & SA_RESTART));
            if (restart) {
                r->rax = r->orig_rax;
                r->rip -= 2;
            } else {
                r->rax = (uint64_t)-EINTR;
            }
            restart_pending = false;
        }
        uint64_t old_mask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
        t->restore_sigmask = false;
        uint64_t new_mask = t->sigmask | act.mask;
        if (!(act.flags & SA_NODEFER))
            new_mask |= SIGBIT(sig);
        if (act.flags & SA_RESETHAND)
            memset(&tg->sighand->actions[sig - 1], 0, sizeof(struct ksigaction));
        pthread_mutex_unlock(&tg->siglock);
        if (!(act.flags & SA_RESTORER_V) || setup_frame(t, sig, &info, &act, old_mask) < 0) {
            /* No way back from the handler, or the stack is bad: SIGSEGV. */
            die_of(t, SIGSEGV, true);
        }
        pthread_mutex_lock(&tg->siglock);
        t->sigmask = new_mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
        pthread_mutex_unlock(&tg->siglock);
        /* One handler frame per return to user space; others follow when
         * the handler returns (or makes a syscall). */
        break;
    }
    if (restart_pending) {
        /* No handler ran: restart transparently. */
        if (ret == -ERESTART_RESTARTBLOCK) {
            r->rax = 219; /* restart_syscall */
            r->orig_rax = 219;
        } else {
            r->rax = r->orig_rax;
        }
        r->rip -= 2;
    }
    if (t->restore_sigmask) {
        pthread_mutex_lock(&tg->siglock);
        t->sigmask = t->saved_sigmask;
        t->restore_sigmask = false;
        pthread_mutex_unlock(&tg->siglock);
    }
}
