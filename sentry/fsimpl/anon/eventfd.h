/* eventfd files (an anonymous-inode file, "[eventfd]"), as Linux's
 * fs/eventfd.c: a 64-bit counter. A read (8 bytes or more: EINVAL below)
 * returns the counter and zeroes it, or returns 1 and decrements it with
 * EFD_SEMAPHORE; it waits while the counter is 0 (EAGAIN with O_NONBLOCK).
 * A write of 8 bytes (no more, no less: EINVAL) adds a value (UINT64_MAX:
 * EINVAL); it waits while the
 * sum would pass 0xfffffffffffffffe (EAGAIN with O_NONBLOCK). Readiness:
 * POLLIN while the counter is not 0, POLLOUT while it is below
 * 0xfffffffffffffffe, POLLERR at UINT64_MAX (only kernel-side signalling
 * reaches it in Linux; nothing does here).
 *
 * Zero-length reads and writes return 0 (the syscall layer answers them
 * without asking the file; Linux's eventfd says EINVAL).
 *
 * Lock: the eventfd's own lock (a leaf but for waitq.lock: wakes happen
 * under it). */
#pragma once

#include <stdint.h>

#include "sentry/vfs/vfs.h"

/* A new eventfd with the counter initval; flags: EFD_SEMAPHORE,
 * EFD_NONBLOCK (others are the caller's business). *out gets a reference. */
int eventfd_create_file(uint64_t initval, int flags, struct file **out);
