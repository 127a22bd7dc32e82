/* epoll: the eventpoll file (an anonymous-inode file, "[eventpoll]") and
 * its interest list, as Linux's fs/eventpoll.c.
 *
 * An item watches one (file, fd) pair. Adding it asks the file's poll op
 * for its readiness with a poll table that registers a callback waiter
 * (waitq.h: func) on each wait queue the file names; a wake of one of
 * those queues puts the item on the epoll's ready list and wakes the
 * epoll's waiters. epoll_wait then asks each ready item's file again (the
 * ready list only says "maybe"): level-triggered items go back on the list
 * after being reported, edge-triggered ones wait for the next wake,
 * one-shot ones are disabled until EPOLL_CTL_MOD. Files whose readiness is
 * a host fd's (stdio: vfs_poll_wait_host) get no wakes: their items are
 * asked on every epoll_wait, which also polls their host fds while it
 * waits (an edge-triggered one reports when a poll finds a condition that
 * the previous poll did not). The host's own epoll tells whether such a
 * file can be watched at all (EPERM, as Linux, for a regular file or
 * /dev/null on stdin).
 *
 * An item is removed by EPOLL_CTL_DEL, or when its file description is
 * released (file_put calls epoll_file_release: closing one of several fds
 * of a description removes nothing, as in Linux), or with the epoll file.
 * An epoll file can watch another: cycles and chains of more than
 * EPOLL_MAX_NESTS + 1 epoll files are ELOOP.
 *
 * Locks (docs/locking.md), in order:
 *   g_epoll.lock (global: every change of an interest list, the files'
 *   lists of items, the loop check)
 *     -> eventpoll.mtx (one epoll's items and their scans; an outer
 *        epoll's before an inner one's) -> the files' poll ops' own locks
 *        -> waitq.lock -> eventpoll.lock (the ready list: taken by the
 *        callbacks under the woken queue's lock) -> waitq.lock (the epoll's
 *        own queues, woken from the callback after eventpoll.lock is
 *        dropped; an inner epoll's before an outer one's).
 *   g_epoll.detach (leaf but for waitq.lock and what the callbacks take):
 *   a registration's queue pointer against epoll_waitq_free. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sentry/vfs/vfs.h"

struct task;
struct waitq;

/* The deepest chain of epoll files, in links (Linux's EP_MAX_NESTS). */
#define EPOLL_MAX_NESTS 4

/* The kernel's struct epoll_event (packed on x86-64). */
struct epoll_kevent {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

/* A new epoll file (O_RDWR); *out gets one reference. */
int epoll_create_file(struct file **out);
bool epoll_is_file(const struct file *f);

/* epoll_ctl on epf (any file: EINVAL if not an epoll) for target tf, open
 * as fd; ev is NULL for EPOLL_CTL_DEL. can_wakeup: the caller has
 * CAP_BLOCK_SUSPEND (EPOLLWAKEUP is dropped otherwise). Returns 0 or
 * -EPERM, -EINVAL, -EEXIST, -ENOENT, -ELOOP, -ENOMEM. */
int epoll_ctl_file(struct file *epf, int op, int fd, struct file *tf, const struct epoll_kevent *ev,
                   bool can_wakeup);

/* epoll_wait on epf (an epoll file): waits until at least one event is
 * ready, the absolute CLOCK_MONOTONIC deadline passes (NULL: none;
 * no_wait: look once) or a signal arrives. Returns the number of events
 * (at most maxevents, in *out: malloc'ed, the caller frees it; NULL for
 * 0), 0 on timeout, -EINTR or -ENOMEM. */
int epoll_wait_file(struct task *t, struct file *epf, int maxevents,
                    const struct timespec *deadline, bool no_wait, struct epoll_kevent **out);

/* file_put's hook: f's last reference is gone; removes the items that
 * watch it. Takes g_epoll.lock and the epolls' mtx when f has items. */
void epoll_file_release(struct file *f);

/* q is about to be freed while items may still be registered on it (a
 * thread group's sigqueue_wq, which signalfd names): unhooks them, as
 * Linux's POLLFREE. */
void epoll_waitq_free(struct waitq *q);
