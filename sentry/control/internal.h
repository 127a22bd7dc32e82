/* Declarations private to sentry/control/. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/control/server.h"
#include "urpc/server.h"

/* Registers the Control.* methods that reply at once (all but Wait, which
 * server.c serves itself with a deferred reply) on u, with s as their
 * argument. -errno of urpc_server_register. */
int control_register_handlers(struct urpc_server *u, struct control_server *s);

/* For the handlers (loop thread only). */
const struct control_backend *control_server_backend(struct control_server *s, void **arg);
/* Whether StartRoot already succeeded, and the pid it returned. */
bool control_server_root_started(struct control_server *s, int *pid);
void control_server_set_root_started(struct control_server *s, int pid);
