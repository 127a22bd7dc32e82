/* The sandbox's boot configuration (urpc/proto/boot.proto) from an OCI
 * spec: what the sentry honours, as a typed message. */
#pragma once

#include <stddef.h>

#include "lib/error.h"
#include "runsc/globals.h"
#include "runsc/spec/spec.h"

/* Serializes the boot configuration of spec into a sealed memfd; returns
 * the fd (read position 0) or -1 with *err. */
int bootcfg_fd(struct runsc_globals *g, const struct spec *s, rs_error_t *err);
