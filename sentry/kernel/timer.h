/* Interval timers (setitimer, alarm) and POSIX timers (timer_create).
 *
 * One sentry thread, started on the first use, fires every timer: it keeps
 * the armed timers sorted by their next expiration and sleeps on a condition
 * variable (CLOCK_MONOTONIC) until the earliest one, so an idle sandbox with
 * armed timers costs no CPU between expirations. An expiration sends the
 * timer's signal with Linux's siginfo:
 *   - ITIMER_REAL / alarm: SIGALRM, ITIMER_VIRTUAL: SIGVTALRM, ITIMER_PROF:
 *     SIGPROF, to the thread group, si_code SI_KERNEL;
 *   - POSIX timers: sigev_signo to the group (SIGEV_SIGNAL) or one of its
 *     threads (SIGEV_THREAD_ID), si_code SI_TIMER, si_timerid, si_value,
 *     si_overrun; SIGEV_NONE timers only count (they never wake the thread).
 *
 * Overruns (POSIX timers): while the signal of a timer is still queued, a
 * later expiration is not queued again: it adds to the queued siginfo's
 * si_overrun instead. When the signal has left the queue (delivered, or
 * taken by sigwait or signalfd), its si_overrun becomes the value of
 * timer_getoverrun(), as Linux. While a timer's signal stays queued (blocked
 * or ignored), the thread checks that timer at most every TIMER_MIN_RECHECK_NS
 * and counts the expirations it missed, so a tiny interval cannot spin.
 *
 * Timers belong to a thread group: fork does not inherit them, execve
 * deletes the POSIX timers (interval timers and alarm survive), and the
 * group's death deletes them all. The kernel tells this module with
 * timer_tg_exec() and timer_tg_exit(). (Until those hooks are called, the
 * timer thread also checks that a group is still alive before firing its
 * timer, and drops the timers of dead groups.)
 *
 * Clocks: CLOCK_REALTIME timers are kept on CLOCK_MONOTONIC (an absolute
 * CLOCK_REALTIME expiration is converted when armed: a later change of the
 * host's clock is not followed). The CPU-time itimers and clocks
 * (ITIMER_VIRTUAL, ITIMER_PROF, CLOCK_*_CPUTIME_ID) run on wall time: the
 * sentry does not measure the application's CPU time (PARTIAL).
 *
 * Lock order: kernel.lock -> timer lock (timer.c's, global) ->
 * thread_group.siglock; a callback timer's function runs under the timer
 * lock (timerfd: -> waitq.lock). The timer lock is never held while taking
 * kernel.lock. */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <time.h>

struct task;
struct thread_group;

/* While a timer's previous signal is still queued, the timer is looked at no
 * more often than this. */
#define TIMER_MIN_RECHECK_NS 1000000LL

/* Most POSIX timers one thread group may have (timer_create: EAGAIN). */
#define TIMER_MAX_PER_GROUP 32768

/* ---- interval timers: ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF --------- */

/* Arms (value non-zero) or disarms the calling group's itimer `which`;
 * *old_value and *old_interval (if non-NULL) get the previous setting as
 * getitimer would report it. Times in ns. -EINVAL for a bad which. */
int timer_itimer_set(struct task *t, int which, int64_t value_ns, int64_t interval_ns,
                     int64_t *old_value_ns, int64_t *old_interval_ns);
/* Current setting: the time left (0: disarmed) and the interval. */
int timer_itimer_get(struct task *t, int which, int64_t *value_ns, int64_t *interval_ns);

/* ---- POSIX timers -------------------------------------------------------- */

struct timer_sigevent {
    int notify; /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID (SIGEV_THREAD = SIGNAL) */
    int signo;
    union sigval value;
    int tid; /* SIGEV_THREAD_ID: the target thread (same group) */
};

/* timer_create: clock is the application's clock id; ev NULL means
 * SIGEV_SIGNAL with SIGALRM and the timer id as the value. Returns the new
 * timer id, or -EINVAL (bad clock or sigevent, target thread not in the
 * group), -EOPNOTSUPP (a clock without timers), -EAGAIN (too many). */
int timer_posix_create(struct task *t, int clock, const struct timer_sigevent *ev);
/* timer_settime: flags TIMER_ABSTIME; values already validated. */
int timer_posix_settime(struct task *t, int id, int flags, const struct itimerspec *value,
                        struct itimerspec *old);
int timer_posix_gettime(struct task *t, int id, struct itimerspec *cur);
/* The overrun count of the timer's last delivered signal. */
int timer_posix_getoverrun(struct task *t, int id);
int timer_posix_delete(struct task *t, int id);

/* ---- callback timers (timerfd) ------------------------------------------- */

/* A one-shot timer that belongs to no thread group: when it expires, the
 * timer thread calls fn(arg) with the timer lock held (and kernel.lock).
 * fn must not block nor take a lock that is held while calling the
 * functions below (a timerfd's own lock is: fn only wakes a wait queue). */
struct ktimer;
struct ktimer *timer_cb_create(void (*fn)(void *arg), void *arg);
/* Arms k to expire at expires (CLOCK_MONOTONIC ns; in the past: at once),
 * or disarms it (expires 0). -EAGAIN if the timer thread cannot start. */
int timer_cb_arm(struct ktimer *k, int64_t expires);
/* Deletes k; fn is not running and will not run once this returns. */
void timer_cb_delete(struct ktimer *k);

/* ---- hooks for the kernel ------------------------------------------------ */

/* The group's last thread is gone (it is now a zombie, or reaped): deletes
 * all its timers. Callable with kernel.lock held (takes only the timer
 * lock). */
void timer_tg_exit(struct thread_group *tg);
/* execve succeeded in the group (after de_thread): deletes its POSIX timers;
 * interval timers and alarm stay. Takes only the timer lock. */
void timer_tg_exec(struct thread_group *tg);
