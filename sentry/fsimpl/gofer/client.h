/* The sentry's client of the gofer file protocol (DESIGN.md section 4).
 *
 * The gofer names files by fids (64-bit handles it hands out); the sentry
 * holds one fid per dentry it has looked up. Every call returns -errno; a
 * broken connection is -EIO (the gofer died: the sandbox cannot go on with
 * that mount). Calls are thread-safe (one lock per client, one call at a
 * time; several connections may be opened for parallelism later). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct gofer_client;

/* Attributes of a file as the gofer reports them (host values). */
struct gofer_attr {
    uint64_t ino;
    uint64_t dev;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid, gid;
    uint64_t rdev;
    int64_t size;
    int64_t blocks;
    int32_t blksize;
    struct timespec atime, mtime, ctime;
};

struct gofer_dirent {
    char *name;
    uint64_t ino;
    uint8_t type;     /* DT_* */
    int64_t next_off; /* offset to resume after this entry */
};

/* Takes ownership of sock (a connected unix stream socket to the gofer). */
int gofer_client_new(int sock, struct gofer_client **out);
void gofer_client_free(struct gofer_client *c);

/* Attaches to the gofer's root: its fid and attributes, and whether the
 * gofer serves it read-only. */
int gofer_mount(struct gofer_client *c, uint64_t *root_fid, struct gofer_attr *attr,
                bool *readonly);

/* Walks up to n names from dir (no "/", ".", ".." or empty names) without
 * following symlinks; a symlink component ends the walk after it (the
 * sentry resolves it). Fills fids[i] and attrs[i] for each component walked
 * and sets *walked. Returns 0 even if fewer than n were walked when the
 * next name is missing (*walked < n); errors other than a missing name are
 * returned as -errno. */
int gofer_walk(struct gofer_client *c, uint64_t dir, const char *const *names, size_t n,
               uint64_t *fids, struct gofer_attr *attrs, size_t *walked);

int gofer_stat(struct gofer_client *c, uint64_t fid, struct gofer_attr *attr);

/* Opens fid with O_* flags (O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC, O_APPEND,
 * O_DIRECT...). For regular files *host_fd receives a host fd opened by the
 * gofer (owned by the caller); for others it is -1 and I/O goes through RPCs. */
int gofer_open(struct gofer_client *c, uint64_t fid, int flags, int *host_fd);

/* Creates a regular file name in dir with mode, uid and gid (the creating
 * task's) and opens it with flags; returns its new fid, attributes and host fd. */
int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, int flags, uint32_t mode,
                 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_attr *attr, int *host_fd);

/* Reads directory entries of dir from offset off (0 = start), at most
 * about size bytes worth. *ents is malloc'ed (free with gofer_dirents_free);
 * *n == 0 means end of directory. "." and ".." are included. */
int gofer_getdents(struct gofer_client *c, uint64_t dir, int64_t off, size_t size,
                   struct gofer_dirent **ents, size_t *n);
void gofer_dirents_free(struct gofer_dirent *ents, size_t n);

/* Symlink target into buf (not NUL-terminated); returns its length. */
ssize_t gofer_readlink(struct gofer_client *c, uint64_t fid, char *buf, size_t size);

/* Directory operations. Names are single components (no "/", "", "." or
 * ".."; else -EINVAL); the gofer never follows a symlink at name. New files
 * get exactly the permission bits of mode (07777: the caller applied the
 * umask) and are given to uid:gid (a gofer that may not chown keeps its
 * own ids). A read-only gofer answers -EROFS. */
int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, uint64_t *fid, struct gofer_attr *attr);
/* mode: S_IFREG (or no type), S_IFIFO or S_IFSOCK | permission bits;
 * devices (S_IFCHR, S_IFBLK) are -EPERM. rdev is unused. An existing name
 * is -EEXIST. Returns the new file's fid and attributes. */
int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
                uint64_t rdev, uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_attr *attr);
/* A symlink name -> target (1..4095 bytes) in dir; its fid and attributes. */
int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
                  uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_attr *attr);
/* A new name in dir for target_fid's file (-EPERM for a directory). */
int gofer_link(struct gofer_client *c, uint64_t dir, const char *name, uint64_t target_fid);
int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, bool is_dir);
/* renameat2: flags is 0, RENAME_NOREPLACE or RENAME_EXCHANGE. */
int gofer_rename(struct gofer_client *c, uint64_t odir, const char *oname, uint64_t ndir,
                 const char *nname, unsigned flags);

struct vfs_setattr; /* sentry/vfs/vfs.h */
/* Applies the fields sa->mask names (VFS_SA_*): size (regular files only),
 * uid/gid, mode (not of a symlink: -EOPNOTSUPP), atime/mtime (explicit or
 * now). The gofer applies size, owner, mode, then times; it stops at the
 * first error. A mask of 0 is a no-op. */
int gofer_setattr(struct gofer_client *c, uint64_t fid, const struct vfs_setattr *sa);

/* The host file system of a fid (statfs(2) fields). */
struct gofer_statfs {
    uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
};
int gofer_statfs(struct gofer_client *c, uint64_t fid, struct gofer_statfs *out);

/* Releases fids. */
int gofer_close(struct gofer_client *c, const uint64_t *fids, size_t n);
