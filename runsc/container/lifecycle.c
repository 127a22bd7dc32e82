/* The OCI lifecycle commands. The state file under --root is the source of
 * truth between commands; a running sandbox is reached only through its
 * control socket. */
#include "runsc/container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/log.h"
#include "runsc/container/bootcfg.h"
#include "runsc/container/cgroup.h"
#include "runsc/container/mountpoints.h"
#include "runsc/container/state.h"
#include "runsc/sandbox/control_client.h"
#include "runsc/sandbox/launch.h"
#include "runsc/spec/spec.h"
#include "urpc/conn.h"

/* Each bind mount is one gofer connection: a donated fd of the gofer and of
 * the sandbox (runsc/sandbox/donation.h has room for 64). */
#define MAX_BIND_MOUNTS 48

/* ---- helpers -------------------------------------------------------------- */

static char *socket_path(const char *root, const char *id)
{
    const char *dirs[] = {root, "/var/run", "/run", "/tmp"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char *p = xasprintf("%s/runsc-%s.sock", dirs[i], id);
        /* A directory the caller can create the socket in (rootless: not /run). */
        if (strlen(p) < sizeof(((struct sockaddr_un *)0)->sun_path) &&
            access(dirs[i], W_OK | X_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

/* Sends fd over the unix socket at path with SCM_RIGHTS (runc's console
 * socket protocol: one message, the fd, a short payload). */
static int send_console(const char *path, int fd, rs_error_t *err)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return rs_error(err, errno, "socket");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(s);
        return rs_error(err, e, "connecting to the console socket %s", path);
    }
    char name[] = "/dev/ptmx";
    struct iovec iov = {name, sizeof(name)};
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof(cbuf));
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t r = sendmsg(s, &mh, 0);
    int e = errno;
    close(s);
    if (r < 0)
        return rs_error(err, e, "sending the terminal to %s", path);
    return 0;
}

static int write_pid_file(const char *path, pid_t pid, rs_error_t *err)
{
    if (!path)
        return 0;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
    return fu_write_file_atomic(path, buf, (size_t)n, 0644, err);
}

/* Runs the hooks of one kind with the state JSON on stdin (OCI spec). */
static int run_hooks(const struct spec *s, enum spec_hook_kind kind, const char *state_json,
                     rs_error_t *err)
{
    const struct spec_hook_list *l = &s->hooks[kind];
    for (size_t i = 0; i < l->count; i++) {
        const struct spec_hook *h = &l->items[i];
        int in[2];
        if (pipe2(in, O_CLOEXEC) < 0)
            return rs_error(err, errno, "pipe");
        pid_t p = fork();
        if (p < 0) {
            close(in[0]);
            close(in[1]);
            return rs_error(err, errno, "fork");
        }
        if (p == 0) {
            dup2(in[0], 0);
            char *argv0[] = {h->path, NULL};
            char *envp0[] = {NULL};
            execve(h->path, h->args.items ? h->args.items : argv0,
                   h->env.items ? h->env.items : envp0);
            _exit(127);
        }
        close(in[0]);
        signal(SIGPIPE, SIG_IGN);
        fu_write_all(in[1], state_json, strlen(state_json));
        close(in[1]);
        int timeout = h->timeout_set ? h->timeout : 0;
        time_t end = time(NULL) + timeout;
        int st = 0;
        for (;;) {
            pid_t w = waitpid(p, &st, timeout ? WNOHANG : 0);
            if (w == p)
                break;
            if (w < 0 && errno != EINTR)
                break;
            if (timeout && time(NULL) >= end) {
                kill(p, SIGKILL);
                waitpid(p, &st, 0);
                return rs_error(err, 0, "%s hook %s timed out after %d s",
                                spec_hook_kind_name(kind), h->path, timeout);
            }
            if (timeout)
                usleep(10000);
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return rs_error(err, 0, "%s hook %s failed (status %d)", spec_hook_kind_name(kind),
                            h->path, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
    return 0;
}

static int load_locked(struct runsc_globals *g, const char *id, int how, int *lock,
                       struct container_state *st, rs_error_t *err)
{
    if (state_lock(g->root, id, how, false, lock, err) < 0)
        return -1;
    if (state_load(g->root, id, st, err) < 0) {
        close(*lock);
        *lock = -1;
        return -1;
    }
    return 0;
}

static char *owner_name(void)
{
    struct passwd *pw = getpwuid(geteuid());
    return xstrdup(pw ? pw->pw_name : "");
}

static bool pid_gone(pid_t pid)
{
    return pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH);
}

static void kill_and_wait(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    for (int i = 0; i < 500 && !pid_gone(pid); i++) {
        waitpid(pid, NULL, WNOHANG);
        usleep(10000);
    }
}

/* Connects to the sandbox of a container. */
static int connect_sandbox(const struct container_state *st, struct control_client **c,
                           rs_error_t *err)
{
    if (!st->control_socket || !st->control_socket[0])
        return rs_error(err, 0, "container \"%s\" has no control socket", st->id);
    if (control_connect(st->control_socket, c, err) < 0)
        return rs_error_wrap(err, "container \"%s\"", st->id);
    return 0;
}

/* ---- create ---------------------------------------------------------------- */

struct created {
    pid_t sandbox, gofer;
    char *sock;
    char *cgroup;
    int sync_r;
};

/* Moves one end of each gofer connection into io_fds (the donation that gets
 * io_fds owns them from then on). */
static void take_ends(int conn[][2], size_t n, int end, int *io_fds)
{
    for (size_t i = 0; i < n; i++) {
        io_fds[i] = conn[i][end];
        conn[i][end] = -1;
    }
}

static void undo_create(struct runsc_globals *g, const char *id, struct created *c)
{
    kill_and_wait(c->sandbox);
    kill_and_wait(c->gofer);
    if (c->cgroup)
        cgroup_destroy(c->cgroup);
    if (c->sock)
        unlink(c->sock);
    state_remove(g->root, id);
}

static int do_create(struct runsc_globals *g, const struct create_opts *o, struct spec **spec_out,
                     struct container_state *st_out, rs_error_t *err)
{
    const char *bundle = o->bundle ? o->bundle : ".";
    struct spec *s = NULL;
    if (state_check_id(o->id, err) < 0)
        return -1;
    if (spec_load(bundle, &s, err) < 0)
        return -1;
    if (spec_validate_for_create(s, err) < 0) {
        spec_free(s);
        return rs_error_wrap(err, "%s/config.json", bundle);
    }
    struct stat sb;
    int e = stat(s->root.abs_path, &sb) < 0 ? errno : S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
    if (e) {
        rs_error(err, e, "root.path %s", s->root.abs_path);
        spec_free(s);
        return -1;
    }
    struct bootcfg_mounts mounts;
    if (bootcfg_mounts(s, &mounts, err) < 0) {
        spec_free(s);
        return rs_error_wrap(err, "%s/config.json", bundle);
    }
    if (mounts.bind_count > MAX_BIND_MOUNTS) {
        rs_error(err, 0, "%s/config.json: %zu bind mounts (at most %d)", bundle, mounts.bind_count,
                 MAX_BIND_MOUNTS);
        bootcfg_mounts_free(&mounts);
        spec_free(s);
        return -1;
    }
    if (mountpoints_create(s->root.abs_path, &mounts, err) < 0) {
        bootcfg_mounts_free(&mounts);
        spec_free(s);
        return -1;
    }
    if (s->process->terminal && !o->console_socket) {
        bootcfg_mounts_free(&mounts);
        spec_free(s);
        return rs_error(err, 0, "process.terminal is set but --console-socket was not given");
    }
    int lock = -1;
    if (state_lock(g->root, o->id, LOCK_EX, true, &lock, err) < 0) {
        bootcfg_mounts_free(&mounts);
        spec_free(s);
        return -1;
    }
    struct created c = {0};
    int r = -1;
    int sync[2] = {-1, -1}, listen_fd = -1, cfg_fd = -1;
    /* The gofer connections: the root's, then one per bind mount. [i][0] is
     * the sandbox's end, [i][1] the gofer's. */
    int conn[1 + MAX_BIND_MOUNTS][2];
    size_t nconn = 1 + mounts.bind_count;
    for (size_t i = 0; i < nconn; i++)
        conn[i][0] = conn[i][1] = -1;
    int master = -1, slave = -1;
    c.sock = socket_path(g->root, o->id);
    if (!c.sock) {
        rs_error(err, ENAMETOOLONG, "no directory for the control socket of \"%s\"", o->id);
        goto fail;
    }
    unlink(c.sock);
    if (urpc_listen(c.sock, &listen_fd) < 0) {
        rs_error(err, errno, "creating the control socket %s", c.sock);
        goto fail;
    }
    chmod(c.sock, 0600);
    if (pipe2(sync, O_CLOEXEC) < 0) {
        rs_error(err, errno, "pipe");
        goto fail;
    }
    for (size_t i = 0; i < nconn; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, conn[i]) < 0) {
            rs_error(err, errno, "socketpair");
            goto fail;
        }
    /* The cgroup (not rootless: no permission there), before the boot
     * configuration: it carries the limits the sandbox will be under, read
     * back from that cgroup (or the caller's, which the sandbox stays in
     * without one) for the sandbox's cgroupfs. */
    c.cgroup = g->rootless ? NULL : cgroup_path_of(s);
    if (c.cgroup && cgroup_create(c.cgroup, s, err) < 0)
        goto fail;
    struct cgroup_limits limits;
    cgroup_read_limits(c.cgroup, &limits);
    cfg_fd = bootcfg_fd(g, s, &mounts, &limits, err);
    if (cfg_fd < 0)
        goto fail;
    int stdio[3] = {0, 1, 2};
    if (s->process->terminal) {
        if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
            rs_error(err, errno, "openpty");
            goto fail;
        }
        if (s->process->console_size_set) {
            struct winsize ws = {.ws_row = (unsigned short)s->process->console_height,
                                 .ws_col = (unsigned short)s->process->console_width};
            ioctl(master, TIOCSWINSZ, &ws);
        }
        if (send_console(o->console_socket, master, err) < 0)
            goto fail;
        close(master);
        master = -1;
        stdio[0] = stdio[1] = stdio[2] = slave;
    }
    /* The gofer. */
    struct donation gd;
    donation_init(&gd);
    int io_fds[1 + MAX_BIND_MOUNTS];
    take_ends(conn, nconn, 1, io_fds);
    donation_add_list(&gd, "io-fds", io_fds, nconn);
    if (log_fd() >= 0)
        donation_add(&gd, "log-fd", dup(log_fd()));
    if (gofer_launch(g, s->root.abs_path, s->root.readonly, mounts.sources, mounts.readonly,
                     mounts.bind_count, &gd, &c.gofer, err) < 0)
        goto fail;
    if (c.cgroup && cgroup_add(c.cgroup, c.gofer, err) < 0)
        goto fail;
    /* The sandbox. */
    struct donation sd;
    donation_init(&sd);
    donation_add(&sd, "spec-fd", cfg_fd);
    cfg_fd = -1;
    take_ends(conn, nconn, 0, io_fds);
    donation_add_list(&sd, "io-fds", io_fds, nconn);
    donation_add(&sd, "controller-fd", listen_fd);
    listen_fd = -1;
    donation_add(&sd, "start-sync-fd", sync[1]);
    sync[1] = -1;
    int sfds[3] = {dup(stdio[0]), dup(stdio[1]), dup(stdio[2])};
    donation_add_list(&sd, "stdio-fds", sfds, 3);
    if (log_fd() >= 0)
        donation_add(&sd, "log-fd", dup(log_fd()));
    const struct spec_namespace *net = spec_find_namespace(s, SPEC_NS_NETWORK);
    struct launch_opts lo = {
        .new_netns = strcmp(g->network, "host") != 0 && (!net || !net->path),
        .join_netns = strcmp(g->network, "host") != 0 && net ? net->path : NULL,
        .rootless = g->rootless,
        .cgroup = c.cgroup,
        .stdio = {stdio[0], stdio[1], stdio[2]},
    };
    static const char *const boot_args[] = {"--setup-root", NULL};
    lo.boot_args = boot_args;
    if (sandbox_launch(g, &lo, &sd, &c.sandbox, err) < 0)
        goto fail;
    if (slave >= 0) {
        close(slave); /* the sandbox has it now */
        slave = -1;
    }
    /* Wait for the sandbox to be ready (one byte) or to die (EOF). */
    char b;
    ssize_t n;
    do
        n = read(sync[0], &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
        int status = 0;
        waitpid(c.sandbox, &status, 0);
        c.sandbox = 0;
        rs_error(err, 0, "the sandbox died while starting (%s %d); see its log%s",
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                 g->log ? "" : " (use --debug --debug-log DIR/)");
        goto fail;
    }
    /* The state. */
    struct container_state st = {0};
    st.id = xstrdup(o->id);
    st.bundle = xstrdup(s->bundle);
    st.status = xstrdup("created");
    st.pid = c.sandbox;
    st.sandbox_pid = c.sandbox;
    st.gofer_pid = c.gofer;
    st.created = state_now_rfc3339();
    st.owner = owner_name();
    st.control_socket = xstrdup(c.sock);
    st.cgroup_path = xstrdup(c.cgroup ? c.cgroup : "");
    json_t *ann = json_object();
    for (size_t i = 0; i < s->annotations_count; i++)
        json_object_set_new(ann, s->annotations[i].key, json_string(s->annotations[i].value));
    st.annotations_json = json_dumps(ann, JSON_COMPACT);
    json_decref(ann);
    if (state_save(g->root, &st, err) < 0 || write_pid_file(o->pid_file, c.sandbox, err) < 0) {
        state_release(&st);
        goto fail;
    }
    char *sj = state_to_oci_json(&st);
    int hr = run_hooks(s, SPEC_HOOK_PRESTART, sj, err);
    if (hr == 0)
        hr = run_hooks(s, SPEC_HOOK_CREATE_RUNTIME, sj, err);
    free(sj);
    if (hr < 0) {
        state_release(&st);
        goto fail;
    }
    *st_out = st;
    *spec_out = s;
    s = NULL;
    r = 0;
    close(sync[0]);
    sync[0] = -1;
    bootcfg_mounts_free(&mounts);
    free(c.sock);
    free(c.cgroup);
    close(lock);
    return 0;
fail:
    undo_create(g, o->id, &c);
    free(c.sock);
    free(c.cgroup);
    bootcfg_mounts_free(&mounts);
    for (size_t i = 0; i < nconn; i++)
        for (int j = 0; j < 2; j++)
            if (conn[i][j] >= 0)
                close(conn[i][j]);
    if (sync[0] >= 0)
        close(sync[0]);
    if (sync[1] >= 0)
        close(sync[1]);
    if (listen_fd >= 0)
        close(listen_fd);
    if (cfg_fd >= 0)
        close(cfg_fd);
    if (master >= 0)
        close(master);
    if (slave >= 0)
        close(slave);
    close(lock);
    spec_free(s);
    return r;
}

int container_create(struct runsc_globals *g, const struct create_opts *o, rs_error_t *err)
{
    struct spec *s = NULL;
    struct container_state st;
    if (do_create(g, o, &s, &st, err) < 0)
        return -1;
    state_release(&st);
    spec_free(s);
    return 0;
}

/* ---- start / kill / delete / wait ----------------------------------------- */

static int set_status(struct runsc_globals *g, struct container_state *st, const char *status,
                      rs_error_t *err)
{
    free(st->status);
    st->status = xstrdup(status);
    return state_save(g->root, st, err);
}

int container_start(struct runsc_globals *g, const char *id, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, id, LOCK_EX, &lock, &st, err) < 0)
        return -1;
    int r = -1;
    if (strcmp(st.status, "created") != 0) {
        rs_error(err, 0, "cannot start a container that is %s", st.status);
        goto out;
    }
    struct control_client *c;
    if (connect_sandbox(&st, &c, err) < 0)
        goto out;
    r = control_start_root(c, err);
    control_close(c);
    if (r < 0)
        goto out;
    r = set_status(g, &st, "running", err);
    if (r == 0) {
        struct spec *s = NULL;
        rs_error_t herr = NULL;
        if (spec_load(st.bundle, &s, &herr) == 0) {
            char *sj = state_to_oci_json(&st);
            if (run_hooks(s, SPEC_HOOK_POSTSTART, sj, &herr) < 0)
                log_warn("%s", herr->msg);
            free(sj);
            spec_free(s);
        }
        rs_error_release(&herr);
    }
out:
    state_release(&st);
    close(lock);
    return r;
}

int container_kill(struct runsc_globals *g, const char *id, int sig, bool all, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, id, LOCK_SH, &lock, &st, err) < 0)
        return -1;
    int r = -1;
    if (strcmp(st.status, "stopped") == 0) {
        rs_error(err, 0, "container \"%s\" is not running", id);
        goto out;
    }
    if (strcmp(st.status, "created") == 0) {
        /* No init yet: the signal ends the sandbox (as for runc's init
         * waiting in runc init) unless it is ignorable by default. */
        if (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT || sig == 0) {
            r = 0;
            goto out;
        }
        kill(st.sandbox_pid, SIGKILL);
        kill(st.gofer_pid, SIGKILL);
        r = 0;
        goto out;
    }
    struct control_client *c;
    if (connect_sandbox(&st, &c, err) < 0)
        goto out;
    r = control_signal(c, all ? CONTROL_SIGNAL_ALL : CONTROL_SIGNAL_INIT, 0, sig, err);
    control_close(c);
out:
    state_release(&st);
    close(lock);
    return r;
}

int container_delete(struct runsc_globals *g, const char *id, bool force, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, id, LOCK_EX, &lock, &st, err) < 0) {
        /* runc: deleting a container that is already gone is not an error
         * with --force (an engine's clean-up after an aborted start). */
        rs_error_t idcheck = NULL;
        bool valid = state_check_id(id, &idcheck) == 0;
        rs_error_release(&idcheck);
        if (force && valid && (*err)->status == 0 && strstr((*err)->msg, "does not exist")) {
            rs_error_release(err);
            cleanup_free char *dir = xasprintf("%s/%s", g->root, id);
            rmdir(dir);
            return 0;
        }
        return -1;
    }
    if (strcmp(st.status, "stopped") != 0 && !force) {
        rs_error(err, 0, "cannot delete container \"%s\" that is not stopped: %s", id, st.status);
        state_release(&st);
        close(lock);
        return -1;
    }
    kill_and_wait(st.sandbox_pid);
    kill_and_wait(st.gofer_pid);
    if (st.cgroup_path && st.cgroup_path[0]) {
        /* Stubs left by a killed sandbox die with it; then the cgroup is empty. */
        pid_t *left = NULL;
        size_t n = 0;
        if (cgroup_pids(st.cgroup_path, &left, &n) == 0)
            for (size_t i = 0; i < n; i++)
                kill_and_wait(left[i]);
        free(left);
        cgroup_destroy(st.cgroup_path);
    }
    if (st.control_socket && st.control_socket[0])
        unlink(st.control_socket);
    struct spec *s = NULL;
    rs_error_t herr = NULL;
    if (spec_load(st.bundle, &s, &herr) == 0) {
        free(st.status);
        st.status = xstrdup("stopped");
        char *sj = state_to_oci_json(&st);
        if (run_hooks(s, SPEC_HOOK_POSTSTOP, sj, &herr) < 0)
            log_warn("%s", herr->msg);
        free(sj);
        spec_free(s);
    }
    rs_error_release(&herr);
    state_remove(g->root, id);
    state_release(&st);
    close(lock);
    return 0;
}

int container_wait(struct runsc_globals *g, const char *id, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, id, LOCK_SH, &lock, &st, err) < 0)
        return -1;
    close(lock);
    int r;
    if (strcmp(st.status, "stopped") == 0) {
        r = rs_error(err, 0, "container \"%s\" is stopped: its status is gone", id);
    } else {
        struct control_client *c;
        r = connect_sandbox(&st, &c, err);
        if (r == 0) {
            int status = 0;
            r = control_wait(c, 0, &status, err);
            control_close(c);
            if (r == 0)
                r = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
    }
    state_release(&st);
    return r;
}

int container_run(struct runsc_globals *g, const struct create_opts *o, bool detach,
                  rs_error_t *err)
{
    struct spec *s = NULL;
    struct container_state st;
    if (do_create(g, o, &s, &st, err) < 0)
        return -1;
    pid_t sandbox = st.sandbox_pid;
    state_release(&st);
    spec_free(s);
    if (container_start(g, o->id, err) < 0) {
        rs_error_t e2 = NULL;
        container_delete(g, o->id, true, &e2);
        rs_error_release(&e2);
        return -1;
    }
    if (detach)
        return 0;
    /* The sandbox is our child: it exits with the init's status. */
    signal(SIGINT, SIG_IGN);
    int status = 0;
    while (waitpid(sandbox, &status, 0) < 0 && errno == EINTR) {
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    rs_error_t e2 = NULL;
    container_delete(g, o->id, true, &e2);
    rs_error_release(&e2);
    return code;
}

/* ---- exec ------------------------------------------------------------------ */

static int parse_user(const char *u, uint32_t *uid, uint32_t *gid, rs_error_t *err)
{
    char *end;
    unsigned long v = strtoul(u, &end, 10);
    if (end == u || (*end && *end != ':'))
        return rs_error(err, 0, "--user: expected UID[:GID], got \"%s\"", u);
    *uid = (uint32_t)v;
    if (*end == ':') {
        const char *g = end + 1;
        v = strtoul(g, &end, 10);
        if (end == g || *end)
            return rs_error(err, 0, "--user: expected UID[:GID], got \"%s\"", u);
        *gid = (uint32_t)v;
    }
    return 0;
}

int container_exec(struct runsc_globals *g, const struct exec_opts *o, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, o->id, LOCK_SH, &lock, &st, err) < 0)
        return -1;
    close(lock);
    int r = -1;
    struct spec_process *proc = NULL;
    struct control_client *c = NULL;
    int master = -1, slave = -1;
    if (strcmp(st.status, "running") != 0 && strcmp(st.status, "created") != 0) {
        rs_error(err, 0, "cannot exec in a container that is %s", st.status);
        goto out;
    }
    struct control_exec e = {0};
    if (o->process_json) {
        char *text = NULL;
        size_t len = 0;
        if (fu_read_file(o->process_json, 1 << 20, &text, &len, err) < 0)
            goto out;
        r = spec_parse_process(text, len, &proc, err);
        free(text);
        if (r < 0) {
            rs_error_wrap(err, "--process %s", o->process_json);
            goto out;
        }
        r = -1;
        e.argv = proc->args.items;
        e.env = proc->env.items;
        e.cwd = proc->cwd;
        e.uid = proc->user.uid;
        e.gid = proc->user.gid;
        e.terminal = proc->terminal;
        e.no_new_privileges = proc->no_new_privileges;
        if (proc->capabilities_set) {
            e.cap_effective = proc->capabilities.effective;
            e.cap_permitted = proc->capabilities.permitted;
            e.cap_bounding = proc->capabilities.bounding;
            e.cap_inheritable = proc->capabilities.inheritable;
            e.cap_ambient = proc->capabilities.ambient;
        }
    } else {
        if (!o->argv || !o->argv[0]) {
            rs_error(err, 0, "exec: no command given (args or --process)");
            goto out;
        }
        e.argv = o->argv;
        e.env = o->env;
        e.cwd = o->cwd ? o->cwd : "/";
        e.terminal = o->tty;
        if (o->user && parse_user(o->user, &e.uid, &e.gid, err) < 0)
            goto out;
        e.cap_effective = e.cap_permitted = e.cap_bounding = 0x00000000a80425fbull;
    }
    int fds[3] = {0, 1, 2};
    int nfds = 3;
    if (e.terminal) {
        if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
            rs_error(err, errno, "openpty");
            goto out;
        }
        if (o->console_socket) {
            if (send_console(o->console_socket, master, err) < 0)
                goto out;
        }
        fds[0] = slave;
        nfds = 1;
    }
    if (connect_sandbox(&st, &c, err) < 0)
        goto out;
    int pid = 0;
    if (control_execute(c, &e, fds, nfds, &pid, err) < 0)
        goto out;
    if (slave >= 0) {
        close(slave);
        slave = -1;
    }
    if (o->detach) {
        /* A host process stands for the exec'd one: engines wait on the
         * pid file's pid, which exits with the process's status. */
        pid_t w = fork();
        if (w < 0) {
            rs_error(err, errno, "fork");
            goto out;
        }
        if (w == 0) {
            setsid();
            int status = 0;
            rs_error_t e2 = NULL;
            int rr = control_wait(c, pid, &status, &e2);
            rs_error_release(&e2);
            _exit(rr < 0 ? 255 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
        r = write_pid_file(o->pid_file, w, err);
        goto out;
    }
    if (write_pid_file(o->pid_file, getpid(), err) < 0)
        goto out;
    int status = 0;
    if (control_wait(c, pid, &status, err) < 0)
        goto out;
    r = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
    if (c)
        control_close(c);
    if (master >= 0)
        close(master);
    if (slave >= 0)
        close(slave);
    spec_process_free(proc);
    state_release(&st);
    return r;
}

/* ---- ps / pause / events / features -------------------------------------- */

int container_ps(struct runsc_globals *g, const char *id, bool json, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, id, LOCK_SH, &lock, &st, err) < 0)
        return -1;
    close(lock);
    int r = -1;
    if (strcmp(st.status, "stopped") == 0) {
        if (json) {
            printf("[]\n");
            r = 0;
        } else {
            r = rs_error(err, 0, "container \"%s\" is not running", id);
        }
        state_release(&st);
        return r;
    }
    struct control_client *c;
    if (connect_sandbox(&st, &c, err) < 0) {
        state_release(&st);
        return -1;
    }
    struct control_process *ps = NULL;
    size_t n = 0;
    r = control_processes(c, &ps, &n, err);
    control_close(c);
    if (r == 0) {
        if (json) {
            /* runc prints the host pids of the container's processes (dockerd
             * then shows their `ps -ef` rows): here the host processes that
             * run the sandbox, i.e. those of the container's cgroup. */
            pid_t *hp = NULL;
            size_t hn = 0;
            if (!st.cgroup_path || !st.cgroup_path[0] ||
                cgroup_pids(st.cgroup_path, &hp, &hn) < 0) {
                hp = xmalloc(sizeof(pid_t));
                hp[0] = st.sandbox_pid;
                hn = 1;
            }
            printf("[");
            for (size_t i = 0; i < hn; i++)
                printf("%s%d", i ? "," : "", (int)hp[i]);
            printf("]\n");
            free(hp);
        } else {
            printf("%-8s %-6s %-6s %-5s %s\n", "UID", "PID", "PPID", "STAT", "CMD");
            for (size_t i = 0; i < n; i++)
                printf("%-8u %-6d %-6d %-5s %s\n", ps[i].uid, ps[i].pid, ps[i].ppid, ps[i].state,
                       ps[i].cmd);
        }
    }
    control_processes_free(ps, n);
    state_release(&st);
    return r;
}

int container_pause(struct runsc_globals *g, const char *id, bool pause, rs_error_t *err)
{
    int lock = -1;
    struct container_state st;
    if (load_locked(g, id, LOCK_EX, &lock, &st, err) < 0)
        return -1;
    int r = -1;
    const char *want = pause ? "running" : "paused";
    if (strcmp(st.status, want) != 0) {
        rs_error(err, 0, "container \"%s\" is %s, not %s", id, st.status, want);
    } else {
        struct control_client *c;
        if (connect_sandbox(&st, &c, err) == 0) {
            r = pause ? control_pause(c, err) : control_resume(c, err);
            control_close(c);
            if (r == 0)
                r = set_status(g, &st, pause ? "paused" : "running", err);
        }
    }
    state_release(&st);
    close(lock);
    return r;
}

int container_events(struct runsc_globals *g, const char *id, bool stats, int interval,
                     rs_error_t *err)
{
    for (;;) {
        int lock = -1;
        struct container_state st;
        if (load_locked(g, id, LOCK_SH, &lock, &st, err) < 0)
            return -1;
        close(lock);
        if (strcmp(st.status, "stopped") == 0) {
            state_release(&st);
            return stats ? rs_error(err, 0, "container \"%s\" is not running", id) : 0;
        }
        struct control_client *c;
        if (connect_sandbox(&st, &c, err) < 0) {
            state_release(&st);
            return -1;
        }
        struct control_event ev;
        int r = control_event(c, &ev, err);
        control_close(c);
        state_release(&st);
        if (r < 0)
            return -1;
        printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":{\"memory\":{\"usage\":"
               "{\"usage\":%llu}},\"pids\":{\"current\":%u},\"cpu\":{\"usage\":"
               "{\"total\":%llu}}}}\n",
               id, (unsigned long long)ev.memory_usage, ev.pids,
               (unsigned long long)ev.cpu_time_ns);
        fflush(stdout);
        if (stats)
            return 0;
        sleep((unsigned)(interval > 0 ? interval : 5));
    }
}

int container_features(rs_error_t *err)
{
    printf("{\n"
           "  \"ociVersionMin\": \"1.0.0\",\n"
           "  \"ociVersionMax\": \"" RUNSC_OCI_VERSION "\",\n"
           "  \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],\n"
           "  \"mountOptions\": [\"ro\", \"rw\", \"nosuid\", \"nodev\", \"noexec\", "
           "\"bind\", \"rbind\"],\n"
           "  \"linux\": {\n"
           "    \"namespaces\": [\"pid\", \"network\", \"ipc\", \"uts\", \"mount\", "
           "\"user\"],\n"
           "    \"capabilities\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FOWNER\", "
           "\"CAP_KILL\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_NET_BIND_SERVICE\", "
           "\"CAP_SYS_ADMIN\"],\n"
           "    \"cgroup\": {\"v1\": true, \"v2\": false, \"systemd\": false},\n"
           "    \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", "
           "\"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\", "
           "\"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\", "
           "\"SCMP_ACT_TRAP\"], \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\", "
           "\"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\", \"SCMP_CMP_MASKED_EQ\", "
           "\"SCMP_CMP_NE\"], \"archs\": [\"SCMP_ARCH_X86_64\"], \"knownFlags\": "
           "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\", "
           "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"], \"supportedFlags\": []},\n"
           "    \"apparmor\": {\"enabled\": false},\n"
           "    \"selinux\": {\"enabled\": false}\n"
           "  },\n"
           "  \"annotations\": {\"io.github.runsc-c.sandbox\": \"sentry\"}\n"
           "}\n");
    (void)err;
    return 0;
}
