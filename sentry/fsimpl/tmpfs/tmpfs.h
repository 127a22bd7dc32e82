/* tmpfs: an in-memory filesystem (README.md). Regular file data lives in
 * the sentry's MemoryFile, page by page, so it counts as sandbox memory.
 *
 * Errors: -errno. */
#pragma once

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>

#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"

/* A new tmpfs instance. options is a mount data string
 * ("mode=1777,size=64m,nr_inodes=1000,uid=0,gid=0"); NULL or "" means the
 * defaults: root mode 1777 owned by 0:0, no limit beyond the MemoryFile.
 * size= takes k/m/g/t suffixes or a percentage of the MemoryFile; an
 * unknown option or a bad value is -EINVAL. *root gets the root dentry. */
int tmpfs_new(const char *options, struct vfs_fs **fs, struct dentry **root);

/* For devfs: adds name to the tmpfs directory dir (a dentry of a tmpfs),
 * owned by root. mode is S_IFCHR / S_IFBLK with device number rdev (a
 * character device opens through vfs_chrdev_ops(rdev), as one made by
 * mknod), S_IFDIR, S_IFREG (empty), S_IFIFO or S_IFSOCK, with its
 * permission bits. -EEXIST if present. */
int tmpfs_add_node(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev);
/* The same for a symlink to target. */
int tmpfs_add_symlink(struct dentry *dir, const char *name, const char *target);

/* Whether fs is a tmpfs instance. */
bool tmpfs_is(const struct vfs_fs *fs);
/* The numbers behind a tmpfs's statfs: block and inode totals (0 =
 * unlimited) and use. */
void tmpfs_usage(const struct vfs_fs *fs, uint64_t *max_pages, uint64_t *pages,
                 uint64_t *max_inodes, uint64_t *inodes);

/* memfd_create: a new regular file with no name in the sandbox's internal
 * tmpfs, opened O_RDWR in *out; mode 0777 (0666 with TMPFS_MFD_NOEXEC,
 * which also seals the x bits), owned by *owner. Without
 * TMPFS_MFD_ALLOW_SEALING it is sealed against further seals. */
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3; not in Debian 12's glibc headers */
#endif
#define TMPFS_MFD_ALLOW_SEALING 0x1u
#define TMPFS_MFD_NOEXEC 0x2u
int tmpfs_memfd_create(const char *name, unsigned flags, const struct vfs_owner *owner,
                       struct file **out);
/* "memfd:NAME" for a memfd's file, else NULL (/proc's fd links). */
const char *tmpfs_memfd_name(const struct file *f);
/* fcntl F_GET_SEALS / F_ADD_SEALS on a tmpfs regular file (-EINVAL for any
 * other file; every tmpfs file but a sealable memfd holds F_SEAL_SEAL):
 * the seals, or 0 / -EPERM / -EBUSY / -EINVAL as Linux. */
int tmpfs_get_seals(struct file *f);
int tmpfs_add_seals(struct file *f, uint32_t seals);
/* Whether a new writable MAP_SHARED mapping of f is refused (F_SEAL_WRITE,
 * F_SEAL_FUTURE_WRITE). */
bool tmpfs_sealed_against_shared_write(struct file *f);

/* The MemoryFile that holds file data (default: the kernel's); for unit tests. */
void tmpfs_set_memfile(struct memfile *mf);
