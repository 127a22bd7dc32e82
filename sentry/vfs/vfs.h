/* The sentry's virtual filesystem: inodes, dentries, mounts, open file
 * descriptions, path walk.
 *
 * Objects are reference-counted (x_get / x_put). A dentry holds a reference
 * on its parent and on its inode; the dentry cache keeps every looked-up
 * dentry of a filesystem alive until the filesystem goes (no eviction yet).
 *
 * Ops tables are const structs with designated initialisers; a NULL slot
 * means "not supported" and the VFS returns the errno Linux gives for it.
 *
 * Locking (see docs/locking.md):
 *   vfs mount lock (g_mount_lock)  -> dentry->lock -> inode->lock
 *   file->pos_lock is taken alone around read/write/lseek of one file.
 * fs ops are called without VFS locks held, except lookup which runs under
 * the parent dentry's lock (it only talks to the filesystem).
 *
 * Errors: -errno. */
#pragma once

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sentry/mm/mm.h"

struct inode;
struct dentry;
struct mount;
struct file;
struct vfs_fs;
struct waitq;

/* Attributes, in Linux terms (filled by getattr). */
struct vfs_attr {
    uint64_t ino;
    uint64_t dev;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid, gid;
    uint64_t rdev;
    int64_t size;
    int64_t blocks;
    int32_t blksize;
    struct timespec atime, mtime, ctime, btime;
};

struct inode_ops {
    /* dir: finds name (not "." or ".."); *out gets a new reference.
     * -ENOENT if absent. Called with dir's dentry lock held. */
    int (*lookup)(struct inode *dir, const char *name, struct inode **out);
    /* Fills attributes (may refresh from the backing store). */
    int (*getattr)(struct inode *ino, struct vfs_attr *attr);
    /* Symlink target into buf (not NUL-terminated); returns its length. */
    ssize_t (*readlink)(struct inode *ino, char *buf, size_t size);
    /* Opens the inode: fills f->ops and f->priv. flags are O_* (access
     * mode already checked). */
    int (*open)(struct inode *ino, struct file *f, int flags);
    /* dir: creates a regular file name with mode and opens it into f
     * (like open). -EEXIST if it exists. */
    int (*create)(struct inode *dir, const char *name, uint32_t mode, struct file *f, int flags,
                  struct inode **out);
    /* Sets the size (O_TRUNC, truncate, ftruncate). */
    int (*truncate)(struct inode *ino, int64_t size);
    /* Releases fs-private data when the last reference goes. */
    void (*release)(struct inode *ino);
};

/* getdents callback: returns false to stop (buffer full). */
typedef bool (*vfs_dirent_fn)(void *arg, const char *name, uint64_t ino, uint8_t type,
                              int64_t next_off);

/* Readiness registration (poll, ppoll, select, pselect6; epoll later), as
 * Linux's poll_table. A poller passes one to file_ops.poll on its first pass;
 * the file calls vfs_poll_wait() for each wait queue it will wake when its
 * readiness may change, or vfs_poll_wait_host() when its readiness is that of
 * a host fd (stdio): the poller then also polls that host fd (see
 * task_block_host in sentry/kernel/waitq.h). Registration happens before the
 * file computes its mask, so a change in between is never lost. The hooks
 * are the poller's: they must not block, and they run under no lock the
 * poller cares about (the file may hold its own leaf lock). */
struct vfs_poll_table {
    void (*queue)(struct vfs_poll_table *pt, struct waitq *q);
    void (*host_fd)(struct vfs_poll_table *pt, int fd);
};

static inline void vfs_poll_wait(struct vfs_poll_table *pt, struct waitq *q)
{
    if (pt && pt->queue)
        pt->queue(pt, q);
}

static inline void vfs_poll_wait_host(struct vfs_poll_table *pt, int fd)
{
    if (pt && pt->host_fd)
        pt->host_fd(pt, fd);
}

/* What a file without a poll op reports: always readable and writable
 * (Linux's DEFAULT_POLLMASK). */
#define VFS_DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct file_ops {
    /* off is the position to use (-1 for stream files read or written
     * without an offset: the file's own position, e.g. a host fd's);
     * returns bytes or -errno. A NULL read or write means EINVAL (Linux's
     * answer for files without the op). */
    ssize_t (*read)(struct file *f, void *buf, size_t len, int64_t off);
    ssize_t (*write)(struct file *f, const void *buf, size_t len, int64_t off);
    /* For seekable files the VFS keeps f->pos; lseek NULL = ESPIPE. */
    int64_t (*llseek)(struct file *f, int64_t off, int whence);
    /* Emits entries from *pos on, advancing *pos. */
    int (*iterate)(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg);
    /* ioctl with the argument still in application memory. */
    long (*ioctl)(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg);
    /* Attributes of an open file (fstat); NULL: use the inode's getattr. */
    int (*getattr)(struct file *f, struct vfs_attr *attr);
    /* Data sync. */
    int (*fsync)(struct file *f);
    /* mmap: returns 0 if the file can be mapped (through f->mmf). */
    int (*mmap)(struct file *f);
    void (*release)(struct file *f);
    /* Readiness: returns the POLL* events true now (it may report events
     * beyond the requested ones: callers mask, always keeping POLLERR and
     * POLLHUP). events is what the poller asks for (a hint, e.g. for the
     * host fd poll). pt is non-NULL only when the poller wants to wait:
     * the file registers with vfs_poll_wait / vfs_poll_wait_host first,
     * then computes the mask. Wakers call waitq_wake(q, <POLL* events that
     * became true>, 0). Called with no VFS lock held; must not block.
     * NULL: VFS_DEFAULT_POLLMASK, never waits (regular files, dirs, devices). */
    uint32_t (*poll)(struct file *f, uint32_t events, struct vfs_poll_table *pt);
    /* true: read/write do not use f->pos (pipes, ttys, char devices); they
     * get off -1. pread/pwrite are allowed iff llseek is set. */
    bool stream;
    /* true: writes are accepted and dropped without reading the caller's
     * buffer (/dev/null: a bad pointer is not an error there). */
    bool discards_writes;
};

struct vfs_fs_type {
    const char *name;
};

/* One mounted filesystem instance. */
struct vfs_fs {
    const struct vfs_fs_type *type;
    uint64_t dev; /* st_dev */
    int refs;
    void *priv;
    void (*release)(struct vfs_fs *fs);
};

struct inode {
    int refs;
    const struct inode_ops *ops;
    struct vfs_fs *fs;
    uint64_t ino;
    uint32_t mode; /* type + permission bits (cached) */
    pthread_mutex_t lock;
    void *priv;
};

struct dentry {
    int refs;
    char *name;
    struct dentry *parent; /* NULL for a filesystem root */
    struct inode *inode;   /* never NULL: negative lookups are not cached */
    struct vfs_fs *fs;
    pthread_mutex_t lock;    /* protects children */
    struct dentry *children; /* singly linked cache of looked-up children */
    struct dentry *sibling;
    int mounted; /* number of mounts on this dentry */
};

#define MNT_RDONLY 0x1
#define MNT_NOSUID 0x2
#define MNT_NODEV 0x4
#define MNT_NOEXEC 0x8

struct mount {
    int refs;
    struct vfs_fs *fs;
    struct dentry *root;
    struct mount *parent;      /* NULL for the root mount */
    struct dentry *mountpoint; /* in parent */
    int flags;                 /* MNT_* */
    struct mount *next;        /* in the global mount list */
};

struct vfs_path {
    struct mount *mnt;
    struct dentry *d;
};

/* An open file description. */
struct file {
    int refs;
    const struct file_ops *ops;
    struct vfs_path path; /* references held */
    struct inode *inode;  /* reference held (may have no path for anon files) */
    int flags;            /* O_* status flags and access mode */
    int64_t pos;
    pthread_mutex_t pos_lock;
    void *priv;
    struct mm_file mmf; /* for mmap: reads through ops->read */
};

/* ---- objects ------------------------------------------------------------ */
struct inode *vfs_inode_new(struct vfs_fs *fs, const struct inode_ops *ops, uint64_t ino,
                            uint32_t mode, void *priv);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);

struct dentry *vfs_dentry_new_root(struct vfs_fs *fs, struct inode *ino);
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);

void vfs_fs_get(struct vfs_fs *fs);
void vfs_fs_put(struct vfs_fs *fs);
uint64_t vfs_new_dev(void);

/* Fills every field of a but btime from a host stat. */
void vfs_attr_from_stat(struct vfs_attr *a, const struct stat *st);

void path_get(const struct vfs_path *p);
void path_put(struct vfs_path *p);

/* New file on inode (and path, which may be {NULL,NULL}); one reference. */
struct file *vfs_file_new(struct inode *ino, const struct vfs_path *path, int flags);
void file_get(struct file *f);
void file_put(struct file *f);

/* ---- mounts ------------------------------------------------------------- */
/* Makes fs the root mount; returns its root path (referenced). */
int vfs_mount_root(struct vfs_fs *fs, struct dentry *root, int flags, struct vfs_path *out);
/* Mounts fs (root dentry root) on the directory at mountpoint. */
int vfs_mount(const struct vfs_path *mountpoint, struct vfs_fs *fs, struct dentry *root, int flags);

/* ---- path walk ---------------------------------------------------------- */
#define WALK_FOLLOW 0x1     /* follow a trailing symlink */
#define WALK_DIRECTORY 0x2  /* the result must be a directory */
#define WALK_PARENT 0x4     /* stop at the parent; last component in *last */
#define WALK_EMPTY_PATH 0x8 /* "" means start itself (AT_EMPTY_PATH) */

struct vfs_walk_ctx {
    struct vfs_path root;  /* the task's root (chroot) */
    struct vfs_path start; /* cwd or dirfd */
    uint32_t uid, gid;     /* for search permission */
};

/* Resolves name; *out gets references. */
int vfs_walk(const struct vfs_walk_ctx *ctx, const char *name, int flags, struct vfs_path *out);

/* Opens name (O_* flags; creation not supported yet: EROFS/EACCES). */
int vfs_open(const struct vfs_walk_ctx *ctx, const char *name, int flags, int mode,
             struct file **out);
/* Opens an already-resolved path. */
int vfs_open_path(const struct vfs_path *p, int flags, struct file **out);

int vfs_getattr(struct inode *ino, struct vfs_attr *attr);
int vfs_file_getattr(struct file *f, struct vfs_attr *attr);
ssize_t vfs_readlink(const struct vfs_path *p, char *buf, size_t size);
/* Absolute path of p as seen from root ("/..." ); malloc'ed. */
char *vfs_path_name(const struct vfs_path *root, const struct vfs_path *p);
/* access(2)-style check of mode bits (R_OK=4, W_OK=2, X_OK=1). */
int vfs_permission(const struct vfs_attr *a, uint32_t uid, uint32_t gid, int want);

/* File I/O through the description (honours pos for seekable files). */
ssize_t vfs_read(struct file *f, void *buf, size_t len);
ssize_t vfs_write(struct file *f, const void *buf, size_t len);
ssize_t vfs_pread(struct file *f, void *buf, size_t len, int64_t off);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, int64_t off);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
/* Generic llseek for files with a size (regular files). */
int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence);
/* The file's readiness through its poll op, or VFS_DEFAULT_POLLMASK. */
static inline uint32_t vfs_file_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    return f->ops && f->ops->poll ? f->ops->poll(f, events, pt) : VFS_DEFAULT_POLLMASK;
}
