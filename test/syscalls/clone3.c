/* clone3: the size of struct clone_args (EINVAL below the first version,
 * E2BIG past a page or for non-zero bytes past the known struct), unknown
 * and invalid flags, exit_signal rules, the stack pair, CLONE_CLEAR_SIGHAND
 * (caught signals back to SIG_DFL, ignored ones stay ignored, the parent's
 * handlers untouched) and CLONE_INTO_CGROUP's argument checks. */
#include "check.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

/* Enough room for the size checks: the struct, then bytes past it. */
static union {
    struct clone_args ca;
    unsigned char bytes[8192];
} g_args __attribute__((aligned(8)));

static long clone3_raw(void *args, size_t size)
{
    return syscall(SYS_clone3, args, size);
}

static void reset_args(void)
{
    memset(&g_args, 0, sizeof(g_args));
    g_args.ca.exit_signal = SIGCHLD;
}

static void sizes(void)
{
    reset_args();
    CHECK_ERR(clone3_raw(&g_args, 0), EINVAL);
    CHECK_ERR(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER0 - 1), EINVAL);
    CHECK_ERR(clone3_raw(&g_args, 4097), E2BIG);
    CHECK_ERR(clone3_raw(&g_args, 8192), E2BIG);
    CHECK_ERR(clone3_raw(BAD_PTR, CLONE_ARGS_SIZE_VER0), EFAULT);

    /* A non-zero byte far past any published struct. */
    g_args.bytes[200] = 1;
    CHECK_ERR(clone3_raw(&g_args, 256), E2BIG);
    CHECK_ERR(clone3_raw(&g_args, 4096), E2BIG);
    g_args.bytes[200] = 0;

    /* A larger struct whose extra bytes are zero is accepted, as is the
     * first version. */
    long pid = CHECK_OK(clone3_raw(&g_args, 256));
    if (pid == 0)
        _exit(0);
    check_reap((pid_t)pid);
    pid = CHECK_OK(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER0));
    if (pid == 0)
        _exit(0);
    check_reap((pid_t)pid);
}

static void flags(void)
{
    reset_args();
    /* Unknown flags above the legacy 32 bits. */
    g_args.ca.flags = 1ull << 40;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.flags = 1ull << 63;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    /* The exit-signal bits and CLONE_DETACHED are not flags here. */
    g_args.ca.flags = SIGCHLD;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.flags = CLONE_DETACHED;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    /* CLONE_CLEAR_SIGHAND contradicts shared handlers. */
    g_args.ca.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    /* exit_signal: at most 64, and none with CLONE_PARENT or CLONE_THREAD. */
    g_args.ca.flags = 0;
    g_args.ca.exit_signal = 65;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.exit_signal = 0x100 | SIGCHLD;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.exit_signal = SIGCHLD;
    g_args.ca.flags = CLONE_PARENT;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    /* The stack and its size come together. */
    g_args.ca.flags = 0;
    g_args.ca.stack_size = 4096;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.stack_size = 0;
    g_args.ca.stack = 0x10000;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    /* set_tid and its size come together too. */
    g_args.ca.stack = 0;
    g_args.ca.set_tid_size = 1;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
    g_args.ca.set_tid_size = 33;
    CHECK_ERR(clone3_raw(&g_args, sizeof(struct clone_args)), EINVAL);
}

static void handler(int sig)
{
    (void)sig;
}

/* 0 when sig's action is (handler, no SA_RESTART); a bit per mismatch. */
static int action_is(int sig, void (*want)(int))
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) < 0)
        return 1;
    int bad = 0;
    if (sa.sa_handler != want)
        bad |= 2;
    if (sa.sa_flags & SA_RESTART)
        bad |= 4;
    if (sigismember(&sa.sa_mask, SIGTERM))
        bad |= 8;
    return bad;
}

static void clear_sighand(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_handler = SIG_IGN;
    CHECK_OK(sigaction(SIGUSR2, &sa, NULL));

    /* Without the flag, the child has the parent's handlers. */
    reset_args();
    long pid = CHECK_OK(clone3_raw(&g_args, sizeof(struct clone_args)));
    if (pid == 0) {
        struct sigaction cur;
        sigaction(SIGUSR1, NULL, &cur);
        _exit(cur.sa_handler == handler && (cur.sa_flags & SA_RESTART) ? 0 : 1);
    }
    check_reap((pid_t)pid);

    /* With it: caught -> default, ignored stays ignored; flags and masks
     * cleared. */
    g_args.ca.flags = CLONE_CLEAR_SIGHAND;
    pid = CHECK_OK(clone3_raw(&g_args, sizeof(struct clone_args)));
    if (pid == 0) {
        int bad = action_is(SIGUSR1, SIG_DFL) | action_is(SIGUSR2, SIG_IGN) << 4;
        if (bad)
            _exit(bad);
        /* A default SIGUSR1 now ends the child. */
        raise(SIGUSR1);
        _exit(100);
    }
    int status;
    CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGUSR1)
        FAIL("child status %#x", status);

    /* The parent's own handlers are unchanged. */
    struct sigaction cur;
    CHECK_OK(sigaction(SIGUSR1, NULL, &cur));
    CHECK(cur.sa_handler == handler);
    CHECK(cur.sa_flags & SA_RESTART);
    CHECK_OK(sigaction(SIGUSR2, NULL, &cur));
    CHECK(cur.sa_handler == SIG_IGN);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

static void into_cgroup(void)
{
    int fd = (int)CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
    reset_args();
    g_args.ca.flags = CLONE_INTO_CGROUP;
    g_args.ca.cgroup = (uint64_t)fd;
    /* The cgroup field needs the struct's third version. */
    CHECK_ERR(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER1), EINVAL);
    /* The fd is an int. */
    g_args.ca.cgroup = 1ull << 31;
    CHECK_ERR(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER2), EINVAL);
    g_args.ca.cgroup = (uint64_t)-1;
    CHECK_ERR(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER2), EINVAL);
    /* A closed fd, and an fd that is not a cgroup v2 directory. */
    g_args.ca.cgroup = 1000000;
    CHECK_ERR(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER2), EBADF);
    g_args.ca.cgroup = (uint64_t)fd;
    CHECK_ERR(clone3_raw(&g_args, CLONE_ARGS_SIZE_VER2), EBADF);
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(sizes);
    RUN(flags);
    RUN(clear_sighand);
    RUN(into_cgroup);
    return 0;
}
