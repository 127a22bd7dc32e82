/* Mount points created in the rootfs on the host, as runc does (see
 * mountpoints.c). */
#pragma once

#include "lib/error.h"
#include "runsc/container/bootcfg.h"

/* Creates the missing mount points of m under rootfs that the sentry cannot
 * create itself (those not under /dev, /proc, /sys or an earlier mount).
 * -1 with *err naming the mount. */
int mountpoints_create(const char *rootfs, const struct bootcfg_mounts *m, rs_error_t *err);
