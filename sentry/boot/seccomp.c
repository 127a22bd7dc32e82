/* The sentry's host seccomp filter (seccomp.h).
 *
 * The allowlist below is every host system call the sentry makes once it runs applications:
 * found by reading the code (the libc calls of sentry/, urpc/, lib/ and what glibc makes of
 * them) and checked by running the unit, syscalls and e2e suites (also the ASan build) with
 * the filter in SENTRY_SECCOMP_LOG mode: the only calls logged were the opens of
 * /proc/cpuinfo (procfs's snapshot) and of libgcc_s (pthread_exit), which sentry_confine's
 * ordering and preloading take care of. The control server's libuv loop (epoll, eventfd,
 * pipe2, accept4, FIONBIO/FIOCLEX) is on it too. The platform adds its own
 * (platform_ops.host_syscalls: ptrace, wait4, kill, process_vm_readv, ...).
 *
 * Argument checks are on the values a compromised sentry would want and the sentry never
 * passes; the rules are in the table, one row per allowed form (rows of one syscall are
 * alternatives). */
#include "sentry/boot/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "confine/seccomp.h"
#include "lib/cleanup.h"
#include "sentry/socket/inet.h"

#define CLONE_THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FS | CLONE_FILES)

static const struct confine_rule g_rules[] = {
    /* Memory: malloc, thread stacks, the MemoryFile mapping. Nothing is ever mapped
     * executable after start-up (libgcc_s, which pthread_exit needs, is loaded by
     * sentry_confine before the filter). */
    ANY(brk),
    ANY(munmap),
    ANY(mremap),
    ANY(madvise),
    IF1(mmap, A_MASK(2, PROT_EXEC, 0)),
    IF1(mprotect, A_MASK(2, PROT_EXEC, 0)),
    /* memfile_free: frees a frame's memory. */
    IF1(fallocate, A_EQ(1, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)),

    /* Host fds: files the gofer handed over, stdio, the gofer and control sockets, task
     * eventfds. Nothing is opened by path (see openat below). */
    ANY(read),
    ANY(write),
    ANY(readv),
    ANY(writev),
    ANY(pread64),
    ANY(pwrite64),
    ANY(preadv),
    ANY(pwritev),
    ANY(preadv2),
    ANY(pwritev2),
    ANY(lseek),
    ANY(close),
    ANY(dup),
    ANY(fstat),
    /* glibc's fstat is fstatat(fd, "", AT_EMPTY_PATH): never a path. */
    IF1(newfstatat, A_EQ(3, AT_EMPTY_PATH)),
    ANY(fstatfs),
    ANY(fsync),
    ANY(fdatasync),
    ANY(ftruncate),
    IF1(fcntl, A_EQ(1, F_GETFD)),
    IF1(fcntl, A_EQ(1, F_SETFD)),
    IF1(fcntl, A_EQ(1, F_GETFL)),
    IF1(fcntl, A_EQ(1, F_SETFL)),
    IF1(fcntl, A_EQ(1, F_DUPFD)),
    IF1(fcntl, A_EQ(1, F_DUPFD_CLOEXEC)),
    /* The host terminal (sentry/fsimpl/host: TCGETS for isatty, termios and window size);
     * libuv's uv__nonblock / uv__cloexec. */
    IF1(ioctl, A_EQ(1, TCGETS)),
    IF1(ioctl, A_EQ(1, TCSETS)),
    IF1(ioctl, A_EQ(1, TCSETSW)),
    IF1(ioctl, A_EQ(1, TCSETSF)),
    IF1(ioctl, A_EQ(1, TIOCGWINSZ)),
    IF1(ioctl, A_EQ(1, TIOCSWINSZ)),
    IF1(ioctl, A_EQ(1, TIOCGPGRP)),
    IF1(ioctl, A_EQ(1, FIONBIO)),
    IF1(ioctl, A_EQ(1, FIOCLEX)),
    IF1(ioctl, A_EQ(1, FIONCLEX)),
    ANY(poll),
    ANY(ppoll),
    ANY(epoll_create1),
    ANY(epoll_ctl),
    ANY(epoll_wait),
    ANY(epoll_pwait),
    ANY(eventfd2),
    ANY(pipe2),

    /* Unix sockets: uRPC to the gofer (fds come back with SCM_RIGHTS), the control server's
     * listening socket (donated) and its connections; socketpair only: no unix socket is made
     * after start-up, and without socket(AF_UNIX) the bind and connect below cannot reach the
     * host's abstract unix names (a netns's own; the host's with --network=host).
     * AF_INET / AF_INET6 (sentry/socket/inet.c, the "hostinet" model): one host socket per
     * application socket, made non-blocking and close-on-exec, TCP or UDP (never SOCK_RAW);
     * bind, listen, connect, accept4, shutdown, names, sendmsg/recvmsg on them; the options
     * of sentry/socket/inet.h's lists, each (level, name) a row; its ioctls below. */
    ANY(sendmsg),
    ANY(recvmsg),
    ANY(sendto),
    ANY(recvfrom),
    ANY(shutdown),
    ANY(accept4),
    IF2(socket, A_EQ(0, AF_INET), A_EQ(1, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)),
    IF2(socket, A_EQ(0, AF_INET), A_EQ(1, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC)),
    IF2(socket, A_EQ(0, AF_INET6), A_EQ(1, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)),
    IF2(socket, A_EQ(0, AF_INET6), A_EQ(1, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC)),
    IF1(socketpair, A_EQ(0, AF_UNIX)),
    ANY(bind),
    ANY(listen),
    ANY(connect),
    IF1(getsockopt, A_EQ(1, SOL_SOCKET)),
/* clang-format off */
#define GETOPT_ROW(l, n) IF2(getsockopt, A_EQ(1, l), A_EQ(2, n)),
#define SETOPT_ROW(l, n) IF2(setsockopt, A_EQ(1, l), A_EQ(2, n)),
#define IOCTL_ROW(c) IF1(ioctl, A_EQ(1, c)),
    INET_SOCKOPTS_RW(GETOPT_ROW)
    INET_SOCKOPTS_GET(GETOPT_ROW)
    INET_SOCKOPTS_RW(SETOPT_ROW)
    INET_SOCKOPTS_SET(SETOPT_ROW)
    INET_IOCTLS(IOCTL_ROW)
#undef GETOPT_ROW
#undef SETOPT_ROW
#undef IOCTL_ROW
    /* clang-format on */
    ANY(getsockname),
    ANY(getpeername),

    /* Threads (one host thread per task, timers, signal forwarder, control server): clone
     * only makes threads; glibc's clone3 gets ENOSYS and falls back to clone (g_errno_rules). */
    IF1(clone, A_MASK(0, CLONE_THREAD_FLAGS, CLONE_THREAD_FLAGS)),
    ANY(set_robust_list),
    ANY(rseq),
    ANY(futex),
    ANY(exit),
    ANY(exit_group),
    ANY(sched_yield),
    ANY(sched_getaffinity),
    ANY(sched_setaffinity),
    ANY(getcpu),
    ANY(gettid),
    ANY(getpid),
    ANY(getppid),

    /* Signals: the forwarder (sigwaitinfo), the crash handler (sigaltstack, raise). tgkill is
     * allowed for this process only (added with its pid below). */
    ANY(rt_sigaction),
    ANY(rt_sigprocmask),
    ANY(rt_sigreturn),
    ANY(rt_sigtimedwait),
    ANY(sigaltstack),
    ANY(restart_syscall),

    /* Time: the vDSO serves most; CPU-time clocks and sleeps are real syscalls. */
    ANY(clock_gettime),
    ANY(clock_getres),
    ANY(clock_nanosleep),
    ANY(nanosleep),
    ANY(gettimeofday),
    ANY(time),

    /* Information the sentry passes on: getrandom, sysinfo (/proc/meminfo, sysinfo(2)),
     * uname; thread names. */
    ANY(getrandom),
    ANY(sysinfo),
    ANY(uname),
    IF1(prctl, A_EQ(0, PR_SET_NAME)),
    IF1(prctl, A_EQ(0, PR_GET_NAME)),
};

/* Calls that fail softly instead of killing (unless the platform allows them). */
static const struct confine_errno_rule g_errno_rules[] = {
    {SCMP_SYS(clone3), ENOSYS}, /* its flags are in memory: make glibc use clone */
};

size_t sentry_seccomp_syscall_count(void)
{
    return confine_seccomp_count(g_rules, ARRAY_SIZE(g_rules));
}

int sentry_seccomp_allows(int nr)
{
    if (nr == SCMP_SYS(tgkill))
        return 1;
    for (size_t i = 0; i < ARRAY_SIZE(g_rules); i++)
        if (g_rules[i].nr == nr)
            return 1;
    return 0;
}

/* ---- SENTRY_SECCOMP_TRAP: report and fail with ENOSYS ------------------------------------ */

static size_t fmt_hex(char *p, unsigned long long v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    p[0] = '0';
    p[1] = 'x';
    for (size_t i = 0; i < n; i++)
        p[2 + i] = tmp[n - 1 - i];
    return n + 2;
}

static void sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    static const char head[] = "runsc: seccomp: forbidden host syscall ";
    char buf[256];
    size_t n = sizeof(head) - 1;
    memcpy(buf, head, n);
    unsigned nr = (unsigned)si->si_syscall, div = 1000;
    bool digit = false;
    for (; div; div /= 10) {
        unsigned d = (nr / div) % 10;
        if (d || digit || div == 1) {
            buf[n++] = (char)('0' + d);
            digit = true;
        }
    }
    static const int regs[] = {REG_RDI, REG_RSI, REG_RDX, REG_R10};
    memcpy(buf + n, " (args", 6);
    n += 6;
    for (size_t i = 0; i < ARRAY_SIZE(regs); i++) {
        buf[n++] = ' ';
        n += fmt_hex(buf + n, (unsigned long long)uc->uc_mcontext.gregs[regs[i]]);
    }
    buf[n++] = ')';
    /* The path of an open: what the sentry still wanted from the host's tree. */
    const char *path = nr == SCMP_SYS(openat) ? (const char *)uc->uc_mcontext.gregs[REG_RSI]
                       : nr == SCMP_SYS(open) ? (const char *)uc->uc_mcontext.gregs[REG_RDI]
                                              : NULL;
    if (path) {
        size_t len = strnlen(path, sizeof(buf) - n - 4);
        buf[n++] = ' ';
        memcpy(buf + n, path, len);
        n += len;
    }
    buf[n++] = '\n';
    ssize_t w = write(2, buf, n);
    (void)w;
    uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

static int install_sigsys_handler(void)
{
    struct sigaction sa = {.sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

/* ---- loading ----------------------------------------------------------------------------- */

int sentry_seccomp_install_mode(const int *platform_syscalls, enum sentry_seccomp_mode mode)
{
    uint32_t def = SCMP_ACT_KILL_PROCESS;
    if (mode == SENTRY_SECCOMP_LOG)
        def = SCMP_ACT_LOG;
    else if (mode == SENTRY_SECCOMP_TRAP)
        def = SCMP_ACT_TRAP;
    if (mode == SENTRY_SECCOMP_TRAP) {
        int r = install_sigsys_handler();
        if (r < 0)
            return r;
    }
    return confine_seccomp_load(def, g_rules, ARRAY_SIZE(g_rules), platform_syscalls, g_errno_rules,
                                ARRAY_SIZE(g_errno_rules));
}

int sentry_seccomp_install(const int *platform_syscalls)
{
    return sentry_seccomp_install_mode(platform_syscalls, SENTRY_SECCOMP_KILL);
}
