/* Pipes (see pipe.h).
 *
 * The data lives in a ring of slots, each holding at most one page, as in
 * Linux: the capacity is counted in slots (16 by default), a write merges
 * into the last slot when it fits, and otherwise takes new slots. This gives
 * Linux's observable behaviour for free: writes of at most PIPE_BUF bytes
 * land in one slot (atomic), O_DIRECT writes make one slot per packet (a
 * read returns at most one packet and drops what does not fit), and POLLOUT
 * means "at least one free slot".
 *
 * Named pipes (pipe_fifo_open) find their pipe in a table keyed by the
 * node; see "named pipes" below.
 *
 * Lock order: pipe->lock -> waitq->lock (wakes happen under pipe->lock);
 * g_fifo_lock (the FIFO table) is a leaf, never held with pipe->lock.
 * pipe->lock is otherwise a leaf: no application memory is touched under it
 * (read/write get sentry buffers; FIONREAD copies out after unlocking), and
 * SIGPIPE is sent after unlocking. */
#include "sentry/fsimpl/pipe/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"

struct pipe_slot {
    char *page;     /* PIPE_PAGE_SIZE bytes */
    uint32_t off;   /* first unread byte */
    uint32_t len;   /* unread bytes */
    bool packet;    /* O_DIRECT: read as one packet */
    bool can_merge; /* a later write may append to this page */
};

struct pipe {
    int refs;
    pthread_mutex_t lock;
    struct waitq wq; /* readers wait for POLLIN, writers for POLLOUT */
    struct pipe_slot *slots;
    uint32_t nslots;    /* capacity in slots: a power of two */
    uint32_t head;      /* next slot to fill (free-running) */
    uint32_t tail;      /* next slot to read (free-running) */
    int readers;        /* open descriptions that read */
    int writers;        /* open descriptions that write */
    uint32_t r_counter; /* reader opens so far (a FIFO writer waits for a change) */
    uint32_t w_counter; /* writer opens so far (POLLHUP; a FIFO reader waits for a change) */
    char *spare;        /* one free page kept for the next write */
    /* FIFOs: the key of the table entry (the node's st_dev and st_ino), the
     * descriptions attached or being opened (g_fifo_lock), the next pipe in
     * the bucket. */
    uint64_t fifo_dev, fifo_ino;
    int fifo_files;
    struct pipe *fifo_next;
};

/* Per-description state. */
struct pipe_file {
    struct pipe *p;
    /* POLLHUP for a reader needs no writers and p->w_counter != this: a
     * FIFO reader opened O_NONBLOCK with no writer stores the counter then
     * (no POLLHUP until a writer has come); everyone else 0, as Linux's
     * f_version. */
    uint32_t w_counter_seen;
    bool fifo; /* attached through the FIFO table (pipe_fifo_open) */
};

static const struct file_ops g_pipe_ops;

/* ---- the pipe object ---------------------------------------------------- */

int pipe_new(struct pipe **out)
{
    struct pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->nslots = PIPE_DEFAULT_SIZE / PIPE_PAGE_SIZE;
    p->slots = calloc(p->nslots, sizeof(*p->slots));
    if (!p->slots) {
        free(p);
        return -ENOMEM;
    }
    p->refs = 1;
    pthread_mutex_init(&p->lock, NULL);
    waitq_init(&p->wq);
    *out = p;
    return 0;
}

void pipe_get(struct pipe *p)
{
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void pipe_put(struct pipe *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (uint32_t i = p->tail; i != p->head; i++)
        free(p->slots[i & (p->nslots - 1)].page);
    free(p->slots);
    free(p->spare);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->wq.lock);
    free(p);
}

static uint32_t occupancy(const struct pipe *p)
{
    return p->head - p->tail;
}

static bool full(const struct pipe *p)
{
    return occupancy(p) >= p->nslots;
}

static struct pipe_slot *slot(struct pipe *p, uint32_t i)
{
    return &p->slots[i & (p->nslots - 1)];
}

/* A page for a new slot (p->lock held). */
static char *page_alloc(struct pipe *p)
{
    char *pg = p->spare;
    if (pg) {
        p->spare = NULL;
        return pg;
    }
    return malloc(PIPE_PAGE_SIZE);
}

static void page_free(struct pipe *p, char *pg)
{
    if (!p->spare)
        p->spare = pg;
    else
        free(pg);
}

static bool can_read(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool can_write(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_RDONLY;
}

static struct pipe *pipe_of(struct file *f)
{
    return ((struct pipe_file *)f->priv)->p;
}

/* Waits (p->lock held, dropped while asleep) until woken for events, or a
 * signal: 0 or -EINTR. The caller re-checks its condition either way. */
static int wait_locked(struct pipe *p, struct task *t, uint32_t events)
{
    struct waiter w = {.t = t, .events = events};
    waitq_add(&p->wq, &w);
    pthread_mutex_unlock(&p->lock);
    int r = task_block(t, NULL);
    waitq_remove(&p->wq, &w);
    pthread_mutex_lock(&p->lock);
    return r == -EINTR ? -EINTR : 0;
}

/* ---- file operations ---------------------------------------------------- */

static ssize_t pipe_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct pipe *p = pipe_of(f);
    struct task *t = task_current();
    char *dst = buf;
    size_t done = 0;
    ssize_t ret = 0;
    bool freed = false;
    if (len == 0)
        return 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (p->head != p->tail) {
            struct pipe_slot *s = slot(p, p->tail);
            size_t n = s->len < len - done ? s->len : len - done;
            memcpy(dst + done, s->page + s->off, n);
            done += n;
            s->off += (uint32_t)n;
            s->len -= (uint32_t)n;
            bool packet = s->packet;
            if (packet)
                s->len = 0; /* the rest of the packet is dropped */
            if (s->len == 0) {
                /* Writers wait only on a full pipe: wake them only when
                 * it stops being full (Linux: an edge for epoll too). */
                freed |= full(p);
                page_free(p, s->page);
                *s = (struct pipe_slot){0};
                p->tail++;
            }
            if (packet || done == len)
                break;
            if (p->head != p->tail)
                continue;
        }
        if (p->writers == 0 || done > 0)
            break; /* EOF, or a short read */
        if (f->flags & O_NONBLOCK) {
            ret = -EAGAIN;
            break;
        }
        if (!t) {
            ret = -EAGAIN; /* no task to block (unit tests) */
            break;
        }
        if (freed) {
            waitq_wake(&p->wq, POLLOUT | POLLWRNORM, 0);
            freed = false;
        }
        if (wait_locked(p, t, POLLIN | POLLRDNORM | POLLHUP) == -EINTR) {
            ret = -ERESTARTSYS;
            break;
        }
    }
    if (freed)
        waitq_wake(&p->wq, POLLOUT | POLLWRNORM, 0);
    pthread_mutex_unlock(&p->lock);
    return done > 0 ? (ssize_t)done : ret;
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    struct pipe *p = pipe_of(f);
    struct task *t = task_current();
    const char *src = buf;
    size_t done = 0;
    ssize_t ret = 0;
    bool sigpipe = false;
    bool packet = f->flags & O_DIRECT;
    if (len == 0)
        return 0;
    pthread_mutex_lock(&p->lock);
    if (p->readers == 0) {
        sigpipe = true;
        ret = -EPIPE;
        goto out;
    }
    /* The head of the write (len modulo a page) joins the last slot if it
     * fits there; a write of at most PIPE_BUF bytes therefore either merges
     * whole or takes one new slot whole: it is never split. */
    size_t head_len = len & (PIPE_PAGE_SIZE - 1);
    if (head_len && p->head != p->tail) {
        struct pipe_slot *s = slot(p, p->head - 1);
        if (s->can_merge && s->off + s->len + head_len <= PIPE_PAGE_SIZE) {
            memcpy(s->page + s->off + s->len, src, head_len);
            s->len += (uint32_t)head_len;
            done = head_len;
            waitq_wake(&p->wq, POLLIN | POLLRDNORM, 0);
            if (done == len)
                goto out;
        }
    }
    for (;;) {
        if (p->readers == 0) {
            sigpipe = true;
            ret = -EPIPE;
            break;
        }
        if (!full(p)) {
            char *pg = page_alloc(p);
            if (!pg) {
                ret = -ENOMEM;
                break;
            }
            size_t n = len - done < PIPE_PAGE_SIZE ? len - done : PIPE_PAGE_SIZE;
            memcpy(pg, src + done, n);
            *slot(p, p->head) = (struct pipe_slot){
                .page = pg, .off = 0, .len = (uint32_t)n, .packet = packet, .can_merge = !packet};
            p->head++;
            done += n;
            waitq_wake(&p->wq, POLLIN | POLLRDNORM, 0);
            if (done == len)
                break;
            continue;
        }
        if (f->flags & O_NONBLOCK) {
            ret = -EAGAIN;
            break;
        }
        if (!t) {
            ret = -EAGAIN;
            break;
        }
        if (wait_locked(p, t, POLLOUT | POLLWRNORM | POLLERR) == -EINTR) {
            ret = -ERESTARTSYS;
            break;
        }
    }
out:
    pthread_mutex_unlock(&p->lock);
    /* Linux sends SIGPIPE even after a partial write. */
    if (sigpipe && t)
        signal_send_task(t, SIGPIPE, NULL);
    return done > 0 ? (ssize_t)done : ret;
}

static uint32_t pipe_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct pipe_file *pf = f->priv;
    struct pipe *p = pf->p;
    vfs_poll_wait(pt, &p->wq);
    uint32_t mask = 0;
    pthread_mutex_lock(&p->lock);
    if (can_read(f)) {
        if (p->head != p->tail)
            mask |= POLLIN | POLLRDNORM;
        /* No POLLHUP for a FIFO reader that has never seen a writer. */
        if (p->writers == 0 && pf->w_counter_seen != p->w_counter)
            mask |= POLLHUP;
    }
    if (can_write(f)) {
        if (!full(p))
            mask |= POLLOUT | POLLWRNORM;
        if (p->readers == 0)
            mask |= POLLERR;
    }
    pthread_mutex_unlock(&p->lock);
    return mask;
}

static long pipe_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct pipe *p = pipe_of(f);
    if (cmd != FIONREAD)
        return -ENOTTY;
    int count = 0;
    pthread_mutex_lock(&p->lock);
    for (uint32_t i = p->tail; i != p->head; i++)
        count += (int)slot(p, i)->len;
    pthread_mutex_unlock(&p->lock);
    return mm_copy_out(mm, arg, &count, sizeof(count));
}

static void fifo_detach(struct pipe *p);

static void pipe_release(struct file *f)
{
    struct pipe_file *pf = f->priv;
    if (!pf)
        return;
    struct pipe *p = pf->p;
    pthread_mutex_lock(&p->lock);
    if (can_read(f))
        p->readers--;
    if (can_write(f))
        p->writers--;
    /* Blocked readers see EOF, blocked writers EPIPE, pollers POLLHUP or
     * POLLERR: wake everyone. */
    waitq_wake(&p->wq, 0, 0);
    pthread_mutex_unlock(&p->lock);
    if (pf->fifo)
        fifo_detach(p);
    free(pf);
    f->priv = NULL;
    pipe_put(p);
}

static const struct file_ops g_pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .ioctl = pipe_ioctl,
    .poll = pipe_poll,
    .release = pipe_release,
    .stream = true,
};

int pipe_open(struct pipe *p, struct file *f, int flags)
{
    struct pipe_file *pf = calloc(1, sizeof(*pf));
    if (!pf)
        return -ENOMEM;
    pipe_get(p);
    pf->p = p;
    int acc = flags & O_ACCMODE;
    pthread_mutex_lock(&p->lock);
    if (acc != O_WRONLY) {
        p->readers++;
        p->r_counter++;
    }
    if (acc != O_RDONLY) {
        p->writers++;
        p->w_counter++;
    }
    waitq_wake(&p->wq, 0, 0);
    pthread_mutex_unlock(&p->lock);
    f->ops = &g_pipe_ops;
    f->priv = pf;
    return 0;
}

/* ---- named pipes (FIFOs) --------------------------------------------------
 *
 * One pipe per FIFO node, found in a table by the node's (st_dev, st_ino):
 * made by the first open, dropped (with any data left in it) when the last
 * description attached to it, or still opening, goes (Linux's i_pipe and
 * pipe->files). g_fifo_lock guards the table and every pipe's fifo_files;
 * it is a leaf: never held with p->lock. */

#define FIFO_BUCKETS 64
static pthread_mutex_t g_fifo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pipe *g_fifos[FIFO_BUCKETS];

static struct pipe **fifo_bucket(uint64_t dev, uint64_t ino)
{
    return &g_fifos[(ino ^ (dev * 0x9e3779b97f4a7c15ull)) % FIFO_BUCKETS];
}

/* The pipe of the node (dev, ino), made if absent, with one more attached
 * description and a reference for the caller. */
static int fifo_attach(uint64_t dev, uint64_t ino, struct pipe **out)
{
    pthread_mutex_lock(&g_fifo_lock);
    struct pipe **b = fifo_bucket(dev, ino);
    struct pipe *p = *b;
    while (p && (p->fifo_dev != dev || p->fifo_ino != ino))
        p = p->fifo_next;
    if (!p) {
        int r = pipe_new(&p); /* the table's reference */
        if (r < 0) {
            pthread_mutex_unlock(&g_fifo_lock);
            return r;
        }
        p->fifo_dev = dev;
        p->fifo_ino = ino;
        p->fifo_next = *b;
        *b = p;
    }
    p->fifo_files++;
    pipe_get(p);
    pthread_mutex_unlock(&g_fifo_lock);
    *out = p;
    return 0;
}

/* Undoes fifo_attach's count (not its reference): the last one takes the
 * pipe out of the table and drops the table's reference. */
static void fifo_detach(struct pipe *p)
{
    bool last = false;
    pthread_mutex_lock(&g_fifo_lock);
    if (--p->fifo_files == 0) {
        struct pipe **pp = fifo_bucket(p->fifo_dev, p->fifo_ino);
        while (*pp != p)
            pp = &(*pp)->fifo_next;
        *pp = p->fifo_next;
        last = true;
    }
    pthread_mutex_unlock(&g_fifo_lock);
    if (last)
        pipe_put(p);
}

/* Waits (p->lock held) until *counter moves: a partner opened the other
 * end (even if it has closed it again since). -ERESTARTSYS if a signal
 * came first. */
static int wait_partner(struct pipe *p, struct task *t, const uint32_t *counter)
{
    uint32_t cur = *counter;
    if (!t)
        return -EAGAIN; /* no task to block (unit tests) */
    while (cur == *counter) {
        if (wait_locked(p, t, 0) == -EINTR)
            return cur == *counter ? -ERESTARTSYS : 0;
    }
    return 0;
}

int pipe_fifo_open(struct inode *ino, struct file *f, int flags)
{
    struct vfs_attr a;
    int r = vfs_getattr(ino, &a);
    if (r < 0)
        return r;
    int acc = flags & O_ACCMODE;
    if (acc == 3)
        return -EINVAL;
    struct pipe_file *pf = calloc(1, sizeof(*pf));
    if (!pf)
        return -ENOMEM;
    struct pipe *p;
    r = fifo_attach(a.dev, a.ino, &p);
    if (r < 0) {
        free(pf);
        return r;
    }
    pf->p = p;
    pf->fifo = true;
    struct task *t = task_current();
    pthread_mutex_lock(&p->lock);
    switch (acc) {
    case O_RDONLY:
        /* POSIX: O_NONBLOCK opens at once without a writer. */
        p->r_counter++;
        if (p->readers++ == 0)
            waitq_wake(&p->wq, 0, 0);
        if (p->writers == 0) {
            if (flags & O_NONBLOCK)
                pf->w_counter_seen = p->w_counter; /* no POLLHUP before a writer */
            else
                r = wait_partner(p, t, &p->w_counter);
            if (r < 0 && --p->readers == 0)
                waitq_wake(&p->wq, 0, 0);
        }
        break;
    case O_WRONLY:
        /* POSIX: O_NONBLOCK without a reader is ENXIO. */
        if ((flags & O_NONBLOCK) && p->readers == 0) {
            r = -ENXIO;
            break;
        }
        p->w_counter++;
        if (p->writers++ == 0)
            waitq_wake(&p->wq, 0, 0);
        if (p->readers == 0) {
            r = wait_partner(p, t, &p->r_counter);
            if (r < 0 && --p->writers == 0)
                waitq_wake(&p->wq, 0, 0);
        }
        break;
    default:
        /* O_RDWR never blocks: the opener can talk to itself. */
        p->readers++;
        p->writers++;
        p->r_counter++;
        p->w_counter++;
        waitq_wake(&p->wq, 0, 0);
        break;
    }
    pthread_mutex_unlock(&p->lock);
    if (r < 0) {
        free(pf);
        fifo_detach(p);
        pipe_put(p);
        return r;
    }
    f->ops = &g_pipe_ops;
    f->priv = pf;
    return 0;
}

bool pipe_is_file(struct file *f)
{
    return f->ops == &g_pipe_ops;
}

long pipe_get_size(struct file *f)
{
    if (!pipe_is_file(f))
        return -EBADF;
    struct pipe *p = pipe_of(f);
    pthread_mutex_lock(&p->lock);
    long r = (long)p->nslots * PIPE_PAGE_SIZE;
    pthread_mutex_unlock(&p->lock);
    return r;
}

long pipe_set_size(struct file *f, uint32_t size, bool privileged)
{
    if (!pipe_is_file(f))
        return -EBADF;
    struct pipe *p = pipe_of(f);
    /* Linux's round_pipe_size: 0 (EINVAL) above 2^31, else at least a page
     * and a power of two. */
    if (size > (1u << 31))
        return -EINVAL;
    uint64_t bytes = PIPE_PAGE_SIZE;
    while (bytes < size)
        bytes <<= 1;
    uint32_t nslots = (uint32_t)(bytes / PIPE_PAGE_SIZE);
    pthread_mutex_lock(&p->lock);
    long r;
    if (nslots > p->nslots && bytes > PIPE_MAX_SIZE && !privileged) {
        r = -EPERM;
        goto out;
    }
    if (nslots == p->nslots) {
        r = (long)bytes;
        goto out;
    }
    uint32_t n = occupancy(p);
    if (nslots < n) {
        r = -EBUSY;
        goto out;
    }
    struct pipe_slot *slots = calloc(nslots, sizeof(*slots));
    if (!slots) {
        r = -ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++)
        slots[i] = *slot(p, p->tail + i);
    free(p->slots);
    p->slots = slots;
    p->nslots = nslots;
    p->tail = 0;
    p->head = n;
    /* A bigger pipe may have room for blocked writers now. */
    waitq_wake(&p->wq, POLLOUT | POLLWRNORM, 0);
    r = (long)bytes;
out:
    pthread_mutex_unlock(&p->lock);
    return r;
}

/* ---- anonymous pipes: pipefs -------------------------------------------- */

static const struct vfs_fs_type g_pipefs_type = {.name = "pipefs"};
static struct vfs_fs g_pipefs = {.type = &g_pipefs_type, .refs = 1};
static pthread_once_t g_pipefs_once = PTHREAD_ONCE_INIT;
static uint64_t g_next_ino = 1;

static void pipefs_init(void)
{
    g_pipefs.dev = vfs_new_dev();
}

/* The anonymous inode's private data. */
struct pipe_inode {
    struct pipe *p; /* reference held */
    uint32_t uid, gid;
    struct timespec ctime;
};

static int pipe_inode_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct pipe_inode *pi = ino->priv;
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = ino->mode;
    a->nlink = 1;
    a->uid = pi->uid;
    a->gid = pi->gid;
    a->blksize = PIPE_PAGE_SIZE;
    a->atime = a->mtime = a->ctime = a->btime = pi->ctime;
    return 0;
}

static void pipe_inode_release(struct inode *ino)
{
    struct pipe_inode *pi = ino->priv;
    if (pi) {
        pipe_put(pi->p);
        free(pi);
    }
}

static const struct inode_ops g_pipe_inode_ops = {
    .getattr = pipe_inode_getattr,
    .release = pipe_inode_release,
};

static int open_end(struct inode *ino, struct pipe *p, int flags, struct file **out)
{
    struct file *f = vfs_file_new(ino, NULL, flags);
    if (!f)
        return -ENOMEM;
    int r = pipe_open(p, f, flags);
    if (r < 0) {
        file_put(f);
        return r;
    }
    *out = f;
    return 0;
}

int pipe_create(uint32_t uid, uint32_t gid, int flags, struct file **rd, struct file **wr)
{
    pthread_once(&g_pipefs_once, pipefs_init);
    struct pipe_inode *pi = calloc(1, sizeof(*pi));
    if (!pi)
        return -ENOMEM;
    int r = pipe_new(&pi->p);
    if (r < 0) {
        free(pi);
        return r;
    }
    pi->uid = uid;
    pi->gid = gid;
    clock_gettime(CLOCK_REALTIME, &pi->ctime);
    uint64_t ino_nr = __atomic_fetch_add(&g_next_ino, 1, __ATOMIC_RELAXED);
    struct inode *ino = vfs_inode_new(&g_pipefs, &g_pipe_inode_ops, ino_nr, S_IFIFO | 0600, pi);
    if (!ino) {
        pipe_put(pi->p);
        free(pi);
        return -ENOMEM;
    }
    /* O_DIRECT is the write end's (packets are made by writes), as Linux. */
    struct file *r_end = NULL, *w_end = NULL;
    r = open_end(ino, pi->p, O_RDONLY | (flags & O_NONBLOCK), &r_end);
    if (r == 0)
        r = open_end(ino, pi->p, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), &w_end);
    inode_put(ino);
    if (r < 0) {
        file_put(r_end);
        return r;
    }
    *rd = r_end;
    *wr = w_end;
    return 0;
}
