/* Processes, signals and threads, the basics: fork and wait statuses, kill
 * and delivery to a handler, blocked and pending signals, pthread create
 * and join. */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static void fork_wait(void)
{
    pid_t parent = getpid();
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        /* The child is a new process with the parent as its parent. */
        _exit(getppid() == parent && getpid() != parent ? 42 : 1);
    }
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 42);
    CHECK_ERR(waitpid(pid, &status, 0), ECHILD);
    CHECK_ERR(waitpid(-1, &status, WNOHANG), ECHILD);

    /* Memory is copied, not shared. */
    static volatile int shared_var = 1;
    pid = CHECK_OK(fork());
    if (pid == 0) {
        shared_var = 2;
        _exit(shared_var);
    }
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK_EQ(WEXITSTATUS(status), 2);
    CHECK_EQ(shared_var, 1);
}

static void kill_child(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        for (;;)
            pause();
    }
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WNOHANG)), 0);
    CHECK_OK(kill(pid, 0));
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGKILL);
    /* Reaped: gone. */
    CHECK_ERR(kill(pid, 0), ESRCH);
    CHECK_ERR(kill(0x3fffffff, 0), ESRCH);
    CHECK_ERR(kill(getpid(), 65), EINVAL);
}

static volatile sig_atomic_t g_got;

static void on_usr1(int sig)
{
    g_got = sig;
}

static void signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    g_got = 0;
    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_EQ(g_got, SIGUSR1);

    /* A blocked signal stays pending until unblocked. */
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
    g_got = 0;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_got, 0);
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGUSR1));
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    CHECK_EQ(g_got, SIGUSR1);
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR1));

    /* A child killed by an unhandled SIGTERM. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        raise(SIGTERM);
        _exit(1);
    }
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGTERM);
}

static void *thread_main(void *arg)
{
    long *out = arg;
    out[0] = syscall(SYS_gettid);
    out[1] = getpid();
    return (void *)(out[2] + 1);
}

static void threads(void)
{
    long info[3] = {0, 0, 41};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, thread_main, info), 0);
    void *ret;
    CHECK_EQ(pthread_join(t, &ret), 0);
    CHECK_EQ((long)ret, 42);
    /* Same process, different thread id. */
    CHECK_EQ(info[1], getpid());
    CHECK_NE(info[0], syscall(SYS_gettid));
    CHECK_GT(info[0], 0);
}

int main(void)
{
    RUN(fork_wait);
    RUN(kill_child);
    RUN(signals);
    RUN(threads);
    return 0;
}
