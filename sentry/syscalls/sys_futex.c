/* futex, set_robust_list's users, restart_syscall. */
#include "sentry/kernel/futex.h"
#include "sentry/syscalls/internal.h"

long sys_futex(struct task *t, const struct syscall_args *args)
{
    return futex_op(t, ARG_U64(0), ARG_INT(1), (uint32_t)args->a[2], ARG_U64(3), ARG_U64(4),
                    (uint32_t)args->a[5]);
}

long sys_restart_syscall(struct task *t, const struct syscall_args *args)
{
    long (*fn)(struct task *) = t->restart_fn;
    t->restart_fn = NULL;
    return fn ? fn(t) : -EINTR;
}
