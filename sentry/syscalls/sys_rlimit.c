/* prlimit64, getrlimit, setrlimit. */
#include <sys/resource.h>

#include "sentry/syscalls/internal.h"

static long do_prlimit(struct task *t, int pid, unsigned res, uint64_t new_addr, uint64_t old_addr)
{
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    if (pid != 0 && pid != t->tg->tgid)
        return -ESRCH;
    struct rlimit nl;
    if (new_addr) {
        int r = mm_copy_in(t->mm, new_addr, &nl, sizeof(nl));
        if (r < 0)
            return r;
        if (nl.rlim_cur > nl.rlim_max)
            return -EINVAL;
        if (res == RLIMIT_NOFILE && nl.rlim_max > 1048576)
            return -EPERM; /* above fs.nr_open */
    }
    pthread_mutex_lock(&t->tg->siglock);
    struct rlimit old = t->tg->rlimits[res];
    if (new_addr) {
        /* Raising the hard limit needs CAP_SYS_RESOURCE. */
        if (nl.rlim_max > old.rlim_max && !creds_capable(&t->creds, CREDS_CAP_SYS_RESOURCE)) {
            pthread_mutex_unlock(&t->tg->siglock);
            return -EPERM;
        }
        t->tg->rlimits[res] = nl;
    }
    pthread_mutex_unlock(&t->tg->siglock);
    if (old_addr)
        return mm_copy_out(t->mm, old_addr, &old, sizeof(old));
    return 0;
}

long sys_prlimit64(struct task *t, const struct syscall_args *args)
{
    return do_prlimit(t, ARG_INT(0), (unsigned)args->a[1], ARG_U64(2), ARG_U64(3));
}

long sys_getrlimit(struct task *t, const struct syscall_args *args)
{
    return do_prlimit(t, 0, (unsigned)args->a[0], 0, ARG_U64(1));
}

long sys_setrlimit(struct task *t, const struct syscall_args *args)
{
    return do_prlimit(t, 0, (unsigned)args->a[0], ARG_U64(1), 0);
}
