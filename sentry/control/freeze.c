/* The kernel-wide freeze of Control.Pause / Control.Resume (freeze.h).
 *
 * A parked task waits on its own wake eventfd (task->wake_fd), the same one
 * task_wake() writes: the thaw wakes every task, and a SIGKILL (whose
 * sending interrupts every thread of the group) wakes the ones that must
 * die. Lock order: kernel.lock -> task.ctx_lock / thread_group.siglock;
 * g_lock is a leaf, never held while taking another lock. */
#include "sentry/control/freeze.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

/* How long Pause waits for running tasks to park. */
#define FREEZE_SETTLE_MS 1000
#define FREEZE_RECHECK_MS 10

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_parked_cond; /* CLOCK_MONOTONIC; signalled when a task parks */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static atomic_bool g_frozen;
static int g_parked; /* tasks inside control_freeze_point (g_lock) */

static void init_once(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g_parked_cond, &a);
    pthread_condattr_destroy(&a);
}

bool control_frozen(void)
{
    return atomic_load_explicit(&g_frozen, memory_order_acquire);
}

/* Whether t must leave the freeze to die (SIGKILL pending, or exiting). */
static bool must_die(struct task *t)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&tg->siglock);
    bool d = tg->exiting || t->exiting ||
             ((tg->shared_pending.set | t->pending.set) & SIGBIT(SIGKILL)) != 0;
    pthread_mutex_unlock(&tg->siglock);
    return d;
}

void control_freeze_point(struct task *t)
{
    if (!control_frozen())
        return;
    pthread_once(&g_once, init_once);
    pthread_mutex_lock(&g_lock);
    g_parked++;
    pthread_cond_broadcast(&g_parked_cond);
    pthread_mutex_unlock(&g_lock);
    /* The thaw sets the flag before it wakes us: a wake between the check
     * and poll() leaves the eventfd readable. */
    while (control_frozen() && !must_die(t)) {
        struct pollfd pfd = {.fd = t->wake_fd, .events = POLLIN};
        int acct = task_acct(t, TASK_ACCT_BLOCKED);
        int r = poll(&pfd, 1, -1);
        task_acct(t, acct);
        if (r > 0 && (pfd.revents & POLLIN)) {
            uint64_t v;
            ssize_t n = read(t->wake_fd, &v, sizeof(v));
            (void)n; /* EAGAIN: another reader took it; we re-check anyway */
        }
    }
    pthread_mutex_lock(&g_lock);
    g_parked--;
    pthread_mutex_unlock(&g_lock);
}

static void interrupt_all(struct kernel *k)
{
    pthread_mutex_lock(&k->lock);
    for (struct task *t = k->tasks; t; t = t->next) {
        pthread_mutex_lock(&t->ctx_lock);
        if (t->ctx && k->pops && k->pops->ctx_interrupt)
            k->pops->ctx_interrupt(t->ctx);
        pthread_mutex_unlock(&t->ctx_lock);
    }
    pthread_mutex_unlock(&k->lock);
}

static void wake_all(struct kernel *k)
{
    pthread_mutex_lock(&k->lock);
    for (struct task *t = k->tasks; t; t = t->next)
        task_wake(t);
    pthread_mutex_unlock(&k->lock);
}

static void add_ms(struct timespec *ts, long ms)
{
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Waits until every live task is parked or blocked, or the deadline. */
static void settle(struct kernel *k)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    add_ms(&deadline, FREEZE_SETTLE_MS);
    for (;;) {
        int live = 0, blocked = 0;
        pthread_mutex_lock(&k->lock);
        for (struct task *t = k->tasks; t; t = t->next) {
            live++;
            if (__atomic_load_n(&t->blocked, __ATOMIC_ACQUIRE))
                blocked++;
        }
        pthread_mutex_unlock(&k->lock);
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        pthread_mutex_lock(&g_lock);
        int parked = g_parked;
        if (parked + blocked >= live || !before(&now, &deadline)) {
            pthread_mutex_unlock(&g_lock);
            if (parked + blocked < live)
                log_debug("control: freeze: %d of %d tasks still busy in the sentry",
                          live - parked - blocked, live);
            return;
        }
        until = now;
        add_ms(&until, FREEZE_RECHECK_MS);
        if (before(&deadline, &until))
            until = deadline;
        pthread_cond_timedwait(&g_parked_cond, &g_lock, &until);
        pthread_mutex_unlock(&g_lock);
    }
}

int control_freeze(struct kernel *k, bool freeze)
{
    pthread_once(&g_once, init_once);
    pthread_mutex_lock(&g_lock);
    bool was = control_frozen();
    atomic_store_explicit(&g_frozen, freeze, memory_order_release);
    pthread_mutex_unlock(&g_lock);
    if (freeze == was)
        return 0;
    if (freeze) {
        interrupt_all(k);
        settle(k);
    } else {
        wake_all(k);
    }
    return 0;
}
