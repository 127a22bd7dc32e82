/* timerfd files (an anonymous-inode file, "[timerfd]"), as Linux's
 * fs/timerfd.c: a timer whose expirations are counted and read as a
 * 64-bit number (8 bytes or more: EINVAL below); a read waits for one
 * (EAGAIN with O_NONBLOCK, -ERESTARTSYS on a signal) and resets the count.
 * Readiness: POLLIN while the count is not 0.
 *
 * Clocks: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME and the two
 * _ALARM ones (CAP_WAKE_ALARM to create or set them). As the POSIX timers
 * (sentry/kernel/timer.h), every timer runs on CLOCK_MONOTONIC: an absolute
 * expiration on another clock is converted when the timer is set, and a
 * later step of the host's clock is not followed. TFD_TIMER_CANCEL_ON_SET
 * is accepted (and shown in fdinfo) but never cancels a timer: nothing in
 * the sandbox can set the clock, and steps of the host's are not noticed.
 *
 * The count is computed from the clock when asked (a periodic timer's
 * missed periods included, as Linux's hrtimer_forward); a one-shot callback
 * timer of the timer thread (timer_cb_*) wakes the file's queue at the next
 * expiration, re-armed when the count is read (Linux re-arms a periodic
 * timer on read too, not from the timer: a short period cannot flood).
 *
 * Locks: the timerfd's lock -> the timer lock (arming); the timer thread
 * wakes the queue under the timer lock without the timerfd's. */
#pragma once

#include <stdint.h>
#include <time.h>

#include "sentry/vfs/vfs.h"

struct task;

/* timerfd_create: clock is the application's clock id, flags TFD_NONBLOCK
 * (TFD_CLOEXEC is the caller's). -EINVAL (clock), -EPERM (an _ALARM clock
 * without CAP_WAKE_ALARM), -ENOMEM. */
int timerfd_create_file(struct task *t, int clock, int flags, struct file **out);
bool timerfd_is_file(const struct file *f);
/* timerfd_settime on f (a timerfd): flags TFD_TIMER_ABSTIME and
 * TFD_TIMER_CANCEL_ON_SET (already checked), value valid; *old (if
 * non-NULL) gets the previous setting. -EPERM for an _ALARM clock without
 * CAP_WAKE_ALARM. */
int timerfd_settime_file(struct task *t, struct file *f, int flags, const struct itimerspec *value,
                         struct itimerspec *old);
void timerfd_gettime_file(struct file *f, struct itimerspec *cur);
