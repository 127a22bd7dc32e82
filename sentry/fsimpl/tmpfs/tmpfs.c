/* tmpfs: directories, regular files in MemoryFile pages, symlinks, device
 * nodes (opened through the driver vfs_chrdev_ops gives), FIFOs (opened on
 * the node's pipe: pipe_fifo_open) and sockets.
 *
 * Every node is one VFS inode for its whole life: a directory entry holds a
 * reference on the inode it names, so a node lives while it has a name or
 * while something (a dentry, an open file) still references it.
 *
 * Locking: tfs->lock (per filesystem) protects the namespace: directory
 * entries, nlink, a directory's parent, and the inode count (the page count
 * is atomic).
 * inode->lock protects a node's data and size (regular files) and its
 * attributes (mode, uid, gid, times). Order: tfs->lock -> inode->lock ->
 * MemoryFile lock. The VFS calls the directory ops with dentry locks held,
 * so dentry locks come before tfs->lock.
 *
 * Shared mappings (node->map, a struct mm_mappable) map the file's own
 * frames: mm translates a page under mm->lock, which takes inode->lock
 * (mm.lock -> inode.lock). Truncation therefore frees the pages under
 * inode->lock, drops it, and only then unmaps them from every address space
 * (mm_mappable_invalidate takes each mm->lock); a fault in between already
 * sees the new size (SIGBUS), and the frames stay alive while a page table
 * still holds them. */
#include "sentry/fsimpl/tmpfs/tmpfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/xattr.h"

#define TMPFS_MAX_FILE_SIZE (1ll << 48) /* what the page tree covers */
#define BOGO_DIRENT_SIZE 20             /* a directory's st_size per entry, as Linux */

/* ---- page tree: page index -> MemoryFile offset + 1 (0 = hole) ------------ */

#define PT_BITS 6
#define PT_FAN (1u << PT_BITS)
#define PT_MAX_DEPTH 6 /* 6 * (depth + 1) bits of page index: 36 bits = 2^48 bytes */

struct ptnode {
    void *slot[PT_FAN]; /* interior: struct ptnode *; leaf: uint64_t in slot storage */
};

struct ptree {
    struct ptnode *root;
    int depth; /* interior levels above the leaves */
};

static uint64_t ptree_cap(int depth)
{
    return 1ull << (PT_BITS * (depth + 1));
}

static uint64_t ptree_get(const struct ptree *t, uint64_t pg)
{
    if (!t->root || pg >= ptree_cap(t->depth))
        return 0;
    struct ptnode *n = t->root;
    for (int lvl = t->depth; lvl > 0; lvl--) {
        n = n->slot[(pg >> (PT_BITS * lvl)) & (PT_FAN - 1)];
        if (!n)
            return 0;
    }
    return (uint64_t)(uintptr_t)n->slot[pg & (PT_FAN - 1)];
}

/* The leaf slot of pg, creating the path to it; NULL on ENOMEM. */
static void **ptree_slot(struct ptree *t, uint64_t pg)
{
    if (!t->root) {
        t->root = calloc(1, sizeof(struct ptnode));
        if (!t->root)
            return NULL;
        t->depth = 0;
    }
    while (pg >= ptree_cap(t->depth)) {
        if (t->depth >= PT_MAX_DEPTH)
            return NULL;
        struct ptnode *n = calloc(1, sizeof(*n));
        if (!n)
            return NULL;
        n->slot[0] = t->root;
        t->root = n;
        t->depth++;
    }
    struct ptnode *n = t->root;
    for (int lvl = t->depth; lvl > 0; lvl--) {
        void **s = &n->slot[(pg >> (PT_BITS * lvl)) & (PT_FAN - 1)];
        if (!*s) {
            *s = calloc(1, sizeof(struct ptnode));
            if (!*s)
                return NULL;
        }
        n = *s;
    }
    return &n->slot[pg & (PT_FAN - 1)];
}

/* Frees the frames of pages [from, to) below n (covering base..), calling
 * put for each; frees nodes that end up empty. Returns true if n is empty. */
static bool ptree_free_range(struct ptnode *n, int lvl, uint64_t base, uint64_t from, uint64_t to,
                             struct memfile *mf, uint64_t *freed)
{
    uint64_t span = 1ull << (PT_BITS * lvl);
    bool empty = true;
    for (unsigned i = 0; i < PT_FAN; i++) {
        uint64_t lo = base + i * span, hi = lo + span;
        if (!n->slot[i])
            continue;
        if (hi <= from || lo >= to) {
            empty = false;
            continue;
        }
        if (lvl == 0) {
            memfile_put(mf, (uint64_t)(uintptr_t)n->slot[i] - 1);
            n->slot[i] = NULL;
            (*freed)++;
            continue;
        }
        if (ptree_free_range(n->slot[i], lvl - 1, lo, from, to, mf, freed)) {
            free(n->slot[i]);
            n->slot[i] = NULL;
        } else {
            empty = false;
        }
    }
    return empty;
}

/* Frees pages [from, to); returns the number of frames freed. */
static uint64_t ptree_punch(struct ptree *t, uint64_t from, uint64_t to, struct memfile *mf)
{
    uint64_t freed = 0;
    if (!t->root || from >= to)
        return 0;
    if (ptree_free_range(t->root, t->depth, 0, from, to, mf, &freed)) {
        free(t->root);
        t->root = NULL;
        t->depth = 0;
    }
    return freed;
}

/* ---- filesystem and nodes ------------------------------------------------ */

struct tmpfs {
    struct vfs_fs fs;
    pthread_mutex_t lock;
    uint64_t next_ino;
    uint64_t max_pages, pages;   /* size= limit (0: none) and frames in use (atomic) */
    uint64_t max_inodes, inodes; /* nr_inodes= limit (0: none) and live nodes */
};

struct tmpfs_dirent {
    char *name;
    struct inode *ino; /* reference */
    uint64_t cookie;   /* getdents offset of this entry; increasing along the list */
    struct tmpfs_dirent *prev, *next;
};

struct tmpfs_node {
    uint32_t nlink; /* tfs->lock; read with __atomic loads */
    uint32_t mode;  /* the truth (inode->mode is the VFS's cached copy) */
    uint32_t uid, gid;
    uint64_t rdev;
    struct timespec atime, mtime, ctime, btime;
    /* Directories (tfs->lock). */
    struct tmpfs_dirent *head, *tail;
    uint64_t next_cookie;
    uint64_t nents;
    struct inode *parent; /* the directory holding this one (no reference), or NULL */
    /* Regular files (inode->lock). */
    struct ptree pages;
    int64_t size;
    uint64_t nframes;
    /* Symlinks (immutable). */
    char *target;
    /* Extended attributes (inode->lock). */
    struct vfs_xattr_store xattrs;
    /* File seals (F_ADD_SEALS; inode->lock): F_SEAL_SEAL for every file but
     * a memfd made with MFD_ALLOW_SEALING. memfd_name: "memfd:NAME" of a
     * memfd (immutable), else NULL. */
    uint32_t seals;
    char *memfd_name;
    /* MAP_SHARED mappings of a regular file: its frames. */
    struct mm_mappable map;
    struct inode *inode; /* the node's inode (no reference) */
};

static const struct vfs_fs_type g_tmpfs_type = {.name = "tmpfs"};
static const struct inode_ops g_tmpfs_inode_ops;
static const struct mm_mappable_ops g_reg_map_ops;
static struct memfile *g_tmpfs_mf;

void tmpfs_set_memfile(struct memfile *mf)
{
    g_tmpfs_mf = mf;
}

static struct memfile *memfile_of(void)
{
    if (g_tmpfs_mf)
        return g_tmpfs_mf;
    return g_kernel ? g_kernel->mf : NULL;
}

static struct tmpfs *tfs_of(struct inode *ino)
{
    return (struct tmpfs *)ino->fs;
}

static struct tmpfs_node *node_of(struct inode *ino)
{
    return ino->priv;
}

static struct timespec now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

bool tmpfs_is(const struct vfs_fs *fs)
{
    return fs && fs->type == &g_tmpfs_type;
}

void tmpfs_usage(const struct vfs_fs *fs, uint64_t *max_pages, uint64_t *pages,
                 uint64_t *max_inodes, uint64_t *inodes)
{
    struct tmpfs *t = (struct tmpfs *)fs;
    pthread_mutex_lock(&t->lock);
    *max_pages = t->max_pages;
    *pages = __atomic_load_n(&t->pages, __ATOMIC_RELAXED);
    *max_inodes = t->max_inodes;
    *inodes = t->inodes;
    pthread_mutex_unlock(&t->lock);
}

/* Reserves one frame of the size= budget. Atomic, not under tmpfs.lock:
 * writers call it holding inode.lock, which nests inside tmpfs.lock. */
static bool charge_page(struct tmpfs *t)
{
    uint64_t cur = __atomic_load_n(&t->pages, __ATOMIC_RELAXED);
    do {
        if (t->max_pages && cur >= t->max_pages)
            return false;
    } while (!__atomic_compare_exchange_n(&t->pages, &cur, cur + 1, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return true;
}

static void uncharge_pages(struct tmpfs *t, uint64_t n)
{
    __atomic_sub_fetch(&t->pages, n, __ATOMIC_RELAXED);
}

/* A new node (tfs->lock held: inode accounting). */
static int node_new_locked(struct tmpfs *t, uint32_t mode, const struct vfs_owner *owner,
                           struct inode **out)
{
    if (t->max_inodes && t->inodes >= t->max_inodes)
        return -ENOSPC;
    struct tmpfs_node *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->mode = mode;
    n->uid = owner ? owner->uid : 0;
    n->gid = owner ? owner->gid : 0;
    n->atime = n->mtime = n->ctime = n->btime = now();
    n->nlink = S_ISDIR(mode) ? 2 : 1;
    n->next_cookie = 2;
    n->seals = F_SEAL_SEAL; /* only memfd_create's files can be sealed */
    struct inode *ino = vfs_inode_new(&t->fs, &g_tmpfs_inode_ops, t->next_ino++, mode, n);
    if (!ino) {
        free(n);
        return -ENOMEM;
    }
    n->inode = ino;
    mm_mappable_init(&n->map, &g_reg_map_ops);
    t->inodes++;
    *out = ino;
    return 0;
}

static struct tmpfs_dirent *dir_find(struct tmpfs_node *d, const char *name)
{
    for (struct tmpfs_dirent *e = d->head; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* Adds name -> ino (taking a new reference) at the end of d. */
static int dir_add(struct tmpfs_node *d, const char *name, struct inode *ino)
{
    struct tmpfs_dirent *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->name = strdup(name);
    if (!e->name) {
        free(e);
        return -ENOMEM;
    }
    inode_get(ino);
    e->ino = ino;
    e->cookie = d->next_cookie++;
    e->prev = d->tail;
    if (d->tail)
        d->tail->next = e;
    else
        d->head = e;
    d->tail = e;
    d->nents++;
    return 0;
}

/* Unlinks e from d; returns its inode reference (the caller puts it after
 * dropping tfs->lock: the put may release the node, which takes tfs->lock). */
static struct inode *dir_remove(struct tmpfs_node *d, struct tmpfs_dirent *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        d->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        d->tail = e->prev;
    d->nents--;
    struct inode *ino = e->ino;
    free(e->name);
    free(e);
    return ino;
}

static void set_nlink(struct tmpfs_node *n, uint32_t v)
{
    __atomic_store_n(&n->nlink, v, __ATOMIC_RELAXED);
}

/* Directory changed: mtime and ctime (inode->lock taken here). */
static void touch_dir(struct inode *dir, const struct timespec *ts)
{
    pthread_mutex_lock(&dir->lock);
    node_of(dir)->mtime = node_of(dir)->ctime = *ts;
    pthread_mutex_unlock(&dir->lock);
}

static void touch_ctime(struct inode *ino, const struct timespec *ts)
{
    pthread_mutex_lock(&ino->lock);
    node_of(ino)->ctime = *ts;
    pthread_mutex_unlock(&ino->lock);
}

/* ---- inode ops ----------------------------------------------------------- */

static int t_lookup(struct inode *dir, const char *name, struct inode **out)
{
    struct tmpfs *t = tfs_of(dir);
    pthread_mutex_lock(&t->lock);
    struct tmpfs_dirent *e = dir_find(node_of(dir), name);
    if (e) {
        inode_get(e->ino);
        *out = e->ino;
    }
    pthread_mutex_unlock(&t->lock);
    return e ? 0 : -ENOENT;
}

static int t_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct tmpfs_node *n = node_of(ino);
    pthread_mutex_lock(&ino->lock);
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = n->mode;
    a->nlink = __atomic_load_n(&n->nlink, __ATOMIC_RELAXED);
    a->uid = n->uid;
    a->gid = n->gid;
    a->rdev = n->rdev;
    a->blksize = 4096;
    a->atime = n->atime;
    a->mtime = n->mtime;
    a->ctime = n->ctime;
    a->btime = n->btime;
    if (S_ISREG(ino->mode)) {
        a->size = n->size;
        a->blocks = (int64_t)n->nframes * (MF_PAGE_SIZE / 512);
    } else if (S_ISDIR(ino->mode)) {
        a->size = (int64_t)(__atomic_load_n(&n->nents, __ATOMIC_RELAXED) + 2) * BOGO_DIRENT_SIZE;
    } else if (S_ISLNK(ino->mode)) {
        a->size = (int64_t)strlen(n->target);
    }
    pthread_mutex_unlock(&ino->lock);
    return 0;
}

static ssize_t t_readlink(struct inode *ino, char *buf, size_t size)
{
    struct tmpfs_node *n = node_of(ino);
    if (!n->target)
        return -EINVAL;
    size_t len = strlen(n->target);
    if (len > size)
        len = size;
    memcpy(buf, n->target, len);
    pthread_mutex_lock(&ino->lock);
    n->atime = now();
    pthread_mutex_unlock(&ino->lock);
    return (ssize_t)len;
}

/* Frees the pages wholly past size and zeroes the tail of the last page
 * (inode->lock held). */
static void shrink_locked(struct inode *ino, int64_t size)
{
    struct tmpfs_node *n = node_of(ino);
    struct memfile *mf = memfile_of();
    uint64_t first = ((uint64_t)size + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE;
    uint64_t freed = mf ? ptree_punch(&n->pages, first, UINT64_MAX, mf) : 0;
    n->nframes -= freed;
    uncharge_pages(tfs_of(ino), freed);
    if (size % MF_PAGE_SIZE) {
        uint64_t fr = ptree_get(&n->pages, (uint64_t)size / MF_PAGE_SIZE);
        if (fr && mf)
            memset((char *)memfile_ptr(mf, fr - 1) + size % MF_PAGE_SIZE, 0,
                   MF_PAGE_SIZE - (uint64_t)size % MF_PAGE_SIZE);
    }
}

/* Sets the size (inode->lock held). A shrink sets *unmap_from to the first
 * page past the new end, which the caller must unmap from every mapping
 * (unmap_after_truncate) once it has dropped inode->lock; else it is
 * UINT64_MAX. */
static int truncate_locked(struct inode *ino, int64_t size, uint64_t *unmap_from)
{
    struct tmpfs_node *n = node_of(ino);
    *unmap_from = UINT64_MAX;
    if (size < 0)
        return -EINVAL;
    if (size > TMPFS_MAX_FILE_SIZE)
        return -EFBIG;
    if ((size < n->size && (n->seals & F_SEAL_SHRINK)) ||
        (size > n->size && (n->seals & F_SEAL_GROW)))
        return -EPERM;
    if (size < n->size) {
        shrink_locked(ino, size);
        *unmap_from = ((uint64_t)size + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE;
    }
    if (size != n->size) {
        n->size = size;
        n->mtime = n->ctime = now();
    }
    return 0;
}

/* Pages past a shrunk file's end leave every address space (no inode->lock
 * held: mm takes mm->lock, which comes before it). */
static void unmap_after_truncate(struct inode *ino, uint64_t from)
{
    if (from != UINT64_MAX)
        mm_mappable_invalidate(&node_of(ino)->map, from, UINT64_MAX);
}

static int t_truncate(struct inode *ino, int64_t size)
{
    if (S_ISDIR(ino->mode))
        return -EISDIR;
    if (!S_ISREG(ino->mode))
        return -EINVAL;
    uint64_t unmap_from;
    pthread_mutex_lock(&ino->lock);
    int r = truncate_locked(ino, size, &unmap_from);
    pthread_mutex_unlock(&ino->lock);
    unmap_after_truncate(ino, unmap_from);
    return r;
}

static int t_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    struct tmpfs_node *n = node_of(ino);
    if ((sa->mask & VFS_SA_SIZE) && S_ISDIR(ino->mode))
        return -EISDIR;
    if ((sa->mask & VFS_SA_SIZE) && !S_ISREG(ino->mode))
        return -EINVAL;
    pthread_mutex_lock(&ino->lock);
    struct timespec ts = now();
    int r = 0;
    uint64_t unmap_from = UINT64_MAX;
    if (sa->mask & VFS_SA_SIZE) {
        r = truncate_locked(ino, sa->size, &unmap_from);
        if (r < 0) {
            pthread_mutex_unlock(&ino->lock);
            return r;
        }
    }
    if ((sa->mask & VFS_SA_MODE) && (n->seals & F_SEAL_EXEC) && ((sa->mode ^ n->mode) & 0111)) {
        pthread_mutex_unlock(&ino->lock);
        unmap_after_truncate(ino, unmap_from);
        return -EPERM; /* F_SEAL_EXEC: the x bits stay */
    }
    if (sa->mask & VFS_SA_MODE) {
        n->mode = (n->mode & S_IFMT) | (sa->mode & 07777);
        ino->mode = n->mode;
    }
    if (sa->mask & VFS_SA_UID)
        n->uid = sa->uid;
    if (sa->mask & VFS_SA_GID)
        n->gid = sa->gid;
    if (sa->mask & VFS_SA_ATIME)
        n->atime = sa->atime;
    if (sa->mask & VFS_SA_ATIME_NOW)
        n->atime = ts;
    if (sa->mask & VFS_SA_MTIME)
        n->mtime = sa->mtime;
    if (sa->mask & VFS_SA_MTIME_NOW)
        n->mtime = ts;
    n->ctime = ts;
    pthread_mutex_unlock(&ino->lock);
    unmap_after_truncate(ino, unmap_from);
    return 0;
}

/* ---- regular files --------------------------------------------------------- */

/* The bytes of a transfer at pos (left to go) that lie in pos's page. */
static size_t page_chunk(uint64_t pos, size_t left)
{
    size_t chunk = MF_PAGE_SIZE - pos % MF_PAGE_SIZE;
    return chunk < left ? chunk : left;
}

/* relatime: atime moves when it is not newer than mtime/ctime, or is a day old. */
static void read_touch_locked(struct tmpfs_node *n)
{
    struct timespec ts = now();
    bool stale = n->atime.tv_sec < n->mtime.tv_sec ||
                 (n->atime.tv_sec == n->mtime.tv_sec && n->atime.tv_nsec <= n->mtime.tv_nsec) ||
                 n->atime.tv_sec < n->ctime.tv_sec ||
                 (n->atime.tv_sec == n->ctime.tv_sec && n->atime.tv_nsec <= n->ctime.tv_nsec) ||
                 ts.tv_sec - n->atime.tv_sec >= 24 * 3600;
    if (stale)
        n->atime = ts;
}

static ssize_t reg_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct inode *ino = f->inode;
    struct tmpfs_node *n = node_of(ino);
    struct memfile *mf = memfile_of();
    pthread_mutex_lock(&ino->lock);
    if (off >= n->size) {
        pthread_mutex_unlock(&ino->lock);
        return 0;
    }
    if ((uint64_t)(n->size - off) < len)
        len = (size_t)(n->size - off);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = (uint64_t)off + done;
        uint64_t in = pos % MF_PAGE_SIZE;
        size_t chunk = page_chunk(pos, len - done);
        uint64_t fr = ptree_get(&n->pages, pos / MF_PAGE_SIZE);
        if (fr && mf)
            memcpy((char *)buf + done, (char *)memfile_ptr(mf, fr - 1) + in, chunk);
        else
            memset((char *)buf + done, 0, chunk);
        done += chunk;
    }
    read_touch_locked(n);
    pthread_mutex_unlock(&ino->lock);
    return (ssize_t)done;
}

/* Writes len bytes at off (inode lock held). */
static ssize_t write_locked(struct inode *ino, const void *buf, size_t len, int64_t off)
{
    struct tmpfs_node *n = node_of(ino);
    struct tmpfs *t = tfs_of(ino);
    struct memfile *mf = memfile_of();
    if (off < 0)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (n->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
        return -EPERM;
    if (off >= TMPFS_MAX_FILE_SIZE)
        return -EFBIG;
    if ((uint64_t)(TMPFS_MAX_FILE_SIZE - off) < len)
        len = (size_t)(TMPFS_MAX_FILE_SIZE - off);
    if (!mf)
        return -ENOMEM;
    size_t done = 0;
    int err = 0;
    while (done < len) {
        uint64_t pos = (uint64_t)off + done;
        uint64_t in = pos % MF_PAGE_SIZE;
        size_t chunk = page_chunk(pos, len - done);
        if ((n->seals & F_SEAL_GROW) && pos + chunk > (uint64_t)n->size) {
            err = -EPERM; /* page by page, as Linux: a partial write stops here */
            break;
        }
        void **slot = ptree_slot(&n->pages, pos / MF_PAGE_SIZE);
        if (!slot) {
            err = -ENOMEM;
            break;
        }
        if (!*slot) {
            if (!charge_page(t)) {
                err = -ENOSPC;
                break;
            }
            int64_t fr = memfile_alloc(mf, 1);
            if (fr < 0) {
                uncharge_pages(t, 1);
                err = -ENOSPC; /* Linux's tmpfs answers ENOSPC when memory runs out */
                break;
            }
            *slot = (void *)(uintptr_t)((uint64_t)fr + 1);
            n->nframes++;
        }
        uint64_t fr = (uint64_t)(uintptr_t)*slot - 1;
        memcpy((char *)memfile_ptr(mf, fr) + in, (const char *)buf + done, chunk);
        done += chunk;
    }
    if (done) {
        if ((int64_t)(off + (int64_t)done) > n->size)
            n->size = off + (int64_t)done;
        n->mtime = n->ctime = now();
    }
    return done ? (ssize_t)done : err;
}

static ssize_t reg_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    pthread_mutex_lock(&f->inode->lock);
    ssize_t r = write_locked(f->inode, buf, len, off);
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

/* O_APPEND: the end is read under the inode lock that the write holds, so
 * appenders never overlap and the caller learns where its bytes went. */
static ssize_t reg_append(struct file *f, const void *buf, size_t len, int64_t *off)
{
    pthread_mutex_lock(&f->inode->lock);
    *off = node_of(f->inode)->size;
    ssize_t r = write_locked(f->inode, buf, len, *off);
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

static int reg_fsync(struct file *f)
{
    return 0;
}

static int reg_mmap(struct file *f)
{
    return 0;
}

static struct mm_mappable *reg_mappable(struct file *f)
{
    return &node_of(f->inode)->map;
}

/* A shared mapping's page: the file's frame, allocated (and charged to
 * size=) as a write would allocate it; past the end of the file -EIO
 * (SIGBUS), out of room -ENOSPC (SIGBUS too). Called under mm->lock. */
static int reg_translate(struct mm_mappable *m, uint64_t pg, bool writable, uint64_t *frame)
{
    struct tmpfs_node *n = (struct tmpfs_node *)((char *)m - offsetof(struct tmpfs_node, map));
    struct inode *ino = n->inode;
    struct tmpfs *t = tfs_of(ino);
    struct memfile *mf = memfile_of();
    if (!mf)
        return -ENOMEM;
    pthread_mutex_lock(&ino->lock);
    int r = 0;
    uint64_t end_pg = ((uint64_t)n->size + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE;
    void **slot = NULL;
    if (pg >= end_pg)
        r = -EIO;
    else if (!(slot = ptree_slot(&n->pages, pg)))
        r = -ENOMEM;
    else if (!*slot) {
        if (!charge_page(t)) {
            r = -ENOSPC;
        } else {
            int64_t fr = memfile_alloc(mf, 1);
            if (fr < 0) {
                uncharge_pages(t, 1);
                r = -ENOSPC;
            } else {
                *slot = (void *)(uintptr_t)((uint64_t)fr + 1);
                n->nframes++;
            }
        }
    }
    if (r == 0) {
        *frame = (uint64_t)(uintptr_t)*slot - 1;
        memfile_get(mf, *frame);
    }
    pthread_mutex_unlock(&ino->lock);
    return r;
}

static const struct mm_mappable_ops g_reg_map_ops = {
    .translate = reg_translate,
};

static int64_t reg_llseek(struct file *f, int64_t off, int whence)
{
    if (whence != SEEK_DATA && whence != SEEK_HOLE)
        return vfs_generic_llseek(f, off, whence);
    struct inode *ino = f->inode;
    struct tmpfs_node *n = node_of(ino);
    pthread_mutex_lock(&ino->lock);
    int64_t size = n->size, r;
    if (off < 0 || off >= size) {
        r = -ENXIO;
    } else {
        uint64_t pg = (uint64_t)off / MF_PAGE_SIZE;
        uint64_t last = ((uint64_t)size + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE;
        bool want_data = whence == SEEK_DATA;
        while (pg < last && (ptree_get(&n->pages, pg) != 0) != want_data)
            pg++;
        if (pg >= last)
            r = want_data ? -ENXIO : size;
        else
            r = (int64_t)(pg * MF_PAGE_SIZE) > off ? (int64_t)(pg * MF_PAGE_SIZE) : off;
        if (r > size)
            r = size;
    }
    pthread_mutex_unlock(&ino->lock);
    return r;
}

static const struct file_ops g_reg_ops = {
    .read = reg_read,
    .write = reg_write,
    .append = reg_append,
    .llseek = reg_llseek,
    .fsync = reg_fsync,
    .mmap = reg_mmap,
    .mappable = reg_mappable,
};

/* ---- directories ----------------------------------------------------------- */

static int dir_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    struct inode *ino = f->inode;
    struct tmpfs *t = tfs_of(ino);
    struct tmpfs_node *d = node_of(ino);
    pthread_mutex_lock(&t->lock);
    if (d->nlink == 0) {
        pthread_mutex_unlock(&t->lock);
        return -ENOENT; /* a removed directory, as Linux's IS_DEADDIR */
    }
    if (!vfs_emit_dots(pos, fn, arg, ino->ino, d->parent ? d->parent->ino : ino->ino))
        goto out;
    for (struct tmpfs_dirent *e = d->head; e; e = e->next) {
        if ((int64_t)e->cookie < *pos)
            continue;
        if (!fn(arg, e->name, e->ino->ino, (uint8_t)IFTODT(e->ino->mode), (int64_t)e->cookie + 1))
            break;
        *pos = (int64_t)e->cookie + 1;
    }
out:
    pthread_mutex_unlock(&t->lock);
    pthread_mutex_lock(&ino->lock);
    read_touch_locked(d);
    pthread_mutex_unlock(&ino->lock);
    return 0;
}

static int dir_fsync(struct file *f)
{
    return 0;
}

static const struct file_ops g_dir_ops = {
    .iterate = dir_iterate,
    .llseek = vfs_generic_llseek,
    .fsync = dir_fsync,
};

static int t_open(struct inode *ino, struct file *f, int flags)
{
    struct tmpfs_node *n = node_of(ino);
    switch (ino->mode & S_IFMT) {
    case S_IFDIR:
        f->ops = &g_dir_ops;
        return 0;
    case S_IFREG:
        f->ops = &g_reg_ops;
        return 0;
    case S_IFCHR: {
        /* devfs's nodes and those made by mknod alike: the driver by number. */
        const struct file_ops *ops = vfs_chrdev_ops(n->rdev);
        if (!ops)
            return -ENXIO; /* no such device */
        f->ops = ops;
        return ops->open ? ops->open(f, flags) : 0;
    }
    case S_IFIFO:
        return pipe_fifo_open(ino, f, flags); /* the node's pipe */
    default:
        return -ENXIO; /* block devices (none), sockets */
    }
}

/* ---- namespace ops ----------------------------------------------------------- */

/* Creates name in dir with mode (tfs->lock held). */
static int create_locked(struct inode *dir, const char *name, uint32_t mode,
                         const struct vfs_owner *owner, struct inode **out)
{
    struct tmpfs *t = tfs_of(dir);
    struct tmpfs_node *d = node_of(dir);
    if (__atomic_load_n(&d->nlink, __ATOMIC_RELAXED) == 0)
        return -ENOENT; /* removed directory */
    if (dir_find(d, name))
        return -EEXIST;
    if (strlen(name) > NAME_MAX)
        return -ENAMETOOLONG;
    struct inode *ino;
    int r = node_new_locked(t, mode, owner, &ino);
    if (r < 0)
        return r;
    r = dir_add(d, name, ino);
    if (r < 0) {
        /* t_release takes tfs->lock (and undoes the inode count). */
        pthread_mutex_unlock(&t->lock);
        inode_put(ino);
        pthread_mutex_lock(&t->lock);
        return r;
    }
    if (S_ISDIR(mode)) {
        node_of(ino)->parent = dir;
        set_nlink(d, d->nlink + 1);
    }
    struct timespec ts = now();
    touch_dir(dir, &ts);
    *out = ino;
    return 0;
}

static int t_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
                   const struct vfs_owner *owner, struct inode **out)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFSOCK:
    case S_IFIFO:
        break;
    default:
        return -EINVAL;
    }
    struct tmpfs *t = tfs_of(dir);
    pthread_mutex_lock(&t->lock);
    int r = create_locked(dir, name, mode, owner, out);
    if (r == 0)
        node_of(*out)->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
    pthread_mutex_unlock(&t->lock);
    return r;
}

static int t_mkdir(struct inode *dir, const char *name, uint32_t perm,
                   const struct vfs_owner *owner, struct inode **out)
{
    struct tmpfs *t = tfs_of(dir);
    pthread_mutex_lock(&t->lock);
    int r = create_locked(dir, name, S_IFDIR | (perm & 07777), owner, out);
    pthread_mutex_unlock(&t->lock);
    return r;
}

static int t_symlink(struct inode *dir, const char *name, const char *target,
                     const struct vfs_owner *owner, struct inode **out)
{
    size_t len = strlen(target);
    if (len == 0)
        return -ENOENT;
    if (len >= 4096)
        return -ENAMETOOLONG;
    char *copy = strdup(target);
    if (!copy)
        return -ENOMEM;
    struct tmpfs *t = tfs_of(dir);
    pthread_mutex_lock(&t->lock);
    int r = create_locked(dir, name, S_IFLNK | 0777, owner, out);
    if (r == 0)
        node_of(*out)->target = copy;
    pthread_mutex_unlock(&t->lock);
    if (r < 0)
        free(copy);
    return r;
}

static int t_create(struct inode *dir, const char *name, uint32_t mode,
                    const struct vfs_owner *owner, struct file *f, int flags, struct inode **out)
{
    struct tmpfs *t = tfs_of(dir);
    pthread_mutex_lock(&t->lock);
    int r = create_locked(dir, name, S_IFREG | (mode & 07777), owner, out);
    pthread_mutex_unlock(&t->lock);
    if (r < 0)
        return r;
    f->ops = &g_reg_ops;
    return 0;
}

static int t_link(struct inode *dir, const char *name, struct inode *target)
{
    struct tmpfs *t = tfs_of(dir);
    struct tmpfs_node *d = node_of(dir), *n = node_of(target);
    pthread_mutex_lock(&t->lock);
    int r = 0;
    if (__atomic_load_n(&d->nlink, __ATOMIC_RELAXED) == 0)
        r = -ENOENT;
    else if (dir_find(d, name))
        r = -EEXIST;
    else if (n->nlink == 0)
        r = -ENOENT;
    else if (n->nlink >= 0xffffffffu - 1)
        r = -EMLINK;
    else
        r = dir_add(d, name, target);
    if (r == 0) {
        set_nlink(n, n->nlink + 1);
        struct timespec ts = now();
        touch_dir(dir, &ts);
        touch_ctime(target, &ts);
    }
    pthread_mutex_unlock(&t->lock);
    return r;
}

static int t_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    struct tmpfs *t = tfs_of(dir);
    struct tmpfs_node *d = node_of(dir);
    pthread_mutex_lock(&t->lock);
    struct tmpfs_dirent *e = dir_find(d, name);
    if (!e || (victim && e->ino != victim)) {
        pthread_mutex_unlock(&t->lock);
        return -ENOENT;
    }
    if (S_ISDIR(e->ino->mode)) {
        pthread_mutex_unlock(&t->lock);
        return -EISDIR;
    }
    struct inode *ino = dir_remove(d, e);
    struct tmpfs_node *n = node_of(ino);
    set_nlink(n, n->nlink - 1);
    struct timespec ts = now();
    touch_dir(dir, &ts);
    touch_ctime(ino, &ts);
    pthread_mutex_unlock(&t->lock);
    inode_put(ino);
    return 0;
}

static int t_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
    struct tmpfs *t = tfs_of(dir);
    struct tmpfs_node *d = node_of(dir);
    pthread_mutex_lock(&t->lock);
    struct tmpfs_dirent *e = dir_find(d, name);
    int r = 0;
    if (!e || (victim && e->ino != victim))
        r = -ENOENT;
    else if (!S_ISDIR(e->ino->mode))
        r = -ENOTDIR;
    else if (node_of(e->ino)->head)
        r = -ENOTEMPTY;
    if (r < 0) {
        pthread_mutex_unlock(&t->lock);
        return r;
    }
    struct inode *ino = dir_remove(d, e);
    struct tmpfs_node *n = node_of(ino);
    set_nlink(n, 0);
    n->parent = NULL;
    set_nlink(d, d->nlink - 1);
    struct timespec ts = now();
    touch_dir(dir, &ts);
    touch_ctime(ino, &ts);
    pthread_mutex_unlock(&t->lock);
    inode_put(ino);
    return 0;
}

static int t_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
                    unsigned flags)
{
    struct tmpfs *t = tfs_of(odir);
    struct tmpfs_node *od = node_of(odir), *nd = node_of(ndir);
    pthread_mutex_lock(&t->lock);
    struct inode *put = NULL;
    int r = 0;
    struct tmpfs_dirent *oe = dir_find(od, oname);
    struct tmpfs_dirent *ne = dir_find(nd, nname);
    struct timespec ts = now();
    if (!oe) {
        r = -ENOENT;
        goto out;
    }
    if (__atomic_load_n(&nd->nlink, __ATOMIC_RELAXED) == 0) {
        r = -ENOENT;
        goto out;
    }
    struct inode *src = oe->ino;
    bool src_dir = S_ISDIR(src->mode);
    if (flags & RENAME_EXCHANGE) {
        if (!ne) {
            r = -ENOENT;
            goto out;
        }
        struct inode *dst = ne->ino;
        bool dst_dir = S_ISDIR(dst->mode);
        oe->ino = dst;
        ne->ino = src;
        if (odir != ndir && src_dir != dst_dir) {
            /* A directory moved from one parent to the other. */
            if (src_dir) {
                set_nlink(od, od->nlink - 1);
                set_nlink(nd, nd->nlink + 1);
            } else {
                set_nlink(nd, nd->nlink - 1);
                set_nlink(od, od->nlink + 1);
            }
        }
        if (src_dir)
            node_of(src)->parent = ndir;
        if (dst_dir)
            node_of(dst)->parent = odir;
        touch_ctime(src, &ts);
        touch_ctime(dst, &ts);
        goto done;
    }
    if (ne) {
        if (flags & RENAME_NOREPLACE) {
            r = -EEXIST;
            goto out;
        }
        struct inode *dst = ne->ino;
        if (dst == src)
            goto out; /* two names of one inode: nothing happens */
        bool dst_dir = S_ISDIR(dst->mode);
        if (src_dir && !dst_dir) {
            r = -ENOTDIR;
            goto out;
        }
        if (!src_dir && dst_dir) {
            r = -EISDIR;
            goto out;
        }
        if (dst_dir && node_of(dst)->head) {
            r = -ENOTEMPTY;
            goto out;
        }
        /* The destination entry now names src; src's old entry goes. */
        ne->ino = src;
        put = dst;
        struct tmpfs_node *dn = node_of(dst);
        if (dst_dir) {
            set_nlink(dn, 0);
            dn->parent = NULL;
            set_nlink(nd, nd->nlink - 1);
        } else {
            set_nlink(dn, dn->nlink - 1);
        }
        touch_ctime(dst, &ts);
        inode_get(src); /* dir_remove below hands back the old entry's reference */
        inode_put(dir_remove(od, oe));
    } else {
        r = dir_add(nd, nname, src);
        if (r < 0)
            goto out;
        inode_put(dir_remove(od, oe)); /* src still has the new entry's reference */
    }
    if (src_dir && odir != ndir) {
        set_nlink(od, od->nlink - 1);
        set_nlink(nd, nd->nlink + 1);
        node_of(src)->parent = ndir;
    }
    touch_ctime(src, &ts);
done:
    touch_dir(odir, &ts);
    if (ndir != odir)
        touch_dir(ndir, &ts);
out:
    pthread_mutex_unlock(&t->lock);
    if (put)
        inode_put(put);
    return r;
}

static void t_release(struct inode *ino)
{
    struct tmpfs_node *n = node_of(ino);
    struct tmpfs *t = tfs_of(ino);
    if (!n)
        return;
    struct memfile *mf = memfile_of();
    uint64_t freed = mf ? ptree_punch(&n->pages, 0, UINT64_MAX, mf) : 0;
    /* Entries of a directory released with the filesystem. */
    while (n->head) {
        struct inode *c = dir_remove(n, n->head);
        inode_put(c);
    }
    uncharge_pages(t, freed);
    pthread_mutex_lock(&t->lock);
    t->inodes--;
    pthread_mutex_unlock(&t->lock);
    free(n->target);
    free(n->memfd_name);
    vfs_xattr_store_free(&n->xattrs);
    mm_mappable_destroy(&n->map);
    free(n);
    ino->priv = NULL;
}

/* ---- extended attributes (inode->lock) ---------------------------------- */

static ssize_t t_xattr_get(struct inode *ino, const char *name, void *buf, size_t size)
{
    pthread_mutex_lock(&ino->lock);
    ssize_t r = vfs_xattr_store_get(&node_of(ino)->xattrs, name, buf, size);
    pthread_mutex_unlock(&ino->lock);
    return r;
}

static int t_xattr_set(struct inode *ino, const char *name, const void *value, size_t size,
                       int flags)
{
    pthread_mutex_lock(&ino->lock);
    int r = vfs_xattr_store_set(&node_of(ino)->xattrs, name, value, size, flags);
    if (r == 0)
        node_of(ino)->ctime = now();
    pthread_mutex_unlock(&ino->lock);
    return r;
}

static ssize_t t_xattr_list(struct inode *ino, char *buf, size_t size, bool trusted)
{
    pthread_mutex_lock(&ino->lock);
    ssize_t r = vfs_xattr_store_list(&node_of(ino)->xattrs, buf, size, trusted);
    pthread_mutex_unlock(&ino->lock);
    return r;
}

static const struct vfs_xattr_ops g_tmpfs_xattr_ops = {
    .get = t_xattr_get,
    .set = t_xattr_set,
    .list = t_xattr_list,
};

static const struct inode_ops g_tmpfs_inode_ops = {
    .xattr = &g_tmpfs_xattr_ops,
    .lookup = t_lookup,
    .getattr = t_getattr,
    .readlink = t_readlink,
    .open = t_open,
    .create = t_create,
    .truncate = t_truncate,
    .mkdir = t_mkdir,
    .mknod = t_mknod,
    .symlink = t_symlink,
    .link = t_link,
    .unlink = t_unlink,
    .rmdir = t_rmdir,
    .rename = t_rename,
    .setattr = t_setattr,
    .release = t_release,
};

/* ---- mount ------------------------------------------------------------------- */

static int parse_u64(const char *v, uint64_t *out, int base)
{
    if (!*v)
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, base);
    if (errno || *end || *v == '-')
        return -EINVAL;
    *out = x;
    return 0;
}

/* size=N[kmgt%] or nr_blocks=N[kmgt] -> bytes / blocks. */
static int parse_size(const char *v, uint64_t *out, bool percent_ok)
{
    if (!*v || *v == '-')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v)
        return -EINVAL;
    unsigned shift = 0;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    case 'p':
    case 'P':
        shift = 50;
        break;
    case 'e':
    case 'E':
        shift = 60;
        break;
    case '%': {
        if (!percent_ok || end[1])
            return -EINVAL;
        struct memfile *mf = memfile_of();
        uint64_t total = mf ? mf->size : (1ull << 32);
        *out = total / 100 * x;
        return 0;
    }
    default:
        return -EINVAL;
    }
    if (*end && end[1])
        return -EINVAL;
    if (shift && x > (UINT64_MAX >> shift))
        return -EINVAL;
    *out = (uint64_t)x << shift;
    return 0;
}

struct tmpfs_opts {
    uint32_t mode, uid, gid;
    uint64_t max_pages, max_inodes;
};

static int parse_options(const char *options, struct tmpfs_opts *o)
{
    o->mode = 01777;
    o->uid = o->gid = 0;
    o->max_pages = o->max_inodes = 0;
    if (!options || !*options)
        return 0;
    char *copy = strdup(options);
    if (!copy)
        return -ENOMEM;
    int r = 0;
    char *save = NULL;
    for (char *opt = strtok_r(copy, ",", &save); opt && r == 0; opt = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(opt, '=');
        const char *val = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        uint64_t x = 0;
        if (!val) {
            r = -EINVAL;
        } else if (strcmp(opt, "mode") == 0) {
            r = parse_u64(val, &x, 8);
            if (r == 0 && x > 07777)
                r = -EINVAL;
            o->mode = (uint32_t)x;
        } else if (strcmp(opt, "uid") == 0 || strcmp(opt, "gid") == 0) {
            r = parse_u64(val, &x, 10);
            if (r == 0 && x >= UINT32_MAX)
                r = -EINVAL;
            if (opt[0] == 'u')
                o->uid = (uint32_t)x;
            else
                o->gid = (uint32_t)x;
        } else if (strcmp(opt, "size") == 0) {
            r = parse_size(val, &x, true);
            o->max_pages = (x + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE;
        } else if (strcmp(opt, "nr_blocks") == 0) {
            r = parse_size(val, &x, false);
            o->max_pages = x;
        } else if (strcmp(opt, "nr_inodes") == 0) {
            r = parse_size(val, &x, false);
            o->max_inodes = x;
        } else {
            r = -EINVAL;
        }
    }
    free(copy);
    return r;
}

/* Without size= / nr_inodes= the limits are the MemoryFile's (and a large
 * inode count), as Linux reports half of RAM for an unlimited tmpfs. */
static int tmpfs_statfs(struct vfs_fs *fs, struct inode *ino, struct vfs_statfs *out)
{
    uint64_t max_pages, pages, max_inodes, inodes;
    tmpfs_usage(fs, &max_pages, &pages, &max_inodes, &inodes);
    struct memfile *mf = memfile_of();
    if (!max_pages)
        max_pages = mf ? mf->size / MF_PAGE_SIZE : pages;
    if (!max_inodes)
        max_inodes = UINT64_C(1) << 20;
    out->type = 0x01021994; /* TMPFS_MAGIC */
    out->bsize = MF_PAGE_SIZE;
    out->blocks = max_pages;
    out->bfree = out->bavail = max_pages > pages ? max_pages - pages : 0;
    out->files = max_inodes;
    out->ffree = max_inodes > inodes ? max_inodes - inodes : 0;
    out->namelen = 255;
    return 0;
}

int tmpfs_new(const char *options, struct vfs_fs **fs, struct dentry **root)
{
    struct tmpfs_opts o;
    int r = parse_options(options, &o);
    if (r < 0)
        return r;
    struct tmpfs *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->fs.type = &g_tmpfs_type;
    t->fs.statfs = tmpfs_statfs;
    t->fs.refs = 1;
    t->fs.dev = vfs_new_dev();
    t->fs.priv = t;
    t->next_ino = 1;
    t->max_pages = o.max_pages;
    t->max_inodes = o.max_inodes;
    pthread_mutex_init(&t->lock, NULL);
    struct vfs_owner owner = {o.uid, o.gid};
    struct inode *ino;
    pthread_mutex_lock(&t->lock);
    r = node_new_locked(t, S_IFDIR | o.mode, &owner, &ino);
    pthread_mutex_unlock(&t->lock);
    if (r < 0) {
        free(t);
        return r;
    }
    *root = vfs_dentry_new_root(&t->fs, ino);
    if (!*root) {
        inode_put(ino);
        return -ENOMEM;
    }
    *fs = &t->fs;
    return 0;
}

/* ---- devfs support --------------------------------------------------------------- */

int tmpfs_add_node(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev)
{
    struct inode *d = dir->inode;
    if (!tmpfs_is(d->fs) || !S_ISDIR(d->mode))
        return -EINVAL;
    struct tmpfs *t = tfs_of(d);
    struct inode *ino;
    struct vfs_owner root = {0, 0};
    pthread_mutex_lock(&t->lock);
    int r = create_locked(d, name, mode, &root, &ino);
    if (r == 0)
        node_of(ino)->rdev = rdev;
    pthread_mutex_unlock(&t->lock);
    if (r == 0)
        inode_put(ino);
    return r;
}

int tmpfs_add_symlink(struct dentry *dir, const char *name, const char *target)
{
    struct inode *d = dir->inode;
    if (!tmpfs_is(d->fs) || !S_ISDIR(d->mode))
        return -EINVAL;
    struct vfs_owner root = {0, 0};
    struct inode *ino;
    int r = t_symlink(d, name, target, &root, &ino);
    if (r == 0)
        inode_put(ino);
    return r;
}

/* ---- memfd_create and seals -------------------------------------------------- */

static pthread_once_t g_memfd_once = PTHREAD_ONCE_INIT;
static struct tmpfs *g_memfd_fs; /* the sandbox's internal tmpfs for memfds */

static void memfd_fs_init(void)
{
    struct vfs_fs *fs;
    struct dentry *root;
    if (tmpfs_new("", &fs, &root) == 0)
        g_memfd_fs = (struct tmpfs *)fs; /* the root dentry keeps it alive */
}

int tmpfs_memfd_create(const char *name, unsigned flags, const struct vfs_owner *owner,
                       struct file **out)
{
    pthread_once(&g_memfd_once, memfd_fs_init);
    struct tmpfs *t = g_memfd_fs;
    if (!t)
        return -ENOMEM;
    char *label = malloc(strlen(name) + 7);
    if (!label)
        return -ENOMEM;
    strcpy(label, "memfd:");
    strcat(label, name);
    uint32_t mode = S_IFREG | ((flags & TMPFS_MFD_NOEXEC) ? 0666 : 0777);
    struct inode *ino;
    pthread_mutex_lock(&t->lock);
    int r = node_new_locked(t, mode, owner, &ino);
    pthread_mutex_unlock(&t->lock);
    if (r < 0) {
        free(label);
        return r;
    }
    struct tmpfs_node *n = node_of(ino);
    n->nlink = 0; /* never had a name */
    n->memfd_name = label;
    n->seals = (flags & TMPFS_MFD_ALLOW_SEALING) ? 0 : F_SEAL_SEAL;
    if (flags & TMPFS_MFD_NOEXEC)
        n->seals |= F_SEAL_EXEC;
    struct file *f = vfs_file_new(ino, NULL, O_RDWR);
    inode_put(ino);
    if (!f)
        return -ENOMEM;
    f->ops = &g_reg_ops;
    *out = f;
    return 0;
}

static bool sealable(const struct file *f)
{
    return f->inode && f->inode->ops == &g_tmpfs_inode_ops && S_ISREG(f->inode->mode);
}

const char *tmpfs_memfd_name(const struct file *f)
{
    return sealable(f) ? node_of(f->inode)->memfd_name : NULL;
}

int tmpfs_get_seals(struct file *f)
{
    if (!sealable(f))
        return -EINVAL;
    pthread_mutex_lock(&f->inode->lock);
    int r = (int)node_of(f->inode)->seals;
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

int tmpfs_add_seals(struct file *f, uint32_t seals)
{
    const uint32_t known = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
                           F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;
    if (!sealable(f))
        return -EINVAL;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EPERM;
    if (seals & ~known)
        return -EINVAL;
    struct tmpfs_node *n = node_of(f->inode);
    pthread_mutex_lock(&f->inode->lock);
    int r = 0;
    if (n->seals & F_SEAL_SEAL)
        r = -EPERM;
    else if ((seals & F_SEAL_WRITE) && !(n->seals & F_SEAL_WRITE) && mm_mappable_mapped(&n->map))
        r = -EBUSY; /* Linux: only writable shared mappings; here any shared one */
    else
        n->seals |= seals;
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

bool tmpfs_sealed_against_shared_write(struct file *f)
{
    if (!sealable(f))
        return false;
    pthread_mutex_lock(&f->inode->lock);
    bool r = (node_of(f->inode)->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0;
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}
