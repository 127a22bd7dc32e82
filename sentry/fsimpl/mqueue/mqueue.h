/* POSIX message queues: the sandbox's one mqueue filesystem (Linux's
 * mqueue fs of the IPC namespace; there is one IPC namespace per sandbox).
 * mq_open/mq_unlink name queues in its root; the same instance mounts at
 * /dev/mqueue when the spec asks. See sentry/fsimpl/mqueue/README.md.
 *
 * Errors: -errno. The syscall layer (sentry/syscalls/sys_mq.c) copies and
 * checks the arguments Linux checks before looking at the queue. */
#pragma once

#include <mqueue.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sentry/vfs/vfs.h"

struct task;

/* Linux's limits: MQ_PRIO_MAX, the defaults of a new queue
 * (fs.mqueue.msg_default / msgsize_default), the most an unprivileged
 * creator may ask for (fs.mqueue.msg_max / msgsize_max) and with
 * CAP_SYS_RESOURCE (HARD_MSGMAX, HARD_MSGSIZEMAX), and how many queues
 * may exist unless the creator has CAP_SYS_RESOURCE (fs.mqueue.queues_max).
 * Fixed: /proc/sys/fs/mqueue/ shows them read-only. */
#define MQUEUE_PRIO_MAX 32768
#define MQUEUE_MSG_DEFAULT 10
#define MQUEUE_MSGSIZE_DEFAULT 8192
#define MQUEUE_MSG_MAX 10
#define MQUEUE_MSGSIZE_MAX 8192
#define MQUEUE_HARD_MSGMAX 65536
#define MQUEUE_HARD_MSGSIZEMAX (16 << 20)
#define MQUEUE_QUEUES_MAX 256

/* The sandbox's instance (created on first use): new references. */
int mqueue_fs_get(struct vfs_fs **fs, struct dentry **root);

/* mq_open of name (one component, already checked) with ctx's credentials
 * (root and start are ignored). flags: O_ACCMODE, O_CREAT, O_EXCL,
 * O_NONBLOCK; mode: permission bits with the umask applied; attr: the
 * new queue's limits (NULL: defaults), checked against the hard limits when
 * privileged (CAP_SYS_RESOURCE) else against the unprivileged ones.
 * Creating a queue (here or by open(2) O_CREAT in a mounted mqueue
 * directory) fails with -ENOSPC when MQUEUE_QUEUES_MAX exist (unless
 * privileged), and with -EMFILE when the bytes it pins would take the
 * calling task's real user past its RLIMIT_MSGQUEUE (Linux's accounting:
 * maxmsg * (sizeof(struct msg_msg) + msgsize) + min(maxmsg, MQ_PRIO_MAX) *
 * sizeof(struct posix_msg_tree_node); given back when the queue is gone:
 * unlinked and closed). */
int mqueue_open(const struct vfs_walk_ctx *ctx, const char *name, int flags, uint32_t mode,
                const struct mq_attr *attr, bool privileged, struct file **out);
/* mq_unlink: removes name (the queue lives on while open). */
int mqueue_unlink(const struct vfs_walk_ctx *ctx, const char *name);

/* Whether f is an open message queue. */
bool mqueue_is(const struct file *f);
/* mq_timedsend / mq_timedreceive on f (an mqueue): the message at msg in
 * t's memory. deadline: absolute CLOCK_MONOTONIC, NULL to wait forever.
 * Send returns 0, receive the message's length; -EBADF (wrong access
 * mode), -EMSGSIZE, -EAGAIN (O_NONBLOCK), -ETIMEDOUT, -ERESTARTSYS
 * (signal), -EFAULT. */
long mqueue_timedsend(struct task *t, struct file *f, uint64_t msg, size_t len, unsigned prio,
                      const struct timespec *deadline);
long mqueue_timedreceive(struct task *t, struct file *f, uint64_t msg, size_t len,
                         uint64_t prio_addr, const struct timespec *deadline);
/* mq_notify for thread group tgid: ev NULL removes its registration;
 * otherwise ev is SIGEV_SIGNAL or SIGEV_NONE (-EBUSY if any process is
 * registered). */
int mqueue_notify(struct file *f, int tgid, const struct sigevent *ev);
/* mq_getsetattr: *old gets the attributes (mq_flags: f's O_NONBLOCK);
 * nonblock >= 0 then sets or clears f's O_NONBLOCK. */
void mqueue_getsetattr(struct file *f, int nonblock, struct mq_attr *old);
