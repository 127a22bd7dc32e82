/* Which way a faulting x86-64 instruction touched memory.
 *
 * ptrace does not expose the page-fault error code (it is only written into
 * a signal frame, and the stub never gets one), so the ptrace platform works
 * the access type out from the faulting instruction: a small decoder that
 * knows the length of the common instructions (legacy, 0F, 0F38, 0F3A, VEX,
 * EVEX maps) and, for each, whether its memory operand is read, written or
 * both, plus implicit stack and string (rsi/rdi) accesses. Pure functions:
 * no ptrace here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ptrace_insn {
    unsigned len;    /* instruction length in bytes */
    unsigned mem;    /* explicit memory operand (ModRM, moffs, xlat): PLATFORM_ACCESS_*,
                      * 0 if the operand is a register or there is none */
    unsigned stack;  /* implicit stack access (push/call: WRITE, pop/ret: READ) */
    unsigned str_si; /* string instruction access through rsi */
    unsigned str_di; /* string instruction access through rdi */
};

/* Decodes the instruction at code[0..n). Returns 0, -ENODATA if it needs
 * more than n bytes, -EINVAL if it is not one we know (or not valid). */
int ptrace_decode_insn(const uint8_t *code, size_t n, struct ptrace_insn *out);

struct ptrace_fault_in {
    uint64_t addr; /* si_addr */
    int si_code;   /* SEGV_MAPERR, SEGV_ACCERR, ... */
    uint64_t rip, rsp, rsi, rdi;
    const uint8_t *code; /* the bytes that could be read at rip */
    size_t ncode;        /* 0: rip itself is not readable */
    bool addr_readable;  /* the page of addr is mapped readable */
};

/* The access type of a SIGSEGV page fault, as PLATFORM_ACCESS_* bits:
 *   EXEC   if the instruction bytes cannot be read, or addr lies inside the
 *          instruction (its fetch faulted);
 *   WRITE  if SEGV_ACCERR on a readable page (only a write can fault there),
 *          or the decoded instruction writes the faulting operand;
 *   READ   if the decoded instruction only reads it (READ|WRITE for
 *          read-modify-write on an ACCERR);
 *   0      unknown (the caller picks a default). */
unsigned ptrace_fault_access(const struct ptrace_fault_in *in);
