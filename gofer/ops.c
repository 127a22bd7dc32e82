/* The Gofer.* handlers (urpc/proto/gofer.proto).
 *
 * Path safety (gofer/README.md): the gofer never resolves a path string of
 * the sentry's. A request names a directory fid and single components; each
 * component is checked (no "/", NUL, "", "." or "..", at most NAME_MAX
 * bytes) and opened relative to the directory's O_PATH fd with O_NOFOLLOW
 * (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS where the kernel has it). A symlink component yields
 * an O_PATH fd of the link itself. Files are reopened for I/O through
 * /proc/self/fd/N of their O_PATH fd: the very inode that was walked, never
 * a name that could have been swapped meanwhile.
 *
 * Handlers return -errno with a message (urpc_reply_error); fds they hand
 * over travel with the reply (urpc_reply_add_fd). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/internal.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/log.h"
#include "urpc/methods.h"
#include "urpc/proto/gofer.pb-c.h"

/* Open flags the sentry may ask for; the rest are dropped. */
#define OPEN_FLAGS (O_ACCMODE | O_TRUNC | O_APPEND | O_DIRECT | O_DSYNC | O_SYNC | O_NOATIME)
/* Host getdents64 buffer. */
#define DIRENT_BUF_SIZE 32768
/* What one entry costs against a Getdents size: an upper bound of its
 * encoded size, so a reply stays near the size asked for. */
#define DIRENT_COST(name_len) (40 + (name_len))

/* ---- helpers ------------------------------------------------------------- */

static void attr_fill(const struct stat *st, Gofer__Attr *a)
{
    gofer__attr__init(a);
    a->ino = st->st_ino;
    a->dev = st->st_dev;
    a->mode = st->st_mode;
    a->nlink = (uint32_t)st->st_nlink;
    a->uid = st->st_uid;
    a->gid = st->st_gid;
    a->rdev = st->st_rdev;
    a->size = st->st_size;
    a->blocks = st->st_blocks;
    a->blksize = (int32_t)st->st_blksize;
    a->atime_sec = st->st_atim.tv_sec;
    a->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
    a->mtime_sec = st->st_mtim.tv_sec;
    a->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    a->ctime_sec = st->st_ctim.tv_sec;
    a->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

/* Copies a protocol name into buf as a C string. Only one plain component
 * is a name: EINVAL for "", ".", "..", "/" or NUL inside, ENAMETOOLONG past
 * NAME_MAX bytes. The sentry resolves ".." and symlinks itself. */
static int check_name(const ProtobufCBinaryData *n, char buf[NAME_MAX + 1])
{
    if (n->len == 0)
        return -EINVAL;
    if (n->len > NAME_MAX)
        return -ENAMETOOLONG;
    if (memchr(n->data, '/', n->len) || memchr(n->data, '\0', n->len))
        return -EINVAL;
    memcpy(buf, n->data, n->len);
    buf[n->len] = '\0';
    if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
        return -EINVAL;
    return 0;
}

static int g_no_openat2; /* the kernel said ENOSYS once */

/* Opens one checked component beneath dirfd, never following a symlink.
 * Returns the fd or -errno. */
static int open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
    flags |= O_NOFOLLOW | O_CLOEXEC;
    if (!__atomic_load_n(&g_no_openat2, __ATOMIC_RELAXED)) {
        struct open_how how = {
            .flags = (uint64_t)flags,
            .mode = (flags & O_CREAT) ? mode : 0,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != ENOSYS)
            return -errno;
        __atomic_store_n(&g_no_openat2, 1, __ATOMIC_RELAXED);
    }
    int fd = openat(dirfd, name, flags, mode);
    return fd < 0 ? -errno : fd;
}

/* "self/fd/N": fd's magic link, relative to s->proc_fd. */
static void self_fd_path(int fd, char buf[32])
{
    snprintf(buf, 32, "self/fd/%d", fd);
}

/* Opens the file of fd (usually O_PATH) anew with flags. */
static int reopen(struct gofer_server *s, int fd, int flags)
{
    char path[32];
    self_fd_path(fd, path);
    int r = openat(s->proc_fd, path, flags | O_CLOEXEC | O_NOCTTY);
    return r < 0 ? -errno : r;
}

static int chmod_fd(struct gofer_server *s, int fd, mode_t mode)
{
    char path[32];
    self_fd_path(fd, path);
    return fchmodat(s->proc_fd, path, mode & 07777, 0) < 0 ? -errno : 0;
}

/* Gives a new file the creator's ids and exact permission bits (the gofer's
 * umask must not apply: the sentry applied the task's). A gofer that may
 * not chown (rootless, tests) leaves its own ids: EPERM and EINVAL (an
 * unmapped id) are not errors. */
static int set_owner_mode(struct gofer_server *s, int fd, uint32_t uid, uint32_t gid, mode_t mode)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (st.st_uid != uid || st.st_gid != gid) {
        if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0) {
            if (errno != EPERM && errno != EINVAL)
                return -errno;
            log_debug("gofer: cannot give a new file to %u:%u: %s", uid, gid, strerror(errno));
        }
        if (fstat(fd, &st) < 0) /* chown clears set-id bits */
            return -errno;
    }
    if ((st.st_mode & 07777) != (mode & 07777))
        return chmod_fd(s, fd, mode);
    return 0;
}

static struct gofer_conn *conn_of(struct gofer_server *s, struct urpc_request *req)
{
    return gofer_conn_of(s, req->conn);
}

#define GET_CONN(gc, s, req, reply)                                                                \
    struct gofer_conn *gc = conn_of(s, req);                                                       \
    if (!gc)                                                                                       \
    return urpc_reply_error(reply, EIO, "request from an unknown connection")

/* The fid, or NULL after an EBADF error reply in *rc. */
static struct gofer_fid *get_fid(struct gofer_conn *gc, uint64_t id, struct urpc_reply *reply,
                                 const char *op, int *rc)
{
    struct gofer_fid *f = gofer_fid_get(&gc->fids, id);
    if (!f)
        *rc = urpc_reply_error(reply, EBADF, "%s: unknown fid %llu", op, (unsigned long long)id);
    return f;
}

/* A directory fid and a checked name, or NULL after an error reply in *rc. */
static struct gofer_fid *get_dir_name(struct gofer_conn *gc, uint64_t id,
                                      const ProtobufCBinaryData *name, char buf[NAME_MAX + 1],
                                      struct urpc_reply *reply, const char *op, int *rc)
{
    struct gofer_fid *dir = get_fid(gc, id, reply, op, rc);
    if (!dir)
        return NULL;
    if (!S_ISDIR(dir->type)) {
        *rc = urpc_reply_error(reply, ENOTDIR, "%s: fid %llu is not a directory", op,
                               (unsigned long long)id);
        return NULL;
    }
    int r = check_name(name, buf);
    if (r < 0) {
        *rc = urpc_reply_error(reply, -r, "%s: invalid name (%zu bytes)", op, name->len);
        return NULL;
    }
    return dir;
}

/* The mode and owner of a request: EINVAL after an error reply for bits
 * besides a type and the permission bits, or for an owner id -1 (no file
 * has it). Callers pass 0 for what their request does not set. */
static int check_mode_owner(struct urpc_reply *reply, const char *op, uint32_t mode, uint32_t uid,
                            uint32_t gid)
{
    if (mode & ~(uint32_t)(S_IFMT | 07777))
        return urpc_reply_error(reply, EINVAL, "%s: bad mode 0%o", op, mode);
    if (uid == (uint32_t)-1 || gid == (uint32_t)-1)
        return urpc_reply_error(reply, EINVAL, "%s: owner -1", op);
    return 0;
}

/* Adds a fid for fd (taken) and fills inode with it and st. */
static void new_inode(struct gofer_server *s, struct gofer_conn *gc, int fd, const struct stat *st,
                      Gofer__Inode *inode, Gofer__Attr *attr)
{
    gofer__inode__init(inode);
    attr_fill(st, attr);
    inode->fid = gofer_fid_add(s, &gc->fids, fd, st->st_mode);
    inode->attr = attr;
}

/* ---- Gofer.Mount --------------------------------------------------------- */

static int h_mount(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    GET_CONN(gc, s, req, reply);
    int fd = fcntl(gc->root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return urpc_reply_error(reply, errno, "mount: dup: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return urpc_reply_error(reply, err, "mount: stat: %s", strerror(err));
    }
    Gofer__MountReply out = GOFER__MOUNT_REPLY__INIT;
    Gofer__Inode root;
    Gofer__Attr attr;
    new_inode(s, gc, fd, &st, &root, &attr);
    out.root = &root;
    out.readonly = gc->readonly;
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- Gofer.Walk ---------------------------------------------------------- */

static int h_walk(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__WalkRequest *w = (const Gofer__WalkRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    size_t n = w->n_names;
    if (n > GOFER_MAX_WALK)
        return urpc_reply_error(reply, E2BIG, "walk: %zu names (at most %d)", n, GOFER_MAX_WALK);
    char names[GOFER_MAX_WALK][NAME_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        int r = check_name(&w->names[i], names[i]);
        if (r < 0)
            return urpc_reply_error(reply, -r, "walk: invalid name %zu (%zu bytes)", i,
                                    w->names[i].len);
    }
    int rc = 0;
    struct gofer_fid *dir = get_fid(gc, w->dir_fid, reply, "walk", &rc);
    if (!dir)
        return rc;
    if (n > 0 && !S_ISDIR(dir->type))
        return urpc_reply_error(reply, ENOTDIR, "walk: fid %llu is not a directory",
                                (unsigned long long)w->dir_fid);

    Gofer__Inode inodes[GOFER_MAX_WALK];
    Gofer__Attr attrs[GOFER_MAX_WALK];
    Gofer__Inode *ptrs[GOFER_MAX_WALK];
    size_t walked = 0;
    int dirfd = dir->fd;
    int err = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = open_beneath(dirfd, names[i], O_PATH, 0);
        if (fd == -ENOENT)
            break; /* not an error: the walk stops before the missing name */
        if (fd < 0) {
            err = fd;
            break;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
            err = -errno;
            close(fd);
            break;
        }
        new_inode(s, gc, fd, &st, &inodes[walked], &attrs[walked]);
        ptrs[walked] = &inodes[walked];
        walked++;
        if (S_ISLNK(st.st_mode))
            break; /* the sentry resolves the link */
        if (!S_ISDIR(st.st_mode) && i + 1 < n) {
            err = -ENOTDIR;
            break;
        }
        dirfd = fd; /* owned by the new fid */
    }
    if (err < 0) {
        for (size_t i = 0; i < walked; i++)
            gofer_fid_remove(s, &gc->fids, inodes[i].fid);
        return urpc_reply_error(reply, -err, "walk: name %zu: %s", walked, strerror(-err));
    }
    Gofer__WalkReply out = GOFER__WALK_REPLY__INIT;
    out.n_inodes = walked;
    out.inodes = ptrs;
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- Gofer.Stat ---------------------------------------------------------- */

static int h_stat(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__StatRequest *m = (const Gofer__StatRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    int rc = 0;
    struct gofer_fid *f = get_fid(gc, m->fid, reply, "stat", &rc);
    if (!f)
        return rc;
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return urpc_reply_error(reply, errno, "stat: %s", strerror(errno));
    Gofer__StatReply out = GOFER__STAT_REPLY__INIT;
    Gofer__Attr attr;
    attr_fill(&st, &attr);
    out.attr = &attr;
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- Gofer.Open ---------------------------------------------------------- */

static int h_open(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__OpenRequest *m = (const Gofer__OpenRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    int rc = 0;
    struct gofer_fid *f = get_fid(gc, m->fid, reply, "open", &rc);
    if (!f)
        return rc;
    int flags = m->flags & OPEN_FLAGS;
    int acc = flags & O_ACCMODE;
    bool writes = acc != O_RDONLY || (flags & O_TRUNC);
    if (acc == O_ACCMODE)
        return urpc_reply_error(reply, EINVAL, "open: bad access mode");
    if (S_ISLNK(f->type))
        return urpc_reply_error(reply, ELOOP, "open: a symlink");
    if (S_ISDIR(f->type)) {
        if (writes)
            return urpc_reply_error(reply, EISDIR, "open: a directory for writing");
        return 0; /* no fd: directories are read with Gofer.Getdents */
    }
    if (!S_ISREG(f->type))
        return urpc_reply_error(reply, ENXIO, "open: not a regular file (mode 0%o)", f->type);
    if (gc->readonly && writes)
        return urpc_reply_error(reply, EROFS, "open: served read-only");
    int fd = reopen(s, f->fd, flags);
    if (fd < 0)
        return urpc_reply_error(reply, -fd, "open: %s", strerror(-fd));
    return urpc_reply_add_fd(reply, fd);
}

/* ---- Gofer.Getdents ------------------------------------------------------ */

struct dirents {
    Gofer__Dirent *ents;
    Gofer__Dirent **ptrs;
    size_t count, cap;
};

static void dirents_release(struct dirents *d)
{
    for (size_t i = 0; i < d->count; i++)
        free(d->ents[i].name.data);
    free(d->ents);
    free(d->ptrs);
}

static void dirents_add(struct dirents *d, const struct dirent64 *de, size_t name_len)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->ents = xrealloc(d->ents, d->cap * sizeof(*d->ents));
    }
    Gofer__Dirent *e = &d->ents[d->count++];
    gofer__dirent__init(e);
    e->name.data = xmalloc(name_len ? name_len : 1);
    memcpy(e->name.data, de->d_name, name_len);
    e->name.len = name_len;
    e->ino = de->d_ino;
    e->type = de->d_type;
    e->next_off = de->d_off;
}

/* Reads entries from the dir fd's current position until size is used up
 * or the end. Returns 0 or -errno. */
static int read_dirents(int fd, size_t size, struct dirents *d)
{
    cleanup_free char *buf = xmalloc(DIRENT_BUF_SIZE);
    size_t used = 0;
    for (;;) {
        ssize_t nr = getdents64(fd, buf, DIRENT_BUF_SIZE);
        if (nr < 0)
            return -errno;
        if (nr == 0)
            return 0;
        for (ssize_t off = 0; off < nr;) {
            const struct dirent64 *de = (const struct dirent64 *)(buf + off);
            size_t len = strnlen(de->d_name, NAME_MAX + 1);
            if (used + DIRENT_COST(len) > size)
                return d->count ? 0 : -EINVAL; /* the next call resumes here */
            used += DIRENT_COST(len);
            dirents_add(d, de, len);
            off += de->d_reclen;
        }
    }
}

static int h_getdents(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__GetdentsRequest *m = (const Gofer__GetdentsRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    int rc = 0;
    struct gofer_fid *f = get_fid(gc, m->dir_fid, reply, "getdents", &rc);
    if (!f)
        return rc;
    if (!S_ISDIR(f->type))
        return urpc_reply_error(reply, ENOTDIR, "getdents: not a directory");
    if (m->offset < 0)
        return urpc_reply_error(reply, EINVAL, "getdents: negative offset");
    size_t size = m->size ? m->size : GOFER_DEFAULT_GETDENTS;
    if (size > GOFER_MAX_GETDENTS)
        size = GOFER_MAX_GETDENTS;
    if (f->dir_fd < 0) {
        /* "." of the O_PATH fd: the walked directory itself. */
        f->dir_fd = openat(f->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->dir_fd < 0)
            return urpc_reply_error(reply, errno, "getdents: open: %s", strerror(errno));
    }
    if (lseek(f->dir_fd, m->offset, SEEK_SET) < 0)
        return urpc_reply_error(reply, errno, "getdents: seek: %s", strerror(errno));
    struct dirents d = {.ents = NULL};
    int r = read_dirents(f->dir_fd, size, &d);
    if (r < 0) {
        dirents_release(&d);
        return urpc_reply_error(reply, -r, "getdents: %s", strerror(-r));
    }
    d.ptrs = xmalloc((d.count ? d.count : 1) * sizeof(*d.ptrs));
    for (size_t i = 0; i < d.count; i++)
        d.ptrs[i] = &d.ents[i];
    Gofer__GetdentsReply out = GOFER__GETDENTS_REPLY__INIT;
    out.n_dirents = d.count;
    out.dirents = d.ptrs;
    r = urpc_reply_set_msg(reply, &out.base);
    dirents_release(&d);
    return r;
}

/* ---- Gofer.Readlink ------------------------------------------------------ */

static int h_readlink(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__ReadlinkRequest *m = (const Gofer__ReadlinkRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    int rc = 0;
    struct gofer_fid *f = get_fid(gc, m->fid, reply, "readlink", &rc);
    if (!f)
        return rc;
    if (!S_ISLNK(f->type))
        return urpc_reply_error(reply, EINVAL, "readlink: not a symlink");
    char buf[PATH_MAX];
    ssize_t n = readlinkat(f->fd, "", buf, sizeof(buf));
    if (n < 0)
        return urpc_reply_error(reply, errno, "readlink: %s", strerror(errno));
    Gofer__ReadlinkReply out = GOFER__READLINK_REPLY__INIT;
    out.target.data = (uint8_t *)buf;
    out.target.len = (size_t)n;
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- Gofer.Close --------------------------------------------------------- */

static int h_close(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__CloseRequest *m = (const Gofer__CloseRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    size_t unknown = 0;
    for (size_t i = 0; i < m->n_fids; i++)
        if (gofer_fid_remove(s, &gc->fids, m->fids[i]) < 0)
            unknown++;
    if (unknown)
        return urpc_reply_error(reply, EBADF, "close: %zu unknown fids", unknown);
    return 0;
}

/* ---- Gofer.Create -------------------------------------------------------- */

static int h_create(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__CreateRequest *m = (const Gofer__CreateRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char name[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *dir = get_dir_name(gc, m->dir_fid, &m->name, name, reply, "create", &rc);
    if (!dir)
        return rc;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "create: served read-only");
    rc = check_mode_owner(reply, "create", m->mode, m->uid, m->gid);
    if (rc < 0)
        return rc;
    if ((m->mode & S_IFMT) && (m->mode & S_IFMT) != S_IFREG)
        return urpc_reply_error(reply, EINVAL, "create: not a regular file mode (0%o)", m->mode);
    int flags = m->flags & OPEN_FLAGS;
    if ((flags & O_ACCMODE) == O_ACCMODE)
        return urpc_reply_error(reply, EINVAL, "create: bad access mode");
    /* O_EXCL: a name that appeared meanwhile (a symlink too) is EEXIST. */
    int fd = open_beneath(dir->fd, name, flags | O_CREAT | O_EXCL, m->mode & 07777);
    if (fd < 0)
        return urpc_reply_error(reply, -fd, "create: %s", strerror(-fd));
    int pfd = -1;
    struct stat st;
    int r = set_owner_mode(s, fd, m->uid, m->gid, m->mode);
    if (r == 0) {
        pfd = reopen(s, fd, O_PATH);
        r = pfd < 0 ? pfd : 0;
    }
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dir->fd, name, 0); /* ours: created with O_EXCL */
        close(fd);
        if (pfd >= 0)
            close(pfd);
        return urpc_reply_error(reply, -r, "create: %s", strerror(-r));
    }
    Gofer__CreateReply out = GOFER__CREATE_REPLY__INIT;
    Gofer__Inode inode;
    Gofer__Attr attr;
    new_inode(s, gc, pfd, &st, &inode, &attr);
    out.inode = &inode;
    r = urpc_reply_set_msg(reply, &out.base);
    if (r < 0) {
        gofer_fid_remove(s, &gc->fids, inode.fid);
        close(fd);
        return r;
    }
    return urpc_reply_add_fd(reply, fd);
}

/* ---- Gofer.Mkdir --------------------------------------------------------- */

static int h_mkdir(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__MkdirRequest *m = (const Gofer__MkdirRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char name[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *dir = get_dir_name(gc, m->dir_fid, &m->name, name, reply, "mkdir", &rc);
    if (!dir)
        return rc;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "mkdir: served read-only");
    rc = check_mode_owner(reply, "mkdir", m->mode, m->uid, m->gid);
    if (rc < 0)
        return rc;
    if ((m->mode & S_IFMT) && (m->mode & S_IFMT) != S_IFDIR)
        return urpc_reply_error(reply, EINVAL, "mkdir: not a directory mode (0%o)", m->mode);
    if (mkdirat(dir->fd, name, m->mode & 07777) < 0)
        return urpc_reply_error(reply, errno, "mkdir: %s", strerror(errno));
    int fd = open_beneath(dir->fd, name, O_PATH | O_DIRECTORY, 0);
    int r = fd < 0 ? fd : set_owner_mode(s, fd, m->uid, m->gid, m->mode);
    struct stat st;
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dir->fd, name, AT_REMOVEDIR);
        if (fd >= 0)
            close(fd);
        return urpc_reply_error(reply, -r, "mkdir: %s", strerror(-r));
    }
    Gofer__MkdirReply out = GOFER__MKDIR_REPLY__INIT;
    Gofer__Inode inode;
    Gofer__Attr attr;
    new_inode(s, gc, fd, &st, &inode, &attr);
    out.inode = &inode;
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- Gofer.Unlink -------------------------------------------------------- */

static int h_unlink(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__UnlinkRequest *m = (const Gofer__UnlinkRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char name[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *dir = get_dir_name(gc, m->dir_fid, &m->name, name, reply, "unlink", &rc);
    if (!dir)
        return rc;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "unlink: served read-only");
    if (unlinkat(dir->fd, name, m->is_dir ? AT_REMOVEDIR : 0) < 0)
        return urpc_reply_error(reply, errno, "unlink: %s", strerror(errno));
    return 0;
}

/* ---- Gofer.SetAttr ------------------------------------------------------- */

/* One time of a SetAttr as a utimensat timespec. */
static int time_from(int op, int64_t sec, uint32_t nsec, struct timespec *ts)
{
    switch (op) {
    case GOFER__TIME_OP__TIME_OMIT:
        *ts = (struct timespec){.tv_nsec = UTIME_OMIT};
        return 0;
    case GOFER__TIME_OP__TIME_NOW:
        *ts = (struct timespec){.tv_nsec = UTIME_NOW};
        return 0;
    case GOFER__TIME_OP__TIME_SET:
        if (nsec >= 1000000000u)
            return -EINVAL;
        *ts = (struct timespec){.tv_sec = sec, .tv_nsec = nsec};
        return 0;
    default:
        return -EINVAL;
    }
}

/* Sets the times of fd's file itself (a symlink is not followed). */
static int utimens_fd(struct gofer_server *s, int fd, mode_t type, const struct timespec ts[2])
{
    if (utimensat(fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (errno != EINVAL || S_ISLNK(type))
        return -errno;
    /* Kernels before 5.8 have no AT_EMPTY_PATH here: the magic link names
     * the same inode. */
    char path[32];
    self_fd_path(fd, path);
    return utimensat(s->proc_fd, path, ts, 0) < 0 ? -errno : 0;
}

/* Applies, in this order: size, owner (chown clears set-id bits), mode,
 * times. Everything is checked before anything changes. */
static int h_setattr(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__SetAttrRequest *m = (const Gofer__SetAttrRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    int rc = 0;
    struct gofer_fid *f = get_fid(gc, m->fid, reply, "setattr", &rc);
    if (!f)
        return rc;
    bool set_times =
        m->atime_op != GOFER__TIME_OP__TIME_OMIT || m->mtime_op != GOFER__TIME_OP__TIME_OMIT;
    if (!m->set_size && !m->set_mode && !m->set_uid && !m->set_gid && !set_times)
        return 0;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "setattr: served read-only");
    if (m->set_size) {
        if (m->size < 0)
            return urpc_reply_error(reply, EINVAL, "setattr: negative size");
        if (S_ISDIR(f->type))
            return urpc_reply_error(reply, EISDIR, "setattr: truncating a directory");
        if (!S_ISREG(f->type))
            return urpc_reply_error(reply, EINVAL, "setattr: truncating a non-regular file");
    }
    if (m->set_mode && S_ISLNK(f->type))
        return urpc_reply_error(reply, EOPNOTSUPP, "setattr: mode of a symlink");
    rc = check_mode_owner(reply, "setattr", m->set_mode ? m->mode : 0, m->set_uid ? m->uid : 0,
                          m->set_gid ? m->gid : 0);
    if (rc < 0)
        return rc;
    struct timespec ts[2];
    if (time_from(m->atime_op, m->atime_sec, m->atime_nsec, &ts[0]) < 0 ||
        time_from(m->mtime_op, m->mtime_sec, m->mtime_nsec, &ts[1]) < 0)
        return urpc_reply_error(reply, EINVAL, "setattr: bad time");
    if (m->set_size) {
        int fd = reopen(s, f->fd, O_WRONLY);
        if (fd < 0)
            return urpc_reply_error(reply, -fd, "setattr: open: %s", strerror(-fd));
        int r = ftruncate(fd, m->size) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
            return urpc_reply_error(reply, -r, "setattr: truncate: %s", strerror(-r));
    }
    if (m->set_uid || m->set_gid) {
        uid_t uid = m->set_uid ? m->uid : (uid_t)-1;
        gid_t gid = m->set_gid ? m->gid : (gid_t)-1;
        /* The fid's file itself, a symlink too: no path is resolved. */
        if (fchownat(f->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return urpc_reply_error(reply, errno, "setattr: chown: %s", strerror(errno));
    }
    if (m->set_mode) {
        int r = chmod_fd(s, f->fd, m->mode);
        if (r < 0)
            return urpc_reply_error(reply, -r, "setattr: chmod: %s", strerror(-r));
    }
    if (set_times) {
        int r = utimens_fd(s, f->fd, f->type, ts);
        if (r < 0)
            return urpc_reply_error(reply, -r, "setattr: utimens: %s", strerror(-r));
    }
    return 0;
}

/* ---- Gofer.Mknod, Gofer.Symlink ------------------------------------------ */

/* After creating name in dir (of type type): a fid for it, given to
 * uid:gid with mode's permission bits, in inode and attr. On failure the name
 * is removed again when it still is the file just created, and the error
 * replied. */
static int finish_new(struct gofer_server *s, struct gofer_conn *gc, struct gofer_fid *dir,
                      const char *name, mode_t type, uint32_t uid, uint32_t gid, mode_t mode,
                      Gofer__Inode *inode, Gofer__Attr *attr, struct urpc_reply *reply,
                      const char *op)
{
    int fd = open_beneath(dir->fd, name, O_PATH, 0);
    int r = fd < 0 ? fd : 0;
    struct stat st;
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    bool ours = r == 0 && (st.st_mode & S_IFMT) == type;
    if (r == 0 && !ours)
        r = -EEXIST; /* the name was replaced meanwhile: not ours to remove */
    if (r == 0)
        r = set_owner_mode(s, fd, uid, gid, mode);
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r < 0) {
        if (ours)
            unlinkat(dir->fd, name, 0);
        if (fd >= 0)
            close(fd);
        return urpc_reply_error(reply, -r, "%s: %s", op, strerror(-r));
    }
    new_inode(s, gc, fd, &st, inode, attr);
    return 0;
}

static int h_mknod(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__MknodRequest *m = (const Gofer__MknodRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char name[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *dir = get_dir_name(gc, m->dir_fid, &m->name, name, reply, "mknod", &rc);
    if (!dir)
        return rc;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "mknod: served read-only");
    rc = check_mode_owner(reply, "mknod", m->mode, m->uid, m->gid);
    if (rc < 0)
        return rc;
    mode_t type = m->mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFCHR || type == S_IFBLK)
        return urpc_reply_error(reply, EPERM, "mknod: no devices");
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
        return urpc_reply_error(reply, EINVAL, "mknod: bad mode 0%o", m->mode);
    /* mknodat never follows a symlink at name: an existing name is EEXIST. */
    if (mknodat(dir->fd, name, type | (m->mode & 07777), 0) < 0)
        return urpc_reply_error(reply, errno, "mknod: %s", strerror(errno));
    Gofer__MknodReply out = GOFER__MKNOD_REPLY__INIT;
    Gofer__Inode inode;
    Gofer__Attr attr;
    rc = finish_new(s, gc, dir, name, type, m->uid, m->gid, m->mode & 07777, &inode, &attr, reply,
                    "mknod");
    if (rc < 0)
        return rc;
    out.inode = &inode;
    return urpc_reply_set_msg(reply, &out.base);
}

static int h_symlink(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__SymlinkRequest *m = (const Gofer__SymlinkRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char name[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *dir = get_dir_name(gc, m->dir_fid, &m->name, name, reply, "symlink", &rc);
    if (!dir)
        return rc;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "symlink: served read-only");
    rc = check_mode_owner(reply, "symlink", 0, m->uid, m->gid);
    if (rc < 0)
        return rc;
    if (m->target.len == 0)
        return urpc_reply_error(reply, ENOENT, "symlink: empty target");
    if (m->target.len >= PATH_MAX)
        return urpc_reply_error(reply, ENAMETOOLONG, "symlink: target of %zu bytes", m->target.len);
    if (memchr(m->target.data, '\0', m->target.len))
        return urpc_reply_error(reply, EINVAL, "symlink: NUL in the target");
    char target[PATH_MAX];
    memcpy(target, m->target.data, m->target.len);
    target[m->target.len] = '\0';
    /* The target is stored, never resolved here. */
    if (symlinkat(target, dir->fd, name) < 0)
        return urpc_reply_error(reply, errno, "symlink: %s", strerror(errno));
    Gofer__SymlinkReply out = GOFER__SYMLINK_REPLY__INIT;
    Gofer__Inode inode;
    Gofer__Attr attr;
    /* A symlink's mode is always 0777: set_owner_mode only chowns it. */
    rc = finish_new(s, gc, dir, name, S_IFLNK, m->uid, m->gid, 0777, &inode, &attr, reply,
                    "symlink");
    if (rc < 0)
        return rc;
    out.inode = &inode;
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- Gofer.Link ---------------------------------------------------------- */

static int h_link(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__LinkRequest *m = (const Gofer__LinkRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char name[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *dir = get_dir_name(gc, m->dir_fid, &m->name, name, reply, "link", &rc);
    if (!dir)
        return rc;
    struct gofer_fid *target = get_fid(gc, m->target_fid, reply, "link", &rc);
    if (!target)
        return rc;
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "link: served read-only");
    if (S_ISDIR(target->type))
        return urpc_reply_error(reply, EPERM, "link: a directory");
    /* The target's magic link names exactly the fid's inode (a symlink fid:
     * the link itself, which is not followed further). Unlike
     * linkat(AT_EMPTY_PATH), this needs no CAP_DAC_READ_SEARCH. */
    char path[32];
    self_fd_path(target->fd, path);
    if (linkat(s->proc_fd, path, dir->fd, name, AT_SYMLINK_FOLLOW) < 0)
        return urpc_reply_error(reply, errno, "link: %s", strerror(errno));
    return 0;
}

/* ---- Gofer.Rename -------------------------------------------------------- */

static int h_rename(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__RenameRequest *m = (const Gofer__RenameRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
    int rc = 0;
    struct gofer_fid *odir = get_dir_name(gc, m->odir_fid, &m->oname, oname, reply, "rename", &rc);
    if (!odir)
        return rc;
    struct gofer_fid *ndir = get_dir_name(gc, m->ndir_fid, &m->nname, nname, reply, "rename", &rc);
    if (!ndir)
        return rc;
    if (m->flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE))
        return urpc_reply_error(reply, EINVAL, "rename: bad flags 0x%x", m->flags);
    if (gc->readonly)
        return urpc_reply_error(reply, EROFS, "rename: served read-only");
    /* Both names are single components of directories beneath this
     * connection's root; renameat2 follows no symlink at either. */
    if (syscall(SYS_renameat2, odir->fd, oname, ndir->fd, nname, m->flags) < 0)
        return urpc_reply_error(reply, errno, "rename: %s", strerror(errno));
    return 0;
}

/* ---- Gofer.Statfs -------------------------------------------------------- */

static int h_statfs(void *arg, struct urpc_request *req, struct urpc_reply *reply)
{
    struct gofer_server *s = arg;
    const Gofer__StatfsRequest *m = (const Gofer__StatfsRequest *)req->msg;
    GET_CONN(gc, s, req, reply);
    int rc = 0;
    struct gofer_fid *f = get_fid(gc, m->fid, reply, "statfs", &rc);
    if (!f)
        return rc;
    struct statfs st;
    if (fstatfs(f->fd, &st) < 0)
        return urpc_reply_error(reply, errno, "statfs: %s", strerror(errno));
    Gofer__StatfsReply out = GOFER__STATFS_REPLY__INIT;
    out.type = (uint64_t)st.f_type;
    out.bsize = (uint64_t)st.f_bsize;
    out.blocks = st.f_blocks;
    out.bfree = st.f_bfree;
    out.bavail = st.f_bavail;
    out.files = st.f_files;
    out.ffree = st.f_ffree;
    out.namelen = (uint64_t)st.f_namelen;
    out.frsize = (uint64_t)st.f_frsize;
    out.flags = (uint64_t)st.f_flags | (gc->readonly ? ST_RDONLY : 0);
    return urpc_reply_set_msg(reply, &out.base);
}

/* ---- registration -------------------------------------------------------- */

static const struct {
    uint32_t method;
    const ProtobufCMessageDescriptor *desc;
    urpc_handler_fn fn;
} g_ops[] = {
    {URPC_METHOD_GOFER_MOUNT, &gofer__mount_request__descriptor, h_mount},
    {URPC_METHOD_GOFER_WALK, &gofer__walk_request__descriptor, h_walk},
    {URPC_METHOD_GOFER_STAT, &gofer__stat_request__descriptor, h_stat},
    {URPC_METHOD_GOFER_OPEN, &gofer__open_request__descriptor, h_open},
    {URPC_METHOD_GOFER_GETDENTS, &gofer__getdents_request__descriptor, h_getdents},
    {URPC_METHOD_GOFER_READLINK, &gofer__readlink_request__descriptor, h_readlink},
    {URPC_METHOD_GOFER_CLOSE, &gofer__close_request__descriptor, h_close},
    {URPC_METHOD_GOFER_CREATE, &gofer__create_request__descriptor, h_create},
    {URPC_METHOD_GOFER_MKDIR, &gofer__mkdir_request__descriptor, h_mkdir},
    {URPC_METHOD_GOFER_UNLINK, &gofer__unlink_request__descriptor, h_unlink},
    {URPC_METHOD_GOFER_SET_ATTR, &gofer__set_attr_request__descriptor, h_setattr},
    {URPC_METHOD_GOFER_MKNOD, &gofer__mknod_request__descriptor, h_mknod},
    {URPC_METHOD_GOFER_SYMLINK, &gofer__symlink_request__descriptor, h_symlink},
    {URPC_METHOD_GOFER_LINK, &gofer__link_request__descriptor, h_link},
    {URPC_METHOD_GOFER_RENAME, &gofer__rename_request__descriptor, h_rename},
    {URPC_METHOD_GOFER_STATFS, &gofer__statfs_request__descriptor, h_statfs},
};

int gofer_ops_register(struct gofer_server *s)
{
    for (size_t i = 0; i < ARRAY_SIZE(g_ops); i++) {
        int r = urpc_server_register(s->urpc, g_ops[i].method, g_ops[i].desc, g_ops[i].fn, s);
        if (r < 0)
            return r;
    }
    return 0;
}
