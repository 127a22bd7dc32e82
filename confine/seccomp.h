/* Host seccomp filters of the runtime's own processes, shared by the sentry's
 * (sentry/boot/seccomp.c) and the gofer's (gofer/seccomp.c), which may not include each
 * other: an allowlist is a table of struct confine_rule rows built with the macros below,
 * and confine_seccomp_load turns it into a filter and loads it. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

/* One allowed form of a syscall: all of args[0..argc) must hold. Rows of one syscall are
 * alternatives. */
struct confine_rule {
    int nr;
    unsigned int argc;
    struct scmp_arg_cmp args[2];
};

/* A syscall that fails with err instead of killing. */
struct confine_errno_rule {
    int nr;
    int err;
};

/* Argument conditions: arg i equals v; arg i masked with m equals v; arg i is a real fd
 * (0 <= fd <= INT_MAX with the upper 32 bits clear: AT_FDCWD is refused however its upper
 * bits are set). */
#define A_EQ(i, v)                                                                                 \
    {                                                                                              \
        .arg = (i), .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)(v)                                \
    }
#define A_MASK(i, m, v)                                                                            \
    {                                                                                              \
        .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (scmp_datum_t)(m),                        \
        .datum_b = (scmp_datum_t)(v)                                                               \
    }
#define A_FD(i)                                                                                    \
    {                                                                                              \
        .arg = (i), .op = SCMP_CMP_LE, .datum_a = (scmp_datum_t)INT_MAX                            \
    }
/* Rows: the syscall with any arguments, or when one / both conditions hold. */
#define ANY(name)                                                                                  \
    {                                                                                              \
        SCMP_SYS(name), 0,                                                                         \
        {                                                                                          \
            {                                                                                      \
                0                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
#define IF1(name, a)                                                                               \
    {                                                                                              \
        SCMP_SYS(name), 1,                                                                         \
        {                                                                                          \
            a                                                                                      \
        }                                                                                          \
    }
#define IF2(name, a, b)                                                                            \
    {                                                                                              \
        SCMP_SYS(name), 2,                                                                         \
        {                                                                                          \
            a, b                                                                                   \
        }                                                                                          \
    }

/* Builds the filter and loads it on every thread of the process (TSYNC), setting
 * no_new_privs; a foreign architecture (int 0x80, x32) kills the process. What it allows:
 *   - allow: syscalls without argument checks, terminated by -1 (NULL: none); a row of
 *     rules for one of them is skipped (the unconditional rule wins);
 *   - rules[0..n_rules);
 *   - tgkill of this process only (unless allow lists tgkill);
 *   - errnos[0..n_errnos) fail with their error (unless allow lists them).
 * Anything else gets def (an SCMP_ACT_*). Returns 0 or -errno (libseccomp's; -ESRCH when a
 * thread could not be synchronised). Cannot be undone; a second call adds a second filter. */
int confine_seccomp_load(uint32_t def, const struct confine_rule *rules, size_t n_rules,
                         const int *allow, const struct confine_errno_rule *errnos,
                         size_t n_errnos);

/* Number of distinct syscalls rules[0..n) and the tgkill rule allow. */
size_t confine_seccomp_count(const struct confine_rule *rules, size_t n);
