/* Files backed by a host fd the sandbox was given (stdio, and later host
 * sockets and ttys). Reads and writes go straight to the host fd. */
#pragma once

#include "sentry/vfs/vfs.h"

/* Wraps fd (owned by the new file from now on; closed on release) in a file
 * with O_* flags. */
int hostfile_new(int fd, int flags, struct file **out);
/* The foreground process group of the (first) host terminal, or 0: where
 * terminal signals the host sends to the sandbox are forwarded. */
int hostfile_tty_foreground(void);
struct thread_group;
/* A process started from outside the sandbox (not running yet) with f on
 * its stdio: when f is a host terminal no session has, it becomes the
 * process's controlling terminal (sentry/kernel/tty.h). */
void hostfile_spawn_ctty(struct file *f, struct thread_group *tg);
