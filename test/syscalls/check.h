/* check.h: the harness of the syscall tests (test/syscalls/NAME.c). Header only,
 * glibc only: each test is one static program built from one .c file.
 *
 * A test program runs its parts with RUN(fn) and passes by returning 0 from
 * main. A failed check prints one line on stderr and exits 1:
 *     <file>:<line>: <part>: <what>
 * SKIP("reason") prints the reason on stderr and exits 77 (skip).
 *
 * Checks that take a syscall expression treat -1 as failure (the libc/raw
 * syscall() convention; MAP_FAILED is -1 too):
 *     CHECK_OK(expr)        expr succeeds; evaluates to its value (long)
 *     CHECK_ERR(expr, E)    expr fails with errno exactly E
 *     CHECK_PTR(expr)       like CHECK_OK for pointer results (mmap, ...)
 * Other checks: CHECK(cond), CHECK_EQ/NE/LT/LE/GT/GE(a, b) (as long long),
 * CHECK_STR(a, b), CHECK_MEM(a, b, n). */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The part being run (set by RUN), shown in failure messages. */
static const char *check_part_ __attribute__((unused)) = "";

__attribute__((noreturn, format(printf, 3, 4), unused)) static void
check_fail_(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    if (check_part_[0])
        fprintf(stderr, "%s:%d: %s: ", file, line, check_part_);
    else
        fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

__attribute__((noreturn, format(printf, 1, 2), unused)) static void check_skip_(const char *fmt,
                                                                                ...)
{
    va_list ap;
    fflush(stdout);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(77);
}

/* "EINVAL" for EINVAL, a number for anything glibc does not name. */
__attribute__((unused)) static const char *check_errname_(int e)
{
    static char buf[4][16];
    static int next;
    const char *s = e ? strerrorname_np(e) : "0";
    if (s)
        return s;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), "errno %d", e);
    return b;
}

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        check_part_ = #fn;                                                                         \
        fn();                                                                                      \
        check_part_ = "";                                                                          \
    } while (0)

#define SKIP(...) check_skip_(__VA_ARGS__)
#define FAIL(...) check_fail_(__FILE__, __LINE__, __VA_ARGS__)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            check_fail_(__FILE__, __LINE__, "CHECK(%s)", #cond);                                   \
    } while (0)

#define CHECK_INT_(a, op, b)                                                                       \
    do {                                                                                           \
        long long ck_a_ = (long long)(a), ck_b_ = (long long)(b);                                  \
        if (!(ck_a_ op ck_b_))                                                                     \
            check_fail_(__FILE__, __LINE__, "%s %s %s (%lld vs %lld)", #a, #op, #b, ck_a_, ck_b_); \
    } while (0)

#define CHECK_EQ(a, b) CHECK_INT_(a, ==, b)
#define CHECK_NE(a, b) CHECK_INT_(a, !=, b)
#define CHECK_LT(a, b) CHECK_INT_(a, <, b)
#define CHECK_LE(a, b) CHECK_INT_(a, <=, b)
#define CHECK_GT(a, b) CHECK_INT_(a, >, b)
#define CHECK_GE(a, b) CHECK_INT_(a, >=, b)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *ck_a_ = (a), *ck_b_ = (b);                                                     \
        if (!ck_a_ || !ck_b_ || strcmp(ck_a_, ck_b_) != 0)                                         \
            check_fail_(__FILE__, __LINE__, "%s == %s (\"%s\" vs \"%s\")", #a, #b,                 \
                        ck_a_ ? ck_a_ : "(null)", ck_b_ ? ck_b_ : "(null)");                       \
    } while (0)

#define CHECK_MEM(a, b, n)                                                                         \
    do {                                                                                           \
        size_t ck_n_ = (n);                                                                        \
        const unsigned char *ck_a_ = (const void *)(a), *ck_b_ = (const void *)(b);                \
        for (size_t ck_i_ = 0; ck_i_ < ck_n_; ck_i_++)                                             \
            if (ck_a_[ck_i_] != ck_b_[ck_i_])                                                      \
                check_fail_(__FILE__, __LINE__,                                                    \
                            "%s and %s differ at byte %zu of %zu (0x%02x vs 0x%02x)", #a, #b,      \
                            ck_i_, ck_n_, ck_a_[ck_i_], ck_b_[ck_i_]);                             \
    } while (0)

#define CHECK_OK(expr)                                                                             \
    ({                                                                                             \
        errno = 0;                                                                                 \
        long ck_r_ = (long)(expr);                                                                 \
        if (ck_r_ == -1) {                                                                         \
            int ck_e_ = errno;                                                                     \
            check_fail_(__FILE__, __LINE__, "%s failed: %s (%s)", #expr, check_errname_(ck_e_),    \
                        strerror(ck_e_));                                                          \
        }                                                                                          \
        ck_r_;                                                                                     \
    })

#define CHECK_PTR(expr) ((void *)CHECK_OK(expr))

#define CHECK_ERR(expr, err)                                                                       \
    do {                                                                                           \
        errno = 0;                                                                                 \
        long ck_r_ = (long)(expr);                                                                 \
        int ck_e_ = errno;                                                                         \
        if (ck_r_ != -1)                                                                           \
            check_fail_(__FILE__, __LINE__, "%s: expected %s, got %ld (success)", #expr,           \
                        check_errname_(err), ck_r_);                                               \
        if (ck_e_ != (err))                                                                        \
            check_fail_(__FILE__, __LINE__, "%s: expected %s, got %s (%s)", #expr,                 \
                        check_errname_(err), check_errname_(ck_e_), strerror(ck_e_));              \
    } while (0)

/* An address no test maps: the kernel answers EFAULT for it. Read through a
 * volatile so that the compiler does not warn about the deliberate misuse. */
static void *volatile check_bad_ptr_ __attribute__((unused)) = (void *)8;
#define BAD_PTR (check_bad_ptr_)

/* Page size, from the auxiliary vector (no /proc or /sys needed). */
__attribute__((unused)) static long check_page_size(void)
{
    return sysconf(_SC_PAGESIZE);
}

/* The first of the NULL-terminated candidates that is a symbolic link, or
 * NULL. Tests that need a symlink in the read-only root use this, and skip
 * when the host's layout has none (Debian has /bin -> usr/bin and
 * /etc/os-release -> ../usr/lib/os-release). */
__attribute__((unused)) static const char *check_find_symlink(const char *const *candidates)
{
    struct stat st;
    for (; *candidates; candidates++)
        if (lstat(*candidates, &st) == 0 && S_ISLNK(st.st_mode))
            return *candidates;
    return NULL;
}

/* Reads the whole file at path into a malloc'ed buffer; its size in *len. */
__attribute__((unused)) static char *check_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        check_fail_(__FILE__, __LINE__, "fopen(%s): %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Creates or truncates path (mode 0666 & ~umask) and writes s into it. */
__attribute__((unused)) static void check_write_str(const char *path, const char *s)
{
    FILE *f = fopen(path, "we");
    if (!f || fputs(s, f) < 0 || fclose(f) != 0)
        check_fail_(__FILE__, __LINE__, "writing %s: %s", path, strerror(errno));
}

/* Fails unless the whole content of path is s. */
__attribute__((unused)) static void check_content(const char *path, const char *s)
{
    size_t n;
    char *buf = check_read_file(path, &n);
    if (n != strlen(s) || memcmp(buf, s, n) != 0)
        check_fail_(__FILE__, __LINE__, "%s holds \"%.*s\", not \"%s\"", path, (int)n, buf, s);
    free(buf);
}

/* Sleeps ms milliseconds, through signal interruptions. */
__attribute__((unused)) static void check_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* CLOCK_MONOTONIC in nanoseconds. */
__attribute__((unused)) static long long check_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits for child, which must have exited with status 0. */
__attribute__((unused)) static void check_reap(pid_t child)
{
    int st;
    pid_t r = waitpid(child, &st, 0);
    if (r != child)
        check_fail_(__FILE__, __LINE__, "waitpid %d: %s", (int)child, strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        check_fail_(__FILE__, __LINE__, "child status 0x%x", st);
}

/* The text of path (NUL-terminated) in buf; false if it cannot be read. */
__attribute__((unused)) static bool check_read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = 0;
    return true;
}

/* Reads exactly len bytes from fd (a stream may deliver them in pieces). */
__attribute__((unused)) static void check_read_all(int fd, char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = read(fd, buf + done, len - done);
        if (r <= 0)
            check_fail_(__FILE__, __LINE__, "read after %zu of %zu bytes: %zd (%s)", done, len, r,
                        r < 0 ? strerror(errno) : "EOF");
        done += (size_t)r;
    }
}

/* Fails unless path's content holds every string of the NULL-terminated
 * list (the file is shown on failure). */
__attribute__((unused, sentinel)) static void check_contains(const char *path, ...)
{
    size_t n;
    char *buf = check_read_file(path, &n);
    va_list ap;
    va_start(ap, path);
    for (const char *want; (want = va_arg(ap, const char *));)
        if (!strstr(buf, want))
            check_fail_(__FILE__, __LINE__, "%s has no \"%s\" in:\n%s", path, want, buf);
    va_end(ap);
    free(buf);
}
