/* cgroups (v1, cgroupfs) for the sandbox and the gofer: linux.cgroupsPath
 * and the memory, cpu, cpuset and pids limits of linux.resources at create
 * (a controller that is not mounted is a warning there, not an error), and
 * the same limits again for runsc update (cgroup_set). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runsc/spec/spec.h"

/* The cgroup path for the spec (cgroupsPath; "slice:prefix:name" systemd
 * form converted to cgroupfs); malloc'ed, or NULL when the spec has none
 * (then no cgroup is used). */
char *cgroup_path_of(const struct spec *s);
/* Creates the cgroup in every mounted v1 controller and applies limits. */
int cgroup_create(const char *path, const struct spec *s, rs_error_t *err);

/* Limits for cgroup_set(), with runc's cgroupfs meaning: 0 (NULL or "" for
 * the cpuset lists) leaves a value unchanged; -1 means unlimited for the
 * memory values, cpu_quota and cpu_rt_runtime; pids_limit < 0 is "max". */
struct cgroup_resources {
    int64_t memory;             /* memory.limit_in_bytes */
    int64_t memory_reservation; /* memory.soft_limit_in_bytes */
    int64_t memory_swap;        /* memory.memsw.limit_in_bytes (memory + swap) */
    uint64_t cpu_shares;        /* cpu.shares */
    int64_t cpu_quota;          /* cpu.cfs_quota_us */
    uint64_t cpu_period;        /* cpu.cfs_period_us */
    int64_t cpu_rt_runtime;     /* cpu.rt_runtime_us */
    uint64_t cpu_rt_period;     /* cpu.rt_period_us */
    const char *cpuset_cpus;    /* cpuset.cpus */
    const char *cpuset_mems;    /* cpuset.mems */
    int64_t pids_limit;         /* pids.max */
    uint16_t blkio_weight;      /* blkio.weight or blkio.bfq.weight: a warning when absent */
};
/* The limits of linux.resources (strings point into r). */
void cgroup_resources_from_spec(const struct spec_resources *r, struct cgroup_resources *out);
/* True when nothing in r would be written. */
bool cgroup_resources_empty(const struct cgroup_resources *r);
/* Applies r to the existing cgroup at path, in the order the kernel needs
 * (memory before or after memory+swap, cfs period around the quota). All or
 * nothing: bad values are rejected before anything is written, and when the
 * kernel refuses one value, those already written are restored. A controller
 * that r needs but that is not mounted, or a missing cgroup, is an error. */
int cgroup_set(const char *path, const struct cgroup_resources *r, rs_error_t *err);
/* Moves pid into the cgroup in every controller. */
int cgroup_add(const char *path, pid_t pid, rs_error_t *err);
/* Pids in the cgroup (from the pids or memory controller); malloc'ed. */
int cgroup_pids(const char *path, pid_t **out, size_t *count);
/* Removes the cgroup directories (they must be empty). */
void cgroup_destroy(const char *path);

/* The limits a process in a host cgroup is under, as that cgroup's files
 * show them (the kernel's rounding and clamping applied): what the sandbox's
 * own cgroupfs reports (boot.proto's Resources). 0 in a field: not known
 * (no such file, or no limit: "max", -1, v1's unlimited value). */
struct cgroup_limits {
    int64_t memory_limit;   /* bytes: memory.limit_in_bytes (v2: memory.max) */
    uint64_t cpu_shares;    /* cpu.shares (v2: not read, cpu.weight has no exact equivalent) */
    int64_t cpu_quota_us;   /* cpu.cfs_quota_us (v2: cpu.max) */
    uint64_t cpu_period_us; /* cpu.cfs_period_us (v2: cpu.max) */
    int64_t pids_max;       /* pids.max */
};
/* Reads the limits of the cgroup at path (cgroup v1, as cgroup_create
 * makes it), or with path NULL of the caller's own cgroup (from
 * /proc/self/cgroup; v1 or a v2 unified hierarchy): where a sandbox that
 * joins no cgroup stays. Never fails: what cannot be read stays 0. */
void cgroup_read_limits(const char *path, struct cgroup_limits *out);
