/* getuid, geteuid, getgid, getegid, getresuid, getresgid, getgroups, umask,
 * (getpgrp, getpgid, getsid: sys_process.c). */
#include "sentry/syscalls/internal.h"

long sys_getuid(struct task *t, const struct syscall_args *args)
{
    return t->creds.ruid;
}

long sys_geteuid(struct task *t, const struct syscall_args *args)
{
    return t->creds.euid;
}

long sys_getgid(struct task *t, const struct syscall_args *args)
{
    return t->creds.rgid;
}

long sys_getegid(struct task *t, const struct syscall_args *args)
{
    return t->creds.egid;
}

static long three(struct task *t, const struct syscall_args *args, uint32_t a, uint32_t b,
                  uint32_t c)
{
    int r = mm_copy_out(t->mm, ARG_U64(0), &a, 4);
    if (r == 0)
        r = mm_copy_out(t->mm, ARG_U64(1), &b, 4);
    if (r == 0)
        r = mm_copy_out(t->mm, ARG_U64(2), &c, 4);
    return r;
}

long sys_getresuid(struct task *t, const struct syscall_args *args)
{
    return three(t, args, t->creds.ruid, t->creds.euid, t->creds.suid);
}

long sys_getresgid(struct task *t, const struct syscall_args *args)
{
    return three(t, args, t->creds.rgid, t->creds.egid, t->creds.sgid);
}

long sys_getgroups(struct task *t, const struct syscall_args *args)
{
    int size = ARG_INT(0);
    if (size < 0)
        return -EINVAL;
    int n = t->creds.ngroups;
    if (size == 0)
        return n;
    if (size < n)
        return -EINVAL;
    int r = mm_copy_out(t->mm, ARG_U64(1), t->creds.groups, (size_t)n * 4);
    return r < 0 ? r : n;
}

long sys_umask(struct task *t, const struct syscall_args *args)
{
    pthread_mutex_lock(&t->fs->lock);
    uint32_t old = t->fs->umask;
    t->fs->umask = (uint32_t)args->a[0] & 0777;
    pthread_mutex_unlock(&t->fs->lock);
    return old;
}
