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

/* Later issues: mkdir, mknod, symlink, link, unlink, rename, setstat,
 * statfs, xattrs, fsync, bind/connect. */
int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, uint64_t *fid, struct gofer_attr *attr);
int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, bool is_dir);
/* Truncates the file (size >= 0) and/or sets mode when mode != UINT32_MAX. */
int gofer_setattr(struct gofer_client *c, uint64_t fid, int64_t size, uint32_t mode);

/* Releases fids. */
int gofer_close(struct gofer_client *c, const uint64_t *fids, size_t n);
