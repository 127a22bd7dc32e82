/* devfs: the sandbox's own /dev (never the host's): null, zero, full,
 * random, urandom, tty, and the fd/stdin/stdout/stderr links. */
#pragma once

#include "sentry/vfs/vfs.h"

/* Builds a devfs instance; *root gets the root dentry. */
int devfs_new(struct vfs_fs **fs, struct dentry **root);
