/* The sandbox's boot configuration (urpc/proto/boot.proto) from an OCI
 * spec: what the sentry honours, as a typed message. */
#pragma once

#include <stddef.h>

#include "lib/error.h"
#include "runsc/globals.h"
#include "runsc/spec/spec.h"
#include "urpc/proto/boot.pb-c.h"

/* Packs cfg into a memfd; returns the fd (read position 0) or -1 with
 * *err. */
int bootcfg_pack_fd(const Runsc__Boot__Config *cfg, rs_error_t *err);

/* Serializes the boot configuration of spec into a memfd (bootcfg_pack_fd);
 * returns the fd (read position 0) or -1 with *err. */
int bootcfg_fd(struct runsc_globals *g, const struct spec *s, rs_error_t *err);
