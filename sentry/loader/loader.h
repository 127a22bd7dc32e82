/* The ELF loader: static, static-PIE and dynamic (PT_INTERP) x86-64
 * executables; the initial stack with argv, envp and auxv.
 * (#! scripts are resolved by execve before the loader, next issue.) */
#pragma once

#include "sentry/kernel/kernel.h"

struct loader_result {
    uint64_t entry;     /* where execution starts (interpreter's entry if any) */
    uint64_t sp;        /* initial stack pointer */
    uint64_t brk_start; /* end of the main image */
    /* The credentials after the exec (creds_exec; they share t's groups
     * array): the caller installs them with creds_commit once the exec
     * cannot fail any more. */
    struct creds creds;
};

/* Loads path (resolved with t's root/cwd/creds) into the empty mm and builds
 * the stack. Errors: -ENOENT, -EACCES, -ENOEXEC, -ENOTDIR, -ELOOP, -ENOMEM,
 * -E2BIG (arguments too long). */
int loader_load(struct task *t, struct mm *mm, const char *path, char *const argv[],
                char *const envp[], struct loader_result *out);
/* Sets t->regs for a fresh program start. */
void loader_init_regs(struct platform_regs *regs, const struct loader_result *res);
