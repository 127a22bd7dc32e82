/* The fault access-type decoder, on byte sequences (no ptrace). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "platform/platform.h"
#include "platform/ptrace/decode_amd64.h"
#include "test/unit/harness.h"

#define R PLATFORM_ACCESS_READ
#define W PLATFORM_ACCESS_WRITE
#define X PLATFORM_ACCESS_EXEC

struct insn_case {
    const char *what;
    const char *bytes;
    unsigned len, mem, stack, si, di;
};

static const struct insn_case cases[] = {
    {"mov %rax,(%rbx)", "\x48\x89\x03", 3, W, 0, 0, 0},
    {"mov (%rbx),%rax", "\x48\x8b\x03", 3, R, 0, 0, 0},
    {"mov %eax,0x10(%rsp)", "\x89\x44\x24\x10", 4, W, 0, 0, 0},
    {"mov %eax,0x12345678(%rip)", "\x89\x05\x78\x56\x34\x12", 6, W, 0, 0, 0},
    {"movq $0x55,(%rdx)", "\x48\xc7\x02\x55\x00\x00\x00", 7, W, 0, 0, 0},
    {"movw $1,(%rax)", "\x66\xc7\x00\x01\x00", 5, W, 0, 0, 0},
    {"movb $1,(%rax)", "\xc6\x00\x01", 3, W, 0, 0, 0},
    {"add %eax,(%rbx)", "\x01\x03", 2, R | W, 0, 0, 0},
    {"add (%rbx),%eax", "\x03\x03", 2, R, 0, 0, 0},
    {"cmp %eax,(%rbx)", "\x39\x03", 2, R, 0, 0, 0},
    {"cmpl $1,(%rbx)", "\x83\x3b\x01", 3, R, 0, 0, 0},
    {"addl $1,(%rbx)", "\x83\x03\x01", 3, R | W, 0, 0, 0},
    {"lock xadd %eax,(%rbx)", "\xf0\x0f\xc1\x03", 4, R | W, 0, 0, 0},
    {"lock cmpxchg %ecx,(%rbx)", "\xf0\x0f\xb1\x0b", 4, R | W, 0, 0, 0},
    {"lea 8(%rax),%rbx", "\x48\x8d\x58\x08", 4, 0, 0, 0, 0},
    {"mov %eax,%ebx", "\x89\xc3", 2, 0, 0, 0, 0},
    {"movabs $imm64,%rax", "\x48\xb8\x01\x02\x03\x04\x05\x06\x07\x08", 10, 0, 0, 0, 0},
    {"push %rbp", "\x55", 1, 0, W, 0, 0},
    {"pop %rbp", "\x5d", 1, 0, R, 0, 0},
    {"call rel32", "\xe8\x00\x00\x00\x00", 5, 0, W, 0, 0},
    {"ret", "\xc3", 1, 0, R, 0, 0},
    {"push (%rax)", "\xff\x30", 2, R, W, 0, 0},
    {"call *(%rax)", "\xff\x10", 2, R, W, 0, 0},
    {"inc (%rax)", "\xfe\x00", 2, R | W, 0, 0, 0},
    {"rep stosb", "\xf3\xaa", 2, 0, 0, 0, W},
    {"rep movsq", "\xf3\x48\xa5", 3, 0, 0, R, W},
    {"cmpsb", "\xa6", 1, 0, 0, R, R},
    {"movzbl (%rsi),%eax", "\x0f\xb6\x06", 3, R, 0, 0, 0},
    {"sete (%rax)", "\x0f\x94\x00", 3, W, 0, 0, 0},
    {"movups %xmm0,(%rdi)", "\x0f\x11\x07", 3, W, 0, 0, 0},
    {"movups (%rdi),%xmm0", "\x0f\x10\x07", 3, R, 0, 0, 0},
    {"movdqu %xmm0,(%rbx)", "\xf3\x0f\x7f\x03", 4, W, 0, 0, 0},
    {"movdqa (%rbx),%xmm0", "\x66\x0f\x6f\x03", 4, R, 0, 0, 0},
    {"movq %xmm0,(%rdi)", "\x66\x0f\xd6\x07", 4, W, 0, 0, 0},
    {"movq (%rdi),%xmm0", "\xf3\x0f\x7e\x07", 4, R, 0, 0, 0},
    {"movd %xmm0,(%rdi)", "\x66\x0f\x7e\x07", 4, W, 0, 0, 0},
    {"pshufd $0,(%rax),%xmm0", "\x66\x0f\x70\x00\x00", 5, R, 0, 0, 0},
    {"pextrd $1,%xmm0,(%rax)", "\x66\x0f\x3a\x16\x00\x01", 6, W, 0, 0, 0},
    {"pshufb (%rax),%xmm0", "\x66\x0f\x38\x00\x00", 5, R, 0, 0, 0},
    {"vmovdqu %ymm0,(%rdi)", "\xc5\xfe\x7f\x07", 4, W, 0, 0, 0},
    {"vmovdqu (%rsi),%ymm0", "\xc5\xfe\x6f\x06", 4, R, 0, 0, 0},
    {"vmovdqu %ymm0,0x20(%rdi) (c4)", "\xc4\xe1\x7e\x7f\x47\x20", 6, W, 0, 0, 0},
    {"vpcmpeqb (%rdi),%ymm0,%ymm1", "\xc5\xfd\x74\x0f", 4, R, 0, 0, 0},
    {"vmovdqu64 %zmm16,(%rdi)", "\x62\xe1\xfe\x48\x7f\x07", 6, W, 0, 0, 0},
    {"vmovdqu64 (%rsi),%zmm16", "\x62\xe1\xfe\x48\x6f\x06", 6, R, 0, 0, 0},
    {"vmovdqu64 %zmm16,0x40(%rdi)", "\x62\xe1\xfe\x48\x7f\x47\x01", 7, W, 0, 0, 0},
    {"vzeroupper", "\xc5\xf8\x77", 3, 0, 0, 0, 0},
    {"fstpl (%rax)", "\xdd\x18", 2, W, 0, 0, 0},
    {"fldl (%rax)", "\xdd\x00", 2, R, 0, 0, 0},
    {"fnstcw (%rax)", "\xd9\x38", 2, W, 0, 0, 0},
    {"xsave (%rdi)", "\x0f\xae\x27", 3, W, 0, 0, 0},
    {"xrstor (%rdi)", "\x0f\xae\x2f", 3, R, 0, 0, 0},
    {"stmxcsr (%rdi)", "\x0f\xae\x1f", 3, W, 0, 0, 0},
    {"mov %fs:0,%rax", "\x64\x48\x8b\x04\x25\x00\x00\x00\x00", 9, R, 0, 0, 0},
    {"mov %rax,%fs:0x28", "\x64\x48\x89\x04\x25\x28\x00\x00\x00", 9, W, 0, 0, 0},
    {"endbr64", "\xf3\x0f\x1e\xfa", 4, 0, 0, 0, 0},
    {"nopw 0(%rax,%rax)", "\x66\x0f\x1f\x44\x00\x00", 6, 0, 0, 0, 0},
    {"syscall", "\x0f\x05", 2, 0, 0, 0, 0},
    {"ud2", "\x0f\x0b", 2, 0, 0, 0, 0},
    {"jne rel32", "\x0f\x85\x00\x01\x00\x00", 6, 0, 0, 0, 0},
    {"movb %al,moffs64", "\xa2\x01\x02\x03\x04\x05\x06\x07\x08", 9, W, 0, 0, 0},
    {"bts %eax,(%rbx)", "\x0f\xab\x03", 3, R | W, 0, 0, 0},
    {"bt %eax,(%rbx)", "\x0f\xa3\x03", 3, R, 0, 0, 0},
    {"testb $1,(%rax)", "\xf6\x00\x01", 3, R, 0, 0, 0},
    {"negl (%rax)", "\xf7\x18", 2, R | W, 0, 0, 0},
    {"shll (%rax)", "\xd1\x20", 2, R | W, 0, 0, 0},
    {"movbe %eax,(%rdi)", "\x0f\x38\xf1\x07", 4, W, 0, 0, 0},
    {"crc32l (%rdi),%eax", "\xf2\x0f\x38\xf1\x07", 5, R, 0, 0, 0},
};

TEST(decode_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct insn_case *c = &cases[i];
        struct ptrace_insn insn;
        uint8_t buf[16];
        memset(buf, 0x90, sizeof(buf));
        memcpy(buf, c->bytes, c->len);
        int r = ptrace_decode_insn(buf, sizeof(buf), &insn);
        if (r != 0 || insn.len != c->len || insn.mem != c->mem || insn.stack != c->stack ||
            insn.str_si != c->si || insn.str_di != c->di)
            ut_fail(__FILE__, __LINE__, "%s: r=%d len=%u mem=%u stack=%u si=%u di=%u", c->what, r,
                    insn.len, insn.mem, insn.stack, insn.str_si, insn.str_di);
        /* Truncated input: not enough bytes. */
        CHECK_INT(ptrace_decode_insn(buf, c->len - 1, &insn), ==, -ENODATA);
    }
}

TEST(decode_invalid)
{
    struct ptrace_insn insn;
    static const uint8_t bad1[] = {0x06};             /* push es: invalid in 64-bit */
    static const uint8_t bad2[] = {0x0f, 0x04, 0, 0}; /* undefined */
    static uint8_t prefixes[16];
    memset(prefixes, 0x66, sizeof(prefixes)); /* longer than 15 bytes */
    CHECK_INT(ptrace_decode_insn(bad1, sizeof(bad1), &insn), ==, -EINVAL);
    CHECK_INT(ptrace_decode_insn(bad2, sizeof(bad2), &insn), ==, -EINVAL);
    CHECK_INT(ptrace_decode_insn(prefixes, sizeof(prefixes), &insn), ==, -EINVAL);
}

static unsigned access_of(const char *bytes, size_t n, uint64_t addr, int code, bool readable)
{
    struct ptrace_fault_in in = {
        .addr = addr,
        .si_code = code,
        .rip = 0x400000,
        .rsp = 0x7ff000,
        .rsi = 0x800000,
        .rdi = 0x900000,
        .code = (const uint8_t *)bytes,
        .ncode = n,
        .addr_readable = readable,
    };
    return ptrace_fault_access(&in);
}

TEST(fault_access_inference)
{
    /* Stores and loads, not mapped. */
    CHECK_INT(access_of("\x48\x89\x03", 3, 0x600000, SEGV_MAPERR, false), ==, W);
    CHECK_INT(access_of("\x48\x8b\x03", 3, 0x600000, SEGV_MAPERR, false), ==, R);
    /* A read-modify-write on a read-only page: write (and read). */
    CHECK_INT(access_of("\x01\x03", 2, 0x600000, SEGV_ACCERR, true), ==, R | W);
    /* Whatever the decoder says, ACCERR on a readable page is a write. */
    CHECK_INT(access_of("\x0f\xff\xff", 3, 0x600000, SEGV_ACCERR, true), ==, W);
    /* Unknown instruction, not mapped: unknown. */
    CHECK_INT(access_of("\x0f\x04", 2, 0x600000, SEGV_MAPERR, false), ==, 0);
    /* Instruction bytes unreadable, or the fault inside the instruction. */
    CHECK_INT(access_of("", 0, 0x400000, SEGV_MAPERR, false), ==, X);
    CHECK_INT(access_of("\x48\x8b\x03", 3, 0x400000, SEGV_ACCERR, true), ==, X);
    CHECK_INT(access_of("\x48\x8b", 2, 0x400002, SEGV_MAPERR, false), ==, X);
    /* push: the stack below rsp is written; push (%rax): the source is read. */
    CHECK_INT(access_of("\x55", 1, 0x7ff000 - 8, SEGV_MAPERR, false), ==, W);
    CHECK_INT(access_of("\xff\x30", 2, 0x600000, SEGV_MAPERR, false), ==, R);
    CHECK_INT(access_of("\xff\x30", 2, 0x7ff000 - 8, SEGV_MAPERR, false), ==, W);
    CHECK_INT(access_of("\xc3", 1, 0x7ff000, SEGV_MAPERR, false), ==, R);
    /* movs: rdi written, rsi read. */
    CHECK_INT(access_of("\xf3\x48\xa5", 3, 0x900008, SEGV_MAPERR, false), ==, W);
    CHECK_INT(access_of("\xf3\x48\xa5", 3, 0x800010, SEGV_MAPERR, false), ==, R);
}
