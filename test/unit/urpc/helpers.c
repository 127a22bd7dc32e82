#include "test/unit/urpc/helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test/unit/harness.h"
#include "urpc/conn.h"
#include "urpc/proto/urpc.pb-c.h"

int g_kept_fd = -1;

void th_hdr(uint8_t out[URPC_HDR_SIZE], uint8_t kind, uint8_t flags, uint8_t fd_count,
            uint32_t payload_size, uint32_t method, uint64_t id)
{
    struct urpc_hdr h = {
        .kind = kind,
        .flags = flags,
        .fd_count = fd_count,
        .payload_size = payload_size,
        .method = method,
        .id = id,
    };
    urpc_hdr_encode(&h, out);
}

void th_send_raw(int fd, const void *buf, size_t len, const int *fds, size_t fd_count)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * 64)];
    } cbuf;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK(fd_count <= 64);
    if (fd_count) {
        memset(&cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * fd_count);
    }
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n != (ssize_t)len)
        ut_fail(__FILE__, __LINE__, "sendmsg: %zd: %s", n, strerror(errno));
}

void th_open_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        CHECK(fds[i] >= 0);
    }
}

void th_close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

void th_nonblock(int fd)
{
    CHECK_INT(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), ==, 0);
}

ino_t th_ino(int fd)
{
    struct stat st;
    CHECK_INT(fstat(fd, &st), ==, 0);
    return st.st_ino;
}

static char g_server_file[512];

static int h_fds(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    if (req->fd_count != 1)
        return urpc_reply_error(reply, EINVAL, "want 1 fd, got %zu", req->fd_count);
    struct stat st;
    if (fstat(req->fds[0], &st) < 0)
        return -errno;
    char ino[32];
    snprintf(ino, sizeof(ino), "%llu", (unsigned long long)st.st_ino);
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = (uint8_t *)ino;
    p.data.len = strlen(ino);
    int r = urpc_reply_set_msg(reply, &p.base);
    if (r < 0)
        return r;
    int fd = open(g_server_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    return urpc_reply_add_fd(reply, fd);
}

static int h_error(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    const Urpc__Ping *p = (const Urpc__Ping *)req->msg;
    return urpc_reply_error(reply, ENOENT, "no such thing: %.*s", (int)p->data.len,
                            (const char *)p->data.data);
}

static int h_errno(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    return -EACCES;
}

static int h_empty(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    return req->msg == NULL ? 0 : -EINVAL;
}

static int h_many_fds(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    for (int i = 0; i < URPC_MAX_FDS; i++) {
        int r = urpc_reply_add_fd(reply, open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (r < 0)
            return r;
    }
    int r = urpc_reply_add_fd(reply, open("/dev/null", O_RDONLY | O_CLOEXEC));
    return r == -ETOOMANYREFS ? 0 : urpc_reply_error(reply, EIO, "17th fd: %d", r);
}

static int h_keep_fd(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    if (req->fd_count != 1)
        return -EINVAL;
    g_kept_fd = req->fds[0];
    req->fds[0] = -1;
    return 0;
}

static void *server_thread(void *arg)
{
    struct th_server *t = arg;
    t->run_rc = urpc_server_run(t->srv, t->listen_fd);
    return NULL;
}

void th_server_start(struct th_server *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->path, sizeof(t->path), "%s/urpc.sock", ut_tmpdir());
    snprintf(g_server_file, sizeof(g_server_file), "%s/server-file", ut_tmpdir());
    CHECK_INT(urpc_server_new(&t->srv), ==, 0);
    const ProtobufCMessageDescriptor *ping = &urpc__ping__descriptor;
    CHECK_INT(urpc_server_register(t->srv, TM_FDS, ping, h_fds, NULL), ==, 0);
    CHECK_INT(urpc_server_register(t->srv, TM_ERROR, ping, h_error, NULL), ==, 0);
    CHECK_INT(urpc_server_register(t->srv, TM_ERRNO, ping, h_errno, NULL), ==, 0);
    CHECK_INT(urpc_server_register(t->srv, TM_EMPTY, NULL, h_empty, NULL), ==, 0);
    CHECK_INT(urpc_server_register(t->srv, TM_MANY_FDS, ping, h_many_fds, NULL), ==, 0);
    CHECK_INT(urpc_server_register(t->srv, TM_KEEP_FD, ping, h_keep_fd, NULL), ==, 0);
    CHECK_INT(urpc_listen(t->path, &t->listen_fd), ==, 0);
    CHECK_INT(pthread_create(&t->thread, NULL, server_thread, t), ==, 0);
}

void th_server_stop(struct th_server *t)
{
    urpc_server_stop(t->srv);
    CHECK_INT(pthread_join(t->thread, NULL), ==, 0);
    CHECK_INT(t->run_rc, ==, 0);
    urpc_server_free(t->srv);
    close(t->listen_fd);
}

struct urpc_client *th_client(struct th_server *t)
{
    struct urpc_client *c = NULL;
    CHECK_INT(urpc_client_connect(t->path, &c), ==, 0);
    return c;
}

int th_ping(struct urpc_client *c, const void *data, size_t size, struct urpc_result *res)
{
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = (uint8_t *)data;
    p.data.len = size;
    return urpc_client_call(c, URPC_METHOD_PING, &p.base, NULL, 0, &urpc__ping__descriptor, res);
}
