/* The application's seccomp: strict mode and classic-BPF filters installed
 * with seccomp(2) / prctl(PR_SET_SECCOMP), and the container's filter from
 * the OCI spec (linux.seccomp, compiled by runsc, installed at boot on every
 * process the sandbox starts: init and runsc exec).
 *
 * A filter is validated at install as Linux's seccomp_check_filter and
 * bpf_check_classic do (allowed opcodes only, forward jumps in range, loads
 * of struct seccomp_data at aligned offsets, scratch memory written before it
 * is read, RET last, at most 4096 instructions) and run by the sentry before
 * every system call of a task with a filter, against a seccomp_data it
 * builds (nr, AUDIT_ARCH_X86_64, rip, the six argument registers).
 *
 * Filters form a chain (newest first, each holding a reference on the one
 * before). A task holds one reference on its chain; clone copies it, exec
 * keeps it. The mode and chain of a task are written under kernel.lock (the
 * task itself, or a TSYNC from another thread of its group) with release
 * stores, and read by the task without a lock: a chain a TSYNC replaces is
 * an ancestor of the new one, so it stays alive while the task runs it. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/kernel/kernel.h"

/* Limits (Linux's): instructions per filter, and per chain counting 4 more
 * for each filter. */
#define SECCOMP_MAX_INSNS 4096
#define SECCOMP_MAX_CHAIN_INSNS 32768

struct seccomp_filter {
    int refs;                    /* atomic */
    struct seccomp_filter *prev; /* the older filter (a reference), or NULL */
    unsigned count;              /* filters in the chain, this one included */
    unsigned chain_insns;        /* instructions of the chain, +4 per filter */
    bool log;                    /* SECCOMP_FILTER_FLAG_LOG: log every action but ALLOW */
    unsigned short len;
    struct sock_filter insns[];
};

/* ---- programs (pure: no task, no lock) ----------------------------------- */

/* Validates a classic-BPF program for seccomp: 0 or -EINVAL. */
int seccomp_prog_check(const struct sock_filter *insns, size_t len);
/* Runs a program that passed seccomp_prog_check; returns its SECCOMP_RET_* value. */
uint32_t seccomp_prog_run(const struct sock_filter *insns, size_t len,
                          const struct seccomp_data *d);

/* A new filter (one reference) running insns (copied) after prev (the new
 * filter takes its own reference on prev). -EINVAL for a bad program,
 * -ENOMEM when the chain would exceed SECCOMP_MAX_CHAIN_INSNS or no memory. */
int seccomp_filter_new(const struct sock_filter *insns, size_t len, struct seccomp_filter *prev,
                       struct seccomp_filter **out);
void seccomp_filter_get(struct seccomp_filter *f);
void seccomp_filter_put(struct seccomp_filter *f);
/* The result over the chain: the return value whose action has the highest
 * precedence (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE
 * > LOG > ALLOW; between equal actions the newest filter's). ALLOW for NULL. */
uint32_t seccomp_filter_eval(const struct seccomp_filter *f, const struct seccomp_data *d);

/* ---- tasks ------------------------------------------------------------------ */

/* Whether the task's system calls go through seccomp (the dispatcher's check). */
static inline bool seccomp_active(struct task *t)
{
    return __atomic_load_n(&t->seccomp_mode, __ATOMIC_ACQUIRE) != SECCOMP_MODE_DISABLED;
}

/* Called by syscall_dispatch for a task with seccomp_active(), before the
 * system call runs. Returns true if the call is to run; false if seccomp
 * decided its result (*ret: -errno, or SYSCALL_RETURN_REGS after forcing
 * SIGSYS). Does not return when the action kills the task or its process. */
bool seccomp_syscall_enter(struct task *t, unsigned long nr, const uint64_t args[6], long *ret);

/* SECCOMP_SET_MODE_STRICT for t (the caller): 0 or -EINVAL. */
int seccomp_set_strict(struct task *t);
/* SECCOMP_SET_MODE_FILTER for t (the caller) with a program already copied
 * in; flags: SECCOMP_FILTER_FLAG_TSYNC, _TSYNC_ESRCH, _LOG, _SPEC_ALLOW.
 * Returns 0, -EINVAL (mode, program), -ENOMEM, or with TSYNC the tid of a
 * thread that cannot be synchronized (-ESRCH with TSYNC_ESRCH). The caller
 * checks no_new_privs / CAP_SYS_ADMIN. */
long seccomp_set_filter(struct task *t, unsigned flags, const struct sock_filter *insns,
                        size_t len);

/* clone: child gets parent's mode and chain (kernel.lock held by the caller). */
void seccomp_task_fork_locked(struct task *child, struct task *parent);
/* Drops the task's chain (task_free). */
void seccomp_task_release(struct task *t);
/* Mode and number of filters of task tid, for /proc/<pid>/status (0, 0 when gone). */
void seccomp_task_status(int tid, int *mode, int *filters);

/* ---- the container's filter (linux.seccomp) -------------------------------- */

/* Sets the filter every process started from outside gets: prog is a raw
 * array of struct sock_filter (len bytes, a multiple of 8; aligned as one,
 * as the malloc'ed bytes of a decoded protobuf are), copied. 0 or -EINVAL. */
int seccomp_container_set(const void *prog, size_t len);
/* Gives a process just created by kernel_spawn the container's filter. */
void seccomp_spawn_attach(struct task *t);
