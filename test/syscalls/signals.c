/* Signal generation and delivery: siginfo of kill (SI_USER), tgkill
 * (SI_TKILL) and sigqueue (SI_QUEUE, si_value) with SA_SIGINFO; sa_mask,
 * SA_NODEFER, SA_RESETHAND, SA_ONSTACK with sigaltstack; rt_sigsuspend;
 * rt_sigtimedwait (timeout, pending signal, zero timeout); SA_RESTART vs
 * EINTR for a blocking pipe read interrupted by an itimer's SIGALRM; SIGCHLD
 * with CLD_EXITED and CLD_KILLED; blocked signals delivered once on
 * unblock, standard signals coalescing, RT signals queueing in order and
 * after the standard ones; default actions (terminate, ignore);
 * SIGKILL and SIGSTOP can be neither caught, ignored nor blocked. */
#include "check.h"

#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

/* What the handlers saw. */
#define MAX_SEEN 16
static volatile int g_nseen;
static volatile int g_seen_sig[MAX_SEEN], g_seen_code[MAX_SEEN], g_seen_int[MAX_SEEN];
static volatile pid_t g_seen_pid[MAX_SEEN];
static volatile uid_t g_seen_uid[MAX_SEEN];
static volatile int g_seen_blocked_self[MAX_SEEN], g_seen_blocked_usr2[MAX_SEEN];
static volatile int g_seen_onstack[MAX_SEEN];
static char *volatile g_alt_lo, *volatile g_alt_hi;

static void record(int sig, siginfo_t *si, void *uc)
{
    int n = g_nseen;
    if (n >= MAX_SEEN)
        return;
    g_seen_sig[n] = sig;
    g_seen_code[n] = si ? si->si_code : 0;
    g_seen_pid[n] = si ? si->si_pid : 0;
    g_seen_uid[n] = si ? si->si_uid : 0;
    g_seen_int[n] = si ? si->si_value.sival_int : 0;
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    g_seen_blocked_self[n] = sigismember(&cur, sig);
    g_seen_blocked_usr2[n] = sigismember(&cur, SIGUSR2);
    char here;
    g_seen_onstack[n] = &here >= g_alt_lo && &here < g_alt_hi;
    g_nseen = n + 1;
}

static void on_plain(int sig)
{
    record(sig, NULL, NULL);
}

static void catch (int sig, int flags, const sigset_t *mask)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = record;
    sa.sa_flags = SA_SIGINFO | flags;
    if (mask)
        sa.sa_mask = *mask;
    CHECK_OK(sigaction(sig, &sa, NULL));
}

static void dfl(int sig)
{
    signal(sig, SIG_DFL);
}

static sigset_t one(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return s;
}

static void block(int sig)
{
    sigset_t s = one(sig);
    CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
}

static void unblock(int sig)
{
    sigset_t s = one(sig);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
}

static void siginfo_sources(void)
{
    catch (SIGUSR1, 0, NULL);
    g_nseen = 0;
    CHECK_OK(kill(getpid(), SIGUSR1));
    CHECK_EQ(g_nseen, 1);
    CHECK_EQ(g_seen_sig[0], SIGUSR1);
    CHECK_EQ(g_seen_code[0], SI_USER);
    CHECK_EQ(g_seen_pid[0], getpid());
    CHECK_EQ(g_seen_uid[0], getuid());

    CHECK_OK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1));
    CHECK_EQ(g_nseen, 2);
    CHECK_EQ(g_seen_code[1], SI_TKILL);
    CHECK_EQ(g_seen_pid[1], getpid());
    CHECK_EQ(g_seen_uid[1], getuid());

    CHECK_OK(syscall(SYS_tkill, gettid(), SIGUSR1));
    CHECK_EQ(g_nseen, 3);
    CHECK_EQ(g_seen_code[2], SI_TKILL);

    union sigval v = {.sival_int = 31337};
    CHECK_OK(sigqueue(getpid(), SIGUSR1, v));
    CHECK_EQ(g_nseen, 4);
    CHECK_EQ(g_seen_code[3], SI_QUEUE);
    CHECK_EQ(g_seen_int[3], 31337);
    CHECK_EQ(g_seen_pid[3], getpid());

    /* raise() is a tgkill in glibc. */
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 5);
    CHECK_EQ(g_seen_code[4], SI_TKILL);

    /* rt_sigqueueinfo to itself: the siginfo goes through as given. */
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_pid = 4242;
    si.si_value.sival_int = 5;
    CHECK_OK(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si));
    CHECK_EQ(g_nseen, 6);
    CHECK_EQ(g_seen_pid[5], 4242);
    CHECK_EQ(g_seen_int[5], 5);
    dfl(SIGUSR1);
}

static void handler_masks(void)
{
    /* Without SA_NODEFER the signal is blocked in its handler, and so is
     * sa_mask; both are restored afterwards. */
    sigset_t m = one(SIGUSR2);
    catch (SIGUSR1, 0, &m);
    g_nseen = 0;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 1);
    CHECK(g_seen_blocked_self[0]);
    CHECK(g_seen_blocked_usr2[0]);
    sigset_t cur;
    CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
    CHECK(!sigismember(&cur, SIGUSR1));
    CHECK(!sigismember(&cur, SIGUSR2));

    catch (SIGUSR1, SA_NODEFER, NULL);
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 2);
    CHECK(!g_seen_blocked_self[1]);
    CHECK(!g_seen_blocked_usr2[1]);

    /* SA_RESETHAND: once, then SIG_DFL. */
    catch (SIGUSR1, SA_RESETHAND, NULL);
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 3);
    struct sigaction sa;
    CHECK_OK(sigaction(SIGUSR1, NULL, &sa));
    CHECK(sa.sa_handler == SIG_DFL);
}

static void altstack(void)
{
    size_t size = 64 * 1024;
    char *mem = malloc(size);
    stack_t ss = {.ss_sp = mem, .ss_size = size, .ss_flags = 0}, old;
    CHECK_OK(sigaltstack(&ss, &old));
    CHECK(old.ss_flags & SS_DISABLE);
    g_alt_lo = mem;
    g_alt_hi = mem + size;
    catch (SIGUSR1, SA_ONSTACK, NULL);
    g_nseen = 0;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 1);
    CHECK(g_seen_onstack[0]);
    /* Without SA_ONSTACK the handler runs on the normal stack. */
    catch (SIGUSR1, 0, NULL);
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 2);
    CHECK(!g_seen_onstack[1]);
    /* Too small: ENOMEM; bad flags: EINVAL. */
    stack_t small = {.ss_sp = mem, .ss_size = 1024, .ss_flags = 0};
    CHECK_ERR(sigaltstack(&small, NULL), ENOMEM);
    stack_t badf = {.ss_sp = mem, .ss_size = size, .ss_flags = 0x10};
    CHECK_ERR(sigaltstack(&badf, NULL), EINVAL);
    stack_t off = {.ss_flags = SS_DISABLE};
    CHECK_OK(sigaltstack(&off, &old));
    CHECK_EQ(old.ss_sp, mem);
    CHECK_EQ(old.ss_size, size);
    g_alt_lo = g_alt_hi = NULL;
    dfl(SIGUSR1);
    free(mem);
}

static void sigsuspend_waits(void)
{
    catch (SIGUSR1, 0, NULL);
    block(SIGUSR1);
    g_nseen = 0;
    CHECK_OK(raise(SIGUSR1));
    CHECK_EQ(g_nseen, 0);
    sigset_t none;
    sigemptyset(&none);
    /* The handler runs inside sigsuspend, which then fails with EINTR. */
    CHECK_ERR(sigsuspend(&none), EINTR);
    CHECK_EQ(g_nseen, 1);
    /* The old mask is back. */
    sigset_t cur;
    CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
    CHECK(sigismember(&cur, SIGUSR1));

    /* Woken by a signal from another process. */
    pid_t parent = getpid();
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        check_sleep_ms(20);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    CHECK_ERR(sigsuspend(&none), EINTR);
    CHECK_EQ(g_nseen, 2);
    CHECK_EQ(g_seen_pid[1], pid);
    CHECK_OK(waitpid(pid, NULL, 0));
    unblock(SIGUSR1);
    dfl(SIGUSR1);
}

static void sigtimedwait_cases(void)
{
    block(SIGUSR1);
    sigset_t s = one(SIGUSR1);
    siginfo_t si;
    struct timespec zero = {0, 0}, short_ts = {0, 20000000};
    CHECK_ERR(sigtimedwait(&s, &si, &zero), EAGAIN);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERR(sigtimedwait(&s, &si, &short_ts), EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_GE((t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec, 19000000LL);
    union sigval v = {.sival_int = 9};
    CHECK_OK(sigqueue(getpid(), SIGUSR1, v));
    memset(&si, 0, sizeof(si));
    CHECK_EQ(CHECK_OK(sigtimedwait(&s, &si, &zero)), SIGUSR1);
    CHECK_EQ(si.si_signo, SIGUSR1);
    CHECK_EQ(si.si_code, SI_QUEUE);
    CHECK_EQ(si.si_value.sival_int, 9);
    CHECK_EQ(si.si_pid, getpid());
    /* Consumed. */
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR1));
    /* Invalid timeouts. */
    struct timespec bad = {0, 1000000000L};
    CHECK_ERR(sigtimedwait(&s, &si, &bad), EINVAL);
    /* A signal that arrives while waiting (from a child). */
    pid_t parent = getpid();
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        check_sleep_ms(20);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec longer = {5, 0};
    CHECK_EQ(CHECK_OK(sigtimedwait(&s, &si, &longer)), SIGUSR1);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_code, SI_USER);
    CHECK_OK(waitpid(pid, NULL, 0));
    unblock(SIGUSR1);
}

/* A read from an empty pipe, interrupted by an itimer's SIGALRM: EINTR
 * without SA_RESTART; with it the read goes on and gets the data a child
 * writes later. */
static void restart_vs_eintr(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    catch (SIGALRM, 0, NULL);
    g_nseen = 0;
    struct itimerval it = {{0, 0}, {0, 20000}};
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    char buf[8];
    CHECK_ERR(read(p[0], buf, sizeof(buf)), EINTR);
    CHECK_EQ(g_nseen, 1);
    CHECK_EQ(g_seen_sig[0], SIGALRM);

    catch (SIGALRM, SA_RESTART, NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        check_sleep_ms(100);
        if (write(p[1], "hello", 5) != 5)
            _exit(1);
        _exit(0);
    }
    CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
    CHECK_EQ(CHECK_OK(read(p[0], buf, sizeof(buf))), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_EQ(g_nseen, 2); /* the handler ran in between */
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    CHECK_EQ(WEXITSTATUS(status), 0);
    dfl(SIGALRM);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void sigchld_info(void)
{
    block(SIGCHLD);
    sigset_t s = one(SIGCHLD);
    struct timespec ts = {5, 0};
    siginfo_t si;
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(3);
    memset(&si, 0, sizeof(si));
    CHECK_EQ(CHECK_OK(sigtimedwait(&s, &si, &ts)), SIGCHLD);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_status, 3);
    CHECK_EQ(si.si_uid, getuid());
    CHECK_OK(waitpid(pid, NULL, 0));

    pid = CHECK_OK(fork());
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK_OK(kill(pid, SIGKILL));
    memset(&si, 0, sizeof(si));
    CHECK_EQ(CHECK_OK(sigtimedwait(&s, &si, &ts)), SIGCHLD);
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_status, SIGKILL);
    CHECK_OK(waitpid(pid, NULL, 0));
    unblock(SIGCHLD);
}

static void pending_and_queueing(void)
{
    catch (SIGUSR1, 0, NULL);
    catch (SIGRTMIN + 1, 0, NULL);
    block(SIGUSR1);
    block(SIGRTMIN + 1);
    g_nseen = 0;
    /* A standard signal sent three times is pending once. */
    for (int i = 0; i < 3; i++)
        CHECK_OK(kill(getpid(), SIGUSR1));
    /* An RT signal queues every instance, in order. */
    for (int i = 0; i < 3; i++) {
        union sigval v = {.sival_int = i};
        CHECK_OK(sigqueue(getpid(), SIGRTMIN + 1, v));
    }
    sigset_t pend;
    CHECK_OK(sigpending(&pend));
    CHECK(sigismember(&pend, SIGUSR1));
    CHECK(sigismember(&pend, SIGRTMIN + 1));
    CHECK_EQ(g_nseen, 0);
    /* Unblocking both at once: SIGUSR1 once, the RT ones in the order
     * sent. (How the two kinds interleave is not checked: Linux stacks the
     * next handler's frame on top of the first one's.) */
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGRTMIN + 1);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &both, NULL));
    CHECK_EQ(g_nseen, 4);
    int usr1 = 0, rt = 0;
    for (int i = 0; i < 4; i++) {
        if (g_seen_sig[i] == SIGUSR1) {
            usr1++;
            continue;
        }
        CHECK_EQ(g_seen_sig[i], SIGRTMIN + 1);
        CHECK_EQ(g_seen_int[i], rt);
        rt++;
    }
    CHECK_EQ(usr1, 1);
    CHECK_EQ(rt, 3);
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR1));
    CHECK(!sigismember(&pend, SIGRTMIN + 1));
    /* Setting SIG_IGN discards a pending signal. */
    block(SIGUSR1);
    CHECK_OK(kill(getpid(), SIGUSR1));
    signal(SIGUSR1, SIG_IGN);
    CHECK_OK(sigpending(&pend));
    CHECK(!sigismember(&pend, SIGUSR1));
    unblock(SIGUSR1);
    dfl(SIGUSR1);
    dfl(SIGRTMIN + 1);
}

/* A child that waits to be killed, with sig's default action. */
static int killed_by(int sig)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        signal(sig, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int i = 0; i < 20; i++)
            check_sleep_ms(10);
        _exit(0);
    }
    check_sleep_ms(5);
    CHECK_OK(kill(pid, sig));
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
}

static void default_actions(void)
{
    CHECK_EQ(killed_by(SIGTERM), SIGTERM);
    CHECK_EQ(killed_by(SIGUSR2), SIGUSR2);
    CHECK_EQ(killed_by(SIGALRM), SIGALRM);
    CHECK_EQ(killed_by(SIGRTMIN + 2), SIGRTMIN + 2);
    /* Ignored by default: the child runs to its end. */
    CHECK_EQ(killed_by(SIGCHLD), 0);
    CHECK_EQ(killed_by(SIGURG), 0);
    CHECK_EQ(killed_by(SIGWINCH), 0);
    CHECK_EQ(killed_by(SIGCONT), 0);
}

static void uncatchable(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_plain;
    CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    sa.sa_handler = SIG_IGN;
    CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    /* Reading their action is fine. */
    CHECK_OK(sigaction(SIGKILL, NULL, &sa));
    CHECK(sa.sa_handler == SIG_DFL);
    /* Blocking them is silently not done. */
    sigset_t s, cur;
    sigemptyset(&s);
    sigaddset(&s, SIGKILL);
    sigaddset(&s, SIGSTOP);
    CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
    CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
    CHECK(!sigismember(&cur, SIGKILL));
    CHECK(!sigismember(&cur, SIGSTOP));
    CHECK_ERR(sigaction(0, &sa, NULL), EINVAL);
    CHECK_ERR(sigaction(65, &sa, NULL), EINVAL);
    /* A child that blocks everything still dies of SIGKILL. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (;;)
            pause();
    }
    check_sleep_ms(5);
    CHECK_OK(kill(pid, SIGKILL));
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WTERMSIG(status), SIGKILL);
}

int main(void)
{
    RUN(siginfo_sources);
    RUN(handler_masks);
    RUN(altstack);
    RUN(sigsuspend_waits);
    RUN(sigtimedwait_cases);
    RUN(restart_vs_eintr);
    RUN(sigchld_info);
    RUN(pending_and_queueing);
    RUN(default_actions);
    RUN(uncatchable);
    return 0;
}
