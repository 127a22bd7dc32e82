/* rt_sigaction, rt_sigprocmask and rt_sigpending as recorded state: no
 * signal is delivered here (delivery is in process.c). */
#include "check.h"

#include <signal.h>

/* The kernel's struct sigaction on x86_64 (not glibc's). */
struct ksigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

#define BIT(sig) (1ULL << ((sig)-1))

static void handler_a(int sig)
{
    (void)sig;
}

/* Never called: no signal is delivered. */
static void restorer_a(void)
{
}

static void actions(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler_a;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    CHECK(old.sa_handler == SIG_DFL);
    /* Read back what was set. */
    CHECK_OK(sigaction(SIGUSR1, NULL, &old));
    CHECK(old.sa_handler == handler_a);
    CHECK(old.sa_flags & SA_RESTART);
    CHECK(sigismember(&old.sa_mask, SIGUSR2));
    CHECK(!sigismember(&old.sa_mask, SIGUSR1));
    /* SIG_IGN, and back to SIG_DFL. */
    sa.sa_handler = SIG_IGN;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    CHECK(old.sa_handler == handler_a);
    sa.sa_handler = SIG_DFL;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    CHECK(old.sa_handler == SIG_IGN);

    /* The raw call: exact flags and mask, SIGKILL and SIGSTOP dropped from
     * the mask. */
    struct ksigaction k = {handler_a, SA_RESTORER | SA_SIGINFO | SA_ONSTACK, restorer_a,
                           BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGRTMIN + 1)};
    struct ksigaction ko;
    CHECK_OK(syscall(SYS_rt_sigaction, SIGUSR2, &k, NULL, 8));
    memset(&ko, 0xff, sizeof(ko));
    CHECK_OK(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &ko, 8));
    CHECK(ko.handler == handler_a);
    CHECK_EQ(ko.flags, SA_RESTORER | SA_SIGINFO | SA_ONSTACK);
    CHECK(ko.restorer == k.restorer);
    CHECK_EQ(ko.mask, BIT(SIGUSR2) | BIT(SIGRTMIN + 1));
    /* Real-time signals up to 64 have actions too. */
    CHECK_OK(syscall(SYS_rt_sigaction, 64, &k, &ko, 8));
    CHECK(ko.handler == SIG_DFL);
    CHECK_OK(syscall(SYS_rt_sigaction, 64, NULL, &ko, 8));
    CHECK(ko.handler == handler_a);
}

static void action_errors(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler_a;
    /* SIGKILL and SIGSTOP cannot be caught or ignored, but can be queried. */
    CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    sa.sa_handler = SIG_IGN;
    CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_OK(sigaction(SIGKILL, NULL, &old));
    CHECK(old.sa_handler == SIG_DFL);
    /* Out-of-range signals and sigset sizes. */
    struct ksigaction k = {handler_a, SA_RESTORER, NULL, 0};
    CHECK_ERR(syscall(SYS_rt_sigaction, 0, &k, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, 65, &k, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, -1, &k, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 4), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 16), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, BAD_PTR, NULL, 8), EFAULT);
    CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, BAD_PTR, 8), EFAULT);
}

static uint64_t raw_mask(void)
{
    uint64_t m = 0;
    CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8));
    return m;
}

static void masks(void)
{
    sigset_t set, old;
    uint64_t start = raw_mask();
    CHECK_EQ(start & BIT(SIGUSR1), 0);

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(!sigismember(&old, SIGUSR1));
    CHECK_EQ(raw_mask(), start | BIT(SIGUSR1));
    /* SIG_BLOCK adds, SIG_UNBLOCK removes, SIG_SETMASK replaces. */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(sigismember(&old, SIGUSR1));
    CHECK_EQ(raw_mask(), start | BIT(SIGUSR1) | BIT(SIGUSR2));
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK_EQ(raw_mask(), start | BIT(SIGUSR1));
    uint64_t m = BIT(SIGHUP) | BIT(SIGRTMIN + 3);
    uint64_t prev = 0;
    CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, &prev, 8));
    CHECK_EQ(prev, start | BIT(SIGUSR1));
    CHECK_EQ(raw_mask(), m);

    /* SIGKILL and SIGSTOP are never blocked; everything else can be. */
    m = ~0ULL;
    CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8));
    CHECK_EQ(raw_mask(), ~(BIT(SIGKILL) | BIT(SIGSTOP)));
    m = BIT(SIGKILL) | BIT(SIGSTOP);
    CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8));
    CHECK_EQ(raw_mask(), 0);

    /* Errors leave the mask alone. */
    m = BIT(SIGUSR1);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, 99, &m, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, -1, &m, NULL, 8), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 4), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD_PTR, NULL, 8), EFAULT);
    CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, BAD_PTR, 8), EFAULT);
    CHECK_EQ(raw_mask(), 0);
    /* A bad how is ignored when there is no new set. */
    CHECK_OK(syscall(SYS_rt_sigprocmask, 99, NULL, &m, 8));
    CHECK_EQ(m, 0);
    CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &start, NULL, 8));
}

static void pending(void)
{
    uint64_t p = ~0ULL;
    CHECK_OK(syscall(SYS_rt_sigpending, &p, 8));
    CHECK_EQ(p, 0);
    /* Unlike the other calls, a smaller size is fine (a partial copy). */
    CHECK_OK(syscall(SYS_rt_sigpending, &p, 4));
    CHECK_ERR(syscall(SYS_rt_sigpending, &p, 16), EINVAL);
    CHECK_ERR(syscall(SYS_rt_sigpending, BAD_PTR, 8), EFAULT);
}

int main(void)
{
    RUN(actions);
    RUN(action_errors);
    RUN(masks);
    RUN(pending);
    return 0;
}
