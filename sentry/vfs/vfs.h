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
 *   rename lock (g_rename_lock)    -> dentry->lock (two, in address order,
 *                                     only under its write side) -> inode->lock
 *   the mount list's lock (g_mount_lock) and the character device
 *   registry's are leaves; file->pos_lock is taken alone around
 *   read/write/lseek of one file.
 * fs ops are called without VFS locks held, except lookup, create and the
 * directory operations (mkdir ... rename), which run under the directory
 * dentry's lock (both directories' for rename).
 *
 * Errors: -errno. */
#pragma once

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "sentry/mm/mm.h"

struct inode;
struct dentry;
struct mount;
struct file;
struct vfs_fs;
struct waitq;
struct epitem;

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

/* The owner of a new inode (the creating task's fsuid/fsgid, or the
 * directory's gid when it is set-group-ID). */
struct vfs_owner {
    uint32_t uid, gid;
};

/* What setattr changes: the VFS_SA_* bits of mask. */
#define VFS_SA_MODE 0x01 /* permission bits (and S_ISUID/S_ISGID/S_ISVTX) */
#define VFS_SA_UID 0x02
#define VFS_SA_GID 0x04
#define VFS_SA_SIZE 0x08
#define VFS_SA_ATIME 0x10     /* set atime to sa->atime */
#define VFS_SA_MTIME 0x20     /* set mtime to sa->mtime */
#define VFS_SA_ATIME_NOW 0x40 /* set atime to now */
#define VFS_SA_MTIME_NOW 0x80 /* set mtime to now */

struct vfs_setattr {
    uint32_t mask;
    uint32_t mode, uid, gid;
    int64_t size;
    struct timespec atime, mtime;
};

struct vfs_xattr_ops;

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
    /* dir: creates a regular file name with permission bits mode, owned by
     * *owner, and opens it into f (like open). -EEXIST if it exists. */
    int (*create)(struct inode *dir, const char *name, uint32_t mode, const struct vfs_owner *owner,
                  struct file *f, int flags, struct inode **out);
    /* Sets the size (O_TRUNC, truncate, ftruncate). */
    int (*truncate)(struct inode *ino, int64_t size);

    /* Directory operations. The VFS has resolved the names, checked search
     * and write permission on the directories, the sticky bit, MNT_RDONLY,
     * "." / "..", and that a name to create is absent in its dentry cache;
     * the fs still answers -EEXIST / -ENOENT / -ENOTEMPTY from its own
     * truth. New inodes are owned by *owner and come back in *out (a new
     * reference). The VFS updates its dentry cache after a success. Called
     * with the dentry lock(s) of the directories held (see vfs.c). */
    int (*mkdir)(struct inode *dir, const char *name, uint32_t perm, const struct vfs_owner *owner,
                 struct inode **out);
    /* mode is S_IFREG / S_IFIFO / S_IFSOCK / S_IFCHR / S_IFBLK | perm. */
    int (*mknod)(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
                 const struct vfs_owner *owner, struct inode **out);
    int (*symlink)(struct inode *dir, const char *name, const char *target,
                   const struct vfs_owner *owner, struct inode **out);
    /* A new name for target (not a directory) in dir. */
    int (*link)(struct inode *dir, const char *name, struct inode *target);
    /* Removes name (victim: a non-directory) from dir. */
    int (*unlink)(struct inode *dir, const char *name, struct inode *victim);
    /* Removes the empty directory name (victim) from dir. */
    int (*rmdir)(struct inode *dir, const char *name, struct inode *victim);
    /* Moves oname in odir to nname in ndir (same fs), replacing what is
     * there unless flags has RENAME_NOREPLACE; RENAME_EXCHANGE swaps. */
    int (*rename)(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
                  unsigned flags);
    /* chmod, chown, utimes, truncate-by-path: the fields sa->mask names. */
    int (*setattr)(struct inode *ino, const struct vfs_setattr *sa);
    /* Releases fs-private data when the last reference goes. */
    void (*release)(struct inode *ino);
    /* Extended attributes (sentry/vfs/xattr.h); NULL: EOPNOTSUPP. */
    const struct vfs_xattr_ops *xattr;
};

/* getdents callback: returns false to stop (buffer full). */
typedef bool (*vfs_dirent_fn)(void *arg, const char *name, uint64_t ino, uint8_t type,
                              int64_t next_off);

/* Readiness registration (poll, ppoll, select, pselect6, epoll), as
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
    /* The pages MAP_SHARED mappings of the file map (sentry/mm/mm.h: the
     * inode's struct mm_mappable), or NULL: none (a read-only shared
     * mapping is then a private copy, a writable one ENODEV). */
    struct mm_mappable *(*mappable)(struct file *f);
    void (*release)(struct file *f);
    /* Character device drivers (vfs_chrdev_register) only: called when a
     * node of the device is opened, with f->ops already this table; it may
     * replace f->ops and f->priv (/dev/tty opens the caller's terminal).
     * flags are open(2)'s. -errno fails the open. */
    int (*open)(struct file *f, int flags);
    /* Readiness: returns the POLL* events true now (it may report events
     * beyond the requested ones: callers mask, always keeping POLLERR and
     * POLLHUP). events is what the poller asks for (a hint, e.g. for the
     * host fd poll). pt is non-NULL only when the poller wants to wait:
     * the file registers with vfs_poll_wait / vfs_poll_wait_host first,
     * then computes the mask. Wakers call waitq_wake(q, <POLL* events that
     * became true>, 0). Called with no VFS lock held; must not block.
     * NULL: VFS_DEFAULT_POLLMASK, never waits (regular files, dirs, devices). */
    uint32_t (*poll)(struct file *f, uint32_t events, struct vfs_poll_table *pt);
    /* Lines of /proc/<pid>/fdinfo/<fd> after the common ones (optional). */
    void (*show_fdinfo)(struct file *f, FILE *out);
    /* O_APPEND writes of seekable files (optional): writes at the end of
     * the file, found under the filesystem's own lock in the same critical
     * section as the write (appenders never overlap, and the end is read
     * once); *off gets where the bytes went. NULL: the VFS writes through
     * write at the size getattr reports. */
    ssize_t (*append)(struct file *f, const void *buf, size_t len, int64_t *off);
    /* read/readv and write/writev of stream files that move data straight
     * between themselves and application memory, one call per vector
     * (sockets: one message, as Linux's read_iter/write_iter). iov holds
     * application addresses (validated: cnt <= IOV_MAX, total is their sum,
     * at most MAX_RW_COUNT); a write of 0 bytes comes here too. Returns
     * bytes or -errno. NULL: the VFS moves data through read/write. */
    ssize_t (*read_iov)(struct file *f, struct mm *mm, const struct iovec *iov, unsigned long cnt,
                        size_t total);
    ssize_t (*write_iov)(struct file *f, struct mm *mm, const struct iovec *iov, unsigned long cnt,
                         size_t total);
    /* true: read/write do not use f->pos (pipes, ttys, char devices); they
     * get off -1. pread/pwrite are allowed iff llseek is set. */
    bool stream;
    /* true: writes are accepted and dropped without reading the caller's
     * buffer (/dev/null: a bad pointer is not an error there). */
    bool discards_writes;
    /* true: zero-length reads and writes reach read/write (eventfd and
     * timerfd answer EINVAL); otherwise they are 0 without a call. */
    bool sees_empty_io;
};

struct vfs_fs_type {
    const char *name;
};

/* statfs(2) numbers of a filesystem (blocks in units of bsize). */
struct vfs_statfs {
    uint64_t type; /* f_type magic */
    uint64_t bsize, blocks, bfree, bavail, files, ffree, namelen;
};

/* One mounted filesystem instance. */
struct vfs_fs {
    const struct vfs_fs_type *type;
    uint64_t dev; /* st_dev */
    int refs;
    void *priv;
    void (*release)(struct vfs_fs *fs);
    /* statfs of the filesystem holding ino; NULL: the syscall reports the
     * type's magic and zero counts. */
    int (*statfs)(struct vfs_fs *fs, struct inode *ino, struct vfs_statfs *out);
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
    int mounted;   /* number of mounts on this dentry */
    bool unlinked; /* removed from its parent (unlink, rmdir, renamed over) */
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
    /* The epoll items watching this description (sentry/kernel/epoll.c,
     * under its global lock); removed by file_put before release. */
    struct epitem *epoll_items;
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
/* inotify: reports the IN_* event mask (IN_ACCESS, IN_MODIFY...) about f's
 * file to the watches of its directory (with its name) and its own
 * (sentry/kernel/inotify.h); nothing when no watch exists. No lock held. */
void vfs_notify_file(struct file *f, uint32_t mask);

/* ---- character devices ----------------------------------------------------- */
/* The sentry's device drivers by number, so a node made with mknod(2) on
 * any filesystem opens the same device as /dev's (devfs registers them).
 * Registering a number again replaces it. */
void vfs_chrdev_register(uint64_t rdev, const struct file_ops *ops);
/* The driver of rdev, or NULL (opening the node is then ENXIO). */
const struct file_ops *vfs_chrdev_ops(uint64_t rdev);

/* ---- mounts ------------------------------------------------------------- */
/* Makes fs the root mount; returns its root path (referenced). */
int vfs_mount_root(struct vfs_fs *fs, struct dentry *root, int flags, struct vfs_path *out);
/* Mounts fs (root dentry root) on mountpoint: a directory on a directory
 * (-ENOTDIR otherwise), a non-directory on a non-directory (-EISDIR), never
 * on or of a symlink (-ELOOP). root may be any dentry of fs: mounting
 * p->mnt->fs, p->d on p is a bind mount of p onto itself (e.g. to make it
 * read-only). */
int vfs_mount(const struct vfs_path *mountpoint, struct vfs_fs *fs, struct dentry *root, int flags);
/* The newest mount; older ones follow through ->next (the list only grows). */
struct mount *vfs_mounts_newest(void);

/* ---- path walk ---------------------------------------------------------- */
#define WALK_FOLLOW 0x1     /* follow a trailing symlink */
#define WALK_DIRECTORY 0x2  /* the result must be a directory */
#define WALK_PARENT 0x4     /* stop at the parent; last component in *last */
#define WALK_EMPTY_PATH 0x8 /* "" means start itself (AT_EMPTY_PATH) */

struct vfs_walk_ctx {
    struct vfs_path root;  /* the task's root (chroot) */
    struct vfs_path start; /* cwd or dirfd */
    uint32_t uid, gid;     /* fsuid/fsgid: permission checks, owner of new inodes */
    /* For the modifying operations: the caller's effective capabilities
     * (bits CREDS_CAP_*) when caps_valid, else uid 0 has them all; and
     * its supplementary groups (chown, set-group-ID rules). */
    bool caps_valid;
    uint64_t caps;
    const uint32_t *groups;
    int ngroups;
};

/* Resolves name; *out gets references. */
int vfs_walk(const struct vfs_walk_ctx *ctx, const char *name, int flags, struct vfs_path *out);

/* Opens name (O_* flags; O_CREAT creates a regular file owned by ctx's
 * uid/gid through the directory's create op). */
int vfs_open(const struct vfs_walk_ctx *ctx, const char *name, int flags, int mode,
             struct file **out);
/* Opens an already-resolved path. */
int vfs_open_path(const struct vfs_path *p, int flags, struct file **out);

int vfs_getattr(struct inode *ino, struct vfs_attr *attr);
int vfs_file_getattr(struct file *f, struct vfs_attr *attr);
ssize_t vfs_readlink(const struct vfs_path *p, char *buf, size_t size);
/* Absolute path of p as seen from root ("/..." ); malloc'ed. */
char *vfs_path_name(const struct vfs_path *root, const struct vfs_path *p);
/* The same into buf (size bytes, NUL-terminated; a path too long loses its
 * leading names); returns its length. Takes g_rename_lock for reading: call
 * it holding no dentry, kernel or mm lock. */
size_t vfs_path_name_buf(const struct vfs_path *root, const struct vfs_path *p, char *buf,
                         size_t size);
/* access(2)-style check (R_OK=4, W_OK=2, X_OK=1) of a's mode bits for
 * ctx's fsuid, fsgid and groups, then the CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH overrides (Linux's generic_permission). */
int vfs_permission(const struct vfs_attr *a, const struct vfs_walk_ctx *ctx, int want);

/* File I/O through the description (honours pos for seekable files). */
ssize_t vfs_read(struct file *f, void *buf, size_t len);
ssize_t vfs_write(struct file *f, const void *buf, size_t len);
ssize_t vfs_pread(struct file *f, void *buf, size_t len, int64_t off);
/* A write of an O_APPEND file: at its end (the append op, or the size
 * getattr reports); *off gets where the bytes went. f->pos untouched (the
 * caller holding f->pos_lock sets it to *off + the result). vfs_write and
 * vfs_pwrite of an O_APPEND file come here (pwrite's offset is ignored, as
 * Linux does: pwrite(2), BUGS). */
ssize_t vfs_append(struct file *f, const void *buf, size_t len, int64_t *off);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, int64_t off);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
/* getdents' first two entries: "." (self) at offset 0 and ".." (parent)
 * at offset 1, from *pos on; false when fn stopped (the buffer is full).
 * *pos is 2 afterwards. */
bool vfs_emit_dots(int64_t *pos, vfs_dirent_fn fn, void *arg, uint64_t self, uint64_t parent);
/* Generic llseek for files with a size (regular files). */
int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence);
/* llseek of generated ("seq") files: SEEK_SET and SEEK_CUR only (there is
 * no end to seek from). */
int64_t vfs_seq_llseek(struct file *f, int64_t off, int whence);
/* The file's readiness through its poll op, or VFS_DEFAULT_POLLMASK. */
static inline uint32_t vfs_file_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    return f->ops && f->ops->poll ? f->ops->poll(f, events, pt) : VFS_DEFAULT_POLLMASK;
}

/* ---- namespace operations ------------------------------------------------ *
 * Names resolve from ctx (the last component is never followed unless
 * said); errors as Linux's for the same call: EEXIST, ENOENT, ENOTDIR,
 * EISDIR, ENOTEMPTY, EXDEV (across mounts), EBUSY (mount points, "."),
 * EROFS (MNT_RDONLY), EACCES (directory write/search permission), EPERM
 * (sticky directories, unsupported by the filesystem). New inodes are owned
 * by ctx->uid and ctx->gid (or the directory's group when it is
 * set-group-ID). Modes are used as given: the caller applies the umask. */
int vfs_mkdirat(const struct vfs_walk_ctx *ctx, const char *name, uint32_t mode);
/* mode: S_IFREG (or 0) creates an empty regular file; S_IFIFO, S_IFSOCK;
 * S_IFCHR and S_IFBLK need CAP_MKNOD. */
int vfs_mknodat(const struct vfs_walk_ctx *ctx, const char *name, uint32_t mode, uint64_t rdev);
/* The same, *out getting the new node's path (references): bind(2) of an
 * AF_UNIX socket keeps the node it made. */
int vfs_mknodat_path(const struct vfs_walk_ctx *ctx, const char *name, uint32_t mode, uint64_t rdev,
                     struct vfs_path *out);
/* mknod's check of the file type in mode, which mknod(2) makes before it
 * resolves the path (Linux's may_mknod): 0 for 0 (regular), S_IFREG,
 * S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK; -EPERM for S_IFDIR; else -EINVAL. */
int vfs_mknod_type(uint32_t mode);
int vfs_symlinkat(const struct vfs_walk_ctx *ctx, const char *target, const char *name);
/* A new name nname for oname; walk_flags: WALK_FOLLOW (AT_SYMLINK_FOLLOW),
 * WALK_EMPTY_PATH (oname "" is octx->start itself). */
int vfs_linkat(const struct vfs_walk_ctx *octx, const char *oname, const struct vfs_walk_ctx *nctx,
               const char *nname, int walk_flags);
/* unlink(2), or rmdir(2) when rmdir. */
int vfs_unlinkat(const struct vfs_walk_ctx *ctx, const char *name, bool rmdir);
/* renameat2(2): flags RENAME_NOREPLACE, RENAME_EXCHANGE (RENAME_WHITEOUT:
 * EINVAL). EINVAL moving a directory below itself. */
int vfs_renameat(const struct vfs_walk_ctx *octx, const char *oname,
                 const struct vfs_walk_ctx *nctx, const char *nname, unsigned flags);

/* chmod / chown / utimes on a path or an open file, with Linux's checks
 * (ctx gives the caller's credentials; root and start are unused): mode
 * and explicit times need the owner or CAP_FOWNER (EPERM); times set to
 * "now" only need write permission (EACCES); uid/gid need CAP_CHOWN
 * unless the owner gives the file to one of its groups; chown of a
 * non-directory clears S_ISUID (and S_ISGID if group-executable); chmod
 * clears S_ISGID when the file's group is not the caller's (without
 * CAP_FSETID). sa may be changed. */
int vfs_setattr(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, struct vfs_setattr *sa);
int vfs_file_setattr(const struct vfs_walk_ctx *ctx, struct file *f, struct vfs_setattr *sa);
/* truncate(2): write permission; EISDIR, EINVAL for non-regular files. */
int vfs_truncate_path(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, int64_t size);
/* ftruncate(2): the file must be open for writing (EINVAL otherwise). */
int vfs_file_truncate(struct file *f, int64_t size);

/* Credential helpers for the above (cap: a CREDS_CAP_* number, creds.h). */
bool vfs_capable(const struct vfs_walk_ctx *ctx, int cap);
bool vfs_in_group(const struct vfs_walk_ctx *ctx, uint32_t gid);
