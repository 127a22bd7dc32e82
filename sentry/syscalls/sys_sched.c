/* sched_getaffinity, sched_setaffinity, sched_yield, getcpu,
 * sched_getscheduler, sched_getparam. */
#include <sched.h>

#include "sentry/syscalls/internal.h"

static int check_pid(struct task *t, int pid)
{
    if (pid < 0)
        return -EINVAL;
    if (pid != 0 && pid != t->tid && pid != t->tg->tgid)
        return -ESRCH; /* other tasks: not supported (PARTIAL in the table) */
    return 0;
}

long sys_sched_getaffinity(struct task *t, const struct syscall_args *args)
{
    uint64_t len = ARG_U64(1);
    int r = check_pid(t, ARG_INT(0));
    if (r < 0)
        return r;
    if (len < sizeof(uint64_t) || (len & (sizeof(uint64_t) - 1)))
        return -EINVAL;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return -errno;
    uint64_t mask = 0;
    for (int i = 0; i < 64; i++)
        if (CPU_ISSET(i, &set))
            mask |= 1ull << i;
    r = mm_copy_out(t->mm, ARG_U64(2), &mask, sizeof(mask));
    return r < 0 ? r : (long)sizeof(mask);
}

long sys_sched_setaffinity(struct task *t, const struct syscall_args *args)
{
    int r = check_pid(t, ARG_INT(0));
    if (r < 0)
        return r;
    uint64_t len = ARG_U64(1);
    uint64_t mask = 0;
    if (len == 0)
        return -EINVAL;
    r = mm_copy_in(t->mm, ARG_U64(2), &mask, len < 8 ? len : 8);
    if (r < 0)
        return r;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return -errno;
    uint64_t avail = 0;
    for (int i = 0; i < 64; i++)
        if (CPU_ISSET(i, &set))
            avail |= 1ull << i;
    return (mask & avail) ? 0 : -EINVAL;
}

long sys_sched_yield(struct task *t, const struct syscall_args *args)
{
    sched_yield();
    return 0;
}

long sys_getcpu(struct task *t, const struct syscall_args *args)
{
    unsigned cpu = (unsigned)sched_getcpu(), node = 0;
    if (ARG_U64(0)) {
        int r = mm_copy_out(t->mm, ARG_U64(0), &cpu, sizeof(cpu));
        if (r < 0)
            return r;
    }
    if (ARG_U64(1))
        return mm_copy_out(t->mm, ARG_U64(1), &node, sizeof(node));
    return 0;
}

long sys_sched_getscheduler(struct task *t, const struct syscall_args *args)
{
    int r = check_pid(t, ARG_INT(0));
    return r < 0 ? r : SCHED_OTHER;
}

long sys_sched_getparam(struct task *t, const struct syscall_args *args)
{
    int r = check_pid(t, ARG_INT(0));
    if (r < 0)
        return r;
    if (!ARG_U64(1))
        return -EINVAL;
    int prio = 0;
    return mm_copy_out(t->mm, ARG_U64(1), &prio, sizeof(prio));
}
