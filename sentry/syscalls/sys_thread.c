/* arch_prctl, set_tid_address, set_robust_list, get_robust_list, exit,
 * exit_group, getpid, gettid, getppid, prctl. */
#include <asm/prctl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>

#include "sentry/syscalls/internal.h"

long sys_arch_prctl(struct task *t, const struct syscall_args *args)
{
    int code = ARG_INT(0);
    uint64_t addr = ARG_U64(1);
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= MM_TASK_SIZE)
            return -EPERM;
        t->regs.gp.fs_base = addr;
        return 0;
    case ARCH_GET_FS:
        return mm_copy_out(t->mm, addr, &t->regs.gp.fs_base, sizeof(uint64_t));
    case ARCH_SET_GS:
        if (addr >= MM_TASK_SIZE)
            return -EPERM;
        t->regs.gp.gs_base = addr;
        return 0;
    case ARCH_GET_GS:
        return mm_copy_out(t->mm, addr, &t->regs.gp.gs_base, sizeof(uint64_t));
    case ARCH_GET_CPUID:
        return 1; /* cpuid is not faulting */
    case ARCH_SET_CPUID:
        return -ENODEV;
    default:
        return -EINVAL;
    }
}

long sys_set_tid_address(struct task *t, const struct syscall_args *args)
{
    t->clear_child_tid = ARG_U64(0);
    return t->tid;
}

long sys_set_robust_list(struct task *t, const struct syscall_args *args)
{
    if (ARG_U64(1) != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    t->robust_list = ARG_U64(0);
    t->robust_list_len = ARG_U64(1);
    return 0;
}

long sys_get_robust_list(struct task *t, const struct syscall_args *args)
{
    int pid = ARG_INT(0);
    if (pid != 0 && pid != t->tid)
        return -ESRCH;
    uint64_t len = 24;
    int r = mm_copy_out(t->mm, ARG_U64(1), &t->robust_list, sizeof(uint64_t));
    if (r == 0)
        r = mm_copy_out(t->mm, ARG_U64(2), &len, sizeof(len));
    return r;
}

long sys_exit(struct task *t, const struct syscall_args *args)
{
    task_exit(t, (ARG_INT(0) & 0xff) << 8, false);
}

long sys_exit_group(struct task *t, const struct syscall_args *args)
{
    task_exit(t, (ARG_INT(0) & 0xff) << 8, true);
}

long sys_getpid(struct task *t, const struct syscall_args *args)
{
    return t->tg->tgid;
}

long sys_gettid(struct task *t, const struct syscall_args *args)
{
    return t->tid;
}

long sys_getppid(struct task *t, const struct syscall_args *args)
{
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *p = t->tg->parent;
    long r = p ? p->tgid : 0;
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

long sys_prctl(struct task *t, const struct syscall_args *args)
{
    int op = ARG_INT(0);
    uint64_t a2 = ARG_U64(1);
    switch (op) {
    case PR_SET_NAME: {
        char name[16];
        ssize_t n = mm_copy_in_string(t->mm, a2, name, sizeof(name));
        if (n == -ENAMETOOLONG) {
            int r = mm_copy_in(t->mm, a2, name, sizeof(name) - 1);
            if (r < 0)
                return r;
            name[15] = '\0';
        } else if (n < 0) {
            return n;
        }
        memcpy(t->comm, name, sizeof(name));
        return 0;
    }
    case PR_GET_NAME:
        return mm_copy_out(t->mm, a2, t->comm, sizeof(t->comm));
    case PR_SET_NO_NEW_PRIVS:
        if (a2 != 1 || args->a[2] || args->a[3] || args->a[4])
            return -EINVAL;
        if (!t->creds.no_new_privs) {
            struct creds n = t->creds;
            n.no_new_privs = true;
            creds_commit(t, &n);
        }
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        if (a2 || args->a[2] || args->a[3] || args->a[4])
            return -EINVAL;
        return t->creds.no_new_privs;
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
        return a2 <= 1 ? 0 : -EINVAL;
    case PR_SET_PDEATHSIG:
        if (a2 > KERNEL_NSIG)
            return -EINVAL;
        t->pdeath_signal = (int)a2;
        return 0;
    case PR_GET_PDEATHSIG:
        return mm_copy_out(t->mm, a2, &t->pdeath_signal, sizeof(int));
    case PR_SET_CHILD_SUBREAPER:
        pthread_mutex_lock(&g_kernel->lock);
        t->tg->subreaper = a2 != 0;
        pthread_mutex_unlock(&g_kernel->lock);
        return 0;
    case PR_GET_CHILD_SUBREAPER: {
        int v = t->tg->subreaper;
        return mm_copy_out(t->mm, a2, &v, sizeof(v));
    }
    case PR_GET_SECCOMP:
    case PR_SET_SECCOMP:
        return sys_prctl_seccomp(t, op, a2, args->a[2]);
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
    case PR_GET_KEEPCAPS:
    case PR_SET_KEEPCAPS:
    case PR_GET_SECUREBITS:
    case PR_SET_SECUREBITS:
    case PR_CAP_AMBIENT:
        return creds_prctl(t, op, a2, args->a[2], args->a[3], args->a[4]);
    default:
        return -EINVAL;
    }
}
