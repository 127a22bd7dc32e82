/* seccomp(2), and prctl's PR_SET_SECCOMP / PR_GET_SECCOMP (called from
 * sys_prctl). The filters themselves live in sentry/kernel/seccomp.c. */
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "sentry/kernel/seccomp.h"
#include "sentry/syscalls/internal.h"

/* The SET_MODE_FILTER flags the sentry implements. NEW_LISTENER (and
 * WAIT_KILLABLE_RECV, which needs it) would need user notification: EINVAL. */
#define FILTER_FLAGS_OK                                                                            \
    (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |        \
     SECCOMP_FILTER_FLAG_TSYNC_ESRCH)

/* struct sock_fprog as the application passes it (x86-64 layout). */
struct user_fprog {
    uint16_t len;
    uint16_t pad[3];
    uint64_t filter;
};

static long set_mode_filter(struct task *t, uint64_t flags, uint64_t uprog)
{
    if (flags & ~(uint64_t)FILTER_FLAGS_OK)
        return -EINVAL;
    struct user_fprog fp;
    int r = mm_copy_in(t->mm, uprog, &fp, sizeof(fp));
    if (r < 0)
        return r;
    if (fp.len == 0 || fp.len > SECCOMP_MAX_INSNS)
        return -EINVAL;
    /* Unprivileged filters need no_new_privs (a filter could otherwise
     * fool a set-uid program). */
    if (!t->creds.no_new_privs && !(t->creds.cap_effective & (1ull << CAP_SYS_ADMIN)))
        return -EACCES;
    size_t bytes = (size_t)fp.len * sizeof(struct sock_filter);
    struct sock_filter *insns = malloc(bytes);
    if (!insns)
        return -ENOMEM;
    r = mm_copy_in(t->mm, fp.filter, insns, bytes);
    long ret = r < 0 ? r : seccomp_set_filter(t, (unsigned)flags, insns, fp.len);
    free(insns);
    return ret;
}

static long get_action_avail(struct task *t, uint64_t uaction)
{
    uint32_t action;
    int r = mm_copy_in(t->mm, uaction, &action, sizeof(action));
    if (r < 0)
        return r;
    switch (action) {
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_TRAP:
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_TRACE:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_ALLOW:
        return 0;
    default: /* SECCOMP_RET_USER_NOTIF: no listeners */
        return -EOPNOTSUPP;
    }
}

static long do_seccomp(struct task *t, uint64_t op, uint64_t flags, uint64_t uargs)
{
    switch (op) {
    case SECCOMP_SET_MODE_STRICT:
        if (flags || uargs)
            return -EINVAL;
        return seccomp_set_strict(t);
    case SECCOMP_SET_MODE_FILTER:
        return set_mode_filter(t, flags, uargs);
    case SECCOMP_GET_ACTION_AVAIL:
        if (flags)
            return -EINVAL;
        return get_action_avail(t, uargs);
    case SECCOMP_GET_NOTIF_SIZES: {
        if (flags)
            return -EINVAL;
        struct seccomp_notif_sizes sz = {.seccomp_notif = sizeof(struct seccomp_notif),
                                         .seccomp_notif_resp = sizeof(struct seccomp_notif_resp),
                                         .seccomp_data = sizeof(struct seccomp_data)};
        return mm_copy_out(t->mm, uargs, &sz, sizeof(sz));
    }
    default:
        return -EINVAL;
    }
}

long sys_seccomp(struct task *t, const struct syscall_args *args)
{
    return do_seccomp(t, (uint32_t)ARG_U64(0), (uint32_t)ARG_U64(1), ARG_U64(2));
}

long sys_prctl_seccomp(struct task *t, int op, uint64_t mode, uint64_t filter)
{
    if (op == PR_GET_SECCOMP)
        return __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE);
    switch (mode) {
    case SECCOMP_MODE_STRICT:
        return do_seccomp(t, SECCOMP_SET_MODE_STRICT, 0, 0);
    case SECCOMP_MODE_FILTER:
        return do_seccomp(t, SECCOMP_SET_MODE_FILTER, 0, filter);
    default:
        return -EINVAL;
    }
}
