/* uRPC server: method table, call dispatch, reply building, poll() runner. */
#include "urpc/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "urpc/internal.h"
#include "urpc/methods.h"
#include "urpc/proto/urpc.pb-c.h"

#define FRAMES_PER_WAKEUP 16
#define ACCEPTS_PER_WAKEUP 16
#define ACCEPT_BACKOFF_MS 100

struct method {
    uint32_t id;
    const ProtobufCMessageDescriptor *desc;
    urpc_handler_fn fn;
    void *arg;
};

struct urpc_server {
    struct method *methods;
    size_t method_count;
    struct urpc_conn **conns;
    size_t conn_count;
    size_t conn_cap;
    int stop_pipe[2];
};

struct urpc_reply {
    uint8_t *buf; /* header room + packed result, from urpc_reply_set_msg */
    size_t size;
    int fds[URPC_MAX_FDS];
    size_t fd_count;
    char *error_msg;
};

/* "Control.Wait" or "0x1234" for ids without a name. */
static const char *method_label(uint32_t id, char buf[16])
{
    const char *name = urpc_method_name(id);
    if (name)
        return name;
    snprintf(buf, 16, "0x%x", id);
    return buf;
}

static int ping(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    return urpc_reply_set_msg(reply, req->msg);
}

int urpc_server_new(struct urpc_server **out)
{
    struct urpc_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        int err = -errno;
        free(s);
        return err;
    }
    int r = urpc_server_register(s, URPC_METHOD_PING, &urpc__ping__descriptor, ping, NULL);
    if (r < 0) {
        urpc_server_free(s);
        return r;
    }
    *out = s;
    return 0;
}

void urpc_server_free(struct urpc_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->conn_count; i++)
        urpc_conn_free(s->conns[i]);
    free(s->conns);
    free(s->methods);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    free(s);
}

static const struct method *find_method(const struct urpc_server *s, uint32_t id)
{
    for (size_t i = 0; i < s->method_count; i++)
        if (s->methods[i].id == id)
            return &s->methods[i];
    return NULL;
}

int urpc_server_register(struct urpc_server *s, uint32_t method,
                         const ProtobufCMessageDescriptor *req_desc, urpc_handler_fn fn, void *arg)
{
    if (!fn)
        return -EINVAL;
    if (find_method(s, method))
        return -EEXIST;
    struct method *m = realloc(s->methods, (s->method_count + 1) * sizeof(*m));
    if (!m)
        return -ENOMEM;
    s->methods = m;
    s->methods[s->method_count++] = (struct method){method, req_desc, fn, arg};
    return 0;
}

int urpc_reply_set_msg(struct urpc_reply *r, const ProtobufCMessage *msg)
{
    struct urpc_hdr h = {.kind = URPC_KIND_REPLY}; /* re-encoded when sent */
    uint8_t *buf = NULL;
    size_t size = 0;
    int err = urpc_pack_frame(&h, msg, 0, &buf, &size);
    if (err < 0)
        return err;
    free(r->buf);
    r->buf = buf;
    r->size = size;
    return 0;
}

int urpc_reply_add_fd(struct urpc_reply *r, int fd)
{
    if (fd < 0)
        return -EBADF;
    if (r->fd_count >= URPC_MAX_FDS) {
        close(fd);
        return -ETOOMANYREFS;
    }
    r->fds[r->fd_count++] = fd;
    return 0;
}

int urpc_reply_error(struct urpc_reply *r, int errnum, const char *fmt, ...)
{
    if (errnum <= 0 || errnum > URPC_MAX_ERRNO)
        errnum = EIO;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    free(r->error_msg);
    r->error_msg = n < 0 ? NULL : msg;
    if (r->error_msg && strlen(r->error_msg) >= URPC_MAX_ERROR_MSG_SIZE)
        r->error_msg[URPC_MAX_ERROR_MSG_SIZE - 1] = '\0';
    return -errnum;
}

static void reply_release(struct urpc_reply *r)
{
    for (size_t i = 0; i < r->fd_count; i++)
        close(r->fds[i]);
    r->fd_count = 0;
    free(r->buf);
    r->buf = NULL;
    free(r->error_msg);
    r->error_msg = NULL;
}

/* Unpacks the request and runs the handler. Returns its status. */
static int call_method(const struct method *m, struct urpc_conn *c, struct urpc_frame *f,
                       struct urpc_reply *reply)
{
    char label[16];
    ProtobufCMessage *msg = NULL;
    if (m->desc) {
        msg = protobuf_c_message_unpack(m->desc, NULL, f->hdr.payload_size, f->payload);
        if (!msg)
            return urpc_reply_error(reply, EINVAL, "malformed %s request (%u bytes)",
                                    method_label(m->id, label), f->hdr.payload_size);
    } else if (f->hdr.payload_size != 0) {
        return urpc_reply_error(reply, EINVAL, "%s takes no request payload",
                                method_label(m->id, label));
    }
    struct urpc_request req = {
        .method = f->hdr.method,
        .id = f->hdr.id,
        .msg = msg,
        .fds = f->fds,
        .fd_count = f->hdr.fd_count,
        .conn = c,
    };
    int rc = m->fn(m->arg, &req, reply);
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
    if (rc > 0 || rc < -URPC_MAX_ERRNO)
        rc = urpc_reply_error(reply, EIO, "%s handler returned invalid status %d",
                              method_label(m->id, label), rc);
    return rc;
}

static int send_reply(struct urpc_conn *c, const struct urpc_hdr *call, struct urpc_reply *reply,
                      int rc)
{
    struct urpc_hdr h = {.kind = URPC_KIND_REPLY, .method = call->method, .id = call->id};
    uint8_t *buf = NULL;
    size_t size = 0;
    int err;
    if (rc == 0) {
        if (reply->buf) {
            buf = steal_ptr(reply->buf);
            size = reply->size;
            h.payload_size = (uint32_t)(size - URPC_HDR_SIZE);
            h.fd_count = (uint8_t)reply->fd_count;
            urpc_hdr_encode(&h, buf);
            err = 0;
        } else {
            err = urpc_pack_frame(&h, NULL, reply->fd_count, &buf, &size);
        }
        if (err == 0) {
            size_t fd_count = reply->fd_count;
            reply->fd_count = 0; /* the queue owns them now */
            err = urpc_conn_queue_packed(c, buf, size, reply->fds, fd_count);
        }
    } else {
        char ebuf[128];
        Urpc__Error e = URPC__ERROR__INIT;
        e.errnum = -rc;
        e.message = reply->error_msg ? reply->error_msg : strerror_r(-rc, ebuf, sizeof(ebuf));
        h.flags = URPC_FLAG_ERROR;
        err = urpc_pack_frame(&h, &e.base, 0, &buf, &size);
        if (err == 0)
            err = urpc_conn_queue_packed(c, buf, size, NULL, 0);
    }
    reply_release(reply);
    return err;
}

int urpc_server_handle(struct urpc_server *s, struct urpc_conn *c, struct urpc_frame *f)
{
    struct urpc_hdr call = f->hdr;
    if (call.kind != URPC_KIND_CALL) {
        log_debug("urpc: fd %d: a reply frame sent to a server", urpc_conn_fd(c));
        urpc_frame_free(f);
        return -EPROTO;
    }
    struct urpc_reply reply = {.buf = NULL};
    const struct method *m = find_method(s, call.method);
    int rc;
    if (m) {
        rc = call_method(m, c, f, &reply);
    } else {
        char label[16];
        const char *name = method_label(call.method, label);
        rc = urpc_reply_error(&reply, ENOSYS, "unknown method %s", name);
    }
    if (rc < 0)
        log_debug("urpc: fd %d: call %llu: error %d", urpc_conn_fd(c), (unsigned long long)call.id,
                  -rc);
    urpc_frame_free(f); /* closes the request fds the handler did not take */
    return send_reply(c, &call, &reply, rc);
}

int urpc_server_on_readable(struct urpc_server *s, struct urpc_conn *c)
{
    for (int i = 0; i < FRAMES_PER_WAKEUP; i++) {
        if (urpc_conn_pending(c))
            return 0;
        struct urpc_frame *f = NULL;
        int r = urpc_conn_recv(c, &f);
        if (r == -EAGAIN)
            return 0;
        if (r <= 0)
            return r == 0 ? 1 : r;
        r = urpc_server_handle(s, c, f);
        if (r < 0)
            return r;
    }
    return 0;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

int urpc_server_add_fd(struct urpc_server *s, int fd)
{
    if (s->conn_count >= URPC_SERVER_MAX_CONNS) {
        close(fd);
        return -EMFILE;
    }
    int r = set_nonblock(fd);
    if (r < 0) {
        close(fd);
        return r;
    }
    if (s->conn_count == s->conn_cap) {
        size_t cap = s->conn_cap ? s->conn_cap * 2 : 8;
        struct urpc_conn **conns = realloc(s->conns, cap * sizeof(*conns));
        if (!conns) {
            close(fd);
            return -ENOMEM;
        }
        s->conns = conns;
        s->conn_cap = cap;
    }
    struct urpc_conn *c = NULL;
    r = urpc_conn_new(fd, &c);
    if (r < 0)
        return r;
    s->conns[s->conn_count++] = c;
    return 0;
}

void urpc_server_stop(struct urpc_server *s)
{
    int saved = errno;
    ssize_t n = write(s->stop_pipe[1], "x", 1);
    (void)n; /* a full pipe already means "stop" */
    errno = saved;
}

int urpc_server_on_poll(struct urpc_server *s, struct urpc_conn *c, short revents)
{
    if (revents & POLLNVAL)
        return -EBADF;
    if (urpc_conn_pending(c)) {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return 0;
        int r = urpc_conn_flush(c);
        return r == -EAGAIN ? 0 : r;
    }
    return urpc_server_on_readable(s, c);
}

/* Returns true when accepting should pause (out of fds or memory). */
static bool accept_conns(struct urpc_server *s, int listen_fd)
{
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_debug("urpc: accept: %s", strerror(errno));
                return true;
            }
            return false; /* EAGAIN, or nothing we can fix here */
        }
        int r = urpc_server_add_fd(s, fd);
        if (r < 0)
            log_debug("urpc: dropping a new connection: %s", strerror(-r));
    }
    return false;
}

int urpc_server_run(struct urpc_server *s, int listen_fd)
{
    if (listen_fd >= 0) {
        int r = set_nonblock(listen_fd);
        if (r < 0)
            return r;
    }
    cleanup_free struct pollfd *pfds = NULL;
    size_t pfd_cap = 0;
    bool accept_paused = false;
    int rc = 0;
    for (;;) {
        size_t n = 2 + s->conn_count;
        if (n > pfd_cap) {
            struct pollfd *p = realloc(pfds, n * sizeof(*p));
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            pfds = p;
            pfd_cap = n;
        }
        pfds[0] = (struct pollfd){.fd = s->stop_pipe[0], .events = POLLIN};
        pfds[1] = (struct pollfd){.fd = accept_paused ? -1 : listen_fd, .events = POLLIN};
        for (size_t i = 0; i < s->conn_count; i++) {
            short ev = urpc_conn_pending(s->conns[i]) ? POLLOUT : POLLIN;
            pfds[2 + i] = (struct pollfd){.fd = urpc_conn_fd(s->conns[i]), .events = ev};
        }
        if (poll(pfds, n, accept_paused ? ACCEPT_BACKOFF_MS : -1) < 0) {
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
        accept_paused = false;
        size_t kept = 0, served = n - 2;
        for (size_t i = 0; i < served; i++) {
            struct urpc_conn *c = s->conns[i];
            if (pfds[2 + i].revents && urpc_server_on_poll(s, c, pfds[2 + i].revents) != 0)
                urpc_conn_free(c);
            else
                s->conns[kept++] = c;
        }
        /* Handlers may have added connections after the served ones. */
        for (size_t i = served; i < s->conn_count; i++)
            s->conns[kept++] = s->conns[i];
        s->conn_count = kept;
        if (listen_fd >= 0 && (pfds[1].revents & POLLIN))
            accept_paused = accept_conns(s, listen_fd);
    }
    for (size_t i = 0; i < s->conn_count; i++)
        urpc_conn_free(s->conns[i]);
    s->conn_count = 0;
    return rc;
}
