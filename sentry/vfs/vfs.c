/* VFS core: object lifetimes, mounts, path walk, open, read/write,
 * namespace operations, attribute changes.
 *
 * Lock order (docs/locking.md): g_rename_lock -> dentry->lock ->
 * inode->lock; file->pos_lock alone. fs ops run without VFS locks except
 * lookup, create and the directory operations (the directory dentry's lock;
 * both directories' for rename). */
#include "sentry/vfs/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/epoll.h"
#include "sentry/kernel/filelock.h"
#include "sentry/kernel/inotify.h"

#define MAX_SYMLINKS 40
#define MAX_PATH 4096

static pthread_mutex_t g_mount_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mount *g_mounts;
static uint64_t g_next_dev = 1;
/* Renames change dentry names and parents: writers hold this for writing,
 * readers of ->name / ->parent outside the parent's lock hold it for
 * reading. Order: g_rename_lock -> dentry->lock (docs/locking.md). */
static pthread_rwlock_t g_rename_lock = PTHREAD_RWLOCK_INITIALIZER;

/* ---- objects ------------------------------------------------------------ */

static void ref_inc(int *r)
{
    __atomic_add_fetch(r, 1, __ATOMIC_RELAXED);
}

static bool ref_dec(int *r)
{
    return __atomic_sub_fetch(r, 1, __ATOMIC_ACQ_REL) == 0;
}

uint64_t vfs_new_dev(void)
{
    return __atomic_fetch_add(&g_next_dev, 1, __ATOMIC_RELAXED);
}

void vfs_fs_get(struct vfs_fs *fs)
{
    ref_inc(&fs->refs);
}

void vfs_fs_put(struct vfs_fs *fs)
{
    if (fs && ref_dec(&fs->refs) && fs->release)
        fs->release(fs);
}

struct inode *vfs_inode_new(struct vfs_fs *fs, const struct inode_ops *ops, uint64_t ino,
                            uint32_t mode, void *priv)
{
    struct inode *i = calloc(1, sizeof(*i));
    if (!i)
        return NULL;
    i->refs = 1;
    i->ops = ops;
    i->fs = fs;
    vfs_fs_get(fs);
    i->ino = ino;
    i->mode = mode;
    i->priv = priv;
    pthread_mutex_init(&i->lock, NULL);
    return i;
}

void inode_get(struct inode *ino)
{
    ref_inc(&ino->refs);
}

void inode_put(struct inode *ino)
{
    if (!ino || !ref_dec(&ino->refs))
        return;
    if (ino->ops->release)
        ino->ops->release(ino);
    struct vfs_fs *fs = ino->fs;
    pthread_mutex_destroy(&ino->lock);
    free(ino);
    vfs_fs_put(fs);
}

static struct dentry *dentry_alloc(struct vfs_fs *fs, struct dentry *parent, const char *name,
                                   struct inode *ino)
{
    struct dentry *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->name = strdup(name);
    if (!d->name) {
        free(d);
        return NULL;
    }
    d->refs = 1;
    d->parent = parent;
    if (parent)
        dentry_get(parent);
    d->inode = ino;
    d->fs = fs;
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

struct dentry *vfs_dentry_new_root(struct vfs_fs *fs, struct inode *ino)
{
    return dentry_alloc(fs, NULL, "/", ino);
}

void dentry_get(struct dentry *d)
{
    ref_inc(&d->refs);
}

/* The last reference of a removed name of ino went (Linux's
 * dentry_unlink_inode): IN_DELETE_SELF when ino has no link left
 * (directories: always). */
static void notify_unlinked(struct inode *ino)
{
    struct vfs_attr a;
    if (inotify_watched(ino) && (S_ISDIR(ino->mode) || (vfs_getattr(ino, &a) == 0 && !a.nlink)))
        inotify_inode_gone(ino);
}

void dentry_put(struct dentry *d)
{
    while (d && ref_dec(&d->refs)) {
        if (d->unlinked && inotify_active())
            notify_unlinked(d->inode);
        /* Children hold references on their parent, so none are left. */
        struct dentry *parent = d->parent;
        inode_put(d->inode);
        pthread_mutex_destroy(&d->lock);
        free(d->name);
        free(d);
        d = parent;
    }
}

void path_get(const struct vfs_path *p)
{
    if (p->mnt)
        ref_inc(&p->mnt->refs);
    if (p->d)
        dentry_get(p->d);
}

void path_put(struct vfs_path *p)
{
    if (p->d)
        dentry_put(p->d);
    if (p->mnt)
        ref_dec(&p->mnt->refs); /* mounts live until the sandbox ends */
    p->d = NULL;
    p->mnt = NULL;
}

static struct file *mmf_file(struct mm_file *mf)
{
    return (struct file *)((char *)mf - offsetof(struct file, mmf));
}

static ssize_t mmf_read(struct mm_file *mf, void *buf, size_t len, uint64_t off)
{
    struct file *f = mmf_file(mf);
    if (!f->ops->read)
        return -EINVAL;
    return f->ops->read(f, buf, len, (int64_t)off);
}

static void mmf_get(struct mm_file *mf)
{
    file_get(mmf_file(mf));
}

static void mmf_put(struct mm_file *mf)
{
    file_put(mmf_file(mf));
}

/* The mapped file's path from root (a struct vfs_path, opaque to mm), built
 * when /proc/pid/maps is generated: names are read under g_rename_lock. */
static void mmf_name(struct mm_file *mf, const void *root, char *buf, size_t size)
{
    struct file *f = mmf_file(mf);
    if (size)
        buf[0] = '\0';
    if (root && f->path.mnt && f->path.d)
        vfs_path_name_buf(root, &f->path, buf, size);
}

static int64_t mmf_size(struct mm_file *mf)
{
    struct file *f = mmf_file(mf);
    if (!S_ISREG(f->inode->mode))
        return -1;
    struct vfs_attr a;
    if (vfs_file_getattr(f, &a) < 0)
        return -1;
    return a.size;
}

static struct mm_mappable *mmf_mappable(struct mm_file *mf)
{
    struct file *f = mmf_file(mf);
    return f->ops->mappable ? f->ops->mappable(f) : NULL;
}

static const struct mm_file_ops g_file_mm_ops = {
    .mappable = mmf_mappable,
    .read = mmf_read,
    .size = mmf_size,
    .get = mmf_get,
    .put = mmf_put,
    .name = mmf_name,
};

struct file *vfs_file_new(struct inode *ino, const struct vfs_path *path, int flags)
{
    struct file *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->refs = 1;
    f->inode = ino;
    inode_get(ino);
    if (path) {
        f->path = *path;
        path_get(path);
    }
    f->flags = flags;
    pthread_mutex_init(&f->pos_lock, NULL);
    f->mmf.ops = &g_file_mm_ops;
    return f;
}

void file_get(struct file *f)
{
    ref_inc(&f->refs);
}

/* ---- inotify events (sentry/kernel/inotify.c) -----------------------------
 * Called after an operation succeeded, with no VFS lock held (the parent's
 * name is read under g_rename_lock for reading). */

/* An event about the file at d: on its directory's watches with its name,
 * then on its own (Linux's fsnotify_parent). */
static void notify_dentry(struct dentry *d, uint32_t mask)
{
    if (!inotify_active())
        return;
    char name[256 + 1];
    struct inode *dir = NULL;
    pthread_rwlock_rdlock(&g_rename_lock);
    if (d->parent) {
        dir = d->parent->inode;
        inode_get(dir);
        snprintf(name, sizeof(name), "%s", d->name);
    }
    bool gone = d->unlinked;
    pthread_rwlock_unlock(&g_rename_lock);
    if (dir) {
        inotify_child_event(dir, d->inode, mask, name, 0, gone);
        inode_put(dir);
    }
    inotify_event(d->inode, mask, 0, gone);
}

void vfs_notify_file(struct file *f, uint32_t mask)
{
    if (!inotify_active() || (f->flags & O_PATH))
        return;
    if (f->path.d)
        notify_dentry(f->path.d, mask);
    else
        inotify_event(f->inode, mask, 0, false);
}

/* Takes a reference on ino for an event sent after the locks go (NULL when
 * nothing watches). */
static struct inode *notify_hold(struct inode *ino)
{
    if (!inotify_active())
        return NULL;
    inode_get(ino);
    return ino;
}

void file_put(struct file *f)
{
    if (!f || !ref_dec(&f->refs))
        return;
    if (f->ops) /* IN_CLOSE_* (not for an open that failed) */
        vfs_notify_file(f, (f->flags & O_ACCMODE) != O_RDONLY ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
    filelock_file_release(f); /* its flock and OFD locks */
    epoll_file_release(f);    /* the epoll items watching it */
    if (f->ops && f->ops->release)
        f->ops->release(f);
    path_put(&f->path);
    inode_put(f->inode);
    pthread_mutex_destroy(&f->pos_lock);
    free(f);
}

/* ---- character devices ----------------------------------------------------- */

#define MAX_CHRDEVS 32
static struct {
    uint64_t rdev;
    const struct file_ops *ops;
} g_chrdevs[MAX_CHRDEVS];
static int g_nchrdevs;
static pthread_mutex_t g_chrdev_lock = PTHREAD_MUTEX_INITIALIZER;

void vfs_chrdev_register(uint64_t rdev, const struct file_ops *ops)
{
    pthread_mutex_lock(&g_chrdev_lock);
    int i = 0;
    while (i < g_nchrdevs && g_chrdevs[i].rdev != rdev)
        i++;
    if (i < MAX_CHRDEVS) {
        g_chrdevs[i].rdev = rdev;
        g_chrdevs[i].ops = ops;
        if (i == g_nchrdevs)
            g_nchrdevs++;
    }
    pthread_mutex_unlock(&g_chrdev_lock);
}

const struct file_ops *vfs_chrdev_ops(uint64_t rdev)
{
    const struct file_ops *ops = NULL;
    pthread_mutex_lock(&g_chrdev_lock);
    for (int i = 0; i < g_nchrdevs; i++)
        if (g_chrdevs[i].rdev == rdev)
            ops = g_chrdevs[i].ops;
    pthread_mutex_unlock(&g_chrdev_lock);
    return ops;
}

/* ---- mounts ------------------------------------------------------------- */

/* A new mount of fs (root dentry root) on mp (NULL: the root mount), put at
 * the head of the mount list: the newest of a stack of mounts wins. */
static struct mount *mount_add(const struct vfs_path *mp, struct vfs_fs *fs, struct dentry *root,
                               int flags)
{
    struct mount *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->refs = 1;
    m->fs = fs;
    vfs_fs_get(fs);
    m->root = root;
    dentry_get(root);
    m->flags = flags;
    if (mp) {
        m->parent = mp->mnt;
        m->mountpoint = mp->d;
        dentry_get(mp->d);
    }
    pthread_mutex_lock(&g_mount_lock);
    m->next = g_mounts;
    g_mounts = m;
    if (mp)
        __atomic_add_fetch(&mp->d->mounted, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_mount_lock);
    return m;
}

int vfs_mount_root(struct vfs_fs *fs, struct dentry *root, int flags, struct vfs_path *out)
{
    struct mount *m = mount_add(NULL, fs, root, flags);
    if (!m)
        return -ENOMEM;
    out->mnt = m;
    out->d = root;
    path_get(out);
    return 0;
}

int vfs_mount(const struct vfs_path *mp, struct vfs_fs *fs, struct dentry *root, int flags)
{
    /* A directory on a directory, or a file on a file (Linux's rule). */
    if (S_ISDIR(mp->d->inode->mode) != S_ISDIR(root->inode->mode))
        return S_ISDIR(mp->d->inode->mode) ? -ENOTDIR : -EISDIR;
    if (S_ISLNK(mp->d->inode->mode) || S_ISLNK(root->inode->mode))
        return -ELOOP;
    return mount_add(mp, fs, root, flags) ? 0 : -ENOMEM;
}

struct mount *vfs_mounts_newest(void)
{
    pthread_mutex_lock(&g_mount_lock);
    struct mount *m = g_mounts;
    pthread_mutex_unlock(&g_mount_lock);
    return m;
}

/* If p is a mount point, moves p to the root of what is mounted there. */
static void cross_mounts(struct vfs_path *p)
{
    while (__atomic_load_n(&p->d->mounted, __ATOMIC_ACQUIRE)) {
        struct mount *found = NULL;
        pthread_mutex_lock(&g_mount_lock);
        for (struct mount *m = g_mounts; m; m = m->next)
            if (m->parent == p->mnt && m->mountpoint == p->d) {
                found = m;
                break;
            }
        if (found) {
            struct vfs_path n = {found, found->root};
            path_get(&n);
            pthread_mutex_unlock(&g_mount_lock);
            path_put(p);
            *p = n;
            continue;
        }
        pthread_mutex_unlock(&g_mount_lock);
        return;
    }
}

/* ---- lookup and walk ---------------------------------------------------- */

int vfs_getattr(struct inode *ino, struct vfs_attr *attr)
{
    memset(attr, 0, sizeof(*attr));
    if (!ino->ops->getattr) {
        attr->ino = ino->ino;
        attr->dev = ino->fs->dev;
        attr->mode = ino->mode;
        attr->nlink = 1;
        attr->blksize = 4096;
        return 0;
    }
    int r = ino->ops->getattr(ino, attr);
    if (r == 0)
        ino->mode = attr->mode;
    return r;
}

void vfs_attr_from_stat(struct vfs_attr *a, const struct stat *st)
{
    a->ino = st->st_ino;
    a->dev = st->st_dev;
    a->mode = st->st_mode;
    a->nlink = (uint32_t)st->st_nlink;
    a->uid = st->st_uid;
    a->gid = st->st_gid;
    a->rdev = st->st_rdev;
    a->size = st->st_size;
    a->blocks = st->st_blocks;
    a->blksize = (int32_t)st->st_blksize;
    a->atime = st->st_atim;
    a->mtime = st->st_mtim;
    a->ctime = st->st_ctim;
}

int vfs_file_getattr(struct file *f, struct vfs_attr *attr)
{
    if (f->ops && f->ops->getattr) {
        memset(attr, 0, sizeof(*attr));
        return f->ops->getattr(f, attr);
    }
    return vfs_getattr(f->inode, attr);
}

int vfs_permission(const struct vfs_attr *a, const struct vfs_walk_ctx *ctx, int want)
{
    want &= 7;
    uint32_t bits;
    if (a->uid == ctx->uid)
        bits = (a->mode >> 6) & 7;
    else if (vfs_in_group(ctx, a->gid))
        bits = (a->mode >> 3) & 7;
    else
        bits = a->mode & 7;
    if (((uint32_t)want & ~bits) == 0)
        return 0;
    /* The capability overrides (generic_permission): directories for
     * CAP_DAC_READ_SEARCH unless written; files for reading; and
     * CAP_DAC_OVERRIDE except executing a file with no x bit at all. */
    if (S_ISDIR(a->mode)) {
        if (!(want & 2) && vfs_capable(ctx, CREDS_CAP_DAC_READ_SEARCH))
            return 0;
        return vfs_capable(ctx, CREDS_CAP_DAC_OVERRIDE) ? 0 : -EACCES;
    }
    if (want == 4 && vfs_capable(ctx, CREDS_CAP_DAC_READ_SEARCH))
        return 0;
    if ((!(want & 1) || (a->mode & 0111)) && vfs_capable(ctx, CREDS_CAP_DAC_OVERRIDE))
        return 0;
    return -EACCES;
}

/* Child name of dir (cached or looked up); new reference in *out. Called
 * with dir->lock held. */
static int lookup_child_locked(struct dentry *dir, const char *name, struct dentry **out)
{
    for (struct dentry *c = dir->children; c; c = c->sibling)
        if (strcmp(c->name, name) == 0) {
            dentry_get(c);
            *out = c;
            return 0;
        }
    if (!dir->inode->ops->lookup)
        return -ENOENT;
    struct inode *ino = NULL;
    int r = dir->inode->ops->lookup(dir->inode, name, &ino);
    if (r < 0)
        return r;
    struct dentry *c = dentry_alloc(dir->fs, dir, name, ino);
    if (!c) {
        inode_put(ino);
        return -ENOMEM;
    }
    /* The cache holds one reference; the caller gets another. */
    c->sibling = dir->children;
    dir->children = c;
    dentry_get(c);
    *out = c;
    return 0;
}

static int lookup_child(struct dentry *dir, const char *name, struct dentry **out)
{
    pthread_mutex_lock(&dir->lock);
    int r = lookup_child_locked(dir, name, out);
    pthread_mutex_unlock(&dir->lock);
    return r;
}

static bool path_eq(const struct vfs_path *a, const struct vfs_path *b)
{
    return a->mnt == b->mnt && a->d == b->d;
}

/* Moves p to its parent, stopping at root and crossing mounts upward. */
static void go_up(struct vfs_path *p, const struct vfs_path *root)
{
    for (;;) {
        if (path_eq(p, root))
            return;
        if (p->d == p->mnt->root) {
            if (!p->mnt->parent)
                return; /* the root of everything */
            struct vfs_path n = {p->mnt->parent, p->mnt->mountpoint};
            path_get(&n);
            path_put(p);
            *p = n;
            continue;
        }
        pthread_rwlock_rdlock(&g_rename_lock);
        struct vfs_path n = {p->mnt, p->d->parent};
        path_get(&n);
        pthread_rwlock_unlock(&g_rename_lock);
        path_put(p);
        *p = n;
        return;
    }
}

static int walk_rec(const struct vfs_walk_ctx *ctx, struct vfs_path *cur, const char *name,
                    int flags, int *nlinks, char *last);

/* Resolves one component of cur. is_last says whether flags apply. */
static int step(const struct vfs_walk_ctx *ctx, struct vfs_path *cur, const char *comp,
                bool is_last, int flags, int *nlinks)
{
    if (!S_ISDIR(cur->d->inode->mode))
        return -ENOTDIR;
    struct vfs_attr a;
    int r = vfs_getattr(cur->d->inode, &a);
    if (r < 0)
        return r;
    r = vfs_permission(&a, ctx, 1);
    if (r < 0)
        return r;
    if (strcmp(comp, ".") == 0)
        return 0;
    if (strcmp(comp, "..") == 0) {
        go_up(cur, &ctx->root);
        return 0;
    }
    if (strlen(comp) > 255)
        return -ENAMETOOLONG;
    struct dentry *child;
    r = lookup_child(cur->d, comp, &child);
    if (r < 0)
        return r;
    struct vfs_path next = {cur->mnt, child};
    path_get(&next);
    dentry_put(child);
    cross_mounts(&next);
    if (S_ISLNK(next.d->inode->mode) && (!is_last || (flags & WALK_FOLLOW))) {
        if (++*nlinks > MAX_SYMLINKS) {
            path_put(&next);
            return -ELOOP;
        }
        char *target = malloc(MAX_PATH + 1);
        if (!target) {
            path_put(&next);
            return -ENOMEM;
        }
        ssize_t n = next.d->inode->ops->readlink
                        ? next.d->inode->ops->readlink(next.d->inode, target, MAX_PATH)
                        : -EINVAL;
        path_put(&next);
        if (n < 0) {
            free(target);
            return (int)n;
        }
        target[n] = '\0';
        if (n == 0) {
            free(target);
            return -ENOENT;
        }
        /* Resolve the target from the symlink's directory. */
        int sub = WALK_FOLLOW | (is_last ? (flags & WALK_DIRECTORY) : WALK_DIRECTORY);
        r = walk_rec(ctx, cur, target, sub, nlinks, NULL);
        free(target);
        return r;
    }
    path_put(cur);
    *cur = next;
    return 0;
}

/* Walks name from *cur (a reference the function may replace). With
 * WALK_PARENT, stops before the last component and copies it to last. */
static int walk_rec(const struct vfs_walk_ctx *ctx, struct vfs_path *cur, const char *name,
                    int flags, int *nlinks, char *last)
{
    if (name[0] == '/') {
        struct vfs_path r = ctx->root;
        path_get(&r);
        path_put(cur);
        *cur = r;
    }
    const char *p = name;
    char comp[256 + 1];
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 255)
            return -ENAMETOOLONG;
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        const char *rest = p;
        while (*rest == '/')
            rest++;
        bool is_last = *rest == '\0';
        bool trailing_slash = is_last && *p == '/';
        if (is_last && (flags & WALK_PARENT)) {
            if (!S_ISDIR(cur->d->inode->mode))
                return -ENOTDIR;
            strcpy(last, comp);
            return 0;
        }
        int f = flags;
        if (trailing_slash)
            f |= WALK_FOLLOW | WALK_DIRECTORY;
        int r = step(ctx, cur, comp, is_last, f, nlinks);
        if (r < 0)
            return r;
        if (is_last && (f & WALK_DIRECTORY) && !S_ISDIR(cur->d->inode->mode))
            return -ENOTDIR;
    }
    if (flags & WALK_PARENT) {
        /* "/" or "." as the whole name: no last component. */
        strcpy(last, ".");
    }
    if ((flags & WALK_DIRECTORY) && !S_ISDIR(cur->d->inode->mode))
        return -ENOTDIR;
    return 0;
}

int vfs_walk(const struct vfs_walk_ctx *ctx, const char *name, int flags, struct vfs_path *out)
{
    if (!name[0] && !(flags & WALK_EMPTY_PATH))
        return -ENOENT;
    if (strlen(name) >= MAX_PATH)
        return -ENAMETOOLONG;
    struct vfs_path cur = ctx->start;
    path_get(&cur);
    int nlinks = 0;
    char last[256 + 1];
    int r = walk_rec(ctx, &cur, name, flags & ~WALK_PARENT, &nlinks, last);
    if (r < 0) {
        path_put(&cur);
        return r;
    }
    *out = cur;
    return 0;
}

ssize_t vfs_readlink(const struct vfs_path *p, char *buf, size_t size)
{
    if (!S_ISLNK(p->d->inode->mode) || !p->d->inode->ops->readlink)
        return -EINVAL;
    return p->d->inode->ops->readlink(p->d->inode, buf, size);
}

size_t vfs_path_name_buf(const struct vfs_path *root, const struct vfs_path *p, char *buf,
                         size_t size)
{
    static const char unreachable[] = "(unreachable)";
    if (size < 2) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    /* Built backwards from the end of buf, then moved to its start. Names
     * that do not fit (with room for the "(unreachable)" prefix) are left
     * out from the top. */
    size_t pos = size - 1;
    buf[pos] = '\0';
    struct vfs_path cur = *p;
    bool reachable = true;
    pthread_rwlock_rdlock(&g_rename_lock);
    for (;;) {
        if (path_eq(&cur, root))
            break;
        if (cur.d == cur.mnt->root) {
            if (!cur.mnt->parent) {
                reachable = false;
                break;
            }
            cur = (struct vfs_path){cur.mnt->parent, cur.mnt->mountpoint};
            continue;
        }
        size_t n = strlen(cur.d->name);
        if (pos < n + 1 + sizeof(unreachable))
            break;
        pos -= n;
        memcpy(buf + pos, cur.d->name, n);
        buf[--pos] = '/';
        cur.d = cur.d->parent;
    }
    pthread_rwlock_unlock(&g_rename_lock);
    if (buf[pos] == '\0')
        buf[--pos] = '/';
    if (!reachable) {
        size_t n = sizeof(unreachable) - 1;
        if (pos >= n) {
            pos -= n;
            memcpy(buf + pos, unreachable, n);
        }
    }
    memmove(buf, buf + pos, size - pos);
    return size - 1 - pos;
}

char *vfs_path_name(const struct vfs_path *root, const struct vfs_path *p)
{
    char *buf = malloc(MAX_PATH);
    if (buf)
        vfs_path_name_buf(root, p, buf, MAX_PATH);
    return buf;
}

/* ---- open --------------------------------------------------------------- */

int vfs_open_path(const struct vfs_path *p, int flags, struct file **out)
{
    struct inode *ino = p->d->inode;
    int acc = flags & O_ACCMODE;
    if (acc == 3)
        return -EINVAL;
    if (flags & O_PATH) {
        struct file *f =
            vfs_file_new(ino, p, flags & (O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW));
        if (!f)
            return -ENOMEM;
        static const struct file_ops path_ops = {.stream = false};
        f->ops = &path_ops;
        *out = f;
        return 0;
    }
    if (S_ISLNK(ino->mode))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
        return -ENOTDIR;
    if (S_ISDIR(ino->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
        return -EISDIR;
    if (acc != O_RDONLY && (p->mnt->flags & MNT_RDONLY) && !S_ISCHR(ino->mode) &&
        !S_ISFIFO(ino->mode) && !S_ISSOCK(ino->mode))
        return -EROFS;
    if ((S_ISCHR(ino->mode) || S_ISBLK(ino->mode)) && (p->mnt->flags & MNT_NODEV))
        return -EACCES; /* a nodev mount (Linux's may_open_dev) */
    if (!ino->ops->open)
        return S_ISSOCK(ino->mode) ? -ENXIO : -EACCES;
    struct file *f = vfs_file_new(ino, p, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
    if (!f)
        return -ENOMEM;
    int r = ino->ops->open(ino, f, flags);
    if (r < 0) {
        f->ops = NULL;
        file_put(f);
        return r;
    }
    if ((flags & O_TRUNC) && S_ISREG(ino->mode) && acc != O_RDONLY) {
        r = ino->ops->truncate ? ino->ops->truncate(ino, 0) : -EINVAL;
        if (r < 0) {
            file_put(f);
            return r;
        }
        vfs_notify_file(f, IN_MODIFY);
    }
    vfs_notify_file(f, IN_OPEN);
    *out = f;
    return 0;
}

/* The namespace operations' helpers (below), which O_CREAT shares. */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };
static int walk_parent(const struct vfs_walk_ctx *ctx, const char *name, struct vfs_path *dir,
                       char *last, enum last_type *type, bool *trailing_slash);
static int may_create(const struct vfs_walk_ctx *ctx, struct dentry *dir);
static void new_owner(const struct vfs_walk_ctx *ctx, struct dentry *dir, uint32_t *mode,
                      struct vfs_owner *o);
static struct dentry *cache_add_locked(struct dentry *dir, const char *name, struct inode *ino);

static int check_open_perm(const struct vfs_walk_ctx *ctx, struct inode *ino, int flags)
{
    struct vfs_attr a;
    int r = vfs_getattr(ino, &a);
    if (r < 0)
        return r;
    int want = 0;
    switch (flags & O_ACCMODE) {
    case O_RDONLY:
        want = 4;
        break;
    case O_WRONLY:
        want = 2;
        break;
    case O_RDWR:
        want = 6;
        break;
    }
    if (flags & O_TRUNC)
        want |= 2;
    return vfs_permission(&a, ctx, want);
}

int vfs_open(const struct vfs_walk_ctx *ctx, const char *name, int flags, int mode,
             struct file **out)
{
    struct vfs_path p;
    int wflags = (flags & O_NOFOLLOW) ? 0 : WALK_FOLLOW;
    if (flags & O_DIRECTORY)
        wflags |= WALK_DIRECTORY;
    if (!(flags & O_CREAT)) {
        int r = vfs_walk(ctx, name, wflags, &p);
        if (r < 0)
            return r;
        if (!(flags & O_PATH) && !S_ISLNK(p.d->inode->mode)) {
            r = check_open_perm(ctx, p.d->inode, flags);
            if (r < 0) {
                path_put(&p);
                return r;
            }
        }
        r = vfs_open_path(&p, flags, out);
        path_put(&p);
        return r;
    }
    /* O_CREAT: resolve the parent, then the last component. */
    struct vfs_path dir;
    char last[256 + 1];
    enum last_type type;
    bool slash;
    int r = walk_parent(ctx, name, &dir, last, &type, &slash);
    if (r < 0)
        return r;
    if (type != LAST_NORM || slash) {
        path_put(&dir);
        return -EISDIR;
    }
    struct vfs_walk_ctx sub = *ctx;
    sub.start = dir;
    r = vfs_walk(&sub, last, (flags & O_EXCL) ? 0 : wflags, &p);
    if (r == 0) {
        path_put(&dir);
        if (flags & O_EXCL) {
            path_put(&p);
            return -EEXIST;
        }
        if (S_ISDIR(p.d->inode->mode)) {
            path_put(&p);
            return -EISDIR;
        }
        r = check_open_perm(ctx, p.d->inode, flags);
        if (r == 0)
            r = vfs_open_path(&p, flags, out);
        path_put(&p);
        return r;
    }
    if (r != -ENOENT) {
        path_put(&dir);
        return r;
    }
    /* Create it. */
    r = may_create(ctx, dir.d);
    if (r == 0 && (dir.mnt->flags & MNT_RDONLY))
        r = -EROFS;
    if (r == 0 && !dir.d->inode->ops->create)
        r = -EROFS; /* the filesystem cannot create files */
    if (r < 0) {
        path_put(&dir);
        return r;
    }
    pthread_mutex_lock(&dir.d->lock);
    struct inode *ino = NULL;
    struct file *f =
        vfs_file_new(dir.d->inode, NULL, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
    if (!f) {
        pthread_mutex_unlock(&dir.d->lock);
        path_put(&dir);
        return -ENOMEM;
    }
    uint32_t cmode = S_IFREG | ((uint32_t)mode & 07777);
    struct vfs_owner owner;
    new_owner(ctx, dir.d, &cmode, &owner);
    r = dir.d->inode->ops->create(dir.d->inode, last, cmode & 07777, &owner, f, flags, &ino);
    if (r < 0) {
        pthread_mutex_unlock(&dir.d->lock);
        f->ops = NULL;
        file_put(f);
        path_put(&dir);
        return r;
    }
    /* Cache the new dentry and point the file at it (referenced before
     * the lock goes: an unlink may drop the cache's reference). */
    struct dentry *c = cache_add_locked(dir.d, last, ino);
    if (c) {
        f->path = (struct vfs_path){dir.mnt, c};
        path_get(&f->path);
    }
    pthread_mutex_unlock(&dir.d->lock);
    if (c)
        inotify_child_event(dir.d->inode, ino, IN_CREATE, last, 0, false);
    path_put(&dir);
    if (!c) {
        file_put(f);
        return -ENOMEM;
    }
    inode_put(f->inode);
    f->inode = ino;
    inode_get(ino);
    vfs_notify_file(f, IN_OPEN);
    *out = f;
    return 0;
}

/* ---- I/O ---------------------------------------------------------------- */

static ssize_t do_read(struct file *f, void *buf, size_t len, int64_t off)
{
    if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
        return -EBADF;
    if (S_ISDIR(f->inode->mode))
        return -EISDIR;
    if (!f->ops->read)
        return -EINVAL;
    return f->ops->read(f, buf, len, off);
}

static ssize_t do_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    return f->ops->write(f, buf, len, off);
}

ssize_t vfs_pread(struct file *f, void *buf, size_t len, int64_t off)
{
    if (off < 0)
        return -EINVAL;
    if (!f->ops->llseek)
        return -ESPIPE;
    return do_read(f, buf, len, off);
}

ssize_t vfs_append(struct file *f, const void *buf, size_t len, int64_t *off)
{
    if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    if (f->ops->append)
        return f->ops->append(f, buf, len, off);
    struct vfs_attr a;
    int r = vfs_file_getattr(f, &a);
    if (r < 0)
        return r;
    *off = a.size;
    return f->ops->write(f, buf, len, a.size);
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, int64_t off)
{
    if (off < 0)
        return -EINVAL;
    if (!f->ops->llseek)
        return -ESPIPE;
    if (f->flags & O_APPEND)
        return vfs_append(f, buf, len, &off);
    return do_write(f, buf, len, off);
}

ssize_t vfs_read(struct file *f, void *buf, size_t len)
{
    if (f->ops && f->ops->stream)
        return do_read(f, buf, len, -1);
    pthread_mutex_lock(&f->pos_lock);
    ssize_t r = do_read(f, buf, len, f->pos);
    if (r > 0)
        f->pos += r;
    pthread_mutex_unlock(&f->pos_lock);
    return r;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t len)
{
    if (f->ops && f->ops->stream)
        return do_write(f, buf, len, -1);
    pthread_mutex_lock(&f->pos_lock);
    int64_t off = f->pos;
    ssize_t r = (f->flags & O_APPEND) ? vfs_append(f, buf, len, &off) : do_write(f, buf, len, off);
    if (r > 0)
        f->pos = off + r;
    pthread_mutex_unlock(&f->pos_lock);
    return r;
}

bool vfs_emit_dots(int64_t *pos, vfs_dirent_fn fn, void *arg, uint64_t self, uint64_t parent)
{
    if (*pos == 0) {
        if (!fn(arg, ".", self, DT_DIR, 1))
            return false;
        *pos = 1;
    }
    if (*pos == 1) {
        if (!fn(arg, "..", parent, DT_DIR, 2))
            return false;
        *pos = 2;
    }
    return true;
}

int64_t vfs_seq_llseek(struct file *f, int64_t off, int whence)
{
    int64_t base;
    if (whence == SEEK_SET)
        base = 0;
    else if (whence == SEEK_CUR)
        base = f->pos;
    else
        return -EINVAL;
    if (off > 0 && base > INT64_MAX - off)
        return -EOVERFLOW;
    if (base + off < 0)
        return -EINVAL;
    return base + off;
}

int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence)
{
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = f->pos;
        break;
    case SEEK_END:
    case SEEK_DATA:
    case SEEK_HOLE: {
        struct vfs_attr a;
        int r = vfs_file_getattr(f, &a);
        if (r < 0)
            return r;
        if (whence == SEEK_END) {
            base = a.size;
            break;
        }
        if (off < 0 || off >= a.size)
            return -ENXIO;
        return whence == SEEK_DATA ? off : a.size; /* no holes known */
    }
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off))
        return -EOVERFLOW;
    int64_t n = base + off;
    if (n < 0)
        return -EINVAL;
    return n;
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
    if (!f->ops->llseek)
        return -ESPIPE;
    pthread_mutex_lock(&f->pos_lock);
    int64_t r = f->ops->llseek(f, off, whence);
    if (r >= 0)
        f->pos = r;
    pthread_mutex_unlock(&f->pos_lock);
    return r;
}

/* ---- namespace operations (mkdir, mknod, symlink, link, unlink, rmdir,
 * rename) and attribute changes ------------------------------------------ */

bool vfs_capable(const struct vfs_walk_ctx *ctx, int cap)
{
    if (ctx->caps_valid)
        return (ctx->caps >> cap) & 1;
    return ctx->uid == 0;
}

bool vfs_in_group(const struct vfs_walk_ctx *ctx, uint32_t gid)
{
    if (gid == ctx->gid)
        return true;
    for (int i = 0; i < ctx->ngroups; i++)
        if (ctx->groups[i] == gid)
            return true;
    return false;
}

static bool owner_or_capable(const struct vfs_walk_ctx *ctx, const struct vfs_attr *a)
{
    return ctx->uid == a->uid || vfs_capable(ctx, CREDS_CAP_FOWNER);
}

/* Resolves the directory holding name's last component (following
 * symlinks on the way); copies the component to last. */
static int walk_parent(const struct vfs_walk_ctx *ctx, const char *name, struct vfs_path *dir,
                       char *last, enum last_type *type, bool *trailing_slash)
{
    if (!name[0])
        return -ENOENT;
    size_t len = strlen(name);
    if (len >= MAX_PATH)
        return -ENAMETOOLONG;
    *dir = ctx->start;
    path_get(dir);
    int nlinks = 0;
    int r = walk_rec(ctx, dir, name, WALK_PARENT | WALK_FOLLOW, &nlinks, last);
    if (r < 0) {
        path_put(dir);
        return r;
    }
    *trailing_slash = name[len - 1] == '/';
    if (strspn(name, "/") == len)
        *type = LAST_ROOT;
    else if (strcmp(last, ".") == 0)
        *type = LAST_DOT;
    else if (strcmp(last, "..") == 0)
        *type = LAST_DOTDOT;
    else
        *type = LAST_NORM;
    return 0;
}

/* Linux's may_create: write and search permission on the directory. */
static int may_create(const struct vfs_walk_ctx *ctx, struct dentry *dir)
{
    struct vfs_attr da;
    int r = vfs_getattr(dir->inode, &da);
    if (r == 0)
        r = vfs_permission(&da, ctx, 2 | 1);
    return r;
}

/* Linux's may_delete: write and search permission on dir, the sticky bit
 * rule, and the type of the victim. */
static int may_delete(const struct vfs_walk_ctx *ctx, struct dentry *dir, struct dentry *victim,
                      bool isdir)
{
    struct vfs_attr da, va;
    int r = vfs_getattr(dir->inode, &da);
    if (r == 0)
        r = vfs_getattr(victim->inode, &va);
    if (r == 0)
        r = vfs_permission(&da, ctx, 2 | 1);
    if (r < 0)
        return r;
    if ((da.mode & S_ISVTX) && ctx->uid != va.uid && ctx->uid != da.uid &&
        !vfs_capable(ctx, CREDS_CAP_FOWNER))
        return -EPERM;
    if (isdir) {
        if (!S_ISDIR(va.mode))
            return -ENOTDIR;
        if (!victim->parent)
            return -EBUSY; /* a filesystem root */
    } else if (S_ISDIR(va.mode)) {
        return -EISDIR;
    }
    return 0;
}

/* Owner and final mode of a new inode in dir (set-group-ID directories
 * pass their group on, and their S_ISGID to subdirectories). */
static void new_owner(const struct vfs_walk_ctx *ctx, struct dentry *dir, uint32_t *mode,
                      struct vfs_owner *o)
{
    struct vfs_attr da;
    o->uid = ctx->uid;
    o->gid = ctx->gid;
    if (vfs_getattr(dir->inode, &da) == 0 && (da.mode & S_ISGID)) {
        o->gid = da.gid;
        if (S_ISDIR(*mode))
            *mode |= S_ISGID;
    }
    if (!S_ISDIR(*mode) && (*mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
        !vfs_in_group(ctx, o->gid) && !vfs_capable(ctx, CREDS_CAP_FSETID))
        *mode &= ~(uint32_t)S_ISGID;
}

/* Adds a dentry for a new inode (reference consumed) to dir's cache
 * (dir->lock held); returns it (the cache's reference) or NULL (ENOMEM). */
static struct dentry *cache_add_locked(struct dentry *dir, const char *name, struct inode *ino)
{
    struct dentry *c = dentry_alloc(dir->fs, dir, name, ino);
    if (!c) {
        inode_put(ino);
        return NULL;
    }
    c->sibling = dir->children;
    dir->children = c;
    return c;
}

/* Takes c out of dir's cache (dir->lock held); the cache's reference is
 * returned to the caller, who puts it. */
static void cache_unlink_locked(struct dentry *dir, struct dentry *c)
{
    for (struct dentry **pp = &dir->children; *pp; pp = &(*pp)->sibling)
        if (*pp == c) {
            *pp = c->sibling;
            c->sibling = NULL;
            return;
        }
}

enum create_kind { CREATE_DIR, CREATE_NODE, CREATE_SYMLINK, CREATE_LINK };

struct create_req {
    enum create_kind kind;
    uint32_t mode;
    uint64_t rdev;
    const char *target;   /* CREATE_SYMLINK */
    struct vfs_path src;  /* CREATE_LINK */
    struct vfs_path *out; /* non-NULL: gets the new name's path (references) */
};

static int may_link(const struct vfs_walk_ctx *ctx, struct inode *ino);

static int create_at(const struct vfs_walk_ctx *ctx, const char *name, struct create_req *req)
{
    struct vfs_path dir;
    char last[256 + 1];
    enum last_type type;
    bool slash;
    int r = walk_parent(ctx, name, &dir, last, &type, &slash);
    if (r < 0)
        return r;
    if (type != LAST_NORM) {
        path_put(&dir);
        return -EEXIST;
    }
    struct dentry *d = dir.d;
    struct inode *made_ino = NULL;
    pthread_mutex_lock(&d->lock);
    struct dentry *c;
    r = lookup_child_locked(d, last, &c);
    if (r == 0) {
        dentry_put(c);
        r = -EEXIST;
    } else if (r == -ENOENT) {
        r = 0;
    }
    if (r == 0 && slash && req->kind != CREATE_DIR)
        r = -ENOENT;
    if (r == 0 && (dir.mnt->flags & MNT_RDONLY))
        r = -EROFS;
    if (r == 0 && req->kind == CREATE_LINK && req->src.mnt != dir.mnt)
        r = -EXDEV;
    if (r == 0 && req->kind == CREATE_LINK)
        r = may_link(ctx, req->src.d->inode);
    if (r == 0)
        r = may_create(ctx, d);
    if (r < 0)
        goto out;
    struct vfs_owner owner;
    struct inode *dino = d->inode, *ino = NULL;
    switch (req->kind) {
    case CREATE_DIR:
        req->mode = S_IFDIR | (req->mode & 01777);
        new_owner(ctx, d, &req->mode, &owner);
        r = dino->ops->mkdir ? dino->ops->mkdir(dino, last, req->mode & 07777, &owner, &ino)
                             : -EPERM;
        break;
    case CREATE_NODE:
        if ((S_ISCHR(req->mode) || S_ISBLK(req->mode)) && !vfs_capable(ctx, CREDS_CAP_MKNOD)) {
            r = -EPERM;
            break;
        }
        new_owner(ctx, d, &req->mode, &owner);
        r = dino->ops->mknod ? dino->ops->mknod(dino, last, req->mode, req->rdev, &owner, &ino)
                             : -EPERM;
        break;
    case CREATE_SYMLINK:
        req->mode = S_IFLNK | 0777;
        new_owner(ctx, d, &req->mode, &owner);
        r = dino->ops->symlink ? dino->ops->symlink(dino, last, req->target, &owner, &ino) : -EPERM;
        break;
    case CREATE_LINK: {
        struct inode *target = req->src.d->inode;
        if (target->fs != dino->fs)
            r = -EXDEV;
        else if (S_ISDIR(target->mode))
            r = -EPERM;
        else if (!dino->ops->link)
            r = -EPERM;
        else
            r = dino->ops->link(dino, last, target);
        if (r == 0) {
            ino = target;
            inode_get(ino);
        }
        break;
    }
    }
    struct dentry *made = NULL;
    if (r == 0 && !(made = cache_add_locked(d, last, ino)))
        r = -ENOMEM;
    if (r == 0 && req->out) {
        *req->out = (struct vfs_path){dir.mnt, made};
        path_get(req->out);
    }
    if (r == 0)
        made_ino = notify_hold(ino);
out:
    pthread_mutex_unlock(&d->lock);
    if (made_ino) {
        if (req->kind == CREATE_LINK)
            inotify_event(made_ino, IN_ATTRIB, 0, false); /* its link count */
        inotify_child_event(d->inode, made_ino, IN_CREATE, last, 0, false);
        inode_put(made_ino);
    }
    path_put(&dir);
    return r;
}

int vfs_mkdirat(const struct vfs_walk_ctx *ctx, const char *name, uint32_t mode)
{
    struct create_req req = {.kind = CREATE_DIR, .mode = mode};
    return create_at(ctx, name, &req);
}

int vfs_mknod_type(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case 0:
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        return 0;
    case S_IFDIR:
        return -EPERM;
    default:
        return -EINVAL;
    }
}

int vfs_mknodat(const struct vfs_walk_ctx *ctx, const char *name, uint32_t mode, uint64_t rdev)
{
    int r = vfs_mknod_type(mode);
    if (r < 0)
        return r;
    if ((mode & S_IFMT) == 0)
        mode |= S_IFREG;
    struct create_req req = {.kind = CREATE_NODE, .mode = mode & (S_IFMT | 07777), .rdev = rdev};
    return create_at(ctx, name, &req);
}

int vfs_mknodat_path(const struct vfs_walk_ctx *ctx, const char *name, uint32_t mode, uint64_t rdev,
                     struct vfs_path *out)
{
    int r = vfs_mknod_type(mode);
    if (r < 0)
        return r;
    if ((mode & S_IFMT) == 0)
        mode |= S_IFREG;
    struct create_req req = {
        .kind = CREATE_NODE, .mode = mode & (S_IFMT | 07777), .rdev = rdev, .out = out};
    return create_at(ctx, name, &req);
}

int vfs_symlinkat(const struct vfs_walk_ctx *ctx, const char *target, const char *name)
{
    if (!target[0])
        return -ENOENT;
    if (strlen(target) >= MAX_PATH)
        return -ENAMETOOLONG;
    struct create_req req = {.kind = CREATE_SYMLINK, .target = target};
    return create_at(ctx, name, &req);
}

/* protected_hardlinks (on in every distribution): linking a file one does
 * not own needs CAP_FOWNER or read and write access to a plain file. */
static int may_link(const struct vfs_walk_ctx *ctx, struct inode *ino)
{
    struct vfs_attr a;
    int r = vfs_getattr(ino, &a);
    if (r < 0)
        return r;
    if (owner_or_capable(ctx, &a))
        return 0;
    if (S_ISREG(a.mode) && !(a.mode & S_ISUID) &&
        (a.mode & (S_ISGID | S_IXGRP)) != (S_ISGID | S_IXGRP) &&
        vfs_permission(&a, ctx, 4 | 2) == 0)
        return 0;
    return -EPERM;
}

int vfs_linkat(const struct vfs_walk_ctx *octx, const char *oname, const struct vfs_walk_ctx *nctx,
               const char *nname, int walk_flags)
{
    struct create_req req = {.kind = CREATE_LINK};
    int r = vfs_walk(octx, oname, walk_flags & (WALK_FOLLOW | WALK_EMPTY_PATH), &req.src);
    if (r < 0)
        return r;
    r = create_at(nctx, nname, &req);
    path_put(&req.src);
    return r;
}

int vfs_unlinkat(const struct vfs_walk_ctx *ctx, const char *name, bool rmdir)
{
    struct vfs_path dir;
    char last[256 + 1];
    enum last_type type;
    bool slash;
    int r = walk_parent(ctx, name, &dir, last, &type, &slash);
    if (r < 0)
        return r;
    if (type != LAST_NORM) {
        path_put(&dir);
        if (!rmdir)
            return -EISDIR;
        return type == LAST_DOT ? -EINVAL : type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
    }
    if (dir.mnt->flags & MNT_RDONLY) {
        path_put(&dir);
        return -EROFS;
    }
    struct dentry *d = dir.d, *c = NULL;
    struct inode *victim = NULL;
    pthread_mutex_lock(&d->lock);
    r = lookup_child_locked(d, last, &c);
    if (r < 0)
        goto out;
    if (!rmdir && slash) {
        r = S_ISDIR(c->inode->mode) ? -EISDIR : -ENOTDIR;
        goto out;
    }
    r = may_delete(ctx, d, c, rmdir);
    if (r < 0)
        goto out;
    if (__atomic_load_n(&c->mounted, __ATOMIC_ACQUIRE)) {
        r = -EBUSY;
        goto out;
    }
    struct inode *dino = d->inode;
    if (rmdir)
        r = dino->ops->rmdir ? dino->ops->rmdir(dino, last, c->inode) : -EPERM;
    else
        r = dino->ops->unlink ? dino->ops->unlink(dino, last, c->inode) : -EPERM;
    if (r == 0) {
        cache_unlink_locked(d, c);
        c->unlinked = true;
        dentry_put(c); /* the cache's reference */
        victim = notify_hold(c->inode);
    }
out:
    pthread_mutex_unlock(&d->lock);
    if (victim && !rmdir)
        inotify_event(victim, IN_ATTRIB, 0, false); /* its link count */
    if (c)
        dentry_put(c); /* the last reference of a name not in use: IN_DELETE_SELF */
    if (victim) {
        inotify_child_event(d->inode, victim, IN_DELETE, last, 0, false);
        inode_put(victim);
    }
    path_put(&dir);
    return r;
}

/* Whether a is d or one of its ancestors (same filesystem; rename lock held). */
static bool is_ancestor(struct dentry *a, struct dentry *d)
{
    for (; d; d = d->parent)
        if (d == a)
            return true;
    return false;
}

/* Renames c (a cached child of from, whose lock is held) to name in to
 * (locked too). g_rename_lock is held for writing. */
static int move_dentry(struct dentry *c, struct dentry *from, struct dentry *to, const char *name)
{
    char *n = strdup(name);
    if (!n)
        return -ENOMEM;
    cache_unlink_locked(from, c);
    free(c->name);
    c->name = n;
    if (from != to) {
        dentry_get(to);
        c->parent = to;
        dentry_put(from); /* the caller still holds a reference on from */
    }
    c->sibling = to->children;
    to->children = c;
    return 0;
}

/* Linux's fsnotify_move: IN_MOVED_FROM and IN_MOVED_TO with one cookie, the
 * replaced file's link count, IN_MOVE_SELF; an exchange moves both ways.
 * Drops the references on moved and other. */
static void notify_rename(struct inode *odir, const char *olast, struct inode *ndir,
                          const char *nlast, struct inode *moved, struct inode *other,
                          bool exchange)
{
    uint32_t cookie = inotify_cookie();
    inotify_child_event(odir, moved, IN_MOVED_FROM, olast, cookie, false);
    inotify_child_event(ndir, moved, IN_MOVED_TO, nlast, cookie, false);
    if (other && !exchange)
        inotify_event(other, IN_ATTRIB, 0, false);
    inotify_event(moved, IN_MOVE_SELF, 0, false);
    if (other && exchange) {
        cookie = inotify_cookie();
        inotify_child_event(ndir, other, IN_MOVED_FROM, nlast, cookie, false);
        inotify_child_event(odir, other, IN_MOVED_TO, olast, cookie, false);
        inotify_event(other, IN_MOVE_SELF, 0, false);
    }
    inode_put(moved);
    if (other)
        inode_put(other);
}

int vfs_renameat(const struct vfs_walk_ctx *octx, const char *oname,
                 const struct vfs_walk_ctx *nctx, const char *nname, unsigned flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
        return -EINVAL;
    struct vfs_path odir, ndir;
    char olast[256 + 1], nlast[256 + 1];
    enum last_type otype, ntype;
    bool oslash, nslash;
    int r = walk_parent(octx, oname, &odir, olast, &otype, &oslash);
    if (r < 0)
        return r;
    r = walk_parent(nctx, nname, &ndir, nlast, &ntype, &nslash);
    if (r < 0) {
        path_put(&odir);
        return r;
    }
    if (odir.mnt != ndir.mnt) {
        r = -EXDEV;
    } else if (otype != LAST_NORM) {
        r = -EBUSY;
    } else if (ntype != LAST_NORM) {
        r = (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
    } else if (odir.mnt->flags & MNT_RDONLY) {
        r = -EROFS;
    } else if (flags & RENAME_WHITEOUT) {
        r = -EINVAL; /* no whiteouts (no overlay filesystem) */
    }
    if (r < 0) {
        path_put(&odir);
        path_put(&ndir);
        return r;
    }
    struct dentry *od = odir.d, *nd = ndir.d, *oc = NULL, *nc = NULL;
    struct inode *moved = NULL, *other = NULL; /* for inotify */
    pthread_rwlock_wrlock(&g_rename_lock);
    /* Two directory locks: in address order (only rename takes two). */
    if (od == nd) {
        pthread_mutex_lock(&od->lock);
    } else if (od < nd) {
        pthread_mutex_lock(&od->lock);
        pthread_mutex_lock(&nd->lock);
    } else {
        pthread_mutex_lock(&nd->lock);
        pthread_mutex_lock(&od->lock);
    }
    r = lookup_child_locked(od, olast, &oc);
    if (r < 0)
        goto out;
    r = lookup_child_locked(nd, nlast, &nc);
    if (r == -ENOENT) {
        nc = NULL;
        r = 0;
    }
    if (r < 0)
        goto out;
    bool odir_is = S_ISDIR(oc->inode->mode);
    if ((flags & RENAME_NOREPLACE) && nc) {
        r = -EEXIST;
        goto out;
    }
    if (flags & RENAME_EXCHANGE) {
        if (!nc) {
            r = -ENOENT;
            goto out;
        }
        if (!S_ISDIR(nc->inode->mode) && nslash) {
            r = -ENOTDIR;
            goto out;
        }
    }
    if (!odir_is && (oslash || (!(flags & RENAME_EXCHANGE) && nslash))) {
        r = -ENOTDIR;
        goto out;
    }
    /* The source may not be an ancestor of the target's directory, nor
     * the target one of the source's. */
    if (is_ancestor(oc, nd)) {
        r = -EINVAL;
        goto out;
    }
    if (nc && is_ancestor(nc, od)) {
        r = (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
        goto out;
    }
    if (nc && nc->inode == oc->inode) {
        r = 0; /* two names of one inode: nothing to do */
        goto out;
    }
    r = may_delete(octx, od, oc, odir_is);
    if (r == 0 && !nc)
        r = may_create(nctx, nd);
    if (r == 0 && nc)
        r = may_delete(nctx, nd, nc,
                       (flags & RENAME_EXCHANGE) ? S_ISDIR(nc->inode->mode) : odir_is);
    if (r < 0)
        goto out;
    if (od != nd) {
        /* Moving a directory rewrites its "..": write permission on it. */
        struct vfs_attr a;
        if (odir_is && (r = vfs_getattr(oc->inode, &a)) == 0)
            r = vfs_permission(&a, octx, 2);
        if (r == 0 && (flags & RENAME_EXCHANGE) && S_ISDIR(nc->inode->mode) &&
            (r = vfs_getattr(nc->inode, &a)) == 0)
            r = vfs_permission(&a, nctx, 2);
        if (r < 0)
            goto out;
    }
    if (__atomic_load_n(&oc->mounted, __ATOMIC_ACQUIRE) ||
        (nc && __atomic_load_n(&nc->mounted, __ATOMIC_ACQUIRE))) {
        r = -EBUSY;
        goto out;
    }
    if (!od->inode->ops->rename) {
        r = -EPERM;
        goto out;
    }
    r = od->inode->ops->rename(od->inode, olast, nd->inode, nlast, flags);
    if (r < 0)
        goto out;
    moved = notify_hold(oc->inode);
    if (moved && nc)
        other = notify_hold(nc->inode);
    /* The dentry cache follows: the source moves to the new name; the
     * target is gone, or (exchange) moves to the old name. */
    if (nc && !(flags & RENAME_EXCHANGE)) {
        cache_unlink_locked(nd, nc);
        nc->unlinked = true;
        dentry_put(nc); /* the cache's reference */
    }
    if (move_dentry(oc, od, nd, nlast) < 0) {
        /* Out of memory: forget the (now stale) name instead. */
        cache_unlink_locked(od, oc);
        oc->unlinked = true;
        dentry_put(oc);
    }
    if (nc && (flags & RENAME_EXCHANGE) && move_dentry(nc, nd, od, olast) < 0) {
        cache_unlink_locked(nd, nc);
        nc->unlinked = true;
        dentry_put(nc);
    }
out:
    pthread_mutex_unlock(&od->lock);
    if (od != nd)
        pthread_mutex_unlock(&nd->lock);
    pthread_rwlock_unlock(&g_rename_lock);
    if (moved)
        notify_rename(od->inode, olast, nd->inode, nlast, moved, other, flags & RENAME_EXCHANGE);
    if (oc)
        dentry_put(oc);
    if (nc)
        dentry_put(nc); /* a replaced name not in use: IN_DELETE_SELF */
    path_put(&odir);
    path_put(&ndir);
    return r;
}

/* ---- attributes ---------------------------------------------------------- */

/* Applies sa to ino (at d, which may be NULL), with the events of Linux's
 * fsnotify_change. */
static int apply_setattr(struct inode *ino, struct dentry *d, struct vfs_setattr *sa)
{
    int r = -EPERM;
    if (ino->ops->setattr)
        r = ino->ops->setattr(ino, sa);
    else if (sa->mask == VFS_SA_SIZE && ino->ops->truncate)
        r = ino->ops->truncate(ino, sa->size);
    if (r < 0 || !inotify_active())
        return r;
    uint32_t m = sa->mask, ev = 0, at = VFS_SA_ATIME | VFS_SA_ATIME_NOW,
             mt = VFS_SA_MTIME | VFS_SA_MTIME_NOW;
    if (m & (VFS_SA_UID | VFS_SA_GID | VFS_SA_MODE))
        ev |= IN_ATTRIB;
    if (m & VFS_SA_SIZE)
        ev |= IN_MODIFY;
    if ((m & at) && (m & mt))
        ev |= IN_ATTRIB;
    else if (m & at)
        ev |= IN_ACCESS;
    else if (m & mt)
        ev |= IN_MODIFY;
    if (ev && d)
        notify_dentry(d, ev);
    else if (ev)
        inotify_event(ino, ev, 0, false);
    return r;
}

/* Permission checks of chmod, chown and utimes for sa on ino; may add mode
 * changes (set-ID bits Linux clears). */
static int setattr_prepare(const struct vfs_walk_ctx *ctx, struct inode *ino,
                           struct vfs_setattr *sa)
{
    struct vfs_attr a;
    int r = vfs_getattr(ino, &a);
    if (r < 0)
        return r;
    if (sa->mask & (VFS_SA_UID | VFS_SA_GID)) {
        bool cap = vfs_capable(ctx, CREDS_CAP_CHOWN);
        if ((sa->mask & VFS_SA_UID) && !cap && !(ctx->uid == a.uid && sa->uid == a.uid))
            return -EPERM;
        if ((sa->mask & VFS_SA_GID) && !cap &&
            !(ctx->uid == a.uid && (sa->gid == a.gid || vfs_in_group(ctx, sa->gid))))
            return -EPERM;
    }
    if (sa->mask & VFS_SA_MODE) {
        if (!owner_or_capable(ctx, &a))
            return -EPERM;
        uint32_t gid = (sa->mask & VFS_SA_GID) ? sa->gid : a.gid;
        if (!vfs_in_group(ctx, gid) && !vfs_capable(ctx, CREDS_CAP_FSETID))
            sa->mode &= ~(uint32_t)S_ISGID;
    }
    if ((sa->mask & (VFS_SA_ATIME | VFS_SA_MTIME)) && !owner_or_capable(ctx, &a))
        return -EPERM;
    if ((sa->mask & (VFS_SA_ATIME_NOW | VFS_SA_MTIME_NOW)) &&
        !(sa->mask & (VFS_SA_ATIME | VFS_SA_MTIME)) && !owner_or_capable(ctx, &a) &&
        vfs_permission(&a, ctx, 2) < 0)
        return -EACCES;
    if ((sa->mask & (VFS_SA_UID | VFS_SA_GID)) && !S_ISDIR(a.mode)) {
        /* chown clears set-user-ID, and set-group-ID when group-executable. */
        uint32_t mode = (sa->mask & VFS_SA_MODE) ? sa->mode : a.mode & 07777;
        uint32_t nm = mode & ~(uint32_t)S_ISUID;
        if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
            nm &= ~(uint32_t)S_ISGID;
        if (nm != mode || (sa->mask & VFS_SA_MODE)) {
            sa->mask |= VFS_SA_MODE;
            sa->mode = nm;
        }
    }
    return 0;
}

int vfs_setattr(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, struct vfs_setattr *sa)
{
    if (p->mnt && (p->mnt->flags & MNT_RDONLY))
        return -EROFS;
    int r = setattr_prepare(ctx, p->d->inode, sa);
    if (r < 0)
        return r;
    return apply_setattr(p->d->inode, p->d, sa);
}

int vfs_file_setattr(const struct vfs_walk_ctx *ctx, struct file *f, struct vfs_setattr *sa)
{
    if (f->flags & O_PATH)
        return -EBADF;
    if (f->path.mnt && (f->path.mnt->flags & MNT_RDONLY))
        return -EROFS;
    int r = setattr_prepare(ctx, f->inode, sa);
    if (r < 0)
        return r;
    return apply_setattr(f->inode, f->path.d, sa);
}

int vfs_truncate_path(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, int64_t size)
{
    struct inode *ino = p->d->inode;
    if (size < 0)
        return -EINVAL;
    if (S_ISDIR(ino->mode))
        return -EISDIR;
    if (!S_ISREG(ino->mode))
        return -EINVAL;
    if (p->mnt->flags & MNT_RDONLY)
        return -EROFS;
    struct vfs_attr a;
    int r = vfs_getattr(ino, &a);
    if (r == 0)
        r = vfs_permission(&a, ctx, 2);
    if (r < 0)
        return r;
    struct vfs_setattr sa = {.mask = VFS_SA_SIZE, .size = size};
    return apply_setattr(ino, p->d, &sa);
}

int vfs_file_truncate(struct file *f, int64_t size)
{
    if (f->flags & O_PATH)
        return -EBADF;
    if (size < 0)
        return -EINVAL;
    if (!S_ISREG(f->inode->mode) || (f->flags & O_ACCMODE) == O_RDONLY)
        return -EINVAL;
    struct vfs_setattr sa = {.mask = VFS_SA_SIZE, .size = size};
    return apply_setattr(f->inode, f->path.d, &sa);
}
