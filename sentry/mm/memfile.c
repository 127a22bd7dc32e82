/* The MemoryFile: frame allocator with reference counts over one memfd.
 * Lock order: memfile.lock is a leaf. */
#include "sentry/mm/memfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int memfile_create(uint64_t size, struct memfile **out)
{
    size &= ~(MF_PAGE_SIZE - 1);
    int fd = memfd_create("runsc-memory", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    if (base == MAP_FAILED) {
        int e = errno;
        close(fd);
        return -e;
    }
    uint64_t nframes = size >> MF_PAGE_SHIFT;
    void *refs = mmap(NULL, nframes * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (refs == MAP_FAILED) {
        int e = errno;
        munmap(base, size);
        close(fd);
        return -e;
    }
    struct memfile *mf = calloc(1, sizeof(*mf));
    if (!mf) {
        munmap(refs, nframes * sizeof(uint32_t));
        munmap(base, size);
        close(fd);
        return -ENOMEM;
    }
    mf->fd = fd;
    mf->base = base;
    mf->size = size;
    mf->nframes = nframes;
    mf->refs = refs;
    pthread_mutex_init(&mf->lock, NULL);
    *out = mf;
    return 0;
}

void memfile_destroy(struct memfile *mf)
{
    if (!mf)
        return;
    munmap(mf->refs, mf->nframes * sizeof(uint32_t));
    munmap(mf->base, mf->size);
    close(mf->fd);
    pthread_mutex_destroy(&mf->lock);
    free(mf);
}

/* Finds `count` free frames in [from, to). Caller holds the lock. */
static int64_t find_run(struct memfile *mf, uint64_t from, uint64_t to, uint64_t count)
{
    uint64_t run = 0;
    for (uint64_t i = from; i < to; i++) {
        if (mf->refs[i]) {
            run = 0;
            continue;
        }
        if (++run == count)
            return (int64_t)(i + 1 - count);
    }
    return -1;
}

int64_t memfile_alloc(struct memfile *mf, uint64_t count)
{
    if (count == 0 || count > mf->nframes)
        return -EINVAL;
    pthread_mutex_lock(&mf->lock);
    int64_t f = -1;
    /* Fresh frames beyond the high-water mark first (no search); then
     * next-fit over the freed ones. */
    if (mf->high + count <= mf->nframes) {
        f = (int64_t)mf->high;
    } else {
        f = find_run(mf, mf->cursor, mf->nframes, count);
        if (f < 0)
            f = find_run(mf, 0, mf->nframes, count);
    }
    if (f < 0) {
        pthread_mutex_unlock(&mf->lock);
        return -ENOMEM;
    }
    for (uint64_t i = 0; i < count; i++)
        mf->refs[f + (int64_t)i] = 1;
    mf->used += count;
    if ((uint64_t)f + count > mf->high)
        mf->high = (uint64_t)f + count;
    mf->cursor = (uint64_t)f + count;
    pthread_mutex_unlock(&mf->lock);
    return f << MF_PAGE_SHIFT;
}

void memfile_get(struct memfile *mf, uint64_t off)
{
    pthread_mutex_lock(&mf->lock);
    mf->refs[off >> MF_PAGE_SHIFT]++;
    pthread_mutex_unlock(&mf->lock);
}

/* A frame being punched out: not free yet, so never handed out while the
 * hole is punched (which would zero a new owner's data). */
#define FRAME_PUNCHING UINT32_MAX

void memfile_put(struct memfile *mf, uint64_t off)
{
    uint64_t f = off >> MF_PAGE_SHIFT;
    pthread_mutex_lock(&mf->lock);
    if (mf->refs[f] == 0 || mf->refs[f] == FRAME_PUNCHING)
        abort(); /* double free of a frame: a sentry bug */
    if (--mf->refs[f] != 0) {
        pthread_mutex_unlock(&mf->lock);
        return;
    }
    mf->refs[f] = FRAME_PUNCHING;
    pthread_mutex_unlock(&mf->lock);
    /* Give the memory back; the frame reads as zero again. */
    fallocate(mf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)MF_PAGE_SIZE);
    pthread_mutex_lock(&mf->lock);
    mf->refs[f] = 0;
    mf->used--;
    if (f < mf->cursor)
        mf->cursor = f;
    pthread_mutex_unlock(&mf->lock);
}

uint32_t memfile_refs(struct memfile *mf, uint64_t off)
{
    pthread_mutex_lock(&mf->lock);
    uint32_t r = mf->refs[off >> MF_PAGE_SHIFT];
    pthread_mutex_unlock(&mf->lock);
    return r;
}

uint64_t memfile_resident(struct memfile *mf)
{
    struct stat st;
    if (fstat(mf->fd, &st) < 0)
        return 0;
    return (uint64_t)st.st_blocks * 512;
}
