/* The default spec, as "runc spec" writes it (included by spec.h). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

/* The default config.json text: pretty-printed, keys in runc's order, ending
 * in a newline; malloc'ed. With rootless, runc's rootless conversion: no
 * network namespace, a user namespace mapping container 0 to host uid/gid,
 * no "gid="/"uid=" mount options, /sys as a read-only rbind, no resources. */
char *spec_default_json(bool rootless, uid_t uid, gid_t gid);

/* Writes <bundle>/config.json with the default spec (rootless: mapped to the
 * caller's effective uid and gid). The bundle directory must exist; an
 * existing config.json is never overwritten. */
int spec_write_default(const char *bundle, bool rootless, rs_error_t *err);
