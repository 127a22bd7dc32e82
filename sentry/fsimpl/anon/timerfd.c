/* timerfd files (see timerfd.h). */
#include "sentry/fsimpl/anon/timerfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"
#include "sentry/kernel/waitq.h"

#define TIMERFD_NAME "[timerfd]"
#define NSEC_PER_SEC 1000000000LL
/* Times beyond this (about 146 years) are clamped, as timer.c does. */
#define TFD_NS_MAX (INT64_MAX / 4)

struct timerfd {
    pthread_mutex_t lock;
    struct waitq wq;
    int clock;         /* the application's clock id */
    clockid_t hclock;  /* the host clock that reads it */
    int settime_flags; /* as set (fdinfo) */
    bool armed;
    int64_t expires;  /* next expiration, CLOCK_MONOTONIC ns (armed) */
    int64_t interval; /* ns; 0: one-shot */
    uint64_t ticks;   /* expirations not read yet */
    struct ktimer *timer;
};

static const struct file_ops g_timerfd_ops;

bool timerfd_is_file(const struct file *f)
{
    return f && f->ops == &g_timerfd_ops;
}

static int64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* A time in ns, at most max. */
static int64_t ts_ns(const struct timespec *ts, int64_t max)
{
    if (ts->tv_sec >= max / NSEC_PER_SEC)
        return max;
    return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
    return (struct timespec){ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
}

static bool is_alarm(int clock)
{
    return clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM;
}

/* Counts the expirations up to now (lock held): a periodic timer moves
 * past now, a one-shot one is disarmed. */
static void update(struct timerfd *tf, int64_t now)
{
    if (!tf->armed || now < tf->expires)
        return;
    if (tf->interval > 0) {
        uint64_t n = 1 + (uint64_t)(now - tf->expires) / (uint64_t)tf->interval;
        tf->ticks += n;
        tf->expires += (int64_t)n * tf->interval;
    } else {
        tf->ticks++;
        tf->armed = false;
    }
}

/* Arms the wake-up for the next expiration (lock held). */
static void arm_wakeup(struct timerfd *tf)
{
    int64_t e = tf->armed ? tf->expires : 0;
    if (tf->armed && e <= 0)
        e = 1; /* long past: at once */
    timer_cb_arm(tf->timer, e);
}

/* The timer thread (timer lock held): wakes pollers and readers. */
static void tfd_fire(void *arg)
{
    struct timerfd *tf = arg;
    waitq_wake(&tf->wq, POLLIN, 0);
}

static ssize_t tfd_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct timerfd *tf = f->priv;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    struct task *t = task_current();
    ssize_t ret;
    uint64_t v = 0;
    pthread_mutex_lock(&tf->lock);
    for (;;) {
        update(tf, clock_ns(CLOCK_MONOTONIC));
        if (tf->ticks) {
            v = tf->ticks;
            tf->ticks = 0;
            if (tf->armed)
                arm_wakeup(tf);
            ret = sizeof(v);
            break;
        }
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            break;
        }
        /* Wait for the wake, with the expiration as a deadline too. */
        struct timespec dl, *dlp = NULL;
        if (tf->armed) {
            dl = ns_ts(tf->expires > 0 ? tf->expires : 0);
            dlp = &dl;
        }
        struct waiter w = {.t = t, .events = POLLIN};
        waitq_add(&tf->wq, &w);
        pthread_mutex_unlock(&tf->lock);
        int r = task_block(t, dlp);
        waitq_remove(&tf->wq, &w);
        pthread_mutex_lock(&tf->lock);
        if (r == -EINTR) {
            update(tf, clock_ns(CLOCK_MONOTONIC));
            if (!tf->ticks) {
                ret = -ERESTARTSYS;
                break;
            }
        }
    }
    pthread_mutex_unlock(&tf->lock);
    if (ret > 0)
        memcpy(buf, &v, sizeof(v));
    return ret;
}

static uint32_t tfd_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct timerfd *tf = f->priv;
    vfs_poll_wait(pt, &tf->wq);
    pthread_mutex_lock(&tf->lock);
    update(tf, clock_ns(CLOCK_MONOTONIC));
    bool ready = tf->ticks != 0;
    pthread_mutex_unlock(&tf->lock);
    return ready ? POLLIN : 0; /* Linux: no POLLRDNORM */
}

/* The setting as timerfd_gettime reports it (lock held). */
static void current_setting(struct timerfd *tf, int64_t now, struct itimerspec *out)
{
    update(tf, now);
    out->it_value = ns_ts(tf->armed ? tf->expires - now : 0);
    out->it_interval = ns_ts(tf->interval);
}

static void tfd_show_fdinfo(struct file *f, FILE *out)
{
    struct timerfd *tf = f->priv;
    struct itimerspec cur;
    pthread_mutex_lock(&tf->lock);
    current_setting(tf, clock_ns(CLOCK_MONOTONIC), &cur);
    unsigned long long ticks = tf->ticks;
    int flags = tf->settime_flags;
    pthread_mutex_unlock(&tf->lock);
    fprintf(out,
            "clockid: %d\nticks: %llu\nsettime flags: 0%o\nit_value: (%llu, %llu)\n"
            "it_interval: (%llu, %llu)\n",
            tf->clock, ticks, (unsigned)flags, (unsigned long long)cur.it_value.tv_sec,
            (unsigned long long)cur.it_value.tv_nsec, (unsigned long long)cur.it_interval.tv_sec,
            (unsigned long long)cur.it_interval.tv_nsec);
}

static void tfd_release(struct file *f)
{
    struct timerfd *tf = f->priv;
    if (!tf)
        return;
    timer_cb_delete(tf->timer); /* the callback is not running after this */
    pthread_mutex_destroy(&tf->lock);
    free(tf);
    f->priv = NULL;
}

static const struct file_ops g_timerfd_ops = {
    .read = tfd_read,
    .poll = tfd_poll,
    .show_fdinfo = tfd_show_fdinfo,
    .release = tfd_release,
    .stream = true,
    .sees_empty_io = true,
};

static bool can_wake_alarm(struct task *t)
{
    return t && creds_capable(&t->creds, CREDS_CAP_WAKE_ALARM);
}

int timerfd_create_file(struct task *t, int clock, int flags, struct file **out)
{
    clockid_t hc;
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
        hc = clock;
        break;
    case CLOCK_REALTIME_ALARM:
        hc = CLOCK_REALTIME;
        break;
    case CLOCK_BOOTTIME_ALARM:
        hc = CLOCK_BOOTTIME;
        break;
    default:
        return -EINVAL;
    }
    if (is_alarm(clock) && !can_wake_alarm(t))
        return -EPERM;
    struct timerfd *tf = calloc(1, sizeof(*tf));
    if (!tf)
        return -ENOMEM;
    tf->timer = timer_cb_create(tfd_fire, tf);
    if (!tf->timer) {
        free(tf);
        return -ENOMEM;
    }
    pthread_mutex_init(&tf->lock, NULL);
    waitq_init(&tf->wq);
    tf->clock = clock;
    tf->hclock = hc;
    int r = anon_file_new(TIMERFD_NAME, &g_timerfd_ops, tf, O_RDWR | (flags & TFD_NONBLOCK), out);
    if (r < 0) {
        timer_cb_delete(tf->timer);
        pthread_mutex_destroy(&tf->lock);
        free(tf);
    }
    return r;
}

int timerfd_settime_file(struct task *t, struct file *f, int flags, const struct itimerspec *value,
                         struct itimerspec *old)
{
    struct timerfd *tf = f->priv;
    if (is_alarm(tf->clock) && !can_wake_alarm(t))
        return -EPERM;
    /* An absolute value may be a CLOCK_REALTIME date: allow more, then
     * clamp what is left of it. */
    int64_t v = ts_ns(&value->it_value, (flags & TFD_TIMER_ABSTIME) ? INT64_MAX / 2 : TFD_NS_MAX);
    int64_t iv = ts_ns(&value->it_interval, TFD_NS_MAX);
    /* An absolute time is read on the timer's own clock, then moved to
     * CLOCK_MONOTONIC. */
    int64_t now_c = (flags & TFD_TIMER_ABSTIME) ? clock_ns(tf->hclock) : 0;
    pthread_mutex_lock(&tf->lock);
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (old)
        current_setting(tf, now, old);
    tf->ticks = 0;
    tf->interval = iv;
    tf->settime_flags = flags & (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
    tf->armed = v != 0;
    if (tf->armed) {
        if (flags & TFD_TIMER_ABSTIME) {
            /* In the past: expired (missed periods count). */
            int64_t delta = v - now_c;
            tf->expires = now + (delta > TFD_NS_MAX ? TFD_NS_MAX : delta);
        } else
            tf->expires = now + v;
    }
    arm_wakeup(tf);
    pthread_mutex_unlock(&tf->lock);
    return 0;
}

void timerfd_gettime_file(struct file *f, struct itimerspec *cur)
{
    struct timerfd *tf = f->priv;
    pthread_mutex_lock(&tf->lock);
    uint64_t before = tf->ticks;
    current_setting(tf, clock_ns(CLOCK_MONOTONIC), cur);
    /* A periodic timer found expired is re-armed (Linux restarts it). */
    if (tf->ticks != before && tf->armed)
        arm_wakeup(tf);
    pthread_mutex_unlock(&tf->lock);
}
