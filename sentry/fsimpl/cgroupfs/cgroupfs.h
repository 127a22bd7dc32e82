/* cgroupfs: cgroup v1 hierarchies inside the sandbox (as gVisor's
 * cgroupfs). Each hierarchy has a fixed set of controllers (cpuset, cpu,
 * cpuacct, memory, pids) and one cgroup, its root, which holds every task of
 * the sandbox: the container's own cgroup as runc shows it under a cgroup
 * namespace. The control files report the limits of the host cgroup the
 * sandbox runs in (read by runsc create, passed in the boot configuration)
 * and the sandbox's own usage; none of the limits can be changed from
 * inside. See sentry/fsimpl/cgroupfs/README.md.
 *
 * Locking: the hierarchy registry's lock and the limits' lock are leaves;
 * the control files take kernel.lock and memfile.lock alone, when a file is
 * opened. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sentry/vfs/vfs.h"

/* The limits the sandbox is under (boot.proto's Resources). 0 in a field:
 * not known or no limit (the control file shows Linux's default). */
struct cgroupfs_limits {
    int64_t memory_limit;   /* bytes */
    uint64_t cpu_shares;    /* default 1024 */
    int64_t cpu_quota_us;   /* default -1 (no quota) */
    uint64_t cpu_period_us; /* default 100000 */
    int64_t pids_max;       /* default "max" */
};

/* Sets the limits the control files show (NULL: none known) and reads what
 * the sentry knows of its host: its CPU affinity and the memory nodes it may
 * use (cpuset.cpus, cpuset.mems). Called once at boot, before confinement
 * and before the first cgroupfs is made. */
void cgroupfs_init(const struct cgroupfs_limits *limits);
/* New limits (runsc update changed the host cgroup: Control.UpdateResources);
 * files opened from now on show them. */
void cgroupfs_set_limits(const struct cgroupfs_limits *limits);

/* The hierarchy with the controllers named in options, comma-separated
 * ("memory", "cpu,cpuacct"; "" or "all": every controller), made on first
 * use; *fs and *root get one reference each. As Linux: mounting the same
 * set again gives the same hierarchy; a set that shares some controllers
 * with an existing hierarchy is EBUSY; an unknown option is EINVAL. */
int cgroupfs_get(const char *options, struct vfs_fs **fs, struct dentry **root);

/* The hierarchies runc mounts under a "cgroup" mount (cgroup v1): one
 * directory per entry, NULL-terminated. A name with a comma is a hierarchy
 * of several controllers; runc adds a link per controller to it
 * (cpu -> cpu,cpuacct). */
extern const char *const cgroupfs_v1_layout[];

/* The controllers of a cgroupfs instance as /proc/mounts shows them
 * ("cpu,cpuacct") into buf; false when fs is not a cgroupfs. */
bool cgroupfs_mount_options(const struct vfs_fs *fs, char *buf, size_t size);

/* /proc/<pid>/cgroup: one "ID:controllers:/" line per hierarchy, newest
 * first (Linux's order), or "0::/" when there is none. Every task is in the
 * root cgroup of every hierarchy. */
void cgroupfs_proc_cgroup(FILE *out);

/* /proc/cgroups: the controllers with their hierarchy ID (0: not mounted),
 * the number of cgroups, and whether enabled. */
void cgroupfs_proc_cgroups(FILE *out);
