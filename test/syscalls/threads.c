/* Threads: pthread create/join and return values, many threads, gettid vs
 * getpid, shared memory and descriptors, CLONE_CHILD_SETTID/CLEARTID (the
 * exit clears the tid and wakes a futex waiter), exit_group from a non-main
 * thread ends the process with its status, the process lives on after the
 * main thread exits (pthread_exit), a tgkill'd signal runs on the thread it
 * names, a process signal goes to a thread that does not block it, execve
 * from a non-main thread (it takes over the pid), glibc SIGEV_THREAD timers. */
#include "check.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static const char *g_self;

static int wait_child(pid_t pid)
{
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    if (WIFSIGNALED(status))
        return 1000 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* ---- basics ----------------------------------------------------------------- */

static void *ret_arg(void *arg)
{
    return (void *)((long)arg * 2);
}

static volatile pid_t g_tid_seen, g_pid_seen;

static void *ids(void *arg)
{
    g_tid_seen = gettid();
    g_pid_seen = getpid();
    return NULL;
}

static void create_join(void)
{
    pthread_t th[32];
    for (long i = 0; i < 32; i++)
        CHECK_EQ(pthread_create(&th[i], NULL, ret_arg, (void *)i), 0);
    for (long i = 0; i < 32; i++) {
        void *ret;
        CHECK_EQ(pthread_join(th[i], &ret), 0);
        CHECK_EQ((long)ret, i * 2);
    }
    CHECK_EQ(pthread_create(&th[0], NULL, ids, NULL), 0);
    CHECK_EQ(pthread_join(th[0], NULL), 0);
    CHECK_EQ(g_pid_seen, getpid());
    CHECK_NE(g_tid_seen, gettid());
    CHECK_NE(g_tid_seen, getpid());
    CHECK_EQ(gettid(), getpid()); /* the main thread */
    /* The thread is gone (join returns when its tid is cleared, which is
     * just before the kernel is done with it): tgkill finds nothing. */
    for (int i = 0; i < 1000 && syscall(SYS_tgkill, getpid(), g_tid_seen, 0) == 0; i++)
        check_sleep_ms(1);
    CHECK_ERR(syscall(SYS_tgkill, getpid(), g_tid_seen, 0), ESRCH);
}

static int g_shared_fd = -1;

static void *opens(void *arg)
{
    g_shared_fd = open("/dev/null", O_RDONLY);
    return NULL;
}

static void shared_state(void)
{
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, opens, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    /* Its descriptor is ours. */
    CHECK_OK(g_shared_fd);
    CHECK_OK(fcntl(g_shared_fd, F_GETFD));
    CHECK_OK(close(g_shared_fd));
}

/* ---- raw clone with CLONE_CHILD_SETTID / CLEARTID ---------------------------- */

static volatile uint32_t g_ctid, g_ptid;
static atomic_int g_go;

static int raw_thread(void *arg)
{
    while (!atomic_load(&g_go))
        syscall(SYS_sched_yield);
    syscall(SYS_exit, 0); /* this thread only */
    return 0;
}

static void child_cleartid(void)
{
    size_t size = 64 * 1024;
    char *stack = CHECK_PTR(
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0));
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    atomic_store(&g_go, 0);
    g_ctid = g_ptid = 0;
    int tid = CHECK_OK(
        clone(raw_thread, stack + size, flags, NULL, (pid_t *)&g_ptid, NULL, (pid_t *)&g_ctid));
    CHECK_EQ(g_ptid, (uint32_t)tid);
    /* CHILD_SETTID writes it in the child's memory (ours) before the child
     * returns to user space. */
    for (int i = 0; i < 2000 && __atomic_load_n(&g_ctid, __ATOMIC_SEQ_CST) == 0; i++)
        check_sleep_ms(1);
    CHECK_EQ(__atomic_load_n(&g_ctid, __ATOMIC_SEQ_CST), (uint32_t)tid);
    atomic_store(&g_go, 1);
    /* Its exit zeroes ctid and wakes us. */
    for (;;) {
        uint32_t v = __atomic_load_n(&g_ctid, __ATOMIC_SEQ_CST);
        if (v == 0)
            break;
        long r = syscall(SYS_futex, &g_ctid, FUTEX_WAIT, v, NULL, NULL, 0);
        CHECK(r == 0 || errno == EAGAIN);
    }
    CHECK_EQ(g_ctid, 0);
    /* Then the thread is gone. */
    for (int i = 0; i < 1000 && syscall(SYS_tgkill, getpid(), tid, 0) == 0; i++)
        check_sleep_ms(1);
    CHECK_ERR(syscall(SYS_tgkill, getpid(), tid, 0), ESRCH);
    CHECK_OK(munmap(stack, size));
}

/* ---- exits --------------------------------------------------------------------- */

static void *exit_group_42(void *arg)
{
    check_sleep_ms(10);
    exit(42); /* exit_group */
}

static void *exit_later_7(void *arg)
{
    check_sleep_ms(30);
    /* The main thread is gone, the process is still here. */
    _exit(getpid() == (pid_t)(long)arg ? 7 : 8);
}

static void exits(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, exit_group_42, NULL);
        for (;;)
            pause();
    }
    CHECK_EQ(wait_child(pid), 42);

    pid = CHECK_OK(fork());
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, exit_later_7, (void *)(long)getpid());
        pthread_exit(NULL); /* only the main thread */
    }
    CHECK_EQ(wait_child(pid), 7);

    /* A thread killed by a fatal signal takes the process with it. */
    pid = CHECK_OK(fork());
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, exit_later_7, (void *)(long)getpid());
        check_sleep_ms(5);
        pthread_kill(th, SIGTERM);
        for (;;)
            pause();
    }
    CHECK_EQ(wait_child(pid), 1000 + SIGTERM);
}

/* ---- signals and threads ---------------------------------------------------- */

static volatile pid_t g_handler_tid;
static volatile pid_t g_worker_tid;
static atomic_int g_stop;

static void on_usr1(int sig)
{
    g_handler_tid = gettid();
}

static void *worker(void *arg)
{
    if (arg) {
        /* Unblock what the main thread blocks. */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    }
    g_worker_tid = gettid();
    while (!atomic_load(&g_stop))
        check_sleep_ms(1);
    return NULL;
}

static void thread_signals(void)
{
    signal(SIGUSR1, on_usr1);
    atomic_store(&g_stop, 0);
    g_worker_tid = 0;
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, worker, NULL), 0);
    while (!g_worker_tid)
        check_sleep_ms(1);
    /* tgkill: that thread runs the handler. */
    g_handler_tid = 0;
    CHECK_OK(syscall(SYS_tgkill, getpid(), g_worker_tid, SIGUSR1));
    for (int i = 0; i < 2000 && !g_handler_tid; i++)
        check_sleep_ms(1);
    CHECK_EQ(g_handler_tid, g_worker_tid);
    /* pthread_kill to ourselves: we run it. */
    g_handler_tid = 0;
    CHECK_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
    CHECK_EQ(g_handler_tid, gettid());
    /* tgkill with the wrong tgid. */
    CHECK_ERR(syscall(SYS_tgkill, getpid() + 100000, g_worker_tid, SIGUSR1), ESRCH);
    atomic_store(&g_stop, 1);
    CHECK_EQ(pthread_join(th, NULL), 0);

    /* A process-directed signal goes to a thread that does not block it. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &s, NULL));
    atomic_store(&g_stop, 0);
    g_worker_tid = 0;
    CHECK_EQ(pthread_create(&th, NULL, worker, (void *)1), 0);
    while (!g_worker_tid)
        check_sleep_ms(1);
    g_handler_tid = 0;
    CHECK_OK(kill(getpid(), SIGUSR1));
    for (int i = 0; i < 2000 && !g_handler_tid; i++)
        check_sleep_ms(1);
    CHECK_EQ(g_handler_tid, g_worker_tid);
    atomic_store(&g_stop, 1);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
    signal(SIGUSR1, SIG_DFL);
}

/* ---- execve from a thread -------------------------------------------------------- */

static void *exec_from_thread(void *arg)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    char *argv[] = {(char *)g_self, "exec-thread", pid, NULL};
    execv(g_self, argv);
    _exit(99);
}

static int exec_thread_child(const char *pid)
{
    /* We are the only thread, with the process's pid. */
    if (getpid() != atoi(pid)) {
        fprintf(stderr, "pid %d after execve, expected %s\n", getpid(), pid);
        return 1;
    }
    if (gettid() != getpid()) {
        fprintf(stderr, "tid %d != pid %d after execve\n", gettid(), getpid());
        return 2;
    }
    return 0;
}

static void exec_from_non_main(void)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, exec_from_thread, NULL);
        for (;;)
            pause();
    }
    CHECK_EQ(wait_child(pid), 0);
}

/* ---- SIGEV_THREAD timers (glibc helper thread + SIGEV_THREAD_ID) ----------------- */

static atomic_int g_fired;

static void on_timer(union sigval v)
{
    atomic_fetch_add(&g_fired, v.sival_int);
}

static void sigev_thread_timer(void)
{
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_timer;
    ev.sigev_value.sival_int = 1;
    timer_t tm;
    CHECK_OK(timer_create(CLOCK_MONOTONIC, &ev, &tm));
    struct itimerspec v = {.it_value = {0, 5000000}, .it_interval = {0, 5000000}};
    atomic_store(&g_fired, 0);
    CHECK_OK(timer_settime(tm, 0, &v, NULL));
    for (int i = 0; i < 2000 && atomic_load(&g_fired) < 3; i++)
        check_sleep_ms(1);
    CHECK_GE(atomic_load(&g_fired), 3);
    CHECK_OK(timer_delete(tm));
}

int main(int argc, char **argv)
{
    g_self = argv[0];
    if (argc == 3 && strcmp(argv[1], "exec-thread") == 0)
        return exec_thread_child(argv[2]);
    RUN(create_join);
    RUN(shared_state);
    RUN(child_cleartid);
    RUN(exits);
    RUN(thread_signals);
    RUN(exec_from_non_main);
    RUN(sigev_thread_timer);
    return 0;
}
