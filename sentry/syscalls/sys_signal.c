/* rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigpending, rt_sigreturn,
 * rt_sigsuspend, pause, rt_sigtimedwait, rt_sigqueueinfo,
 * rt_tgsigqueueinfo. (kill/tkill/tgkill are in sys_process.c.) */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/process.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/syscalls/internal.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
/* Linux's MINSIGSTKSZ for x86-64 (glibc's macro is a sysconf call). */
#define KERNEL_MINSIGSTKSZ 2048
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

long sys_rt_sigaction(struct task *t, const struct syscall_args *args)
{
    int sig = ARG_INT(0);
    if (ARG_U64(3) != 8)
        return -EINVAL;
    if (sig < 1 || sig > KERNEL_NSIG)
        return -EINVAL;
    struct ksigaction act = {0};
    if (ARG_U64(1)) {
        if (sig == SIGKILL || sig == SIGSTOP)
            return -EINVAL;
        int r = mm_copy_in(t->mm, ARG_U64(1), &act, sizeof(act));
        if (r < 0)
            return r;
        act.mask &= ~UNBLOCKABLE;
    }
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&tg->siglock);
    struct ksigaction old = tg->sighand->actions[sig - 1];
    if (ARG_U64(1)) {
        tg->sighand->actions[sig - 1] = act;
        /* Setting SIG_IGN (or SIG_DFL for an ignore-by-default signal)
         * discards what is pending (POSIX). */
        bool discard = act.handler == 1 ||
                       (act.handler == 0 && (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH));
        if (discard) {
            tg->shared_pending.set &= ~SIGBIT(sig);
            for (struct task *o = tg->tasks; o; o = o->tg_next)
                o->pending.set &= ~SIGBIT(sig);
        }
    }
    pthread_mutex_unlock(&tg->siglock);
    if (ARG_U64(2))
        return mm_copy_out(t->mm, ARG_U64(2), &old, sizeof(old));
    return 0;
}

long sys_rt_sigprocmask(struct task *t, const struct syscall_args *args)
{
    int how = ARG_INT(0);
    if (ARG_U64(3) != 8)
        return -EINVAL;
    uint64_t set = 0;
    if (ARG_U64(1)) {
        int r = mm_copy_in(t->mm, ARG_U64(1), &set, sizeof(set));
        if (r < 0)
            return r;
        if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
            return -EINVAL;
    }
    pthread_mutex_lock(&t->tg->siglock);
    uint64_t old = t->sigmask;
    if (ARG_U64(1)) {
        if (how == SIG_BLOCK)
            t->sigmask |= set;
        else if (how == SIG_UNBLOCK)
            t->sigmask &= ~set;
        else
            t->sigmask = set;
        t->sigmask &= ~UNBLOCKABLE;
    }
    pthread_mutex_unlock(&t->tg->siglock);
    if (ARG_U64(2))
        return mm_copy_out(t->mm, ARG_U64(2), &old, sizeof(old));
    return 0;
}

long sys_sigaltstack(struct task *t, const struct syscall_args *args)
{
    stack_t old = t->altstack;
    uint64_t sp = t->regs.gp.rsp;
    bool on = old.ss_flags != SS_DISABLE && old.ss_size && sp >= (uint64_t)old.ss_sp &&
              sp < (uint64_t)old.ss_sp + old.ss_size;
    if (on)
        old.ss_flags = SS_ONSTACK;
    if (ARG_U64(0)) {
        stack_t ss;
        int r = mm_copy_in(t->mm, ARG_U64(0), &ss, sizeof(ss));
        if (r < 0)
            return r;
        if (on)
            return -EPERM;
        int mode = ss.ss_flags & ~(int)SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            ss.ss_sp = NULL;
            ss.ss_size = 0;
            ss.ss_flags = SS_DISABLE;
        } else {
            if (ss.ss_size < KERNEL_MINSIGSTKSZ)
                return -ENOMEM;
            ss.ss_flags = 0;
        }
        t->altstack = ss;
    }
    if (ARG_U64(1))
        return mm_copy_out(t->mm, ARG_U64(1), &old, sizeof(old));
    return 0;
}

long sys_rt_sigpending(struct task *t, const struct syscall_args *args)
{
    uint64_t size = ARG_U64(1);
    if (size > 8)
        return -EINVAL;
    pthread_mutex_lock(&t->tg->siglock);
    uint64_t pending = (t->pending.set | t->tg->shared_pending.set) & t->sigmask;
    pthread_mutex_unlock(&t->tg->siglock);
    return mm_copy_out(t->mm, ARG_U64(0), &pending, size);
}

long sys_rt_sigreturn(struct task *t, const struct syscall_args *args)
{
    signal_sigreturn(t);
    return SYSCALL_RETURN_REGS;
}

/* Waits (interruptibly) until a signal needs attention. */
static long wait_for_signal(struct task *t)
{
    while (task_block(t, NULL) != -EINTR) {
    }
    return -ERESTARTNOHAND;
}

long sys_pause(struct task *t, const struct syscall_args *args)
{
    return wait_for_signal(t);
}

long sys_rt_sigsuspend(struct task *t, const struct syscall_args *args)
{
    if (ARG_U64(1) != 8)
        return -EINVAL;
    uint64_t mask;
    int r = mm_copy_in(t->mm, ARG_U64(0), &mask, sizeof(mask));
    if (r < 0)
        return r;
    pthread_mutex_lock(&t->tg->siglock);
    t->saved_sigmask = t->sigmask;
    t->restore_sigmask = true;
    t->sigmask = mask & ~UNBLOCKABLE;
    pthread_mutex_unlock(&t->tg->siglock);
    return wait_for_signal(t);
}

long sys_rt_sigtimedwait(struct task *t, const struct syscall_args *args)
{
    if (ARG_U64(3) != 8)
        return -EINVAL;
    uint64_t set;
    int r = mm_copy_in(t->mm, ARG_U64(0), &set, sizeof(set));
    if (r < 0)
        return r;
    set &= ~UNBLOCKABLE;
    struct timespec deadline, *dl = NULL;
    if (ARG_U64(2)) {
        struct timespec ts;
        r = mm_copy_in(t->mm, ARG_U64(2), &ts, sizeof(ts));
        if (r < 0)
            return r;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
            return -EINVAL;
        deadline_after(&deadline, &ts);
        dl = &deadline;
    }
    /* Wait on the group's sigqueue_wq (woken whenever a signal is queued,
     * blocked or not) rather than unblocking the set: the set stays blocked,
     * so its signals are never dropped as ignored (pid 1, SIG_DFL). */
    siginfo_t info;
    int sig = 0;
    struct waiter w = {.t = t, .events = POLLIN};
    waitq_add(&t->tg->sigqueue_wq, &w);
    for (;;) {
        pthread_mutex_lock(&t->tg->siglock);
        sig = signal_dequeue(t, set, &info);
        pthread_mutex_unlock(&t->tg->siglock);
        if (sig)
            break;
        r = task_block(t, dl);
        if (r == -ETIMEDOUT || r == -EINTR) {
            pthread_mutex_lock(&t->tg->siglock);
            sig = signal_dequeue(t, set, &info);
            pthread_mutex_unlock(&t->tg->siglock);
            if (!sig) {
                waitq_remove(&t->tg->sigqueue_wq, &w);
                return r == -ETIMEDOUT ? -EAGAIN : -EINTR;
            }
            break;
        }
    }
    waitq_remove(&t->tg->sigqueue_wq, &w);
    if (ARG_U64(1)) {
        r = mm_copy_out(t->mm, ARG_U64(1), &info, sizeof(info));
        if (r < 0)
            return r;
    }
    return sig;
}

static long queueinfo(struct task *t, int tgid, int tid, int sig, uint64_t uinfo)
{
    siginfo_t si;
    int r = mm_copy_in(t->mm, uinfo, &si, sizeof(si));
    if (r < 0)
        return r;
    /* Only the kernel may claim to be the kernel or kill(). */
    bool self = tgid == t->tg->tgid;
    if ((si.si_code >= 0 || si.si_code == SI_TKILL) && !self)
        return -EPERM;
    si.si_signo = sig;
    if (tid > 0)
        return process_tgkill(t, tgid, tid, sig, &si);
    return process_kill(t, tgid, sig, &si);
}

long sys_rt_sigqueueinfo(struct task *t, const struct syscall_args *args)
{
    if (ARG_INT(0) <= 0)
        return -ESRCH;
    return queueinfo(t, ARG_INT(0), 0, ARG_INT(1), ARG_U64(2));
}

long sys_rt_tgsigqueueinfo(struct task *t, const struct syscall_args *args)
{
    if (ARG_INT(0) <= 0 || ARG_INT(1) <= 0)
        return -EINVAL;
    return queueinfo(t, ARG_INT(0), ARG_INT(1), ARG_INT(2), ARG_U64(3));
}
