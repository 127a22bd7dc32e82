/* Wait queues and task blocking.
 *
 * A task that must wait registers a waiter on one or more wait queues,
 * re-checks its condition, and blocks in task_block(). Whoever changes the
 * condition calls waitq_wake(), which wakes the waiting tasks. Waking is a
 * write to the task's eventfd, so a wake that races with the check is never
 * lost, and the same primitive can also wait on host fds (stdio).
 *
 * Signals interrupt blocking: task_block() returns -EINTR when an unblocked
 * signal is pending; the caller returns -ERESTARTSYS (or -EINTR, or
 * -ERESTART_RESTARTBLOCK) as Linux does for that system call.
 *
 * Locking: waitq->lock is a leaf (taken alone, briefly), except that the
 * callback waiters (epoll) run under it and take their epoll's lock. */
#pragma once

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;

struct waiter {
    struct task *t;
    uint32_t events; /* wake only for these (POLL* bits); 0: any */
    uint64_t key;    /* owner's data (e.g. futex bitset) */
    bool woken;
    /* Non-NULL: a callback waiter (Linux's wait_queue_entry func, for
     * epoll): every wake calls func(w, mask) instead of waking t, under the
     * queue's lock, whatever events and max say (it filters for itself and
     * is not counted). It must not block, nor take a lock that is held
     * around a wake of this queue; it may unlink w (waitq_remove_locked). */
    void (*func)(struct waiter *w, uint32_t mask);
    struct waiter *prev, *next;
};

struct waitq {
    pthread_mutex_t lock;
    struct waiter *head;
};

void waitq_init(struct waitq *q);
/* w->t must be set; w->events 0 means any event. */
void waitq_add(struct waitq *q, struct waiter *w);
void waitq_remove(struct waitq *q, struct waiter *w);
/* The same with q->lock already held (a callback waiter removing itself). */
void waitq_remove_locked(struct waitq *q, struct waiter *w);
/* Wakes up to max task waiters (max <= 0: all) whose events intersect mask
 * (mask 0: all), and calls every callback waiter. Returns the number of
 * tasks woken. */
int waitq_wake(struct waitq *q, uint32_t mask, int max);
bool waitq_empty(struct waitq *q);

/* Blocks the calling task t until task_wake(t), the absolute CLOCK_MONOTONIC
 * deadline (NULL: none) or an interrupting signal. Returns 0 (woken: the
 * caller re-checks its condition), -ETIMEDOUT or -EINTR. */
int task_block(struct task *t, const struct timespec *deadline);
/* Same, also returning 1 when one of the host fds becomes ready (revents set). */
int task_block_host(struct task *t, struct pollfd *fds, int n, const struct timespec *deadline);
/* Wakes t from task_block (or makes its next task_block return at once). */
void task_wake(struct task *t);

/* Deadline helpers (CLOCK_MONOTONIC). */
void deadline_after(struct timespec *d, const struct timespec *rel);
bool deadline_passed(const struct timespec *d);
