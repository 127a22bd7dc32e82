/* The MemoryFile: one memfd that holds every page the application can
 * touch. The sentry maps it whole (MAP_SHARED) for copy_in/copy_out; the
 * platform maps windows of it into application address spaces.
 *
 * Pages ("frames") are allocated by file offset and reference-counted, so a
 * frame can be shared copy-on-write by several address spaces (fork) or by
 * a shared mapping. A frame whose count drops to zero is punched out of the
 * file (fallocate PUNCH_HOLE), so the file's allocated blocks track the
 * memory the application really uses. Frames are zero when allocated.
 *
 * Locking: mf->lock protects the allocator and the counts; it is a leaf lock
 * (nothing else is taken while holding it). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_PAGE_SIZE 4096ull
#define MF_PAGE_SHIFT 12

struct memfile {
    int fd;
    uint8_t *base;    /* whole file mapped in the sentry */
    uint64_t size;    /* bytes reserved (virtual) */
    uint64_t nframes; /* size / page */
    uint32_t *refs;   /* per-frame reference count (0 = free) */
    uint64_t cursor;  /* next-fit search start */
    uint64_t used;    /* frames with refs > 0 */
    uint64_t high;    /* frames above this were never used */
    pthread_mutex_t lock;
};

/* Creates the memfd (named "runsc-memory") of `size` bytes (sparse). */
int memfile_create(uint64_t size, struct memfile **out);
void memfile_destroy(struct memfile *mf);

/* Allocates `count` contiguous zeroed frames with reference count 1;
 * returns the file offset of the first, or -ENOMEM. */
int64_t memfile_alloc(struct memfile *mf, uint64_t count);
/* Reference counting on single frames, by file offset. */
void memfile_get(struct memfile *mf, uint64_t off);
void memfile_put(struct memfile *mf, uint64_t off);
uint32_t memfile_refs(struct memfile *mf, uint64_t off);

/* Sentry pointer to a frame. */
static inline void *memfile_ptr(struct memfile *mf, uint64_t off)
{
    return mf->base + off;
}

/* Bytes of the file actually backed by memory (st_blocks * 512). */
uint64_t memfile_resident(struct memfile *mf);
