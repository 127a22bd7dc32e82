/* Control.* methods that reply at once: StartRoot, Signal, Processes,
 * Execute, Pause, Resume, Event, Shutdown. (Wait is deferred: server.c.)
 *
 * Each handler checks its request, calls the backend op on the loop thread
 * and turns the result into a reply. Errnos (see README.md):
 *   EALREADY  StartRoot after a successful StartRoot
 *   EINVAL    a bad request (signal number, mode, pid, argv, fd count)
 *   ENOSYS    the backend does not serve the method
 *   others    from the backend (ESRCH: no such process, ...) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "sentry/control/internal.h"
#include "urpc/methods.h"
#include "urpc/proto/control.pb-c.h"

#define MAX_SIGNO 64

static const struct control_backend *backend(void *s, void **arg)
{
    return control_server_backend(s, arg);
}

static int op_error(struct urpc_reply *reply, const char *method, int r)
{
    char buf[128];
    int e = -r;
    if (e <= 0 || e > 4095)
        e = EIO;
    return urpc_reply_error(reply, e, "%s: %s", method, strerror_r(e, buf, sizeof(buf)));
}

static int start_root(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    int pid;
    if (control_server_root_started(s, &pid))
        return urpc_reply_error(reply, EALREADY,
                                "Control.StartRoot: the container's init is already started "
                                "(pid %d)",
                                pid);
    if (!be->start_root)
        return urpc_reply_error(reply, ENOSYS, "Control.StartRoot is not served by this sandbox");
    int r = be->start_root(arg);
    if (r < 0)
        return op_error(reply, "Control.StartRoot", r);
    control_server_set_root_started(s, r);
    Control__StartRootReply out = CONTROL__START_ROOT_REPLY__INIT;
    out.pid = r;
    return urpc_reply_set_msg(reply, &out.base);
}

static int signal_(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    const Control__SignalRequest *in = (const Control__SignalRequest *)req->msg;
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (in->signo < 0 || in->signo > MAX_SIGNO)
        return urpc_reply_error(reply, EINVAL, "Control.Signal: bad signal number %d", in->signo);
    enum control_target target;
    switch ((int)in->mode) {
    case CONTROL__SIGNAL_REQUEST__MODE__INIT:
        target = CONTROL_TARGET_INIT;
        break;
    case CONTROL__SIGNAL_REQUEST__MODE__ALL:
        target = CONTROL_TARGET_ALL;
        break;
    case CONTROL__SIGNAL_REQUEST__MODE__PID:
        target = CONTROL_TARGET_PID;
        if (in->pid <= 0)
            return urpc_reply_error(reply, EINVAL, "Control.Signal: bad pid %d", in->pid);
        break;
    default:
        return urpc_reply_error(reply, EINVAL, "Control.Signal: unknown mode %d", (int)in->mode);
    }
    if (!be->signal)
        return urpc_reply_error(reply, ENOSYS, "Control.Signal is not served by this sandbox");
    int r = be->signal(arg, target, target == CONTROL_TARGET_PID ? in->pid : 0, in->signo);
    if (r == -ESRCH) {
        if (target == CONTROL_TARGET_PID)
            return urpc_reply_error(reply, ESRCH, "Control.Signal: no process %d", in->pid);
        return urpc_reply_error(reply, ESRCH, "Control.Signal: the container's %s",
                                target == CONTROL_TARGET_INIT ? "init is not running"
                                                              : "processes are gone");
    }
    if (r < 0)
        return op_error(reply, "Control.Signal", r);
    Control__SignalReply out = CONTROL__SIGNAL_REPLY__INIT;
    return urpc_reply_set_msg(reply, &out.base);
}

static void free_entries(struct control_ps_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].cmd);
    free(e);
}

static int processes(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (!be->processes)
        return urpc_reply_error(reply, ENOSYS, "Control.Processes is not served by this sandbox");
    struct control_ps_entry *e = NULL;
    size_t n = 0;
    int r = be->processes(arg, &e, &n);
    if (r < 0)
        return op_error(reply, "Control.Processes", r);
    Control__Process *procs = calloc(n ? n : 1, sizeof(*procs));
    Control__Process **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
    char(*states)[2] = calloc(n ? n : 1, sizeof(*states));
    char(*comms)[sizeof(e->comm)] = calloc(n ? n : 1, sizeof(*comms));
    if (!procs || !ptrs || !states || !comms) {
        r = urpc_reply_error(reply, ENOMEM, "Control.Processes: out of memory");
        goto out_free;
    }
    for (size_t i = 0; i < n; i++) {
        Control__Process *p = &procs[i];
        control__process__init(p);
        p->pid = e[i].pid;
        p->ppid = e[i].ppid;
        p->uid = e[i].uid;
        p->pgid = e[i].pgid;
        p->sid = e[i].sid;
        memcpy(comms[i], e[i].comm, sizeof(comms[i]));
        comms[i][sizeof(comms[i]) - 1] = '\0';
        p->comm = comms[i];
        p->cmd = e[i].cmd ? e[i].cmd : comms[i];
        states[i][0] = e[i].state ? e[i].state : 'R';
        p->state = states[i];
        p->start_time_ns = e[i].start_time_ns;
        p->cpu_time_ns = e[i].cpu_time_ns;
        ptrs[i] = p;
    }
    Control__ProcessesReply out = CONTROL__PROCESSES_REPLY__INIT;
    out.n_processes = n;
    out.processes = ptrs;
    r = urpc_reply_set_msg(reply, &out.base);
    if (r < 0)
        r = urpc_reply_error(reply, -r, "Control.Processes: %zu processes do not fit a reply", n);
out_free:
    free(comms);
    free(states);
    free(ptrs);
    free(procs);
    free_entries(e, n);
    return r;
}

/* A NULL-terminated copy of the n pointers of v (the strings are shared). */
static char **null_terminated(char **v, size_t n)
{
    char **out = calloc(n + 1, sizeof(*out));
    if (out && n)
        memcpy(out, v, n * sizeof(*out));
    return out;
}

static int execute(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    const Control__ExecuteRequest *in = (const Control__ExecuteRequest *)req->msg;
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (in->n_argv == 0 || !in->argv[0][0])
        return urpc_reply_error(reply, EINVAL, "Control.Execute: no program (argv is empty)");
    size_t want = in->terminal ? 1 : 3;
    if (req->fd_count != want)
        return urpc_reply_error(
            reply, EINVAL, "Control.Execute: %s needs %zu stdio fds, the call carried %zu",
            in->terminal ? "a terminal" : "a process without a terminal", want, req->fd_count);
    if (!be->execute)
        return urpc_reply_error(reply, ENOSYS, "Control.Execute is not served by this sandbox");
    cleanup_free char **argv = null_terminated(in->argv, in->n_argv);
    cleanup_free char **envp = null_terminated(in->env, in->n_env);
    if (!argv || !envp)
        return urpc_reply_error(reply, ENOMEM, "Control.Execute: out of memory");
    struct control_exec_args e = {
        .argv = argv,
        .envp = envp,
        .cwd = in->cwd ? in->cwd : "",
        .uid = in->uid,
        .gid = in->gid,
        .groups = in->groups,
        .ngroups = in->n_groups,
        .cap_effective = in->cap_effective,
        .cap_permitted = in->cap_permitted,
        .cap_inheritable = in->cap_inheritable,
        .cap_bounding = in->cap_bounding,
        .cap_ambient = in->cap_ambient,
        .no_new_privs = in->no_new_privileges,
        .terminal = in->terminal,
    };
    for (int i = 0; i < 3; i++)
        e.stdio[i] = req->fds[in->terminal ? 0 : i];
    char msg[512] = "";
    int pid = 0;
    int r = be->execute(arg, &e, &pid, msg, sizeof(msg));
    if (r < 0 && msg[0])
        return urpc_reply_error(reply, -r > 4095 ? EIO : -r, "Control.Execute: %s", msg);
    if (r < 0)
        return op_error(reply, "Control.Execute", r);
    Control__ExecuteReply out = CONTROL__EXECUTE_REPLY__INIT;
    out.pid = pid;
    return urpc_reply_set_msg(reply, &out.base);
}

static int pause_(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (!be->pause)
        return urpc_reply_error(reply, ENOSYS, "Control.Pause is not served by this sandbox");
    int r = be->pause(arg);
    if (r < 0)
        return op_error(reply, "Control.Pause", r);
    Control__Empty out = CONTROL__EMPTY__INIT;
    return urpc_reply_set_msg(reply, &out.base);
}

static int resume(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (!be->resume)
        return urpc_reply_error(reply, ENOSYS, "Control.Resume is not served by this sandbox");
    int r = be->resume(arg);
    if (r < 0)
        return op_error(reply, "Control.Resume", r);
    Control__Empty out = CONTROL__EMPTY__INIT;
    return urpc_reply_set_msg(reply, &out.base);
}

static int event(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (!be->event)
        return urpc_reply_error(reply, ENOSYS, "Control.Event is not served by this sandbox");
    struct control_usage u = {0};
    int r = be->event(arg, &u);
    if (r < 0)
        return op_error(reply, "Control.Event", r);
    Control__EventReply out = CONTROL__EVENT_REPLY__INIT;
    out.memory_usage = u.memory_usage;
    out.memory_limit = u.memory_limit;
    out.pids = u.pids;
    out.cpu_time_ns = u.cpu_time_ns;
    return urpc_reply_set_msg(reply, &out.base);
}

static int shutdown_(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (!be->shutdown)
        return urpc_reply_error(reply, ENOSYS, "Control.Shutdown is not served by this sandbox");
    int r = be->shutdown(arg);
    if (r < 0)
        return op_error(reply, "Control.Shutdown", r);
    Control__Empty out = CONTROL__EMPTY__INIT;
    return urpc_reply_set_msg(reply, &out.base);
}

static int update_resources(void *s, struct urpc_request *req, struct urpc_reply *reply)
{
    void *arg;
    const struct control_backend *be = backend(s, &arg);
    if (!be->update_resources)
        return urpc_reply_error(reply, ENOSYS,
                                "Control.UpdateResources is not served by this sandbox");
    const Control__UpdateResourcesRequest *in = (const Control__UpdateResourcesRequest *)req->msg;
    struct control_resources l = {
        .memory_limit = in->memory_limit,
        .cpu_shares = in->cpu_shares,
        .cpu_quota_us = in->cpu_quota_us,
        .cpu_period_us = in->cpu_period_us,
        .pids_max = in->pids_max,
    };
    int r = be->update_resources(arg, &l);
    if (r < 0)
        return op_error(reply, "Control.UpdateResources", r);
    Control__Empty out = CONTROL__EMPTY__INIT;
    return urpc_reply_set_msg(reply, &out.base);
}

int control_register_handlers(struct urpc_server *u, struct control_server *s)
{
    static const struct {
        uint32_t method;
        const ProtobufCMessageDescriptor *req;
        urpc_handler_fn fn;
    } table[] = {
        {URPC_METHOD_CONTROL_START_ROOT, &control__start_root_request__descriptor, start_root},
        {URPC_METHOD_CONTROL_SIGNAL, &control__signal_request__descriptor, signal_},
        {URPC_METHOD_CONTROL_PROCESSES, &control__processes_request__descriptor, processes},
        {URPC_METHOD_CONTROL_EXECUTE, &control__execute_request__descriptor, execute},
        {URPC_METHOD_CONTROL_PAUSE, &control__pause_request__descriptor, pause_},
        {URPC_METHOD_CONTROL_RESUME, &control__resume_request__descriptor, resume},
        {URPC_METHOD_CONTROL_EVENT, &control__event_request__descriptor, event},
        {URPC_METHOD_CONTROL_SHUTDOWN, &control__shutdown_request__descriptor, shutdown_},
        {URPC_METHOD_CONTROL_UPDATE_RESOURCES, &control__update_resources_request__descriptor,
         update_resources},
    };
    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        int r = urpc_server_register(u, table[i].method, table[i].req, table[i].fn, s);
        if (r < 0)
            return r;
    }
    return 0;
}
