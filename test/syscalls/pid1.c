/* The signal semantics of a pid namespace's init (pid 1), which is what a
 * container's first process is: signals with the default action sent from
 * inside (by itself or by its children, SIGKILL and SIGSTOP included) are
 * dropped, handled ones are delivered, blocked ones are queued (sigwait
 * takes them) and dropped if unblocked with the default action; kill(-1)
 * spares init; orphans are reparented to init, which reaps them.
 *
 * In the sandbox this program is pid 1. Natively it makes itself one: it
 * unshares a pid namespace and runs the checks in the namespace's first
 * process (this needs privileges: without them it skips, exit 77). */
#include "check.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static volatile int g_got;

static void on_sig(int sig)
{
    g_got = sig;
}

static void default_dropped(void)
{
    const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGALRM, SIGSEGV, SIGRTMIN + 1};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        signal(sigs[i], SIG_DFL);
        CHECK_OK(kill(1, sigs[i]));
        CHECK_OK(kill(getpid(), sigs[i]));
        CHECK_OK(raise(sigs[i])); /* tgkill */
    }
    /* Not even SIGKILL or SIGSTOP (we would be dead, or stuck). */
    CHECK_OK(kill(1, SIGKILL));
    CHECK_OK(kill(1, SIGSTOP));
    CHECK_OK(raise(SIGKILL));
    /* Nothing stays pending. */
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGTERM));
    CHECK(!sigismember(&pend, SIGKILL));
}

static void handled_delivered(void)
{
    signal(SIGUSR1, on_sig);
    g_got = 0;
    CHECK_OK(kill(1, SIGUSR1));
    CHECK_EQ(g_got, SIGUSR1);
    g_got = 0;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_got, SIGUSR1);
    signal(SIGUSR1, SIG_DFL);
}

static void blocked_queued(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
    /* Blocked: queued even with the default action. */
    CHECK_OK(kill(1, SIGTERM));
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGTERM));
    siginfo_t si;
    struct timespec zero = {0, 0};
    CHECK_EQ(CHECK_OK(sigtimedwait(&s, &si, &zero)), SIGTERM);
    CHECK_EQ(si.si_code, SI_USER);
    CHECK_EQ(si.si_pid, 1);
    /* Unblocked with the default action: dropped at delivery. */
    CHECK_OK(kill(1, SIGTERM));
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGTERM));
}

static void from_children(void)
{
    /* A child's default-action signals to init are dropped too. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        int bad = 0;
        bad |= kill(1, SIGTERM) != 0;
        bad |= kill(1, SIGKILL) != 0;
        bad |= kill(1, SIGUSR2) != 0;
        _exit(bad);
    }
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    /* A handled one arrives. */
    signal(SIGUSR2, on_sig);
    g_got = 0;
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    CHECK_OK(sigprocmask(SIG_BLOCK, &s, &old));
    pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(kill(1, SIGUSR2) != 0);
    CHECK_OK(waitpid(pid, &status, 0));
    CHECK_EQ(g_got, 0);
    CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
    CHECK_EQ(g_got, SIGUSR2);
    signal(SIGUSR2, SIG_DFL);
}

static void kill_all(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        for (;;)
            pause();
    }
    check_sleep_ms(5);
    /* kill(-1) reaches every process but init (and the caller, init). */
    CHECK_OK(kill(-1, SIGTERM));
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGTERM);
}

static void orphans(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    pid_t a = CHECK_OK(fork());
    if (a == 0) {
        pid_t b = fork();
        if (b == 0) {
            for (int i = 0; i < 2000 && getppid() != 1; i++)
                check_sleep_ms(1);
            _exit(getppid() == 1 ? 5 : 6);
        }
        if (write(p[1], &b, sizeof(b)) != sizeof(b))
            _exit(2);
        _exit(0);
    }
    CHECK_OK(close(p[1]));
    pid_t b;
    CHECK_EQ(read(p[0], &b, sizeof(b)), sizeof(b));
    CHECK_OK(close(p[0]));
    int status;
    CHECK_EQ(CHECK_OK(waitpid(a, &status, 0)), a);
    /* b is now ours to reap. */
    CHECK_EQ(CHECK_OK(waitpid(b, &status, 0)), b);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 5);
    CHECK_ERR(waitpid(-1, &status, WNOHANG), ECHILD);
}

static int run_all(void)
{
    RUN(default_dropped);
    RUN(handled_delivered);
    RUN(blocked_queued);
    RUN(from_children);
    RUN(kill_all);
    RUN(orphans);
    return 0;
}

int main(void)
{
    if (getpid() == 1)
        return run_all();
    /* Natively: be the first process of a new pid namespace. */
    if (unshare(CLONE_NEWPID) != 0)
        SKIP("not pid 1, and cannot make a pid namespace (unshare: %s)", strerror(errno));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        if (getpid() != 1)
            FAIL("the first process of a new pid namespace is pid %d", getpid());
        _exit(run_all());
    }
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    if (WIFSIGNALED(status))
        FAIL("pid 1 killed by signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}
