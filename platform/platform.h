/* The platform interface: the ONLY platform header the sentry includes.
 *
 * A platform runs application code on behalf of the sentry until the
 * application makes a system call, faults, or is interrupted. Application
 * memory is a memfd owned by the sentry (the MemoryFile); the platform maps
 * windows of it into the application's address space on request.
 *
 * Objects:
 *   struct platform     one per sandbox, from platform_lookup(name)->create.
 *   struct platform_as  one application address space (ptrace: a stub
 *                       process that has no other mappings).
 *   struct platform_ctx one per sentry task thread: the execution context
 *                       the thread switches into. A ctx may only be used by
 *                       the host thread that created it (ptrace requires the
 *                       tracer thread to make every ptrace call).
 *
 * Threading: platform_as map/unmap may be called from any thread that holds
 * the owning mm's lock (the sentry serialises them per address space);
 * platform_ctx_interrupt may be called from any thread at any time; all other
 * ctx calls only from the ctx's own thread, and a thread must release its
 * ctx before it exits (ptrace: a tracer that exits kills its tracees).
 * new_as and as_release may be called from any thread; as_release only when
 * no ctx_switch into that address space is under way.
 *
 * Errors are -errno. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

struct platform;
struct platform_as;
struct platform_ctx;

/* Capability bits of a platform (struct platform_ops.caps). */
#define PLATFORM_NEEDS_HOST_PIDNS (1u << 0)     /* stubs must be visible in the host pid ns */
#define PLATFORM_SUPPORTS_ADDR_SPACES (1u << 1) /* more than one address space (fork) */

/* Maximum XSAVE area we handle (AVX-512 needs 2696 bytes; leave room). */
#define PLATFORM_FPU_MAX 4096

/* Application register state (x86-64). */
struct platform_regs {
    struct user_regs_struct gp; /* includes fs_base, gs_base, orig_rax */
    uint32_t fpu_size;          /* valid bytes in fpu[] (XSAVE layout) */
    uint8_t fpu[PLATFORM_FPU_MAX] __attribute__((aligned(64)));
};

/* Why platform_ctx_switch returned. */
enum platform_event {
    PLATFORM_EV_SYSCALL,     /* regs.gp.orig_rax = number; rax, rdi.. = args; the
                              * instruction pointer is already past the syscall */
    PLATFORM_EV_FAULT,       /* memory fault: fault_addr, fault_access; siginfo too */
    PLATFORM_EV_SIGNAL,      /* a synchronous signal other than a memory fault
                              * (SIGILL, SIGFPE, SIGTRAP, SIGBUS...): siginfo */
    PLATFORM_EV_INTERRUPTED, /* platform_ctx_interrupt() was called */
};

#define PLATFORM_ACCESS_READ 1u
#define PLATFORM_ACCESS_WRITE 2u
#define PLATFORM_ACCESS_EXEC 4u

struct platform_switch_info {
    enum platform_event event;
    uint64_t fault_addr;
    /* PLATFORM_ACCESS_* best known. ptrace cannot see the page-fault error
     * code and infers it (platform/README.md): EXEC and ACCERR-on-readable
     * (WRITE) are certain; otherwise decoded from the instruction, and READ
     * if unknown, with WRITE added when the same fault repeats. */
    unsigned fault_access;
    siginfo_t siginfo;
};

struct platform_ops {
    const char *name;
    unsigned caps;
    /* Host system calls the platform makes (from sentry threads, and from a
     * forked stub before it installs its own filter), for the sentry's own
     * seccomp filter; terminated by -1. Create the platform before
     * installing that filter, or allow these. */
    const int *host_syscalls;
    /* memfile_fd: the MemoryFile memfd (the platform dups what it needs).
     * device_fd: e.g. /dev/kvm, -1 when not needed. */
    int (*create)(int memfile_fd, int device_fd, struct platform **out);
    void (*destroy)(struct platform *p);

    /* Application addresses must lie in [*min_addr, *max_addr); the platform
     * owns the rest (ptrace: the host's vm.mmap_min_addr below, the stub
     * code page above). as_map outside the range is -EINVAL. */
    void (*user_range)(struct platform *p, uint64_t *min_addr, uint64_t *max_addr);

    int (*new_as)(struct platform *p, struct platform_as **out);
    /* Maps [addr, addr+len) to MemoryFile [off, off+len) with PROT_* prot,
     * shared (writes go to the MemoryFile). Replaces existing mappings.
     * addr, len, off page-aligned. */
    int (*as_map)(struct platform_as *as, uint64_t addr, uint64_t len, uint64_t off, int prot);
    int (*as_unmap)(struct platform_as *as, uint64_t addr, uint64_t len);
    void (*as_release)(struct platform_as *as);

    int (*new_ctx)(struct platform *p, struct platform_ctx **out);
    /* Runs regs in as until an event; updates regs (also for INTERRUPTED:
     * regs is then the state where the application was stopped). A zero
     * cs/ss in regs->gp means the default user selectors. Returns 0, or
     * -errno with regs unchanged (-ESRCH: the address space's stub died). */
    int (*ctx_switch)(struct platform_ctx *ctx, struct platform_as *as, struct platform_regs *regs,
                      struct platform_switch_info *info);
    /* Makes a running or upcoming ctx_switch return PLATFORM_EV_INTERRUPTED.
     * Async-safe with respect to the ctx's thread. */
    void (*ctx_interrupt)(struct platform_ctx *ctx);
    void (*ctx_release)(struct platform_ctx *ctx);
};

/* platform/registry.c */
const struct platform_ops *platform_lookup(const char *name);
/* Comma-separated names of the registered platforms (for messages). */
const char *platform_names(void);
/* The XSAVE area size this CPU uses (CPUID leaf 0xd: EBX, the size for the
 * features enabled in XCR0); 512 (FXSAVE) on a CPU without XSAVE. */
uint32_t platform_fpu_size(void);
/* Initial FPU state for a fresh task (FCW 0x37f, MXCSR 0x1f80). */
void platform_fpu_init(struct platform_regs *regs);
