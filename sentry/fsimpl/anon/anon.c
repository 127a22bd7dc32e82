/* Anonymous-inode files (see anon.h).
 *
 * Lock: g_anon.lock guards the list of kinds (a leaf, taken alone). The
 * inodes are never freed: the list holds a reference on each. */
#include "sentry/fsimpl/anon/anon.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct anon_kind {
    const char *name;
    struct inode *inode;
    struct anon_kind *next;
};

static const struct vfs_fs_type g_anon_type = {.name = "anon_inodefs"};

static struct {
    pthread_mutex_t lock;
    struct vfs_fs fs;
    struct anon_kind *kinds;
    uint64_t next_ino;
    struct timespec ctime;
} g_anon = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .fs = {.type = &g_anon_type, .refs = 1},
    .next_ino = 1,
};

static int anon_getattr(struct inode *ino, struct vfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = ino->mode;
    a->nlink = 1;
    a->blksize = 4096;
    a->atime = a->mtime = a->ctime = a->btime = g_anon.ctime;
    return 0;
}

static const struct inode_ops g_anon_inode_ops = {
    .getattr = anon_getattr,
};

/* The shared inode of a kind (g_anon.lock held). */
static struct inode *kind_inode(const char *name)
{
    for (struct anon_kind *k = g_anon.kinds; k; k = k->next)
        if (strcmp(k->name, name) == 0)
            return k->inode;
    if (!g_anon.fs.dev) {
        g_anon.fs.dev = vfs_new_dev();
        clock_gettime(CLOCK_REALTIME, &g_anon.ctime);
    }
    struct anon_kind *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->inode = vfs_inode_new(&g_anon.fs, &g_anon_inode_ops, g_anon.next_ino++, S_IRUSR | S_IWUSR,
                             (void *)name);
    if (!k->inode) {
        free(k);
        return NULL;
    }
    k->name = name;
    k->next = g_anon.kinds;
    g_anon.kinds = k;
    return k->inode;
}

int anon_file_new(const char *name, const struct file_ops *ops, void *priv, int flags,
                  struct file **out)
{
    pthread_mutex_lock(&g_anon.lock);
    struct inode *ino = kind_inode(name);
    pthread_mutex_unlock(&g_anon.lock);
    if (!ino)
        return -ENOMEM;
    struct file *f = vfs_file_new(ino, NULL, flags);
    if (!f)
        return -ENOMEM;
    f->ops = ops;
    f->priv = priv;
    *out = f;
    return 0;
}

const char *anon_file_name(const struct file *f)
{
    if (!f->inode || f->inode->fs != &g_anon.fs)
        return NULL;
    return f->inode->priv;
}
