/* The OCI lifecycle: create, start, kill, delete, run, exec, ps, wait,
 * pause, resume, events. runsc reaches a running sandbox only through its
 * control socket (runsc/sandbox/control_client). */
#pragma once

#include <stdbool.h>

#include "lib/error.h"
#include "runsc/globals.h"

struct create_opts {
    const char *id;
    const char *bundle;         /* default: "." */
    const char *pid_file;       /* may be NULL */
    const char *console_socket; /* may be NULL */
    bool detach_stdio;          /* run -d: the sandbox gets the caller's stdio anyway */
};

int container_create(struct runsc_globals *g, const struct create_opts *o, rs_error_t *err);
int container_start(struct runsc_globals *g, const char *id, rs_error_t *err);
int container_kill(struct runsc_globals *g, const char *id, int sig, bool all, rs_error_t *err);
int container_delete(struct runsc_globals *g, const char *id, bool force, rs_error_t *err);
/* Returns the container's exit status (>= 0) or -1 with *err. */
int container_run(struct runsc_globals *g, const struct create_opts *o, bool detach,
                  rs_error_t *err);
/* Returns the exit status of the container's init. */
int container_wait(struct runsc_globals *g, const char *id, rs_error_t *err);

struct exec_opts {
    const char *id;
    const char *process_json; /* --process FILE, or NULL */
    char **argv;              /* when no --process */
    char **env;
    size_t n_env;
    const char *cwd;
    const char *user; /* "uid[:gid]" */
    bool tty;
    const char *console_socket;
    bool detach;
    const char *pid_file;
    char **caps;
    size_t n_caps;
};
int container_exec(struct runsc_globals *g, const struct exec_opts *o, rs_error_t *err);
int container_ps(struct runsc_globals *g, const char *id, bool json, rs_error_t *err);
int container_pause(struct runsc_globals *g, const char *id, bool pause, rs_error_t *err);
int container_events(struct runsc_globals *g, const char *id, bool stats, int interval,
                     rs_error_t *err);
int container_features(rs_error_t *err);
