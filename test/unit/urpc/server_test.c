/* urpc server and client tests: round trips, fds both ways, error replies,
 * bad requests, bad replies, many clients at once, and the event-loop level
 * API (urpc_server_on_readable). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "test/unit/harness.h"
#include "test/unit/urpc/helpers.h"
#include "urpc/client.h"
#include "urpc/conn.h"
#include "urpc/proto/urpc.pb-c.h"
#include "urpc/server.h"

/* Reads one frame from a raw connection to the server (blocking). */
static struct urpc_frame *read_frame(struct urpc_conn *c)
{
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, 1);
    return f;
}

/* Checks that f is an error reply to call id with errnum; returns its message
 * (malloc'ed). */
static char *expect_error(struct urpc_frame *f, uint64_t id, int errnum)
{
    CHECK_INT(f->hdr.kind, ==, URPC_KIND_REPLY);
    CHECK_INT(f->hdr.flags, ==, URPC_FLAG_ERROR);
    CHECK_INT(f->hdr.id, ==, id);
    CHECK_INT(f->hdr.fd_count, ==, 0);
    Urpc__Error *e = urpc__error__unpack(NULL, f->hdr.payload_size, f->payload);
    CHECK(e);
    CHECK_INT(e->errnum, ==, errnum);
    char *msg = strdup(e->message);
    urpc__error__free_unpacked(e, NULL);
    return msg;
}

static struct urpc_conn *raw_conn(struct th_server *t)
{
    int fd = -1;
    CHECK_INT(urpc_connect(t->path, &fd), ==, 0);
    struct urpc_conn *c = NULL;
    CHECK_INT(urpc_conn_new(fd, &c), ==, 0);
    return c;
}

/* A ping round trip: afterwards the server has accepted the connection, so
 * fd counts taken from here on are stable. */
static void sync_client(struct urpc_client *c)
{
    struct urpc_result res;
    CHECK_INT(th_ping(c, "sync", 4, &res), ==, 0);
    urpc_result_release(&res);
}

static void sync_raw(struct urpc_conn *c)
{
    Urpc__Ping p = URPC__PING__INIT;
    struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = URPC_METHOD_PING, .id = 99};
    CHECK_INT(urpc_conn_send(c, &h, &p.base, NULL, 0), ==, 0);
    struct urpc_frame *f = read_frame(c);
    CHECK_INT(f->hdr.id, ==, 99);
    urpc_frame_free(f);
}

TEST(roundtrip_payload)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    struct urpc_result res;
    CHECK_INT(th_ping(c, "hello", 5, &res), ==, 0);
    const Urpc__Ping *p = (const Urpc__Ping *)res.msg;
    CHECK(p);
    CHECK_INT(p->data.len, ==, 5);
    CHECK(memcmp(p->data.data, "hello", 5) == 0);
    CHECK_INT(res.fd_count, ==, 0);
    CHECK(!res.remote_error);
    urpc_result_release(&res);
    /* A method without a request type, no reply type either. */
    CHECK_INT(urpc_client_call(c, TM_EMPTY, NULL, NULL, 0, NULL, &res), ==, 0);
    CHECK(res.msg == NULL);
    urpc_result_release(&res);
    /* ... which refuses a payload. */
    Urpc__Ping ping = URPC__PING__INIT;
    ping.data.data = (uint8_t *)"x";
    ping.data.len = 1;
    CHECK_INT(urpc_client_call(c, TM_EMPTY, &ping.base, NULL, 0, NULL, &res), ==, -EINVAL);
    CHECK_CONTAINS(res.error_msg, "takes no request payload");
    urpc_result_release(&res);
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(max_size_roundtrip)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    /* 1 tag byte + 4 length bytes + data = exactly URPC_MAX_PAYLOAD_SIZE. */
    size_t size = URPC_MAX_PAYLOAD_SIZE - 5;
    cleanup_free uint8_t *data = malloc(size);
    CHECK(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i ^ (i >> 11));
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = data;
    p.data.len = size;
    CHECK_INT(protobuf_c_message_get_packed_size(&p.base), ==, URPC_MAX_PAYLOAD_SIZE);
    struct urpc_result res;
    CHECK_INT(th_ping(c, data, size, &res), ==, 0);
    const Urpc__Ping *got = (const Urpc__Ping *)res.msg;
    CHECK_INT(got->data.len, ==, size);
    CHECK(memcmp(got->data.data, data, size) == 0);
    urpc_result_release(&res);
    /* One byte more is refused before anything is sent; the client lives on. */
    size++;
    cleanup_free uint8_t *big = calloc(1, size);
    CHECK_INT(th_ping(c, big, size, &res), ==, -EMSGSIZE);
    CHECK(!res.remote_error);
    CHECK_INT(th_ping(c, "ok", 2, &res), ==, 0);
    urpc_result_release(&res);
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(fds_both_ways)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    sync_client(c);
    int base = ut_count_fds();
    cleanup_free char *path = NULL;
    CHECK(asprintf(&path, "%s/client-file", ut_tmpdir()) > 0);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    struct urpc_result res;
    Urpc__Ping p = URPC__PING__INIT;
    CHECK_INT(urpc_client_call(c, TM_FDS, &p.base, &fd, 1, &urpc__ping__descriptor, &res), ==, 0);
    /* The server saw our file... */
    const Urpc__Ping *got = (const Urpc__Ping *)res.msg;
    char want[32];
    snprintf(want, sizeof(want), "%llu", (unsigned long long)th_ino(fd));
    CHECK_INT(got->data.len, ==, strlen(want));
    CHECK(memcmp(got->data.data, want, strlen(want)) == 0);
    close(fd);
    /* ... and we got the file it opened. */
    CHECK_INT(res.fd_count, ==, 1);
    struct stat st;
    cleanup_free char *spath = NULL;
    CHECK(asprintf(&spath, "%s/server-file", ut_tmpdir()) > 0);
    CHECK_INT(stat(spath, &st), ==, 0);
    CHECK_INT(th_ino(res.fds[0]), ==, st.st_ino);
    CHECK(write(res.fds[0], "x", 1) == 1);
    CHECK_INT(res.fds[1], ==, -1);
    urpc_result_release(&res);
    sync_client(c);                      /* the server closes its copies after sending */
    CHECK_INT(ut_count_fds(), ==, base); /* nothing kept on either side */
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(reply_fd_cap)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    sync_client(c);
    int base = ut_count_fds();
    struct urpc_result res;
    Urpc__Ping p = URPC__PING__INIT;
    CHECK_INT(urpc_client_call(c, TM_MANY_FDS, &p.base, NULL, 0, NULL, &res), ==, 0);
    CHECK_INT(res.fd_count, ==, URPC_MAX_FDS);
    urpc_result_release(&res);
    sync_client(c);                      /* the server closes its copies after sending */
    CHECK_INT(ut_count_fds(), ==, base); /* the 17th was closed by the server */
    /* The client refuses to send more than the cap. */
    int fds[URPC_MAX_FDS + 1];
    th_open_fds(fds, URPC_MAX_FDS + 1);
    CHECK_INT(urpc_client_call(c, TM_FDS, &p.base, fds, URPC_MAX_FDS + 1, NULL, &res), ==,
              -ETOOMANYREFS);
    th_close_fds(fds, URPC_MAX_FDS + 1);
    CHECK_INT(th_ping(c, "ok", 2, &res), ==, 0);
    urpc_result_release(&res);
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(handler_keeps_fd)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct urpc_result res;
    Urpc__Ping p = URPC__PING__INIT;
    CHECK_INT(urpc_client_call(c, TM_KEEP_FD, &p.base, &fd, 1, NULL, &res), ==, 0);
    CHECK(g_kept_fd >= 0);
    CHECK_INT(th_ino(g_kept_fd), ==, th_ino(fd)); /* still open: not closed by urpc */
    close(g_kept_fd);
    close(fd);
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(error_reply_reaches_client)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    struct urpc_result res;
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = (uint8_t *)"/etc/x";
    p.data.len = 6;
    CHECK_INT(urpc_client_call(c, TM_ERROR, &p.base, NULL, 0, &urpc__ping__descriptor, &res), ==,
              -ENOENT);
    CHECK(res.remote_error);
    CHECK_STR(res.error_msg, "no such thing: /etc/x");
    CHECK(res.msg == NULL);
    urpc_result_release(&res);
    /* Without a message the errno's text is sent. */
    CHECK_INT(urpc_client_call(c, TM_ERRNO, &p.base, NULL, 0, NULL, &res), ==, -EACCES);
    CHECK(res.remote_error);
    CHECK_STR(res.error_msg, strerror(EACCES));
    urpc_result_release(&res);
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(unknown_method_enosys_closes_fds)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c = th_client(&t);
    sync_client(c);
    int base = ut_count_fds();
    int fds[3];
    th_open_fds(fds, 3);
    struct urpc_result res;
    CHECK_INT(urpc_client_call(c, TM_UNKNOWN, NULL, fds, 3, NULL, &res), ==, -ENOSYS);
    CHECK(res.remote_error);
    CHECK_STR(res.error_msg, "unknown method 0xff000063");
    urpc_result_release(&res);
    th_close_fds(fds, 3);
    CHECK_INT(ut_count_fds(), ==, base); /* the server closed its copies */
    /* A listed method this server does not serve is named in the message. */
    CHECK_INT(urpc_client_call(c, URPC_METHOD_CONTROL_WAIT, NULL, NULL, 0, NULL, &res), ==,
              -ENOSYS);
    CHECK_STR(res.error_msg, "unknown method Control.Wait");
    urpc_result_release(&res);
    urpc_client_free(c);
    th_server_stop(&t);
}

TEST(malformed_protobuf_einval_closes_fds)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_conn *c = raw_conn(&t);
    sync_raw(c);
    int base = ut_count_fds();
    uint8_t buf[URPC_HDR_SIZE + 4];
    th_hdr(buf, URPC_KIND_CALL, 0, 2, 4, URPC_METHOD_PING, 5);
    memcpy(buf + URPC_HDR_SIZE, "\x0a\xff\xff\xff", 4); /* length runs off the end */
    int fds[2];
    th_open_fds(fds, 2);
    th_send_raw(urpc_conn_fd(c), buf, sizeof(buf), fds, 2);
    th_close_fds(fds, 2);
    struct urpc_frame *f = read_frame(c);
    cleanup_free char *msg = expect_error(f, 5, EINVAL);
    CHECK_CONTAINS(msg, "malformed Urpc.Ping request");
    urpc_frame_free(f);
    CHECK_INT(ut_count_fds(), ==, base);
    /* The connection is still good. */
    th_hdr(buf, URPC_KIND_CALL, 0, 0, 2, URPC_METHOD_PING, 6);
    memcpy(buf + URPC_HDR_SIZE, "\x0a\x00", 2);
    th_send_raw(urpc_conn_fd(c), buf, URPC_HDR_SIZE + 2, NULL, 0);
    f = read_frame(c);
    CHECK_INT(f->hdr.id, ==, 6);
    CHECK_INT(f->hdr.flags, ==, 0);
    urpc_frame_free(f);
    urpc_conn_free(c);
    th_server_stop(&t);
}

/* A peer that breaks the framing loses its connection, nobody else does. */
TEST(server_drops_bad_peer_only)
{
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *good = th_client(&t);
    static const int kinds[] = {0, 1, 2, 3, 4};
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        struct urpc_conn *bad = raw_conn(&t);
        uint8_t h[URPC_HDR_SIZE];
        th_hdr(h, URPC_KIND_CALL, 0, 0, 0, URPC_METHOD_PING, 1);
        switch (kinds[k]) {
        case 0:
            h[1] = 'x'; /* magic */
            break;
        case 1:
            h[4] = 9; /* version */
            break;
        case 2:
            th_hdr(h, URPC_KIND_CALL, 0, 0, URPC_MAX_PAYLOAD_SIZE + 1, URPC_METHOD_PING, 1);
            break;
        case 3:
            th_hdr(h, URPC_KIND_REPLY, 0, 0, 0, URPC_METHOD_PING, 1); /* not a call */
            break;
        case 4:
            th_hdr(h, URPC_KIND_CALL, 0, 1, 0, URPC_METHOD_PING, 1); /* fd missing */
            break;
        }
        th_send_raw(urpc_conn_fd(bad), h, sizeof(h), NULL, 0);
        struct urpc_frame *f = NULL;
        CHECK_INT(urpc_conn_recv(bad, &f), ==, 0); /* closed without a reply */
        urpc_conn_free(bad);
        struct urpc_result res;
        CHECK_INT(th_ping(good, "still", 5, &res), ==, 0);
        urpc_result_release(&res);
    }
    urpc_client_free(good);
    th_server_stop(&t);
}

/* A fake server: replies are written into the socket before the call. */
static struct urpc_client *fake_server(int *peer)
{
    int sv[2];
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    struct urpc_client *c = NULL;
    CHECK_INT(urpc_client_new(sv[0], &c), ==, 0);
    *peer = sv[1];
    return c;
}

static void put_error_reply(int peer, uint64_t id, int errnum, const int *fds, size_t fd_count)
{
    Urpc__Error e = URPC__ERROR__INIT;
    e.errnum = errnum;
    e.message = "m";
    uint8_t buf[URPC_HDR_SIZE + 64];
    size_t n = urpc__error__pack(&e, buf + URPC_HDR_SIZE);
    th_hdr(buf, URPC_KIND_REPLY, URPC_FLAG_ERROR, (uint8_t)fd_count, (uint32_t)n, TM_ERROR, id);
    th_send_raw(peer, buf, URPC_HDR_SIZE + n, fds, fd_count);
}

TEST(client_rejects_bad_error_replies)
{
    int base = ut_count_fds();
    static const int bad_errnos[] = {0, -5, 4096, 1 << 30};
    for (size_t i = 0; i < ARRAY_SIZE(bad_errnos); i++) {
        int peer;
        struct urpc_client *c = fake_server(&peer);
        put_error_reply(peer, 1, bad_errnos[i], NULL, 0);
        struct urpc_result res;
        CHECK_INT(urpc_client_call(c, TM_ERROR, NULL, NULL, 0, NULL, &res), ==, -EPROTO);
        CHECK(!res.remote_error);
        CHECK(res.error_msg == NULL);
        urpc_client_free(c);
        close(peer);
    }
    /* An error reply must not carry fds; they are closed. */
    int peer;
    struct urpc_client *c = fake_server(&peer);
    int fds[2];
    th_open_fds(fds, 2);
    put_error_reply(peer, 1, EIO, fds, 2);
    th_close_fds(fds, 2);
    struct urpc_result res;
    CHECK_INT(urpc_client_call(c, TM_ERROR, NULL, NULL, 0, NULL, &res), ==, -EPROTO);
    urpc_client_free(c);
    close(peer);
    CHECK_INT(ut_count_fds(), ==, base);
    /* A good one, for contrast. */
    c = fake_server(&peer);
    put_error_reply(peer, 1, EIO, NULL, 0);
    CHECK_INT(urpc_client_call(c, TM_ERROR, NULL, NULL, 0, NULL, &res), ==, -EIO);
    CHECK_STR(res.error_msg, "m");
    urpc_result_release(&res);
    urpc_client_free(c);
    close(peer);
}

TEST(client_rejects_mismatched_reply)
{
    int base = ut_count_fds();
    int peer;
    struct urpc_client *c = fake_server(&peer);
    uint8_t h[URPC_HDR_SIZE];
    int fd;
    th_open_fds(&fd, 1);
    th_hdr(h, URPC_KIND_REPLY, 0, 1, 0, URPC_METHOD_PING, 2); /* the call's id is 1 */
    th_send_raw(peer, h, sizeof(h), &fd, 1);
    close(fd);
    struct urpc_result res;
    CHECK_INT(urpc_client_call(c, URPC_METHOD_PING, NULL, NULL, 0, NULL, &res), ==, -EPROTO);
    CHECK_INT(res.fd_count, ==, 0);
    /* The stream is not trusted any more. */
    CHECK_INT(urpc_client_call(c, URPC_METHOD_PING, NULL, NULL, 0, NULL, &res), ==, -ENOTCONN);
    urpc_client_free(c);
    close(peer);
    CHECK_INT(ut_count_fds(), ==, base);
}

TEST(client_malformed_result_ebadmsg)
{
    int peer;
    struct urpc_client *c = fake_server(&peer);
    uint8_t buf[URPC_HDR_SIZE + 2];
    th_hdr(buf, URPC_KIND_REPLY, 0, 0, 2, URPC_METHOD_PING, 1);
    memcpy(buf + URPC_HDR_SIZE, "\x0a\x05", 2);
    th_send_raw(peer, buf, sizeof(buf), NULL, 0);
    struct urpc_result res;
    CHECK_INT(urpc_client_call(c, URPC_METHOD_PING, NULL, NULL, 0, &urpc__ping__descriptor, &res),
              ==, -EBADMSG);
    CHECK(res.msg == NULL);
    urpc_client_free(c);
    close(peer);
}

TEST(client_server_closed)
{
    int peer;
    struct urpc_client *c = fake_server(&peer);
    close(peer);
    struct urpc_result res;
    int r = urpc_client_call(c, URPC_METHOD_PING, NULL, NULL, 0, NULL, &res);
    CHECK(r == -EPIPE || r == -ECONNRESET);
    CHECK_INT(urpc_client_call(c, URPC_METHOD_PING, NULL, NULL, 0, NULL, &res), ==, -ENOTCONN);
    urpc_client_free(c);
}

struct worker {
    struct th_server *t;
    int index;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct urpc_client *c = NULL;
    if (urpc_client_connect(w->t->path, &c) < 0) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < 200; i++) {
        char data[64];
        int n = snprintf(data, sizeof(data), "worker %d call %d", w->index, i);
        struct urpc_result res;
        int r = th_ping(c, data, (size_t)n, &res);
        const Urpc__Ping *p = (const Urpc__Ping *)res.msg;
        if (r != 0 || !p || p->data.len != (size_t)n || memcmp(p->data.data, data, n) != 0)
            w->failures++;
        urpc_result_release(&res);
    }
    urpc_client_free(c);
    return NULL;
}

TEST(concurrent_clients)
{
    struct th_server t;
    th_server_start(&t);
    /* A peer stuck in the middle of a frame must not hold anyone up. */
    struct urpc_conn *stuck = raw_conn(&t);
    uint8_t h[URPC_HDR_SIZE];
    th_hdr(h, URPC_KIND_CALL, 0, 0, 100, URPC_METHOD_PING, 1);
    th_send_raw(urpc_conn_fd(stuck), h, sizeof(h), NULL, 0);
    enum { N = 8 };
    struct worker w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct worker){&t, i, 0};
        CHECK_INT(pthread_create(&th[i], NULL, worker_main, &w[i]), ==, 0);
    }
    for (int i = 0; i < N; i++) {
        CHECK_INT(pthread_join(th[i], NULL), ==, 0);
        CHECK_INT(w[i].failures, ==, 0);
    }
    urpc_conn_free(stuck);
    th_server_stop(&t);
}

TEST(server_stop_closes_connections)
{
    int base = ut_count_fds();
    struct th_server t;
    th_server_start(&t);
    struct urpc_client *c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = th_client(&t);
        struct urpc_result res;
        CHECK_INT(th_ping(c[i], "x", 1, &res), ==, 0);
        urpc_result_release(&res);
    }
    th_server_stop(&t);
    for (int i = 0; i < 3; i++) {
        struct urpc_result res;
        int r = th_ping(c[i], "x", 1, &res);
        CHECK(r == -ECONNRESET || r == -EPIPE);
        urpc_client_free(c[i]);
    }
    CHECK_INT(ut_count_fds(), ==, base);
}

TEST(register_rules)
{
    struct urpc_server *s = NULL;
    CHECK_INT(urpc_server_new(&s), ==, 0);
    CHECK_INT(urpc_server_register(s, URPC_METHOD_PING, NULL, NULL, NULL), ==, -EINVAL);
    CHECK_INT(urpc_server_register(s, URPC_METHOD_PING, &urpc__ping__descriptor, (urpc_handler_fn)1,
                                   NULL),
              ==, -EEXIST);
    urpc_server_free(s);
}

/* The connection-level API an event loop uses, without any thread. */
TEST(on_readable_event_loop_api)
{
    struct urpc_server *s = NULL;
    CHECK_INT(urpc_server_new(&s), ==, 0);
    int sv[2];
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    th_nonblock(sv[0]);
    struct urpc_conn *sc = NULL, *cc = NULL;
    CHECK_INT(urpc_conn_new(sv[0], &sc), ==, 0);
    CHECK_INT(urpc_conn_new(sv[1], &cc), ==, 0);
    CHECK_INT(urpc_server_on_readable(s, sc), ==, 0); /* nothing yet */
    for (uint64_t id = 1; id <= 3; id++) {
        Urpc__Ping p = URPC__PING__INIT;
        struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = URPC_METHOD_PING, .id = id};
        CHECK_INT(urpc_conn_send(cc, &h, &p.base, NULL, 0), ==, 0);
    }
    CHECK_INT(urpc_server_on_readable(s, sc), ==, 0);
    for (uint64_t id = 1; id <= 3; id++) {
        struct urpc_frame *f = read_frame(cc);
        CHECK_INT(f->hdr.kind, ==, URPC_KIND_REPLY);
        CHECK_INT(f->hdr.id, ==, id);
        urpc_frame_free(f);
    }
    urpc_conn_free(cc);
    CHECK_INT(urpc_server_on_readable(s, sc), ==, 1); /* peer closed */
    urpc_conn_free(sc);
    urpc_server_free(s);
}

/* Serving a socketpair end (as the gofer will) through the runner. */
static void *run_no_listen(void *arg)
{
    return (void *)(intptr_t)urpc_server_run(arg, -1);
}

TEST(server_add_fd)
{
    struct urpc_server *s = NULL;
    CHECK_INT(urpc_server_new(&s), ==, 0);
    int sv[2];
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    CHECK_INT(urpc_server_add_fd(s, sv[0]), ==, 0);
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, run_no_listen, s), ==, 0);
    struct urpc_client *c = NULL;
    CHECK_INT(urpc_client_new(sv[1], &c), ==, 0);
    struct urpc_result res;
    CHECK_INT(th_ping(c, "pair", 4, &res), ==, 0);
    urpc_result_release(&res);
    urpc_server_stop(s);
    void *rc;
    CHECK_INT(pthread_join(th, &rc), ==, 0);
    CHECK(rc == NULL);
    urpc_client_free(c);
    urpc_server_free(s);
}
