/* Unit-test harness: tests register themselves with TEST(name); the runner
 * forks one process per test. A test passes by returning, fails through
 * CHECK*, and skips with SKIP("reason") (exit status 77).
 *
 * Output, one line per test, read by tools/run-tests:
 *     PASS <suite>/<name>
 *     FAIL <suite>/<name>: <file>:<line>: <what>
 *     SKIP <suite>/<name>: <reason>
 * Usage: <binary> [--list] [name...]; a name that is no test is an error
 * (exit status 2, nothing run). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct ut_test {
    const char *name;
    void (*fn)(void);
    struct ut_test *next;
};

void ut_register(struct ut_test *t);
void ut_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
void ut_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Number of entries of the directory at path (names starting with '.' not
 * counted); -1 if it cannot be opened. */
int ut_count_entries(const char *path);
/* Number of open fds of this process (to check for leaks). */
int ut_count_fds(void);
/* A fresh temporary directory (removed when the test process ends). */
const char *ut_tmpdir(void);

#define TEST(tname)                                                                                \
    static void test_##tname(void);                                                                \
    __attribute__((constructor)) static void ut_reg_##tname(void)                                  \
    {                                                                                              \
        static struct ut_test t = {#tname, test_##tname, NULL};                                    \
        ut_register(&t);                                                                           \
    }                                                                                              \
    static void test_##tname(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ut_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                       \
    } while (0)

#define CHECK_INT(a, op, b)                                                                        \
    do {                                                                                           \
        long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);                                  \
        if (!(ut_a_ op ut_b_))                                                                     \
            ut_fail(__FILE__, __LINE__, "%s %s %s (%lld vs %lld)", #a, #op, #b, ut_a_, ut_b_);     \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *ut_a_ = (a), *ut_b_ = (b);                                                     \
        if (!ut_a_ || !ut_b_ || strcmp(ut_a_, ut_b_) != 0)                                         \
            ut_fail(__FILE__, __LINE__, "%s == %s (\"%s\" vs \"%s\")", #a, #b,                     \
                    ut_a_ ? ut_a_ : "(null)", ut_b_ ? ut_b_ : "(null)");                           \
    } while (0)

/* Substring check. */
#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *ut_h_ = (hay), *ut_n_ = (needle);                                              \
        if (!ut_h_ || !strstr(ut_h_, ut_n_))                                                       \
            ut_fail(__FILE__, __LINE__, "\"%s\" contains \"%s\"", ut_h_ ? ut_h_ : "(null)",        \
                    ut_n_);                                                                        \
    } while (0)

#define SKIP(...) ut_skip(__VA_ARGS__)
