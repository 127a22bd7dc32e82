/* runsc update: new cgroup limits for a created, running or paused container
 * (runc update on cgroup v1). */
#pragma once

#include <stddef.h>

#include "lib/error.h"
#include "runsc/container/cgroup.h"
#include "runsc/globals.h"

/* Limits parsed from a resources JSON: r's cpuset strings point into the
 * request (update_request_free releases them). */
struct update_request {
    struct cgroup_resources r;
    char *cpus, *mems;
};

/* Parses runc's --resources JSON (the shape of linux.resources: memory,
 * cpu, pids, blockIO). Missing members, null and 0 leave a value unchanged;
 * what runc update also ignores (kernel memory, devices, ...) is skipped. */
int update_parse_resources(const char *json, size_t len, struct update_request *req,
                           rs_error_t *err);
void update_request_free(struct update_request *req);

/* Applies r to the container's cgroup (all or nothing) and records the
 * container's resources, with r merged in, in its state file. Errors: an
 * unknown or stopped container, one without a cgroup (rootless, or no
 * linux.cgroupsPath), a value the kernel refuses. */
int container_update(struct runsc_globals *g, const char *id, const struct cgroup_resources *r,
                     rs_error_t *err);
