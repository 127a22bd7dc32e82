/* procfs: inodes, lookup, directory listing and the open-time snapshot
 * files. The entries themselves are in pid_files.c and global_files.c; the
 * kernel state they show is copied by tasks.c.
 *
 * Inode numbers: (owner << 32) | (thread << 31) | (table id << 24) | index,
 * where owner is 0 for global files, else the thread group (or thread, under
 * task/<tid>/), and index is the entry's place in its table or the dynamic
 * key (pid, tid, fd). The root is 1.
 *
 * Cached dentries: the VFS keeps every looked-up dentry. A node is looked up
 * again by number on every operation, so a stale dentry (dead pid, closed
 * fd) answers ENOENT from getattr, open and readlink. Listing a dynamic
 * directory also drops the cached dentries of children that are gone (see
 * prune_dcache), so short-lived pids do not pile up.
 *
 * Lock order: dentry.lock (lookup) -> kernel.lock; see internal.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fsimpl/proc/internal.h"

struct proc_fs {
    struct vfs_fs fs;
    struct timespec ctime;
};

static const struct vfs_fs_type g_proc_type = {.name = "proc"};

/* Directory listings: "." and ".." are positions 0 and 1, static entry i is
 * at 2 + i, the dynamic child with key k at DYN_POS + k. */
#define DYN_POS 0x10000

static const struct proc_ent g_root_ent;

uint64_t proc_node_ino(const struct proc_node *n)
{
    if (n->ent == &g_root_ent)
        return 1;
    uint64_t owner = (uint64_t)(uint32_t)(n->thread ? n->tid : n->tgid);
    return (owner << 32) | ((uint64_t)(n->thread ? 1 : 0) << 31) |
           ((uint64_t)(n->table->id & 0x7f) << 24) | ((uint64_t)n->idx & 0xffffff);
}

bool proc_node_alive(const struct proc_node *n)
{
    if (n->tgid == 0)
        return true;
    if (n->fd < 0)
        return proc_task_exists(n->tgid, n->thread ? n->tid : 0);
    struct proc_task pt;
    if (proc_task_get(n->tgid, n->thread ? n->tid : 0, PT_FDT, &pt) < 0)
        return false;
    struct file *f = pt.fdt ? fdt_get_file(pt.fdt, n->fd, NULL) : NULL;
    proc_task_release(&pt);
    if (!f)
        return false;
    file_put(f);
    return true;
}

static const struct inode_ops g_proc_inode_ops;

static struct inode *node_inode(struct vfs_fs *fs, const struct proc_node *n)
{
    struct proc_node *copy = malloc(sizeof(*copy));
    if (!copy)
        return NULL;
    *copy = *n;
    struct inode *ino = vfs_inode_new(fs, &g_proc_inode_ops, proc_node_ino(n), n->ent->mode, copy);
    if (!ino)
        free(copy);
    return ino;
}

/* The node for static entry i of dir's table. */
static void static_child(const struct proc_node *dir, size_t i, struct proc_node *out)
{
    const struct proc_dir *t = dir->ent->dir;
    *out = (struct proc_node){
        .ent = &t->ents[i],
        .table = t,
        .idx = (int)i,
        .tgid = dir->tgid,
        .tid = dir->tid,
        .thread = dir->thread,
        .fd = -1,
        .parent_ino = proc_node_ino(dir),
    };
}

static bool ent_visible(const struct proc_node *dir, const struct proc_ent *e)
{
    return !(dir->thread && (e->flags & PE_PROCESS_ONLY));
}

static int proc_lookup(struct inode *dir, const char *name, struct inode **out)
{
    const struct proc_node *d = dir->priv;
    if (!proc_node_alive(d))
        return -ENOENT;
    const struct proc_dir *t = d->ent->dir;
    for (size_t i = 0; i < t->n_ents; i++) {
        if (strcmp(t->ents[i].name, name) != 0 || !ent_visible(d, &t->ents[i]))
            continue;
        struct proc_node n;
        static_child(d, i, &n);
        *out = node_inode(dir->fs, &n);
        return *out ? 0 : -ENOMEM;
    }
    if (!t->dyn)
        return -ENOENT;
    struct proc_node n;
    int r = t->dyn->lookup(d, name, &n);
    if (r < 0)
        return r;
    n.parent_ino = proc_node_ino(d);
    *out = node_inode(dir->fs, &n);
    return *out ? 0 : -ENOMEM;
}

static struct timespec realtime_of(const struct timespec *mono)
{
    /* CLOCK_MONOTONIC -> CLOCK_REALTIME through the kernel's boot times. */
    struct timespec bm = g_kernel->boot_monotonic, br = g_kernel->boot_realtime;
    int64_t ns = (int64_t)(mono->tv_sec - bm.tv_sec) * 1000000000 + (mono->tv_nsec - bm.tv_nsec) +
                 (int64_t)br.tv_sec * 1000000000 + br.tv_nsec;
    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

static int proc_getattr(struct inode *ino, struct vfs_attr *a)
{
    const struct proc_node *n = ino->priv;
    struct proc_fs *pfs = (struct proc_fs *)ino->fs;
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = n->ent->mode;
    a->nlink = S_ISDIR(a->mode) ? 2 : 1;
    a->blksize = 1024;
    a->atime = a->mtime = a->ctime = a->btime = pfs->ctime;
    if (n->tgid == 0)
        return 0;
    struct proc_task pt;
    int r = proc_task_get(n->tgid, n->thread ? n->tid : 0, n->fd >= 0 ? PT_FDT : 0, &pt);
    if (r < 0)
        return r;
    a->uid = pt.creds.euid;
    a->gid = pt.creds.egid;
    a->atime = a->mtime = a->ctime = a->btime = realtime_of(&pt.start_time);
    if (n->fd >= 0) {
        int fdflags = 0;
        struct file *f = pt.fdt ? fdt_get_file(pt.fdt, n->fd, &fdflags) : NULL;
        if (!f) {
            proc_task_release(&pt);
            return -ENOENT;
        }
        if (S_ISLNK(a->mode)) {
            /* Linux: r-x for a readable description, -wx for a writable one. */
            int acc = f->flags & O_ACCMODE;
            uint32_t perm = 0;
            if (!(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR))
                perm |= 0500;
            if (!(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR))
                perm |= 0300;
            a->mode = S_IFLNK | perm;
        }
        file_put(f);
    }
    proc_task_release(&pt);
    return 0;
}

static ssize_t proc_readlink(struct inode *ino, char *buf, size_t size)
{
    const struct proc_node *n = ino->priv;
    if (!n->ent->link)
        return -EINVAL;
    return n->ent->link(n, buf, size);
}

/* ---- snapshot files ------------------------------------------------------- */

struct proc_file {
    char *data;
    size_t len;
};

static ssize_t seq_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct proc_file *pf = f->priv;
    if (off < 0 || (uint64_t)off >= pf->len)
        return 0;
    size_t n = pf->len - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, pf->data + off, n);
    return (ssize_t)n;
}

static ssize_t seq_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    const struct proc_node *n = f->inode->priv;
    if (!n->ent->write) /* Linux: EIO from proc_reg_write, EINVAL from seq files */
        return n->tgid ? -EINVAL : -EIO;
    if (off > 0)
        return -EINVAL; /* sysctl-style: one value, written at offset 0 */
    int r = n->ent->write(n, buf, len);
    return r < 0 ? r : (ssize_t)len;
}

static void seq_release(struct file *f)
{
    struct proc_file *pf = f->priv;
    if (pf) {
        free(pf->data);
        free(pf);
    }
}

static const struct file_ops g_seq_fops = {
    .read = seq_read,
    .write = seq_write,
    .llseek = vfs_seq_llseek,
    .release = seq_release,
};

/* Runs the entry's generator into a new snapshot. */
static int snapshot(const struct proc_node *n, struct file *f, struct proc_file *pf)
{
    char *data = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&data, &len);
    if (!out)
        return -ENOMEM;
    int r = n->ent->gen(n, f, out);
    if (fclose(out) != 0 && r == 0)
        r = -ENOMEM;
    if (r < 0) {
        free(data);
        return r;
    }
    pf->data = data;
    pf->len = len;
    return 0;
}

/* ---- directories ---------------------------------------------------------- */

static bool emit_node(vfs_dirent_fn fn, void *arg, const char *name, const struct proc_node *c,
                      int64_t next)
{
    return fn(arg, name, proc_node_ino(c), (uint8_t)IFTODT(c->ent->mode), next);
}

/* Drops the cached dentries under d (whole subtrees), except mount points
 * and what someone still references (they stay alive through their own
 * references and go when those do). */
static void drop_subtree(struct dentry *d)
{
    pthread_mutex_lock(&d->lock);
    struct dentry *list = d->children;
    struct dentry *keep = NULL;
    d->children = NULL;
    /* Mount points stay cached (cross_mounts finds mounts by dentry). */
    for (struct dentry *c = list, *next; c; c = next) {
        next = c->sibling;
        if (__atomic_load_n(&c->mounted, __ATOMIC_ACQUIRE)) {
            c->sibling = keep;
            keep = c;
        }
    }
    d->children = keep;
    pthread_mutex_unlock(&d->lock);
    for (struct dentry *c = list, *next; c; c = next) {
        next = c->sibling;
        if (__atomic_load_n(&c->mounted, __ATOMIC_ACQUIRE))
            continue;
        c->sibling = NULL;
        drop_subtree(c);
        dentry_put(c);
    }
}

/* Drops the cached children of dir whose task or fd is gone. The VFS has no
 * revalidation hook yet; this keeps the cache from growing with every pid
 * ever looked up. */
static void prune_dcache(struct dentry *dir)
{
    struct dentry *dead = NULL;
    pthread_mutex_lock(&dir->lock);
    for (struct dentry **pp = &dir->children; *pp;) {
        struct dentry *c = *pp;
        const struct proc_node *n = c->inode->ops == &g_proc_inode_ops ? c->inode->priv : NULL;
        bool gone = n && n->dynamic && !__atomic_load_n(&c->mounted, __ATOMIC_ACQUIRE) &&
                    !proc_node_alive(n);
        if (gone) {
            *pp = c->sibling;
            c->sibling = dead;
            dead = c;
        } else {
            pp = &c->sibling;
        }
    }
    pthread_mutex_unlock(&dir->lock);
    for (struct dentry *c = dead, *next; c; c = next) {
        next = c->sibling;
        c->sibling = NULL;
        drop_subtree(c);
        dentry_put(c);
    }
}

static int dir_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    const struct proc_node *d = f->inode->priv;
    if (!proc_node_alive(d))
        return -ENOENT;
    const struct proc_dir *t = d->ent->dir;
    if (!vfs_emit_dots(pos, fn, arg, proc_node_ino(d), d->parent_ino))
        return 0;
    for (size_t i = 0; i < t->n_ents; i++) {
        int64_t p = 2 + (int64_t)i;
        if (p < *pos || !ent_visible(d, &t->ents[i]))
            continue;
        struct proc_node c;
        static_child(d, i, &c);
        if (!emit_node(fn, arg, c.ent->name, &c, p + 1))
            return 0;
        *pos = p + 1;
    }
    if (!t->dyn)
        return 0;
    if (*pos < DYN_POS)
        *pos = DYN_POS;
    if (*pos == DYN_POS && f->path.d)
        prune_dcache(f->path.d);
    int *keys = NULL;
    size_t count = 0;
    int r = t->dyn->list(d, &keys, &count);
    if (r < 0)
        return r;
    for (size_t i = 0; i < count; i++) {
        int64_t p = DYN_POS + keys[i];
        if (p < *pos)
            continue;
        struct proc_node c;
        t->dyn->child(d, keys[i], &c);
        c.parent_ino = proc_node_ino(d);
        char name[16];
        snprintf(name, sizeof(name), "%d", keys[i]);
        if (!emit_node(fn, arg, name, &c, p + 1))
            break;
        *pos = p + 1;
    }
    free(keys);
    return 0;
}

static const struct file_ops g_dir_fops = {
    .iterate = dir_iterate,
    .llseek = vfs_generic_llseek,
};

static int proc_open(struct inode *ino, struct file *f, int flags)
{
    const struct proc_node *n = ino->priv;
    if (!proc_node_alive(n))
        return -ENOENT;
    if (S_ISDIR(n->ent->mode)) {
        f->ops = &g_dir_fops;
        return 0;
    }
    if (!S_ISREG(n->ent->mode))
        return -ENXIO;
    /* The mode bits decide who may open for writing (root may open a
     * read-only file; its writes fail). */
    int acc = flags & O_ACCMODE;
    if (acc != O_WRONLY && !n->ent->gen)
        return -EACCES;
    struct proc_file *pf = calloc(1, sizeof(*pf));
    if (!pf)
        return -ENOMEM;
    if (acc != O_WRONLY) {
        int r = snapshot(n, f, pf);
        if (r < 0) {
            free(pf);
            return r;
        }
    }
    f->ops = &g_seq_fops;
    f->priv = pf;
    return 0;
}

/* O_TRUNC (shell redirections to sysctl files): accepted and ignored, as
 * Linux's proc setattr does with a size. */
static int proc_truncate(struct inode *ino, int64_t size)
{
    return 0;
}

static void proc_release(struct inode *ino)
{
    free(ino->priv);
}

static const struct inode_ops g_proc_inode_ops = {
    .lookup = proc_lookup,
    .getattr = proc_getattr,
    .readlink = proc_readlink,
    .open = proc_open,
    .truncate = proc_truncate,
    .release = proc_release,
};

static const struct proc_ent g_root_ent = {
    .name = "/", .mode = S_IFDIR | 0555, .dir = &g_proc_root_dir};

int procfs_new(struct vfs_fs **fs, struct dentry **root)
{
    proc_global_init();
    struct proc_fs *pfs = calloc(1, sizeof(*pfs));
    if (!pfs)
        return -ENOMEM;
    pfs->fs.type = &g_proc_type;
    pfs->fs.refs = 1;
    pfs->fs.dev = vfs_new_dev();
    clock_gettime(CLOCK_REALTIME, &pfs->ctime);
    struct proc_node n = {
        .ent = &g_root_ent, .table = &g_proc_root_dir, .idx = 0, .fd = -1, .parent_ino = 1};
    struct inode *ino = node_inode(&pfs->fs, &n);
    if (!ino) {
        free(pfs);
        return -ENOMEM;
    }
    ino->ino = 1;
    *root = vfs_dentry_new_root(&pfs->fs, ino);
    if (!*root) {
        inode_put(ino);
        return -ENOMEM;
    }
    *fs = &pfs->fs;
    return 0;
}
