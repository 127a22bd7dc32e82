/* ptrace(2) wrappers for stub threads (see the header). */
#include "platform/ptrace/tracee.h"

#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

int ptrace_wait(pid_t tid, int *status)
{
    for (;;) {
        pid_t r = waitpid(tid, status, __WALL);
        if (r == tid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

int ptrace_get_regs(pid_t tid, struct user_regs_struct *regs)
{
    return ptrace(PTRACE_GETREGS, tid, NULL, regs) < 0 ? -errno : 0;
}

int ptrace_set_regs(pid_t tid, const struct user_regs_struct *regs)
{
    return ptrace(PTRACE_SETREGS, tid, NULL, regs) < 0 ? -errno : 0;
}

int ptrace_get_fpu(pid_t tid, void *buf, uint32_t *size)
{
    struct iovec iov = {buf, *size};
    if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0)
        return -errno;
    *size = (uint32_t)iov.iov_len;
    return 0;
}

int ptrace_set_fpu(pid_t tid, void *buf, uint32_t size)
{
    struct iovec iov = {buf, size};
    return ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) < 0 ? -errno : 0;
}

static int resume(pid_t tid, int sig)
{
    return ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) < 0 ? -errno : 0;
}

int ptrace_inject(pid_t tid, const struct user_regs_struct *base, uint64_t site, uint64_t ret,
                  long nr, const uint64_t args[6], long *result)
{
    struct user_regs_struct regs = *base;
    regs.rip = site;
    regs.rax = (uint64_t)nr;
    regs.orig_rax = (uint64_t)-1; /* no syscall restart on the way out of a stop */
    regs.rdi = args[0];
    regs.rsi = args[1];
    regs.rdx = args[2];
    regs.r10 = args[3];
    regs.r8 = args[4];
    regs.r9 = args[5];
    int err = ptrace_set_regs(tid, &regs);
    if (err)
        return err;
    if ((err = resume(tid, 0)))
        return err;
    for (;;) {
        int status;
        if ((err = ptrace_wait(tid, &status)))
            return err;
        if (!WIFSTOPPED(status))
            return -ECHILD; /* exited or killed (e.g. by the seccomp filter), now reaped */
        int sig = WSTOPSIG(status);
        siginfo_t si;
        if ((status >> 16) == 0 && ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) == 0 &&
            si.si_code > 0) {
            /* Raised by the kernel: our int3, or a fault in stub code (never
             * expected). Signals sent by processes (si_code <= 0) are dropped. */
            if (sig != SIGTRAP)
                return -EFAULT;
            if ((err = ptrace_get_regs(tid, &regs)))
                return err;
            if (regs.rip != ret)
                return -EFAULT;
            *result = (long)regs.rax;
            return 0;
        }
        /* An interrupt, a stop, or an event stop: drop it and go on. */
        if ((err = resume(tid, 0)))
            return err;
    }
}

int ptrace_seize_stop(pid_t tid, unsigned options)
{
    if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(unsigned long)options) < 0)
        return -errno;
    int status, err;
    if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
        /* Traced by us but gone already: collect it. */
        if ((err = ptrace_wait(tid, &status)))
            return err;
        return -ECHILD;
    }
    for (;;) {
        if ((err = ptrace_wait(tid, &status)))
            return err;
        if (!WIFSTOPPED(status))
            return -ECHILD;
        if ((status >> 16) == PTRACE_EVENT_STOP)
            return 0;
        /* A signal-delivery stop came first: drop the signal; the interrupt
         * stop is still pending. */
        if ((err = resume(tid, 0)))
            return err;
    }
}

int ptrace_park_detach(pid_t tid, const struct user_regs_struct *base, uint64_t park)
{
    struct user_regs_struct regs = *base;
    regs.rip = park;
    regs.orig_rax = (uint64_t)-1;
    int err = ptrace_set_regs(tid, &regs);
    if (err)
        return err;
    return ptrace(PTRACE_DETACH, tid, NULL, NULL) < 0 ? -errno : 0;
}

int ptrace_pin(pid_t tid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof(set), &set) < 0 ? -errno : 0;
}

size_t ptrace_read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    if (len == 0 || len > 4096)
        return 0;
    /* One remote iovec per page: process_vm_readv stops at the first iovec
     * it cannot read, so a partial count tells where readability ends. */
    uint64_t split = (addr | 4095) + 1;
    struct iovec local = {buf, len};
    struct iovec remote[2] = {{(void *)addr, len}, {NULL, 0}};
    unsigned long nremote = 1;
    if (addr + len > split) {
        remote[0].iov_len = split - addr;
        remote[1] = (struct iovec){(void *)split, addr + len - split};
        nremote = 2;
    }
    ssize_t n = process_vm_readv(pid, &local, 1, remote, nremote, 0);
    return n < 0 ? 0 : (size_t)n;
}
