/* The gofer filesystem: files served by the gofer process over uRPC. The
 * sentry never opens a path of the root filesystem itself: it walks through
 * the gofer and reads and writes through host fds the gofer hands over. */
#pragma once

#include "sentry/fsimpl/gofer/client.h"
#include "sentry/vfs/vfs.h"

/* Mounts the gofer's root: *fs and *root get references. *readonly says
 * whether the gofer serves it read-only. */
int goferfs_new(struct gofer_client *c, struct vfs_fs **fs, struct dentry **root, bool *readonly);
