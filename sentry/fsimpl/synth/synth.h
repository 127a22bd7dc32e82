/* Synthetic filesystems built from a tree of nodes in sentry memory: devfs
 * now, and the base of proc and sys. A node is a directory (static children
 * plus an optional dynamic lookup), a symlink (static or computed target) or
 * a file with its own file_ops. */
#pragma once

#include "sentry/vfs/vfs.h"

struct synth_node;

/* Computes a symlink target for the calling task; returns length or -errno. */
typedef ssize_t (*synth_link_fn)(struct synth_node *n, char *buf, size_t size);

struct synth_node {
    char *name;
    uint32_t mode; /* S_IF* | perms */
    uint64_t ino;
    uint64_t rdev;
    const char *link; /* static symlink target */
    synth_link_fn link_fn;
    const struct file_ops *fops; /* for files and devices */
    void *priv;
    struct synth_node *children, *next;
    struct synth_node *parent;
};

struct synth_fs {
    struct vfs_fs fs;
    struct synth_node *root;
    struct timespec ctime;
    uint64_t next_ino;
};

int synth_fs_new(const char *type_name, struct synth_fs **out);
struct synth_node *synth_add_dir(struct synth_fs *s, struct synth_node *parent, const char *name,
                                 uint32_t perm);
struct synth_node *synth_add_link(struct synth_fs *s, struct synth_node *parent, const char *name,
                                  const char *target, synth_link_fn fn);
struct synth_node *synth_add_file(struct synth_fs *s, struct synth_node *parent, const char *name,
                                  uint32_t mode, uint64_t rdev, const struct file_ops *fops,
                                  void *priv);
/* The root dentry (new reference). */
int synth_root(struct synth_fs *s, struct dentry **out);
