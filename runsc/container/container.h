/* Container lifecycle operations behind the runsc commands. Each command in
 * runsc/cmd/ parses flags and calls exactly one of these. */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "runsc/globals.h"

enum list_format { LIST_FORMAT_TABLE, LIST_FORMAT_JSON };

int container_state(struct runsc_globals *g, const char *id, rs_error_t *err);
int container_list(struct runsc_globals *g, enum list_format format, bool quiet, rs_error_t *err);
int container_spec(struct runsc_globals *g, const char *bundle, bool rootless, rs_error_t *err);
