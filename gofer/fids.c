/* Per-connection fid tables: a chained hash from fid id to its host fds.
 * Ids are sequential, so the low bits spread them evenly over the buckets. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/internal.h"
#include "lib/error.h"

#define INITIAL_BUCKETS 64

static void grow(struct gofer_fid_table *t)
{
    size_t n = t->bucket_count ? t->bucket_count * 2 : INITIAL_BUCKETS;
    struct gofer_fid **b = xzalloc(n * sizeof(*b));
    for (size_t i = 0; i < t->bucket_count; i++) {
        struct gofer_fid *f = t->buckets[i];
        while (f) {
            struct gofer_fid *next = f->next;
            size_t k = f->id & (n - 1);
            f->next = b[k];
            b[k] = f;
            f = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->bucket_count = n;
}

uint64_t gofer_fid_add(struct gofer_server *s, struct gofer_fid_table *t, int fd, mode_t type)
{
    if (t->count >= t->bucket_count)
        grow(t);
    struct gofer_fid *f = xzalloc(sizeof(*f));
    f->id = ++t->next_id;
    f->fd = fd;
    f->dir_fd = -1;
    f->type = type & S_IFMT;
    size_t k = f->id & (t->bucket_count - 1);
    f->next = t->buckets[k];
    t->buckets[k] = f;
    t->count++;
    __atomic_add_fetch(&s->fid_count, 1, __ATOMIC_RELAXED);
    return f->id;
}

struct gofer_fid *gofer_fid_get(struct gofer_fid_table *t, uint64_t id)
{
    if (!t->bucket_count)
        return NULL;
    for (struct gofer_fid *f = t->buckets[id & (t->bucket_count - 1)]; f; f = f->next)
        if (f->id == id)
            return f;
    return NULL;
}

static void fid_free(struct gofer_server *s, struct gofer_fid *f)
{
    close(f->fd);
    if (f->dir_fd >= 0)
        close(f->dir_fd);
    free(f);
    __atomic_sub_fetch(&s->fid_count, 1, __ATOMIC_RELAXED);
}

int gofer_fid_remove(struct gofer_server *s, struct gofer_fid_table *t, uint64_t id)
{
    if (!t->bucket_count)
        return -EBADF;
    for (struct gofer_fid **p = &t->buckets[id & (t->bucket_count - 1)]; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            struct gofer_fid *f = *p;
            *p = f->next;
            t->count--;
            fid_free(s, f);
            return 0;
        }
    }
    return -EBADF;
}

void gofer_fids_release_all(struct gofer_server *s, struct gofer_fid_table *t)
{
    for (size_t i = 0; i < t->bucket_count; i++) {
        struct gofer_fid *f = t->buckets[i];
        while (f) {
            struct gofer_fid *next = f->next;
            fid_free(s, f);
            f = next;
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->bucket_count = 0;
    t->count = 0;
}
