/* Global flags of the runsc front end (the names runc and gVisor use). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "lib/error.h"

#define RUNSC_VERSION "0.1.0"
#define RUNSC_OCI_VERSION "1.0.2"
#define RUNSC_DEFAULT_ROOT "/var/run/runsc"

struct runsc_globals {
    const char *root;       /* --root: state directory */
    const char *log;        /* --log: log file (runc/containerd) */
    const char *log_format; /* --log-format text|json */
    bool debug;             /* --debug */
    const char *debug_log;  /* --debug-log: file or directory (trailing /) */
    const char *platform;   /* --platform: a name of cmd_platform_names() */
    const char *network;    /* --network sandbox|host|none */
    bool rootless;          /* --rootless */
    bool systemd_cgroup;    /* --systemd-cgroup (accepted, cgroupfs used) */
    const char *command;    /* the command being run, for per-command log names */
};

/* One row of the commands table (runsc/main.c). */
struct runsc_command {
    const char *name;
    const char *summary;
    const char *usage; /* full help text: flags and arguments */
    int (*run)(struct runsc_globals *g, int argc, char **argv);
    bool internal; /* boot, gofer: hidden from "runsc help" */
};

const struct runsc_command *runsc_find_command(const char *name);
void runsc_print_usage(FILE *f);
/* "runsc CMD: msg" on stderr + log, returns exit status 1. Use for usage errors. */
int runsc_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether p names a platform the sentry has (cmd_platform_names()). */
bool runsc_platform_valid(const char *p);
