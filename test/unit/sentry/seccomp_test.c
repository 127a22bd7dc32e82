/* sentry/kernel/seccomp.c without tasks: the classic-BPF validator, the
 * interpreter, and filter chains (precedence, limits, references). */
#include <errno.h>
#include <linux/audit.h>
#include <stddef.h>
#include <stdlib.h>

#include "sentry/kernel/seccomp.h"
#include "test/unit/harness.h"

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct seccomp_data data_for(int nr)
{
    struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64, .instruction_pointer = 0x1234};
    for (int i = 0; i < 6; i++)
        d.args[i] = 0x100000000ull * (uint64_t)(i + 1) + (uint64_t)i;
    return d;
}

TEST(check_accepts_and_refuses)
{
    struct sock_filter ok[] = {LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
                               RET(SECCOMP_RET_ERRNO | 1), RET(SECCOMP_RET_ALLOW)};
    CHECK_INT(seccomp_prog_check(ok, N(ok)), ==, 0);
    CHECK_INT(seccomp_prog_check(ok, 0), ==, -EINVAL);

    struct sock_filter *big = calloc(SECCOMP_MAX_INSNS + 1, sizeof(*big));
    for (int i = 0; i <= SECCOMP_MAX_INSNS; i++)
        big[i] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
    CHECK_INT(seccomp_prog_check(big, SECCOMP_MAX_INSNS), ==, 0);
    CHECK_INT(seccomp_prog_check(big, SECCOMP_MAX_INSNS + 1), ==, -EINVAL);
    free(big);

    /* Loads: 32-bit, aligned, inside seccomp_data. */
    struct sock_filter ld[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 60), RET(SECCOMP_RET_ALLOW)};
    CHECK_INT(seccomp_prog_check(ld, 2), ==, 0);
    ld[0].k = 64;
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0].k = 6;
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(BPF_ST, 16);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);
    ld[0] = (struct sock_filter)BPF_STMT(0xffff, 0);
    CHECK_INT(seccomp_prog_check(ld, 2), ==, -EINVAL);

    /* Jumps stay inside; the last instruction returns. */
    struct sock_filter j[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET(0), RET(0)};
    CHECK_INT(seccomp_prog_check(j, 3), ==, 0);
    j[0].jt = 2;
    CHECK_INT(seccomp_prog_check(j, 3), ==, -EINVAL);
    j[0] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
    CHECK_INT(seccomp_prog_check(j, 3), ==, 0);
    j[0].k = 2;
    CHECK_INT(seccomp_prog_check(j, 3), ==, -EINVAL);
    j[0].k = 0xffffffffu; /* no wrap-around */
    CHECK_INT(seccomp_prog_check(j, 3), ==, -EINVAL);
    struct sock_filter tail[] = {RET(0), LD_NR};
    CHECK_INT(seccomp_prog_check(tail, 2), ==, -EINVAL);
}

TEST(check_scratch_memory)
{
    struct sock_filter unset[] = {BPF_STMT(BPF_LDX | BPF_MEM, 4), RET(0)};
    CHECK_INT(seccomp_prog_check(unset, N(unset)), ==, -EINVAL);
    /* Written on one branch only. */
    struct sock_filter one[] = {LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
                                BPF_STMT(BPF_ST, 2), BPF_STMT(BPF_LD | BPF_MEM, 2), RET(0)};
    CHECK_INT(seccomp_prog_check(one, N(one)), ==, -EINVAL);
    /* Written on both branches. */
    struct sock_filter both[] = {LD_NR,
                                 BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),
                                 BPF_STMT(BPF_ST, 2),
                                 BPF_STMT(BPF_JMP | BPF_JA, 1),
                                 BPF_STMT(BPF_STX, 2),
                                 BPF_STMT(BPF_LD | BPF_MEM, 2),
                                 RET(0)};
    CHECK_INT(seccomp_prog_check(both, N(both)), ==, 0);
    /* After a RET nothing flows on: an unreachable load is still checked
     * against what reaches it (nothing), as Linux does. */
    struct sock_filter dead[] = {BPF_STMT(BPF_ST, 1), RET(0), BPF_STMT(BPF_LD | BPF_MEM, 1),
                                 RET(0)};
    CHECK_INT(seccomp_prog_check(dead, N(dead)), ==, 0);
}

static uint32_t run(const struct sock_filter *p, size_t n, const struct seccomp_data *d)
{
    CHECK_INT(seccomp_prog_check(p, n), ==, 0);
    return seccomp_prog_run(p, n, d);
}

TEST(run_loads_and_alu)
{
    struct seccomp_data d = data_for(39);
    struct sock_filter ret_a[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2]) + 4),
        BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK_INT(run(ret_a, 2, &d), ==, 3); /* high word of args[2] */
    struct sock_filter arch[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK_INT(run(arch, 2, &d), ==, AUDIT_ARCH_X86_64);
    struct sock_filter len[] = {BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
                                BPF_STMT(BPF_MISC | BPF_TXA, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK_INT(run(len, 3, &d), ==, 64);
    /* ((39 + 1) * 6 - 4) / 2 = 118; << 2 = 472; | 1 = 473; & 0x1ff = 473; ^ 0x10 = 457;
     * >> 1 = 228; -228 */
    struct sock_filter alu[] = {LD_NR,
                                BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
                                BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 6),
                                BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 4),
                                BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 2),
                                BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),
                                BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 1),
                                BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x1ff),
                                BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 0x10),
                                BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 1),
                                BPF_STMT(BPF_ALU | BPF_NEG, 0),
                                BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK_INT(run(alu, N(alu), &d), ==, (uint32_t)-228);
    /* X operands and scratch memory. */
    struct sock_filter x[] = {BPF_STMT(BPF_LDX | BPF_IMM, 3),
                              BPF_STMT(BPF_LD | BPF_IMM, 20),
                              BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), /* 6 */
                              BPF_STMT(BPF_ST, 7),
                              BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0), /* 18 */
                              BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0), /* 15 */
                              BPF_STMT(BPF_LDX | BPF_MEM, 7),         /* x = 6 */
                              BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0), /* 21 */
                              BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), /* 1344 */
                              BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK_INT(run(x, N(x), &d), ==, 1344);
    /* A shift by X takes the low 5 bits of X. */
    struct sock_filter sh[] = {BPF_STMT(BPF_LDX | BPF_IMM, 33), BPF_STMT(BPF_LD | BPF_IMM, 1),
                               BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
                               BPF_STMT(BPF_RET | BPF_A, 0)};
    CHECK_INT(run(sh, N(sh), &d), ==, 2);
    /* Dividing by a zero X ends the program with 0. */
    struct sock_filter div0[] = {BPF_STMT(BPF_LDX | BPF_IMM, 0), BPF_STMT(BPF_LD | BPF_IMM, 5),
                                 BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), RET(SECCOMP_RET_ALLOW)};
    CHECK_INT(run(div0, N(div0), &d), ==, 0);
}

TEST(run_jumps)
{
    struct seccomp_data d = data_for(39);
    /* One conditional of each kind, K and X forms. */
    struct sock_filter p[] = {LD_NR,
                              BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 40, 0, 1), /* not taken */
                              RET(1),
                              BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 38, 1, 0), /* taken */
                              RET(2),
                              BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 39, 1, 0), /* taken */
                              RET(3),
                              BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 0, 1), /* 39 & 0x80 = 0 */
                              RET(4),
                              BPF_STMT(BPF_LDX | BPF_IMM, 39),
                              BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0), /* taken */
                              RET(5),
                              BPF_STMT(BPF_JMP | BPF_JA, 1),
                              RET(6),
                              BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), /* 39 > 39: no */
                              RET(7),
                              BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), /* 39 >= 39 */
                              RET(8),
                              BPF_JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 0), /* 39 & 39 */
                              RET(9),
                              RET(SECCOMP_RET_ALLOW)};
    CHECK_INT(run(p, N(p), &d), ==, 8);
    d.nr = 0;
    CHECK_INT(run(p, N(p), &d), ==, 2); /* 0 > 38 fails */
}

static struct seccomp_filter *filter_ret(uint32_t ret, struct seccomp_filter *prev)
{
    struct sock_filter p[] = {RET(ret)};
    struct seccomp_filter *f = NULL;
    CHECK_INT(seccomp_filter_new(p, 1, prev, &f), ==, 0);
    return f;
}

TEST(chain_precedence)
{
    struct seccomp_data d = data_for(39);
    CHECK_INT(seccomp_filter_eval(NULL, &d), ==, SECCOMP_RET_ALLOW);
    struct seccomp_filter *a = filter_ret(SECCOMP_RET_ERRNO | 1, NULL);
    struct seccomp_filter *b = filter_ret(SECCOMP_RET_ALLOW, a);
    CHECK_INT(seccomp_filter_eval(b, &d), ==, SECCOMP_RET_ERRNO | 1);
    /* Equal actions: the newest filter's data. */
    struct seccomp_filter *c = filter_ret(SECCOMP_RET_ERRNO | 2, b);
    CHECK_INT(seccomp_filter_eval(c, &d), ==, SECCOMP_RET_ERRNO | 2);
    /* Ranks: LOG < TRACE < ERRNO < TRAP < KILL_THREAD < KILL_PROCESS. */
    struct seccomp_filter *e = filter_ret(SECCOMP_RET_TRACE | 3, c);
    CHECK_INT(seccomp_filter_eval(e, &d), ==, SECCOMP_RET_ERRNO | 2);
    struct seccomp_filter *f = filter_ret(SECCOMP_RET_TRAP | 4, e);
    CHECK_INT(seccomp_filter_eval(f, &d), ==, SECCOMP_RET_TRAP | 4);
    struct seccomp_filter *g = filter_ret(SECCOMP_RET_KILL_THREAD, f);
    CHECK_INT(seccomp_filter_eval(g, &d), ==, SECCOMP_RET_KILL_THREAD);
    struct seccomp_filter *h = filter_ret(SECCOMP_RET_KILL_PROCESS, g);
    CHECK_INT(seccomp_filter_eval(h, &d), ==, SECCOMP_RET_KILL_PROCESS);
    CHECK_INT(h->count, ==, 7);
    struct seccomp_filter *l = filter_ret(SECCOMP_RET_LOG, NULL);
    CHECK_INT(seccomp_filter_eval(l, &d), ==, SECCOMP_RET_LOG);
    /* Each filter holds its predecessor: dropping the newer ones keeps a. */
    CHECK_INT(a->refs, ==, 2);
    seccomp_filter_put(h);
    seccomp_filter_put(g);
    seccomp_filter_put(f);
    seccomp_filter_put(e);
    seccomp_filter_put(c);
    seccomp_filter_put(b);
    CHECK_INT(a->refs, ==, 1);
    seccomp_filter_put(a);
    seccomp_filter_put(l);
}

TEST(chain_length_limit)
{
    struct sock_filter *p = calloc(SECCOMP_MAX_INSNS, sizeof(*p));
    for (int i = 0; i < SECCOMP_MAX_INSNS; i++)
        p[i] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
    /* 4096 instructions per filter, 4 more per filter already there:
     * 7 fit in 32768, the 8th does not. */
    struct seccomp_filter *f = NULL;
    for (int i = 0; i < 7; i++) {
        struct seccomp_filter *n;
        CHECK_INT(seccomp_filter_new(p, SECCOMP_MAX_INSNS, f, &n), ==, 0);
        seccomp_filter_put(f);
        f = n;
    }
    struct seccomp_filter *n = NULL;
    CHECK_INT(seccomp_filter_new(p, SECCOMP_MAX_INSNS, f, &n), ==, -ENOMEM);
    CHECK_INT(seccomp_filter_new(p, 100, f, &n), ==, 0); /* a small one still fits */
    seccomp_filter_put(n);
    seccomp_filter_put(f);
    free(p);
}

TEST(container_filter_bytes)
{
    struct sock_filter p[] = {RET(SECCOMP_RET_ALLOW)};
    CHECK_INT(seccomp_container_set(p, sizeof(p) - 1), ==, -EINVAL);
    CHECK_INT(seccomp_container_set(p, 0), ==, -EINVAL);
    struct sock_filter bad[] = {LD_NR};
    CHECK_INT(seccomp_container_set(bad, sizeof(bad)), ==, -EINVAL);
    CHECK_INT(seccomp_container_set(p, sizeof(p)), ==, 0);
}
