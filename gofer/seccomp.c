/* The gofer's host seccomp filter (seccomp.h).
 *
 * The gofer serves one poll() loop: uRPC frames over unix sockets (sendmsg/recvmsg with
 * SCM_RIGHTS), and file operations relative to O_PATH fds (gofer/ops.c): openat2 /
 * openat beneath a directory fd, reopening through its /proc fd ("self/fd/N"), fstat,
 * getdents64, readlinkat, mkdirat, mknodat, symlinkat, linkat, renameat2, unlinkat,
 * fchownat, fchmodat, utimensat, ftruncate, fstatfs. The list was
 * checked by running the gofer unit tests and the e2e suites with GOFER_SECCOMP_LOG (and the
 * ASan build's unit tests, which add sigaltstack).
 *
 * "A real directory fd": the dirfd argument of every *at call must be a non-negative int
 * (unsigned 64-bit comparison <= INT_MAX), so AT_FDCWD is refused however its upper bits
 * are set. An absolute path ignores dirfd; after gofer_confine's pivot_root it resolves
 * inside the served tree anyway. */
#include "gofer/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <seccomp.h>

#include "lib/cleanup.h"

/* struct rule and the A_* / ANY / IF1 macros are a deliberate copy of those in
 * sentry/boot/seccomp.c: gofer/ and sentry/ may not include each other, and the
 * shared places (lib/: libc only, urpc/) may not use libseccomp. */

/* One allowed form of a syscall: all of args[0..argc) must hold. */
struct rule {
    int nr;
    unsigned int argc;
    struct scmp_arg_cmp args[2];
};

#define A_EQ(i, v)                                                                                 \
    {                                                                                              \
        .arg = (i), .op = SCMP_CMP_EQ, .datum_a = (scmp_datum_t)(v)                                \
    }
#define A_MASK(i, m, v)                                                                            \
    {                                                                                              \
        .arg = (i), .op = SCMP_CMP_MASKED_EQ, .datum_a = (scmp_datum_t)(m),                        \
        .datum_b = (scmp_datum_t)(v)                                                               \
    }
/* A real fd: 0 <= fd <= INT_MAX, with the upper 32 bits clear. */
#define A_FD(i)                                                                                    \
    {                                                                                              \
        .arg = (i), .op = SCMP_CMP_LE, .datum_a = (scmp_datum_t)INT_MAX                            \
    }
#define ANY(name)                                                                                  \
    {                                                                                              \
        SCMP_SYS(name), 0,                                                                         \
        {                                                                                          \
            {                                                                                      \
                0                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
#define IF1(name, a)                                                                               \
    {                                                                                              \
        SCMP_SYS(name), 1,                                                                         \
        {                                                                                          \
            a                                                                                      \
        }                                                                                          \
    }

#define IF2(name, a, b)                                                                            \
    {                                                                                              \
        SCMP_SYS(name), 2,                                                                         \
        {                                                                                          \
            a, b                                                                                   \
        }                                                                                          \
    }

static const struct rule g_rules[] = {
    /* uRPC: frames and fds over the connections, the loop, the stop pipe. */
    ANY(sendmsg),
    ANY(recvmsg),
    ANY(poll),
    ANY(ppoll),
    ANY(read),
    ANY(write),
    ANY(readv),
    ANY(writev),
    ANY(close),
    IF1(getsockopt, A_EQ(1, SOL_SOCKET)),
    IF1(fcntl, A_EQ(1, F_GETFD)),
    IF1(fcntl, A_EQ(1, F_SETFD)),
    IF1(fcntl, A_EQ(1, F_GETFL)),
    IF1(fcntl, A_EQ(1, F_SETFL)),
    IF1(fcntl, A_EQ(1, F_DUPFD)),
    IF1(fcntl, A_EQ(1, F_DUPFD_CLOEXEC)),

    /* Files, always relative to a fid's fd (or the /proc fd for reopening). */
    IF1(openat, A_FD(0)),
    IF1(openat2, A_FD(0)),
    IF1(newfstatat, A_FD(0)),
    IF1(statx, A_FD(0)),
    IF1(readlinkat, A_FD(0)),
    IF1(mkdirat, A_FD(0)),
    IF1(unlinkat, A_FD(0)),
    IF1(fchownat, A_FD(0)),
    IF1(fchmodat, A_FD(0)),
    IF1(utimensat, A_FD(0)),
    /* Gofer.Mknod: regular files, fifos and sockets, never devices. */
    IF2(mknodat, A_FD(0), A_MASK(2, S_IFMT, S_IFREG)),
    IF2(mknodat, A_FD(0), A_MASK(2, S_IFMT, S_IFIFO)),
    IF2(mknodat, A_FD(0), A_MASK(2, S_IFMT, S_IFSOCK)),
    IF1(symlinkat, A_FD(1)),       /* (target, dirfd, name) */
    IF2(linkat, A_FD(0), A_FD(2)), /* the /proc fd, the new name's dir fd */
    IF2(renameat2, A_FD(0), A_FD(2)),
    ANY(fstat),
    ANY(fstatfs),
    ANY(getdents64),
    ANY(lseek),
    ANY(fchmod),
    ANY(fchown),
    ANY(ftruncate),
    ANY(fsync),
    ANY(fdatasync),

    /* malloc, never executable memory. */
    ANY(brk),
    ANY(munmap),
    ANY(mremap),
    ANY(madvise),
    IF1(mmap, A_MASK(2, PROT_EXEC, 0)),
    IF1(mprotect, A_MASK(2, PROT_EXEC, 0)),
    ANY(futex),

    /* The rest of a process's life: logging (time, pid), abort() on OOM, exit. */
    ANY(clock_gettime),
    ANY(gettimeofday),
    ANY(getpid),
    ANY(gettid),
    ANY(rt_sigaction),
    ANY(rt_sigprocmask),
    ANY(rt_sigreturn),
    ANY(sigaltstack), /* ASan builds: a thread's alternate stack goes at exit */
    ANY(restart_syscall),
    ANY(exit),
    ANY(exit_group),
};

#define MAX_NR 1024

size_t gofer_seccomp_syscall_count(void)
{
    bool seen[MAX_NR] = {false};
    size_t n = 1; /* tgkill, added with the pid */
    for (size_t i = 0; i < ARRAY_SIZE(g_rules); i++) {
        int nr = g_rules[i].nr;
        if (nr >= 0 && nr < MAX_NR && !seen[nr]) {
            seen[nr] = true;
            n++;
        }
    }
    return n;
}

int gofer_seccomp_install_mode(enum gofer_seccomp_mode mode)
{
    scmp_filter_ctx ctx =
        seccomp_init(mode == GOFER_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -ENOMEM;
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (r == 0)
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(g_rules); i++)
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, g_rules[i].nr, g_rules[i].argc,
                                   g_rules[i].args);
    /* abort() signals this process only. */
    if (r == 0)
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        r = -errno;
    if (r == 0)
        r = seccomp_load(ctx);
    seccomp_release(ctx);
    return r > 0 ? -ESRCH : r;
}

int gofer_seccomp_install(void)
{
    return gofer_seccomp_install_mode(GOFER_SECCOMP_KILL);
}
