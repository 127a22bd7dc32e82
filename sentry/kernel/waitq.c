/* Wait queues and task blocking. Lock: waitq->lock is a leaf. */
#include "sentry/kernel/waitq.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"

void waitq_init(struct waitq *q)
{
    pthread_mutex_init(&q->lock, NULL);
    q->head = NULL;
}

void waitq_add(struct waitq *q, struct waiter *w)
{
    pthread_mutex_lock(&q->lock);
    w->woken = false;
    w->prev = NULL;
    w->next = q->head;
    if (q->head)
        q->head->prev = w;
    q->head = w;
    pthread_mutex_unlock(&q->lock);
}

void waitq_remove(struct waitq *q, struct waiter *w)
{
    pthread_mutex_lock(&q->lock);
    waitq_remove_locked(q, w);
    pthread_mutex_unlock(&q->lock);
}

void waitq_remove_locked(struct waitq *q, struct waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (q->head == w)
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

int waitq_wake(struct waitq *q, uint32_t mask, int max)
{
    int n = 0;
    pthread_mutex_lock(&q->lock);
    /* Oldest waiters are at the tail: wake from there for FIFO fairness. */
    struct waiter *w = q->head;
    while (w && w->next)
        w = w->next;
    for (struct waiter *prev; w; w = prev) {
        prev = w->prev; /* a callback may unlink w */
        if (w->func) {
            w->func(w, mask);
            continue;
        }
        if (max > 0 && n >= max)
            continue;
        if (mask && w->events && !(w->events & mask))
            continue;
        if (w->woken && max > 0)
            continue;
        w->woken = true;
        task_wake(w->t);
        n++;
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

bool waitq_empty(struct waitq *q)
{
    pthread_mutex_lock(&q->lock);
    bool e = q->head == NULL;
    pthread_mutex_unlock(&q->lock);
    return e;
}

void task_wake(struct task *t)
{
    uint64_t one = 1;
    ssize_t r = write(t->wake_fd, &one, sizeof(one));
    (void)r; /* EAGAIN: the counter is already non-zero, the task will wake */
}

void deadline_after(struct timespec *d, const struct timespec *rel)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += rel->tv_sec;
    d->tv_nsec += rel->tv_nsec;
    if (d->tv_nsec >= 1000000000L) {
        d->tv_sec++;
        d->tv_nsec -= 1000000000L;
    }
}

bool deadline_passed(const struct timespec *d)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

static int timeout_ms(const struct timespec *d)
{
    if (!d)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(d->tv_sec - now.tv_sec) * 1000 + (d->tv_nsec - now.tv_nsec) / 1000000;
    if (ms < 0)
        return 0;
    /* Round up so we never wake just before the deadline. */
    return ms > INT32_MAX - 1 ? INT32_MAX : (int)ms + 1;
}

int task_block_host(struct task *t, struct pollfd *fds, int n, const struct timespec *deadline)
{
    struct pollfd pf[1 + 64];
    if (n > 64)
        n = 64;
    pf[0].fd = t->wake_fd;
    pf[0].events = POLLIN;
    for (int i = 0; i < n; i++) {
        pf[1 + i] = fds[i];
        pf[1 + i].revents = 0;
    }
    for (;;) {
        if (task_signal_pending(t))
            return -EINTR;
        if (deadline && deadline_passed(deadline))
            return -ETIMEDOUT;
        __atomic_store_n(&t->blocked, true, __ATOMIC_RELEASE);
        int acct = task_acct(t, TASK_ACCT_BLOCKED); /* waiting is no CPU time */
        int r = poll(pf, (nfds_t)(1 + n), timeout_ms(deadline));
        task_acct(t, acct);
        __atomic_store_n(&t->blocked, false, __ATOMIC_RELEASE);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            continue; /* re-check the deadline */
        bool host_ready = false;
        for (int i = 0; i < n; i++) {
            fds[i].revents = pf[1 + i].revents;
            if (fds[i].revents)
                host_ready = true;
        }
        if (pf[0].revents & POLLIN) {
            uint64_t v;
            ssize_t rr = read(t->wake_fd, &v, sizeof(v));
            (void)rr;
            if (task_signal_pending(t))
                return -EINTR;
            return host_ready ? 1 : 0;
        }
        if (host_ready)
            return 1;
    }
}

int task_block(struct task *t, const struct timespec *deadline)
{
    return task_block_host(t, NULL, 0, deadline);
}
