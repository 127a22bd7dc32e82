/* The sandbox's boot configuration (urpc/proto/boot.proto) from an OCI
 * spec: what the sentry honours, as a typed message. */
#pragma once

#include <stddef.h>

#include "lib/error.h"
#include "runsc/container/cgroup.h"
#include "runsc/globals.h"
#include "runsc/spec/spec.h"
#include "urpc/proto/boot.pb-c.h"

/* Packs cfg into a memfd; returns the fd (read position 0) or -1 with
 * *err. */
int bootcfg_pack_fd(const Runsc__Boot__Config *cfg, rs_error_t *err);

/* The spec's mounts as the sandbox gets them. Bind mounts are served by
 * gofer connections 1..n (0 is the root) in spec order: sources[i] (an
 * absolute host path) is io-fds[1 + i], read-only when readonly[i].
 * Ownership: each item's data and the sources are this struct's; the other
 * strings of the items are the spec's (or sources[i] for a bind mount's
 * source), so the spec must outlive it. */
struct bootcfg_mounts {
    Runsc__Boot__Mount *items;
    Runsc__Boot__Mount **ptrs;
    size_t count;
    char **sources; /* bind sources (absolute) */
    bool *readonly;
    size_t bind_count;
};

/* Converts s->mounts; -1 with *err naming the bad mount (an unsupported
 * type, a relative destination...). */
int bootcfg_mounts(const struct spec *s, struct bootcfg_mounts *out, rs_error_t *err);
void bootcfg_mounts_free(struct bootcfg_mounts *m);

/* Serializes the boot configuration of spec, with its mounts as converted by
 * bootcfg_mounts and the limits of the host cgroup the sandbox will run in
 * (cgroup_read_limits; NULL: none known), into a memfd (bootcfg_pack_fd);
 * returns the fd (read position 0) or -1 with *err. */
int bootcfg_fd(struct runsc_globals *g, const struct spec *s, const struct bootcfg_mounts *mounts,
               const struct cgroup_limits *limits, rs_error_t *err);
