/* cgroups (v1, cgroupfs) for the sandbox and the gofer: linux.cgroupsPath
 * and the memory, pids and cpu limits of linux.resources. A controller that
 * is not mounted is a warning, not an error. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runsc/spec/spec.h"

/* The cgroup path for the spec (cgroupsPath; "slice:prefix:name" systemd
 * form converted to cgroupfs); malloc'ed, or NULL when the spec has none
 * (then no cgroup is used). */
char *cgroup_path_of(const struct spec *s);
/* Creates the cgroup in every mounted v1 controller and applies limits. */
int cgroup_create(const char *path, const struct spec *s, rs_error_t *err);
/* Moves pid into the cgroup in every controller. */
int cgroup_add(const char *path, pid_t pid, rs_error_t *err);
/* Pids in the cgroup (from the pids or memory controller); malloc'ed. */
int cgroup_pids(const char *path, pid_t **out, size_t *count);
/* Removes the cgroup directories (they must be empty). */
void cgroup_destroy(const char *path);
