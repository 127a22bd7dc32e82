/* libFuzzer target: untrusted bytes from a peer into a uRPC server
 * connection (urpc_conn_recv's frame decoder and urpc_server_handle).
 *
 * Input layout:
 *     byte 0    number of /dev/null fds attached to the first write, 0..31
 *               (the cap is 16: more exercises the "extras closed" path)
 *     byte 1    write size: the stream is written in pieces of this many
 *               bytes, handling what arrived after each (0: all at once)
 *     byte 2..  the bytes the peer sends (frames, garbage, anything)
 * The server answers on a socketpair whose other end is drained (replies and
 * the fds they carry are discarded). After each input every fd the
 * iteration opened must be closed again, or the target aborts; LeakSanitizer
 * checks memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "urpc/conn.h"
#include "urpc/frame.h"
#include "urpc/methods.h"
#include "urpc/proto/urpc.pb-c.h"
#include "urpc/server.h"

#define FUZZ_ECHO_FDS (URPC_METHOD_TEST_BASE + 1) /* Ping; replies with copies of its fds */
#define FUZZ_ERROR (URPC_METHOD_TEST_BASE + 2)    /* Ping; error reply quoting data */
#define FUZZ_EMPTY (URPC_METHOD_TEST_BASE + 3)    /* no request type */
#define FD_WINDOW 128
#define MAX_ROUNDS 1000000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct urpc_server *g_server;

static int echo_fds(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    for (size_t i = 0; i < req->fd_count; i++) {
        int r = urpc_reply_add_fd(reply, fcntl(req->fds[i], F_DUPFD_CLOEXEC, 0));
        if (r < 0)
            return r;
    }
    return urpc_reply_set_msg(reply, req->msg);
}

static int error(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    const Urpc__Ping *p = (const Urpc__Ping *)req->msg;
    return urpc_reply_error(reply, p->data.len % 200 + 1, "bad: %.*s", (int)p->data.len,
                            (const char *)p->data.data);
}

static int empty(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (urpc_server_new(&g_server) < 0 ||
        urpc_server_register(g_server, FUZZ_ECHO_FDS, &urpc__ping__descriptor, echo_fds, NULL) ||
        urpc_server_register(g_server, FUZZ_ERROR, &urpc__ping__descriptor, error, NULL) ||
        urpc_server_register(g_server, FUZZ_EMPTY, NULL, empty, NULL))
        abort();
    return 0;
}

/* Which fds of the window above the first free one are open. */
static void fd_snapshot(int base, uint8_t open_fds[FD_WINDOW])
{
    for (int i = 0; i < FD_WINDOW; i++)
        open_fds[i] = fcntl(base + i, F_GETFD) >= 0;
}

/* Reads and drops everything the server sent, closing the fds. */
static void drain(int fd)
{
    for (;;) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int) * 253)];
        } cbuf;
        char sink[4096];
        struct iovec iov = {.iov_base = sink, .iov_len = sizeof(sink)};
        struct msghdr msg = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = cbuf.buf,
            .msg_controllen = sizeof(cbuf.buf),
        };
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm;
             cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                continue;
            size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) {
                int rfd;
                memcpy(&rfd, CMSG_DATA(cm) + i * sizeof(int), sizeof(rfd));
                close(rfd);
            }
        }
        if (n <= 0)
            return;
    }
}

/* Writes up to len bytes (fds with the first byte); returns bytes written. */
static size_t feed(int fd, const uint8_t *buf, size_t len, int *fds, size_t *fd_count)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 32)];
    } cbuf;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (*fd_count) {
        memset(&cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * *fd_count);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * *fd_count);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * *fd_count);
    }
    ssize_t n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0)
        return 0;
    for (size_t i = 0; i < *fd_count; i++)
        close(fds[i]); /* in flight: the server owns its copies now */
    *fd_count = 0;
    return (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t fd_count = data[0] % 32;
    size_t piece = data[1];
    data += 2;
    size -= 2;

    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (probe < 0)
        abort();
    close(probe);
    uint8_t before[FD_WINDOW], after[FD_WINDOW];
    fd_snapshot(probe, before);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    struct urpc_conn *conn = NULL;
    if (urpc_conn_new(sv[0], &conn) < 0)
        abort();
    int fds[32];
    for (size_t i = 0; i < fd_count; i++)
        if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
            abort();
    if (size == 0) {
        for (size_t i = 0; i < fd_count; i++)
            close(fds[i]); /* nothing to attach them to */
        fd_count = 0;
    }

    size_t off = 0;
    int shut = 0;
    for (int round = 0;; round++) {
        if (round > MAX_ROUNDS) {
            fprintf(stderr, "urpc_frame: no progress\n");
            abort();
        }
        if (off < size) {
            size_t want = piece ? piece : size - off;
            if (want > size - off)
                want = size - off;
            off += feed(sv[1], data + off, want, fds, &fd_count);
        } else if (!shut) {
            shutdown(sv[1], SHUT_WR);
            shut = 1;
        }
        int r = urpc_server_on_readable(g_server, conn);
        drain(sv[1]);
        if (r != 0)
            break;
        if (urpc_conn_pending(conn)) {
            int fr = urpc_conn_flush(conn);
            if (fr < 0 && fr != -EAGAIN)
                break;
        }
    }
    urpc_conn_free(conn);
    drain(sv[1]);
    close(sv[1]);
    for (size_t i = 0; i < fd_count; i++)
        close(fds[i]);

    fd_snapshot(probe, after);
    if (memcmp(before, after, sizeof(before)) != 0) {
        fprintf(stderr, "urpc_frame: fd leak\n");
        abort();
    }
    return 0;
}
