/* inotify instances, watches and events (see inotify.h). */
#include "sentry/kernel/inotify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"
#include "sentry/vfs/vfs.h"

#define INOTIFY_NAME "inotify"
#define NBUCKETS 256
/* The flags a watch keeps (fdinfo shows them). */
#define WATCH_BITS (IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT)

struct ievent {
    struct ievent *next;
    int32_t wd;
    uint32_t mask, cookie;
    uint32_t len; /* the padded name length (0: no name) */
    char name[];
};

struct iwatch {
    struct inotify *in;
    struct inode *ino;
    int32_t wd;
    uint32_t mask;
    struct iwatch *next_ino; /* in its table bucket */
    struct iwatch *next_in;  /* in its instance */
};

/* Per-user counts (max_user_instances, max_user_watches). */
struct iuser {
    uint32_t uid;
    int instances, watches;
    struct iuser *next;
};

struct inotify {
    pthread_mutex_t lock; /* the queue */
    struct waitq wq;
    struct ievent *head, *tail;
    int nevents;
    bool overflow_queued;
    /* Under g_inotify.lock: */
    struct iwatch *watches;
    int32_t next_wd;
    struct iuser *user;
};

int inotify_nwatches;

static struct {
    pthread_mutex_t lock;
    struct iwatch *buckets[NBUCKETS];
    struct iuser *users;
    uint32_t cookie;
} g_inotify = {.lock = PTHREAD_MUTEX_INITIALIZER};

static unsigned bucket_of(const struct inode *ino)
{
    uintptr_t p = (uintptr_t)ino;
    return (unsigned)((p >> 4) ^ (p >> 12)) % NBUCKETS;
}

static uint32_t event_size(const struct ievent *e)
{
    return (uint32_t)sizeof(struct inotify_event) + e->len;
}

/* Queues an event (in->lock held) and wakes readers: coalesced with an
 * identical last event; past max_queued_events one IN_Q_OVERFLOW. */
static void queue_locked(struct inotify *in, int32_t wd, uint32_t mask, uint32_t cookie,
                         const char *name)
{
    size_t nlen = name ? strlen(name) : 0;
    uint32_t len = nlen ? (uint32_t)((nlen + 1 + sizeof(struct inotify_event) - 1) /
                                     sizeof(struct inotify_event) * sizeof(struct inotify_event))
                        : 0;
    if (in->nevents >= INOTIFY_MAX_QUEUED_EVENTS) {
        if (in->overflow_queued)
            return;
        wd = -1;
        mask = IN_Q_OVERFLOW;
        cookie = 0;
        len = 0;
        nlen = 0;
    }
    struct ievent *t = in->tail;
    if (t && t->wd == wd && t->mask == mask && t->cookie == cookie && t->len == len &&
        (!len || (name && strcmp(t->name, name) == 0)))
        return;
    struct ievent *e = calloc(1, sizeof(*e) + len);
    if (!e)
        return;
    e->wd = wd;
    e->mask = mask;
    e->cookie = cookie;
    e->len = len;
    if (nlen)
        memcpy(e->name, name, nlen);
    if (mask == IN_Q_OVERFLOW)
        in->overflow_queued = true;
    if (in->tail)
        in->tail->next = e;
    else
        in->head = e;
    in->tail = e;
    in->nevents++;
    waitq_wake(&in->wq, POLLIN | POLLRDNORM, 0);
}

static void queue(struct inotify *in, int32_t wd, uint32_t mask, uint32_t cookie, const char *name)
{
    pthread_mutex_lock(&in->lock);
    queue_locked(in, wd, mask, cookie, name);
    pthread_mutex_unlock(&in->lock);
}

/* Unlinks w from the table and its instance (g_inotify.lock held); the
 * caller puts w->ino and frees w after dropping the lock. */
static void watch_unlink_locked(struct iwatch *w)
{
    for (struct iwatch **p = &g_inotify.buckets[bucket_of(w->ino)]; *p; p = &(*p)->next_ino)
        if (*p == w) {
            *p = w->next_ino;
            break;
        }
    for (struct iwatch **p = &w->in->watches; *p; p = &(*p)->next_in)
        if (*p == w) {
            *p = w->next_in;
            break;
        }
    w->in->user->watches--;
    __atomic_sub_fetch(&inotify_nwatches, 1, __ATOMIC_RELAXED);
}

static void watches_free(struct iwatch *list)
{
    while (list) {
        struct iwatch *n = list->next_in;
        inode_put(list->ino);
        free(list);
        list = n;
    }
}

/* Delivers mask to the watches of ino (g_inotify.lock held): removed
 * one-shot watches go to *dead (linked by next_in). */
static void deliver_locked(struct inode *ino, uint32_t mask, uint32_t cookie, const char *name,
                           bool excl, struct iwatch **dead)
{
    struct iwatch **p = &g_inotify.buckets[bucket_of(ino)];
    while (*p) {
        struct iwatch *w = *p;
        if (w->ino != ino || !(w->mask & mask & IN_ALL_EVENTS) ||
            (excl && (w->mask & IN_EXCL_UNLINK))) {
            p = &w->next_ino;
            continue;
        }
        pthread_mutex_lock(&w->in->lock);
        queue_locked(w->in, w->wd, mask, cookie, name);
        if (w->mask & IN_ONESHOT)
            queue_locked(w->in, w->wd, IN_IGNORED, 0, NULL);
        pthread_mutex_unlock(&w->in->lock);
        if (!(w->mask & IN_ONESHOT)) {
            p = &w->next_ino;
            continue;
        }
        watch_unlink_locked(w); /* *p now is the next one */
        w->next_in = *dead;
        *dead = w;
    }
}

static void notify(struct inode *ino, uint32_t mask, uint32_t cookie, const char *name, bool excl)
{
    if (!inotify_active())
        return;
    struct iwatch *dead = NULL;
    pthread_mutex_lock(&g_inotify.lock);
    deliver_locked(ino, mask, cookie, name, excl, &dead);
    pthread_mutex_unlock(&g_inotify.lock);
    watches_free(dead);
}

void inotify_event(struct inode *ino, uint32_t mask, uint32_t cookie, bool excl)
{
    if (S_ISDIR(ino->mode))
        mask |= IN_ISDIR;
    notify(ino, mask, cookie, NULL, excl);
}

void inotify_child_event(struct inode *dir, struct inode *child, uint32_t mask, const char *name,
                         uint32_t cookie, bool excl)
{
    if (child && S_ISDIR(child->mode))
        mask |= IN_ISDIR;
    notify(dir, mask, cookie, name, excl);
}

uint32_t inotify_cookie(void)
{
    uint32_t c;
    do
        c = __atomic_add_fetch(&g_inotify.cookie, 1, __ATOMIC_RELAXED);
    while (c == 0);
    return c;
}

bool inotify_watched(struct inode *ino)
{
    if (!inotify_active())
        return false;
    bool found = false;
    pthread_mutex_lock(&g_inotify.lock);
    for (struct iwatch *w = g_inotify.buckets[bucket_of(ino)]; w && !found; w = w->next_ino)
        found = w->ino == ino;
    pthread_mutex_unlock(&g_inotify.lock);
    return found;
}

void inotify_inode_gone(struct inode *ino)
{
    if (!inotify_active())
        return;
    uint32_t isdir = S_ISDIR(ino->mode) ? IN_ISDIR : 0;
    struct iwatch *dead = NULL;
    pthread_mutex_lock(&g_inotify.lock);
    struct iwatch **p = &g_inotify.buckets[bucket_of(ino)];
    while (*p) {
        struct iwatch *w = *p;
        if (w->ino != ino) {
            p = &w->next_ino;
            continue;
        }
        pthread_mutex_lock(&w->in->lock);
        if (w->mask & IN_DELETE_SELF)
            queue_locked(w->in, w->wd, IN_DELETE_SELF | isdir, 0, NULL);
        queue_locked(w->in, w->wd, IN_IGNORED, 0, NULL);
        pthread_mutex_unlock(&w->in->lock);
        watch_unlink_locked(w);
        w->next_in = dead;
        dead = w;
    }
    pthread_mutex_unlock(&g_inotify.lock);
    watches_free(dead);
}

/* ---- the instance file ---------------------------------------------------- */

static ssize_t in_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct inotify *in = f->priv;
    struct task *t = task_current();
    ssize_t ret = 0;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        if (in->head)
            break;
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            goto out;
        }
        struct waiter w = {.t = t, .events = POLLIN};
        waitq_add(&in->wq, &w);
        pthread_mutex_unlock(&in->lock);
        int r = task_block(t, NULL);
        waitq_remove(&in->wq, &w);
        pthread_mutex_lock(&in->lock);
        if (r == -EINTR && !in->head) {
            ret = -ERESTARTSYS;
            goto out;
        }
    }
    size_t done = 0;
    while (in->head && done + event_size(in->head) <= len) {
        struct ievent *e = in->head;
        struct inotify_event ev = {
            .wd = e->wd, .mask = e->mask, .cookie = e->cookie, .len = e->len};
        memcpy((char *)buf + done, &ev, sizeof(ev));
        if (e->len)
            memcpy((char *)buf + done + sizeof(ev), e->name, e->len);
        done += event_size(e);
        in->head = e->next;
        if (!in->head)
            in->tail = NULL;
        in->nevents--;
        if (e->mask == IN_Q_OVERFLOW)
            in->overflow_queued = false;
        free(e);
    }
    ret = done ? (ssize_t)done : -EINVAL; /* the next event does not fit */
out:
    pthread_mutex_unlock(&in->lock);
    return ret;
}

static uint32_t in_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct inotify *in = f->priv;
    vfs_poll_wait(pt, &in->wq);
    pthread_mutex_lock(&in->lock);
    bool ready = in->head != NULL;
    pthread_mutex_unlock(&in->lock);
    return ready ? POLLIN | POLLRDNORM : 0;
}

static long in_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct inotify *in = f->priv;
    if (cmd != FIONREAD)
        return -ENOTTY; /* INOTIFY_IOC_SETNEXTWD needs CONFIG_CHECKPOINT_RESTORE */
    int n = 0;
    pthread_mutex_lock(&in->lock);
    for (struct ievent *e = in->head; e; e = e->next)
        n += (int)event_size(e);
    pthread_mutex_unlock(&in->lock);
    return mm_copy_out(mm, arg, &n, sizeof(n));
}

static void in_show_fdinfo(struct file *f, FILE *out)
{
    struct inotify *in = f->priv;
    pthread_mutex_lock(&g_inotify.lock);
    for (struct iwatch *w = in->watches; w; w = w->next_in) {
        uint64_t dev = w->ino->fs ? w->ino->fs->dev : 0;
        unsigned kdev = (major(dev) << 20) | minor(dev); /* the kernel's s_dev */
        fprintf(out, "inotify wd:%x ino:%llx sdev:%x mask:%x ignored_mask:0\n", (unsigned)w->wd,
                (unsigned long long)w->ino->ino, kdev, w->mask);
    }
    pthread_mutex_unlock(&g_inotify.lock);
}

static void in_release(struct file *f)
{
    struct inotify *in = f->priv;
    if (!in)
        return;
    struct iwatch *dead = NULL;
    pthread_mutex_lock(&g_inotify.lock);
    while (in->watches) {
        struct iwatch *w = in->watches;
        watch_unlink_locked(w);
        w->next_in = dead;
        dead = w;
    }
    in->user->instances--;
    pthread_mutex_unlock(&g_inotify.lock);
    watches_free(dead);
    while (in->head) {
        struct ievent *e = in->head;
        in->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&in->lock);
    free(in);
    f->priv = NULL;
}

static const struct file_ops g_inotify_ops = {
    .read = in_read,
    .poll = in_poll,
    .ioctl = in_ioctl,
    .show_fdinfo = in_show_fdinfo,
    .release = in_release,
    .stream = true,
    .sees_empty_io = true,
};

bool inotify_is_file(const struct file *f)
{
    return f->ops == &g_inotify_ops;
}

/* The counts of uid (g_inotify.lock held; entries are kept). */
static struct iuser *user_get_locked(uint32_t uid)
{
    for (struct iuser *u = g_inotify.users; u; u = u->next)
        if (u->uid == uid)
            return u;
    struct iuser *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->uid = uid;
    u->next = g_inotify.users;
    g_inotify.users = u;
    return u;
}

int inotify_create_file(uint32_t uid, int flags, struct file **out)
{
    struct inotify *in = calloc(1, sizeof(*in));
    if (!in)
        return -ENOMEM;
    pthread_mutex_init(&in->lock, NULL);
    waitq_init(&in->wq);
    in->next_wd = 1;
    pthread_mutex_lock(&g_inotify.lock);
    in->user = user_get_locked(uid);
    int r = !in->user ? -ENOMEM : in->user->instances >= INOTIFY_MAX_USER_INSTANCES ? -EMFILE : 0;
    if (r == 0)
        in->user->instances++;
    pthread_mutex_unlock(&g_inotify.lock);
    if (r == 0) {
        r = anon_file_new(INOTIFY_NAME, &g_inotify_ops, in, O_RDONLY | (flags & O_NONBLOCK), out);
        if (r < 0) {
            pthread_mutex_lock(&g_inotify.lock);
            in->user->instances--;
            pthread_mutex_unlock(&g_inotify.lock);
        }
    }
    if (r < 0) {
        pthread_mutex_destroy(&in->lock);
        free(in);
    }
    return r;
}

int inotify_add_watch_inode(struct file *f, struct inode *ino, uint32_t mask)
{
    struct inotify *in = f->priv;
    uint32_t m = mask & WATCH_BITS;
    int r;
    pthread_mutex_lock(&g_inotify.lock);
    struct iwatch *w = in->watches;
    while (w && w->ino != ino)
        w = w->next_in;
    if (w) {
        if (mask & IN_MASK_CREATE) {
            r = -EEXIST;
        } else {
            w->mask = (mask & IN_MASK_ADD) ? (w->mask | m) : m;
            r = w->wd;
        }
    } else if (in->user->watches >= INOTIFY_MAX_USER_WATCHES) {
        r = -ENOSPC;
    } else if (!(w = calloc(1, sizeof(*w)))) {
        r = -ENOMEM;
    } else {
        w->in = in;
        w->ino = ino;
        inode_get(ino);
        w->mask = m;
        w->wd = in->next_wd++;
        if (in->next_wd <= 0)
            in->next_wd = 1;
        unsigned b = bucket_of(ino);
        w->next_ino = g_inotify.buckets[b];
        g_inotify.buckets[b] = w;
        w->next_in = in->watches;
        in->watches = w;
        in->user->watches++;
        __atomic_add_fetch(&inotify_nwatches, 1, __ATOMIC_RELAXED);
        r = w->wd;
    }
    pthread_mutex_unlock(&g_inotify.lock);
    return r;
}

int inotify_rm_watch_wd(struct file *f, int wd)
{
    struct inotify *in = f->priv;
    pthread_mutex_lock(&g_inotify.lock);
    struct iwatch *w = in->watches;
    while (w && w->wd != wd)
        w = w->next_in;
    if (!w) {
        pthread_mutex_unlock(&g_inotify.lock);
        return -EINVAL;
    }
    watch_unlink_locked(w);
    queue(in, w->wd, IN_IGNORED, 0, NULL);
    pthread_mutex_unlock(&g_inotify.lock);
    w->next_in = NULL;
    watches_free(w);
    return 0;
}
