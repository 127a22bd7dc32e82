/* fork and the wait family: exit statuses (wait4 and waitid), WNOHANG,
 * WUNTRACED/WCONTINUED with SIGSTOP/SIGCONT (and waitid's WSTOPPED),
 * waitid WNOWAIT then reaping, zombies (visible until reaped), ECHILD and
 * EINVAL, process-group waits, SIGCHLD ignored (automatic reaping),
 * reparenting of orphans to a PR_SET_CHILD_SUBREAPER, __WCLONE/__WALL with
 * clone(CLONE_VM) children and their exit signal. */
#include "check.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

/* A child that waits to be killed. */
static pid_t idle_child(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static void exit_statuses(void)
{
    static const int codes[] = {0, 1, 42, 255, 256 + 7};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        pid_t pid = CHECK_OK(fork());
        if (pid == 0)
            _exit(codes[i]);
        int status = -1;
        struct rusage ru;
        CHECK_EQ(CHECK_OK(wait4(pid, &status, 0, &ru)), pid);
        CHECK(WIFEXITED(status));
        CHECK(!WIFSIGNALED(status));
        CHECK_EQ(WEXITSTATUS(status), codes[i] & 0xff);
    }
    /* Killed: SIGKILL, and SIGTERM's default action. */
    static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        pid_t pid = idle_child();
        CHECK_OK(kill(pid, sigs[i]));
        int status;
        CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
        CHECK(WIFSIGNALED(status));
        CHECK_EQ(WTERMSIG(status), sigs[i]);
        CHECK(!WCOREDUMP(status));
    }
    /* waitid's view of the same. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(9);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED));
    CHECK_EQ(si.si_signo, SIGCHLD);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_status, 9);
    CHECK_EQ(si.si_uid, getuid());
    pid = idle_child();
    CHECK_OK(kill(pid, SIGKILL));
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED));
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_status, SIGKILL);
}

static void wnohang(void)
{
    pid_t pid = idle_child();
    int status = 12345;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WNOHANG)), 0);
    CHECK_EQ(CHECK_OK(waitpid(-1, &status, WNOHANG)), 0);
    /* waitid WNOHANG with nothing ready: 0 and a zeroed si_pid/si_signo. */
    siginfo_t si;
    memset(&si, 0x5a, sizeof(si));
    CHECK_EQ(CHECK_OK(waitid(P_ALL, 0, &si, WEXITED | WNOHANG)), 0);
    CHECK_EQ(si.si_pid, 0);
    CHECK_EQ(si.si_signo, 0);
    CHECK_OK(kill(pid, SIGKILL));
    /* Without WNOHANG it waits for the death. */
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFSIGNALED(status));
}

static void stop_continue(void)
{
    pid_t pid = idle_child();
    int status;
    CHECK_OK(kill(pid, SIGSTOP));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WUNTRACED)), pid);
    CHECK(WIFSTOPPED(status));
    CHECK_EQ(WSTOPSIG(status), SIGSTOP);
    /* Reported once. */
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WUNTRACED | WNOHANG)), 0);
    /* A stopped child still accepts (pending) signals but does not run. */
    CHECK_OK(kill(pid, 0));

    CHECK_OK(kill(pid, SIGCONT));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WCONTINUED)), pid);
    CHECK(WIFCONTINUED(status));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WCONTINUED | WNOHANG)), 0);

    /* waitid: WSTOPPED and WCONTINUED with siginfo. (Not SIGTSTP: the
     * runner's session makes our process group orphaned, where Linux
     * discards the terminal stop signals.) */
    CHECK_OK(kill(pid, SIGSTOP));
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PID, pid, &si, WSTOPPED));
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_code, CLD_STOPPED);
    CHECK_EQ(si.si_status, SIGSTOP);
    /* A stop is not an exit: plain waitpid WNOHANG sees nothing. */
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WNOHANG)), 0);
    CHECK_OK(kill(pid, SIGCONT));
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PID, pid, &si, WCONTINUED));
    CHECK_EQ(si.si_code, CLD_CONTINUED);
    CHECK_EQ(si.si_status, SIGCONT);

    /* SIGKILL ends a stopped child. */
    CHECK_OK(kill(pid, SIGSTOP));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, WUNTRACED)), pid);
    CHECK(WIFSTOPPED(status));
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGKILL);
}

static void wnowait_and_zombies(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(7);
    siginfo_t si;
    /* Wait for the zombie without reaping it, twice. */
    for (int i = 0; i < 2; i++) {
        memset(&si, 0, sizeof(si));
        CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
        CHECK_EQ(si.si_pid, pid);
        CHECK_EQ(si.si_code, CLD_EXITED);
        CHECK_EQ(si.si_status, 7);
    }
    /* A zombie still exists: it can be signalled (nothing happens). */
    CHECK_OK(kill(pid, 0));
    CHECK_OK(kill(pid, SIGKILL));
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | WNOHANG));
    CHECK_EQ(si.si_pid, pid);
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 7);
    /* Reaped: gone. */
    CHECK_ERR(kill(pid, 0), ESRCH);
    CHECK_ERR(waitpid(pid, &status, 0), ECHILD);
}

static void errors(void)
{
    int status;
    siginfo_t si;
    CHECK_ERR(waitpid(-1, &status, 0), ECHILD);
    CHECK_ERR(waitpid(-1, &status, WNOHANG), ECHILD);
    CHECK_ERR(wait(&status), ECHILD);
    CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
    CHECK_ERR(waitpid(0x3ffffff0, &status, 0), ECHILD);
    /* waitid needs one of WEXITED, WSTOPPED, WCONTINUED. */
    CHECK_ERR(waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
    CHECK_ERR(syscall(SYS_waitid, 42, 0, &si, WEXITED, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_wait4, -1, &status, 0x10000000, NULL), EINVAL);
    /* A bad status pointer is EFAULT. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(0);
    CHECK_ERR(syscall(SYS_wait4, pid, BAD_PTR, 0, NULL), EFAULT);
    waitpid(pid, &status, WNOHANG);
}

static void process_groups(void)
{
    pid_t a = CHECK_OK(fork());
    if (a == 0) {
        setpgid(0, 0);
        check_sleep_ms(20);
        _exit(3);
    }
    setpgid(a, a); /* either of us may win the race: both set the same */
    pid_t b = CHECK_OK(fork());
    if (b == 0)
        _exit(4);
    int status;
    /* Only the child in group a matches -a. */
    CHECK_EQ(CHECK_OK(waitpid(-a, &status, 0)), a);
    CHECK_EQ(WEXITSTATUS(status), 3);
    CHECK_ERR(waitpid(-a, &status, WNOHANG), ECHILD);
    /* b is in our group: waitpid(0) finds it. */
    CHECK_EQ(CHECK_OK(waitpid(0, &status, 0)), b);
    CHECK_EQ(WEXITSTATUS(status), 4);
    siginfo_t si;
    CHECK_ERR(waitid(P_PGID, getpgrp(), &si, WEXITED | WNOHANG), ECHILD);
}

static void sigchld_ignored(void)
{
    struct sigaction sa = {0}, old;
    sa.sa_handler = SIG_IGN;
    CHECK_OK(sigaction(SIGCHLD, &sa, &old));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(0);
    /* Children are reaped automatically: wait blocks until they are all
     * gone, then fails with ECHILD. */
    int status;
    CHECK_ERR(waitpid(pid, &status, 0), ECHILD);
    /* Gone (Linux may free the pid just after wait gives up). */
    for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++)
        check_sleep_ms(1);
    CHECK_ERR(kill(pid, 0), ESRCH);
    /* SA_NOCLDWAIT does the same with a handler. */
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
    pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(0);
    CHECK_ERR(waitpid(pid, &status, 0), ECHILD);
    CHECK_OK(sigaction(SIGCHLD, &old, NULL));
}

static void subreaper(void)
{
    CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    int on = 0;
    CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0));
    CHECK_EQ(on, 1);
    pid_t me = getpid();
    /* A child forks a grandchild and exits; the grandchild becomes ours. */
    int p[2];
    CHECK_OK(pipe(p));
    pid_t a = CHECK_OK(fork());
    if (a == 0) {
        pid_t b = fork();
        if (b < 0)
            _exit(100);
        if (b == 0) {
            /* Wait until reparented (at most 2 s). */
            for (int i = 0; i < 2000 && getppid() != me; i++)
                check_sleep_ms(1);
            _exit(getppid() == me ? 0 : 1);
        }
        if (write(p[1], &b, sizeof(b)) != sizeof(b))
            _exit(101);
        _exit(0);
    }
    CHECK_OK(close(p[1]));
    pid_t b;
    CHECK_EQ(read(p[0], &b, sizeof(b)), sizeof(b));
    CHECK_OK(close(p[0]));
    int status;
    CHECK_EQ(CHECK_OK(waitpid(a, &status, 0)), a);
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(CHECK_OK(waitpid(b, &status, 0)), b);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
}

/* ---- clone children ------------------------------------------------------- */

static volatile int g_clone_ran;

static int clone_fn(void *arg)
{
    g_clone_ran = 1; /* CLONE_VM: the parent sees it */
    return (int)(long)arg;
}

static pid_t clone_child(int exit_signal, long code, char *stack, size_t size)
{
    return CHECK_OK(clone(clone_fn, stack + size, CLONE_VM | exit_signal, (void *)code));
}

static void wclone(void)
{
    size_t size = 64 * 1024;
    char *stack = CHECK_PTR(
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0));
    sigset_t usr1, pend;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &usr1, NULL));

    /* A "clone" child (exit signal other than SIGCHLD): only __WCLONE or
     * __WALL waits see it. */
    g_clone_ran = 0;
    pid_t pid = clone_child(SIGUSR1, 5, stack, size);
    int status;
    siginfo_t si;
    /* Wait for it to be a zombie without reaping it. */
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT | __WCLONE));
    CHECK_EQ(si.si_pid, pid);
    CHECK(g_clone_ran);
    CHECK_ERR(waitpid(pid, &status, WNOHANG), ECHILD);
    CHECK_ERR(waitpid(-1, &status, WNOHANG), ECHILD);
    /* Its death sent SIGUSR1, not SIGCHLD. */
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGUSR1));
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, __WCLONE)), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 5);
    int sig;
    CHECK_OK(sigwait(&usr1, &sig));

    /* __WALL sees both kinds. */
    pid = clone_child(SIGUSR1, 6, stack, size);
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, __WALL)), pid);
    CHECK_EQ(WEXITSTATUS(status), 6);
    CHECK_OK(sigwait(&usr1, &sig));
    /* A SIGCHLD clone child is a normal child: __WCLONE does not see it. */
    pid = clone_child(SIGCHLD, 8, stack, size);
    CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    CHECK_ERR(waitpid(pid, &status, __WCLONE | WNOHANG), ECHILD);
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK_EQ(WEXITSTATUS(status), 8);
    /* Exit signal 0: no signal at all, still a clone child. */
    pid = clone_child(0, 9, stack, size);
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, __WALL)), pid);
    CHECK_EQ(WEXITSTATUS(status), 9);

    CHECK_OK(sigprocmask(SIG_UNBLOCK, &usr1, NULL));
    CHECK_OK(munmap(stack, size));
}

int main(void)
{
    RUN(exit_statuses);
    RUN(wnohang);
    RUN(stop_continue);
    RUN(wnowait_and_zombies);
    RUN(errors);
    RUN(process_groups);
    RUN(sigchld_ignored);
    RUN(subreaper);
    RUN(wclone);
    return 0;
}
