/* The sandbox's control server: a libuv loop on one dedicated host thread,
 * serving the methods of urpc/proto/control.proto (Control.*) to runsc
 * commands over the donated controller socket.
 *
 * The server knows nothing of the kernel: every method calls through a
 * struct control_backend (an ops table) that the boot code fills with the
 * real kernel functions (sentry/control/kernel_backend.h) and unit tests
 * with fakes. See sentry/control/README.md for the protocol rules (errnos,
 * fds, Wait semantics).
 *
 * Threads: every op but wait is called on the loop thread, one at a time.
 * wait is called on a thread of its own per pending Control.Wait (it
 * blocks until the process exits), concurrently with the other ops and
 * with other waits. Ops return 0 (or a pid) or -errno; a NULL op makes its
 * method answer ENOSYS. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Control.Signal targets (the values of control.SignalRequest.Mode). */
enum control_target {
    CONTROL_TARGET_INIT = 0, /* the container's init, external semantics */
    CONTROL_TARGET_ALL = 1,  /* every thread group of the sandbox */
    CONTROL_TARGET_PID = 2,  /* one thread group */
};

/* Control.Execute, decoded and checked by the server. */
struct control_exec_args {
    char *const *argv; /* NULL-terminated, argv[0] non-empty */
    char *const *envp; /* NULL-terminated (maybe empty) */
    const char *cwd;   /* "" means "/" */
    uint32_t uid, gid;
    const uint32_t *groups;
    size_t ngroups;
    uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
    bool no_new_privs;
    bool terminal; /* stdio[0..2] are the same terminal fd */
    int stdio[3];  /* host fds, borrowed: dup the ones to keep */
};

/* One row of Control.Processes (one thread group). */
struct control_ps_entry {
    int pid, ppid, pgid, sid;
    uint32_t uid;
    char comm[16];
    char state;            /* 'R', 'S', 'T', 'Z' */
    char *cmd;             /* malloc'ed, argv joined with spaces; NULL: unknown */
    int64_t start_time_ns; /* since the sandbox booted */
    uint64_t cpu_time_ns;
};

/* Control.Event. */
struct control_usage {
    uint64_t memory_usage; /* bytes of the MemoryFile in use */
    uint64_t memory_limit; /* 0: none known */
    uint64_t cpu_time_ns;
    uint32_t pids; /* live thread groups */
};

/* Control.UpdateResources: the host cgroup's limits (0: not known / none). */
struct control_resources {
    int64_t memory_limit;
    uint64_t cpu_shares;
    int64_t cpu_quota_us;
    uint64_t cpu_period_us;
    int64_t pids_max;
};

struct control_backend {
    /* Starts the container's init. Returns its pid, or -errno. Called at
     * most once successfully: the server answers later calls EALREADY. */
    int (*start_root)(void *arg);
    /* Blocks until process pid (0: the container's init) has exited and
     * stores its wait status (W* encoding). A process started by execute
     * is reaped by its first successful wait; -ECHILD for a pid that is not
     * init nor an execute'd process still unreaped. On its own thread. */
    int (*wait)(void *arg, int pid, int *status);
    /* Sends signo (0: only check the target exists) to target; pid is only
     * meaningful for CONTROL_TARGET_PID. -ESRCH when the target is gone. */
    int (*signal)(void *arg, enum control_target target, int pid, int signo);
    /* A malloc'ed array of *count entries (the server frees each cmd and
     * the array). */
    int (*processes)(void *arg, struct control_ps_entry **out, size_t *count);
    /* Starts a process; stores its pid. msg (msg_size bytes, starts empty)
     * may receive a message for the error reply, e.g. "exec /x: no such
     * file or directory". */
    int (*execute)(void *arg, const struct control_exec_args *e, int *pid, char *msg,
                   size_t msg_size);
    /* Stop / continue every task: no application code runs and no signal
     * is acted on between pause and resume. Both are idempotent. */
    int (*pause)(void *arg);
    int (*resume)(void *arg);
    int (*event)(void *arg, struct control_usage *out);
    /* Kills every process and makes the sandbox exit. The reply is sent
     * before the server stops (control_server_stop flushes it). */
    int (*shutdown)(void *arg);
    /* The limits the sandbox's cgroupfs shows from now on. */
    int (*update_resources)(void *arg, const struct control_resources *l);
};

struct control_server;

/* Serves connections accepted on listen_fd (a listening unix stream
 * socket; the server owns it from now on, in every case) with be and arg,
 * on a new host thread. be and arg must outlive the server and the waits it
 * started (a wait that is still blocked when the server stops finishes on
 * its own thread and is dropped). Returns 0, -ENOMEM, or the -errno of
 * libuv or pthread_create. */
int control_server_start(int listen_fd, const struct control_backend *be, void *arg,
                         struct control_server **out);
/* Stops the server from any thread but the loop's own, and frees it. It
 * accepts no more connections; Control.Wait calls under way get up to a
 * second to finish and be answered (when the sandbox ends with its init,
 * the waits for it and for the processes killed with it finish at once);
 * then queued replies are flushed (for at most another second), the
 * connections closed and the thread joined. NULL is a no-op. */
void control_server_stop(struct control_server *s);
