/* Launching the sandbox process (runsc boot) the way DESIGN.md section 2
 * describes: new user, mount, IPC, UTS and PID namespaces (and network
 * unless the host's is used), uid/gid 65534 mapped to 65534 (rootless: to
 * the caller), the ambient capabilities SYS_ADMIN, SYS_CHROOT and SETPCAP,
 * an empty environment, argv[0] "runsc-sandbox", setsid. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"
#include "runsc/globals.h"
#include "runsc/sandbox/donation.h"

struct launch_opts {
    bool new_netns;         /* false with --network=host or a netns to join */
    const char *join_netns; /* path of a network namespace to join, or NULL */
    bool rootless;
    const char *const *boot_args; /* extra "runsc boot" flags (NULL-terminated) */
    const char *cgroup;           /* cgroup path the sandbox joins before it runs, or NULL */
    int stdio[3];                 /* become the sandbox's fds 0, 1, 2 (the container's stdio) */
};

/* Starts runsc boot with the donated fds. The child is ours (waitpid). */
int sandbox_launch(struct runsc_globals *g, const struct launch_opts *o, struct donation *d,
                   pid_t *pid, rs_error_t *err);

/* Starts the gofer (runsc gofer) in its own mount namespace, as root. It
 * serves root on the first of d's io-fds and binds[i] (read-only when
 * binds_ro[i]) on the (2 + i)th. */
int gofer_launch(struct runsc_globals *g, const char *root, bool readonly, char *const *binds,
                 const bool *binds_ro, size_t nbinds, struct donation *d, pid_t *pid,
                 rs_error_t *err);

/* Checks that the runsc binary can be executed by uid 65534 (every
 * directory on its path searchable, the file executable by others). */
int sandbox_check_exec_by_nobody(rs_error_t *err);

/* The path of the running runsc binary (/proc/self/exe) into buf. */
int sandbox_exe_path(char *buf, size_t size, rs_error_t *err);
