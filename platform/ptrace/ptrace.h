/* The ptrace platform: application code runs in stub processes traced with
 * PTRACE_SYSEMU. The sentry reaches it only through platform_lookup("ptrace");
 * the hooks below are for tests and debugging. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"

extern const struct platform_ops ptrace_platform_ops;

/* The stub process of an address space. */
pid_t ptrace_as_pid(struct platform_as *as);
/* The stub thread ctx runs as in, 0 if it has none yet. ctx's thread only. */
pid_t ptrace_ctx_tid(struct platform_ctx *ctx, struct platform_as *as);
/* Pin stub threads to their tracer's current CPU (default on). */
void ptrace_set_pinning(struct platform *p, bool on);
/* Injects one raw system call into as's stub (through its leader thread)
 * and returns its result, or -ESRCH if the stub died doing it. */
long ptrace_as_syscall(struct platform_as *as, long nr, const uint64_t args[6]);
