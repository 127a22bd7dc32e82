/* Interval timers and POSIX timers, fired by one sentry thread (timer.h).
 *
 * State: every timer of every group is on g_timers.all; armed timers that
 * send a signal are also on g_timers.armed, sorted by `wake` (the time the
 * thread looks at them next: their expiration, or later while their last
 * signal is still queued). SIGEV_NONE timers are never on the armed list:
 * their state is computed from the clock when asked.
 *
 * Lock order: kernel.lock -> g_timers.lock -> thread_group.siglock.
 * g_timers.lock protects every field of every timer and both lists. The
 * thread takes kernel.lock before g_timers.lock when something expired: it
 * keeps the groups and tasks it signals alive (they are freed under
 * kernel.lock) and lets it walk a group's threads.
 *
 * The queued-signal bookkeeping (find_queued, drop_queued) reads and edits
 * the pending queues of kernel.h under the group's siglock, as signal.c
 * does: a timer's signal is recognised by si_code SI_TIMER, its signal
 * number and si_timerid. */
#include "sentry/kernel/timer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>

#include "lib/log.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/kernel.h"

#define NSEC_PER_SEC 1000000000LL
/* Times beyond this (about 146 years) are clamped: sums stay in int64. */
#define TIMER_NS_MAX (INT64_MAX / 4)

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* Interval timers use ids -1 - which; POSIX timers ids >= 0. */
#define ITIMER_ID(which) (-1 - (which))

struct ktimer {
    struct thread_group *tg; /* owner (not referenced: see timer_tg_exit); NULL: a callback timer */
    int tgid;                /* owner's tgid, to recognise a reused address */
    int id;
    int clock;  /* POSIX: the application's clock id */
    int notify; /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
    int signo;
    union sigval value;
    int tid;          /* SIGEV_THREAD_ID target */
    int64_t expires;  /* next expiration, CLOCK_MONOTONIC ns; 0: disarmed */
    int64_t interval; /* ns; 0: one-shot */
    int64_t wake;     /* when the thread looks next (on the armed list) */
    bool on_armed;
    bool queued;                  /* its signal was queued and not yet seen gone */
    int overrun;                  /* si_overrun of the queued signal */
    int overrun_last;             /* of the last signal that left the queue */
    struct ktimer *prev, *next;   /* g_timers.all */
    struct ktimer *aprev, *anext; /* g_timers.armed */
    void (*cb)(void *arg);        /* a callback timer's function (tg NULL) */
    void *cb_arg;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC: the armed list's head changed */
    bool thread_started;
    struct ktimer *all;
    struct ktimer *armed;
} g_timers = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t g_timers_once = PTHREAD_ONCE_INIT;

static void timers_init(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g_timers.cond, &ca);
    pthread_condattr_destroy(&ca);
}

/* ---- time helpers -------------------------------------------------------- */

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t mono_now(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static int64_t ts_to_ns(const struct timespec *ts)
{
    if (ts->tv_sec >= TIMER_NS_MAX / NSEC_PER_SEC)
        return TIMER_NS_MAX;
    return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_to_ts(int64_t ns)
{
    struct timespec ts = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
    return ts;
}

/* ---- the lists (g_timers.lock held) ------------------------------------- */

static void armed_remove(struct ktimer *k)
{
    if (!k->on_armed)
        return;
    if (k->aprev)
        k->aprev->anext = k->anext;
    else
        g_timers.armed = k->anext;
    if (k->anext)
        k->anext->aprev = k->aprev;
    k->aprev = k->anext = NULL;
    k->on_armed = false;
}

static void armed_insert(struct ktimer *k)
{
    struct ktimer *prev = NULL, *cur = g_timers.armed;
    while (cur && cur->wake <= k->wake) {
        prev = cur;
        cur = cur->anext;
    }
    k->aprev = prev;
    k->anext = cur;
    if (prev)
        prev->anext = k;
    else
        g_timers.armed = k;
    if (cur)
        cur->aprev = k;
    k->on_armed = true;
    if (!prev)
        pthread_cond_signal(&g_timers.cond); /* a new earliest wake */
}

static void timer_free(struct ktimer *k)
{
    armed_remove(k);
    if (k->prev)
        k->prev->next = k->next;
    else
        g_timers.all = k->next;
    if (k->next)
        k->next->prev = k->prev;
    free(k);
}

static struct ktimer *timer_alloc(struct thread_group *tg, int id)
{
    struct ktimer *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->tg = tg;
    k->tgid = tg->tgid;
    k->id = id;
    k->next = g_timers.all;
    if (g_timers.all)
        g_timers.all->prev = k;
    g_timers.all = k;
    return k;
}

static bool owned_by(const struct ktimer *k, const struct thread_group *tg)
{
    return k->tg == tg && k->tgid == tg->tgid;
}

static struct ktimer *timer_find(struct thread_group *tg, int id)
{
    for (struct ktimer *k = g_timers.all; k; k = k->next)
        if (k->id == id && owned_by(k, tg))
            return k;
    return NULL;
}

/* ---- the queued signal of a POSIX timer --------------------------------- */

static bool is_timer_sig(const struct ktimer *k, const siginfo_t *si)
{
    return si->si_signo == k->signo && si->si_code == SI_TIMER && si->si_timerid == k->id;
}

static struct sigq *find_in(struct sigpending *p, const struct ktimer *k)
{
    if (!(p->set & SIGBIT(k->signo)))
        return NULL;
    for (struct sigq *q = p->head; q; q = q->next)
        if (is_timer_sig(k, &q->info))
            return q;
    return NULL;
}

/* The timer's signal if still queued (kernel.lock and siglock held). */
static struct sigq *find_queued(const struct ktimer *k)
{
    struct sigq *q = find_in(&k->tg->shared_pending, k);
    for (struct task *t = k->tg->tasks; t && !q; t = t->tg_next)
        q = find_in(&t->pending, k);
    return q;
}

static bool drop_in(struct sigpending *p, const struct ktimer *k)
{
    if (!(p->set & SIGBIT(k->signo)))
        return false;
    bool dropped = false, others = false;
    for (struct sigq **pp = &p->head; *pp;) {
        struct sigq *q = *pp;
        if (!dropped && is_timer_sig(k, &q->info)) {
            *pp = q->next;
            free(q);
            dropped = true;
            continue;
        }
        if (q->info.si_signo == k->signo)
            others = true;
        pp = &q->next;
    }
    if (dropped && !others)
        p->set &= ~SIGBIT(k->signo);
    return dropped;
}

/* Removes the timer's queued signal, if any (kernel.lock and the timer lock
 * held; takes siglock). Linux drops the signal of a timer that is deleted
 * or set again. */
static void drop_queued(struct ktimer *k)
{
    if (k->notify == SIGEV_NONE)
        return;
    struct thread_group *tg = k->tg;
    pthread_mutex_lock(&tg->siglock);
    if (!drop_in(&tg->shared_pending, k))
        for (struct task *t = tg->tasks; t; t = t->tg_next)
            if (drop_in(&t->pending, k))
                break;
    pthread_mutex_unlock(&tg->siglock);
    k->queued = false;
    k->overrun = 0;
}

/* Notices that the queued signal left the queue (siglock held). */
static void sync_queued(struct ktimer *k)
{
    if (k->queued && !find_queued(k)) {
        k->overrun_last = k->overrun;
        k->overrun = 0;
        k->queued = false;
    }
}

static int add_overrun(int cur, int64_t more)
{
    int64_t v = (int64_t)cur + more;
    return v > INT_MAX ? INT_MAX : (int)v;
}

/* ---- firing (kernel.lock and the timer lock held) ----------------------- */

/* Returns true when the signal was already pending (coalesced). */
static bool fire_itimer(struct ktimer *k)
{
    static const int sigs[] = {SIGALRM, SIGVTALRM, SIGPROF};
    int sig = sigs[-1 - k->id];
    struct thread_group *tg = k->tg;
    pthread_mutex_lock(&tg->siglock);
    bool already = tg->shared_pending.set & SIGBIT(sig);
    pthread_mutex_unlock(&tg->siglock);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = SI_KERNEL;
    signal_send_group(tg, sig, &si);
    return already;
}

/* Sends (or counts as an overrun) one expiration worth `periods` periods.
 * Returns true when no fresh signal is sitting in the queue afterwards
 * (it was coalesced, ignored or had no target): the thread then slows down
 * on this timer. */
static bool fire_posix(struct ktimer *k, int64_t periods)
{
    struct thread_group *tg = k->tg;
    struct task *target = NULL;
    if (k->notify == SIGEV_THREAD_ID) {
        target = kernel_find_task_locked(k->tid);
        if (!target || target->tg != tg)
            return true; /* the thread is gone: the signal goes nowhere */
    }
    pthread_mutex_lock(&tg->siglock);
    sync_queued(k);
    if (k->queued) {
        struct sigq *q = find_queued(k);
        q->info.si_overrun = add_overrun(q->info.si_overrun, periods);
        k->overrun = q->info.si_overrun;
        pthread_mutex_unlock(&tg->siglock);
        return true;
    }
    pthread_mutex_unlock(&tg->siglock);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = k->signo;
    si.si_code = SI_TIMER;
    si.si_timerid = k->id;
    si.si_overrun = add_overrun(0, periods - 1);
    si.si_value = k->value;
    if (target)
        signal_send_task(target, k->signo, &si);
    else
        signal_send_group(tg, k->signo, &si);
    pthread_mutex_lock(&tg->siglock);
    k->queued = find_queued(k) != NULL;
    k->overrun = k->queued ? si.si_overrun : 0;
    pthread_mutex_unlock(&tg->siglock);
    return !k->queued;
}

static void fire(struct ktimer *k, int64_t now)
{
    armed_remove(k);
    if (k->cb) {
        k->expires = 0;
        k->cb(k->cb_arg);
        return;
    }
    struct thread_group *tg = k->tg;
    if (kernel_find_tg_locked(k->tgid) != tg || tg->state != TG_ALIVE) {
        /* The group died without timer_tg_exit (or is dying). */
        timer_free(k);
        return;
    }
    int64_t periods = 1;
    if (k->interval > 0) {
        if (now > k->expires)
            periods += (now - k->expires) / k->interval;
        k->expires += periods * k->interval;
    } else {
        k->expires = 0;
    }
    bool slow = k->id < 0 ? fire_itimer(k) : fire_posix(k, periods);
    if (k->expires) {
        k->wake = k->expires;
        if (slow && k->wake < now + TIMER_MIN_RECHECK_NS)
            k->wake = now + TIMER_MIN_RECHECK_NS;
        armed_insert(k);
    }
}

static void *timer_thread(void *arg)
{
    (void)arg;
    /* Named from inside: naming another thread opens /proc, which the
     * sentry's seccomp filter forbids. */
    prctl(PR_SET_NAME, "timers");
    /* Host signals are never for this thread (the signal forwarder takes
     * them); the synchronous ones stay unblocked for the crash handler. */
    sigset_t all;
    sigfillset(&all);
    static const int sync_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof(sync_sigs) / sizeof(sync_sigs[0]); i++)
        sigdelset(&all, sync_sigs[i]);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&g_timers.lock);
    for (;;) {
        struct ktimer *head = g_timers.armed;
        if (!head) {
            pthread_cond_wait(&g_timers.cond, &g_timers.lock);
            continue;
        }
        int64_t now = mono_now();
        if (head->wake > now) {
            struct timespec until = ns_to_ts(head->wake);
            pthread_cond_timedwait(&g_timers.cond, &g_timers.lock, &until);
            continue;
        }
        /* Something expired: retake the locks in order. */
        pthread_mutex_unlock(&g_timers.lock);
        pthread_mutex_lock(&g_kernel->lock);
        pthread_mutex_lock(&g_timers.lock);
        now = mono_now();
        while (g_timers.armed && g_timers.armed->wake <= now)
            fire(g_timers.armed, now);
        pthread_mutex_unlock(&g_kernel->lock);
    }
    return NULL;
}

/* Starts the thread on the first arming (timer lock held). */
static int ensure_thread(void)
{
    if (g_timers.thread_started)
        return 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_t th;
    int r = pthread_create(&th, &attr, timer_thread, NULL);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        log_error("timers: starting the timer thread: %s", strerror(r));
        return -EAGAIN;
    }
    g_timers.thread_started = true;
    return 0;
}

/* Time left until k's next expiration (timer lock held): 0 if disarmed.
 * Periodic timers past their expiration report the next one. */
static int64_t time_left(struct ktimer *k, int64_t now)
{
    if (!k->expires)
        return 0;
    if (k->expires > now)
        return k->expires - now;
    if (k->interval > 0) {
        int64_t periods = 1 + (now - k->expires) / k->interval;
        if (k->notify == SIGEV_NONE) {
            k->expires += periods * k->interval; /* nothing else moves it */
            return k->expires - now;
        }
        return k->expires + periods * k->interval - now;
    }
    if (k->notify == SIGEV_NONE) {
        k->expires = 0; /* an expired one-shot SIGEV_NONE timer reads 0 */
        return 0;
    }
    return 1; /* expired, its signal not sent yet: not 0 (Linux) */
}

/* (Re)arms k to expire at expires (CLOCK_MONOTONIC ns, 0: disarm) (timer
 * lock held). */
static int arm(struct ktimer *k, int64_t expires, int64_t interval)
{
    armed_remove(k);
    k->expires = expires;
    k->interval = interval;
    if (!expires || k->notify == SIGEV_NONE)
        return 0;
    int r = ensure_thread();
    if (r < 0) {
        k->expires = 0;
        return r;
    }
    k->wake = expires;
    armed_insert(k);
    return 0;
}

/* ---- interval timers ----------------------------------------------------- */

int timer_itimer_set(struct task *t, int which, int64_t value_ns, int64_t interval_ns,
                     int64_t *old_value_ns, int64_t *old_interval_ns)
{
    if (which < ITIMER_REAL || which > ITIMER_PROF)
        return -EINVAL;
    pthread_once(&g_timers_once, timers_init);
    if (value_ns > TIMER_NS_MAX)
        value_ns = TIMER_NS_MAX;
    if (interval_ns > TIMER_NS_MAX)
        interval_ns = TIMER_NS_MAX;
    pthread_mutex_lock(&g_timers.lock);
    int64_t now = mono_now();
    struct ktimer *k = timer_find(t->tg, ITIMER_ID(which));
    if (old_value_ns || old_interval_ns) {
        int64_t left = k ? time_left(k, now) : 0;
        if (k && k->expires && left < 1000)
            left = 1000; /* an armed itimer never reads 0 (Linux: 1 us) */
        if (old_value_ns)
            *old_value_ns = left;
        if (old_interval_ns)
            *old_interval_ns = k ? k->interval : 0;
    }
    int r = 0;
    if (!k && (value_ns || (which != ITIMER_REAL && interval_ns))) {
        k = timer_alloc(t->tg, ITIMER_ID(which));
        if (!k)
            r = -ENOMEM;
        else
            k->notify = SIGEV_SIGNAL;
    }
    if (k && r == 0) {
        /* Disarming ITIMER_REAL forgets its interval; the CPU-time ones keep
         * it (Linux). */
        if (!value_ns && which == ITIMER_REAL)
            interval_ns = 0;
        r = arm(k, value_ns ? now + value_ns : 0, interval_ns);
    }
    pthread_mutex_unlock(&g_timers.lock);
    return r;
}

int timer_itimer_get(struct task *t, int which, int64_t *value_ns, int64_t *interval_ns)
{
    if (which < ITIMER_REAL || which > ITIMER_PROF)
        return -EINVAL;
    pthread_mutex_lock(&g_timers.lock);
    struct ktimer *k = timer_find(t->tg, ITIMER_ID(which));
    int64_t left = k ? time_left(k, mono_now()) : 0;
    if (k && k->expires && left < 1000)
        left = 1000;
    *value_ns = left;
    *interval_ns = k ? k->interval : 0;
    pthread_mutex_unlock(&g_timers.lock);
    return 0;
}

/* ---- POSIX timers -------------------------------------------------------- */

/* The host clock that reads the application's clock id, for converting
 * absolute expirations; -EINVAL / -EOPNOTSUPP for clocks without timers. */
static int timer_host_clock(struct task *t, int clock, clockid_t *out)
{
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
        *out = clock;
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        /* As clock_gettime reads them (sys_time.c); the timer runs on wall
         * time (PARTIAL). */
        *out = CLOCK_THREAD_CPUTIME_ID;
        return 0;
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
        if (!creds_capable(&t->creds, CREDS_CAP_WAKE_ALARM))
            return -EPERM;
        *out = clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : CLOCK_BOOTTIME;
        return 0;
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
        return -EOPNOTSUPP; /* clocks without timers */
    default:
        return -EINVAL;
    }
}

int timer_posix_create(struct task *t, int clock, const struct timer_sigevent *ev)
{
    clockid_t hc;
    int r = timer_host_clock(t, clock, &hc);
    if (r < 0)
        return r;
    struct timer_sigevent e = {.notify = SIGEV_SIGNAL, .signo = SIGALRM};
    if (ev) {
        e = *ev;
        switch (e.notify) {
        case SIGEV_SIGNAL:
        case SIGEV_THREAD: /* glibc's own business: to the kernel a signal */
        case SIGEV_THREAD_ID:
            if (e.signo <= 0 || e.signo > KERNEL_NSIG)
                return -EINVAL;
            break;
        case SIGEV_NONE:
            break;
        default:
            return -EINVAL;
        }
        if (e.notify == SIGEV_THREAD)
            e.notify = SIGEV_SIGNAL;
    }
    pthread_once(&g_timers_once, timers_init);
    struct kernel *kn = g_kernel;
    pthread_mutex_lock(&kn->lock);
    if (e.notify == SIGEV_THREAD_ID) {
        struct task *target = kernel_find_task_locked(e.tid);
        if (!target || target->tg != t->tg) {
            pthread_mutex_unlock(&kn->lock);
            return -EINVAL;
        }
    }
    pthread_mutex_lock(&g_timers.lock);
    /* The lowest free id. */
    int n = 0;
    for (struct ktimer *k = g_timers.all; k; k = k->next)
        if (k->id >= 0 && owned_by(k, t->tg))
            n++;
    int id = -1;
    if (n < TIMER_MAX_PER_GROUP) {
        for (id = 0; timer_find(t->tg, id); id++) {
        }
    }
    struct ktimer *k = id >= 0 ? timer_alloc(t->tg, id) : NULL;
    if (k) {
        k->clock = clock;
        k->notify = e.notify;
        k->signo = e.notify == SIGEV_NONE ? 0 : e.signo;
        k->value = e.value;
        if (!ev)
            k->value.sival_int = id;
        k->tid = e.tid;
        r = id;
    } else {
        r = id < 0 ? -EAGAIN : -ENOMEM;
    }
    pthread_mutex_unlock(&g_timers.lock);
    pthread_mutex_unlock(&kn->lock);
    return r;
}

static void fill_spec(struct ktimer *k, int64_t now, struct itimerspec *out)
{
    out->it_value = ns_to_ts(time_left(k, now));
    out->it_interval = ns_to_ts(k->interval);
}

int timer_posix_settime(struct task *t, int id, int flags, const struct itimerspec *value,
                        struct itimerspec *old)
{
    clockid_t hc = CLOCK_MONOTONIC;
    int64_t now_c = 0;
    if (flags & TIMER_ABSTIME) {
        /* Read the timer's clock now, on this (the task's) thread: the CPU
         * clocks are per thread. The clock id is re-checked below. */
        pthread_mutex_lock(&g_timers.lock);
        struct ktimer *k = id >= 0 ? timer_find(t->tg, id) : NULL;
        int clock = k ? k->clock : CLOCK_MONOTONIC;
        pthread_mutex_unlock(&g_timers.lock);
        if (timer_host_clock(t, clock, &hc) < 0)
            hc = CLOCK_MONOTONIC;
        now_c = clock_ns(hc);
    }
    struct kernel *kn = g_kernel;
    pthread_mutex_lock(&kn->lock);
    pthread_mutex_lock(&g_timers.lock);
    int r = 0;
    struct ktimer *k = id >= 0 ? timer_find(t->tg, id) : NULL;
    if (!k) {
        r = -EINVAL;
        goto out;
    }
    int64_t now = mono_now();
    if (old)
        fill_spec(k, now, old);
    drop_queued(k);
    k->overrun_last = 0;
    int64_t v = ts_to_ns(&value->it_value), iv = ts_to_ns(&value->it_interval);
    int64_t expires = 0;
    if (v && (flags & TIMER_ABSTIME)) {
        expires = now + (v - now_c);
        if (expires <= now)
            expires = now; /* already past: fires at once */
        if (expires > TIMER_NS_MAX)
            expires = TIMER_NS_MAX;
    } else if (v) {
        expires = now + v;
    }
    r = arm(k, expires, iv);
out:
    pthread_mutex_unlock(&g_timers.lock);
    pthread_mutex_unlock(&kn->lock);
    return r;
}

int timer_posix_gettime(struct task *t, int id, struct itimerspec *cur)
{
    pthread_mutex_lock(&g_timers.lock);
    struct ktimer *k = id >= 0 ? timer_find(t->tg, id) : NULL;
    if (k)
        fill_spec(k, mono_now(), cur);
    pthread_mutex_unlock(&g_timers.lock);
    return k ? 0 : -EINVAL;
}

int timer_posix_getoverrun(struct task *t, int id)
{
    struct kernel *kn = g_kernel;
    pthread_mutex_lock(&kn->lock);
    pthread_mutex_lock(&g_timers.lock);
    struct ktimer *k = id >= 0 ? timer_find(t->tg, id) : NULL;
    int r = -EINVAL;
    if (k) {
        if (k->notify != SIGEV_NONE) {
            pthread_mutex_lock(&k->tg->siglock);
            sync_queued(k);
            pthread_mutex_unlock(&k->tg->siglock);
        }
        r = k->overrun_last;
    }
    pthread_mutex_unlock(&g_timers.lock);
    pthread_mutex_unlock(&kn->lock);
    return r;
}

int timer_posix_delete(struct task *t, int id)
{
    struct kernel *kn = g_kernel;
    pthread_mutex_lock(&kn->lock);
    pthread_mutex_lock(&g_timers.lock);
    struct ktimer *k = id >= 0 ? timer_find(t->tg, id) : NULL;
    if (k) {
        drop_queued(k);
        timer_free(k);
    }
    pthread_mutex_unlock(&g_timers.lock);
    pthread_mutex_unlock(&kn->lock);
    return k ? 0 : -EINVAL;
}

/* ---- callback timers ------------------------------------------------------- */

struct ktimer *timer_cb_create(void (*fn)(void *arg), void *arg)
{
    pthread_once(&g_timers_once, timers_init);
    struct ktimer *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->id = INT_MIN;
    k->notify = SIGEV_SIGNAL;
    k->cb = fn;
    k->cb_arg = arg;
    pthread_mutex_lock(&g_timers.lock);
    k->next = g_timers.all;
    if (g_timers.all)
        g_timers.all->prev = k;
    g_timers.all = k;
    pthread_mutex_unlock(&g_timers.lock);
    return k;
}

int timer_cb_arm(struct ktimer *k, int64_t expires)
{
    pthread_mutex_lock(&g_timers.lock);
    int r = arm(k, expires, 0);
    pthread_mutex_unlock(&g_timers.lock);
    return r;
}

void timer_cb_delete(struct ktimer *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&g_timers.lock);
    timer_free(k);
    pthread_mutex_unlock(&g_timers.lock);
}

/* ---- hooks ----------------------------------------------------------------- */

static void delete_group_timers(struct thread_group *tg, bool posix_only)
{
    pthread_mutex_lock(&g_timers.lock);
    for (struct ktimer *k = g_timers.all, *next; k; k = next) {
        next = k->next;
        if (owned_by(k, tg) && (!posix_only || k->id >= 0))
            timer_free(k);
    }
    pthread_mutex_unlock(&g_timers.lock);
}

void timer_tg_exit(struct thread_group *tg)
{
    delete_group_timers(tg, false);
}

void timer_tg_exec(struct thread_group *tg)
{
    delete_group_timers(tg, true);
}
