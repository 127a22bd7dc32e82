/* Starting a process from outside the sandbox: the container's init (at
 * boot) or a process of runsc exec (control server). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "sentry/kernel/kernel.h"

struct spawn_args {
    char *const *argv; /* NULL-terminated, argv[0] is the program */
    char *const *envp; /* NULL-terminated */
    const char *cwd;   /* absolute; NULL = "/" */
    const struct creds *creds;
    struct file *stdio[3];        /* installed at fds 0, 1, 2 (NULL: none) */
    const struct rlimit *rlimits; /* RLIM_NLIMITS entries, or NULL */
    const bool *rlimit_set;       /* which of them to apply */
    uint32_t umask;
    bool is_init;
};

/* Creates the process, loads its program (found on the PATH of envp when
 * argv[0] has no slash) and leaves it ready to run: task_start(*out).
 * Returns -errno; msg (if not NULL) gets a message naming what failed, like
 * "exec /bin/nosuch: no such file or directory". */
int kernel_spawn(struct kernel *k, const struct spawn_args *a, struct task **out, char *msg,
                 size_t msg_size);
