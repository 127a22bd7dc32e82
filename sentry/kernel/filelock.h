/* Advisory file locks, as Linux's fs/locks.c: flock(2) locks (owned by an
 * open file description), POSIX record locks from fcntl F_SETLK/F_SETLKW
 * (owned by a file descriptor table, i.e. a process and its CLONE_FILES
 * peers; released when that table closes any fd of the file) and open file
 * description locks (F_OFD_*: byte ranges owned by the description).
 * POSIX and OFD locks conflict with each other; flock locks only with
 * flock locks. Locks live in the sentry only (not on the host file).
 *
 * Lock: g_filelock (filelock.c) guards every inode's lock list; it is a
 * leaf except that waitq_wake (a leaf) is called under it. Waiters block
 * with task_block after dropping it. */
#pragma once

#include <fcntl.h>

#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/kernel.h"

/* flock(2): op is LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB. */
long filelock_flock(struct task *t, struct file *f, int op);
/* fcntl's F_GETLK, F_SETLK, F_SETLKW and the F_OFD_ ones on f (reached
 * through t's fd table): fl is the caller's struct flock, updated for
 * F_GETLK. */
long filelock_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl);
/* fdt closed an fd of f: its POSIX locks on f's inode go. */
void filelock_posix_close(struct fdtable *fdt, struct file *f);
/* f's last reference is gone: its flock and OFD locks go (file_put). */
void filelock_file_release(struct file *f);
