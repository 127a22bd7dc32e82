/* Extended attributes: the checked entry points the xattr system calls use
 * (Linux's fs/xattr.c rules) and an in-memory store filesystems can keep
 * per inode (tmpfs does; the gofer has none: EOPNOTSUPP, as gVisor's
 * gofer without an overlay).
 *
 * Namespaces: "user." (regular files and directories; a sticky directory's
 * only for its owner or CAP_FOWNER), "trusted." (CAP_SYS_ADMIN; hidden from
 * listxattr otherwise), "security." (set and removed with CAP_SYS_ADMIN);
 * "system." (POSIX ACLs) and anything else: EOPNOTSUPP. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "sentry/vfs/vfs.h"

#define VFS_XATTR_NAME_MAX 255
#define VFS_XATTR_SIZE_MAX 65536
#define VFS_XATTR_LIST_MAX 65536

/* The filesystem side (struct inode_ops.xattr). Called with the checks
 * done; the fs does its own locking. */
struct vfs_xattr_ops {
    /* The value's length; copies it when size is non-zero (-ERANGE if it
     * does not fit); -ENODATA if absent. */
    ssize_t (*get)(struct inode *ino, const char *name, void *buf, size_t size);
    /* flags: XATTR_CREATE (-EEXIST if present), XATTR_REPLACE (-ENODATA if
     * absent); value NULL removes (-ENODATA if absent). */
    int (*set)(struct inode *ino, const char *name, const void *value, size_t size, int flags);
    /* The NUL-separated names (trusted.* only when trusted); like get for
     * size. */
    ssize_t (*list)(struct inode *ino, char *buf, size_t size, bool trusted);
};

/* Checked operations. ctx carries the caller's fsuid/fsgid/groups/caps;
 * the set and remove calls need the path for the mount's read-only flag. */
ssize_t vfs_getxattr(const struct vfs_walk_ctx *ctx, struct inode *ino, const char *name, void *buf,
                     size_t size);
int vfs_setxattr(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, const char *name,
                 const void *value, size_t size, int flags);
ssize_t vfs_listxattr(const struct vfs_walk_ctx *ctx, struct inode *ino, char *buf, size_t size);
int vfs_removexattr(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, const char *name);

/* ---- an in-memory store (a filesystem embeds one per inode) ------------- */
struct vfs_xattr_store {
    struct vfs_xattr_entry *head;
};

ssize_t vfs_xattr_store_get(struct vfs_xattr_store *s, const char *name, void *buf, size_t size);
int vfs_xattr_store_set(struct vfs_xattr_store *s, const char *name, const void *value, size_t size,
                        int flags);
ssize_t vfs_xattr_store_list(struct vfs_xattr_store *s, char *buf, size_t size, bool trusted);
void vfs_xattr_store_free(struct vfs_xattr_store *s);
