/* The sentry's client of the gofer file protocol (urpc/proto/gofer.proto).
 *
 * One urpc_client per gofer connection, one call at a time under c->lock
 * (many task threads share a mount). Errors: a gofer's error reply is its
 * errno; anything that means the connection is gone or cannot be trusted
 * (reset, protocol error, a reply that does not unpack or carries the wrong
 * fds) is -EIO. */
#include "sentry/fsimpl/gofer/client.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/vfs/vfs.h"
#include "urpc/client.h"
#include "urpc/methods.h"
#include "urpc/proto/gofer.pb-c.h"

/* Must match the gofer's GOFER_MAX_WALK (gofer/internal.h). */
#define WALK_MAX 64
/* Fids per Gofer.Close request (the gofer takes any number; this keeps a
 * request small). */
#define CLOSE_MAX 4096

struct gofer_client {
    pthread_mutex_t lock;
    struct urpc_client *urpc;
};

int gofer_client_new(int sock, struct gofer_client **out)
{
    struct gofer_client *c = calloc(1, sizeof(*c));
    if (!c) {
        close(sock);
        return -ENOMEM;
    }
    int r = urpc_client_new(sock, &c->urpc);
    if (r < 0) {
        free(c);
        return r;
    }
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return 0;
}

void gofer_client_free(struct gofer_client *c)
{
    if (!c)
        return;
    urpc_client_free(c->urpc);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* One call. On success res->msg is the reply (non-NULL) and res->fds its
 * fds; on failure res holds nothing. */
static int call(struct gofer_client *c, uint32_t method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *reply_desc, struct urpc_result *res)
{
    pthread_mutex_lock(&c->lock);
    int r = urpc_client_call(c->urpc, method, req, NULL, 0, reply_desc, res);
    pthread_mutex_unlock(&c->lock);
    if (r < 0) {
        bool remote = res->remote_error;
        urpc_result_release(res);
        if (remote)
            return r;
        return r == -ENOMEM ? -ENOMEM : -EIO;
    }
    if (!res->msg) {
        urpc_result_release(res);
        return -EIO;
    }
    return 0;
}

/* A call whose reply carries nothing the caller needs. */
static int call_void(struct gofer_client *c, uint32_t method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *reply_desc)
{
    struct urpc_result res;
    int r = call(c, method, req, reply_desc, &res);
    if (r == 0)
        urpc_result_release(&res);
    return r;
}

/* A name or target as protocol bytes (no copy). */
static ProtobufCBinaryData bytes_of(const char *s)
{
    return (ProtobufCBinaryData){.len = strlen(s), .data = (uint8_t *)s};
}

static void attr_from(const Gofer__Attr *a, struct gofer_attr *out)
{
    *out = (struct gofer_attr){
        .ino = a->ino,
        .dev = a->dev,
        .mode = a->mode,
        .nlink = a->nlink,
        .uid = a->uid,
        .gid = a->gid,
        .rdev = a->rdev,
        .size = a->size,
        .blocks = a->blocks,
        .blksize = a->blksize,
        .atime = {.tv_sec = a->atime_sec, .tv_nsec = a->atime_nsec},
        .mtime = {.tv_sec = a->mtime_sec, .tv_nsec = a->mtime_nsec},
        .ctime = {.tv_sec = a->ctime_sec, .tv_nsec = a->ctime_nsec},
    };
}

/* A reply's inode: attrs are required (a gofer that omits them is broken). */
static int inode_from(const Gofer__Inode *in, uint64_t *fid, struct gofer_attr *attr)
{
    if (!in || !in->attr)
        return -EIO;
    *fid = in->fid;
    attr_from(in->attr, attr);
    return 0;
}

/* A call whose reply is the Inode of a new file at inode_off (the offset of
 * the `inode` field in the reply struct: Mkdir, Mknod, Symlink). */
static int call_new_inode(struct gofer_client *c, uint32_t method, const ProtobufCMessage *req,
                          const ProtobufCMessageDescriptor *reply_desc, size_t inode_off,
                          uint64_t *fid, struct gofer_attr *attr)
{
    struct urpc_result res;
    int r = call(c, method, req, reply_desc, &res);
    if (r < 0)
        return r;
    const Gofer__Inode *in = *(Gofer__Inode *const *)((const char *)res.msg + inode_off);
    r = inode_from(in, fid, attr);
    urpc_result_release(&res);
    return r;
}

/* Takes the single fd of a reply that must carry exactly one. */
static int take_one_fd(struct urpc_result *res)
{
    if (res->fd_count != 1)
        return -EIO;
    int fd = res->fds[0];
    res->fds[0] = -1;
    return fd;
}

/* Closes fids without caring about the answer (undoing a partial result). */
static void drop_fids(struct gofer_client *c, const uint64_t *fids, size_t n)
{
    if (n)
        gofer_close(c, fids, n);
}

int gofer_mount(struct gofer_client *c, uint64_t *root_fid, struct gofer_attr *attr, bool *readonly)
{
    Gofer__MountRequest req = GOFER__MOUNT_REQUEST__INIT;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_GOFER_MOUNT, &req.base, &gofer__mount_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__MountReply *m = (const Gofer__MountReply *)res.msg;
    r = inode_from(m->root, root_fid, attr);
    if (r == 0)
        *readonly = m->readonly;
    urpc_result_release(&res);
    return r;
}

/* One Gofer.Walk of at most WALK_MAX names. */
static int walk_chunk(struct gofer_client *c, uint64_t dir, const char *const *names, size_t n,
                      uint64_t *fids, struct gofer_attr *attrs, size_t *walked)
{
    ProtobufCBinaryData bin[WALK_MAX];
    for (size_t i = 0; i < n; i++)
        bin[i] = bytes_of(names[i]);
    Gofer__WalkRequest req = GOFER__WALK_REQUEST__INIT;
    req.dir_fid = dir;
    req.n_names = n;
    req.names = bin;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_GOFER_WALK, &req.base, &gofer__walk_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__WalkReply *m = (const Gofer__WalkReply *)res.msg;
    size_t got = m->n_inodes;
    for (size_t i = 0; i < got && i < n; i++)
        fids[i] = m->inodes[i]->fid;
    if (got > n) {
        r = -EIO; /* more than asked: a broken gofer */
        got = n;
    }
    for (size_t i = 0; i < got && r == 0; i++)
        r = inode_from(m->inodes[i], &fids[i], &attrs[i]);
    urpc_result_release(&res);
    if (r < 0) {
        drop_fids(c, fids, got);
        return r;
    }
    *walked = got;
    return 0;
}

int gofer_walk(struct gofer_client *c, uint64_t dir, const char *const *names, size_t n,
               uint64_t *fids, struct gofer_attr *attrs, size_t *walked)
{
    size_t done = 0;
    *walked = 0;
    while (done < n) {
        size_t chunk = n - done < WALK_MAX ? n - done : WALK_MAX;
        uint64_t from = done ? fids[done - 1] : dir;
        size_t got = 0;
        int r = walk_chunk(c, from, names + done, chunk, fids + done, attrs + done, &got);
        if (r < 0) {
            drop_fids(c, fids, done);
            return r;
        }
        done += got;
        /* Short: a missing name or a symlink. A chunk that ends in another
         * non-directory goes on: the gofer answers ENOTDIR for the next. */
        if (got < chunk || S_ISLNK(attrs[done - 1].mode))
            break;
    }
    *walked = done;
    return 0;
}

int gofer_stat(struct gofer_client *c, uint64_t fid, struct gofer_attr *attr)
{
    Gofer__StatRequest req = GOFER__STAT_REQUEST__INIT;
    req.fid = fid;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_GOFER_STAT, &req.base, &gofer__stat_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__StatReply *m = (const Gofer__StatReply *)res.msg;
    if (m->attr)
        attr_from(m->attr, attr);
    else
        r = -EIO;
    urpc_result_release(&res);
    return r;
}

int gofer_open(struct gofer_client *c, uint64_t fid, int flags, int *host_fd)
{
    Gofer__OpenRequest req = GOFER__OPEN_REQUEST__INIT;
    req.fid = fid;
    req.flags = flags;
    struct urpc_result res;
    *host_fd = -1;
    int r = call(c, URPC_METHOD_GOFER_OPEN, &req.base, &gofer__open_reply__descriptor, &res);
    if (r < 0)
        return r;
    if (res.fd_count > 1)
        r = -EIO;
    else if (res.fd_count == 1)
        *host_fd = take_one_fd(&res);
    urpc_result_release(&res);
    return r;
}

int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, int flags, uint32_t mode,
                 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_attr *attr, int *host_fd)
{
    Gofer__CreateRequest req = GOFER__CREATE_REQUEST__INIT;
    req.dir_fid = dir;
    req.name = bytes_of(name);
    req.flags = flags;
    req.mode = mode;
    req.uid = uid;
    req.gid = gid;
    struct urpc_result res;
    *host_fd = -1;
    int r = call(c, URPC_METHOD_GOFER_CREATE, &req.base, &gofer__create_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__CreateReply *m = (const Gofer__CreateReply *)res.msg;
    r = inode_from(m->inode, fid, attr);
    int fd = r == 0 ? take_one_fd(&res) : -EIO;
    urpc_result_release(&res);
    if (fd < 0) {
        if (r == 0)
            drop_fids(c, fid, 1);
        return -EIO;
    }
    *host_fd = fd;
    return 0;
}

int gofer_getdents(struct gofer_client *c, uint64_t dir, int64_t off, size_t size,
                   struct gofer_dirent **ents, size_t *n)
{
    Gofer__GetdentsRequest req = GOFER__GETDENTS_REQUEST__INIT;
    req.dir_fid = dir;
    req.offset = off;
    req.size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    struct urpc_result res;
    *ents = NULL;
    *n = 0;
    int r =
        call(c, URPC_METHOD_GOFER_GETDENTS, &req.base, &gofer__getdents_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__GetdentsReply *m = (const Gofer__GetdentsReply *)res.msg;
    size_t count = m->n_dirents;
    if (count == 0) {
        urpc_result_release(&res);
        return 0;
    }
    struct gofer_dirent *out = calloc(count, sizeof(*out));
    if (!out) {
        urpc_result_release(&res);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        const Gofer__Dirent *d = m->dirents[i];
        if (d->name.len == 0 || memchr(d->name.data, '\0', d->name.len)) {
            r = -EIO;
            break;
        }
        out[i].name = strndup((const char *)d->name.data, d->name.len);
        if (!out[i].name) {
            r = -ENOMEM;
            break;
        }
        out[i].ino = d->ino;
        out[i].type = (uint8_t)d->type;
        out[i].next_off = d->next_off;
    }
    urpc_result_release(&res);
    if (r < 0) {
        gofer_dirents_free(out, count);
        return r;
    }
    *ents = out;
    *n = count;
    return 0;
}

void gofer_dirents_free(struct gofer_dirent *ents, size_t n)
{
    if (!ents)
        return;
    for (size_t i = 0; i < n; i++)
        free(ents[i].name);
    free(ents);
}

ssize_t gofer_readlink(struct gofer_client *c, uint64_t fid, char *buf, size_t size)
{
    Gofer__ReadlinkRequest req = GOFER__READLINK_REQUEST__INIT;
    req.fid = fid;
    struct urpc_result res;
    int r =
        call(c, URPC_METHOD_GOFER_READLINK, &req.base, &gofer__readlink_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__ReadlinkReply *m = (const Gofer__ReadlinkReply *)res.msg;
    size_t len = m->target.len < size ? m->target.len : size;
    if (len)
        memcpy(buf, m->target.data, len);
    urpc_result_release(&res);
    return (ssize_t)len;
}

int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, uint64_t *fid, struct gofer_attr *attr)
{
    Gofer__MkdirRequest req = GOFER__MKDIR_REQUEST__INIT;
    req.dir_fid = dir;
    req.name = bytes_of(name);
    req.mode = mode;
    req.uid = uid;
    req.gid = gid;
    return call_new_inode(c, URPC_METHOD_GOFER_MKDIR, &req.base, &gofer__mkdir_reply__descriptor,
                          offsetof(Gofer__MkdirReply, inode), fid, attr);
}

int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, bool is_dir)
{
    Gofer__UnlinkRequest req = GOFER__UNLINK_REQUEST__INIT;
    req.dir_fid = dir;
    req.name = bytes_of(name);
    req.is_dir = is_dir;
    return call_void(c, URPC_METHOD_GOFER_UNLINK, &req.base, &gofer__unlink_reply__descriptor);
}

int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
                uint64_t rdev, uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_attr *attr)
{
    Gofer__MknodRequest req = GOFER__MKNOD_REQUEST__INIT;
    req.dir_fid = dir;
    req.name = bytes_of(name);
    req.mode = mode;
    req.rdev = rdev;
    req.uid = uid;
    req.gid = gid;
    return call_new_inode(c, URPC_METHOD_GOFER_MKNOD, &req.base, &gofer__mknod_reply__descriptor,
                          offsetof(Gofer__MknodReply, inode), fid, attr);
}

int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
                  uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_attr *attr)
{
    Gofer__SymlinkRequest req = GOFER__SYMLINK_REQUEST__INIT;
    req.dir_fid = dir;
    req.name = bytes_of(name);
    req.target = bytes_of(target);
    req.uid = uid;
    req.gid = gid;
    return call_new_inode(c, URPC_METHOD_GOFER_SYMLINK, &req.base,
                          &gofer__symlink_reply__descriptor, offsetof(Gofer__SymlinkReply, inode),
                          fid, attr);
}

int gofer_link(struct gofer_client *c, uint64_t dir, const char *name, uint64_t target_fid)
{
    Gofer__LinkRequest req = GOFER__LINK_REQUEST__INIT;
    req.dir_fid = dir;
    req.name = bytes_of(name);
    req.target_fid = target_fid;
    return call_void(c, URPC_METHOD_GOFER_LINK, &req.base, &gofer__link_reply__descriptor);
}

int gofer_rename(struct gofer_client *c, uint64_t odir, const char *oname, uint64_t ndir,
                 const char *nname, unsigned flags)
{
    Gofer__RenameRequest req = GOFER__RENAME_REQUEST__INIT;
    req.odir_fid = odir;
    req.oname = bytes_of(oname);
    req.ndir_fid = ndir;
    req.nname = bytes_of(nname);
    req.flags = flags;
    return call_void(c, URPC_METHOD_GOFER_RENAME, &req.base, &gofer__rename_reply__descriptor);
}

/* One time of a setattr: now wins over an explicit value. */
static void time_to(uint32_t mask, uint32_t set_bit, uint32_t now_bit, const struct timespec *ts,
                    Gofer__TimeOp *op, int64_t *sec, uint32_t *nsec)
{
    if (mask & now_bit) {
        *op = GOFER__TIME_OP__TIME_NOW;
    } else if (mask & set_bit) {
        *op = GOFER__TIME_OP__TIME_SET;
        *sec = ts->tv_sec;
        *nsec = (uint32_t)ts->tv_nsec;
    }
}

int gofer_setattr(struct gofer_client *c, uint64_t fid, const struct vfs_setattr *sa)
{
    if (sa->mask & VFS_SA_SIZE && sa->size < 0)
        return -EINVAL;
    if ((sa->mask & VFS_SA_ATIME && !(sa->mask & VFS_SA_ATIME_NOW) &&
         (sa->atime.tv_nsec < 0 || sa->atime.tv_nsec >= 1000000000)) ||
        (sa->mask & VFS_SA_MTIME && !(sa->mask & VFS_SA_MTIME_NOW) &&
         (sa->mtime.tv_nsec < 0 || sa->mtime.tv_nsec >= 1000000000)))
        return -EINVAL;
    Gofer__SetAttrRequest req = GOFER__SET_ATTR_REQUEST__INIT;
    req.fid = fid;
    req.set_size = (sa->mask & VFS_SA_SIZE) != 0;
    req.size = req.set_size ? sa->size : 0;
    req.set_mode = (sa->mask & VFS_SA_MODE) != 0;
    req.mode = req.set_mode ? sa->mode : 0;
    req.set_uid = (sa->mask & VFS_SA_UID) != 0;
    req.uid = req.set_uid ? sa->uid : 0;
    req.set_gid = (sa->mask & VFS_SA_GID) != 0;
    req.gid = req.set_gid ? sa->gid : 0;
    time_to(sa->mask, VFS_SA_ATIME, VFS_SA_ATIME_NOW, &sa->atime, &req.atime_op, &req.atime_sec,
            &req.atime_nsec);
    time_to(sa->mask, VFS_SA_MTIME, VFS_SA_MTIME_NOW, &sa->mtime, &req.mtime_op, &req.mtime_sec,
            &req.mtime_nsec);
    return call_void(c, URPC_METHOD_GOFER_SET_ATTR, &req.base, &gofer__set_attr_reply__descriptor);
}

int gofer_statfs(struct gofer_client *c, uint64_t fid, struct gofer_statfs *out)
{
    Gofer__StatfsRequest req = GOFER__STATFS_REQUEST__INIT;
    req.fid = fid;
    struct urpc_result res;
    int r = call(c, URPC_METHOD_GOFER_STATFS, &req.base, &gofer__statfs_reply__descriptor, &res);
    if (r < 0)
        return r;
    const Gofer__StatfsReply *m = (const Gofer__StatfsReply *)res.msg;
    *out = (struct gofer_statfs){
        .type = m->type,
        .bsize = m->bsize,
        .blocks = m->blocks,
        .bfree = m->bfree,
        .bavail = m->bavail,
        .files = m->files,
        .ffree = m->ffree,
        .namelen = m->namelen,
        .frsize = m->frsize,
        .flags = m->flags,
    };
    urpc_result_release(&res);
    return 0;
}

int gofer_close(struct gofer_client *c, const uint64_t *fids, size_t n)
{
    int ret = 0;
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done < CLOSE_MAX ? n - done : CLOSE_MAX;
        Gofer__CloseRequest req = GOFER__CLOSE_REQUEST__INIT;
        req.fids = (uint64_t *)(fids + done);
        req.n_fids = chunk;
        int r = call_void(c, URPC_METHOD_GOFER_CLOSE, &req.base, &gofer__close_reply__descriptor);
        if (r < 0 && ret == 0)
            ret = r;
        done += chunk;
    }
    return ret;
}
