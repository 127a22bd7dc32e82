/* The x86-64 rt_sigframe as Linux builds it on the user stack. */
#pragma once

#include <signal.h>
#include <stdint.h>

#define SIGRTMIN_KERNEL 32
#define UC_FP_XSTATE_K 0x1
#define UC_SIGCONTEXT_SS_K 0x2
#define UC_STRICT_RESTORE_SS_K 0x4

/* Linux's struct sigcontext (x86-64), spelled out: glibc's differs in names. */
struct ksigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
    uint64_t eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved1[8];
};

/* The software-reserved bytes at offset 464 of the FXSAVE area. */
struct kfpx_sw_bytes {
    uint32_t magic1;
    uint32_t extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size;
    uint32_t padding[7];
};
#define FP_XSTATE_MAGIC1_K 0x46505853u
#define FP_XSTATE_MAGIC2_K 0x46505845u

struct kstack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

struct kucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct kstack uc_stack;
    struct ksigcontext uc_mcontext;
    uint64_t uc_sigmask;
};

struct rt_sigframe_k {
    uint64_t pretcode;
    struct kucontext uc;
    siginfo_t info;
};

struct task;
/* rt_sigreturn: restores the registers and mask from the frame at rsp-8.
 * Returns the restored rax (the value the interrupted code sees). */
long signal_sigreturn(struct task *t);
