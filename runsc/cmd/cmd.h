/* One function per command; each lives in runsc/cmd/<verb>.c, parses its
 * own flags and calls one container_<verb>() (or boot/gofer entry). */
#pragma once

#include "runsc/globals.h"

int cmd_boot(struct runsc_globals *g, int argc, char **argv);
int cmd_do(struct runsc_globals *g, int argc, char **argv);
int cmd_create(struct runsc_globals *g, int argc, char **argv);
int cmd_start(struct runsc_globals *g, int argc, char **argv);
int cmd_run(struct runsc_globals *g, int argc, char **argv);
int cmd_kill(struct runsc_globals *g, int argc, char **argv);
int cmd_delete(struct runsc_globals *g, int argc, char **argv);
int cmd_wait(struct runsc_globals *g, int argc, char **argv);
int cmd_exec(struct runsc_globals *g, int argc, char **argv);
int cmd_ps(struct runsc_globals *g, int argc, char **argv);
int cmd_pause(struct runsc_globals *g, int argc, char **argv);
int cmd_resume(struct runsc_globals *g, int argc, char **argv);
int cmd_events(struct runsc_globals *g, int argc, char **argv);
int cmd_features(struct runsc_globals *g, int argc, char **argv);
int cmd_update(struct runsc_globals *g, int argc, char **argv);
int cmd_gofer(struct runsc_globals *g, int argc, char **argv);
int cmd_help(struct runsc_globals *g, int argc, char **argv);
int cmd_list(struct runsc_globals *g, int argc, char **argv);
int cmd_spec(struct runsc_globals *g, int argc, char **argv);
int cmd_state(struct runsc_globals *g, int argc, char **argv);
int cmd_version(struct runsc_globals *g, int argc, char **argv);

/* "runsc help syscalls" and other non-command topics; returns -1 if the
 * topic is unknown. */
int cmd_help_topic(const char *topic);
/* The platforms the sentry has, comma-separated (platform/'s registry). */
const char *cmd_platform_names(void);

#define CMD_BOOT_USAGE "runsc boot [flags] (internal: started by runsc create/do)"
#define CMD_GOFER_USAGE "runsc gofer [flags] (internal: started by runsc create/do)"
#define CMD_DO_USAGE                                                                               \
    "runsc do [flags] [--] PROG [ARGS...]\n\n"                                                     \
    "Runs PROG in a sandbox, without an OCI bundle. stdin/stdout/stderr are runsc's;\n"            \
    "the exit status is the program's (128+N when killed by signal N).\n"                          \
    "  --rootfs DIR    root filesystem (default: the host's /, read-only)\n"                       \
    "  --writable      serve --rootfs read-write\n"                                                \
    "  --tmpfs DIR     mount a private, empty tmpfs on DIR (repeatable, e.g. /tmp)\n"              \
    "  --cwd DIR       working directory (default: the current one when the root is /)\n"          \
    "  --env K=V       set an environment variable (repeatable; the rest is inherited)\n"          \
    "  --platform P    the platform (default ptrace; the ones built in are listed below)\n\n"      \
    "\"runsc help syscalls\" prints the sentry's system call table."
#define CMD_LIST_USAGE                                                                             \
    "runsc list [--format table|json] [--quiet]\n\n"                                               \
    "Lists the containers under --root.\n"                                                         \
    "  --format, -f FORMAT   table (default) or json\n"                                            \
    "  --quiet, -q           print only the container ids"
#define CMD_STATE_USAGE                                                                            \
    "runsc state CONTAINER-ID\n\n"                                                                 \
    "Prints the OCI state of a container as JSON."
#define CMD_UPDATE_USAGE                                                                           \
    "runsc update [flags] ID\n"                                                                    \
    "runsc update --resources FILE|- ID\n\n"                                                       \
    "Changes the cgroup limits of a created, running or paused container (runc update,\n"          \
    "cgroup v1). Sizes take k, m, g units; -1 is unlimited; 0 or \"\" leaves a value as is.\n"     \
    "  --resources, -r F    linux.resources JSON from F (- for stdin); other flags are ignored\n"  \
    "  --memory SIZE        memory limit\n"                                                        \
    "  --memory-reservation SIZE   soft memory limit\n"                                            \
    "  --memory-swap SIZE   memory+swap limit\n"                                                   \
    "  --cpu-share(s) N     cpu shares (relative weight)\n"                                        \
    "  --cpu-quota N        CFS quota per period (microseconds; -1 unlimited)\n"                   \
    "  --cpu-period N       CFS period (microseconds)\n"                                           \
    "  --cpu-rt-period N, --cpu-rt-runtime N   realtime period and runtime (microseconds)\n"       \
    "  --cpuset-cpus LIST, --cpuset-mems LIST  cpus and memory nodes, e.g. 0-1,3\n"                \
    "  --pids-limit N       maximum number of pids (-1 unlimited)\n"                               \
    "  --blkio-weight N     block IO weight 10-1000 (a warning if the kernel has none)"
#define CMD_SPEC_USAGE                                                                             \
    "runsc spec [--bundle DIR] [--rootless]\n\n"                                                   \
    "Writes a default config.json (as runc spec does) into the bundle directory.\n"                \
    "  --bundle, -b DIR   bundle directory (default: current directory)\n"                         \
    "  --rootless         a spec for running without root privileges"
