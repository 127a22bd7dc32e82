/* The stub: one page of position-independent code that is the only thing
 * mapped in a stub process besides the MemoryFile windows.
 *
 * The page is copied once per sentry process to a fixed address near the top
 * of the user address space; every stub (forked from the sentry or cloned
 * from another stub) has it at the same address, and the application may use
 * everything below it. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/filter.h>

/* The only fd a stub has: the MemoryFile. */
#define PTRACE_STUB_MEMFD 3

/* Highest user address of a 4-level-paging process (TASK_SIZE). */
#define PTRACE_STUB_TOP 0x7ffffffff000ull

struct ptrace_stub {
    uint64_t base;         /* page-aligned start of the stub page */
    uint64_t size;         /* bytes reserved at base (one page) */
    uint64_t syscall_site; /* "syscall; int3": set rip here to inject one syscall */
    uint64_t syscall_ret;  /* rip at the SIGTRAP stop after it */
    uint64_t clone_site;   /* "syscall; test rax; jz park; int3": clone */
    uint64_t clone_ret;    /* rip of the parent at the stop after it */
    uint64_t park;         /* "pause(); loop": where idle untraced threads wait */
    uint64_t entry;        /* first code of the master after fork */
};

/* Installs the stub page into this process (once) and returns its layout, or
 * NULL with errno set. Thread-safe. */
const struct ptrace_stub *ptrace_stub_get(void);

/* Builds the stub's seccomp filter into out (cap entries): syscalls are
 * allowed only from the stub page and only those the sentry injects. Returns
 * the number of instructions. */
size_t ptrace_stub_filter(const struct ptrace_stub *s, struct sock_filter *out, size_t cap);

/* Forks the master stub from the calling host thread. The child drops
 * everything but the stub page and the memfd (at PTRACE_STUB_MEMFD), installs
 * the filter, and stops with SIGTRAP traced (PTRACE_TRACEME) by the calling
 * thread; the caller must wait for that stop. Returns the pid or -errno. */
pid_t ptrace_stub_spawn_master(const struct ptrace_stub *s, int memfd);
