/* File descriptor tables. Lock: fdt->lock, alone. */
#include "sentry/kernel/fdtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/filelock.h"

/* An fd of fdt that referred to f is gone: fdt's POSIX locks on the file
 * go with it, then the reference. */
static void closed(struct fdtable *fdt, struct file *f)
{
    filelock_posix_close(fdt, f);
    file_put(f);
}

int fdt_new(struct fdtable **out)
{
    struct fdtable *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->refs = 1;
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return 0;
}

static int grow(struct fdtable *t, int need)
{
    if (need <= t->size)
        return 0;
    int n = t->size ? t->size : 64;
    while (n < need)
        n *= 2;
    struct fd_entry *e = realloc(t->fds, (size_t)n * sizeof(*e));
    if (!e)
        return -ENOMEM;
    memset(e + t->size, 0, (size_t)(n - t->size) * sizeof(*e));
    t->fds = e;
    t->size = n;
    return 0;
}

int fdt_dup_table(struct fdtable *src, struct fdtable **out)
{
    struct fdtable *t;
    int r = fdt_new(&t);
    if (r < 0)
        return r;
    pthread_mutex_lock(&src->lock);
    r = grow(t, src->size);
    if (r == 0)
        for (int i = 0; i < src->size; i++) {
            t->fds[i] = src->fds[i];
            if (t->fds[i].file)
                file_get(t->fds[i].file);
        }
    pthread_mutex_unlock(&src->lock);
    if (r < 0) {
        fdt_put(t);
        return r;
    }
    *out = t;
    return 0;
}

void fdt_get(struct fdtable *fdt)
{
    __atomic_add_fetch(&fdt->refs, 1, __ATOMIC_RELAXED);
}

void fdt_put(struct fdtable *fdt)
{
    if (!fdt || __atomic_sub_fetch(&fdt->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (int i = 0; i < fdt->size; i++)
        if (fdt->fds[i].file)
            closed(fdt, fdt->fds[i].file);
    free(fdt->fds);
    pthread_mutex_destroy(&fdt->lock);
    free(fdt);
}

int fdt_install(struct fdtable *fdt, int min, struct file *f, int flags, int limit)
{
    if (min < 0 || min >= limit)
        return -EINVAL;
    pthread_mutex_lock(&fdt->lock);
    int fd = min;
    while (fd < fdt->size && fdt->fds[fd].file)
        fd++;
    if (fd >= limit) {
        pthread_mutex_unlock(&fdt->lock);
        return -EMFILE;
    }
    int r = grow(fdt, fd + 1);
    if (r < 0) {
        pthread_mutex_unlock(&fdt->lock);
        return r;
    }
    file_get(f);
    fdt->fds[fd].file = f;
    fdt->fds[fd].flags = flags;
    pthread_mutex_unlock(&fdt->lock);
    return fd;
}

int fdt_install_at(struct fdtable *fdt, int fd, struct file *f, int flags, int limit)
{
    if (fd < 0 || fd >= limit)
        return -EBADF;
    pthread_mutex_lock(&fdt->lock);
    int r = grow(fdt, fd + 1);
    if (r < 0) {
        pthread_mutex_unlock(&fdt->lock);
        return r;
    }
    struct file *old = fdt->fds[fd].file;
    file_get(f);
    fdt->fds[fd].file = f;
    fdt->fds[fd].flags = flags;
    pthread_mutex_unlock(&fdt->lock);
    if (old)
        closed(fdt, old);
    return fd;
}

struct file *fdt_get_file(struct fdtable *fdt, int fd, int *flags)
{
    struct file *f = NULL;
    pthread_mutex_lock(&fdt->lock);
    if (fd >= 0 && fd < fdt->size && fdt->fds[fd].file) {
        f = fdt->fds[fd].file;
        file_get(f);
        if (flags)
            *flags = fdt->fds[fd].flags;
    }
    pthread_mutex_unlock(&fdt->lock);
    return f;
}

int fdt_set_flags(struct fdtable *fdt, int fd, int flags)
{
    int r = -EBADF;
    pthread_mutex_lock(&fdt->lock);
    if (fd >= 0 && fd < fdt->size && fdt->fds[fd].file) {
        fdt->fds[fd].flags = flags;
        r = 0;
    }
    pthread_mutex_unlock(&fdt->lock);
    return r;
}

int fdt_close(struct fdtable *fdt, int fd)
{
    struct file *f = NULL;
    pthread_mutex_lock(&fdt->lock);
    if (fd >= 0 && fd < fdt->size) {
        f = fdt->fds[fd].file;
        fdt->fds[fd].file = NULL;
        fdt->fds[fd].flags = 0;
    }
    pthread_mutex_unlock(&fdt->lock);
    if (!f)
        return -EBADF;
    closed(fdt, f);
    return 0;
}

void fdt_close_on_exec(struct fdtable *fdt)
{
    pthread_mutex_lock(&fdt->lock);
    for (int i = 0; i < fdt->size; i++)
        if (fdt->fds[i].file && (fdt->fds[i].flags & FDT_CLOEXEC)) {
            struct file *f = fdt->fds[i].file;
            fdt->fds[i].file = NULL;
            fdt->fds[i].flags = 0;
            pthread_mutex_unlock(&fdt->lock);
            closed(fdt, f);
            pthread_mutex_lock(&fdt->lock);
        }
    pthread_mutex_unlock(&fdt->lock);
}

int fdt_count(struct fdtable *fdt)
{
    pthread_mutex_lock(&fdt->lock);
    int n = fdt->size;
    while (n > 0 && !fdt->fds[n - 1].file)
        n--;
    pthread_mutex_unlock(&fdt->lock);
    return n;
}
