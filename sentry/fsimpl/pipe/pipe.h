/* Pipes: the pipe object (a ring of page-sized buffers, as in Linux) and the
 * file descriptions that read and write it.
 *
 * The pipe object is separate from its descriptions: pipe(2) makes one with
 * an anonymous inode in the internal "pipefs" and opens a read end and a
 * write end on it (pipe_create); a named FIFO (a S_IFIFO node of any
 * filesystem) has one per node, which pipe_fifo_open finds or makes and
 * opens with Linux's blocking FIFO rules; filesystems call it from their
 * inode open op.
 *
 * Blocking reads and writes wait on the pipe's wait queue (task_block) and
 * return -ERESTARTSYS when a signal interrupts them before anything moved. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/vfs/vfs.h"

#define PIPE_PAGE_SIZE 4096u
/* Writes of at most this many bytes are atomic (PIPE_BUF). */
#define PIPE_ATOMIC_SIZE 4096u
/* Capacity of a new pipe (16 pages), F_GETPIPE_SZ's first answer. */
#define PIPE_DEFAULT_SIZE 65536u
/* /proc/sys/fs/pipe-max-size: F_SETPIPE_SZ above this needs CAP_SYS_RESOURCE. */
#define PIPE_MAX_SIZE (1u << 20)

struct pipe;

/* A new, empty pipe with no readers or writers; one reference. */
int pipe_new(struct pipe **out);
void pipe_get(struct pipe *p);
void pipe_put(struct pipe *p);

/* Makes f (a new description, f->ops unset) a description of p: it reads if
 * the access mode in flags allows, writes likewise. Takes a reference on p
 * and counts f as a reader and/or writer until f is released. */
int pipe_open(struct pipe *p, struct file *f, int flags);

/* Opens f, a new description of the FIFO node ino (f->ops unset), as
 * Linux's fifo_open: attaches it to the node's pipe (one per (st_dev,
 * st_ino), made by the first open and freed, with its data, when the last
 * description goes). O_RDONLY waits for a writer to open (O_NONBLOCK: at
 * once), O_WRONLY for a reader (O_NONBLOCK without a reader: -ENXIO), O_RDWR
 * never waits; a wait ends when the other side's open count moves, and a
 * signal before that makes it -ERESTARTSYS. Sleeps: call it holding no
 * lock. */
int pipe_fifo_open(struct inode *ino, struct file *f, int flags);

/* pipe2(2): a new anonymous pipe owned by uid/gid, its read end in *rd and
 * its write end in *wr (one reference each). flags: O_NONBLOCK, O_DIRECT
 * (packet mode); anything else is the caller's to refuse. */
int pipe_create(uint32_t uid, uint32_t gid, int flags, struct file **rd, struct file **wr);

/* Whether f is a pipe description (either end, anonymous or FIFO). */
bool pipe_is_file(struct file *f);

/* F_GETPIPE_SZ: the capacity in bytes; -EBADF if f is not a pipe. */
long pipe_get_size(struct file *f);
/* F_SETPIPE_SZ: rounds size up to a power-of-two number of pages (at least
 * one); returns the new capacity. -EINVAL for sizes over 2^31, -EPERM above
 * PIPE_MAX_SIZE without privileged (CAP_SYS_RESOURCE), -EBUSY if the pipe
 * holds more buffers than the new size has room for, -EBADF if not a pipe. */
long pipe_set_size(struct file *f, uint32_t size, bool privileged);
