/* Address spaces: VMAs, demand paging, copy-on-write, copy_in/copy_out,
 * shared file mappings (struct mm_mappable).
 *
 * Lock order: mm->lock -> (file locks) -> memfile.lock (leaf);
 * mm->lock -> mappable.maps_lock (leaf). */
#include "sentry/mm/mm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Fault-around window for pages nobody has touched yet (must be a power of 2). */
#define FAULT_AROUND_PAGES 16ull

struct mm_shared {
    int refs;
    uint64_t npages;
    uint64_t *frames; /* frame offset + 1 (0 = absent) */
};

static struct mm_shared *shm_create(uint64_t npages)
{
    struct mm_shared *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->frames = calloc(npages ? npages : 1, sizeof(uint64_t));
    if (!s->frames) {
        free(s);
        return NULL;
    }
    s->refs = 1;
    s->npages = npages;
    return s;
}

static void shm_get(struct mm_shared *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

static void shm_put(struct mm_shared *s, struct memfile *mf)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (uint64_t i = 0; i < s->npages; i++)
        if (s->frames[i])
            memfile_put(mf, s->frames[i] - 1);
    free(s->frames);
    free(s);
}

int mm_create(struct memfile *mf, const struct platform_ops *pops, struct platform *p,
              struct mm **out)
{
    struct mm *mm = calloc(1, sizeof(*mm));
    if (!mm)
        return -ENOMEM;
    pthread_mutex_init(&mm->lock, NULL);
    mm->users = 1;
    mm->mf = mf;
    mm->pops = pops;
    pt_init(&mm->pt);
    mm->mmap_base = 0x7f0000000000ull;
    mm->platform = p;
    if (pops) {
        int r = pops->new_as(p, &mm->as);
        if (r < 0) {
            free(mm);
            return r;
        }
    }
    *out = mm;
    return 0;
}

void mm_get(struct mm *mm)
{
    __atomic_add_fetch(&mm->users, 1, __ATOMIC_RELAXED);
}

/* A reference unless the mm is already being torn down (users 0). */
static bool mm_tryget(struct mm *mm)
{
    int cur = __atomic_load_n(&mm->users, __ATOMIC_RELAXED);
    do {
        if (cur == 0)
            return false;
    } while (!__atomic_compare_exchange_n(&mm->users, &cur, cur + 1, true, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return true;
}

/* ---- shared file mappings: which address spaces map a mappable ---------- */

struct mm_mappable_user {
    struct mm *mm;  /* no reference: the mm removes itself when its VMAs go */
    uint64_t nvmas; /* VMAs of mm mapping it */
    struct mm_mappable_user *next;
};

void mm_mappable_init(struct mm_mappable *m, const struct mm_mappable_ops *ops)
{
    m->ops = ops;
    m->users = NULL;
    m->nmaps = 0;
    pthread_mutex_init(&m->maps_lock, NULL);
}

void mm_mappable_destroy(struct mm_mappable *m)
{
    for (struct mm_mappable_user *u = m->users, *n; u; u = n) {
        n = u->next;
        free(u);
    }
    m->users = NULL;
    pthread_mutex_destroy(&m->maps_lock);
}

bool mm_mappable_mapped(struct mm_mappable *m)
{
    pthread_mutex_lock(&m->maps_lock);
    bool r = m->nmaps != 0;
    pthread_mutex_unlock(&m->maps_lock);
    return r;
}

/* One more VMA of mm maps m (mm->lock held, or mm not yet visible). */
static int mappable_add(struct mm_mappable *m, struct mm *mm)
{
    pthread_mutex_lock(&m->maps_lock);
    struct mm_mappable_user *u = m->users;
    while (u && u->mm != mm)
        u = u->next;
    if (!u) {
        u = calloc(1, sizeof(*u));
        if (!u) {
            pthread_mutex_unlock(&m->maps_lock);
            return -ENOMEM;
        }
        u->mm = mm;
        u->next = m->users;
        m->users = u;
    }
    u->nvmas++;
    m->nmaps++;
    pthread_mutex_unlock(&m->maps_lock);
    return 0;
}

/* A VMA of mm mapping m goes; the last one anywhere tells the filesystem. */
static void mappable_remove(struct mm_mappable *m, struct mm *mm)
{
    pthread_mutex_lock(&m->maps_lock);
    struct mm_mappable_user **pp = &m->users;
    while (*pp && (*pp)->mm != mm)
        pp = &(*pp)->next;
    if (!*pp)
        abort(); /* unbalanced: a sentry bug */
    if (--(*pp)->nvmas == 0) {
        struct mm_mappable_user *u = *pp;
        *pp = u->next;
        free(u);
    }
    bool last = --m->nmaps == 0;
    pthread_mutex_unlock(&m->maps_lock);
    if (last && m->ops->unmapped)
        m->ops->unmapped(m);
}

/* A new VMA n copied from another maps n->file too: its reference and
 * the file's VMA count (vma_opened). */
static void vma_file_ref(struct vma *n)
{
    n->file->ops->get(n->file);
    if (n->file->ops->vma_opened)
        n->file->ops->vma_opened(n->file);
}

/* A copy of v for mm, not linked: with its own references (file, shared
 * memory) and counted among its mappable's mappers. NULL: no memory. */
static struct vma *vma_dup(struct mm *mm, const struct vma *v)
{
    struct vma *n = malloc(sizeof(*n));
    if (!n)
        return NULL;
    if (v->mappable && mappable_add(v->mappable, mm) < 0) {
        free(n);
        return NULL;
    }
    *n = *v;
    n->prev = n->next = NULL;
    if (n->file)
        vma_file_ref(n);
    if (n->shm)
        shm_get(n->shm);
    return n;
}

static void vma_free(struct mm *mm, struct vma *v)
{
    if (v->mappable)
        mappable_remove(v->mappable, mm);
    if (v->file) {
        if (v->file->ops->vma_closed)
            v->file->ops->vma_closed(v->file);
        v->file->ops->put(v->file);
    }
    if (v->shm)
        shm_put(v->shm, mm->mf);
    free(v);
}

static void drop_entry(uint64_t vaddr, uint64_t *e, void *arg)
{
    struct mm *mm = arg;
    memfile_put(mm->mf, *e & PT_FRAME_MASK);
    *e = 0;
    mm->rss_pages--;
}

void mm_put(struct mm *mm)
{
    if (__atomic_sub_fetch(&mm->users, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    pt_range(&mm->pt, 0, MM_TASK_SIZE, drop_entry, mm);
    pt_destroy(&mm->pt);
    for (struct vma *v = mm->vmas, *n; v; v = n) {
        n = v->next;
        vma_free(mm, v);
    }
    if (mm->as)
        mm->pops->as_release(mm->as);
    pthread_mutex_destroy(&mm->lock);
    free(mm);
}

/* ---- VMA list ---------------------------------------------------------- */

/* First VMA with end > addr, or NULL. */
static struct vma *vma_find(struct mm *mm, uint64_t addr)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->end > addr)
            return v;
    return NULL;
}

static void vma_link_after(struct mm *mm, struct vma *prev, struct vma *v)
{
    v->prev = prev;
    if (prev) {
        v->next = prev->next;
        prev->next = v;
    } else {
        v->next = mm->vmas;
        mm->vmas = v;
    }
    if (v->next)
        v->next->prev = v;
}

static void vma_insert(struct mm *mm, struct vma *v)
{
    struct vma *prev = NULL;
    for (struct vma *c = mm->vmas; c && c->start < v->start; c = c->next)
        prev = c;
    vma_link_after(mm, prev, v);
}

static void vma_unlink(struct mm *mm, struct vma *v)
{
    if (v->prev)
        v->prev->next = v->next;
    else
        mm->vmas = v->next;
    if (v->next)
        v->next->prev = v->prev;
    v->prev = v->next = NULL;
}

/* Splits v at addr (start < addr < end); the new upper half follows v. */
static int vma_split(struct mm *mm, struct vma *v, uint64_t addr)
{
    struct vma *n = vma_dup(mm, v);
    if (!n)
        return -ENOMEM;
    n->start = addr;
    if (n->file)
        n->file_off += addr - v->start;
    if (n->shm)
        n->shm_off += addr - v->start;
    v->end = addr;
    vma_link_after(mm, v, n);
    return 0;
}

/* Makes VMA boundaries fall on start and end. */
static int vma_isolate(struct mm *mm, uint64_t start, uint64_t end)
{
    for (struct vma *v = vma_find(mm, start); v && v->start < end; v = v->next) {
        if (v->start < start && v->end > start) {
            int r = vma_split(mm, v, start);
            if (r < 0)
                return r;
            continue; /* the next iteration sees the upper half */
        }
        if (v->start < end && v->end > end) {
            int r = vma_split(mm, v, end);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
    struct vma *v = vma_find(mm, start);
    return !v || v->start >= end;
}

/* Top-down search for a free range of len bytes below mm->mmap_base. */
static uint64_t find_gap(struct mm *mm, uint64_t len)
{
    uint64_t top = mm->mmap_base;
    /* Walk VMAs from the highest down. */
    struct vma *last = mm->vmas;
    while (last && last->next)
        last = last->next;
    for (struct vma *v = last; v; v = v->prev) {
        if (v->start >= top)
            continue;
        if (v->end <= top && top - v->end >= len)
            return top - len;
        if (v->start < top)
            top = v->start;
    }
    if (top >= MM_MMAP_MIN_ADDR + len)
        return top - len;
    return 0;
}

/* ---- page population --------------------------------------------------- */

static void platform_unmap(struct mm *mm, uint64_t start, uint64_t end)
{
    if (mm->as && start < end)
        mm->pops->as_unmap(mm->as, start, end - start);
}

/* Fills frame(s) at off with file contents for a file-backed private VMA. */
static int fill_from_file(struct mm *mm, struct vma *v, uint64_t vaddr, uint64_t off, uint64_t len)
{
    uint64_t foff = v->file_off + (vaddr - v->start);
    uint8_t *dst = memfile_ptr(mm->mf, off);
    uint64_t done = 0;
    while (done < len) {
        ssize_t r = v->file->ops->read(v->file, dst + done, len - done, foff + done);
        if (r < 0)
            return (int)r;
        if (r == 0)
            break; /* past EOF: the rest stays zero */
        done += (uint64_t)r;
    }
    return 0;
}

/* Ensures the page at vaddr (inside v) is present; with write, gives it a
 * frame the mm may write (copy-on-write break). *changed is set when the
 * entry changed (the platform mapping must be refreshed). */
static int populate(struct mm *mm, struct vma *v, uint64_t vaddr, bool write, bool *changed)
{
    uint64_t e = pt_get(&mm->pt, vaddr);
    if (e & PT_PRESENT) {
        if (!write || (v->flags & VMA_SHARED))
            return 0;
        uint64_t old = e & PT_FRAME_MASK;
        if (memfile_refs(mm->mf, old) == 1)
            return 0;
        int64_t nf = memfile_alloc(mm->mf, 1);
        if (nf < 0)
            return (int)nf;
        memcpy(memfile_ptr(mm->mf, (uint64_t)nf), memfile_ptr(mm->mf, old), MM_PAGE_SIZE);
        pt_set(&mm->pt, vaddr, (uint64_t)nf | PT_PRESENT);
        memfile_put(mm->mf, old);
        *changed = true;
        return 0;
    }
    if (v->mappable) {
        /* A shared file mapping maps the file's own frame (past the end of
         * the file, or with no room for it: SIGBUS). */
        uint64_t pg = (v->file_off + (vaddr - v->start)) / MM_PAGE_SIZE;
        uint64_t f;
        int r = v->mappable->ops->translate(v->mappable, pg, (v->prot & PROT_WRITE) != 0, &f);
        if (r == -ENOSPC)
            r = -EIO;
        if (r < 0)
            return r;
        r = pt_set(&mm->pt, vaddr, f | PT_PRESENT);
        if (r < 0) {
            memfile_put(mm->mf, f);
            return r;
        }
        mm->rss_pages++;
        *changed = true;
        return 0;
    }
    if (v->shm) {
        uint64_t idx = (v->shm_off + (vaddr - v->start)) / MM_PAGE_SIZE;
        if (idx >= v->shm->npages)
            return -EFAULT; /* beyond the object: SIGBUS in Linux */
        if (!v->shm->frames[idx]) {
            int64_t nf = memfile_alloc(mm->mf, 1);
            if (nf < 0)
                return (int)nf;
            v->shm->frames[idx] = (uint64_t)nf + 1;
        }
        uint64_t f = v->shm->frames[idx] - 1;
        memfile_get(mm->mf, f);
        int r = pt_set(&mm->pt, vaddr, f | PT_PRESENT);
        if (r < 0) {
            memfile_put(mm->mf, f);
            return r;
        }
        mm->rss_pages++;
        *changed = true;
        return 0;
    }
    /* A file page wholly past the end of the file: SIGBUS. */
    uint64_t file_limit = UINT64_MAX; /* first vaddr past the file's last page */
    if (v->file && v->file->ops->size) {
        int64_t fsz = v->file->ops->size(v->file);
        if (fsz >= 0) {
            uint64_t pages_end = MM_PAGE_ROUND_UP((uint64_t)fsz);
            if (v->file_off + (vaddr - v->start) >= pages_end)
                return -EIO;
            if (pages_end > v->file_off)
                file_limit = v->start + (pages_end - v->file_off);
            else
                file_limit = v->start;
        }
    }
    /* Private: fault around when the whole aligned window is untouched. */
    uint64_t wlen = FAULT_AROUND_PAGES * MM_PAGE_SIZE;
    uint64_t wstart = vaddr & ~(wlen - 1), wend = wstart + wlen;
    uint64_t n = 1, first = vaddr;
    if (wstart >= v->start && wend <= v->end && wend <= file_limit) {
        bool empty = true;
        for (uint64_t a = wstart; a < wend && empty; a += MM_PAGE_SIZE)
            if (pt_get(&mm->pt, a) & PT_PRESENT)
                empty = false;
        if (empty) {
            n = FAULT_AROUND_PAGES;
            first = wstart;
        }
    }
    int64_t nf = memfile_alloc(mm->mf, n);
    if (nf < 0 && n > 1) {
        n = 1;
        first = vaddr;
        nf = memfile_alloc(mm->mf, 1);
    }
    if (nf < 0)
        return (int)nf;
    if (v->file) {
        int r = fill_from_file(mm, v, first, (uint64_t)nf, n * MM_PAGE_SIZE);
        if (r < 0) {
            for (uint64_t i = 0; i < n; i++)
                memfile_put(mm->mf, (uint64_t)nf + i * MM_PAGE_SIZE);
            return r;
        }
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t f = (uint64_t)nf + i * MM_PAGE_SIZE;
        int r = pt_set(&mm->pt, first + i * MM_PAGE_SIZE, f | PT_PRESENT);
        if (r < 0) {
            for (uint64_t j = i; j < n; j++)
                memfile_put(mm->mf, (uint64_t)nf + j * MM_PAGE_SIZE);
            return r;
        }
        mm->rss_pages++;
    }
    *changed = true;
    return 0;
}

/* Protection the platform may grant for a present page. */
static int page_prot(struct mm *mm, struct vma *v, uint64_t e)
{
    int prot = v->prot;
    if ((prot & PROT_WRITE) && !(v->flags & VMA_SHARED) &&
        memfile_refs(mm->mf, e & PT_FRAME_MASK) > 1)
        prot &= ~PROT_WRITE;
    return prot;
}

/* Maps present pages of [start, end) inside v into the platform, merging
 * runs of contiguous frames with the same protection. */
static int platform_map_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
    if (!mm->as)
        return 0;
    uint64_t run_va = 0, run_off = 0, run_len = 0;
    int run_prot = 0;
    for (uint64_t a = start; a < end; a += MM_PAGE_SIZE) {
        uint64_t e = pt_get(&mm->pt, a);
        if (!(e & PT_PRESENT)) {
            if (run_len) {
                int r = mm->pops->as_map(mm->as, run_va, run_len, run_off, run_prot);
                if (r < 0)
                    return r;
                run_len = 0;
            }
            continue;
        }
        uint64_t off = e & PT_FRAME_MASK;
        int prot = page_prot(mm, v, e);
        if (run_len && off == run_off + run_len && prot == run_prot) {
            run_len += MM_PAGE_SIZE;
            continue;
        }
        if (run_len) {
            int r = mm->pops->as_map(mm->as, run_va, run_len, run_off, run_prot);
            if (r < 0)
                return r;
        }
        run_va = a;
        run_off = off;
        run_len = MM_PAGE_SIZE;
        run_prot = prot;
    }
    if (run_len)
        return mm->pops->as_map(mm->as, run_va, run_len, run_off, run_prot);
    return 0;
}

static bool prot_allows(int prot, unsigned access)
{
    if ((access & PLATFORM_ACCESS_WRITE) && !(prot & PROT_WRITE))
        return false;
    if ((access & PLATFORM_ACCESS_EXEC) && !(prot & PROT_EXEC))
        return false;
    if (!(access & (PLATFORM_ACCESS_WRITE | PLATFORM_ACCESS_EXEC)) &&
        !(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
        return false;
    return true;
}

int mm_fault(struct mm *mm, uint64_t addr, unsigned access)
{
    pthread_mutex_lock(&mm->lock);
    uint64_t page = MM_PAGE_ROUND_DOWN(addr);
    struct vma *v = vma_find(mm, addr);
    int r;
    if (!v || v->start > addr) {
        r = -EFAULT;
        goto out;
    }
    if (!prot_allows(v->prot, access)) {
        r = -EACCES;
        goto out;
    }
    /* Write faults break copy-on-write; an unknown access that hits a
     * present read-only-mapped page of a writable VMA is a write too. */
    bool write = (access & PLATFORM_ACCESS_WRITE) != 0;
    uint64_t e = pt_get(&mm->pt, page);
    if (!write && (e & PT_PRESENT) && (v->prot & PROT_WRITE) && !(page_prot(mm, v, e) & PROT_WRITE))
        write = true;
    bool changed = false;
    r = populate(mm, v, page, write, &changed);
    if (r < 0)
        goto out;
    /* Map the page and its fault-around neighbours. */
    uint64_t wlen = FAULT_AROUND_PAGES * MM_PAGE_SIZE;
    uint64_t ws = page & ~(wlen - 1), we = ws + wlen;
    if (ws < v->start)
        ws = v->start;
    if (we > v->end)
        we = v->end;
    r = platform_map_range(mm, v, ws, we);
out:
    pthread_mutex_unlock(&mm->lock);
    return r;
}

/* ---- copy_in / copy_out ------------------------------------------------- */

enum copy_dir { COPY_IN, COPY_OUT, COPY_ZERO };

static int copy_locked(struct mm *mm, uint64_t addr, void *buf, size_t len, enum copy_dir dir)
{
    if (addr + len < addr || addr + len > MM_TASK_SIZE)
        return -EFAULT;
    uint8_t *p = buf;
    struct vma *v = NULL;
    while (len > 0) {
        if (!v || addr >= v->end)
            v = vma_find(mm, addr);
        if (!v || v->start > addr)
            return -EFAULT;
        bool write = dir != COPY_IN;
        if (!prot_allows(v->prot, write ? PLATFORM_ACCESS_WRITE : PLATFORM_ACCESS_READ))
            return -EFAULT;
        uint64_t page = MM_PAGE_ROUND_DOWN(addr);
        bool changed = false;
        int r = populate(mm, v, page, write, &changed);
        if (r < 0)
            return r == -ENOMEM ? -ENOMEM : -EFAULT;
        if (changed && write) {
            /* A copy-on-write break moved the page: the platform must not
             * keep showing the old frame. */
            uint64_t e = pt_get(&mm->pt, page);
            if (mm->as)
                mm->pops->as_map(mm->as, page, MM_PAGE_SIZE, e & PT_FRAME_MASK,
                                 page_prot(mm, v, e));
        }
        uint64_t e = pt_get(&mm->pt, page);
        size_t in_page = MM_PAGE_SIZE - (addr - page);
        size_t n = len < in_page ? len : in_page;
        uint8_t *m = (uint8_t *)memfile_ptr(mm->mf, e & PT_FRAME_MASK) + (addr - page);
        if (dir == COPY_IN)
            memcpy(p, m, n);
        else if (dir == COPY_OUT)
            memcpy(m, p, n);
        else
            memset(m, 0, n);
        if (p)
            p += n;
        addr += n;
        len -= n;
    }
    return 0;
}

int mm_copy_in(struct mm *mm, uint64_t addr, void *buf, size_t len)
{
    pthread_mutex_lock(&mm->lock);
    int r = copy_locked(mm, addr, buf, len, COPY_IN);
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_copy_out(struct mm *mm, uint64_t addr, const void *buf, size_t len)
{
    pthread_mutex_lock(&mm->lock);
    int r = copy_locked(mm, addr, (void *)buf, len, COPY_OUT);
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_zero_out(struct mm *mm, uint64_t addr, size_t len)
{
    pthread_mutex_lock(&mm->lock);
    int r = copy_locked(mm, addr, NULL, len, COPY_ZERO);
    pthread_mutex_unlock(&mm->lock);
    return r;
}

ssize_t mm_copy_in_string(struct mm *mm, uint64_t addr, char *buf, size_t max)
{
    size_t got = 0;
    pthread_mutex_lock(&mm->lock);
    while (got < max) {
        size_t in_page = MM_PAGE_SIZE - ((addr + got) & (MM_PAGE_SIZE - 1));
        size_t n = max - got < in_page ? max - got : in_page;
        int r = copy_locked(mm, addr + got, buf + got, n, COPY_IN);
        if (r < 0) {
            pthread_mutex_unlock(&mm->lock);
            return r;
        }
        void *z = memchr(buf + got, 0, n);
        if (z) {
            pthread_mutex_unlock(&mm->lock);
            return (char *)z - buf;
        }
        got += n;
    }
    pthread_mutex_unlock(&mm->lock);
    return -ENAMETOOLONG;
}

/* ---- mmap / munmap / mprotect / brk / mremap / madvise ----------------- */

/* Removes every mapping in [start, end). Caller holds the lock. */
static int unmap_locked(struct mm *mm, uint64_t start, uint64_t end)
{
    int r = vma_isolate(mm, start, end);
    if (r < 0)
        return r;
    for (struct vma *v = vma_find(mm, start), *n; v && v->start < end; v = n) {
        n = v->next;
        vma_unlink(mm, v);
        vma_free(mm, v);
    }
    pt_range(&mm->pt, start, end, drop_entry, mm);
    platform_unmap(mm, start, end);
    return 0;
}

int mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct mm_file *file,
            uint64_t off, int max_prot, uint64_t *out)
{
    if (len == 0)
        return -EINVAL;
    if (off & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    int type = flags & MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && (addr & (MM_PAGE_SIZE - 1)))
        return -EINVAL;
    uint64_t alen = MM_PAGE_ROUND_UP(len);
    if (alen < len || alen > MM_TASK_SIZE)
        return -ENOMEM;
    if (off + alen < off)
        return -EOVERFLOW;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
        return -EINVAL;
    struct mm_mappable *m = NULL;
    if (file && type != MAP_PRIVATE) {
        m = file->ops->mappable ? file->ops->mappable(file) : NULL;
        if (!m)
            return -ENODEV; /* the file has no pages to share */
    }
    pthread_mutex_lock(&mm->lock);
    int r = 0;
    uint64_t start;
    if (fixed) {
        start = addr;
        if (start < MM_MMAP_MIN_ADDR || start + alen > MM_TASK_SIZE || start + alen < start) {
            r = (flags & MAP_FIXED_NOREPLACE) ? -EEXIST : -ENOMEM;
            if (start < MM_MMAP_MIN_ADDR)
                r = -EPERM;
            goto out;
        }
        if (!range_free(mm, start, start + alen)) {
            if (flags & MAP_FIXED_NOREPLACE) {
                r = -EEXIST;
                goto out;
            }
            r = unmap_locked(mm, start, start + alen);
            if (r < 0)
                goto out;
        }
    } else {
        addr = MM_PAGE_ROUND_DOWN(addr);
        if (addr >= MM_MMAP_MIN_ADDR && addr + alen <= MM_TASK_SIZE && addr + alen > addr &&
            range_free(mm, addr, addr + alen)) {
            start = addr;
        } else {
            start = find_gap(mm, alen);
            if (!start) {
                r = -ENOMEM;
                goto out;
            }
        }
    }
    struct vma *v = calloc(1, sizeof(*v));
    if (!v) {
        r = -ENOMEM;
        goto out;
    }
    v->start = start;
    v->end = start + alen;
    v->prot = prot;
    v->max_prot = max_prot ? max_prot : (PROT_READ | PROT_WRITE | PROT_EXEC);
    v->flags = type == MAP_PRIVATE ? 0 : VMA_SHARED;
    if (flags & MAP_GROWSDOWN)
        v->flags |= VMA_GROWSDOWN;
    if (m) {
        if (mappable_add(m, mm) < 0) {
            free(v);
            r = -ENOMEM;
            goto out;
        }
        v->mappable = m;
    }
    if (file) {
        v->file = file;
        v->file_off = off;
        vma_file_ref(v);
    } else if (type != MAP_PRIVATE) {
        v->shm = shm_create(alen / MM_PAGE_SIZE);
        if (!v->shm) {
            free(v);
            r = -ENOMEM;
            goto out;
        }
    }
    vma_insert(mm, v);
    *out = start;
out:
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
    if ((addr & (MM_PAGE_SIZE - 1)) || len == 0)
        return -EINVAL;
    uint64_t alen = MM_PAGE_ROUND_UP(len);
    if (addr + alen < addr || addr + alen > MM_TASK_SIZE)
        return -EINVAL;
    pthread_mutex_lock(&mm->lock);
    int r = unmap_locked(mm, addr, addr + alen);
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
    if (addr & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    uint64_t alen = MM_PAGE_ROUND_UP(len);
    if (addr + alen < addr)
        return -ENOMEM;
    if (alen == 0)
        return 0;
    uint64_t end = addr + alen;
    pthread_mutex_lock(&mm->lock);
    int r = 0;
    /* The whole range must be mapped, and the new protection allowed. */
    uint64_t at = addr;
    for (struct vma *v = vma_find(mm, addr); at < end; v = v->next) {
        if (!v || v->start > at) {
            r = -ENOMEM;
            goto out;
        }
        if (prot & ~v->max_prot) {
            r = -EACCES;
            goto out;
        }
        at = v->end;
    }
    r = vma_isolate(mm, addr, end);
    if (r < 0)
        goto out;
    for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = v->next) {
        /* A shared file page gaining write must be translated again, so the
         * file learns the mapping may dirty it (gofer write-back). */
        if (v->mappable && (prot & PROT_WRITE) && !(v->prot & PROT_WRITE))
            pt_range(&mm->pt, v->start, v->end, drop_entry, mm);
        v->prot = prot;
    }
    /* Drop the platform's view; faults remap with the new protection. */
    platform_unmap(mm, addr, end);
out:
    pthread_mutex_unlock(&mm->lock);
    return r;
}

void mm_set_brk_start(struct mm *mm, uint64_t brk_start)
{
    pthread_mutex_lock(&mm->lock);
    mm->brk_start = mm->brk = brk_start;
    pthread_mutex_unlock(&mm->lock);
}

uint64_t mm_brk(struct mm *mm, uint64_t addr)
{
    pthread_mutex_lock(&mm->lock);
    uint64_t old = mm->brk;
    if (addr < mm->brk_start || addr > MM_TASK_SIZE)
        goto out;
    uint64_t old_end = MM_PAGE_ROUND_UP(old), new_end = MM_PAGE_ROUND_UP(addr);
    if (new_end > old_end) {
        if (!range_free(mm, old_end, new_end))
            goto out;
        /* Extend the heap VMA or make it. */
        struct vma *h = NULL;
        for (struct vma *v = mm->vmas; v; v = v->next)
            if ((v->flags & VMA_HEAP) && v->end == old_end)
                h = v;
        if (h) {
            h->end = new_end;
        } else {
            struct vma *v = calloc(1, sizeof(*v));
            if (!v)
                goto out;
            v->start = old_end;
            v->end = new_end;
            v->prot = v->max_prot = PROT_READ | PROT_WRITE | PROT_EXEC;
            v->prot = PROT_READ | PROT_WRITE;
            v->flags = VMA_HEAP;
            vma_insert(mm, v);
        }
    } else if (new_end < old_end) {
        if (unmap_locked(mm, new_end, old_end) < 0)
            goto out;
    }
    mm->brk = addr;
out:;
    uint64_t cur = mm->brk;
    pthread_mutex_unlock(&mm->lock);
    return cur;
}

/* Moves page-table entries of [old, old+len) to new (no overlap). */
struct move_arg {
    struct mm *mm;
    uint64_t delta_neg, delta_pos;
    int err;
};

static void move_entry(uint64_t vaddr, uint64_t *e, void *arg)
{
    struct move_arg *m = arg;
    uint64_t to = vaddr - m->delta_neg + m->delta_pos;
    if (pt_set(&m->mm->pt, to, *e) < 0) {
        m->err = -ENOMEM;
        return;
    }
    *e = 0;
}

/* mremap with old_len 0: a second mapping of the same pages of a shared
 * mapping (v, which should contain old_addr) at new_addr or anywhere. */
static int dup_shared_locked(struct mm *mm, struct vma *v, uint64_t old_addr, uint64_t nlen,
                             int flags, uint64_t new_addr, uint64_t *out)
{
    if (!v || v->start > old_addr || !(v->flags & VMA_SHARED))
        return -EINVAL;
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    uint64_t off = old_addr - v->start;
    if (v->shm && (v->shm_off + off + nlen) / MM_PAGE_SIZE > v->shm->npages)
        return -EINVAL; /* past the shared object (SIGBUS territory in Linux) */
    struct vma *n = vma_dup(mm, v);
    if (!n)
        return -ENOMEM;
    n->flags &= ~(VMA_STACK | VMA_HEAP | VMA_GROWSDOWN);
    n->file_off += off;
    n->shm_off += off;
    int r = 0;
    if (flags & MREMAP_FIXED) {
        r = unmap_locked(mm, new_addr, new_addr + nlen);
    } else {
        new_addr = find_gap(mm, nlen);
        if (!new_addr)
            r = -ENOMEM;
    }
    if (r < 0) {
        vma_free(mm, n);
        return r;
    }
    n->start = new_addr;
    n->end = new_addr + nlen;
    vma_insert(mm, n);
    *out = new_addr;
    return 0;
}

int mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
              uint64_t new_addr, uint64_t *out)
{
    if (old_addr & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if (flags & MREMAP_DONTUNMAP)
        return -EINVAL; /* not supported (PARTIAL in the syscall table) */
    old_len = MM_PAGE_ROUND_UP(old_len);
    uint64_t nlen = MM_PAGE_ROUND_UP(new_len);
    if (nlen == 0 || nlen < new_len)
        return -EINVAL;
    pthread_mutex_lock(&mm->lock);
    int r = 0;
    struct vma *v = vma_find(mm, old_addr);
    if (!v || v->start > old_addr || v->end < old_addr + old_len) {
        r = -EFAULT;
        goto out;
    }
    if (flags & MREMAP_FIXED) {
        if ((new_addr & (MM_PAGE_SIZE - 1)) || new_addr + nlen > MM_TASK_SIZE ||
            new_addr < MM_MMAP_MIN_ADDR) {
            r = -EINVAL;
            goto out;
        }
        if (new_addr < old_addr + old_len && old_addr < new_addr + nlen) {
            r = -EINVAL;
            goto out;
        }
    }
    if (old_len == 0) {
        r = dup_shared_locked(mm, v, old_addr, nlen, flags, new_addr, out);
        goto out;
    }
    if (!(flags & MREMAP_FIXED)) {
        if (nlen <= old_len) {
            if (nlen < old_len)
                r = unmap_locked(mm, old_addr + nlen, old_addr + old_len);
            *out = old_addr;
            goto out;
        }
        /* Grow in place if the VMA ends here and the space after is free. */
        if (v->end == old_addr + old_len && range_free(mm, v->end, old_addr + nlen) &&
            old_addr + nlen <= MM_TASK_SIZE) {
            if (v->shm) {
                uint64_t need = (v->shm_off + (old_addr + nlen - v->start)) / MM_PAGE_SIZE;
                if (need > v->shm->npages) {
                    uint64_t *nf = realloc(v->shm->frames, need * sizeof(uint64_t));
                    if (!nf) {
                        r = -ENOMEM;
                        goto out;
                    }
                    memset(nf + v->shm->npages, 0, (need - v->shm->npages) * sizeof(uint64_t));
                    v->shm->frames = nf;
                    v->shm->npages = need;
                }
            }
            v->end = old_addr + nlen;
            *out = old_addr;
            goto out;
        }
        if (!(flags & MREMAP_MAYMOVE)) {
            r = -ENOMEM;
            goto out;
        }
        new_addr = find_gap(mm, nlen);
        if (!new_addr) {
            r = -ENOMEM;
            goto out;
        }
    } else {
        r = unmap_locked(mm, new_addr, new_addr + nlen);
        if (r < 0)
            goto out;
    }
    /* Move: isolate the old range into its own VMA, relink it at new_addr. */
    r = vma_isolate(mm, old_addr, old_addr + old_len);
    if (r < 0)
        goto out;
    v = vma_find(mm, old_addr);
    uint64_t keep = nlen < old_len ? nlen : old_len;
    if (keep < old_len) {
        r = unmap_locked(mm, old_addr + keep, old_addr + old_len);
        if (r < 0)
            goto out;
        v = vma_find(mm, old_addr);
    }
    struct move_arg m = {mm, old_addr, new_addr, 0};
    pt_range(&mm->pt, old_addr, old_addr + keep, move_entry, &m);
    platform_unmap(mm, old_addr, old_addr + keep);
    vma_unlink(mm, v);
    v->start = new_addr;
    v->end = new_addr + nlen;
    if (v->shm && (v->shm_off + nlen) / MM_PAGE_SIZE > v->shm->npages) {
        uint64_t need = (v->shm_off + nlen) / MM_PAGE_SIZE;
        uint64_t *nf = realloc(v->shm->frames, need * sizeof(uint64_t));
        if (nf) {
            memset(nf + v->shm->npages, 0, (need - v->shm->npages) * sizeof(uint64_t));
            v->shm->frames = nf;
            v->shm->npages = need;
        }
    }
    vma_insert(mm, v);
    r = m.err;
    *out = new_addr;
out:
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
    if (addr & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    uint64_t alen = MM_PAGE_ROUND_UP(len);
    if (addr + alen < addr)
        return -EINVAL;
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_COLD:
    case MADV_PAGEOUT:
        return 0; /* hints */
    case MADV_DONTNEED:
    case MADV_FREE:
        break;
    default:
        return -EINVAL;
    }
    if (alen == 0)
        return 0;
    pthread_mutex_lock(&mm->lock);
    int r = 0;
    uint64_t at = addr;
    for (struct vma *v = vma_find(mm, addr); at < addr + alen; v = v->next) {
        if (!v || v->start > at) {
            r = -ENOMEM;
            break;
        }
        at = v->end;
    }
    if (r == 0) {
        /* Private pages read back as zero (or the file); shared pages keep
         * their data in the shared object. */
        pt_range(&mm->pt, addr, addr + alen, drop_entry, mm);
        platform_unmap(mm, addr, addr + alen);
    }
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
    if (addr & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE))
        return -EINVAL;
    if ((flags & MS_ASYNC) && (flags & MS_SYNC))
        return -EINVAL;
    uint64_t alen = MM_PAGE_ROUND_UP(len);
    uint64_t end = addr + alen;
    if (end < addr)
        return -ENOMEM;
    if (alen == 0)
        return 0;
    pthread_mutex_lock(&mm->lock);
    int unmapped = 0, err = 0;
    uint64_t at = addr;
    for (struct vma *v = vma_find(mm, addr); v && v->start < end && at < end; v = v->next) {
        if (v->start > at)
            unmapped = -ENOMEM; /* a hole: Linux syncs the rest and says ENOMEM */
        uint64_t lo = v->start > addr ? v->start : addr, hi = v->end < end ? v->end : end;
        at = v->end;
        /* MS_INVALIDATE: a shared mapping already shows the file's pages;
         * nothing is mlocked (EBUSY in Linux). MS_ASYNC writes back too
         * (the gofer has no flusher to leave it to). */
        if (!v->mappable || !v->mappable->ops->writeback)
            continue;
        uint64_t first = (v->file_off + (lo - v->start)) / MM_PAGE_SIZE;
        uint64_t last = (v->file_off + (hi - v->start)) / MM_PAGE_SIZE;
        int r = v->mappable->ops->writeback(v->mappable, first, last, (flags & MS_SYNC) != 0);
        if (r < 0 && !err)
            err = r;
    }
    if (at < end)
        unmapped = -ENOMEM;
    pthread_mutex_unlock(&mm->lock);
    return unmapped ? unmapped : err;
}

void mm_mappable_invalidate(struct mm_mappable *m, uint64_t first, uint64_t last)
{
    if (first >= last)
        return;
    /* Take references on the mms under maps_lock, then visit each under
     * its own lock (maps_lock nests inside mm->lock, never around it). A
     * mapping made after the snapshot translates pages after the caller's
     * change, so it needs no visit. */
    pthread_mutex_lock(&m->maps_lock);
    size_t n = 0;
    for (struct mm_mappable_user *u = m->users; u; u = u->next)
        n++;
    struct mm **mms = calloc(n ? n : 1, sizeof(*mms));
    size_t k = 0;
    if (mms)
        for (struct mm_mappable_user *u = m->users; u; u = u->next)
            if (mm_tryget(u->mm))
                mms[k++] = u->mm;
    pthread_mutex_unlock(&m->maps_lock);
    if (!mms)
        abort(); /* stale pages left mapped would break the file's contents */
    for (size_t i = 0; i < k; i++) {
        struct mm *mm = mms[i];
        pthread_mutex_lock(&mm->lock);
        for (struct vma *v = mm->vmas; v; v = v->next) {
            if (v->mappable != m)
                continue;
            uint64_t vfirst = v->file_off / MM_PAGE_SIZE;
            uint64_t vlast = vfirst + (v->end - v->start) / MM_PAGE_SIZE;
            uint64_t lo = first > vfirst ? first : vfirst, hi = last < vlast ? last : vlast;
            if (lo >= hi)
                continue;
            uint64_t s = v->start + (lo - vfirst) * MM_PAGE_SIZE;
            uint64_t e = v->start + (hi - vfirst) * MM_PAGE_SIZE;
            pt_range(&mm->pt, s, e, drop_entry, mm);
            platform_unmap(mm, s, e);
        }
        pthread_mutex_unlock(&mm->lock);
        mm_put(mm);
    }
    free(mms);
}

struct maps_entry {
    uint64_t start, end, file_off;
    int prot;
    unsigned flags;
    struct mm_file *file; /* a reference */
};

char *mm_maps_text(struct mm *mm, const void *root)
{
    /* Copy the VMAs (with references on their files) under mm->lock; the
     * files are named after it is dropped, since naming takes VFS locks
     * that come before mm->lock (docs/locking.md). */
    pthread_mutex_lock(&mm->lock);
    size_t n = 0;
    for (struct vma *v = mm->vmas; v; v = v->next)
        n++;
    struct maps_entry *ents = calloc(n ? n : 1, sizeof(*ents));
    if (!ents) {
        pthread_mutex_unlock(&mm->lock);
        return NULL;
    }
    size_t i = 0;
    for (struct vma *v = mm->vmas; v; v = v->next, i++) {
        ents[i] = (struct maps_entry){v->start, v->end, v->file_off, v->prot, v->flags, NULL};
        if (v->file && v->file->ops->name) {
            v->file->ops->get(v->file);
            ents[i].file = v->file;
        }
    }
    pthread_mutex_unlock(&mm->lock);

    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    char *name = malloc(4096);
    for (i = 0; i < n; i++) {
        struct maps_entry *e = &ents[i];
        if (f && name) {
            name[0] = '\0';
            if (e->file)
                e->file->ops->name(e->file, root, name, 4096);
            else if (e->flags & VMA_HEAP)
                snprintf(name, 4096, "[heap]");
            else if (e->flags & VMA_STACK)
                snprintf(name, 4096, "[stack]");
            fprintf(f, "%08llx-%08llx %c%c%c%c %08llx 00:00 0 %s%s\n", (unsigned long long)e->start,
                    (unsigned long long)e->end, e->prot & PROT_READ ? 'r' : '-',
                    e->prot & PROT_WRITE ? 'w' : '-', e->prot & PROT_EXEC ? 'x' : '-',
                    e->flags & VMA_SHARED ? 's' : 'p', (unsigned long long)e->file_off,
                    name[0] ? "                          " : "", name);
        }
        if (e->file)
            e->file->ops->put(e->file);
    }
    free(ents);
    if (!f) {
        free(name);
        return NULL;
    }
    fclose(f);
    if (!name) {
        free(buf);
        return NULL;
    }
    free(name);
    return buf;
}

void mm_usage(struct mm *mm, uint64_t *vm_size, uint64_t *rss)
{
    pthread_mutex_lock(&mm->lock);
    uint64_t s = 0;
    for (struct vma *v = mm->vmas; v; v = v->next)
        s += v->end - v->start;
    *vm_size = s;
    *rss = mm->rss_pages * MM_PAGE_SIZE;
    pthread_mutex_unlock(&mm->lock);
}

/* ---- fork ----------------------------------------------------------------- */

struct fork_arg {
    struct mm *child;
    int err;
};

static void fork_entry(uint64_t vaddr, uint64_t *e, void *arg)
{
    struct fork_arg *fa = arg;
    if (fa->err)
        return;
    if (pt_set(&fa->child->pt, vaddr, *e) < 0) {
        fa->err = -ENOMEM;
        return;
    }
    memfile_get(fa->child->mf, *e & PT_FRAME_MASK);
    fa->child->rss_pages++;
}

int mm_fork(struct mm *mm, struct mm **out)
{
    struct mm *c;
    int r = mm_create(mm->mf, mm->pops, mm->platform, &c);
    if (r < 0)
        return r;
    pthread_mutex_lock(&mm->lock);
    struct vma *prev = NULL;
    for (struct vma *v = mm->vmas; v; v = v->next) {
        /* Shared file mappings stay shared: the child maps the same frames
         * and is counted among the file's mappers. */
        struct vma *n = vma_dup(c, v);
        if (!n) {
            r = -ENOMEM;
            break;
        }
        vma_link_after(c, prev, n);
        prev = n;
        /* Share every present page; private ones become copy-on-write. */
        struct fork_arg fa = {c, 0};
        pt_range(&mm->pt, v->start, v->end, fork_entry, &fa);
        if (fa.err) {
            r = fa.err;
            break;
        }
        /* The parent must fault before writing a now-shared private page. */
        if (!(v->flags & VMA_SHARED) && (v->prot & PROT_WRITE))
            platform_unmap(mm, v->start, v->end);
    }
    c->brk_start = mm->brk_start;
    c->brk = mm->brk;
    c->start_stack = mm->start_stack;
    c->arg_start = mm->arg_start;
    c->arg_end = mm->arg_end;
    c->env_start = mm->env_start;
    c->env_end = mm->env_end;
    memcpy(c->auxv, mm->auxv, sizeof(c->auxv));
    c->auxv_len = mm->auxv_len;
    pthread_mutex_unlock(&mm->lock);
    if (r < 0) {
        mm_put(c);
        return r;
    }
    *out = c;
    return 0;
}

int mm_translate(struct mm *mm, uint64_t addr, bool write, uint64_t *frame_off)
{
    pthread_mutex_lock(&mm->lock);
    struct vma *v = vma_find(mm, addr);
    int r = 0;
    if (!v || v->start > addr ||
        !prot_allows(v->prot, write ? PLATFORM_ACCESS_WRITE : PLATFORM_ACCESS_READ)) {
        r = -EFAULT;
        goto out;
    }
    uint64_t page = MM_PAGE_ROUND_DOWN(addr);
    bool changed = false;
    r = populate(mm, v, page, write, &changed);
    if (r < 0)
        goto out;
    if (changed && write && mm->as) {
        uint64_t e = pt_get(&mm->pt, page);
        mm->pops->as_map(mm->as, page, MM_PAGE_SIZE, e & PT_FRAME_MASK, page_prot(mm, v, e));
    }
    *frame_off = (pt_get(&mm->pt, page) & PT_FRAME_MASK) + (addr - page);
out:
    pthread_mutex_unlock(&mm->lock);
    return r;
}

int mm_detach_file(struct mm *mm, uint64_t addr, const struct mm_file_ops *ops)
{
    pthread_mutex_lock(&mm->lock);
    struct vma *v = vma_find(mm, addr);
    while (v &&
           !(v->start >= addr && v->file && v->file->ops == ops && v->file_off == v->start - addr))
        v = v->next;
    if (!v) {
        pthread_mutex_unlock(&mm->lock);
        return -EINVAL;
    }
    struct mm_file *file = v->file;
    int64_t size = file->ops->size ? file->ops->size(file) : 0;
    uint64_t end = addr + MM_PAGE_ROUND_UP((uint64_t)(size > 0 ? size : 0));
    if (end < v->end)
        end = v->end;
    /* The VMAs of the same attach: same file, offset = distance from addr. */
    while (v && v->start < end) {
        struct vma *n = v->next;
        if (v->file == file && v->file_off == v->start - addr)
            unmap_locked(mm, v->start, v->end);
        v = n;
    }
    pthread_mutex_unlock(&mm->lock);
    return 0;
}

bool mm_is_shared(struct mm *mm, uint64_t addr)
{
    pthread_mutex_lock(&mm->lock);
    struct vma *v = vma_find(mm, addr);
    bool s = v && v->start <= addr && (v->flags & VMA_SHARED);
    pthread_mutex_unlock(&mm->lock);
    return s;
}
