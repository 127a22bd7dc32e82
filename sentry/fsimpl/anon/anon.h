/* Anonymous-inode files (Linux's anon_inode_getfile): file descriptions
 * with no path, such as signalfd (and later eventfd, timerfd, epoll).
 *
 * All of them live in one internal filesystem, "anon_inodefs". Files of one
 * kind share one inode, named by the kind ("[signalfd]"): fstat shows mode
 * 0600 with no file type bits, owner root, size 0, as Linux; /proc/PID/fd
 * shows "anon_inode:" + the name (anon_file_name). */
#pragma once

#include <stdbool.h>

#include "sentry/vfs/vfs.h"

/* A new description of the kind `name` (a string that outlives the file,
 * normally a literal) with ops and priv; flags are its O_* status flags and
 * access mode. *out gets one reference. ops->release frees priv. */
int anon_file_new(const char *name, const struct file_ops *ops, void *priv, int flags,
                  struct file **out);

/* The kind of an anonymous file ("[signalfd]"), or NULL if f is not one. */
const char *anon_file_name(const struct file *f);
