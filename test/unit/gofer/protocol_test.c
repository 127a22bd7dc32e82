/* The gofer facing a hostile or broken peer: raw frames with malformed or
 * semantically bad requests get error replies, and the server keeps serving
 * (this connection and the others). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "test/unit/gofer/helpers.h"
#include "test/unit/harness.h"
#include "urpc/conn.h"
#include "urpc/frame.h"
#include "urpc/methods.h"
#include "urpc/proto/gofer.pb-c.h"
#include "urpc/proto/urpc.pb-c.h"

static uint64_t g_next_id = 1;

static struct urpc_conn *raw_conn(struct tg *t)
{
    struct urpc_conn *c = NULL;
    CHECK_INT(urpc_conn_new(t->extra_sock, &c), ==, 0);
    t->extra_sock = -1; /* the conn owns it */
    return c;
}

static struct urpc_frame *recv_reply(struct urpc_conn *c, uint32_t method, uint64_t id)
{
    struct urpc_frame *f = NULL;
    CHECK_INT(urpc_conn_recv(c, &f), ==, 1);
    CHECK_INT(f->hdr.kind, ==, URPC_KIND_REPLY);
    CHECK_INT(f->hdr.method, ==, method);
    CHECK_INT(f->hdr.id, ==, id);
    return f;
}

/* Sends payload bytes as-is as a call of method; returns the reply. */
static struct urpc_frame *raw_call(struct urpc_conn *c, uint32_t method, const void *payload,
                                   size_t len)
{
    uint8_t buf[URPC_HDR_SIZE + 256];
    CHECK(len <= 256);
    uint64_t id = g_next_id++;
    struct urpc_hdr h = {
        .kind = URPC_KIND_CALL, .payload_size = (uint32_t)len, .method = method, .id = id};
    urpc_hdr_encode(&h, buf);
    if (len)
        memcpy(buf + URPC_HDR_SIZE, payload, len);
    CHECK_INT(fu_write_all(urpc_conn_fd(c), buf, URPC_HDR_SIZE + len), ==, 0);
    return recv_reply(c, method, id);
}

static struct urpc_frame *msg_call(struct urpc_conn *c, uint32_t method, const ProtobufCMessage *m)
{
    uint64_t id = g_next_id++;
    struct urpc_hdr h = {.kind = URPC_KIND_CALL, .method = method, .id = id};
    CHECK_INT(urpc_conn_send(c, &h, m, NULL, 0), ==, 0);
    return recv_reply(c, method, id);
}

/* 0 for a result reply, else the errno of the error reply. Frees f. */
static int reply_errno(struct urpc_frame *f)
{
    int e = 0;
    if (f->hdr.flags & URPC_FLAG_ERROR) {
        Urpc__Error *err = urpc__error__unpack(NULL, f->hdr.payload_size, f->payload);
        CHECK(err);
        e = err->errnum;
        CHECK(e > 0);
        urpc__error__free_unpacked(err, NULL);
    }
    urpc_frame_free(f);
    return e;
}

/* A Gofer.Mount on the raw connection: the root fid. */
static uint64_t raw_mount(struct urpc_conn *c)
{
    Gofer__MountRequest req = GOFER__MOUNT_REQUEST__INIT;
    struct urpc_frame *f = msg_call(c, URPC_METHOD_GOFER_MOUNT, &req.base);
    CHECK_INT(f->hdr.flags, ==, 0);
    Gofer__MountReply *m = gofer__mount_reply__unpack(NULL, f->hdr.payload_size, f->payload);
    CHECK(m && m->root && m->root->attr);
    uint64_t fid = m->root->fid;
    CHECK(S_ISDIR(m->root->attr->mode));
    gofer__mount_reply__free_unpacked(m, NULL);
    urpc_frame_free(f);
    return fid;
}

static const uint32_t g_methods[] = {
    URPC_METHOD_GOFER_MOUNT,   URPC_METHOD_GOFER_WALK,     URPC_METHOD_GOFER_STAT,
    URPC_METHOD_GOFER_OPEN,    URPC_METHOD_GOFER_GETDENTS, URPC_METHOD_GOFER_READLINK,
    URPC_METHOD_GOFER_CLOSE,   URPC_METHOD_GOFER_CREATE,   URPC_METHOD_GOFER_MKDIR,
    URPC_METHOD_GOFER_UNLINK,  URPC_METHOD_GOFER_SET_ATTR, URPC_METHOD_GOFER_MKNOD,
    URPC_METHOD_GOFER_SYMLINK, URPC_METHOD_GOFER_LINK,     URPC_METHOD_GOFER_RENAME,
    URPC_METHOD_GOFER_STATFS,
};

TEST(malformed_payload_gets_an_error_and_the_server_goes_on)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, true);
    struct urpc_conn *c = raw_conn(&t);
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t truncated[] = {0x12, 0x05, 'a', 'b'}; /* field 2: 5 bytes, 2 sent */
    for (size_t i = 0; i < sizeof(g_methods) / sizeof(g_methods[0]); i++) {
        CHECK_INT(reply_errno(raw_call(c, g_methods[i], garbage, sizeof(garbage))), ==, EINVAL);
        CHECK_INT(reply_errno(raw_call(c, g_methods[i], truncated, sizeof(truncated))), ==, EINVAL);
    }
    /* An unknown Gofer method. */
    CHECK_INT(reply_errno(raw_call(c, 0x2ff, NULL, 0)), ==, ENOSYS);
    /* The same connection still serves, and so does the client's. */
    uint64_t root = raw_mount(c);
    CHECK(root != 0);
    uint64_t croot = tg_mount(&t);
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, croot, &a), ==, 0);
    urpc_conn_free(c);
    tg_stop(&t);
}

TEST(bad_requests_are_refused)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, true);
    struct urpc_conn *c = raw_conn(&t);
    uint64_t root = raw_mount(c);

    /* Names with NUL or "/" inside, which a C client cannot even send. */
    static const struct {
        const char *data;
        size_t len;
        int err;
    } names[] = {
        {"a\0b", 3, EINVAL},  {"a/b", 3, EINVAL}, {"..", 2, EINVAL},
        {"evil/", 5, EINVAL}, {"", 0, EINVAL},    {"\0", 1, EINVAL},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ProtobufCBinaryData bin = {.len = names[i].len, .data = (uint8_t *)names[i].data};
        Gofer__WalkRequest w = GOFER__WALK_REQUEST__INIT;
        w.dir_fid = root;
        w.n_names = 1;
        w.names = &bin;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_WALK, &w.base)), ==, names[i].err);
        Gofer__CreateRequest cr = GOFER__CREATE_REQUEST__INIT;
        cr.dir_fid = root;
        cr.name = bin;
        cr.flags = O_RDWR;
        cr.mode = 0644;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_CREATE, &cr.base)), ==, names[i].err);
        Gofer__UnlinkRequest u = GOFER__UNLINK_REQUEST__INIT;
        u.dir_fid = root;
        u.name = bin;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_UNLINK, &u.base)), ==, names[i].err);
        Gofer__MknodRequest mk = GOFER__MKNOD_REQUEST__INIT;
        mk.dir_fid = root;
        mk.name = bin;
        mk.mode = S_IFIFO | 0644;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_MKNOD, &mk.base)), ==, names[i].err);
        Gofer__SymlinkRequest sl = GOFER__SYMLINK_REQUEST__INIT;
        sl.dir_fid = root;
        sl.name = bin;
        sl.target = (ProtobufCBinaryData){.len = 1, .data = (uint8_t *)"x"};
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SYMLINK, &sl.base)), ==, names[i].err);
        Gofer__LinkRequest ln = GOFER__LINK_REQUEST__INIT;
        ln.dir_fid = root;
        ln.name = bin;
        ln.target_fid = root;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_LINK, &ln.base)), ==, names[i].err);
        Gofer__RenameRequest rn = GOFER__RENAME_REQUEST__INIT;
        rn.odir_fid = rn.ndir_fid = root;
        rn.oname = bin;
        rn.nname = (ProtobufCBinaryData){.len = 1, .data = (uint8_t *)"x"};
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_RENAME, &rn.base)), ==, names[i].err);
        rn.oname = (ProtobufCBinaryData){.len = 8, .data = (uint8_t *)"file.txt"};
        rn.nname = bin;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_RENAME, &rn.base)), ==, names[i].err);
    }
    /* Symlink targets with a NUL inside, or none at all. */
    Gofer__SymlinkRequest sl = GOFER__SYMLINK_REQUEST__INIT;
    sl.dir_fid = root;
    sl.name = (ProtobufCBinaryData){.len = 2, .data = (uint8_t *)"sl"};
    sl.target = (ProtobufCBinaryData){.len = 3, .data = (uint8_t *)"a\0b"};
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SYMLINK, &sl.base)), ==, EINVAL);
    sl.target.len = 0;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SYMLINK, &sl.base)), ==, ENOENT);
    /* Times the client would not send: an unknown op, nanoseconds past a second. */
    Gofer__SetAttrRequest sa = GOFER__SET_ATTR_REQUEST__INIT;
    sa.fid = root;
    sa.mtime_op = (Gofer__TimeOp)7;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SET_ATTR, &sa.base)), ==, EINVAL);
    sa.mtime_op = GOFER__TIME_OP__TIME_SET;
    sa.mtime_nsec = 1000000000;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SET_ATTR, &sa.base)), ==, EINVAL);
    sa.mtime_nsec = 0;
    sa.set_uid = true;
    sa.uid = UINT32_MAX;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SET_ATTR, &sa.base)), ==, EINVAL);
    /* Every request that makes a file: mode bits besides a type and the
     * permission bits, or an owner id -1, and nothing is made. */
    ProtobufCBinaryData nm = {.len = 2, .data = (uint8_t *)"nm"};
    for (int owner = 0; owner < 2; owner++) {
        uint32_t mode = owner ? 0644 : 0200644;
        uint32_t uid = owner ? UINT32_MAX : 0;
        Gofer__CreateRequest cr = GOFER__CREATE_REQUEST__INIT;
        cr.dir_fid = root;
        cr.name = nm;
        cr.flags = O_RDWR;
        cr.mode = mode;
        cr.uid = uid;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_CREATE, &cr.base)), ==, EINVAL);
        Gofer__MkdirRequest md = GOFER__MKDIR_REQUEST__INIT;
        md.dir_fid = root;
        md.name = nm;
        md.mode = mode;
        md.gid = uid;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_MKDIR, &md.base)), ==, EINVAL);
        Gofer__MknodRequest mk = GOFER__MKNOD_REQUEST__INIT;
        mk.dir_fid = root;
        mk.name = nm;
        mk.mode = S_IFIFO | mode;
        mk.uid = uid;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_MKNOD, &mk.base)), ==, EINVAL);
        Gofer__SymlinkRequest sy = GOFER__SYMLINK_REQUEST__INIT;
        sy.dir_fid = root;
        sy.name = nm;
        sy.target = (ProtobufCBinaryData){.len = 1, .data = (uint8_t *)"x"};
        sy.uid = UINT32_MAX;
        sy.gid = uid;
        CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_SYMLINK, &sy.base)), ==, EINVAL);
    }
    char nmpath[512];
    struct stat nmst;
    snprintf(nmpath, sizeof(nmpath), "%s/nm", t.root);
    CHECK_INT(lstat(nmpath, &nmst), ==, -1);
    /* Rename flags other than NOREPLACE and EXCHANGE. */
    Gofer__RenameRequest rn = GOFER__RENAME_REQUEST__INIT;
    rn.odir_fid = rn.ndir_fid = root;
    rn.oname = (ProtobufCBinaryData){.len = 8, .data = (uint8_t *)"file.txt"};
    rn.nname = (ProtobufCBinaryData){.len = 1, .data = (uint8_t *)"x"};
    rn.flags = 1u << 31;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_RENAME, &rn.base)), ==, EINVAL);
    /* More than 64 names in one walk. */
    ProtobufCBinaryData many[65];
    for (int i = 0; i < 65; i++)
        many[i] = (ProtobufCBinaryData){.len = 1, .data = (uint8_t *)"a"};
    Gofer__WalkRequest w = GOFER__WALK_REQUEST__INIT;
    w.dir_fid = root;
    w.n_names = 65;
    w.names = many;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_WALK, &w.base)), ==, E2BIG);
    /* A name over NAME_MAX. */
    char longname[256];
    memset(longname, 'x', sizeof(longname));
    ProtobufCBinaryData lbin = {.len = sizeof(longname), .data = (uint8_t *)longname};
    w.n_names = 1;
    w.names = &lbin;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_WALK, &w.base)), ==, ENAMETOOLONG);
    /* Bad open flags and a huge getdents size (clamped, not an error). */
    Gofer__OpenRequest o = GOFER__OPEN_REQUEST__INIT;
    o.fid = root;
    o.flags = -1;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_OPEN, &o.base)), ==, EINVAL);
    Gofer__GetdentsRequest g = GOFER__GETDENTS_REQUEST__INIT;
    g.dir_fid = root;
    g.size = UINT32_MAX;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_GETDENTS, &g.base)), ==, 0);
    g.offset = INT64_MIN;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_GETDENTS, &g.base)), ==, EINVAL);
    /* Many unknown fids in one close. */
    uint64_t *fids = calloc(10000, sizeof(*fids));
    for (int i = 0; i < 10000; i++)
        fids[i] = root + 1 + (uint64_t)i;
    Gofer__CloseRequest cl = GOFER__CLOSE_REQUEST__INIT;
    cl.fids = fids;
    cl.n_fids = 10000;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_CLOSE, &cl.base)), ==, EBADF);
    free(fids);
    /* Fids are per connection: the client's connection does not see ours. */
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, root + 1, &a), ==, -EBADF);
    Gofer__StatRequest s = GOFER__STAT_REQUEST__INIT;
    s.fid = root;
    CHECK_INT(reply_errno(msg_call(c, URPC_METHOD_GOFER_STAT, &s.base)), ==, 0);
    urpc_conn_free(c);
    tg_stop(&t);
}

/* xorshift64*: reproducible noise. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

TEST(random_requests_never_break_the_server)
{
    struct tg t;
    tg_make_tree(&t);
    tg_start_fork(&t, false, true);
    struct urpc_conn *c = raw_conn(&t);
    raw_mount(c);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint8_t buf[64];
    for (int i = 0; i < 4000; i++) {
        uint32_t method = g_methods[rnd(&seed) % (sizeof(g_methods) / sizeof(g_methods[0]))];
        size_t len = rnd(&seed) % sizeof(buf);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rnd(&seed);
        /* Small fid numbers now and then, so some requests reach real files. */
        if (len > 1 && (rnd(&seed) & 1)) {
            buf[0] = 0x08;
            buf[1] = (uint8_t)(1 + rnd(&seed) % 4);
        }
        struct urpc_frame *f = raw_call(c, method, buf, len);
        /* Replies never carry more than one fd. */
        CHECK(f->hdr.fd_count <= 1);
        urpc_frame_free(f);
    }
    raw_mount(c);
    uint64_t croot = tg_mount(&t);
    struct gofer_attr a;
    CHECK_INT(gofer_stat(t.c, croot, &a), ==, 0);
    urpc_conn_free(c);
    tg_stop(&t);
    /* Nothing outside the root was touched. */
    char p[512];
    char *data = NULL;
    size_t len = 0;
    rs_error_t err = NULL;
    snprintf(p, sizeof(p), "%s/secret", t.tmp);
    CHECK_INT(fu_read_file(p, 100, &data, &len, &err), ==, 0);
    CHECK_STR(data, "secret");
    free(data);
    struct stat st;
    snprintf(p, sizeof(p), "%s/outside", t.tmp);
    CHECK_INT(lstat(p, &st), ==, -1);
}
