/* The kernel side of the control server: the freeze (freeze.c) with
 * threads standing in for task loops, and the real backend
 * (kernel_backend.c) over a kernel built by hand (thread groups, a process
 * tree, detached processes; no platform, no memory), driven through the
 * server and the runsc client. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sentry/control/freeze.h"
#include "sentry/control/kernel_backend.h"
#include "sentry/kernel/process.h"
#include "test/unit/control/fake.h"
#include "test/unit/harness.h"

static struct kernel g_k;

static void kernel_setup(void)
{
    memset(&g_k, 0, sizeof(g_k));
    pthread_mutex_init(&g_k.lock, NULL);
    pthread_cond_init(&g_k.cond, NULL);
    clock_gettime(CLOCK_MONOTONIC, &g_k.boot_monotonic);
    g_kernel = &g_k;
}

/* A one-thread group pid under parent (NULL: a root), alive or a zombie. */
static struct thread_group *group(int pid, struct thread_group *parent, bool alive)
{
    struct task *t = task_alloc();
    struct thread_group *tg = tg_alloc();
    CHECK(t && tg);
    tg->sighand = calloc(1, sizeof(*tg->sighand));
    tg->sighand->refs = 1;
    t->tid = pid;
    t->tg = tg;
    snprintf(t->comm, sizeof(t->comm), "proc%d", pid);
    t->creds.euid = 1000 + (uint32_t)pid;
    tg->tgid = tg->pgid = tg->sid = pid;
    tg->leader = t;
    if (alive) {
        tg->tasks = t;
        tg->nr_threads = 1;
        t->next = g_k.tasks;
        g_k.tasks = t;
        g_k.live_tasks++;
    } else {
        tg->state = TG_ZOMBIE;
        t->state = TASK_ZOMBIE;
    }
    if (parent) {
        tg->parent = parent;
        tg->sibling = parent->children;
        parent->children = tg;
    }
    return tg;
}

static void detach(struct thread_group *tg)
{
    tg->sibling = g_k.detached;
    g_k.detached = tg;
}

static bool pending(struct thread_group *tg, int sig)
{
    pthread_mutex_lock(&tg->siglock);
    bool p = (tg->shared_pending.set & SIGBIT(sig)) != 0;
    pthread_mutex_unlock(&tg->siglock);
    return p;
}

/* ---- the freeze ---------------------------------------------------------- */

struct sim {
    struct task *t;
    pthread_t th;
    atomic_long iters;
    atomic_bool stop, died;
};

/* A task loop: the freeze point, then "application code". A SIGKILL that
 * lets it out of the freeze ends it, as signal_deliver would. */
static void *sim_main(void *p)
{
    struct sim *s = p;
    while (!atomic_load(&s->stop)) {
        control_freeze_point(s->t);
        if (pending(s->t->tg, SIGKILL)) {
            atomic_store(&s->died, true);
            return NULL;
        }
        atomic_fetch_add(&s->iters, 1);
        usleep(100);
    }
    return NULL;
}

static void sim_start(struct sim *s, struct thread_group *tg)
{
    s->t = tg->tasks;
    CHECK(pthread_create(&s->th, NULL, sim_main, s) == 0);
}

static void sim_stop(struct sim *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
}

static bool advanced(void *p)
{
    struct sim *s = p;
    long a = atomic_load(&s->iters);
    usleep(5000);
    return atomic_load(&s->iters) > a;
}

static bool died(void *p)
{
    return atomic_load(&((struct sim *)p)->died);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

TEST(freeze_parks_every_task_until_thawed)
{
    kernel_setup();
    struct sim a = {0}, b = {0};
    sim_start(&a, group(1, NULL, true));
    sim_start(&b, group(2, NULL, true));
    CHECK(eventually(advanced, &a));
    CHECK(eventually(advanced, &b));

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(control_freeze(&g_k, true), ==, 0);
    CHECK(ms_since(&t0) < 500); /* both parked: no need to wait out the timeout */
    CHECK(control_frozen());
    CHECK_INT(control_freeze(&g_k, true), ==, 0); /* idempotent */
    long ia = atomic_load(&a.iters), ib = atomic_load(&b.iters);
    usleep(50000);
    CHECK_INT(atomic_load(&a.iters), ==, ia);
    CHECK_INT(atomic_load(&b.iters), ==, ib);

    CHECK_INT(control_freeze(&g_k, false), ==, 0);
    CHECK(!control_frozen());
    CHECK(eventually(advanced, &a));
    CHECK(eventually(advanced, &b));
    CHECK_INT(control_freeze(&g_k, false), ==, 0);
    sim_stop(&a);
    sim_stop(&b);
}

TEST(freeze_lets_sigkill_through)
{
    kernel_setup();
    struct sim a = {0}, b = {0};
    struct thread_group *ga = group(1, NULL, true);
    sim_start(&a, ga);
    sim_start(&b, group(2, NULL, true));
    CHECK_INT(control_freeze(&g_k, true), ==, 0);
    /* A signal other than SIGKILL waits for the thaw. */
    long ia = atomic_load(&a.iters);
    pthread_mutex_lock(&g_k.lock);
    CHECK_INT(signal_send_external(ga, SIGTERM), ==, 0);
    pthread_mutex_unlock(&g_k.lock);
    usleep(20000);
    CHECK(!atomic_load(&a.died));
    CHECK_INT(atomic_load(&a.iters), ==, ia);
    /* SIGKILL gets it out while the sandbox stays frozen. */
    pthread_mutex_lock(&g_k.lock);
    CHECK_INT(signal_send_external(ga, SIGKILL), ==, 0);
    pthread_mutex_unlock(&g_k.lock);
    CHECK(eventually(died, &a));
    long ib = atomic_load(&b.iters);
    usleep(20000);
    CHECK_INT(atomic_load(&b.iters), ==, ib);
    CHECK_INT(control_freeze(&g_k, false), ==, 0);
    CHECK(eventually(advanced, &b));
    pthread_join(a.th, NULL);
    sim_stop(&b);
}

TEST(freeze_counts_blocked_tasks_and_gives_up_on_busy_ones)
{
    kernel_setup();
    struct sim a = {0};
    sim_start(&a, group(1, NULL, true));
    struct thread_group *blocked = group(2, NULL, true);
    __atomic_store_n(&blocked->tasks->blocked, true, __ATOMIC_RELEASE);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(control_freeze(&g_k, true), ==, 0);
    CHECK(ms_since(&t0) < 500); /* a task blocked in a syscall is not waited for */
    CHECK_INT(control_freeze(&g_k, false), ==, 0);

    /* A task that neither parks nor blocks (busy in the sentry): Pause
     * still returns, after about a second. */
    __atomic_store_n(&blocked->tasks->blocked, false, __ATOMIC_RELEASE);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(control_freeze(&g_k, true), ==, 0);
    long ms = ms_since(&t0);
    CHECK(ms >= 900 && ms < 3000);
    CHECK_INT(control_freeze(&g_k, false), ==, 0);
    sim_stop(&a);
}

/* ---- the kernel backend through the server ------------------------------- */

/*   init 1 ─┬─ 2 (blocked) ── 4
 *           └─ 3 (zombie)
 *   detached: 10 ── 11 (stopped), 12 (zombie, exit 5) */
static struct thread_group *g1, *g2, *g3, *g4, *g10, *g11, *g12;

static void build_tree(void)
{
    kernel_setup();
    g1 = group(1, NULL, true);
    g1->is_init = true;
    g_k.init = g1;
    g2 = group(2, g1, true);
    g3 = group(3, g1, false);
    g4 = group(4, g2, true);
    g10 = group(10, NULL, true);
    g11 = group(11, g10, true);
    g12 = group(12, NULL, false);
    g12->exit_status = 5 << 8;
    detach(g12);
    detach(g10);
    __atomic_store_n(&g2->tasks->blocked, true, __ATOMIC_RELEASE);
    g11->stopped = true;
}

static const struct control_process *find_ps(const struct control_process *ps, size_t n, int pid)
{
    for (size_t i = 0; i < n; i++)
        if (ps[i].pid == pid)
            return &ps[i];
    ut_fail(__FILE__, __LINE__, "pid %d not listed", pid);
}

static int start_hook_calls;
static int start_hook(void *arg)
{
    start_hook_calls++;
    return 1;
}

static int shutdown_hook_calls;
static void shutdown_hook(void *arg)
{
    shutdown_hook_calls++;
}

TEST(kernel_backend_processes_signal_event)
{
    build_tree();
    struct control_kernel ck = {.k = &g_k, .start_root = start_hook};
    struct server s;
    server_start_arg(&s, &control_kernel_backend, &ck);
    struct control_client *c = client(&s);
    rs_error_t err = NULL;

    CHECK_INT(control_start_root(c, &err), ==, 0);
    CHECK_INT(start_hook_calls, ==, 1);

    struct control_process *ps = NULL;
    size_t n = 0;
    CHECK_INT(control_processes(c, &ps, &n, &err), ==, 0);
    CHECK_INT(n, ==, 7);
    const struct control_process *p = find_ps(ps, n, 1);
    CHECK_INT(p->ppid, ==, 0);
    CHECK_STR(p->state, "R");
    CHECK_STR(p->comm, "proc1");
    CHECK_STR(p->cmd, "proc1"); /* no memory to read argv from */
    CHECK_INT(p->uid, ==, 1001);
    CHECK_STR(find_ps(ps, n, 2)->state, "S");
    CHECK_STR(find_ps(ps, n, 3)->state, "Z");
    CHECK_INT(find_ps(ps, n, 3)->ppid, ==, 1);
    CHECK_INT(find_ps(ps, n, 4)->ppid, ==, 2);
    CHECK_INT(find_ps(ps, n, 10)->ppid, ==, 0);
    CHECK_STR(find_ps(ps, n, 11)->state, "T");
    CHECK_INT(find_ps(ps, n, 11)->ppid, ==, 10);
    CHECK_STR(find_ps(ps, n, 12)->state, "Z");
    control_processes_free(ps, n);

    CHECK_INT(control_signal(c, CONTROL_SIGNAL_PID, 4, SIGTERM, &err), ==, 0);
    CHECK(pending(g4, SIGTERM));
    CHECK(!pending(g2, SIGTERM));
    CHECK_INT(control_signal(c, CONTROL_SIGNAL_PID, 3, SIGTERM, &err), ==, -ESRCH); /* zombie */
    rs_error_release(&err);
    CHECK_INT(control_signal(c, CONTROL_SIGNAL_PID, 99, SIGTERM, &err), ==, -ESRCH);
    rs_error_release(&err);
    CHECK_INT(control_signal(c, CONTROL_SIGNAL_PID, 2, 0, &err), ==, 0);
    CHECK(!pending(g2, SIGTERM));
    /* pid 1 gets a default-action signal from outside. */
    CHECK_INT(control_signal(c, CONTROL_SIGNAL_INIT, 0, SIGUSR1, &err), ==, 0);
    CHECK(pending(g1, SIGUSR1));
    CHECK_INT(control_signal(c, CONTROL_SIGNAL_ALL, 0, SIGHUP, &err), ==, 0);
    struct thread_group *live[] = {g1, g2, g4, g10, g11};
    for (size_t i = 0; i < 5; i++)
        CHECK(pending(live[i], SIGHUP));

    struct control_event ev;
    CHECK_INT(control_event(c, &ev, &err), ==, 0);
    CHECK_INT(ev.pids, ==, 5);
    CHECK_INT(ev.memory_usage, ==, 0);

    CHECK_INT(control_pause(c, &err), ==, 0);
    CHECK(control_frozen());
    CHECK_INT(control_processes(c, &ps, &n, &err), ==, 0);
    CHECK_STR(find_ps(ps, n, 1)->state, "T");
    control_processes_free(ps, n);
    CHECK_INT(control_resume(c, &err), ==, 0);
    CHECK(!control_frozen());
    control_close(c);
    server_stop(&s);
}

struct kwaiter {
    const char *path;
    int pid, status, rc;
    atomic_bool done;
};

static void *kwait_main(void *p)
{
    struct kwaiter *w = p;
    struct control_client *c = NULL;
    rs_error_t err = NULL;
    CHECK_INT(control_connect(w->path, &c, &err), ==, 0);
    w->rc = control_wait(c, w->pid, &w->status, &err);
    rs_error_release(&err);
    control_close(c);
    atomic_store(&w->done, true);
    return NULL;
}

TEST(kernel_backend_wait_reaps_detached_processes)
{
    build_tree();
    struct control_kernel ck = {.k = &g_k};
    struct server s;
    server_start_arg(&s, &control_kernel_backend, &ck);
    struct control_client *c = client(&s);
    rs_error_t err = NULL;
    int st = 0;
    CHECK_INT(control_wait(c, 12, &st, &err), ==, 0);
    CHECK_INT(st, ==, 5 << 8);
    CHECK_INT(control_wait(c, 12, &st, &err), ==, -ECHILD); /* reaped */
    rs_error_release(&err);
    CHECK_INT(control_wait(c, 4, &st, &err), ==, -ECHILD); /* not started from outside */
    rs_error_release(&err);

    /* A wait for a live one blocks until it is a zombie. */
    struct kwaiter w = {.path = s.path, .pid = 10};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, kwait_main, &w) == 0);
    usleep(50000);
    CHECK(!atomic_load(&w.done));
    pthread_mutex_lock(&g_k.lock);
    g10->state = TG_ZOMBIE;
    g10->exit_status = SIGTERM;
    g10->tasks = NULL;
    pthread_cond_broadcast(&g_k.cond);
    pthread_mutex_unlock(&g_k.lock);
    pthread_join(th, NULL);
    CHECK_INT(w.rc, ==, 0);
    CHECK(WIFSIGNALED(w.status));
    CHECK_INT(WTERMSIG(w.status), ==, SIGTERM);

    /* StartRoot without a hook. */
    CHECK_INT(control_start_root(c, &err), ==, -ENOSYS);
    rs_error_release(&err);
    control_close(c);
    server_stop(&s);
}

TEST(kernel_backend_shutdown_kills_everything)
{
    build_tree();
    struct control_kernel ck = {.k = &g_k, .shutdown = shutdown_hook};
    struct server s;
    server_start_arg(&s, &control_kernel_backend, &ck);
    struct control_client *c = client(&s);
    rs_error_t err = NULL;
    CHECK_INT(control_pause(c, &err), ==, 0);
    CHECK_INT(control_shutdown(c, &err), ==, 0);
    CHECK_INT(shutdown_hook_calls, ==, 1);
    CHECK(!control_frozen());
    struct thread_group *live[] = {g1, g2, g4, g10, g11};
    for (size_t i = 0; i < 5; i++)
        CHECK(pending(live[i], SIGKILL));
    control_close(c);
    server_stop(&s);
}
