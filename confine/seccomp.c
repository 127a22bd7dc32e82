/* Building and loading a host seccomp filter from a rule table (seccomp.h). */
#include "confine/seccomp.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MAX_NR 1024 /* above every x86-64 syscall number */

static bool listed(const bool *set, int nr)
{
    return nr >= 0 && nr < MAX_NR && set[nr];
}

int confine_seccomp_load(uint32_t def, const struct confine_rule *rules, size_t n_rules,
                         const int *allow, const struct confine_errno_rule *errnos, size_t n_errnos)
{
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx)
        return -ENOMEM;
    /* Every thread, raw errnos, and a foreign architecture kills as well. */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);

    bool outright[MAX_NR] = {false};
    for (size_t i = 0; r == 0 && allow && allow[i] != -1; i++) {
        int nr = allow[i];
        if (nr < 0 || nr >= MAX_NR || outright[nr])
            continue;
        outright[nr] = true;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    for (size_t i = 0; r == 0 && i < n_rules; i++) {
        if (listed(outright, rules[i].nr))
            continue; /* allowed outright: a condition here would change nothing */
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, rules[i].nr, rules[i].argc, rules[i].args);
    }
    /* abort() and raise() signal this process only. */
    if (r == 0 && !listed(outright, SCMP_SYS(tgkill)))
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    for (size_t i = 0; r == 0 && i < n_errnos; i++)
        if (!listed(outright, errnos[i].nr))
            r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(errnos[i].err), errnos[i].nr, 0);
    if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        r = -errno;
    if (r == 0)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    return r > 0 ? -ESRCH : r; /* TSYNC: a thread that could not be synchronised */
}

size_t confine_seccomp_count(const struct confine_rule *rules, size_t n)
{
    bool seen[MAX_NR] = {false};
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int nr = rules[i].nr;
        if (nr >= 0 && nr < MAX_NR && !seen[nr]) {
            seen[nr] = true;
            count++;
        }
    }
    return seen[SCMP_SYS(tgkill)] ? count : count + 1;
}
