/* eventfd files (see eventfd.h). */
#include "sentry/fsimpl/anon/eventfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"

#define EVENTFD_NAME "[eventfd]"

struct eventfd {
    pthread_mutex_t lock;
    struct waitq wq;
    uint64_t count;
    bool semaphore;
    int id; /* fdinfo's eventfd-id */
};

static int g_next_id;

/* Waits on the eventfd's queue for events (lock held, dropped while
 * blocked). Returns 0 or -EINTR. */
static int wait_locked(struct eventfd *e, struct task *t, uint32_t events)
{
    struct waiter w = {.t = t, .events = events};
    waitq_add(&e->wq, &w);
    pthread_mutex_unlock(&e->lock);
    int r = task_block(t, NULL);
    waitq_remove(&e->wq, &w);
    pthread_mutex_lock(&e->lock);
    return r == -EINTR ? -EINTR : 0;
}

static ssize_t efd_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct eventfd *e = f->priv;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    struct task *t = task_current();
    ssize_t ret = 0;
    uint64_t v = 0;
    pthread_mutex_lock(&e->lock);
    for (;;) {
        if (e->count > 0) {
            v = e->semaphore ? 1 : e->count;
            e->count -= v;
            waitq_wake(&e->wq, POLLOUT, 0);
            ret = sizeof(v);
            break;
        }
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            break;
        }
        if (wait_locked(e, t, POLLIN) == -EINTR && e->count == 0) {
            ret = -ERESTARTSYS;
            break;
        }
    }
    pthread_mutex_unlock(&e->lock);
    if (ret > 0)
        memcpy(buf, &v, sizeof(v));
    return ret;
}

static ssize_t efd_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    struct eventfd *e = f->priv;
    if (len != sizeof(uint64_t))
        return -EINVAL;
    uint64_t v;
    memcpy(&v, buf, sizeof(v));
    if (v == UINT64_MAX)
        return -EINVAL;
    struct task *t = task_current();
    ssize_t ret = 0;
    pthread_mutex_lock(&e->lock);
    for (;;) {
        if (UINT64_MAX - e->count > v) {
            e->count += v;
            waitq_wake(&e->wq, POLLIN, 0);
            ret = sizeof(v);
            break;
        }
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            break;
        }
        if (wait_locked(e, t, POLLOUT) == -EINTR && UINT64_MAX - e->count <= v) {
            ret = -ERESTARTSYS;
            break;
        }
    }
    pthread_mutex_unlock(&e->lock);
    return ret;
}

static uint32_t efd_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct eventfd *e = f->priv;
    vfs_poll_wait(pt, &e->wq);
    pthread_mutex_lock(&e->lock);
    uint64_t c = e->count;
    pthread_mutex_unlock(&e->lock);
    uint32_t m = 0;
    if (c > 0)
        m |= POLLIN; /* Linux: no POLLRDNORM/POLLWRNORM */
    if (c == UINT64_MAX)
        m |= POLLERR;
    if (c < UINT64_MAX - 1)
        m |= POLLOUT;
    return m;
}

static void efd_show_fdinfo(struct file *f, FILE *out)
{
    struct eventfd *e = f->priv;
    pthread_mutex_lock(&e->lock);
    uint64_t c = e->count;
    pthread_mutex_unlock(&e->lock);
    fprintf(out, "eventfd-count: %16llx\neventfd-id: %d\neventfd-semaphore: %d\n",
            (unsigned long long)c, e->id, e->semaphore ? 1 : 0);
}

static void efd_release(struct file *f)
{
    struct eventfd *e = f->priv;
    if (!e)
        return;
    pthread_mutex_destroy(&e->lock);
    free(e);
    f->priv = NULL;
}

static const struct file_ops g_eventfd_ops = {
    .read = efd_read,
    .write = efd_write,
    .poll = efd_poll,
    .show_fdinfo = efd_show_fdinfo,
    .release = efd_release,
    .stream = true,
    .sees_empty_io = true,
};

int eventfd_create_file(uint64_t initval, int flags, struct file **out)
{
    struct eventfd *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    pthread_mutex_init(&e->lock, NULL);
    waitq_init(&e->wq);
    e->count = initval;
    e->semaphore = flags & EFD_SEMAPHORE;
    e->id = __atomic_fetch_add(&g_next_id, 1, __ATOMIC_RELAXED);
    int r = anon_file_new(EVENTFD_NAME, &g_eventfd_ops, e, O_RDWR | (flags & EFD_NONBLOCK), out);
    if (r < 0) {
        pthread_mutex_destroy(&e->lock);
        free(e);
    }
    return r;
}
