/* Blocking Control.* calls from runsc to a running sandbox. */
#include "runsc/sandbox/control_client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "urpc/client.h"
#include "urpc/methods.h"
#include "urpc/proto/control.pb-c.h"

struct control_client {
    struct urpc_client *u;
};

int control_connect(const char *sock_path, struct control_client **out, rs_error_t *err)
{
    struct urpc_client *u = NULL;
    int r = urpc_client_connect(sock_path, &u);
    if (r < 0)
        return rs_error(err, -r, "connecting to the sandbox's control socket %s", sock_path);
    struct control_client *c = xzalloc(sizeof(*c));
    c->u = u;
    *out = c;
    return 0;
}

void control_close(struct control_client *c)
{
    if (!c)
        return;
    urpc_client_free(c->u);
    free(c);
}

/* One call. On failure fills *err (naming the method), releases res and
 * returns the negative errno. */
static int call(struct control_client *c, uint32_t method, const ProtobufCMessage *req,
                const int *fds, size_t nfds, const ProtobufCMessageDescriptor *reply_desc,
                struct urpc_result *res, rs_error_t *err)
{
    int r = urpc_client_call(c->u, method, req, fds, nfds, reply_desc, res);
    if (r == 0)
        return 0;
    const char *name = urpc_method_name(method);
    if (!name)
        name = "Control call";
    int e = -r;
    if (res->remote_error) {
        /* The sandbox's message, naming the method once and ending with
         * the errno's text once. */
        const char *msg = res->error_msg;
        char buf[128];
        const char *plain = strerror_r(e, buf, sizeof(buf));
        size_t nl = strlen(name), ml = strlen(msg), pl = strlen(plain);
        bool named = strncmp(msg, name, nl) == 0 && msg[nl] == ':';
        bool ends_plain = ml >= pl && strcmp(msg + ml - pl, plain) == 0;
        if (!msg[0] || strcmp(msg, plain) == 0)
            rs_error(err, e, "%s", name);
        else if (ends_plain)
            rs_error(err, 0, "%s%s%s", named ? "" : name, named ? "" : ": ", msg);
        else
            rs_error(err, e, "%s%s%s", named ? "" : name, named ? "" : ": ", msg);
        (*err)->status = e;
    } else if (r == -ECONNRESET) {
        rs_error(err, e, "%s: the sandbox closed the control connection", name);
    } else if (r == -EBADMSG || r == -EPROTO) {
        rs_error(err, e, "%s: bad reply from the sandbox", name);
    } else if (r == -ENOTCONN) {
        rs_error(err, e, "%s: the control connection is unusable after an earlier error", name);
    } else {
        rs_error(err, e, "%s", name);
    }
    urpc_result_release(res);
    return r;
}

/* A call whose reply (of type reply_desc, checked; NULL: not decoded) the
 * caller does not need, without fds. */
static int simple_call(struct control_client *c, uint32_t method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *reply_desc, rs_error_t *err)
{
    struct urpc_result res;
    int r = call(c, method, req, NULL, 0, reply_desc, &res, err);
    if (r < 0)
        return r;
    urpc_result_release(&res);
    return 0;
}

int control_start_root(struct control_client *c, rs_error_t *err)
{
    Control__StartRootRequest req = CONTROL__START_ROOT_REQUEST__INIT;
    return simple_call(c, URPC_METHOD_CONTROL_START_ROOT, &req.base,
                       &control__start_root_reply__descriptor, err);
}

int control_wait(struct control_client *c, int pid, int *status, rs_error_t *err)
{
    Control__WaitRequest req = CONTROL__WAIT_REQUEST__INIT;
    req.pid = pid;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_CONTROL_WAIT, &req.base, NULL, 0, &control__wait_reply__descriptor,
                 &res, err);
    if (r < 0)
        return r;
    *status = ((Control__WaitReply *)res.msg)->status;
    urpc_result_release(&res);
    return 0;
}

int control_signal(struct control_client *c, enum control_signal_mode mode, int pid, int signo,
                   rs_error_t *err)
{
    Control__SignalRequest req = CONTROL__SIGNAL_REQUEST__INIT;
    req.signo = signo;
    req.mode = (Control__SignalRequest__Mode)mode;
    req.pid = pid;
    return simple_call(c, URPC_METHOD_CONTROL_SIGNAL, &req.base, &control__signal_reply__descriptor,
                       err);
}

int control_processes(struct control_client *c, struct control_process **out, size_t *count,
                      rs_error_t *err)
{
    *out = NULL;
    *count = 0;
    Control__ProcessesRequest req = CONTROL__PROCESSES_REQUEST__INIT;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_CONTROL_PROCESSES, &req.base, NULL, 0,
                 &control__processes_reply__descriptor, &res, err);
    if (r < 0)
        return r;
    const Control__ProcessesReply *rep = (const Control__ProcessesReply *)res.msg;
    size_t n = rep->n_processes;
    struct control_process *ps = xzalloc((n ? n : 1) * sizeof(*ps));
    for (size_t i = 0; i < n; i++) {
        const Control__Process *p = rep->processes[i];
        ps[i].pid = p->pid;
        ps[i].ppid = p->ppid;
        ps[i].pgid = p->pgid;
        ps[i].sid = p->sid;
        ps[i].uid = p->uid;
        snprintf(ps[i].state, sizeof(ps[i].state), "%s", p->state && p->state[0] ? p->state : "?");
        snprintf(ps[i].comm, sizeof(ps[i].comm), "%s", p->comm ? p->comm : "");
        ps[i].cmd = xstrdup(p->cmd && p->cmd[0] ? p->cmd : ps[i].comm);
        ps[i].start_time_ns = p->start_time_ns;
        ps[i].cpu_time_ns = p->cpu_time_ns;
    }
    urpc_result_release(&res);
    *out = ps;
    *count = n;
    return 0;
}

void control_processes_free(struct control_process *p, size_t count)
{
    if (!p)
        return;
    for (size_t i = 0; i < count; i++)
        free(p[i].cmd);
    free(p);
}

static size_t strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int control_execute(struct control_client *c, const struct control_exec *e, const int *fds,
                    int nfds, int *pid, rs_error_t *err)
{
    int want = e->terminal ? 1 : 3;
    if (nfds != want)
        return rs_error(err, EINVAL, "Control.Execute: %d stdio fds given, %s needs %d", nfds,
                        e->terminal ? "a terminal" : "a process without a terminal", want);
    Control__ExecuteRequest req = CONTROL__EXECUTE_REQUEST__INIT;
    req.n_argv = strv_len(e->argv);
    req.argv = (char **)e->argv;
    req.n_env = strv_len(e->env);
    req.env = (char **)e->env;
    req.cwd = (char *)(e->cwd ? e->cwd : "/");
    req.uid = e->uid;
    req.gid = e->gid;
    req.n_groups = e->ngroups;
    req.groups = (uint32_t *)e->groups;
    req.terminal = e->terminal;
    req.cap_effective = e->cap_effective;
    req.cap_permitted = e->cap_permitted;
    req.cap_inheritable = e->cap_inheritable;
    req.cap_bounding = e->cap_bounding;
    req.cap_ambient = e->cap_ambient;
    req.no_new_privileges = e->no_new_privileges;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_CONTROL_EXECUTE, &req.base, fds, (size_t)nfds,
                 &control__execute_reply__descriptor, &res, err);
    if (r < 0)
        return r;
    *pid = ((Control__ExecuteReply *)res.msg)->pid;
    urpc_result_release(&res);
    return 0;
}

int control_pause(struct control_client *c, rs_error_t *err)
{
    Control__PauseRequest req = CONTROL__PAUSE_REQUEST__INIT;
    return simple_call(c, URPC_METHOD_CONTROL_PAUSE, &req.base, NULL, err);
}

int control_resume(struct control_client *c, rs_error_t *err)
{
    Control__ResumeRequest req = CONTROL__RESUME_REQUEST__INIT;
    return simple_call(c, URPC_METHOD_CONTROL_RESUME, &req.base, NULL, err);
}

int control_update_resources(struct control_client *c, const struct cgroup_limits *l,
                             rs_error_t *err)
{
    Control__UpdateResourcesRequest req = CONTROL__UPDATE_RESOURCES_REQUEST__INIT;
    req.memory_limit = l->memory_limit;
    req.cpu_shares = l->cpu_shares;
    req.cpu_quota_us = l->cpu_quota_us;
    req.cpu_period_us = l->cpu_period_us;
    req.pids_max = l->pids_max;
    return simple_call(c, URPC_METHOD_CONTROL_UPDATE_RESOURCES, &req.base,
                       &control__empty__descriptor, err);
}

int control_shutdown(struct control_client *c, rs_error_t *err)
{
    Control__ShutdownRequest req = CONTROL__SHUTDOWN_REQUEST__INIT;
    return simple_call(c, URPC_METHOD_CONTROL_SHUTDOWN, &req.base, NULL, err);
}

int control_event(struct control_client *c, struct control_event *out, rs_error_t *err)
{
    memset(out, 0, sizeof(*out));
    Control__EventRequest req = CONTROL__EVENT_REQUEST__INIT;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_CONTROL_EVENT, &req.base, NULL, 0,
                 &control__event_reply__descriptor, &res, err);
    if (r < 0)
        return r;
    const Control__EventReply *ev = (const Control__EventReply *)res.msg;
    out->memory_usage = ev->memory_usage;
    out->memory_limit = ev->memory_limit;
    out->pids = ev->pids;
    out->cpu_time_ns = ev->cpu_time_ns;
    urpc_result_release(&res);
    return 0;
}
