/* The gofer filesystem.
 *
 * Each inode holds a gofer fid and a cached copy of the attributes. Regular
 * files get host fds from the gofer on first open (one read-only and one
 * read-write fd per inode, shared by every open file description of it);
 * after that, reads, writes and fstat are plain host syscalls on those fds,
 * with no RPC. Directories and symlinks go through RPCs.
 *
 * MAP_SHARED mappings map a per-inode page cache (struct gofer_cache):
 * MemoryFile frames filled from the host fd when a mapping faults, written
 * back (the pages a writable mapping may have dirtied) by msync, fsync and
 * when the last mapping goes, when the cache is dropped. While the cache
 * has pages, read(2) overlays the cached pages on what the host returns and
 * write(2) writes through to both the host and the cached pages, so the
 * file and its mappings stay coherent. Changes made on the host by others
 * are not seen by pages already cached.
 *
 * Locking: inode->lock protects the cached fds and attributes and the page
 * cache. mm translates a mapping's page under mm->lock and takes
 * inode->lock (mm.lock -> inode.lock -> memfile.lock); truncation drops
 * cached pages under inode->lock and unmaps them from every address space
 * after dropping it (mm_mappable_invalidate). Writes hold inode->lock around
 * the host pwrite and the cache update (a fault cannot fill a page from the
 * host between the two). */
#include "sentry/fsimpl/gofer/gofer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/kernel/kernel.h"

/* The gofer's tree can span several host filesystems (host mounts below
 * its root). Each host device gets its own sentry device number, so (dev,
 * ino) stays unique and mount points look like mount points. */
#define GOFERFS_MAX_DEVS 64

struct goferfs {
    struct vfs_fs fs;
    struct gofer_client *c;
    pthread_mutex_t dev_lock;
    uint64_t host_dev[GOFERFS_MAX_DEVS];
    uint64_t sentry_dev[GOFERFS_MAX_DEVS];
    int ndevs;
};

static uint64_t map_dev(struct vfs_fs *fs, uint64_t host_dev)
{
    struct goferfs *g = (struct goferfs *)fs;
    pthread_mutex_lock(&g->dev_lock);
    uint64_t d = 0;
    for (int i = 0; i < g->ndevs; i++)
        if (g->host_dev[i] == host_dev)
            d = g->sentry_dev[i];
    if (!d && g->ndevs < GOFERFS_MAX_DEVS) {
        d = g->ndevs == 0 ? fs->dev : vfs_new_dev();
        g->host_dev[g->ndevs] = host_dev;
        g->sentry_dev[g->ndevs] = d;
        g->ndevs++;
    }
    pthread_mutex_unlock(&g->dev_lock);
    return d ? d : fs->dev;
}

/* Page cache of a host file for shared mappings (inode->lock). */
#define GOFER_CACHE_BUCKETS 256
struct gofer_page {
    uint64_t pg;    /* page index in the file */
    uint64_t frame; /* MemoryFile offset (one reference) */
    bool dirty;     /* a writable mapping has had it: written back until dropped */
    struct gofer_page *next;
};
struct gofer_cache {
    struct gofer_page *buckets[GOFER_CACHE_BUCKETS];
    uint64_t npages;
};

struct gofer_inode {
    struct mm_mappable map;    /* shared mappings: the cache's frames */
    struct inode *inode;       /* no reference */
    struct gofer_cache *cache; /* NULL until a shared mapping faults; inode->lock */
    bool cached;               /* cache != NULL (atomic: read's lock-free check) */
    uint64_t fid;
    struct vfs_attr attr; /* cached; dev is the host's */
    int rd_fd;            /* host fd opened O_RDONLY, or -1 */
    int rw_fd;            /* host fd opened O_RDWR (or O_WRONLY), or -1 */
    char *link;           /* cached symlink target */
    size_t link_len;
    bool stale; /* attr must be fetched again (changed through the gofer) */
};

static const struct vfs_fs_type g_gofer_type = {.name = "9p"};

static struct gofer_client *client_of(struct inode *ino)
{
    return ((struct goferfs *)ino->fs)->c;
}

/* The cached attributes keep the host's device number; g_getattr maps it. */
static void attr_from_gofer(const struct gofer_attr *g, struct vfs_attr *a)
{
    a->ino = g->ino;
    a->dev = g->dev;
    a->mode = g->mode;
    a->nlink = g->nlink;
    a->uid = g->uid;
    a->gid = g->gid;
    a->rdev = g->rdev;
    a->size = g->size;
    a->blocks = g->blocks;
    a->blksize = g->blksize;
    a->atime = g->atime;
    a->mtime = g->mtime;
    a->ctime = g->ctime;
}

static const struct inode_ops g_gofer_inode_ops;
static const struct mm_mappable_ops g_gofer_map_ops;

static struct inode *inode_from(struct vfs_fs *fs, uint64_t fid, const struct gofer_attr *attr)
{
    struct gofer_inode *gi = calloc(1, sizeof(*gi));
    if (!gi)
        return NULL;
    gi->fid = fid;
    attr_from_gofer(attr, &gi->attr);
    gi->rd_fd = gi->rw_fd = -1;
    struct inode *ino = vfs_inode_new(fs, &g_gofer_inode_ops, attr->ino, attr->mode, gi);
    if (!ino) {
        free(gi);
        return NULL;
    }
    gi->inode = ino;
    mm_mappable_init(&gi->map, &g_gofer_map_ops);
    return ino;
}

static int g_lookup(struct inode *dir, const char *name, struct inode **out)
{
    struct gofer_inode *gd = dir->priv;
    const char *names[1] = {name};
    uint64_t fid;
    struct gofer_attr attr;
    size_t walked = 0;
    int r = gofer_walk(client_of(dir), gd->fid, names, 1, &fid, &attr, &walked);
    if (r < 0)
        return r;
    if (walked == 0)
        return -ENOENT;
    *out = inode_from(dir->fs, fid, &attr);
    if (!*out) {
        gofer_close(client_of(dir), &fid, 1);
        return -ENOMEM;
    }
    return 0;
}

static int g_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct gofer_inode *gi = ino->priv;
    pthread_mutex_lock(&ino->lock);
    int fd = gi->rw_fd >= 0 ? gi->rw_fd : gi->rd_fd;
    if (fd >= 0) {
        /* An open host fd answers for free and is always current. */
        struct stat st;
        if (fstat(fd, &st) == 0) {
            vfs_attr_from_stat(&gi->attr, &st);
            gi->stale = false;
        }
    }
    if (gi->stale) {
        struct gofer_attr ga;
        if (gofer_stat(client_of(ino), gi->fid, &ga) == 0) {
            attr_from_gofer(&ga, &gi->attr);
            gi->stale = false;
        }
    }
    *a = gi->attr;
    a->dev = map_dev(ino->fs, a->dev);
    pthread_mutex_unlock(&ino->lock);
    return 0;
}

static ssize_t g_readlink(struct inode *ino, char *buf, size_t size)
{
    struct gofer_inode *gi = ino->priv;
    pthread_mutex_lock(&ino->lock);
    if (!gi->link) {
        char tmp[4096];
        ssize_t n = gofer_readlink(client_of(ino), gi->fid, tmp, sizeof(tmp));
        if (n < 0) {
            pthread_mutex_unlock(&ino->lock);
            return n;
        }
        gi->link = malloc((size_t)n + 1);
        if (!gi->link) {
            pthread_mutex_unlock(&ino->lock);
            return -ENOMEM;
        }
        memcpy(gi->link, tmp, (size_t)n);
        gi->link_len = (size_t)n;
    }
    size_t n = gi->link_len < size ? gi->link_len : size;
    memcpy(buf, gi->link, n);
    pthread_mutex_unlock(&ino->lock);
    return (ssize_t)n;
}

/* ---- regular files ------------------------------------------------------ */

struct gofer_file {
    int fd; /* borrowed from the inode */
};

/* ---- page cache (inode->lock) -------------------------------------------- */

static struct memfile *cache_mf(void)
{
    return g_kernel ? g_kernel->mf : NULL;
}

static struct gofer_page *cache_find(struct gofer_inode *gi, uint64_t pg)
{
    if (!gi->cache)
        return NULL;
    for (struct gofer_page *p = gi->cache->buckets[pg % GOFER_CACHE_BUCKETS]; p; p = p->next)
        if (p->pg == pg)
            return p;
    return NULL;
}

/* The fd cache pages are read from (and written back to, when writable). */
static int cache_fd(struct gofer_inode *gi)
{
    return gi->rw_fd >= 0 ? gi->rw_fd : gi->rd_fd;
}

static int64_t host_size(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    return st.st_size;
}

/* Writes the dirty cached pages in [first, last) to the host, clipped to
 * the file's size (a store past the end of the last page is not data). */
static int cache_writeback_locked(struct gofer_inode *gi, uint64_t first, uint64_t last)
{
    struct memfile *mf = cache_mf();
    if (!gi->cache || !mf || gi->rw_fd < 0)
        return 0; /* no writable fd: no writable mapping, nothing dirty */
    int64_t size = host_size(gi->rw_fd);
    if (size < 0)
        return (int)size;
    int err = 0;
    for (unsigned b = 0; b < GOFER_CACHE_BUCKETS; b++) {
        for (struct gofer_page *p = gi->cache->buckets[b]; p; p = p->next) {
            if (!p->dirty || p->pg < first || p->pg >= last)
                continue;
            uint64_t at = p->pg * MF_PAGE_SIZE;
            if (at >= (uint64_t)size)
                continue;
            uint64_t n = (uint64_t)size - at < MF_PAGE_SIZE ? (uint64_t)size - at : MF_PAGE_SIZE;
            const char *src = memfile_ptr(mf, p->frame);
            uint64_t done = 0;
            while (done < n) {
                ssize_t w = pwrite(gi->rw_fd, src + done, n - done, (off_t)(at + done));
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    if (!err)
                        err = w < 0 ? -errno : -EIO;
                    break;
                }
                done += (uint64_t)w;
            }
        }
    }
    return err;
}

/* Drops cached pages from page first on (their frames live on while page
 * tables still hold them: the caller unmaps them after inode->lock). */
static void cache_drop_locked(struct gofer_inode *gi, uint64_t first)
{
    struct memfile *mf = cache_mf();
    if (!gi->cache)
        return;
    for (unsigned b = 0; b < GOFER_CACHE_BUCKETS; b++) {
        for (struct gofer_page **pp = &gi->cache->buckets[b]; *pp;) {
            struct gofer_page *p = *pp;
            if (p->pg < first) {
                pp = &p->next;
                continue;
            }
            *pp = p->next;
            if (mf)
                memfile_put(mf, p->frame);
            free(p);
            gi->cache->npages--;
        }
    }
}

/* Drops the whole cache (no mapping left). */
static void cache_free_locked(struct gofer_inode *gi)
{
    if (!gi->cache)
        return;
    cache_drop_locked(gi, 0);
    free(gi->cache);
    gi->cache = NULL;
    __atomic_store_n(&gi->cached, false, __ATOMIC_SEQ_CST);
}

static struct gofer_inode *gi_of_map(struct mm_mappable *m)
{
    return (struct gofer_inode *)((char *)m - offsetof(struct gofer_inode, map));
}

/* Reads page pg from the host into a new cached page (inode->lock held).
 * Past the end of the host file: -EIO (SIGBUS). */
static int cache_fill_locked(struct gofer_inode *gi, struct memfile *mf, uint64_t pg,
                             struct gofer_page **out)
{
    int fd = cache_fd(gi);
    int64_t size = fd >= 0 ? host_size(fd) : -EBADF;
    if (size < 0 || pg >= ((uint64_t)size + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE)
        return -EIO;
    if (!gi->cache) {
        gi->cache = calloc(1, sizeof(*gi->cache));
        if (!gi->cache)
            return -ENOMEM;
        __atomic_store_n(&gi->cached, true, __ATOMIC_SEQ_CST);
    }
    struct gofer_page *p = calloc(1, sizeof(*p));
    int64_t fr = p ? memfile_alloc(mf, 1) : -ENOMEM;
    if (fr < 0) {
        free(p);
        return -ENOMEM;
    }
    char *dst = memfile_ptr(mf, (uint64_t)fr);
    uint64_t done = 0;
    while (done < MF_PAGE_SIZE) {
        ssize_t n = pread(fd, dst + done, MF_PAGE_SIZE - done, (off_t)(pg * MF_PAGE_SIZE + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            memfile_put(mf, (uint64_t)fr);
            free(p);
            return -EIO;
        }
        if (n == 0)
            break; /* the end of the file: the rest stays zero */
        done += (uint64_t)n;
    }
    p->pg = pg;
    p->frame = (uint64_t)fr;
    p->next = gi->cache->buckets[pg % GOFER_CACHE_BUCKETS];
    gi->cache->buckets[pg % GOFER_CACHE_BUCKETS] = p;
    gi->cache->npages++;
    *out = p;
    return 0;
}

/* A shared mapping's page: the cached frame, filled from the host on first
 * use (only then is the host asked: truncation through the sandbox drops
 * the pages past the end). Under mm->lock. */
static int gofer_translate(struct mm_mappable *m, uint64_t pg, bool writable, uint64_t *frame)
{
    struct gofer_inode *gi = gi_of_map(m);
    struct inode *ino = gi->inode;
    struct memfile *mf = cache_mf();
    if (!mf)
        return -ENOMEM;
    pthread_mutex_lock(&ino->lock);
    struct gofer_page *p = cache_find(gi, pg);
    int r = p ? 0 : cache_fill_locked(gi, mf, pg, &p);
    if (r == 0) {
        if (writable)
            p->dirty = true;
        memfile_get(mf, p->frame);
        *frame = p->frame;
    }
    pthread_mutex_unlock(&ino->lock);
    return r;
}

static int gofer_writeback(struct mm_mappable *m, uint64_t first, uint64_t last, bool sync)
{
    struct gofer_inode *gi = gi_of_map(m);
    struct inode *ino = gi->inode;
    pthread_mutex_lock(&ino->lock);
    int r = cache_writeback_locked(gi, first, last);
    if (r == 0 && sync && gi->rw_fd >= 0 && fsync(gi->rw_fd) < 0)
        r = -errno;
    pthread_mutex_unlock(&ino->lock);
    return r;
}

/* The last shared mapping went: write the cache back and drop it (unless a
 * new mapping came meanwhile; inode.lock -> maps_lock). */
static void gofer_unmapped(struct mm_mappable *m)
{
    struct gofer_inode *gi = gi_of_map(m);
    struct inode *ino = gi->inode;
    pthread_mutex_lock(&ino->lock);
    if (gi->cache && !mm_mappable_mapped(m)) {
        int r = cache_writeback_locked(gi, 0, UINT64_MAX);
        if (r < 0)
            log_warn("gofer: writing back a mapped file: %s", strerror(-r));
        cache_free_locked(gi);
    }
    pthread_mutex_unlock(&ino->lock);
}

static const struct mm_mappable_ops g_gofer_map_ops = {
    .translate = gofer_translate,
    .writeback = gofer_writeback,
    .unmapped = gofer_unmapped,
};

/* Copies between buf and the cached pages that [off, off+len) covers
 * (inode->lock held): into them (to_cache: what was just written to the
 * host), or out of them over what was read from the host. */
static void cache_copy_locked(struct gofer_inode *gi, void *buf, size_t len, int64_t off,
                              bool to_cache)
{
    struct memfile *mf = cache_mf();
    if (!gi->cache || !mf)
        return;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = (uint64_t)off + done;
        size_t in = pos % MF_PAGE_SIZE;
        size_t chunk = MF_PAGE_SIZE - in < len - done ? MF_PAGE_SIZE - in : len - done;
        struct gofer_page *p = cache_find(gi, pos / MF_PAGE_SIZE);
        if (p) {
            char *page = (char *)memfile_ptr(mf, p->frame) + in;
            if (to_cache)
                memcpy(page, (char *)buf + done, chunk);
            else
                memcpy((char *)buf + done, page, chunk);
        }
        done += chunk;
    }
}

/* Copies what was just written to the host at [off, off+len) into the
 * cached pages it covers (inode->lock held). */
static void cache_write_locked(struct gofer_inode *gi, const void *buf, size_t len, int64_t off)
{
    cache_copy_locked(gi, (void *)buf, len, off, true);
}

/* ---- regular files ------------------------------------------------------ */

static ssize_t gf_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct gofer_file *g = f->priv;
    struct gofer_inode *gi = f->inode->priv;
    if (!__atomic_load_n(&gi->cached, __ATOMIC_SEQ_CST)) {
        ssize_t r = pread(g->fd, buf, len, off);
        return r < 0 ? -errno : r;
    }
    /* Mapped: the host's bytes (and its end of file), with the cached
     * pages (newer where mappings stored) laid over them. */
    pthread_mutex_lock(&f->inode->lock);
    ssize_t r = pread(g->fd, buf, len, off);
    if (r < 0)
        r = -errno;
    else
        cache_copy_locked(gi, buf, (size_t)r, off, false);
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

static ssize_t gf_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    struct gofer_file *g = f->priv;
    /* Under inode->lock: a mapping's fault cannot fill a page from the host
     * between the pwrite and the cache update. */
    pthread_mutex_lock(&f->inode->lock);
    ssize_t r = pwrite(g->fd, buf, len, off);
    if (r < 0)
        r = -errno;
    else
        cache_write_locked(f->inode->priv, buf, (size_t)r, off);
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

/* O_APPEND: at the host file's size, read under the inode lock held for the
 * write, so the sandbox's appenders do not overlap (the host fd is shared
 * and not O_APPEND). */
static ssize_t gf_append(struct file *f, const void *buf, size_t len, int64_t *off)
{
    struct gofer_file *g = f->priv;
    pthread_mutex_lock(&f->inode->lock);
    struct stat st;
    ssize_t r = fstat(g->fd, &st) < 0 ? -errno : 0;
    if (r == 0) {
        *off = st.st_size;
        r = pwrite(g->fd, buf, len, st.st_size);
        if (r < 0)
            r = -errno;
        else
            cache_write_locked(f->inode->priv, buf, (size_t)r, *off);
    }
    pthread_mutex_unlock(&f->inode->lock);
    return r;
}

static int gf_fsync(struct file *f)
{
    struct gofer_file *g = f->priv;
    struct gofer_inode *gi = f->inode->priv;
    int r = 0;
    if (__atomic_load_n(&gi->cached, __ATOMIC_SEQ_CST)) {
        pthread_mutex_lock(&f->inode->lock);
        r = cache_writeback_locked(gi, 0, UINT64_MAX);
        pthread_mutex_unlock(&f->inode->lock);
    }
    if (fsync(g->fd) < 0 && r == 0)
        r = -errno;
    return r;
}

static int gf_mmap(struct file *f)
{
    return 0;
}

static struct mm_mappable *gf_mappable(struct file *f)
{
    struct gofer_inode *gi = f->inode->priv;
    return cache_mf() ? &gi->map : NULL;
}

static void gf_release(struct file *f)
{
    free(f->priv);
}

static const struct file_ops g_reg_ops = {
    .read = gf_read,
    .write = gf_write,
    .append = gf_append,
    .llseek = vfs_generic_llseek,
    .fsync = gf_fsync,
    .mmap = gf_mmap,
    .mappable = gf_mappable,
    .release = gf_release,
};

/* Makes sure the inode has a host fd for the access mode; returns it. */
static int ensure_fd(struct inode *ino, int acc)
{
    struct gofer_inode *gi = ino->priv;
    int *slot = acc == O_RDONLY ? &gi->rd_fd : &gi->rw_fd;
    if (*slot >= 0)
        return *slot;
    int fd = -1;
    int r = gofer_open(client_of(ino), gi->fid, acc == O_RDONLY ? O_RDONLY : O_RDWR, &fd);
    if (r == -EACCES && acc == O_WRONLY)
        r = gofer_open(client_of(ino), gi->fid, O_WRONLY, &fd);
    if (r < 0)
        return r;
    if (fd < 0)
        return -EIO; /* the gofer must hand over fds for regular files */
    *slot = fd;
    return fd;
}

/* ---- directories -------------------------------------------------------- */

static int gd_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    struct inode *ino = f->inode;
    struct gofer_inode *gi = ino->priv;
    for (;;) {
        struct gofer_dirent *ents;
        size_t n;
        int r = gofer_getdents(client_of(ino), gi->fid, *pos, 32768, &ents, &n);
        if (r < 0)
            return r;
        if (n == 0)
            return 0;
        for (size_t i = 0; i < n; i++) {
            if (!fn(arg, ents[i].name, ents[i].ino, ents[i].type, ents[i].next_off)) {
                gofer_dirents_free(ents, n);
                return 0;
            }
            *pos = ents[i].next_off;
        }
        gofer_dirents_free(ents, n);
    }
}

static const struct file_ops g_dir_ops = {
    .iterate = gd_iterate,
    .llseek = vfs_generic_llseek,
};

static int g_open(struct inode *ino, struct file *f, int flags)
{
    if (S_ISDIR(ino->mode)) {
        f->ops = &g_dir_ops;
        return 0;
    }
    /* A host FIFO is a sentry pipe of its own (by st_dev and st_ino): it
     * joins processes of the sandbox, never host processes. */
    if (S_ISFIFO(ino->mode))
        return pipe_fifo_open(ino, f, flags);
    if (!S_ISREG(ino->mode))
        return -ENXIO; /* host devices and sockets are not served */
    struct gofer_file *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    pthread_mutex_lock(&ino->lock);
    int fd = ensure_fd(ino, flags & O_ACCMODE);
    pthread_mutex_unlock(&ino->lock);
    if (fd < 0) {
        free(g);
        return fd;
    }
    g->fd = fd;
    f->ops = &g_reg_ops;
    f->priv = g;
    return 0;
}

static int g_create(struct inode *dir, const char *name, uint32_t mode,
                    const struct vfs_owner *owner, struct file *f, int flags, struct inode **out)
{
    struct gofer_inode *gd = dir->priv;
    uint64_t fid;
    struct gofer_attr attr;
    int fd = -1;
    int acc = flags & O_ACCMODE;
    /* uid/gid of the creator: the gofer applies them. */
    int r = gofer_create(client_of(dir), gd->fid, name, acc == O_RDONLY ? O_RDONLY : O_RDWR,
                         S_IFREG | mode, owner->uid, owner->gid, &fid, &attr, &fd);
    if (r < 0)
        return r;
    struct inode *ino = inode_from(dir->fs, fid, &attr);
    if (!ino) {
        if (fd >= 0)
            close(fd);
        gofer_close(client_of(dir), &fid, 1);
        return -ENOMEM;
    }
    struct gofer_inode *gi = ino->priv;
    if (acc == O_RDONLY)
        gi->rd_fd = fd;
    else
        gi->rw_fd = fd;
    struct gofer_file *g = calloc(1, sizeof(*g));
    if (!g) {
        inode_put(ino);
        return -ENOMEM;
    }
    g->fd = fd;
    f->ops = &g_reg_ops;
    f->priv = g;
    *out = ino;
    return 0;
}

/* After the host file's size changed to size (inode->lock held): cached
 * pages past the end go, the tail of the last one is zeroed. Returns the
 * first page to unmap from every mapping once inode->lock is dropped
 * (UINT64_MAX: none). */
static uint64_t cache_truncate_locked(struct gofer_inode *gi, int64_t size)
{
    if (!gi->cache || size < 0)
        return UINT64_MAX;
    uint64_t first = ((uint64_t)size + MF_PAGE_SIZE - 1) / MF_PAGE_SIZE;
    struct gofer_page *p =
        size % MF_PAGE_SIZE ? cache_find(gi, (uint64_t)size / MF_PAGE_SIZE) : NULL;
    struct memfile *mf = cache_mf();
    if (p && mf)
        memset((char *)memfile_ptr(mf, p->frame) + size % MF_PAGE_SIZE, 0,
               MF_PAGE_SIZE - (uint64_t)size % MF_PAGE_SIZE);
    cache_drop_locked(gi, first);
    return first;
}

static int g_truncate(struct inode *ino, int64_t size)
{
    struct gofer_inode *gi = ino->priv;
    pthread_mutex_lock(&ino->lock);
    int r;
    if (gi->rw_fd >= 0)
        r = ftruncate(gi->rw_fd, size) < 0 ? -errno : 0;
    else
        r = gofer_setattr(client_of(ino), gi->fid,
                          &(struct vfs_setattr){.mask = VFS_SA_SIZE, .size = size});
    uint64_t unmap_from = r == 0 ? cache_truncate_locked(gi, size) : UINT64_MAX;
    pthread_mutex_unlock(&ino->lock);
    if (unmap_from != UINT64_MAX)
        mm_mappable_invalidate(&gi->map, unmap_from, UINT64_MAX);
    return r;
}

/* ---- namespace and attribute changes ------------------------------------ */

/* The cached attributes of ino changed on the host: fetch them on next use. */
static void mark_stale(struct inode *ino)
{
    struct gofer_inode *gi = ino->priv;
    pthread_mutex_lock(&ino->lock);
    gi->stale = true;
    pthread_mutex_unlock(&ino->lock);
}

/* A new inode for a fid the gofer just created in dir. */
static int new_child(struct inode *dir, int r, uint64_t fid, const struct gofer_attr *attr,
                     struct inode **out)
{
    if (r < 0)
        return r;
    mark_stale(dir);
    *out = inode_from(dir->fs, fid, attr);
    if (!*out) {
        gofer_close(client_of(dir), &fid, 1);
        return -ENOMEM;
    }
    return 0;
}

static int g_mkdir(struct inode *dir, const char *name, uint32_t perm,
                   const struct vfs_owner *owner, struct inode **out)
{
    struct gofer_inode *gd = dir->priv;
    uint64_t fid;
    struct gofer_attr attr;
    int r = gofer_mkdir(client_of(dir), gd->fid, name, perm & 07777, owner->uid, owner->gid, &fid,
                        &attr);
    return new_child(dir, r, fid, &attr, out);
}

static int g_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
                   const struct vfs_owner *owner, struct inode **out)
{
    struct gofer_inode *gd = dir->priv;
    uint64_t fid;
    struct gofer_attr attr;
    int r =
        gofer_mknod(client_of(dir), gd->fid, name, mode, rdev, owner->uid, owner->gid, &fid, &attr);
    return new_child(dir, r, fid, &attr, out);
}

static int g_symlink(struct inode *dir, const char *name, const char *target,
                     const struct vfs_owner *owner, struct inode **out)
{
    struct gofer_inode *gd = dir->priv;
    uint64_t fid;
    struct gofer_attr attr;
    int r =
        gofer_symlink(client_of(dir), gd->fid, name, target, owner->uid, owner->gid, &fid, &attr);
    return new_child(dir, r, fid, &attr, out);
}

static int g_link(struct inode *dir, const char *name, struct inode *target)
{
    struct gofer_inode *gd = dir->priv, *gt = target->priv;
    int r = gofer_link(client_of(dir), gd->fid, name, gt->fid);
    if (r == 0) {
        mark_stale(dir);
        mark_stale(target);
    }
    return r;
}

static int g_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    struct gofer_inode *gd = dir->priv;
    int r = gofer_unlink(client_of(dir), gd->fid, name, false);
    if (r == 0) {
        mark_stale(dir);
        if (victim) {
            /* The host may not stat an unlinked fid: count the link here. */
            struct gofer_inode *gv = victim->priv;
            pthread_mutex_lock(&victim->lock);
            if (gv->attr.nlink)
                gv->attr.nlink--;
            gv->stale = gv->attr.nlink > 0;
            pthread_mutex_unlock(&victim->lock);
        }
    }
    return r;
}

static int g_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
    struct gofer_inode *gd = dir->priv;
    int r = gofer_unlink(client_of(dir), gd->fid, name, true);
    if (r == 0) {
        mark_stale(dir);
        if (victim) {
            struct gofer_inode *gv = victim->priv;
            pthread_mutex_lock(&victim->lock);
            gv->attr.nlink = 0;
            gv->stale = false;
            pthread_mutex_unlock(&victim->lock);
        }
    }
    return r;
}

static int g_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname,
                    unsigned flags)
{
    struct gofer_inode *go = odir->priv, *gn = ndir->priv;
    int r = gofer_rename(client_of(odir), go->fid, oname, gn->fid, nname, flags);
    if (r == 0) {
        mark_stale(odir);
        if (ndir != odir)
            mark_stale(ndir);
    }
    return r;
}

static int g_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    struct gofer_inode *gi = ino->priv;
    int r = gofer_setattr(client_of(ino), gi->fid, sa);
    /* Even a partial failure may have changed something. */
    mark_stale(ino);
    if ((sa->mask & VFS_SA_SIZE) && r == 0) {
        pthread_mutex_lock(&ino->lock);
        uint64_t unmap_from = cache_truncate_locked(gi, sa->size);
        pthread_mutex_unlock(&ino->lock);
        if (unmap_from != UINT64_MAX)
            mm_mappable_invalidate(&gi->map, unmap_from, UINT64_MAX);
    }
    return r;
}

static void g_release(struct inode *ino)
{
    struct gofer_inode *gi = ino->priv;
    if (!gi)
        return;
    if (gi->rd_fd >= 0)
        close(gi->rd_fd);
    if (gi->rw_fd >= 0)
        close(gi->rw_fd);
    gofer_close(client_of(ino), &gi->fid, 1);
    cache_free_locked(gi); /* none: the last mapping dropped it */
    mm_mappable_destroy(&gi->map);
    free(gi->link);
    free(gi);
}

static const struct inode_ops g_gofer_inode_ops = {
    .lookup = g_lookup,
    .getattr = g_getattr,
    .readlink = g_readlink,
    .open = g_open,
    .create = g_create,
    .truncate = g_truncate,
    .mkdir = g_mkdir,
    .mknod = g_mknod,
    .symlink = g_symlink,
    .link = g_link,
    .unlink = g_unlink,
    .rmdir = g_rmdir,
    .rename = g_rename,
    .setattr = g_setattr,
    .release = g_release,
};

static int goferfs_statfs(struct vfs_fs *fs, struct inode *ino, struct vfs_statfs *out)
{
    struct gofer_statfs st;
    int r = gofer_statfs(((struct goferfs *)fs)->c, ((struct gofer_inode *)ino->priv)->fid, &st);
    if (r < 0)
        return r;
    out->type = 0x01021997; /* V9FS_MAGIC, as gVisor's gofer filesystem reports */
    out->bsize = st.bsize;
    out->blocks = st.blocks;
    out->bfree = st.bfree;
    out->bavail = st.bavail;
    out->files = st.files;
    out->ffree = st.ffree;
    out->namelen = st.namelen;
    return 0;
}

static void goferfs_release(struct vfs_fs *fs)
{
    struct goferfs *g = (struct goferfs *)fs;
    gofer_client_free(g->c);
    free(g);
}

int goferfs_new(struct gofer_client *c, struct vfs_fs **fs, struct dentry **root, bool *readonly)
{
    uint64_t fid;
    struct gofer_attr attr;
    int r = gofer_mount(c, &fid, &attr, readonly);
    if (r < 0)
        return r;
    struct goferfs *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->fs.type = &g_gofer_type;
    g->fs.refs = 1;
    g->fs.dev = vfs_new_dev();
    g->fs.release = goferfs_release;
    g->fs.statfs = goferfs_statfs;
    g->c = c;
    pthread_mutex_init(&g->dev_lock, NULL);
    map_dev(&g->fs, attr.dev); /* the root's device is the mount's */
    struct inode *ino = inode_from(&g->fs, fid, &attr);
    if (!ino) {
        free(g);
        return -ENOMEM;
    }
    *root = vfs_dentry_new_root(&g->fs, ino);
    if (!*root) {
        inode_put(ino);
        return -ENOMEM;
    }
    *fs = &g->fs;
    return 0;
}
