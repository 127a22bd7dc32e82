/* Boot-time glue between the sentry's kernel and its control server and
 * confinement (sentry/boot only). */
#pragma once

#include "sentry/kernel/kernel.h"

struct control_server;

/* Starts the control server on listen_fd with the kernel backend. */
int boot_control_start(struct kernel *k, int listen_fd, struct control_server **out);
/* Empty root, no capabilities, no_new_privs, the seccomp filter. */
int boot_confine(struct kernel *k);
/* Control.StartRoot's action (boot.c). */
int boot_start_root(void);
