/* The sentry's own host seccomp filter (DESIGN.md section 1: "all caps dropped, seccomp filter
 * on itself"). Only the host system calls the sentry and its platform make are allowed, with
 * cheap argument checks (socket and socketpair AF_UNIX only, ioctl only terminal and FIONBIO /
 * FIOCLEX requests, fcntl only fd/status flags and dups, mmap/mprotect never PROT_EXEC, clone
 * only threads, newfstatat only AT_EMPTY_PATH, fallocate only punching holes); anything else
 * kills the whole sandbox process with SIGSYS. The list and its reasons are in seccomp.c.
 *
 * The platform's own needs come from its ops table (platform_ops.host_syscalls) and are
 * allowed without argument checks: where the platform lists a syscall that has an argument
 * check here, the platform's unconditional rule wins. */
#pragma once

#include <stddef.h>

/* What a host syscall outside the allowlist does. */
enum sentry_seccomp_mode {
    SENTRY_SECCOMP_KILL, /* the process dies with SIGSYS (SECCOMP_RET_KILL_PROCESS) */
    /* Debugging the list: the call goes through and the kernel logs it ("audit: type=1326 ...
     * syscall=N" in dmesg; readable on this kind of machine). */
    SENTRY_SECCOMP_LOG,
    /* Debugging the list: the call fails with ENOSYS and a SIGSYS handler writes
     * "runsc: seccomp: forbidden host syscall N (args ...)" to stderr. */
    SENTRY_SECCOMP_TRAP,
};

/* Installs the filter on every thread of the process (TSYNC) and sets no_new_privs.
 * platform_syscalls: the platform's host_syscalls, terminated by -1 (NULL: none).
 * Returns 0 or -errno (libseccomp's). Cannot be undone; a second call adds a second filter. */
int sentry_seccomp_install(const int *platform_syscalls);
int sentry_seccomp_install_mode(const int *platform_syscalls, enum sentry_seccomp_mode mode);

/* The sentry's own allowlist (without the platform's): number of distinct syscalls allowed,
 * and whether nr is among them (with or without argument checks). For tests and reports. */
size_t sentry_seccomp_syscall_count(void);
int sentry_seccomp_allows(int nr);
