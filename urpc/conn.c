/* uRPC connection: frame reception state machine, send queue, fd passing.
 *
 * Framing on SOCK_STREAM: every read asks for at most the bytes left in the
 * current part (header, then payload), so one recvmsg never covers two
 * frames and the SCM_RIGHTS fds the sender attached to a frame's first byte
 * come back with that frame. The payload buffer grows as bytes arrive, so a
 * peer that announces 16 MiB and sends nothing costs 64 KiB, not 16 MiB. */
#include "urpc/conn.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "urpc/internal.h"

/* Room for as many fds as the kernel passes in one message (SCM_MAX_FD), so
 * that fds over our cap are seen, and closed, instead of silently dropped. */
#define RECV_FD_SLOTS 253
#define RX_INITIAL_SIZE (64u << 10)

struct urpc_out {
    struct urpc_out *next;
    uint8_t *buf; /* header + payload */
    size_t size;
    size_t off;            /* bytes already sent */
    int fds[URPC_MAX_FDS]; /* owned until the first byte is sent */
    size_t fd_count;
};

struct urpc_conn {
    int fd;
    int error; /* sticky receive error, 0 if none */

    /* The frame being received. */
    uint8_t hdr_buf[URPC_HDR_SIZE];
    size_t hdr_got;
    bool have_hdr;
    struct urpc_hdr hdr;
    uint8_t *payload;
    size_t payload_cap;
    size_t payload_got;
    int fds[URPC_MAX_FDS];
    size_t fd_count;

    /* Frames not yet (fully) written. */
    struct urpc_out *out_head;
    struct urpc_out **out_tail;
};

int urpc_conn_new(int fd, struct urpc_conn **out)
{
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    if (type != SOCK_STREAM) {
        close(fd);
        return -EPROTOTYPE;
    }
    struct urpc_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return -ENOMEM;
    }
    c->fd = fd;
    c->out_tail = &c->out_head;
    *out = c;
    return 0;
}

int urpc_conn_fd(const struct urpc_conn *c)
{
    return c->fd;
}

/* Drops the frame being received, closing the fds that came with it. */
static void rx_reset(struct urpc_conn *c)
{
    for (size_t i = 0; i < c->fd_count; i++)
        close(c->fds[i]);
    c->fd_count = 0;
    free(c->payload);
    c->payload = NULL;
    c->payload_cap = 0;
    c->payload_got = 0;
    c->hdr_got = 0;
    c->have_hdr = false;
}

static int rx_fail(struct urpc_conn *c, int err)
{
    log_debug("urpc: fd %d: rejecting frame: %s", c->fd, strerror(-err));
    rx_reset(c);
    c->error = err;
    return err;
}

static void out_free(struct urpc_out *o)
{
    for (size_t i = 0; i < o->fd_count; i++)
        close(o->fds[i]);
    free(o->buf);
    free(o);
}

void urpc_conn_free(struct urpc_conn *c)
{
    if (!c)
        return;
    rx_reset(c);
    while (c->out_head) {
        struct urpc_out *o = c->out_head;
        c->out_head = o->next;
        out_free(o);
    }
    close(c->fd);
    free(c);
}

/* One recvmsg of at most len bytes. Received fds join the frame's; those over
 * URPC_MAX_FDS are closed and *too_many is set. */
static ssize_t recv_chunk(struct urpc_conn *c, void *dst, size_t len, bool *too_many)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * RECV_FD_SLOTS)];
    } cbuf;
    struct iovec iov = {.iov_base = dst, .iov_len = len};
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = cbuf.buf,
        .msg_controllen = sizeof(cbuf.buf),
    };
    ssize_t n;
    do {
        n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *data = CMSG_DATA(cm);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, data + i * sizeof(int), sizeof(fd));
            if (c->fd_count < URPC_MAX_FDS) {
                c->fds[c->fd_count++] = fd;
            } else {
                close(fd);
                *too_many = true;
            }
        }
    }
    if (msg.msg_flags & MSG_CTRUNC)
        *too_many = true; /* the kernel dropped fds: the frame is incomplete */
    return n;
}

static int rx_complete(struct urpc_conn *c, struct urpc_frame **out)
{
    if (c->fd_count != c->hdr.fd_count)
        return rx_fail(c, -EBADMSG);
    struct urpc_frame *f = calloc(1, sizeof(*f));
    if (!f)
        return rx_fail(c, -ENOMEM);
    f->hdr = c->hdr;
    f->payload = steal_ptr(c->payload);
    for (size_t i = 0; i < URPC_MAX_FDS; i++)
        f->fds[i] = i < c->fd_count ? c->fds[i] : -1;
    c->fd_count = 0;
    rx_reset(c);
    *out = f;
    return 1;
}

static int rx_grow(struct urpc_conn *c)
{
    size_t cap = c->payload_cap ? c->payload_cap * 2 : RX_INITIAL_SIZE;
    if (cap > c->hdr.payload_size)
        cap = c->hdr.payload_size;
    uint8_t *p = realloc(c->payload, cap);
    if (!p)
        return -ENOMEM;
    c->payload = p;
    c->payload_cap = cap;
    return 0;
}

int urpc_conn_recv(struct urpc_conn *c, struct urpc_frame **out)
{
    *out = NULL;
    if (c->error)
        return c->error;
    for (;;) {
        void *dst;
        size_t want;
        if (!c->have_hdr) {
            dst = c->hdr_buf + c->hdr_got;
            want = URPC_HDR_SIZE - c->hdr_got;
        } else if (c->payload_got < c->hdr.payload_size) {
            if (c->payload_got == c->payload_cap && rx_grow(c) < 0)
                return rx_fail(c, -ENOMEM);
            dst = c->payload + c->payload_got;
            want = c->payload_cap - c->payload_got;
        } else {
            return rx_complete(c, out);
        }

        bool too_many = false;
        ssize_t n = recv_chunk(c, dst, want, &too_many);
        if (too_many)
            return rx_fail(c, -ETOOMANYREFS);
        if (n == -EAGAIN)
            return -EAGAIN;
        if (n < 0)
            return rx_fail(c, (int)n);
        if (n == 0) {
            if (!c->have_hdr && c->hdr_got == 0 && c->fd_count == 0)
                return 0;
            return rx_fail(c, -ECONNRESET);
        }
        if (!c->have_hdr) {
            c->hdr_got += (size_t)n;
            if (c->hdr_got < URPC_HDR_SIZE)
                continue;
            int r = urpc_hdr_decode(c->hdr_buf, &c->hdr);
            if (r < 0)
                return rx_fail(c, r);
            c->have_hdr = true;
        } else {
            c->payload_got += (size_t)n;
        }
        if (c->have_hdr && c->fd_count > c->hdr.fd_count)
            return rx_fail(c, -EBADMSG);
    }
}

int urpc_pack_frame(const struct urpc_hdr *hdr, const ProtobufCMessage *msg, size_t fd_count,
                    uint8_t **out_buf, size_t *out_size)
{
    size_t payload_size = msg ? protobuf_c_message_get_packed_size(msg) : 0;
    assert(fd_count <= URPC_MAX_FDS);
    if (payload_size > URPC_MAX_PAYLOAD_SIZE)
        return -EMSGSIZE;
    uint8_t *buf = malloc(URPC_HDR_SIZE + payload_size);
    if (!buf)
        return -ENOMEM;
    if (msg && protobuf_c_message_pack(msg, buf + URPC_HDR_SIZE) != payload_size) {
        free(buf);
        return -EINVAL;
    }
    struct urpc_hdr h = *hdr;
    h.payload_size = (uint32_t)payload_size;
    h.fd_count = (uint8_t)fd_count;
    urpc_hdr_encode(&h, buf);
    *out_buf = buf;
    *out_size = URPC_HDR_SIZE + payload_size;
    return 0;
}

int urpc_conn_queue_packed(struct urpc_conn *c, uint8_t *buf, size_t size, const int *fds,
                           size_t fd_count)
{
    assert(fd_count <= URPC_MAX_FDS);
    struct urpc_out *o = calloc(1, sizeof(*o));
    if (!o) {
        for (size_t i = 0; i < fd_count; i++)
            close(fds[i]);
        free(buf);
        return -ENOMEM;
    }
    o->buf = buf;
    o->size = size;
    for (size_t i = 0; i < fd_count; i++)
        o->fds[i] = fds[i];
    o->fd_count = fd_count;
    *c->out_tail = o;
    c->out_tail = &o->next;
    int r = urpc_conn_flush(c);
    return r == -EAGAIN ? 0 : r;
}

int urpc_conn_send(struct urpc_conn *c, const struct urpc_hdr *hdr, const ProtobufCMessage *msg,
                   const int *fds, size_t fd_count)
{
    if (fd_count > URPC_MAX_FDS)
        return -ETOOMANYREFS;
    uint8_t *buf = NULL;
    size_t size = 0;
    int r = urpc_pack_frame(hdr, msg, fd_count, &buf, &size);
    if (r < 0)
        return r;
    int dups[URPC_MAX_FDS];
    for (size_t i = 0; i < fd_count; i++) {
        dups[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        if (dups[i] < 0) {
            r = -errno;
            while (i > 0)
                close(dups[--i]);
            free(buf);
            return r;
        }
    }
    return urpc_conn_queue_packed(c, buf, size, dups, fd_count);
}

/* Sends (part of) the first queued frame; its fds go with its first byte. */
static ssize_t send_chunk(struct urpc_conn *c, struct urpc_out *o)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * URPC_MAX_FDS)];
    } cbuf;
    struct iovec iov = {.iov_base = o->buf + o->off, .iov_len = o->size - o->off};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (o->off == 0 && o->fd_count > 0) {
        memset(&cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * o->fd_count);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * o->fd_count);
        memcpy(CMSG_DATA(cm), o->fds, sizeof(int) * o->fd_count);
    }
    ssize_t n;
    do {
        n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

int urpc_conn_flush(struct urpc_conn *c)
{
    while (c->out_head) {
        struct urpc_out *o = c->out_head;
        ssize_t n = send_chunk(c, o);
        if (n < 0)
            return (int)n; /* -EAGAIN included */
        if (n > 0 && o->fd_count > 0) {
            /* In flight: the peer holds its own references now. */
            for (size_t i = 0; i < o->fd_count; i++)
                close(o->fds[i]);
            o->fd_count = 0;
        }
        o->off += (size_t)n;
        if (o->off < o->size)
            continue;
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = &c->out_head;
        out_free(o);
    }
    return 0;
}

bool urpc_conn_pending(const struct urpc_conn *c)
{
    return c->out_head != NULL;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len == 0)
        return -EINVAL;
    if (len >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, len);
    return 0;
}

/* A unix stream socket listening on path, or connected to it. */
static int unix_socket(const char *path, bool listening, int *out_fd)
{
    struct sockaddr_un sa;
    int r = unix_addr(path, &sa);
    if (r < 0)
        return r;
    cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    bool ok = listening ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 128) == 0
                        : connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (!ok)
        return -errno;
    *out_fd = steal_fd(fd);
    return 0;
}

int urpc_listen(const char *path, int *out_fd)
{
    return unix_socket(path, true, out_fd);
}

int urpc_connect(const char *path, int *out_fd)
{
    return unix_socket(path, false, out_fd);
}

int urpc_socketpair(int fds[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
        return -errno;
    return 0;
}
