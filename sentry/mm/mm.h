/* Application address spaces.
 *
 * An mm owns a list of VMAs (what the application asked for) and a page
 * table (which MemoryFile frames back which pages). Pages are allocated on
 * first touch: a fault (from the platform) or a copy_in/copy_out by the
 * sentry populates them. The platform's address space is a cache of the page
 * table: the sentry maps frames into it as they are populated and unmaps
 * them when the VMA goes.
 *
 * Private pages are shared copy-on-write by reference count: a write to a
 * private page whose frame has more than one reference copies it first.
 *
 * Locking: mm->lock protects the VMAs, the page table and the platform
 * mappings. Lock order: mm->lock, then memfile.lock (leaf). File reads for
 * file-backed faults happen under mm->lock (the file's own locks nest inside).
 *
 * Errors: -errno. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/pagetable.h"

#define MM_PAGE_SIZE 4096ull
#define MM_PAGE_MASK (~(MM_PAGE_SIZE - 1))
#define MM_PAGE_ROUND_UP(x) (((x) + MM_PAGE_SIZE - 1) & MM_PAGE_MASK)
#define MM_PAGE_ROUND_DOWN(x) ((x)&MM_PAGE_MASK)

/* Highest user address + 1: Linux's 47-bit space minus 64 KiB the platforms keep
 * for their own stub code (checked against platform user_range at boot). */
#define MM_TASK_SIZE 0x7fffffff0000ull
#define MM_MMAP_MIN_ADDR 0x10000ull

/* A file a VMA maps. The VFS implements it; mm only reads pages and keeps a
 * reference. */
struct mm_file;
struct mm_file_ops {
    /* Reads up to len bytes at off; returns bytes read (short at EOF) or -errno. */
    ssize_t (*read)(struct mm_file *f, void *buf, size_t len, uint64_t off);
    void (*get)(struct mm_file *f);
    void (*put)(struct mm_file *f);
    /* Writes the file's path for /proc/pid/maps, as seen from root (passed
     * through from mm_maps_text, opaque to mm), into buf (size bytes,
     * NUL-terminated; "" for none). Called without mm->lock, with a
     * reference held: a name is read when it is printed. May be NULL. */
    void (*name)(struct mm_file *f, const void *root, char *buf, size_t size);
    /* Current size in bytes (pages wholly past it fault with SIGBUS); NULL
     * or negative: unknown (no limit). */
    int64_t (*size)(struct mm_file *f);
    /* The object MAP_SHARED mappings of the file map (its own pages), or
     * NULL: the file has none (writable shared mappings are ENODEV). May be
     * NULL. */
    struct mm_mappable *(*mappable)(struct mm_file *f);
    /* Linux's vm_ops open/close, for files that count the VMAs mapping them
     * (System V shm's shm_nattch): called when a VMA mapping f is made
     * (mmap, a split, mremap, fork) and when one goes (after which the
     * VMA's reference is dropped). Called with mm->lock held, or from mm
     * teardown (no lock). May be NULL. */
    void (*vma_opened)(struct mm_file *f);
    void (*vma_closed)(struct mm_file *f);
};
struct mm_file {
    const struct mm_file_ops *ops;
};

/* A file's pages as MAP_SHARED mappings see them (Linux's address_space,
 * gVisor's memmap.Mappable): the filesystem owns the frames (tmpfs: the
 * file's data; gofer: a page cache of the host file) and mm maps them, so
 * stores through a mapping, read(2)/write(2) and other mappings all see the
 * same memory. The filesystem embeds one per inode and initializes it with
 * mm_mappable_init; mm keeps, under maps_lock, which address spaces map it
 * (a count per mm), so that the filesystem can take pages away from every
 * mapping (mm_mappable_invalidate: truncation).
 *
 * Locking (docs/locking.md): translate runs under mm->lock and takes the
 * filesystem's inode lock (mm.lock -> inode.lock -> memfile.lock);
 * maps_lock is a leaf taken under mm->lock when VMAs come and go;
 * mm_mappable_invalidate must be called with no inode lock and no mm->lock
 * held (it takes maps_lock, drops it, then each mm->lock). */
struct mm_mappable;
struct mm_mappable_ops {
    /* The frame backing page pgoff of the file, for a mapping that may
     * write it (writable) or not; takes a reference on the frame for the
     * caller. Allocates (or fills) missing pages. -EIO: the page is wholly
     * past the end of the file (SIGBUS); -ENOSPC: no room (SIGBUS);
     * -ENOMEM. Called with mm->lock held. */
    int (*translate)(struct mm_mappable *m, uint64_t pgoff, bool writable, uint64_t *frame);
    /* Writes pages [first, last) that mappings may have dirtied back to
     * the file's backing store (msync; with sync, fsync too). NULL: the
     * frames are the file (tmpfs). Called with mm->lock held. */
    int (*writeback)(struct mm_mappable *m, uint64_t first, uint64_t last, bool sync);
    /* The last mapping went away (munmap, exit): the filesystem may write
     * back and drop what it kept for mappings. May be NULL. Called with
     * the unmapping mm's lock held, or from mm teardown (no lock). */
    void (*unmapped)(struct mm_mappable *m);
};
struct mm_mappable_user;
struct mm_mappable {
    const struct mm_mappable_ops *ops;
    pthread_mutex_t maps_lock;
    struct mm_mappable_user *users; /* address spaces mapping it (maps_lock) */
    uint64_t nmaps;                 /* VMAs mapping it, over every mm (maps_lock) */
};

void mm_mappable_init(struct mm_mappable *m, const struct mm_mappable_ops *ops);
/* Frees the registry (no mapping may remain: VMAs hold file references). */
void mm_mappable_destroy(struct mm_mappable *m);
/* Whether any VMA maps it now. */
bool mm_mappable_mapped(struct mm_mappable *m);
/* Unmaps file pages [first, last) (page indexes; last UINT64_MAX: to the
 * end) from every address space mapping m: later accesses translate again
 * (and fault with SIGBUS past the end of the file). */
void mm_mappable_invalidate(struct mm_mappable *m, uint64_t first, uint64_t last);

/* Memory shared by several VMAs (MAP_SHARED|MAP_ANONYMOUS; System V shm
 * maps a tmpfs file instead): one frame per page offset, allocated on first
 * touch. */
struct mm_shared;

#define VMA_SHARED 0x1u    /* MAP_SHARED */
#define VMA_GROWSDOWN 0x2u /* stack */
#define VMA_STACK 0x4u     /* [stack] for /proc */
#define VMA_HEAP 0x8u      /* [heap] for /proc */

struct vma {
    uint64_t start, end;          /* [start, end), page-aligned */
    int prot;                     /* PROT_READ|PROT_WRITE|PROT_EXEC */
    int max_prot;                 /* what mprotect may grant (file opened read-only + shared) */
    unsigned flags;               /* VMA_* */
    struct mm_file *file;         /* file-backed: a reference */
    uint64_t file_off;            /* file offset of start */
    struct mm_mappable *mappable; /* MAP_SHARED file mapping: file's pages (counted in it) */
    struct mm_shared *shm;        /* shared anonymous: a reference */
    uint64_t shm_off;             /* offset of start in shm */
    struct vma *prev, *next;
};

struct mm {
    pthread_mutex_t lock;
    int users;        /* tasks using this mm (atomic) */
    struct vma *vmas; /* sorted by start, non-overlapping */
    struct pagetable pt;
    struct memfile *mf;
    const struct platform_ops *pops;
    struct platform_as *as;
    struct platform *platform;
    uint64_t mmap_base; /* top of the mmap area (allocations go down from it) */
    uint64_t brk_start, brk;
    /* For /proc/pid/{cmdline,environ,auxv,stat}. */
    uint64_t start_stack, arg_start, arg_end, env_start, env_end;
    uint64_t auxv[64];
    size_t auxv_len;    /* in words */
    uint64_t rss_pages; /* present pages */
};

int mm_create(struct memfile *mf, const struct platform_ops *pops, struct platform *p,
              struct mm **out);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/* mmap(2) semantics; flags are MAP_*; file may be NULL. On success *out is
 * the address. */
int mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct mm_file *file,
            uint64_t off, int max_prot, uint64_t *out);
int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
/* brk(2): returns the new (or unchanged) break. */
uint64_t mm_brk(struct mm *mm, uint64_t addr);
int mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
              uint64_t new_addr, uint64_t *out);
int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
/* msync(2): flags MS_*; -EINVAL, -ENOMEM (part of the range unmapped; the
 * mapped parts are still synced), -EBUSY, or the file's write-back error. */
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
/* Sets the initial break (after the loader mapped the image). */
void mm_set_brk_start(struct mm *mm, uint64_t brk_start);

/* Resolves an application fault at addr (PLATFORM_ACCESS_*): populates the
 * page and maps it. -EFAULT: no VMA (SEGV_MAPERR); -EACCES: the VMA forbids
 * the access (SEGV_ACCERR); -EIO: a file page wholly past the end of the
 * file (SIGBUS, BUS_ADRERR); -ENOMEM. */
int mm_fault(struct mm *mm, uint64_t addr, unsigned access);

/* Copies between application memory and the sentry; -EFAULT if any part of
 * the range is not accessible as requested. */
int mm_copy_in(struct mm *mm, uint64_t addr, void *buf, size_t len);
int mm_copy_out(struct mm *mm, uint64_t addr, const void *buf, size_t len);
int mm_zero_out(struct mm *mm, uint64_t addr, size_t len);
/* Copies a NUL-terminated string of at most max bytes (including the NUL).
 * Returns its length, -EFAULT, or -ENAMETOOLONG. */
ssize_t mm_copy_in_string(struct mm *mm, uint64_t addr, char *buf, size_t max);

/* fork: a copy of mm whose private pages are shared copy-on-write (the
 * first write to either side copies the page). */
int mm_fork(struct mm *mm, struct mm **out);
/* MemoryFile offset backing addr (populating it; with write, a private
 * page is made exclusive first). For futex keys and direct access. */
int mm_translate(struct mm *mm, uint64_t addr, bool write, uint64_t *frame_off);
/* shmdt(2): finds the first VMA at or after addr that maps a file with
 * these ops at file offset (vma start - addr), then unmaps every VMA of that
 * file with the same correspondence within [addr, addr + size(file)).
 * -EINVAL if there is none. */
int mm_detach_file(struct mm *mm, uint64_t addr, const struct mm_file_ops *ops);
/* Whether addr lies in a MAP_SHARED mapping. */
bool mm_is_shared(struct mm *mm, uint64_t addr);

/* Writes /proc/pid/maps-style text into a malloc'ed buffer; file names are
 * the files' paths from root (see mm_file_ops.name). */
char *mm_maps_text(struct mm *mm, const void *root);
/* Bytes of VMAs (VmSize) and present pages (VmRSS). */
void mm_usage(struct mm *mm, uint64_t *vm_size, uint64_t *rss);
