/* procfs: the sandbox's own /proc (never the host's).
 *
 * /proc/self, /proc/thread-self, one /proc/<pid>/ per thread group (with
 * task/<tid>/ per thread), and the global files shells and ps read
 * (meminfo, uptime, loadavg, stat, cpuinfo, version, filesystems, mounts,
 * sys/kernel/..., sys/vm/..., sys/fs/...). Contents are generated when a
 * file is opened and read from that snapshot, as Linux's seq files do. See
 * sentry/fsimpl/proc/README.md for what each file contains. */
#pragma once

#include "sentry/vfs/vfs.h"

/* Builds a procfs instance; *root gets the root dentry. Reads the host's
 * /proc/cpuinfo once (call before the sentry is confined). */
int procfs_new(struct vfs_fs **fs, struct dentry **root);
