/* getuid, geteuid, getgid, getegid, getresuid, getresgid, getgroups, umask,
 * setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid,
 * setfsgid, setgroups, capget, capset (the rules: sentry/kernel/creds.c;
 * getpgrp, getpgid, getsid: sys_process.c). */
#include <stdlib.h>

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

long sys_setuid(struct task *t, const struct syscall_args *args)
{
    return creds_setuid(t, (uint32_t)args->a[0]);
}

long sys_setgid(struct task *t, const struct syscall_args *args)
{
    return creds_setgid(t, (uint32_t)args->a[0]);
}

long sys_setreuid(struct task *t, const struct syscall_args *args)
{
    return creds_setreuid(t, (uint32_t)args->a[0], (uint32_t)args->a[1]);
}

long sys_setregid(struct task *t, const struct syscall_args *args)
{
    return creds_setregid(t, (uint32_t)args->a[0], (uint32_t)args->a[1]);
}

long sys_setresuid(struct task *t, const struct syscall_args *args)
{
    return creds_setresuid(t, (uint32_t)args->a[0], (uint32_t)args->a[1], (uint32_t)args->a[2]);
}

long sys_setresgid(struct task *t, const struct syscall_args *args)
{
    return creds_setresgid(t, (uint32_t)args->a[0], (uint32_t)args->a[1], (uint32_t)args->a[2]);
}

long sys_setfsuid(struct task *t, const struct syscall_args *args)
{
    return creds_setfsuid(t, (uint32_t)args->a[0]);
}

long sys_setfsgid(struct task *t, const struct syscall_args *args)
{
    return creds_setfsgid(t, (uint32_t)args->a[0]);
}

long sys_setgroups(struct task *t, const struct syscall_args *args)
{
    int n = ARG_INT(0);
    if (!creds_capable(&t->creds, CREDS_CAP_SETGID))
        return -EPERM;
    if (n < 0 || n > CREDS_NGROUPS_MAX)
        return -EINVAL;
    uint32_t *groups = NULL;
    if (n > 0) {
        groups = malloc((size_t)n * sizeof(uint32_t));
        if (!groups)
            return -ENOMEM;
        int r = mm_copy_in(t->mm, ARG_U64(1), groups, (size_t)n * sizeof(uint32_t));
        if (r < 0) {
            free(groups);
            return r;
        }
    }
    int r = creds_setgroups(t, groups, n);
    free(groups);
    return r;
}

/* ---- capget / capset ---------------------------------------------------------- */

#define CAP_V1 0x19980330u
#define CAP_V2 0x20071026u
#define CAP_V3 0x20080522u

struct cap_header {
    uint32_t version;
    int32_t pid;
};

struct cap_data {
    uint32_t effective, permitted, inheritable;
};

/* The header's version: how many cap_data words it moves (1 or 2), or
 * -EINVAL after writing the version this kernel prefers (or -EFAULT). */
static int cap_words(struct task *t, uint64_t hdr, struct cap_header *h)
{
    int r = mm_copy_in(t->mm, hdr, h, sizeof(*h));
    if (r < 0)
        return r;
    if (h->version == CAP_V1)
        return 1;
    if (h->version == CAP_V2 || h->version == CAP_V3)
        return 2;
    uint32_t v = CAP_V3;
    r = mm_copy_out(t->mm, hdr, &v, sizeof(v));
    return r < 0 ? r : -EINVAL;
}

long sys_capget(struct task *t, const struct syscall_args *args)
{
    struct cap_header h;
    int words = cap_words(t, ARG_U64(0), &h);
    uint64_t data = ARG_U64(1);
    if (!data)
        return words == -EINVAL || words > 0 ? 0 : words;
    if (words < 0)
        return words;
    if (h.pid < 0)
        return -EINVAL;
    uint64_t e, p, i;
    if (h.pid == 0 || h.pid == t->tid) {
        e = t->creds.cap_effective;
        p = t->creds.cap_permitted;
        i = t->creds.cap_inheritable;
    } else {
        pthread_mutex_lock(&g_kernel->lock);
        struct task *o = kernel_find_task_locked(h.pid);
        if (o) {
            e = o->creds.cap_effective;
            p = o->creds.cap_permitted;
            i = o->creds.cap_inheritable;
        }
        pthread_mutex_unlock(&g_kernel->lock);
        if (!o)
            return -ESRCH;
    }
    struct cap_data d[2] = {
        {(uint32_t)e, (uint32_t)p, (uint32_t)i},
        {(uint32_t)(e >> 32), (uint32_t)(p >> 32), (uint32_t)(i >> 32)},
    };
    return mm_copy_out(t->mm, data, d, (size_t)words * sizeof(d[0]));
}

long sys_capset(struct task *t, const struct syscall_args *args)
{
    struct cap_header h;
    int words = cap_words(t, ARG_U64(0), &h);
    if (words < 0)
        return words;
    if (h.pid != 0 && h.pid != t->tid)
        return -EPERM;
    struct cap_data d[2] = {{0}};
    int r = mm_copy_in(t->mm, ARG_U64(1), d, (size_t)words * sizeof(d[0]));
    if (r < 0)
        return r;
    return creds_capset(t, d[0].effective | (uint64_t)d[1].effective << 32,
                        d[0].permitted | (uint64_t)d[1].permitted << 32,
                        d[0].inheritable | (uint64_t)d[1].inheritable << 32);
}
