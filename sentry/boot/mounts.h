/* The container's mounts inside the sentry (see mounts.c). */
#pragma once

#include "sentry/vfs/vfs.h"
#include "urpc/proto/boot.pb-c.h"

/* Mounts /dev, /sys and /proc (unless the spec does), the spec's mounts, then
 * applies maskedPaths and readonlyPaths, under the root already mounted at
 * root. io_fds are the gofer connections (0: the root's). Returns 0, or
 * -errno after logging which mount failed. */
int boot_mounts(const struct vfs_path *root, const Runsc__Boot__Config *cfg, const int *io_fds,
                int n_io);
