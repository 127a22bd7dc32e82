/* System V semaphores: semget, semop, semtimedop, semctl (the rules:
 * sentry/kernel/ipc/sem.c). */
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/syscalls/internal.h"

long sys_semget(struct task *t, const struct syscall_args *args)
{
    return ipc_semget(t, (int32_t)args->a[0], ARG_INT(1), ARG_INT(2));
}

long sys_semop(struct task *t, const struct syscall_args *args)
{
    return ipc_semtimedop(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), 0);
}

long sys_semtimedop(struct task *t, const struct syscall_args *args)
{
    return ipc_semtimedop(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_U64(3));
}

long sys_semctl(struct task *t, const struct syscall_args *args)
{
    return ipc_semctl(t, ARG_INT(0), ARG_INT(1), ARG_INT(2), ARG_U64(3));
}
