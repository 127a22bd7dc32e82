/* OCI runtime spec (config.json): parsing, validation, defaults.
 * (Interface placeholder; the full parser lands with this module.) */
#pragma once

#include <stdbool.h>

#include "lib/error.h"

/* Writes <bundle>/config.json with the default spec (as "runc spec" does);
 * refuses to overwrite an existing one. */
int spec_write_default(const char *bundle, bool rootless, rs_error_t *err);
