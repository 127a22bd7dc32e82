/* devfs: the sandbox's own /dev (never the host's): a tmpfs (mode 0755,
 * writable by root as Docker's /dev) holding null, zero, full, random,
 * urandom, tty, the fd/stdin/stdout/stderr links, ptmx -> pts/ptmx and the
 * empty directories pts (mode 0755) and shm (mode 1777). */
#pragma once

#include "sentry/vfs/vfs.h"

/* Builds a devfs instance; *root gets the root dentry. */
int devfs_new(struct vfs_fs **fs, struct dentry **root);
