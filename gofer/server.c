/* The gofer server: connections, their fid tables, and the poll() loop.
 *
 * urpc_server provides the method table and the serving of one connection's
 * poll() wakeup (urpc_server_on_poll); the loop is ours because the gofer must
 * end when the last connection closes, which urpc_server_run does not do. */
#include "gofer/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/internal.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/log.h"

int gofer_server_new(int root_fd, bool readonly, struct gofer_server **out)
{
    struct stat st;
    if (fstat(root_fd, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    struct gofer_server *s = xzalloc(sizeof(*s));
    s->readonly = readonly;
    s->root_fd = s->proc_fd = -1;
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    int r;
    s->root_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
    if (s->root_fd < 0)
        goto out_errno;
    /* "self" is resolved at each reopen, so this stays right in a child. */
    s->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->proc_fd < 0)
        goto out_errno;
    if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        goto out_errno;
    r = urpc_server_new(&s->urpc);
    if (r < 0)
        goto out_free;
    r = gofer_ops_register(s);
    if (r < 0)
        goto out_free;
    *out = s;
    return 0;
out_errno:
    r = -errno;
out_free:
    gofer_server_free(s);
    return r;
}

static void conn_free(struct gofer_server *s, struct gofer_conn *gc)
{
    log_debug("gofer: connection fd %d closed, releasing %zu fids", urpc_conn_fd(gc->conn),
              gc->fids.count);
    gofer_fids_release_all(s, &gc->fids);
    urpc_conn_free(gc->conn);
    if (gc->root_fd >= 0)
        close(gc->root_fd);
    free(gc);
}

void gofer_server_free(struct gofer_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->conn_count; i++)
        conn_free(s, s->conns[i]);
    free(s->conns);
    urpc_server_free(s->urpc);
    if (s->root_fd >= 0)
        close(s->root_fd);
    if (s->proc_fd >= 0)
        close(s->proc_fd);
    if (s->stop_pipe[0] >= 0)
        close(s->stop_pipe[0]);
    if (s->stop_pipe[1] >= 0)
        close(s->stop_pipe[1]);
    free(s);
}

int gofer_server_add_conn(struct gofer_server *s, int fd)
{
    return gofer_server_add_mount(s, fd, s->root_fd, s->readonly);
}

int gofer_server_add_mount(struct gofer_server *s, int fd, int root_fd, bool readonly)
{
    struct stat st;
    int root = -1;
    if (fstat(root_fd, &st) < 0 || (root = fcntl(root_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (S_ISLNK(st.st_mode)) {
        close(root);
        close(fd);
        return -ELOOP;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int err = -errno;
        close(root);
        close(fd);
        return err;
    }
    struct urpc_conn *c = NULL;
    int r = urpc_conn_new(fd, &c);
    if (r < 0) {
        close(root);
        return r;
    }
    struct gofer_conn *gc = xzalloc(sizeof(*gc));
    gc->conn = c;
    gc->root_fd = root;
    gc->readonly = readonly;
    if (s->conn_count == s->conn_cap) {
        s->conn_cap = s->conn_cap ? s->conn_cap * 2 : 4;
        s->conns = xrealloc(s->conns, s->conn_cap * sizeof(*s->conns));
    }
    s->conns[s->conn_count] = gc;
    __atomic_store_n(&s->conn_count, s->conn_count + 1, __ATOMIC_RELAXED);
    return 0;
}

struct gofer_conn *gofer_conn_of(struct gofer_server *s, const struct urpc_conn *c)
{
    for (size_t i = 0; i < s->conn_count; i++)
        if (s->conns[i] && s->conns[i]->conn == c)
            return s->conns[i];
    return NULL;
}

void gofer_server_stop(struct gofer_server *s)
{
    int saved = errno;
    ssize_t n = write(s->stop_pipe[1], "x", 1);
    (void)n; /* a full pipe already means "stop" */
    errno = saved;
}

size_t gofer_server_fid_count(const struct gofer_server *s)
{
    return __atomic_load_n(&s->fid_count, __ATOMIC_RELAXED);
}

size_t gofer_server_conn_count(const struct gofer_server *s)
{
    return __atomic_load_n(&s->conn_count, __ATOMIC_RELAXED);
}

int gofer_server_serve(struct gofer_server *s)
{
    cleanup_free struct pollfd *pfds = NULL;
    size_t cap = 0;
    int rc = 0;
    while (s->conn_count > 0) {
        size_t n = 1 + s->conn_count;
        if (n > cap) {
            pfds = xrealloc(pfds, n * sizeof(*pfds));
            cap = n;
        }
        pfds[0] = (struct pollfd){.fd = s->stop_pipe[0], .events = POLLIN};
        for (size_t i = 0; i < s->conn_count; i++) {
            struct urpc_conn *c = s->conns[i]->conn;
            short ev = urpc_conn_pending(c) ? POLLOUT : POLLIN;
            pfds[1 + i] = (struct pollfd){.fd = urpc_conn_fd(c), .events = ev};
        }
        if (poll(pfds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (pfds[0].revents) {
            char buf[64];
            while (read(s->stop_pipe[0], buf, sizeof(buf)) > 0) {
            }
            break;
        }
        /* Closed connections become NULL (gofer_conn_of skips them while
         * later ones are served), then the array is compacted. */
        for (size_t i = 0; i < s->conn_count; i++) {
            struct gofer_conn *gc = s->conns[i];
            if (!pfds[1 + i].revents)
                continue;
            int r = urpc_server_on_poll(s->urpc, gc->conn, pfds[1 + i].revents);
            if (r < 0)
                log_debug("gofer: connection fd %d: %s", urpc_conn_fd(gc->conn), strerror(-r));
            if (r != 0) {
                s->conns[i] = NULL;
                conn_free(s, gc);
            }
        }
        size_t kept = 0;
        for (size_t i = 0; i < s->conn_count; i++)
            if (s->conns[i])
                s->conns[kept++] = s->conns[i];
        __atomic_store_n(&s->conn_count, kept, __ATOMIC_RELAXED);
    }
    return rc;
}
