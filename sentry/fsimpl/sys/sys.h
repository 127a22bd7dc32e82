/* sysfs: a minimal, read-only /sys built on the synth helpers, with what
 * programs commonly read: the CPU lists and cpuN directories under
 * devices/system/cpu, transparent_hugepage's enabled/defrag, and empty
 * mount points and class directories (fs/cgroup, class, block, bus, dev).
 * See sentry/fsimpl/sys/README.md. */
#pragma once

#include "sentry/vfs/vfs.h"

/* A new sysfs instance; *fs and *root get one reference each. */
int sysfs_new(struct vfs_fs **fs, struct dentry **root);
