/* A length-and-direction decoder for x86-64 instructions (see the header).
 *
 * It does not need operand values, only: how long the instruction is, and
 * whether its memory operand is read, written, or both. Unknown opcodes give
 * -EINVAL and the caller falls back to a guess; a wrong "write" is worse than
 * "unknown", so only opcodes whose direction is certain are listed. */
#include "platform/ptrace/decode_amd64.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "platform/platform.h"

#define R PLATFORM_ACCESS_READ
#define W PLATFORM_ACCESS_WRITE
#define RW (PLATFORM_ACCESS_READ | PLATFORM_ACCESS_WRITE)
#define X PLATFORM_ACCESS_EXEC

#define MAX_INSN 15

struct dec {
    const uint8_t *p;
    size_t n, i;
    bool opsize, addrsize, rexw;
    int rep; /* 0, 0xf2 or 0xf3 (the last one wins) */
};

static int get(struct dec *d)
{
    if (d->i >= d->n)
        return -1;
    return d->p[d->i++];
}

static bool skip(struct dec *d, size_t k)
{
    if (d->n - d->i < k)
        return false;
    d->i += k;
    return true;
}

struct modrm {
    bool mem; /* the r/m operand is memory */
    int reg;  /* ModRM.reg (opcode extension for groups) */
    int byte;
};

/* ModRM, then SIB and displacement when present (the same encoding for
 * 64- and 32-bit addressing). */
static bool modrm(struct dec *d, struct modrm *m)
{
    int b = get(d);
    if (b < 0)
        return false;
    int mod = b >> 6, rm = b & 7;
    m->byte = b;
    m->reg = (b >> 3) & 7;
    m->mem = mod != 3;
    if (!m->mem)
        return true;
    size_t disp = 0;
    if (rm == 4) {
        int sib = get(d);
        if (sib < 0)
            return false;
        if (mod == 0 && (sib & 7) == 5)
            disp = 4;
    } else if (mod == 0 && rm == 5) {
        disp = 4; /* rip-relative */
    }
    if (mod == 1)
        disp = 1;
    else if (mod == 2)
        disp = 4;
    return skip(d, disp);
}

/* Immediate of size "z": 2 with an operand-size prefix, else 4. */
static size_t iz(const struct dec *d)
{
    return d->opsize && !d->rexw ? 2 : 4;
}

static unsigned x87_kind(int op, int reg)
{
    /* Stores: D9 /2 /3 /6 /7, DB /1 /2 /3 /7, DD /1 /2 /3 /6 /7, DF /1 /2 /3 /6 /7. */
    switch (op) {
    case 0xd9:
        return (reg == 2 || reg == 3 || reg >= 6) ? W : R;
    case 0xdb:
        return (reg >= 1 && reg <= 3) || reg == 7 ? W : R;
    case 0xdd:
    case 0xdf:
        return (reg >= 1 && reg <= 3) || reg >= 6 ? W : R;
    default:
        return R;
    }
}

#define MODRM()                                                                                    \
    do {                                                                                           \
        if (!modrm(d, &m))                                                                         \
            return -ENODATA;                                                                       \
        has_modrm = true;                                                                          \
    } while (0)

static int finish(struct dec *d, struct ptrace_insn *o, bool has_modrm, const struct modrm *m,
                  unsigned kind, size_t imm)
{
    if (has_modrm && m->mem)
        o->mem = kind;
    if (!skip(d, imm))
        return -ENODATA;
    return 0;
}

static int decode_1byte(struct dec *d, int op, struct ptrace_insn *o)
{
    struct modrm m = {0};
    bool has_modrm = false;
    unsigned kind = 0;
    size_t imm = 0;

    if (op < 0x40 && (op & 7) < 6) { /* add or adc sbb and sub xor cmp */
        bool cmp = (op & 0x38) == 0x38;
        switch (op & 7) {
        case 0:
        case 1:
            MODRM();
            kind = cmp ? R : RW;
            break;
        case 2:
        case 3:
            MODRM();
            kind = R;
            break;
        case 4:
            imm = 1;
            break;
        default:
            imm = iz(d);
            break;
        }
        return finish(d, o, has_modrm, &m, kind, imm);
    }
    switch (op) {
    case 0x50 ... 0x57:
        o->stack = W;
        break;
    case 0x58 ... 0x5f:
        o->stack = R;
        break;
    case 0x63: /* movsxd */
        MODRM();
        kind = R;
        break;
    case 0x68:
        imm = iz(d);
        o->stack = W;
        break;
    case 0x69:
        MODRM();
        kind = R;
        imm = iz(d);
        break;
    case 0x6a:
        imm = 1;
        o->stack = W;
        break;
    case 0x6b:
        MODRM();
        kind = R;
        imm = 1;
        break;
    case 0x6c: /* ins */
    case 0x6d:
        o->str_di = W;
        break;
    case 0x6e: /* outs */
    case 0x6f:
        o->str_si = R;
        break;
    case 0x70 ... 0x7f:
        imm = 1;
        break;
    case 0x80:
    case 0x83:
        MODRM();
        kind = m.reg == 7 ? R : RW;
        imm = 1;
        break;
    case 0x81:
        MODRM();
        kind = m.reg == 7 ? R : RW;
        imm = iz(d);
        break;
    case 0x84: /* test */
    case 0x85:
    case 0x8a: /* mov G, E */
    case 0x8b:
    case 0x8e: /* mov Sw, E */
        MODRM();
        kind = R;
        break;
    case 0x86: /* xchg */
    case 0x87:
        MODRM();
        kind = RW;
        break;
    case 0x88: /* mov E, G */
    case 0x89:
    case 0x8c: /* mov E, Sw */
        MODRM();
        kind = W;
        break;
    case 0x8d: /* lea */
        MODRM();
        kind = 0;
        break;
    case 0x8f: /* pop E */
        MODRM();
        if (m.reg != 0)
            return -EINVAL;
        kind = W;
        o->stack = R;
        break;
    case 0x90 ... 0x99:
    case 0x9b:
    case 0x9e:
    case 0x9f:
        break;
    case 0x9c:
        o->stack = W;
        break;
    case 0x9d:
        o->stack = R;
        break;
    case 0xa0: /* mov al/ax, moffs */
    case 0xa1:
        imm = d->addrsize ? 4 : 8;
        o->mem = R;
        break;
    case 0xa2: /* mov moffs, al/ax */
    case 0xa3:
        imm = d->addrsize ? 4 : 8;
        o->mem = W;
        break;
    case 0xa4: /* movs */
    case 0xa5:
        o->str_si = R;
        o->str_di = W;
        break;
    case 0xa6: /* cmps */
    case 0xa7:
        o->str_si = R;
        o->str_di = R;
        break;
    case 0xa8:
        imm = 1;
        break;
    case 0xa9:
        imm = iz(d);
        break;
    case 0xaa: /* stos */
    case 0xab:
        o->str_di = W;
        break;
    case 0xac: /* lods */
    case 0xad:
        o->str_si = R;
        break;
    case 0xae: /* scas */
    case 0xaf:
        o->str_di = R;
        break;
    case 0xb0 ... 0xb7:
        imm = 1;
        break;
    case 0xb8 ... 0xbf:
        imm = d->rexw ? 8 : iz(d);
        break;
    case 0xc0: /* shift group, imm8 */
    case 0xc1:
        MODRM();
        kind = RW;
        imm = 1;
        break;
    case 0xc2: /* ret imm16 */
        imm = 2;
        o->stack = R;
        break;
    case 0xc3:
    case 0xc9: /* leave */
    case 0xcb:
    case 0xcf:
        o->stack = R;
        break;
    case 0xc6: /* mov E, imm8; xabort */
    case 0xc7: /* mov E, imm32; xbegin */
        MODRM();
        if (m.reg == 0)
            kind = W;
        else if (m.byte != 0xf8)
            return -EINVAL;
        imm = op == 0xc6 ? 1 : iz(d);
        break;
    case 0xc8: /* enter */
        imm = 3;
        o->stack = W;
        break;
    case 0xca:
        imm = 2;
        o->stack = R;
        break;
    case 0xcc:
        break;
    case 0xcd:
        imm = 1;
        break;
    case 0xd0 ... 0xd3: /* shift group */
        MODRM();
        kind = RW;
        break;
    case 0xd7: /* xlat */
        o->mem = R;
        break;
    case 0xd8 ... 0xdf:
        MODRM();
        kind = x87_kind(op, m.reg);
        break;
    case 0xe0 ... 0xe7:
        imm = 1;
        break;
    case 0xe8: /* call rel32 */
        imm = 4;
        o->stack = W;
        break;
    case 0xe9:
        imm = 4;
        break;
    case 0xeb:
        imm = 1;
        break;
    case 0xec ... 0xef:
    case 0xf1:
    case 0xf4:
    case 0xf5:
    case 0xf8 ... 0xfd:
        break;
    case 0xf6:
    case 0xf7:
        MODRM();
        if (m.reg < 2) { /* test E, imm */
            kind = R;
            imm = op == 0xf6 ? 1 : iz(d);
        } else {
            kind = m.reg < 4 ? RW : R; /* not/neg, mul/imul/div/idiv */
        }
        break;
    case 0xfe:
        MODRM();
        if (m.reg > 1)
            return -EINVAL;
        kind = RW;
        break;
    case 0xff:
        MODRM();
        switch (m.reg) {
        case 0: /* inc, dec */
        case 1:
            kind = RW;
            break;
        case 2: /* call, far call, push */
        case 3:
        case 6:
            kind = R;
            o->stack = W;
            break;
        case 4: /* jmp, far jmp */
        case 5:
            kind = R;
            break;
        default:
            return -EINVAL;
        }
        break;
    default:
        return -EINVAL;
    }
    return finish(d, o, has_modrm, &m, kind, imm);
}

static int decode_0f38(struct dec *d, struct ptrace_insn *o)
{
    struct modrm m = {0};
    bool has_modrm = false;
    int op = get(d);
    if (op < 0)
        return -ENODATA;
    MODRM();
    unsigned kind = R;
    if (op == 0xf0 || op == 0xf1) /* crc32 (f2) or movbe load/store */
        kind = d->rep == 0xf2 ? R : (op == 0xf1 ? W : R);
    else if (op == 0xf8) /* movdir64b, enqcmd: two memory operands */
        kind = 0;
    else if (op == 0xf9) /* movdiri */
        kind = W;
    return finish(d, o, has_modrm, &m, kind, 0);
}

static int decode_0f3a(struct dec *d, struct ptrace_insn *o)
{
    struct modrm m = {0};
    bool has_modrm = false;
    int op = get(d);
    if (op < 0)
        return -ENODATA;
    MODRM();
    unsigned kind = (op >= 0x14 && op <= 0x17) ? W : R; /* pextr*, extractps */
    return finish(d, o, has_modrm, &m, kind, 1);
}

static int decode_0f(struct dec *d, struct ptrace_insn *o)
{
    struct modrm m = {0};
    bool has_modrm = false;
    unsigned kind = R;
    size_t imm = 0;
    int op = get(d);
    if (op < 0)
        return -ENODATA;
    switch (op) {
    case 0x38:
        return decode_0f38(d, o);
    case 0x3a:
        return decode_0f3a(d, o);
    case 0x00: /* sldt str | lldt ltr verr verw */
        MODRM();
        if (m.reg > 5)
            return -EINVAL;
        kind = m.reg < 2 ? W : R;
        break;
    case 0x01:
        MODRM();
        if (!m.mem)
            kind = 0; /* xgetbv, rdtscp, ...: no memory operand */
        else if (m.reg == 0 || m.reg == 1 || m.reg == 4)
            kind = W; /* sgdt sidt smsw */
        else if (m.reg == 7)
            kind = 0; /* invlpg */
        else
            kind = R;
        break;
    case 0x02: /* lar, lsl */
    case 0x03:
        MODRM();
        break;
    case 0x05 ... 0x09:
    case 0x0b: /* ud2 */
    case 0x0e:
    case 0x30 ... 0x37:
    case 0x77:
    case 0xa2: /* cpuid */
    case 0xaa:
    case 0xc8 ... 0xcf:
        break;
    case 0x0d:          /* prefetch */
    case 0x18 ... 0x1f: /* hints, nop E, endbr */
    case 0x20 ... 0x23: /* mov cr/dr */
    case 0xb9:          /* ud1 */
    case 0xff:          /* ud0 */
        MODRM();
        kind = 0;
        break;
    case 0x0f: /* 3DNow!: modrm + opcode byte */
        MODRM();
        imm = 1;
        break;
    case 0x10 ... 0x17: /* movups.. movhps: 11 13 17 store */
        MODRM();
        kind = (op == 0x11 || op == 0x13 || op == 0x17) ? W : R;
        break;
    case 0x28 ... 0x2f: /* movaps..: 29 store, 2b movntps */
        MODRM();
        kind = (op == 0x29 || op == 0x2b) ? W : R;
        break;
    case 0x40 ... 0x6f:
    case 0x74 ... 0x76:
    case 0x7c:
    case 0x7d:
    case 0xaf:
    case 0xb2:
    case 0xb4 ... 0xb8:
    case 0xbc ... 0xbf:
    case 0xd0 ... 0xd5:
    case 0xd7 ... 0xe6:
    case 0xe8 ... 0xf6:
    case 0xf8 ... 0xfe:
        MODRM();
        kind = R;
        break;
    case 0x70 ... 0x73:
    case 0xc2:
    case 0xc4 ... 0xc6:
        MODRM();
        kind = R;
        imm = 1;
        break;
    case 0x78: /* vmread */
        MODRM();
        kind = d->opsize || d->rep ? 0 : W;
        break;
    case 0x79:
        MODRM();
        kind = d->opsize || d->rep ? 0 : R;
        break;
    case 0x7e: /* movd/movq E, mm/xmm; f3: movq xmm, xmm/m64 */
        MODRM();
        kind = d->rep == 0xf3 ? R : W;
        break;
    case 0x7f:
    case 0x90 ... 0x9f: /* setcc */
    case 0xc3:          /* movnti */
    case 0xd6:          /* movq xmm/m64, xmm */
    case 0xe7:          /* movntq, movntdq */
        MODRM();
        kind = W;
        break;
    case 0x80 ... 0x8f: /* jcc rel32 */
        imm = 4;
        break;
    case 0xa0:
    case 0xa8:
        o->stack = W;
        break;
    case 0xa1:
    case 0xa9:
        o->stack = R;
        break;
    case 0xa3: /* bt */
        MODRM();
        break;
    case 0xa4: /* shld/shrd imm */
    case 0xac:
        MODRM();
        kind = RW;
        imm = 1;
        break;
    case 0xa5:
    case 0xab: /* bts */
    case 0xad:
    case 0xb0: /* cmpxchg */
    case 0xb1:
    case 0xb3: /* btr */
    case 0xbb: /* btc */
    case 0xc0: /* xadd */
    case 0xc1:
        MODRM();
        kind = RW;
        break;
    case 0xae:
        MODRM();
        if (!m.mem) {
            kind = 0; /* fences, rdfsbase... */
        } else {
            static const unsigned k[8] = {W, R, R, W, W, R, W, 0};
            kind = k[m.reg]; /* fxsave fxrstor ldmxcsr stmxcsr xsave xrstor xsaveopt clflush */
            if (m.reg == 6 && d->opsize)
                kind = 0; /* clwb */
        }
        break;
    case 0xba:
        MODRM();
        if (m.reg < 4)
            return -EINVAL;
        kind = m.reg == 4 ? R : RW;
        imm = 1;
        break;
    case 0xc7:
        MODRM();
        if (!m.mem) {
            kind = 0; /* rdrand, rdseed, rdpid */
        } else {
            static const unsigned k[8] = {0, RW, 0, R, W, W, R, W};
            kind = k[m.reg]; /* cmpxchg8b/16b xrstors xsavec xsaves vmptrld vmptrst */
        }
        break;
    case 0xf7: /* maskmovq: writes [rdi] */
        MODRM();
        kind = 0;
        o->str_di = W;
        break;
    default:
        return -EINVAL;
    }
    return finish(d, o, has_modrm, &m, kind, imm);
}

/* pp: 0 none, 1 66, 2 f3, 3 f2. map: 1 0F, 2 0F38, 3 0F3A, 5, 6 (EVEX). */
static int decode_vex_body(struct dec *d, struct ptrace_insn *o, int map, int pp, bool evex)
{
    struct modrm m = {0};
    bool has_modrm = false;
    unsigned kind = R;
    size_t imm = 0;
    int op = get(d);
    if (op < 0)
        return -ENODATA;
    if (!evex && map == 1 && op == 0x77) /* vzeroupper, vzeroall */
        return 0;
    MODRM();
    switch (map) {
    case 1:
        if ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6))
            imm = 1;
        if (op == 0x11 || op == 0x13 || op == 0x17 || op == 0x29 || op == 0x2b || op == 0x7f ||
            op == 0xd6 || op == 0xe7)
            kind = W;
        else if (op == 0x7e)
            kind = pp == 2 ? R : W;
        else if (op == 0xae)
            kind = m.reg == 3 ? W : m.reg == 2 ? R : 0;
        else if (op == 0xf7) { /* vmaskmovdqu */
            kind = 0;
            o->str_di = W;
        }
        break;
    case 2:
        if (!evex && (op == 0x2e || op == 0x2f || op == 0x8e)) /* masked stores */
            kind = W;
        if (evex && ((pp == 2 && ((op >= 0x10 && op <= 0x15) || (op >= 0x20 && op <= 0x25) ||
                                  (op >= 0x30 && op <= 0x35))) ||             /* vpmov* narrowing */
                     (pp == 1 && (op == 0x8a || op == 0x8b || op == 0x63)) || /* compress */
                     (op >= 0xa0 && op <= 0xa3)))                             /* scatter */
            kind = W;
        break;
    case 3:
        imm = 1;
        if ((op >= 0x14 && op <= 0x17) || op == 0x19 || op == 0x1d || op == 0x39 ||
            (evex && (op == 0x1b || op == 0x3b)))
            kind = W; /* vpextr*, vextract*, vcvtps2ph */
        break;
    case 5:
    case 6:
        if (!evex)
            return -EINVAL;
        if (map == 5 && ((op == 0x11 && pp == 2) || (op == 0x7e && pp == 1)))
            kind = W; /* vmovsh, vmovw stores */
        break;
    default:
        return -EINVAL;
    }
    return finish(d, o, has_modrm, &m, kind, imm);
}

static int decode_vex(struct dec *d, int first, struct ptrace_insn *o)
{
    int b1 = get(d);
    if (b1 < 0)
        return -ENODATA;
    if (first == 0xc5)
        return decode_vex_body(d, o, 1, b1 & 3, false);
    int b2 = get(d);
    if (b2 < 0)
        return -ENODATA;
    return decode_vex_body(d, o, b1 & 0x1f, b2 & 3, false);
}

static int decode_evex(struct dec *d, struct ptrace_insn *o)
{
    int p0 = get(d), p1 = get(d), p2 = get(d);
    if (p0 < 0 || p1 < 0 || p2 < 0)
        return -ENODATA;
    if (!(p1 & 4)) /* fixed 1 bit */
        return -EINVAL;
    return decode_vex_body(d, o, p0 & 7, p1 & 3, true);
}

int ptrace_decode_insn(const uint8_t *code, size_t n, struct ptrace_insn *out)
{
    memset(out, 0, sizeof(*out));
    struct dec d = {.p = code, .n = n < MAX_INSN ? n : MAX_INSN};
    int rex = 0, b;
    for (;;) {
        b = get(&d);
        if (b < 0)
            return n >= MAX_INSN ? -EINVAL : -ENODATA;
        if (b >= 0x40 && b <= 0x4f) {
            rex = b;
            continue;
        }
        if (b == 0x66)
            d.opsize = true;
        else if (b == 0x67)
            d.addrsize = true;
        else if (b == 0xf2 || b == 0xf3)
            d.rep = b;
        else if (b != 0xf0 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0x26 && b != 0x64 &&
                 b != 0x65)
            break;
        rex = 0; /* a REX prefix counts only right before the opcode */
    }
    d.rexw = rex & 8;
    int r;
    if (b == 0x0f)
        r = decode_0f(&d, out);
    else if (b == 0xc4 || b == 0xc5)
        r = decode_vex(&d, b, out);
    else if (b == 0x62)
        r = decode_evex(&d, out);
    else
        r = decode_1byte(&d, b, out);
    if (r == -ENODATA && n >= MAX_INSN)
        r = -EINVAL;
    if (r == 0)
        out->len = (unsigned)d.i;
    return r;
}

static uint64_t dist(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* Which of the instruction's accesses is at addr. */
static unsigned data_access(const struct ptrace_insn *i, const struct ptrace_fault_in *in)
{
    if (i->str_di || i->str_si) {
        uint64_t ddi = i->str_di ? dist(in->addr, in->rdi) : UINT64_MAX;
        uint64_t dsi = i->str_si ? dist(in->addr, in->rsi) : UINT64_MAX;
        if (ddi <= dsi && ddi < 4096)
            return i->str_di;
        if (dsi < 4096)
            return i->str_si;
    }
    /* push/call write below rsp; pop/ret read at rsp (enter may go deeper). */
    if ((i->stack & W) && in->addr < in->rsp && in->rsp - in->addr <= 256)
        return W;
    if ((i->stack & R) && in->addr >= in->rsp && in->addr - in->rsp < 64)
        return R;
    if (i->mem)
        return i->mem;
    return i->stack | i->str_di | i->str_si;
}

unsigned ptrace_fault_access(const struct ptrace_fault_in *in)
{
    if (in->ncode == 0)
        return X; /* the instruction itself cannot be read: its fetch faulted */
    struct ptrace_insn insn;
    int r = ptrace_decode_insn(in->code, in->ncode, &insn);
    uint64_t end;
    if (r == 0)
        end = in->rip + insn.len;
    else if (r == -ENODATA)
        end = in->rip + MAX_INSN; /* it runs into bytes we could not read */
    else
        end = in->rip + 1;
    if (in->addr >= in->rip && in->addr < end)
        return X;
    unsigned acc = r == 0 ? data_access(&insn, in) : 0;
    if (in->si_code == SEGV_ACCERR && in->addr_readable)
        acc = (acc & R) | W; /* reads do not fault on a readable page */
    return acc;
}
