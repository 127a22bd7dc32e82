/* linux.seccomp of the spec compiled to a classic-BPF program with
 * libseccomp, for the sentry to run against the application's system calls
 * (runsc.boot.Config.seccomp_filter).
 *
 * As runc: actions SCMP_ACT_KILL (= KILL_THREAD), KILL_PROCESS, KILL_THREAD,
 * TRAP, ERRNO (errnoRet, default EPERM), TRACE (errnoRet, default EPERM; the
 * sentry has no seccomp tracer, so such calls fail with ENOSYS as on Linux
 * without one), ALLOW, LOG; argument conditions SCMP_CMP_* (several on the
 * same argument become one rule each); syscall names libseccomp does not know
 * are skipped with a warning, an empty name is an error; rules with the default
 * action are dropped.
 * Only x86-64 is compiled (the sandbox's only architecture): other
 * architectures and the flags are ignored (logged at debug level).
 * SCMP_ACT_NOTIFY (and listenerPath) are refused: no user notification. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "runsc/spec/spec.h"

/* Compiles sc into *out (malloc'ed array of struct sock_filter, *len bytes).
 * Returns 0, or -1 with *err naming the field ("linux.seccomp.syscalls[3]:
 * ..."). */
int spec_seccomp_compile(const struct spec_seccomp *sc, uint8_t **out, size_t *len,
                         rs_error_t *err);
