/* System V shared memory (Linux's ipc/shm.c).
 *
 * A segment's pages are an unnamed file of the sandbox's internal tmpfs
 * (as a memfd's), mapped MAP_SHARED through mm's shared file mapping path,
 * so fork keeps them shared and every attach sees the same frames. Each
 * attach maps the segment's own struct mm_file (shm_mmf_ops), whose
 * vma_opened/vma_closed hooks count the VMAs mapping it: shm_nattch, as
 * Linux counts them (a fork or a split VMA counts again), with the attach
 * and detach times and pids. Exit and exec drop their mm's VMAs, which
 * detaches.
 *
 * Lifetime: a segment holds references from the registry (while it has an
 * id), from each VMA (mm_file get/put) and from a syscall in flight; its
 * file and memory go with the last. IPC_RMID with attaches left marks it
 * SHM_DEST and makes its key IPC_PRIVATE; the last detach removes it. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif
#define SHM_DEST_BIT 01000   /* SHM_DEST */
#define SHM_LOCKED_BIT 02000 /* SHM_LOCKED */
#define SHMLBA_X86 4096ull

struct shm_seg {
    struct mm_file mmf; /* what attaches map (shm_mmf_ops) */
    struct ipc_perm_k perm;
    int refs;
    int slot;
    bool listed; /* has its id (slot in the registry) */
    uint64_t size;
    struct file *file; /* the tmpfs file holding the pages */
    int64_t atime, dtime, ctime;
    int cpid, lpid;
    uint64_t nattch;
};

/* struct shmid64_ds on x86-64. */
struct shmid_ds_abi {
    struct ipc_perm_abi perm;
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int32_t cpid, lpid;
    uint64_t nattch;
    uint64_t unused4, unused5;
};

struct shminfo_abi {
    uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};

struct shm_info_abi {
    int32_t used_ids;
    uint32_t pad;
    uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

static void *g_shm_slots[IPC_SHMMNI];
static uint16_t g_shm_seq[IPC_SHMMNI];
static struct {
    pthread_mutex_t lock;
    struct ipc_ids ids;
    uint64_t tot_pages;
} g_shm = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .ids = IPC_IDS_INIT(g_shm_slots, g_shm_seq, struct shm_seg)};

static uint64_t seg_pages(const struct shm_seg *s)
{
    return (s->size + MM_PAGE_SIZE - 1) / MM_PAGE_SIZE;
}

static int current_tgid(void)
{
    struct task *t = task_current();
    return t && t->tg ? t->tg->tgid : 0;
}

static void seg_free(struct shm_seg *s)
{
    if (s->file)
        file_put(s->file);
    free(s);
}

static void seg_get_locked(struct shm_seg *s)
{
    s->refs++;
}

static void seg_put(struct shm_seg *s)
{
    pthread_mutex_lock(&g_shm.lock);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&g_shm.lock);
    if (last)
        seg_free(s);
}

/* Takes s out of the registry (its id and key are gone); drops the
 * registry's reference, which is never the last one (every caller holds
 * one of its own: a VMA's, a syscall's). Caller holds g_shm.lock. */
static void seg_unlist_locked(struct shm_seg *s)
{
    if (!s->listed)
        return;
    s->listed = false;
    ipc_ids_remove(&g_shm.ids, s);
    g_shm.tot_pages -= seg_pages(s);
    s->refs--;
}

/* ---- the mm_file attaches map ---- */

static struct shm_seg *seg_of(struct mm_file *f)
{
    return (struct shm_seg *)((char *)f - offsetof(struct shm_seg, mmf));
}

static ssize_t shm_mmf_read(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
    struct file *tf = seg_of(f)->file;
    return tf->mmf.ops->read(&tf->mmf, buf, len, off);
}

static void shm_mmf_get(struct mm_file *f)
{
    pthread_mutex_lock(&g_shm.lock);
    seg_get_locked(seg_of(f));
    pthread_mutex_unlock(&g_shm.lock);
}

static void shm_mmf_put(struct mm_file *f)
{
    seg_put(seg_of(f));
}

static void shm_mmf_name(struct mm_file *f, const void *root, char *buf, size_t size)
{
    (void)root;
    snprintf(buf, size, "/SYSV%08x (deleted)", (unsigned)seg_of(f)->perm.key);
}

static int64_t shm_mmf_size(struct mm_file *f)
{
    return (int64_t)seg_of(f)->size;
}

static struct mm_mappable *shm_mmf_mappable(struct mm_file *f)
{
    struct file *tf = seg_of(f)->file;
    return tf->ops->mappable(tf);
}

/* Linux's shm_open: a VMA maps the segment (attach, fork, split). */
static void shm_mmf_opened(struct mm_file *f)
{
    struct shm_seg *s = seg_of(f);
    pthread_mutex_lock(&g_shm.lock);
    s->nattch++;
    s->atime = ipc_now();
    s->lpid = current_tgid();
    pthread_mutex_unlock(&g_shm.lock);
}

/* Linux's shm_close: one VMA fewer; the last one of a removed segment
 * destroys it. */
static void shm_mmf_closed(struct mm_file *f)
{
    struct shm_seg *s = seg_of(f);
    pthread_mutex_lock(&g_shm.lock);
    s->nattch--;
    s->dtime = ipc_now();
    s->lpid = current_tgid();
    if (s->nattch == 0 && (s->perm.mode & SHM_DEST_BIT))
        seg_unlist_locked(s);
    pthread_mutex_unlock(&g_shm.lock);
}

static const struct mm_file_ops g_shm_mmf_ops = {
    .read = shm_mmf_read,
    .get = shm_mmf_get,
    .put = shm_mmf_put,
    .name = shm_mmf_name,
    .size = shm_mmf_size,
    .mappable = shm_mmf_mappable,
    .vma_opened = shm_mmf_opened,
    .vma_closed = shm_mmf_closed,
};

/* ---- lookups (g_shm.lock held) ---- */

static struct shm_seg *find_id_locked(int id)
{
    return ipc_ids_find_id(&g_shm.ids, id);
}

/* A live key (a segment marked for destruction is not found by key). */
static struct shm_seg *find_key_locked(int32_t key)
{
    return ipc_ids_find_key(&g_shm.ids, key, SHM_DEST_BIT);
}

/* ---- shmget ---- */

static long shm_new(struct task *t, int32_t key, uint64_t size, int flags)
{
    if (size < IPC_SHMMIN || size > IPC_SHMMAX)
        return -EINVAL;
    uint64_t pages = (size + MM_PAGE_SIZE - 1) / MM_PAGE_SIZE;
    if (pages * MM_PAGE_SIZE < size)
        return -ENOSPC;
    struct shm_seg *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    struct vfs_owner owner = {t->creds.euid, t->creds.egid};
    int r = tmpfs_memfd_create("SYSV", 0, &owner, &s->file);
    if (r == 0)
        r = s->file->inode->ops->truncate(s->file->inode, (int64_t)size);
    if (r < 0) {
        seg_free(s);
        return r;
    }
    s->mmf.ops = &g_shm_mmf_ops;
    s->size = size;
    s->ctime = ipc_now();
    s->cpid = t->tg->tgid;
    s->refs = 1; /* the registry's */

    pthread_mutex_lock(&g_shm.lock);
    long ret;
    if (g_shm.tot_pages + pages < g_shm.tot_pages || g_shm.tot_pages + pages > IPC_SHMALL) {
        ret = -ENOSPC;
    } else if (key != IPC_PRIVATE && find_key_locked(key)) {
        ret = -EEXIST; /* raced with another creator of the key */
    } else {
        int slot = ipc_ids_add(&g_shm.ids, s, key, &t->creds, flags);
        if (slot < 0) {
            ret = slot;
        } else {
            s->slot = slot;
            s->listed = true;
            g_shm.tot_pages += pages;
            ret = s->perm.id;
            s = NULL;
        }
    }
    pthread_mutex_unlock(&g_shm.lock);
    if (s)
        seg_free(s);
    return ret;
}

long ipc_shmget(struct task *t, int32_t key, uint64_t size, int flags)
{
    if (key == IPC_PRIVATE)
        return shm_new(t, key, size, flags);
    pthread_mutex_lock(&g_shm.lock);
    struct shm_seg *s = find_key_locked(key);
    long r;
    if (!s) {
        pthread_mutex_unlock(&g_shm.lock);
        if (!(flags & IPC_CREAT))
            return -ENOENT;
        return shm_new(t, key, size, flags);
    }
    if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
        r = -EEXIST;
    else if (s->size < size)
        r = -EINVAL;
    else if (!ipc_perms_ok(&t->creds, &s->perm, flags & 0777))
        r = -EACCES;
    else
        r = s->perm.id;
    pthread_mutex_unlock(&g_shm.lock);
    return r;
}

/* ---- shmat / shmdt ---- */

long ipc_shmat(struct task *t, int shmid, uint64_t addr, int flags)
{
    if (shmid < 0)
        return -EINVAL;
    int mflags = MAP_SHARED;
    if (addr) {
        if (addr & (SHMLBA_X86 - 1)) {
            if (!(flags & SHM_RND))
                return -EINVAL;
            addr &= ~(SHMLBA_X86 - 1);
            if (!addr && (flags & SHM_REMAP))
                return -EINVAL;
        }
        /* Without SHM_REMAP an overlap with an existing mapping is EINVAL. */
        mflags |= (flags & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
    } else if (flags & SHM_REMAP) {
        return -EINVAL;
    }
    int prot, acc, max_prot = PROT_READ | PROT_EXEC;
    if (flags & SHM_RDONLY) {
        prot = PROT_READ;
        acc = IPC_R_UGO;
    } else {
        prot = PROT_READ | PROT_WRITE;
        acc = IPC_R_UGO | IPC_W_UGO;
        max_prot |= PROT_WRITE;
    }
    if (flags & SHM_EXEC) {
        prot |= PROT_EXEC;
        acc |= IPC_X_UGO;
    }

    pthread_mutex_lock(&g_shm.lock);
    struct shm_seg *s = find_id_locked(shmid);
    if (!s) {
        pthread_mutex_unlock(&g_shm.lock);
        return -EINVAL;
    }
    if (!ipc_perms_ok(&t->creds, &s->perm, acc)) {
        pthread_mutex_unlock(&g_shm.lock);
        return -EACCES;
    }
    /* Counted as attached while mapping, as Linux: a concurrent IPC_RMID
     * cannot destroy it under us. */
    seg_get_locked(s);
    s->nattch++;
    uint64_t size = s->size;
    pthread_mutex_unlock(&g_shm.lock);

    uint64_t out = 0;
    long r;
    if (addr && addr + size < addr)
        r = -EINVAL;
    else
        r = mm_mmap(t->mm, addr, size, prot, mflags, &s->mmf, 0, max_prot, &out);
    if (r == -EEXIST)
        r = -EINVAL;

    pthread_mutex_lock(&g_shm.lock);
    s->nattch--;
    if (s->nattch == 0 && (s->perm.mode & SHM_DEST_BIT))
        seg_unlist_locked(s);
    pthread_mutex_unlock(&g_shm.lock);
    seg_put(s);
    return r < 0 ? r : (long)out;
}

long ipc_shmdt(struct task *t, uint64_t addr)
{
    if (addr & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    return mm_detach_file(t->mm, addr, &g_shm_mmf_ops);
}

/* ---- shmctl ---- */

static void fill_ds(const struct shm_seg *s, struct shmid_ds_abi *ds)
{
    memset(ds, 0, sizeof(*ds));
    ipc_perm_to_abi(&s->perm, &ds->perm);
    ds->segsz = s->size;
    ds->atime = s->atime;
    ds->dtime = s->dtime;
    ds->ctime = s->ctime;
    ds->cpid = s->cpid;
    ds->lpid = s->lpid;
    ds->nattch = s->nattch;
}

/* Pages the segment's file holds now (shm_rss). */
static uint64_t seg_rss(struct shm_seg *s)
{
    struct vfs_attr a;
    if (vfs_file_getattr(s->file, &a) < 0 || a.blocks < 0)
        return 0;
    return (uint64_t)a.blocks * 512 / MM_PAGE_SIZE;
}

/* Takes a reference on every segment, into segs (IPC_SHMMNI entries): how
 * many. */
static int seg_get_all_locked(struct shm_seg **segs)
{
    int n = 0;
    for (int k = 0; k < g_shm.ids.max_slot; k++) {
        struct shm_seg *o = ipc_ids_at(&g_shm.ids, k);
        if (o) {
            segs[n++] = o;
            seg_get_locked(o);
        }
    }
    return n;
}

static long shm_info(struct task *t, int cmd, uint64_t buf)
{
    if (cmd == IPC_INFO) {
        struct shminfo_abi i = {
            .shmmax = IPC_SHMMAX,
            .shmmin = IPC_SHMMIN,
            .shmmni = IPC_SHMMNI,
            .shmseg = IPC_SHMSEG,
            .shmall = IPC_SHMALL,
        };
        int r = mm_copy_out(t->mm, buf, &i, sizeof(i));
        if (r < 0)
            return r;
        pthread_mutex_lock(&g_shm.lock);
        long idx = ipc_ids_max_idx(&g_shm.ids);
        pthread_mutex_unlock(&g_shm.lock);
        return idx;
    }
    /* SHM_INFO: rss is read from each file without g_shm.lock (it takes
     * the inode's lock); references keep the segments alive meanwhile. */
    struct shm_seg **segs = calloc(IPC_SHMMNI, sizeof(*segs));
    if (!segs)
        return -ENOMEM;
    struct shm_info_abi i = {0};
    pthread_mutex_lock(&g_shm.lock);
    int n = seg_get_all_locked(segs);
    i.used_ids = g_shm.ids.count;
    i.shm_tot = g_shm.tot_pages;
    long idx = ipc_ids_max_idx(&g_shm.ids);
    pthread_mutex_unlock(&g_shm.lock);
    for (int k = 0; k < n; k++) {
        i.shm_rss += seg_rss(segs[k]);
        seg_put(segs[k]);
    }
    free(segs);
    int r = mm_copy_out(t->mm, buf, &i, sizeof(i));
    return r < 0 ? r : idx;
}

long ipc_shmctl(struct task *t, int shmid, int cmd, uint64_t buf)
{
    cmd &= ~IPC_CMD_64;
    if (cmd < 0 || shmid < 0)
        return -EINVAL;
    const struct creds *c = &t->creds;
    struct shmid_ds_abi ds;
    long r = 0;
    switch (cmd) {
    case IPC_INFO:
    case SHM_INFO:
        return shm_info(t, cmd, buf);
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
        pthread_mutex_lock(&g_shm.lock);
        struct shm_seg *s = ipc_ids_stat(&g_shm.ids, c, cmd, shmid, cmd == SHM_STAT_ANY, &r);
        if (s)
            fill_ds(s, &ds);
        pthread_mutex_unlock(&g_shm.lock);
        if (r < 0)
            return r;
        int cr = mm_copy_out(t->mm, buf, &ds, sizeof(ds));
        return cr < 0 ? cr : r;
    }
    case IPC_SET:
        if ((r = mm_copy_in(t->mm, buf, &ds, sizeof(ds))) < 0)
            return r;
        /* fallthrough */
    case IPC_RMID: {
        pthread_mutex_lock(&g_shm.lock);
        struct shm_seg *s = ipc_ids_find_owned(&g_shm.ids, c, shmid, &r);
        if (s && cmd == IPC_SET) {
            ipc_perm_set(&s->perm, &ds.perm);
            s->ctime = ipc_now();
        } else if (s) {
            /* Marked for destruction: no key from now on (IPC_PRIVATE in
             * IPC_STAT), gone with the last detach. */
            s->perm.mode |= SHM_DEST_BIT;
            s->perm.key = IPC_PRIVATE;
            if (s->nattch == 0) {
                seg_get_locked(s); /* freed below, outside the lock */
                seg_unlist_locked(s);
                pthread_mutex_unlock(&g_shm.lock);
                seg_put(s);
                return 0;
            }
        }
        pthread_mutex_unlock(&g_shm.lock);
        return r;
    }
    case SHM_LOCK:
    case SHM_UNLOCK: {
        /* tmpfs-backed segments are never swapped here: as in Linux, the
         * calls only keep the SHM_LOCKED bit (after their checks). */
        pthread_mutex_lock(&g_shm.lock);
        struct shm_seg *s = find_id_locked(shmid);
        if (!s) {
            r = -EINVAL;
        } else if (!creds_capable(c, CREDS_CAP_IPC_LOCK)) {
            if (c->euid != s->perm.uid && c->euid != s->perm.cuid)
                r = -EPERM;
            else if (cmd == SHM_LOCK && t->tg->rlimits[RLIMIT_MEMLOCK].rlim_cur == 0)
                r = -EPERM;
            else if (cmd == SHM_LOCK && t->tg->rlimits[RLIMIT_MEMLOCK].rlim_cur != RLIM_INFINITY &&
                     seg_pages(s) > t->tg->rlimits[RLIMIT_MEMLOCK].rlim_cur / MM_PAGE_SIZE)
                r = -ENOMEM; /* user_shm_lock: over RLIMIT_MEMLOCK */
        }
        if (r == 0) {
            if (cmd == SHM_LOCK)
                s->perm.mode |= SHM_LOCKED_BIT;
            else
                s->perm.mode &= ~(uint32_t)SHM_LOCKED_BIT;
        }
        pthread_mutex_unlock(&g_shm.lock);
        return r;
    }
    default:
        return -EINVAL;
    }
}

void ipc_shm_proc(FILE *out)
{
    fprintf(out,
            "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  "
            "cuid  cgid      atime      dtime      ctime                   rss                  "
            "swap\n");
    struct shm_seg **segs = calloc(IPC_SHMMNI, sizeof(*segs));
    if (!segs)
        return;
    pthread_mutex_lock(&g_shm.lock);
    int n = seg_get_all_locked(segs);
    pthread_mutex_unlock(&g_shm.lock);
    for (int k = 0; k < n; k++) {
        struct shm_seg *s = segs[k];
        uint64_t rss = seg_rss(s);
        pthread_mutex_lock(&g_shm.lock);
        struct shmid_ds_abi ds;
        fill_ds(s, &ds);
        pthread_mutex_unlock(&g_shm.lock);
        fprintf(out,
                "%10d %10d  %4o %21llu %5d %5d  %5llu %5u %5u %5u %5u %10lld %10lld %10lld %21llu "
                "%21llu\n",
                ds.perm.key, s->perm.id, ds.perm.mode, (unsigned long long)ds.segsz, ds.cpid,
                ds.lpid, (unsigned long long)ds.nattch, ds.perm.uid, ds.perm.gid, ds.perm.cuid,
                ds.perm.cgid, (long long)ds.atime, (long long)ds.dtime, (long long)ds.ctime,
                (unsigned long long)(rss * MM_PAGE_SIZE), 0ull);
        seg_put(s);
    }
    free(segs);
}
