/* System V shared memory: shmget, shmat, shmdt, shmctl (the rules:
 * sentry/kernel/ipc/shm.c). */
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/syscalls/internal.h"

long sys_shmget(struct task *t, const struct syscall_args *args)
{
    return ipc_shmget(t, (int32_t)args->a[0], ARG_U64(1), ARG_INT(2));
}

long sys_shmat(struct task *t, const struct syscall_args *args)
{
    return ipc_shmat(t, ARG_INT(0), ARG_U64(1), ARG_INT(2));
}

long sys_shmdt(struct task *t, const struct syscall_args *args)
{
    return ipc_shmdt(t, ARG_U64(0));
}

long sys_shmctl(struct task *t, const struct syscall_args *args)
{
    return ipc_shmctl(t, ARG_INT(0), ARG_INT(1), ARG_U64(2));
}
