/* Dispatch of application system calls. */
#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/syscalls/syscalls.h"

const char *syscall_name(unsigned long nr)
{
    return nr < SYSCALL_NR_MAX ? g_syscall_names[nr] : NULL;
}

static void report_enosys(unsigned long nr)
{
    struct kernel *k = g_kernel;
    k->enosys_count++;
    if (nr >= 512) {
        log_warn("unsupported syscall %lu", nr);
        return;
    }
    uint64_t bit = 1ull << (nr % 64);
    uint64_t old = atomic_fetch_or(&k->enosys_logged[nr / 64], bit);
    if (old & bit)
        return;
    const char *name = syscall_name(nr);
    const char *why = nr < SYSCALL_NR_MAX && g_syscall_table[nr].note ? g_syscall_table[nr].note
                                                                      : "not implemented";
    log_warn("unsupported syscall %s (%lu): %s", name ? name : "?", nr, why);
}

long syscall_dispatch(struct task *t)
{
    struct user_regs_struct *r = &t->regs.gp;
    unsigned long nr = r->orig_rax;
    struct syscall_args a = {{r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9}};
    long ret;
    if (seccomp_active(t) && !seccomp_syscall_enter(t, nr, a.a, &ret)) {
        /* The filter decided the result (an errno, or SIGSYS is forced). */
    } else if (nr < SYSCALL_NR_MAX && g_syscall_table[nr].fn) {
        ret = g_syscall_table[nr].fn(t, &a);
    } else {
        report_enosys(nr);
        ret = -ENOSYS;
    }
    if (ret == SYSCALL_RETURN_REGS)
        return SYSCALL_NO_RESTART;
    r->rax = (uint64_t)ret;
    return ret;
}

void syscall_print_table(FILE *f)
{
    int n_sup = 0, n_part = 0, n_no = 0;
    fprintf(f, "%-4s %-24s %-10s %s\n", "NR", "NAME", "STATUS", "NOTE");
    for (unsigned i = 0; i < SYSCALL_NR_MAX; i++) {
        const char *name = g_syscall_names[i];
        if (!name)
            continue;
        const struct syscall_entry *e = &g_syscall_table[i];
        const char *st = "ENOSYS";
        if (e->fn && e->status == SYSCALL_PARTIAL) {
            st = "PARTIAL";
            n_part++;
        } else if (e->fn) {
            st = "SUPPORTED";
            n_sup++;
        } else {
            n_no++;
        }
        fprintf(f, "%-4u %-24s %-10s %s\n", i, name, st,
                e->note ? e->note : (e->fn ? "" : "not implemented yet"));
    }
    fprintf(f, "\n%d supported, %d partial, %d not implemented\n", n_sup, n_part, n_no);
}
