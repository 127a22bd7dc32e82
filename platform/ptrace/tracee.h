/* Low-level operations on one stub thread. Unless noted, only the thread's
 * tracer (a host thread) may call them, and only while the stub thread is in
 * a ptrace-stop. Errors are -errno; -ECHILD means the stub thread is gone
 * and its exit status has been collected (here or elsewhere): its tid may
 * already name another task, so it must never be used again. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* waitpid(tid, __WALL), retried on EINTR. Any thread of the sentry may wait
 * for any stub thread (the kernel looks at all threads' tracees). */
int ptrace_wait(pid_t tid, int *status);

int ptrace_get_regs(pid_t tid, struct user_regs_struct *regs);
int ptrace_set_regs(pid_t tid, const struct user_regs_struct *regs);
/* NT_X86_XSTATE. get: *size is the buffer size in, the bytes written out. */
int ptrace_get_fpu(pid_t tid, void *buf, uint32_t *size);
int ptrace_set_fpu(pid_t tid, void *buf, uint32_t size);

/* Runs one system call in the stopped thread: registers from base, rip =
 * site, rax = nr, args in rdi rsi rdx r10 r8 r9; resumes it and waits for the
 * SIGTRAP stop at rip == ret. *result gets rax. Signals that arrive meanwhile
 * (an interrupt, a stop) are discarded; a fault is -EFAULT. */
int ptrace_inject(pid_t tid, const struct user_regs_struct *base, uint64_t site, uint64_t ret,
                  long nr, const uint64_t args[6], long *result);

/* PTRACE_SEIZE an untraced (parked) thread and bring it to a stop. On an
 * error it is untraced again, or gone (-ECHILD). */
int ptrace_seize_stop(pid_t tid, unsigned options);

/* Leaves the stopped thread at park (registers from base) and detaches: it
 * then waits untraced in the park loop for the next tracer. */
int ptrace_park_detach(pid_t tid, const struct user_regs_struct *base, uint64_t park);

/* sched_setaffinity(tid) to one CPU. Any thread may call it. */
int ptrace_pin(pid_t tid, int cpu);

/* Reads up to len (<= 4096) bytes at addr of process pid, honouring its
 * page protections; stops at the first unreadable page. Returns the number
 * of bytes read (0 if addr is not readable). Any thread may call it. */
size_t ptrace_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);
