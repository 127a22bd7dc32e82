/* Blocking uRPC client over a urpc_conn with a blocking fd. */
#include "urpc/client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "urpc/conn.h"
#include "urpc/proto/urpc.pb-c.h"

struct urpc_client {
    struct urpc_conn *conn;
    uint64_t next_id;
    bool broken;
};

int urpc_client_new(int fd, struct urpc_client **out)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    struct urpc_client *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return -ENOMEM;
    }
    int r = urpc_conn_new(fd, &c->conn);
    if (r < 0) {
        free(c);
        return r;
    }
    *out = c;
    return 0;
}

int urpc_client_connect(const char *path, struct urpc_client **out)
{
    int fd = -1;
    int r = urpc_connect(path, &fd);
    if (r < 0)
        return r;
    return urpc_client_new(fd, out);
}

void urpc_client_free(struct urpc_client *c)
{
    if (!c)
        return;
    urpc_conn_free(c->conn);
    free(c);
}

void urpc_result_release(struct urpc_result *res)
{
    if (res->msg)
        protobuf_c_message_free_unpacked(res->msg, NULL);
    res->msg = NULL;
    for (size_t i = 0; i < URPC_MAX_FDS; i++) {
        if (res->fds[i] >= 0)
            close(res->fds[i]);
        res->fds[i] = -1;
    }
    res->fd_count = 0;
    free(res->error_msg);
    res->error_msg = NULL;
    res->remote_error = false;
}

static int error_reply(struct urpc_frame *f, struct urpc_result *res)
{
    if (f->hdr.fd_count != 0)
        return -EPROTO;
    Urpc__Error *e = urpc__error__unpack(NULL, f->hdr.payload_size, f->payload);
    if (!e)
        return -EPROTO;
    int errnum = e->errnum;
    char *msg = strdup(e->message ? e->message : "");
    urpc__error__free_unpacked(e, NULL);
    if (errnum <= 0 || errnum > URPC_MAX_ERRNO) {
        free(msg);
        return -EPROTO; /* would read as success or garbage */
    }
    if (!msg)
        return -ENOMEM;
    res->remote_error = true;
    res->error_msg = msg;
    return -errnum;
}

static int result_reply(struct urpc_frame *f, const ProtobufCMessageDescriptor *reply_desc,
                        struct urpc_result *res)
{
    if (reply_desc) {
        res->msg = protobuf_c_message_unpack(reply_desc, NULL, f->hdr.payload_size, f->payload);
        if (!res->msg)
            return -EBADMSG;
    }
    for (size_t i = 0; i < URPC_MAX_FDS; i++) {
        res->fds[i] = f->fds[i];
        f->fds[i] = -1;
    }
    res->fd_count = f->hdr.fd_count;
    return 0;
}

int urpc_client_call(struct urpc_client *c, uint32_t method, const ProtobufCMessage *req,
                     const int *fds, size_t fd_count, const ProtobufCMessageDescriptor *reply_desc,
                     struct urpc_result *res)
{
    memset(res, 0, sizeof(*res));
    for (size_t i = 0; i < URPC_MAX_FDS; i++)
        res->fds[i] = -1;
    if (c->broken)
        return -ENOTCONN;

    struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = method, .id = ++c->next_id};
    int r = urpc_conn_send(c->conn, &h, req, fds, fd_count);
    if (r == 0 && urpc_conn_pending(c->conn))
        r = -EAGAIN; /* only with SO_SNDTIMEO: the frame is cut */
    if (r == -EMSGSIZE || r == -ETOOMANYREFS || r == -ENOMEM || r == -EBADF)
        return r; /* nothing was sent */
    if (r < 0) {
        c->broken = true;
        return r;
    }

    struct urpc_frame *f = NULL;
    r = urpc_conn_recv(c->conn, &f);
    if (r <= 0) {
        c->broken = true;
        return r == 0 ? -ECONNRESET : r;
    }
    if (f->hdr.kind != URPC_KIND_REPLY || f->hdr.id != h.id || f->hdr.method != method) {
        log_debug("urpc: call %llu: reply for call %llu", (unsigned long long)h.id,
                  (unsigned long long)f->hdr.id);
        urpc_frame_free(f);
        c->broken = true;
        return -EPROTO;
    }
    if (f->hdr.flags & URPC_FLAG_ERROR)
        r = error_reply(f, res);
    else
        r = result_reply(f, reply_desc, res);
    urpc_frame_free(f);
    if (r < 0 && !res->remote_error)
        urpc_result_release(res);
    return r;
}
