/* pidfds (CLONE_PIDFD, pidfd_open, pidfd_send_signal, waitid P_PIDFD). */
#pragma once

#include "sentry/kernel/kernel.h"

/* Installs a close-on-exec pidfd for tg in t's fd table; returns the fd. */
int pidfd_create(struct task *t, struct thread_group *tg, int flags);
/* The group a pidfd names (the file holds a reference), or NULL. */
struct thread_group *pidfd_group(struct file *f);
