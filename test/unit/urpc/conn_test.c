/* urpc frame header and connection-level tests: every guard of
 * urpc_conn_recv, fd passing and the send queue. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "test/unit/harness.h"
#include "test/unit/urpc/helpers.h"
#include "urpc/conn.h"
#include "urpc/frame.h"
#include "urpc/methods.h"
#include "urpc/proto/urpc.pb-c.h"

/* A socketpair whose end 0 is wrapped in a conn (non-blocking when asked). */
static struct urpc_conn *pair_conn(int *peer, bool nonblock)
{
    int sv[2];
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    if (nonblock)
        th_nonblock(sv[0]);
    struct urpc_conn *c = NULL;
    CHECK_INT(urpc_conn_new(sv[0], &c), ==, 0);
    *peer = sv[1];
    return c;
}

TEST(hdr_layout)
{
    struct urpc_hdr h = {
        .kind = URPC_KIND_REPLY,
        .flags = URPC_FLAG_ERROR,
        .fd_count = 3,
        .payload_size = 0x00f10203,
        .method = 0x0a0b0c0d,
        .id = 0x1122334455667788ull,
    };
    uint8_t b[URPC_HDR_SIZE];
    urpc_hdr_encode(&h, b);
    static const uint8_t want[URPC_HDR_SIZE] = {
        'U',  'R',  'P',  'C',  1,    2,    1,    3,    0x03, 0x02, 0xf1, 0x00,
        0x0d, 0x0c, 0x0b, 0x0a, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
    };
    CHECK(memcmp(b, want, sizeof(want)) == 0);
    struct urpc_hdr d;
    CHECK_INT(urpc_hdr_decode(b, &d), ==, 0);
    CHECK_INT(d.kind, ==, h.kind);
    CHECK_INT(d.flags, ==, h.flags);
    CHECK_INT(d.fd_count, ==, 3);
    CHECK_INT(d.payload_size, ==, h.payload_size);
    CHECK_INT(d.method, ==, h.method);
    CHECK(d.id == h.id);
}

TEST(hdr_rejects_bad_fields)
{
    uint8_t b[URPC_HDR_SIZE];
    struct urpc_hdr d;
    th_hdr(b, URPC_KIND_CALL, 0, URPC_MAX_FDS, URPC_MAX_PAYLOAD_SIZE, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, 0); /* the limits themselves are fine */
    b[3] = 'D';
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EPROTO);
    th_hdr(b, URPC_KIND_CALL, 0, 0, 0, 1, 1);
    b[4] = URPC_VERSION + 1;
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EPROTONOSUPPORT);
    th_hdr(b, 0, 0, 0, 0, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EPROTO);
    th_hdr(b, 3, 0, 0, 0, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EPROTO);
    th_hdr(b, URPC_KIND_CALL, URPC_FLAG_ERROR, 0, 0, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EPROTO);
    th_hdr(b, URPC_KIND_REPLY, 0x80, 0, 0, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EPROTO);
    th_hdr(b, URPC_KIND_CALL, 0, 0, URPC_MAX_PAYLOAD_SIZE + 1, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -EMSGSIZE);
    th_hdr(b, URPC_KIND_CALL, 0, URPC_MAX_FDS + 1, 0, 1, 1);
    CHECK_INT(urpc_hdr_decode(b, &d), ==, -ETOOMANYREFS);
}

TEST(method_names)
{
    CHECK_STR(urpc_method_name(URPC_METHOD_CONTROL_START_ROOT), "Control.StartRoot");
    CHECK_STR(urpc_method_name(URPC_METHOD_GOFER_CLOSE), "Gofer.Close");
    CHECK(urpc_method_name(URPC_METHOD_TEST_BASE) == NULL);
    uint32_t id = 0;
    CHECK_INT(urpc_method_lookup("Control.Wait", &id), ==, 0);
    CHECK_INT(id, ==, URPC_METHOD_CONTROL_WAIT);
    CHECK_INT(urpc_method_lookup("Gofer.Walk", &id), ==, 0);
    CHECK_INT(id, ==, URPC_METHOD_GOFER_WALK);
    CHECK_INT(urpc_method_lookup("Control.Nope", &id), ==, -ENOENT);
}

TEST(conn_requires_stream_socket)
{
    int base = ut_count_fds();
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), ==, 0);
    struct urpc_conn *c = NULL;
    CHECK_INT(urpc_conn_new(sv[0], &c), ==, -EPROTOTYPE);
    close(sv[1]);
    int p[2];
    CHECK_INT(pipe(p), ==, 0);
    CHECK_INT(urpc_conn_new(p[0], &c), ==, -ENOTSOCK);
    close(p[1]);
    CHECK_INT(ut_count_fds(), ==, base); /* the fds were taken in every case */
}

TEST(recv_bad_magic_closes_fds)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    int base = ut_count_fds();
    uint8_t h[URPC_HDR_SIZE];
    th_hdr(h, URPC_KIND_CALL, 0, 3, 0, URPC_METHOD_PING, 1);
    h[0] = 'X';
    int fds[3];
    th_open_fds(fds, 3);
    th_send_raw(peer, h, sizeof(h), fds, 3);
    th_close_fds(fds, 3);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, -EPROTO);
    CHECK(f == NULL);
    CHECK_INT(ut_count_fds(), ==, base);
    /* Sticky: a good frame after a bad one is not trusted. */
    th_hdr(h, URPC_KIND_CALL, 0, 0, 0, URPC_METHOD_PING, 2);
    th_send_raw(peer, h, sizeof(h), NULL, 0);
    CHECK_INT(urpc_conn_recv(c, &f), ==, -EPROTO);
    urpc_conn_free(c);
    close(peer);
}

TEST(recv_bad_version_closes_fds)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    int base = ut_count_fds();
    uint8_t h[URPC_HDR_SIZE];
    th_hdr(h, URPC_KIND_CALL, 0, 2, 0, URPC_METHOD_PING, 1);
    h[4] = URPC_VERSION + 1;
    int fds[2];
    th_open_fds(fds, 2);
    th_send_raw(peer, h, sizeof(h), fds, 2);
    th_close_fds(fds, 2);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, -EPROTONOSUPPORT);
    CHECK_INT(ut_count_fds(), ==, base);
    urpc_conn_free(c);
    close(peer);
}

TEST(recv_oversize_rejected_at_header)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    int base = ut_count_fds();
    uint8_t h[URPC_HDR_SIZE];
    th_hdr(h, URPC_KIND_CALL, 0, 1, URPC_MAX_PAYLOAD_SIZE + 1, URPC_METHOD_PING, 1);
    int fd;
    th_open_fds(&fd, 1);
    th_send_raw(peer, h, sizeof(h), &fd, 1);
    close(fd);
    /* Rejected from the header alone, without waiting for 16 MiB. */
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, -EMSGSIZE);
    CHECK_INT(ut_count_fds(), ==, base);
    urpc_conn_free(c);
    close(peer);
}

TEST(send_oversize_rejected)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    th_nonblock(peer);
    size_t size = URPC_MAX_PAYLOAD_SIZE; /* + tag + length > the cap */
    cleanup_free uint8_t *data = calloc(1, size);
    CHECK(data);
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = data;
    p.data.len = size;
    struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = URPC_METHOD_PING, .id = 1};
    CHECK_INT(urpc_conn_send(c, &h, &p.base, NULL, 0), ==, -EMSGSIZE);
    int fds[URPC_MAX_FDS + 1];
    th_open_fds(fds, URPC_MAX_FDS + 1);
    CHECK_INT(urpc_conn_send(c, &h, NULL, fds, URPC_MAX_FDS + 1), ==, -ETOOMANYREFS);
    char b;
    CHECK(recv(peer, &b, 1, 0) < 0 && errno == EAGAIN); /* nothing was sent */
    th_close_fds(fds, URPC_MAX_FDS + 1);
    urpc_conn_free(c);
    close(peer);
}

TEST(recv_clean_eof)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, false);
    close(peer);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, 0);
    CHECK(f == NULL);
    urpc_conn_free(c);
}

TEST(recv_eof_mid_header_closes_fds)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, false);
    int base = ut_count_fds();
    uint8_t h[URPC_HDR_SIZE];
    th_hdr(h, URPC_KIND_CALL, 0, 2, 0, URPC_METHOD_PING, 1);
    int fds[2];
    th_open_fds(fds, 2);
    th_send_raw(peer, h, 10, fds, 2);
    th_close_fds(fds, 2);
    close(peer);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, -ECONNRESET);
    CHECK(f == NULL);
    CHECK_INT(ut_count_fds(), ==, base - 1); /* peer closed */
    urpc_conn_free(c);
}

TEST(recv_eof_mid_payload_closes_fds)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, false);
    int base = ut_count_fds();
    uint8_t buf[URPC_HDR_SIZE + 50];
    memset(buf, 0x0a, sizeof(buf));
    th_hdr(buf, URPC_KIND_CALL, 0, 2, 100, URPC_METHOD_PING, 1);
    int fds[2];
    th_open_fds(fds, 2);
    th_send_raw(peer, buf, sizeof(buf), fds, 2);
    th_close_fds(fds, 2);
    close(peer);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, -ECONNRESET);
    CHECK(f == NULL);
    CHECK_INT(ut_count_fds(), ==, base - 1);
    urpc_conn_free(c);
}

TEST(recv_short_reads)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    uint8_t buf[URPC_HDR_SIZE + 300];
    for (size_t i = URPC_HDR_SIZE; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    th_hdr(buf, URPC_KIND_CALL, 0, 2, 300, URPC_METHOD_PING, 7);
    int fds[2];
    fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fds[1] = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    ino_t ino0 = th_ino(fds[0]), ino1 = th_ino(fds[1]);
    struct urpc_frame *f = NULL;
    for (size_t i = 0; i < sizeof(buf); i++) {
        /* One byte per write; the fds travel with the first. */
        th_send_raw(peer, buf + i, 1, fds, i == 0 ? 2 : 0);
        int r = urpc_conn_recv(c, &f);
        if (i + 1 < sizeof(buf)) {
            CHECK_INT(r, ==, -EAGAIN);
            CHECK(f == NULL);
        } else {
            CHECK_INT(r, ==, 1);
        }
    }
    th_close_fds(fds, 2);
    CHECK(f != NULL);
    CHECK_INT(f->hdr.id, ==, 7);
    CHECK_INT(f->hdr.payload_size, ==, 300);
    CHECK(memcmp(f->payload, buf + URPC_HDR_SIZE, 300) == 0);
    CHECK_INT(f->hdr.fd_count, ==, 2);
    CHECK_INT(th_ino(f->fds[0]), ==, ino0);
    CHECK_INT(th_ino(f->fds[1]), ==, ino1);
    CHECK_INT(f->fds[2], ==, -1);
    urpc_frame_free(f);
    urpc_conn_free(c);
    close(peer);
}

TEST(recv_too_many_fds_closes_all)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    int base = ut_count_fds();
    uint8_t h[URPC_HDR_SIZE];
    th_hdr(h, URPC_KIND_CALL, 0, 2, 0, URPC_METHOD_PING, 1);
    int fds[URPC_MAX_FDS + 4];
    th_open_fds(fds, URPC_MAX_FDS + 4);
    th_send_raw(peer, h, sizeof(h), fds, URPC_MAX_FDS + 4);
    th_close_fds(fds, URPC_MAX_FDS + 4);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, -ETOOMANYREFS);
    CHECK_INT(ut_count_fds(), ==, base); /* the 4 extras too */
    urpc_conn_free(c);
    close(peer);
}

TEST(recv_fd_count_mismatch_closes_fds)
{
    int base0 = ut_count_fds();
    for (int round = 0; round < 2; round++) {
        int peer;
        struct urpc_conn *c = pair_conn(&peer, true);
        int base = ut_count_fds();
        uint8_t h[URPC_HDR_SIZE];
        /* Round 0: fewer fds than announced. Round 1: more, which is seen
         * at once, before the announced payload arrives. */
        th_hdr(h, URPC_KIND_CALL, 0, round == 0 ? 3 : 0, round == 0 ? 0 : 100, URPC_METHOD_PING, 1);
        int fds[2];
        th_open_fds(fds, 2);
        th_send_raw(peer, h, sizeof(h), fds, round == 0 ? 1 : 2);
        th_close_fds(fds, 2);
        struct urpc_frame *f = NULL;
        CHECK_INT(urpc_conn_recv(c, &f), ==, -EBADMSG);
        CHECK(f == NULL);
        CHECK_INT(ut_count_fds(), ==, base);
        urpc_conn_free(c);
        close(peer);
    }
    CHECK_INT(ut_count_fds(), ==, base0);
}

TEST(fds_stay_with_their_frame)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    uint8_t a[URPC_HDR_SIZE + 4] = {0}, b[URPC_HDR_SIZE + 4] = {0};
    th_hdr(a, URPC_KIND_CALL, 0, 0, 4, URPC_METHOD_PING, 1);
    th_hdr(b, URPC_KIND_CALL, 0, 2, 4, URPC_METHOD_PING, 2);
    int fds[2];
    th_open_fds(fds, 2);
    /* Both frames are queued before the reader looks at either. */
    th_send_raw(peer, a, sizeof(a), NULL, 0);
    th_send_raw(peer, b, sizeof(b), fds, 2);
    th_close_fds(fds, 2);
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, 1);
    CHECK_INT(f->hdr.id, ==, 1);
    CHECK_INT(f->hdr.fd_count, ==, 0);
    CHECK_INT(f->fds[0], ==, -1);
    urpc_frame_free(f);
    CHECK_INT(urpc_conn_recv(c, &f), ==, 1);
    CHECK_INT(f->hdr.id, ==, 2);
    CHECK_INT(f->hdr.fd_count, ==, 2);
    CHECK(f->fds[0] >= 0 && f->fds[1] >= 0);
    urpc_frame_free(f);
    CHECK_INT(urpc_conn_recv(c, &f), ==, -EAGAIN);
    urpc_conn_free(c);
    close(peer);
}

TEST(nonblocking_send_queue)
{
    int peer_fd;
    struct urpc_conn *c = pair_conn(&peer_fd, true);
    th_nonblock(peer_fd);
    struct urpc_conn *peer = NULL;
    CHECK_INT(urpc_conn_new(peer_fd, &peer), ==, 0);
    int base = ut_count_fds();

    size_t size = 4u << 20; /* more than the socket buffers hold */
    cleanup_free uint8_t *data = malloc(size);
    CHECK(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 7);
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = data;
    p.data.len = size;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    ino_t ino = th_ino(fd);
    struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = URPC_METHOD_PING, .id = 9};
    CHECK_INT(urpc_conn_send(c, &h, &p.base, &fd, 1), ==, 0);
    close(fd); /* borrowed: the queue holds its own copy */
    CHECK(urpc_conn_pending(c));

    struct urpc_frame *f = NULL;
    int r, rounds = 0;
    while ((r = urpc_conn_recv(peer, &f)) == -EAGAIN) {
        int fr = urpc_conn_flush(c);
        CHECK(fr == 0 || fr == -EAGAIN);
        CHECK(++rounds < 100000);
    }
    CHECK_INT(r, ==, 1);
    CHECK(!urpc_conn_pending(c));
    Urpc__Ping *got = urpc__ping__unpack(NULL, f->hdr.payload_size, f->payload);
    CHECK(got);
    CHECK_INT(got->data.len, ==, size);
    CHECK(memcmp(got->data.data, data, size) == 0);
    urpc__ping__free_unpacked(got, NULL);
    CHECK_INT(th_ino(f->fds[0]), ==, ino);
    urpc_frame_free(f);
    CHECK_INT(ut_count_fds(), ==, base);
    urpc_conn_free(c);
    urpc_conn_free(peer);
}

TEST(free_with_queued_fds_closes_them)
{
    int peer;
    struct urpc_conn *c = pair_conn(&peer, true);
    int base = ut_count_fds();
    size_t size = 4u << 20;
    cleanup_free uint8_t *data = calloc(1, size);
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = data;
    p.data.len = size;
    struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = URPC_METHOD_PING, .id = 1};
    CHECK_INT(urpc_conn_send(c, &h, &p.base, NULL, 0), ==, 0); /* fills the socket */
    int fds[3];
    th_open_fds(fds, 3);
    CHECK_INT(urpc_conn_send(c, &h, NULL, fds, 3), ==, 0); /* queued, not sent */
    th_close_fds(fds, 3);
    CHECK_INT(ut_count_fds(), ==, base + 3);
    urpc_conn_free(c);
    CHECK_INT(ut_count_fds(), ==, base - 1);
    close(peer);
}
