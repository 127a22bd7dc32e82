/* Synthetic trees: nodes are immutable after set-up (no locking needed). */
#include "sentry/fsimpl/synth/synth.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct synth_node *node_new(struct synth_fs *s, struct synth_node *parent, const char *name,
                                   uint32_t mode)
{
    struct synth_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->name = strdup(name);
    if (!n->name) {
        free(n);
        return NULL;
    }
    n->mode = mode;
    n->ino = s->next_ino++;
    n->parent = parent;
    if (parent) {
        /* Keep insertion order for getdents. */
        struct synth_node **pp = &parent->children;
        while (*pp)
            pp = &(*pp)->next;
        *pp = n;
    }
    return n;
}

static int synth_lookup(struct inode *dir, const char *name, struct inode **out);
static int synth_getattr(struct inode *ino, struct vfs_attr *a);
static ssize_t synth_readlink(struct inode *ino, char *buf, size_t size);
static int synth_open(struct inode *ino, struct file *f, int flags);

static const struct inode_ops g_synth_inode_ops = {
    .lookup = synth_lookup,
    .getattr = synth_getattr,
    .readlink = synth_readlink,
    .open = synth_open,
};

static int synth_lookup(struct inode *dir, const char *name, struct inode **out)
{
    struct synth_node *d = dir->priv;
    for (struct synth_node *c = d->children; c; c = c->next)
        if (strcmp(c->name, name) == 0) {
            *out = vfs_inode_new(dir->fs, &g_synth_inode_ops, c->ino, c->mode, c);
            return *out ? 0 : -ENOMEM;
        }
    return -ENOENT;
}

static int synth_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct synth_node *n = ino->priv;
    struct synth_fs *s = (struct synth_fs *)ino->fs;
    a->ino = n->ino;
    a->dev = ino->fs->dev;
    a->mode = n->mode;
    a->nlink = S_ISDIR(n->mode) ? 2 : 1;
    a->rdev = n->rdev;
    a->blksize = 4096;
    a->atime = a->mtime = a->ctime = a->btime = s->ctime;
    if (S_ISLNK(n->mode) && n->link)
        a->size = (int64_t)strlen(n->link);
    return 0;
}

static ssize_t synth_readlink(struct inode *ino, char *buf, size_t size)
{
    struct synth_node *n = ino->priv;
    if (n->link_fn)
        return n->link_fn(n, buf, size);
    if (!n->link)
        return -EINVAL;
    size_t len = strlen(n->link);
    if (len > size)
        len = size;
    memcpy(buf, n->link, len);
    return (ssize_t)len;
}

static int dir_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    struct synth_node *d = f->inode->priv;
    int64_t i = 0;
    if (!vfs_emit_dots(pos, fn, arg, d->ino, d->parent ? d->parent->ino : d->ino))
        return 0;
    for (struct synth_node *c = d->children; c; c = c->next, i++) {
        if (i + 2 < *pos)
            continue;
        if (!fn(arg, c->name, c->ino, (uint8_t)IFTODT(c->mode), i + 3))
            return 0;
        *pos = i + 3;
    }
    return 0;
}

static const struct file_ops g_synth_dir_ops = {
    .iterate = dir_iterate,
    .llseek = vfs_generic_llseek,
};

static int synth_open(struct inode *ino, struct file *f, int flags)
{
    struct synth_node *n = ino->priv;
    if (S_ISDIR(n->mode)) {
        f->ops = &g_synth_dir_ops;
        return 0;
    }
    if (!n->fops)
        return -ENXIO;
    f->ops = n->fops;
    f->priv = n->priv;
    return 0;
}

int synth_fs_new(const char *type_name, struct synth_fs **out)
{
    struct synth_fs *s = calloc(1, sizeof(*s));
    struct vfs_fs_type *t = calloc(1, sizeof(*t));
    if (!s || !t) {
        free(s);
        free(t);
        return -ENOMEM;
    }
    t->name = type_name;
    s->fs.type = t;
    s->fs.refs = 1;
    s->fs.dev = vfs_new_dev();
    s->next_ino = 1;
    clock_gettime(CLOCK_REALTIME, &s->ctime);
    s->root = node_new(s, NULL, "/", S_IFDIR | 0755);
    if (!s->root) {
        free(s);
        free(t);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

struct synth_node *synth_add_dir(struct synth_fs *s, struct synth_node *parent, const char *name,
                                 uint32_t perm)
{
    return node_new(s, parent ? parent : s->root, name, S_IFDIR | perm);
}

struct synth_node *synth_add_link(struct synth_fs *s, struct synth_node *parent, const char *name,
                                  const char *target, synth_link_fn fn)
{
    struct synth_node *n = node_new(s, parent ? parent : s->root, name, S_IFLNK | 0777);
    if (n) {
        n->link = target;
        n->link_fn = fn;
    }
    return n;
}

struct synth_node *synth_add_file(struct synth_fs *s, struct synth_node *parent, const char *name,
                                  uint32_t mode, uint64_t rdev, const struct file_ops *fops,
                                  void *priv)
{
    struct synth_node *n = node_new(s, parent ? parent : s->root, name, mode);
    if (n) {
        n->rdev = rdev;
        n->fops = fops;
        n->priv = priv;
    }
    return n;
}

int synth_root(struct synth_fs *s, struct dentry **out)
{
    struct inode *ino =
        vfs_inode_new(&s->fs, &g_synth_inode_ops, s->root->ino, s->root->mode, s->root);
    if (!ino)
        return -ENOMEM;
    *out = vfs_dentry_new_root(&s->fs, ino);
    if (!*out) {
        inode_put(ino);
        return -ENOMEM;
    }
    return 0;
}
