/* The runsc side of the sandbox's control protocol (urpc/proto/control.proto):
 * one blocking function per Control.* method, over a urpc_client connected
 * to the sandbox's control socket (runsc-<id>.sock).
 *
 * Every function returns 0 (or a value documented below) on success and a
 * negative value with *err set on failure: -errnum when the sandbox
 * answered with an error (err->status is that errno, e.g. ESRCH for a
 * signal to a process that is gone, EALREADY for a second StartRoot), or
 * the -errno of the connection. Messages name the method:
 * "Control.Signal: no process 42: No such process".
 *
 * One call at a time per client (a blocking Control.Wait holds it until the
 * process exits: use another client for anything else meanwhile). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "runsc/container/cgroup.h"

struct control_client;

/* Control.Signal targets (control.SignalRequest.Mode). */
enum control_signal_mode {
    CONTROL_SIGNAL_INIT = 0, /* the container's init: default actions apply even to pid 1 */
    CONTROL_SIGNAL_ALL = 1,  /* every process of the sandbox */
    CONTROL_SIGNAL_PID = 2,  /* one process, by its pid inside the sandbox */
};

/* A process to start in the container (runsc exec). */
struct control_exec {
    char *const *argv; /* NULL-terminated; argv[0] is the program */
    char *const *env;  /* NULL-terminated; NULL: none */
    const char *cwd;   /* NULL: "/" */
    uint32_t uid, gid;
    const uint32_t *groups; /* additional gids */
    size_t ngroups;
    bool terminal; /* one fd, the terminal, for stdin, stdout and stderr */
    uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
    bool no_new_privileges;
};

/* One process of the sandbox (a thread group), as `ps` shows it. */
struct control_process {
    int pid, ppid, pgid, sid; /* inside the sandbox */
    uint32_t uid;
    char state[4];         /* "R", "S", "T", "Z" */
    char comm[16];         /* the thread name */
    char *cmd;             /* argv joined with spaces (never NULL) */
    int64_t start_time_ns; /* since the sandbox booted */
    uint64_t cpu_time_ns;
};

/* Control.Event: resource usage of the sandbox. */
struct control_event {
    uint64_t memory_usage; /* bytes of application memory in use */
    uint64_t memory_limit; /* 0: none known */
    uint32_t pids;         /* live processes */
    uint64_t cpu_time_ns;
};

int control_connect(const char *sock_path, struct control_client **out, rs_error_t *err);
/* NULL is a no-op. */
void control_close(struct control_client *c);

/* Starts the container's init (once: EALREADY after). */
int control_start_root(struct control_client *c, rs_error_t *err);
/* Waits until pid (0: the container's init) exits; *status is its wait
 * status (WIFEXITED/WEXITSTATUS/WTERMSIG apply). A pid from
 * control_execute can be waited for once (ECHILD after). Blocks. */
int control_wait(struct control_client *c, int pid, int *status, rs_error_t *err);
/* pid is only used with CONTROL_SIGNAL_PID; signo 0 checks the target. */
int control_signal(struct control_client *c, enum control_signal_mode mode, int pid, int signo,
                   rs_error_t *err);
/* *out: an array of *count processes; free with control_processes_free
 * (also after an error: then *out is NULL and *count 0). */
int control_processes(struct control_client *c, struct control_process **out, size_t *count,
                      rs_error_t *err);
void control_processes_free(struct control_process *p, size_t count);
/* Starts e with fds as its stdio: 3 fds (stdin, stdout, stderr), or 1 when
 * e->terminal. The fds stay the caller's. *pid: its pid in the sandbox. */
int control_execute(struct control_client *c, const struct control_exec *e, const int *fds,
                    int nfds, int *pid, rs_error_t *err);
int control_pause(struct control_client *c, rs_error_t *err);
int control_resume(struct control_client *c, rs_error_t *err);
int control_event(struct control_client *c, struct control_event *out, rs_error_t *err);
/* Control.UpdateResources: the limits of the sandbox's host cgroup, as
 * cgroup_read_limits reads them, which its cgroupfs shows (0 in a field: not
 * known, or no limit). */
int control_update_resources(struct control_client *c, const struct cgroup_limits *l,
                             rs_error_t *err);
/* Kills every process of the sandbox and makes it exit. */
int control_shutdown(struct control_client *c, rs_error_t *err);
