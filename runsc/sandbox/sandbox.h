/* Starting the gofer and the sandbox processes (runsc/sandbox owns process
 * creation and fd donation). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runsc/globals.h"
#include "runsc/sandbox/donation.h"

/* Starts "runsc <cmd> [args...] <donated flags>" as a child of the caller
 * with the donated fds; argv[0] of the child is argv0. stdio is inherited.
 * Closes the donated fds in the parent. */
int sandbox_spawn(struct runsc_globals *g, const char *argv0, const char *cmd,
                  const char *const *args, struct donation *d, pid_t *pid, rs_error_t *err);
/* waitpid that retries on EINTR; returns the exit status as a shell does
 * (code, or 128+signal). */
int sandbox_wait_status(pid_t pid);
