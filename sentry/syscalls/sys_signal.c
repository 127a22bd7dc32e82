/* rt_sigaction, rt_sigprocmask, sigaltstack: recorded now; delivery comes
 * with the signals issue (the table marks them PARTIAL). */
#include <signal.h>
#include <string.h>

#include "sentry/syscalls/internal.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
/* Linux's MINSIGSTKSZ for x86-64 (glibc's macro is a sysconf call). */
#define KERNEL_MINSIGSTKSZ 2048

#define SIG_BIT(s) (1ull << ((s)-1))
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

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
    pthread_mutex_lock(&t->tg->lock);
    struct ksigaction old = t->tg->actions[sig - 1];
    if (ARG_U64(1))
        t->tg->actions[sig - 1] = act;
    pthread_mutex_unlock(&t->tg->lock);
    if (ARG_U64(2))
        return mm_copy_out(t->mm, ARG_U64(2), &old, sizeof(old));
    return 0;
}

long sys_rt_sigprocmask(struct task *t, const struct syscall_args *args)
{
    int how = ARG_INT(0);
    if (ARG_U64(3) != 8)
        return -EINVAL;
    uint64_t old = t->sigmask;
    if (ARG_U64(1)) {
        uint64_t set;
        int r = mm_copy_in(t->mm, ARG_U64(1), &set, sizeof(set));
        if (r < 0)
            return r;
        switch (how) {
        case SIG_BLOCK:
            t->sigmask |= set;
            break;
        case SIG_UNBLOCK:
            t->sigmask &= ~set;
            break;
        case SIG_SETMASK:
            t->sigmask = set;
            break;
        default:
            return -EINVAL;
        }
        t->sigmask &= ~UNBLOCKABLE;
    }
    if (ARG_U64(2))
        return mm_copy_out(t->mm, ARG_U64(2), &old, sizeof(old));
    return 0;
}

long sys_sigaltstack(struct task *t, const struct syscall_args *args)
{
    stack_t old = t->altstack;
    if (ARG_U64(0)) {
        stack_t ss;
        int r = mm_copy_in(t->mm, ARG_U64(0), &ss, sizeof(ss));
        if (r < 0)
            return r;
        int mode = ss.ss_flags & ~(int)SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            ss.ss_sp = NULL;
            ss.ss_size = 0;
        } else if (ss.ss_size < KERNEL_MINSIGSTKSZ) {
            return -ENOMEM;
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
    uint64_t pending = t->sigpending & t->sigmask;
    return mm_copy_out(t->mm, ARG_U64(0), &pending, size);
}
