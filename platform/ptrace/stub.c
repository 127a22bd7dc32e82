/* The stub page, its seccomp filter, and the fork of the master stub.
 *
 * Stub code (position independent, copied to the stub page):
 *
 *   syscall_site:  syscall; int3           one injected syscall; the tracer
 *                                          sees SIGTRAP with rax = result
 *   clone_site:    syscall; test %rax,%rax; jz park; int3
 *                                          the parent stops like above; a new
 *                                          thread (rax == 0) parks untraced
 *   park:          pause(); jmp park       idle, until a tracer seizes it
 *   entry:         munmap(0, base); munmap(end, TOP - end); int3
 *                                          the master's first code after fork
 */
#include "platform/ptrace/stub.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

__asm__(".pushsection .rodata.ptrace_stub,\"a\"\n"
        ".balign 64\n"
        ".globl ptrace_stub_image\n"
        ".hidden ptrace_stub_image\n"
        "ptrace_stub_image:\n"
        ".globl ptrace_stub_syscall\n"
        ".hidden ptrace_stub_syscall\n"
        "ptrace_stub_syscall:\n"
        "    syscall\n"
        "    int3\n"
        ".globl ptrace_stub_syscall_ret\n"
        ".hidden ptrace_stub_syscall_ret\n"
        "ptrace_stub_syscall_ret:\n"
        ".globl ptrace_stub_clone\n"
        ".hidden ptrace_stub_clone\n"
        "ptrace_stub_clone:\n"
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jz ptrace_stub_park\n"
        "    int3\n"
        ".globl ptrace_stub_clone_ret\n"
        ".hidden ptrace_stub_clone_ret\n"
        "ptrace_stub_clone_ret:\n"
        ".globl ptrace_stub_park\n"
        ".hidden ptrace_stub_park\n"
        "ptrace_stub_park:\n"
        "    mov $34, %eax\n" /* pause */
        "    syscall\n"
        "    jmp ptrace_stub_park\n"
        ".globl ptrace_stub_entry\n"
        ".hidden ptrace_stub_entry\n"
        "ptrace_stub_entry:\n" /* r12 = base, r13 = end, r14 = top */
        "    mov $11, %eax\n"  /* munmap(0, base) */
        "    xor %edi, %edi\n"
        "    mov %r12, %rsi\n"
        "    syscall\n"
        "    mov $11, %eax\n" /* munmap(end, top - end) */
        "    mov %r13, %rdi\n"
        "    mov %r14, %rsi\n"
        "    sub %r13, %rsi\n"
        "    syscall\n"
        "    int3\n"
        "    jmp ptrace_stub_park\n"
        ".globl ptrace_stub_image_end\n"
        ".hidden ptrace_stub_image_end\n"
        "ptrace_stub_image_end:\n"
        ".popsection\n");

extern const char ptrace_stub_image[], ptrace_stub_image_end[];
extern const char ptrace_stub_syscall[], ptrace_stub_syscall_ret[];
extern const char ptrace_stub_clone[], ptrace_stub_clone_ret[];
extern const char ptrace_stub_park[], ptrace_stub_entry[];

#define STUB_PAGE 4096ull
/* First address tried for the stub page, then 64 KiB lower each time. */
#define STUB_HINT 0x7fffffff0000ull
#define STUB_TRIES 4096

static struct ptrace_stub g_stub;
static int g_stub_errno;
static pthread_once_t g_stub_once = PTHREAD_ONCE_INIT;

static uint64_t stub_off(const char *sym)
{
    return (uint64_t)((uintptr_t)sym - (uintptr_t)ptrace_stub_image);
}

static void stub_install(void)
{
    size_t len = (size_t)((uintptr_t)ptrace_stub_image_end - (uintptr_t)ptrace_stub_image);
    if (len > STUB_PAGE || sysconf(_SC_PAGESIZE) != (long)STUB_PAGE) {
        g_stub_errno = ENOTSUP;
        return;
    }
    void *page = MAP_FAILED;
    for (int i = 0; i < STUB_TRIES; i++) {
        uint64_t addr = STUB_HINT - (uint64_t)i * 0x10000;
        page = mmap((void *)addr, STUB_PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (page == (void *)addr)
            break;
        if (page != MAP_FAILED) /* a kernel without MAP_FIXED_NOREPLACE */
            munmap(page, STUB_PAGE);
        page = MAP_FAILED;
    }
    if (page == MAP_FAILED) {
        g_stub_errno = ENOMEM;
        return;
    }
    memset(page, 0xcc, STUB_PAGE); /* int3 everywhere else */
    memcpy(page, ptrace_stub_image, len);
    if (mprotect(page, STUB_PAGE, PROT_READ | PROT_EXEC) < 0) {
        g_stub_errno = errno;
        munmap(page, STUB_PAGE);
        return;
    }
    uint64_t base = (uint64_t)page;
    g_stub = (struct ptrace_stub){
        .base = base,
        .size = STUB_PAGE,
        .syscall_site = base + stub_off(ptrace_stub_syscall),
        .syscall_ret = base + stub_off(ptrace_stub_syscall_ret),
        .clone_site = base + stub_off(ptrace_stub_clone),
        .clone_ret = base + stub_off(ptrace_stub_clone_ret),
        .park = base + stub_off(ptrace_stub_park),
        .entry = base + stub_off(ptrace_stub_entry),
    };
}

const struct ptrace_stub *ptrace_stub_get(void)
{
    pthread_once(&g_stub_once, stub_install);
    if (!g_stub.base) {
        errno = g_stub_errno ? g_stub_errno : ENOMEM;
        return NULL;
    }
    return &g_stub;
}

/* A tiny BPF assembler: jump targets are instruction indices or the two
 * verdicts, resolved when the program is complete. */
#define T_KILL (-1)
#define T_ALLOW (-2)
#define T_NEXT (-3)

struct bpf_asm {
    struct sock_filter *out;
    size_t n, cap;
    int jt[64], jf[64];
};

static void emit(struct bpf_asm *a, uint16_t code, uint32_t k, int jt, int jf)
{
    if (a->n < a->cap && a->n < 64) {
        a->out[a->n] = (struct sock_filter){code, 0, 0, k};
        a->jt[a->n] = jt;
        a->jf[a->n] = jf;
    }
    a->n++;
}

static int resolve(const struct bpf_asm *a, size_t i, int target, size_t kill, size_t allow)
{
    size_t to = target == T_KILL ? kill : target == T_ALLOW ? allow : i + 1;
    return (int)(to - (i + 1));
}

size_t ptrace_stub_filter(const struct ptrace_stub *s, struct sock_filter *out, size_t cap)
{
    static const uint32_t allowed[] = {
        SYS_mmap,  SYS_munmap,     SYS_mprotect, /* windows of the MemoryFile */
        SYS_clone,                               /* new stub threads and processes */
        SYS_pause,                               /* the park loop */
        SYS_exit,  SYS_exit_group,
    };
    struct bpf_asm a = {.out = out, .cap = cap};
    uint32_t lo = (uint32_t)s->base, hi = (uint32_t)(s->base >> 32);
    uint64_t lo_end = (uint64_t)lo + s->size;

    emit(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
    emit(&a, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, T_NEXT, T_KILL);
    /* The syscall instruction must be in the stub page (the IP is the address
     * after it, still inside the page: the page ends with int3 padding). */
    emit(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4, 0,
         0);
    emit(&a, BPF_JMP | BPF_JEQ | BPF_K, hi, T_NEXT, T_KILL);
    emit(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer), 0, 0);
    emit(&a, BPF_JMP | BPF_JGE | BPF_K, lo, T_NEXT, T_KILL);
    if (lo_end < (1ull << 32))
        emit(&a, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo_end, T_KILL, T_NEXT);
    emit(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        emit(&a, BPF_JMP | BPF_JEQ | BPF_K, allowed[i], T_ALLOW, T_NEXT);
    /* prctl(PR_SET_PDEATHSIG, ...) only: injected into each new stub process. */
    emit(&a, BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, T_NEXT, T_KILL);
    emit(&a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]), 0, 0);
    emit(&a, BPF_JMP | BPF_JEQ | BPF_K, PR_SET_PDEATHSIG, T_ALLOW, T_KILL);
    size_t kill = a.n, allow = a.n + 1;
    emit(&a, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
    emit(&a, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
    if (a.n > cap || a.n > 64)
        return 0;
    for (size_t i = 0; i < a.n; i++) {
        if (BPF_CLASS(out[i].code) != BPF_JMP)
            continue;
        out[i].jt = (uint8_t)resolve(&a, i, a.jt[i], kill, allow);
        out[i].jf = (uint8_t)resolve(&a, i, a.jf[i], kill, allow);
    }
    return a.n;
}

/* The kernel's struct sigaction for rt_sigaction. */
struct stub_ksigaction {
    uintptr_t handler;
    unsigned long flags;
    uintptr_t restorer;
    uint64_t mask;
};

/* Runs in the child of a multi-threaded process: raw system calls only, no
 * locks, no allocation. */
static __attribute__((noreturn)) void stub_child(const struct ptrace_stub *s, int memfd,
                                                 pid_t sentry, const struct sock_fprog *prog)
{
    /* Die with the creator thread; if it is already gone, stop here. */
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (syscall(SYS_getppid) != sentry)
        syscall(SYS_exit_group, 1);
    syscall(SYS_setsid); /* no terminal signals */
    syscall(SYS_chdir, "/");

    /* The sentry's handlers point into memory the stub will not have. */
    struct stub_ksigaction dfl = {0};
    for (int sig = 1; sig <= 64; sig++)
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(uint64_t));
    stack_t no_altstack = {.ss_flags = SS_DISABLE};
    syscall(SYS_sigaltstack, &no_altstack, NULL);

    /* fork keeps the thread's rseq registration (glibc makes one per
     * thread); the kernel writes that area on returns to user mode after a
     * preemption or a signal, and kills the process (SIGSEGV) once the area
     * is unmapped. glibc registers 32 bytes; newer ones may say more. */
    if (__rseq_size > 0) {
        void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
        if (syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0 &&
            syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0)
            syscall(SYS_exit_group, 6);
    }

    /* Only the MemoryFile, at a known number. */
    if (memfd != PTRACE_STUB_MEMFD) {
        if (syscall(SYS_dup3, memfd, PTRACE_STUB_MEMFD, 0) < 0)
            syscall(SYS_exit_group, 2);
    } else {
        syscall(SYS_fcntl, memfd, F_SETFD, 0);
    }
    syscall(SYS_close_range, 0, PTRACE_STUB_MEMFD - 1, 0);
    syscall(SYS_close_range, PTRACE_STUB_MEMFD + 1, ~0u, 0);

    /* No capabilities: a stub must never hold more than the (confined,
     * capability-less) sentry threads that trace it, or ptrace's
     * permission check refuses them. */
    syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap < 64; cap++) /* EINVAL past the last one: harmless */
        syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
    struct __user_cap_header_struct caphdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct capdata[2];
    memset(capdata, 0, sizeof(capdata));
    syscall(SYS_capset, &caphdr, capdata);

    if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0)
        syscall(SYS_exit_group, 3);
    if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        syscall(SYS_exit_group, 4);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
        syscall(SYS_exit_group, 5);

    /* From here on only the stub page: it unmaps the rest and stops. */
    __asm__ volatile("mov %0, %%r12\n\t"
                     "mov %1, %%r13\n\t"
                     "mov %2, %%r14\n\t"
                     "jmp *%3\n\t" ::"r"(s->base),
                     "r"(s->base + s->size), "r"(PTRACE_STUB_TOP), "r"(s->entry)
                     : "r12", "r13", "r14", "memory");
    __builtin_unreachable();
}

pid_t ptrace_stub_spawn_master(const struct ptrace_stub *s, int memfd)
{
    struct sock_filter insns[64];
    size_t n = ptrace_stub_filter(s, insns, 64);
    if (n == 0)
        return -E2BIG;
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = insns};
    pid_t sentry = getpid();
    /* fork() without SIGCHLD (exit signal 0): a sentry-wide waitpid(-1)
     * without __WALL never sees the stubs; we wait with __WALL. */
    long pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
    if (pid < 0)
        return -errno;
    if (pid == 0)
        stub_child(s, memfd, sentry, &prog);
    return (pid_t)pid;
}
