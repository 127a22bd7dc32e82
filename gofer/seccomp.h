/* The gofer's host seccomp filter: only what serving the file protocol takes (uRPC over
 * unix sockets, fd-relative file operations, malloc); anything else kills the gofer with
 * SIGSYS. Path operations are allowed only relative to a real directory fd (never
 * AT_FDCWD); the list and its reasons are in seccomp.c. */
#pragma once

#include <stddef.h>

/* What a host syscall outside the allowlist does. */
enum gofer_seccomp_mode {
    GOFER_SECCOMP_KILL, /* the gofer dies with SIGSYS (SECCOMP_RET_KILL_PROCESS) */
    /* Debugging the list: the call goes through and the kernel logs it ("audit:
     * type=1326 ... syscall=N" in dmesg). */
    GOFER_SECCOMP_LOG,
};

/* Installs the filter (all threads; sets no_new_privs). Returns 0 or -errno. */
int gofer_seccomp_install(void);
int gofer_seccomp_install_mode(enum gofer_seccomp_mode mode);

/* Number of distinct syscalls the filter allows (with or without argument checks). */
size_t gofer_seccomp_syscall_count(void);
