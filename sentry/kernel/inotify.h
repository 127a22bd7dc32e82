/* inotify (Linux's fs/notify/inotify): instances are anonymous files
 * ("anon_inode:inotify") holding an event queue; watches are kept per inode
 * in a global table keyed by the inode pointer, each holding a reference on
 * its inode. The VFS reports what happened through the inotify_*event calls
 * (sentry/vfs/vfs.c's vfs_notify_* helpers: after the operation succeeded,
 * with no VFS lock held where it can); they cost one atomic load when no
 * watch exists anywhere.
 *
 * Locking: g_inotify.lock (the table, every watch list, per-user counts)
 * -> inotify.lock (one instance's queue) -> waitq.lock (its readers and
 * pollers; epoll callbacks). Both are leaves otherwise: inodes of removed
 * watches are put after dropping them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/inotify.h>

struct inode;
struct file;

/* The limits of /proc/sys/fs/inotify (fixed, read-only). */
#define INOTIFY_MAX_QUEUED_EVENTS 16384
#define INOTIFY_MAX_USER_INSTANCES 128
#define INOTIFY_MAX_USER_WATCHES 8192

/* Watches anywhere (the VFS hooks' fast path). */
extern int inotify_nwatches;

static inline bool inotify_active(void)
{
    return __atomic_load_n(&inotify_nwatches, __ATOMIC_RELAXED) != 0;
}

/* A new instance owned by uid (IN_NONBLOCK in flags); -EMFILE past
 * max_user_instances. */
int inotify_create_file(uint32_t uid, int flags, struct file **out);
bool inotify_is_file(const struct file *f);
/* inotify_add_watch on ino (the caller resolved the path and checked read
 * permission): the watch descriptor or -errno (EEXIST for IN_MASK_CREATE,
 * ENOSPC past max_user_watches). */
int inotify_add_watch_inode(struct file *f, struct inode *ino, uint32_t mask);
/* inotify_rm_watch: 0 or -EINVAL. Queues IN_IGNORED. */
int inotify_rm_watch_wd(struct file *f, int wd);

/* A new cookie for a pair of IN_MOVED_FROM / IN_MOVED_TO. */
uint32_t inotify_cookie(void);
/* Whether ino has a watch. */
bool inotify_watched(struct inode *ino);
/* An event about ino itself (IN_ISDIR added for directories); excl: ino's
 * path is unlinked (watches with IN_EXCL_UNLINK skip it). */
void inotify_event(struct inode *ino, uint32_t mask, uint32_t cookie, bool excl);
/* An event about child (IN_ISDIR added if a directory) on the watches of
 * its directory dir, named name. */
void inotify_child_event(struct inode *dir, struct inode *child, uint32_t mask, const char *name,
                         uint32_t cookie, bool excl);
/* ino is gone (its last link removed): IN_DELETE_SELF and IN_IGNORED on
 * each of its watches, which are dropped. */
void inotify_inode_gone(struct inode *ino);
