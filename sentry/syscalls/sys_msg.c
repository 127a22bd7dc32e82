/* System V message queues: msgget, msgsnd, msgrcv, msgctl (the rules:
 * sentry/kernel/ipc/msg.c). */
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/syscalls/internal.h"

long sys_msgget(struct task *t, const struct syscall_args *args)
{
    return ipc_msgget(t, (int32_t)args->a[0], ARG_INT(1));
}

long sys_msgsnd(struct task *t, const struct syscall_args *args)
{
    return ipc_msgsnd(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_INT(3));
}

long sys_msgrcv(struct task *t, const struct syscall_args *args)
{
    return ipc_msgrcv(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), (int64_t)ARG_U64(3), ARG_INT(4));
}

long sys_msgctl(struct task *t, const struct syscall_args *args)
{
    return ipc_msgctl(t, ARG_INT(0), ARG_INT(1), ARG_U64(2));
}
