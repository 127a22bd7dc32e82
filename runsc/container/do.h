/* runsc do (see do.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "runsc/globals.h"

struct do_options {
    const char *rootfs; /* NULL: the host's / */
    const char *cwd;    /* NULL: see do.c */
    char **env;         /* K=V overrides */
    size_t n_env;
    char **argv;
    size_t argc;
    bool writable; /* --rootfs served read-write */
#define DO_MAX_TMPFS 8
    const char *tmpfs[DO_MAX_TMPFS]; /* --tmpfs DIR: a private tmpfs there */
    size_t n_tmpfs;
};

/* Returns the program's exit status (>= 0), or -1 with *err set. */
int container_do(struct runsc_globals *g, const struct do_options *o, rs_error_t *err);
