/* epoll (see epoll.h for the design and the lock order). */
#include "sentry/kernel/epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sysmacros.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"

#define EPOLL_NAME "[eventpoll]"

/* Linux's bits of an item's events that are not conditions. */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
/* What EPOLLEXCLUSIVE may come with. */
#define EP_EXCLUSIVE_OK_BITS                                                                       \
    (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
/* A wait queue is going away (Linux's POLLFREE). */
#define EP_POLLFREE 0x4000u
/* What a host poll(2) can be asked for. */
#define EP_HOST_EVENTS                                                                             \
    (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)
/* Host fds one wait can watch (task_block_host's limit). */
#define EP_MAX_HOST_FDS 64

enum rdstate {
    RD_NONE, /* not on the ready list */
    RD_LIST, /* on ep->rd */
    RD_TX,   /* taken by a scan (ep->mtx held by it) */
};

struct eventpoll;
struct epitem;

/* One registration on a wait queue (the file's poll op named it). */
struct ep_pwq {
    struct waiter w; /* first: the callback finds the rest */
    struct waitq *q; /* NULL once the queue went away (EP_POLLFREE) */
    struct epitem *item;
    struct ep_pwq *next;
};

struct epitem {
    struct eventpoll *ep;
    struct file *file; /* not referenced: the item goes with its release */
    int fd;
    /* Requested events with the private bits. Written under ep->mtx and
     * ep->lock; the callbacks read it under ep->lock. */
    uint32_t events;
    uint64_t data;
    struct ep_pwq *pwqs; /* ep->mtx */
    int *host_fds;       /* host fds the file's poll named (ep->mtx) */
    int nhost;
    uint32_t host_seen; /* edge-triggered host item: conditions last seen */
    bool reg_failed;    /* a registration could not be allocated */
    /* ep->lock */
    enum rdstate rdstate;
    struct epitem *rdprev, *rdnext;
    /* ep->mtx (and g_epoll.lock for changes) */
    struct epitem *iprev, *inext; /* ep->items */
    struct epitem *hnext;         /* hash chain */
    /* g_epoll.lock */
    struct epitem *fprev, *fnext; /* file->epoll_items */
};

struct eventpoll {
    pthread_mutex_t mtx;
    pthread_mutex_t lock;
    struct waitq wq;      /* epoll_wait callers */
    struct waitq poll_wq; /* pollers of the epoll file (poll, outer epolls) */
    struct epitem *rdhead, *rdtail;
    struct epitem *items;
    int nitems;
    int nhost; /* items with host fds */
    struct epitem **buckets;
    unsigned nbuckets;
    struct file *file; /* the epoll file itself (not referenced) */
    /* The loop check's memo (g_epoll.lock). */
    uint64_t down_gen, up_gen;
    int down_depth, up_depth;
};

static struct {
    pthread_mutex_t lock;
    pthread_mutex_t detach;
    uint64_t gen;
    int probe; /* a host epoll fd that tells pollable host fds (lock) */
} g_epoll = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .detach = PTHREAD_MUTEX_INITIALIZER,
    .probe = -1,
};

static const struct file_ops g_epoll_ops;

bool epoll_is_file(const struct file *f)
{
    return f && f->ops == &g_epoll_ops;
}

/* ---- the ready list (ep->lock held) ------------------------------------- */

static void rd_append(struct eventpoll *ep, struct epitem *epi)
{
    epi->rdnext = NULL;
    epi->rdprev = ep->rdtail;
    if (ep->rdtail)
        ep->rdtail->rdnext = epi;
    else
        ep->rdhead = epi;
    ep->rdtail = epi;
    epi->rdstate = RD_LIST;
}

static void rd_unlink(struct eventpoll *ep, struct epitem *epi)
{
    if (epi->rdprev)
        epi->rdprev->rdnext = epi->rdnext;
    else
        ep->rdhead = epi->rdnext;
    if (epi->rdnext)
        epi->rdnext->rdprev = epi->rdprev;
    else
        ep->rdtail = epi->rdprev;
    epi->rdprev = epi->rdnext = NULL;
    epi->rdstate = RD_NONE;
}

/* A scan's private list: the ready list as it was (items RD_TX). */
struct txlist {
    struct epitem *head, *tail;
};

/* Puts every host item on the ready list (they get no wakes), then takes
 * the list for a scan (ep->mtx held; takes ep->lock). */
static void scan_start(struct eventpoll *ep, struct txlist *tx)
{
    pthread_mutex_lock(&ep->lock);
    if (ep->nhost)
        for (struct epitem *epi = ep->items; epi; epi = epi->inext)
            if (epi->nhost && epi->rdstate == RD_NONE)
                rd_append(ep, epi);
    tx->head = ep->rdhead;
    tx->tail = ep->rdtail;
    ep->rdhead = ep->rdtail = NULL;
    for (struct epitem *epi = tx->head; epi; epi = epi->rdnext)
        epi->rdstate = RD_TX;
    pthread_mutex_unlock(&ep->lock);
}

/* The next item of the scan, off every list (ep->lock held). */
static struct epitem *scan_next(struct txlist *tx)
{
    struct epitem *epi = tx->head;
    if (!epi)
        return NULL;
    tx->head = epi->rdnext;
    if (tx->head)
        tx->head->rdprev = NULL;
    else
        tx->tail = NULL;
    epi->rdprev = epi->rdnext = NULL;
    epi->rdstate = RD_NONE;
    return epi;
}

/* Puts what the scan did not look at back in front of the ready list
 * (ep->lock held). */
static void scan_done(struct eventpoll *ep, struct txlist *tx)
{
    if (!tx->head)
        return;
    for (struct epitem *epi = tx->head; epi; epi = epi->rdnext)
        epi->rdstate = RD_LIST;
    tx->tail->rdnext = ep->rdhead;
    if (ep->rdhead)
        ep->rdhead->rdprev = tx->tail;
    else
        ep->rdtail = tx->tail;
    ep->rdhead = tx->head;
    tx->head = tx->tail = NULL;
}

/* ---- the callback ------------------------------------------------------- */

static void ep_wake_waiters(struct eventpoll *ep)
{
    waitq_wake(&ep->wq, 0, 0);
    waitq_wake(&ep->poll_wq, POLLIN | POLLRDNORM, 0);
}

/* A wake of a queue an item is registered on (under that queue's lock). */
static void ep_callback(struct waiter *w, uint32_t mask)
{
    struct ep_pwq *pwq = (struct ep_pwq *)w;
    struct epitem *epi = pwq->item;
    struct eventpoll *ep = epi->ep;
    bool wake = false;
    pthread_mutex_lock(&ep->lock);
    uint32_t ev = epi->events;
    /* A disabled one-shot item, or a wake for conditions it does not
     * want, changes nothing. */
    if ((ev & ~EP_PRIVATE_BITS) && (!mask || (mask & ev))) {
        if (epi->rdstate == RD_NONE)
            rd_append(ep, epi);
        wake = true;
    }
    pthread_mutex_unlock(&ep->lock);
    if (mask & EP_POLLFREE) {
        waitq_remove_locked(pwq->q, w);
        __atomic_store_n(&pwq->q, NULL, __ATOMIC_RELEASE);
    }
    if (wake)
        ep_wake_waiters(ep);
}

void epoll_waitq_free(struct waitq *q)
{
    pthread_mutex_lock(&g_epoll.detach);
    waitq_wake(q, EP_POLLFREE, 0);
    pthread_mutex_unlock(&g_epoll.detach);
}

/* ---- registration ------------------------------------------------------- */

struct ep_ptable {
    struct vfs_poll_table pt; /* first */
    struct epitem *epi;
};

static void ep_ptable_queue(struct vfs_poll_table *pt, struct waitq *q)
{
    struct epitem *epi = ((struct ep_ptable *)pt)->epi;
    if (epi->reg_failed)
        return;
    struct ep_pwq *pwq = calloc(1, sizeof(*pwq));
    if (!pwq) {
        epi->reg_failed = true;
        return;
    }
    pwq->w.func = ep_callback;
    pwq->q = q;
    pwq->item = epi;
    pwq->next = epi->pwqs;
    epi->pwqs = pwq;
    waitq_add(q, &pwq->w);
}

static void ep_ptable_host(struct vfs_poll_table *pt, int fd)
{
    struct epitem *epi = ((struct ep_ptable *)pt)->epi;
    for (int i = 0; i < epi->nhost; i++)
        if (epi->host_fds[i] == fd)
            return;
    int *n = realloc(epi->host_fds, (size_t)(epi->nhost + 1) * sizeof(int));
    if (!n) {
        epi->reg_failed = true;
        return;
    }
    epi->host_fds = n;
    epi->host_fds[epi->nhost++] = fd;
}

/* The item's file's conditions that the item wants (ep->mtx held). */
static uint32_t item_poll(struct epitem *epi, struct vfs_poll_table *pt)
{
    uint32_t ev = __atomic_load_n(&epi->events, __ATOMIC_RELAXED);
    return vfs_file_poll(epi->file, ev & ~EP_PRIVATE_BITS, pt) & ev;
}

/* What a scan reports for an item (ep->mtx held): its conditions, except
 * that an edge-triggered host item reports only conditions its previous
 * poll did not see. consume: the report is delivered (epoll_wait). */
static uint32_t item_events(struct epitem *epi, bool consume)
{
    uint32_t m = item_poll(epi, NULL);
    if (!epi->nhost || !(epi->events & EPOLLET))
        return m;
    uint32_t fresh = m & ~epi->host_seen;
    epi->host_seen = consume ? m : (epi->host_seen & m);
    return fresh ? m : 0;
}

/* Whether the host can poll its fd (g_epoll.lock held): Linux's epoll
 * refuses regular files and devices without readiness (/dev/null) with
 * EPERM, and a host file's poll op cannot tell. The host's own epoll can. */
static bool host_pollable(int fd)
{
    if (g_epoll.probe < 0)
        g_epoll.probe = epoll_create1(EPOLL_CLOEXEC);
    if (g_epoll.probe < 0)
        return true; /* cannot tell */
    struct epoll_event ev = {0};
    if (epoll_ctl(g_epoll.probe, EPOLL_CTL_ADD, fd, &ev) == 0) {
        epoll_ctl(g_epoll.probe, EPOLL_CTL_DEL, fd, NULL);
        return true;
    }
    return errno != EPERM;
}

/* ---- items: lookup and removal ------------------------------------------ */

static unsigned item_hash(const struct file *f, int fd, unsigned nbuckets)
{
    uint64_t h = ((uintptr_t)f >> 4) * 0x9e3779b97f4a7c15ull + (uint32_t)fd;
    h ^= h >> 29;
    return (unsigned)(h & (nbuckets - 1));
}

static struct epitem *item_find(struct eventpoll *ep, const struct file *f, int fd)
{
    if (!ep->nbuckets)
        return NULL;
    for (struct epitem *epi = ep->buckets[item_hash(f, fd, ep->nbuckets)]; epi; epi = epi->hnext)
        if (epi->file == f && epi->fd == fd)
            return epi;
    return NULL;
}

/* Grows the hash table for one more item (ep->mtx held). */
static int hash_reserve(struct eventpoll *ep)
{
    if ((unsigned)ep->nitems + 1 <= ep->nbuckets * 2)
        return 0;
    unsigned nb = ep->nbuckets ? ep->nbuckets * 2 : 16;
    struct epitem **b = calloc(nb, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (struct epitem *epi = ep->items; epi; epi = epi->inext) {
        unsigned h = item_hash(epi->file, epi->fd, nb);
        epi->hnext = b[h];
        b[h] = epi;
    }
    free(ep->buckets);
    ep->buckets = b;
    ep->nbuckets = nb;
    return 0;
}

static void pwq_release(struct ep_pwq *pwq)
{
    pthread_mutex_lock(&g_epoll.detach);
    struct waitq *q = __atomic_load_n(&pwq->q, __ATOMIC_ACQUIRE);
    if (q)
        waitq_remove(q, &pwq->w);
    pthread_mutex_unlock(&g_epoll.detach);
    free(pwq);
}

/* Removes and frees epi (g_epoll.lock and ep->mtx held). */
static void item_remove(struct eventpoll *ep, struct epitem *epi)
{
    /* No callback runs for it once it is off every queue. */
    while (epi->pwqs) {
        struct ep_pwq *pwq = epi->pwqs;
        epi->pwqs = pwq->next;
        pwq_release(pwq);
    }
    pthread_mutex_lock(&ep->lock);
    if (epi->rdstate == RD_LIST)
        rd_unlink(ep, epi);
    pthread_mutex_unlock(&ep->lock);
    /* The hash chain. */
    struct epitem **pp = &ep->buckets[item_hash(epi->file, epi->fd, ep->nbuckets)];
    while (*pp && *pp != epi)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = epi->hnext;
    /* The epoll's list. */
    if (epi->iprev)
        epi->iprev->inext = epi->inext;
    else
        ep->items = epi->inext;
    if (epi->inext)
        epi->inext->iprev = epi->iprev;
    /* The file's list. */
    if (epi->fprev)
        epi->fprev->fnext = epi->fnext;
    else
        __atomic_store_n(&epi->file->epoll_items, epi->fnext, __ATOMIC_RELEASE);
    if (epi->fnext)
        epi->fnext->fprev = epi->fprev;
    ep->nitems--;
    if (epi->nhost)
        ep->nhost--;
    free(epi->host_fds);
    free(epi);
}

void epoll_file_release(struct file *f)
{
    if (!__atomic_load_n(&f->epoll_items, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&g_epoll.lock);
    struct epitem *epi;
    while ((epi = f->epoll_items)) {
        struct eventpoll *ep = epi->ep;
        pthread_mutex_lock(&ep->mtx);
        item_remove(ep, epi);
        pthread_mutex_unlock(&ep->mtx);
    }
    pthread_mutex_unlock(&g_epoll.lock);
}

/* ---- the loop check (g_epoll.lock held) --------------------------------- */

/* The longest chain of epoll links below ep, or more than EPOLL_MAX_NESTS
 * if it is too long or reaches `into` (a loop). */
static int depth_down(struct eventpoll *ep, const struct eventpoll *into, int depth)
{
    if (ep->down_gen == g_epoll.gen)
        return ep->down_depth;
    int result = 0;
    for (struct epitem *epi = ep->items; epi; epi = epi->inext) {
        if (!epoll_is_file(epi->file))
            continue;
        struct eventpoll *sub = epi->file->priv;
        int d;
        if (sub == into || depth > EPOLL_MAX_NESTS)
            d = EPOLL_MAX_NESTS + 1;
        else
            d = depth_down(sub, into, depth + 1) + 1;
        if (d > result)
            result = d;
        if (result > EPOLL_MAX_NESTS)
            break;
    }
    ep->down_gen = g_epoll.gen;
    ep->down_depth = result;
    return result;
}

/* The longest chain of epoll links above ep (epolls watching it). */
static int depth_up(struct eventpoll *ep)
{
    if (ep->up_gen == g_epoll.gen)
        return ep->up_depth;
    ep->up_gen = g_epoll.gen;
    ep->up_depth = 0;
    int result = 0;
    for (struct epitem *epi = ep->file->epoll_items; epi; epi = epi->fnext) {
        int d = depth_up(epi->ep) + 1;
        if (d > result)
            result = d;
    }
    ep->up_depth = result;
    return result;
}

/* Adding the epoll `to` to ep would make a loop or too long a chain. */
static bool loop_check_fails(struct eventpoll *ep, struct eventpoll *to)
{
    g_epoll.gen++;
    int down = depth_down(to, ep, 0);
    if (down > EPOLL_MAX_NESTS)
        return true;
    return down + 1 + depth_up(ep) > EPOLL_MAX_NESTS;
}

/* ---- epoll_ctl ----------------------------------------------------------- */

/* Readiness found by ctl: queue the item and wake (ep->mtx held). */
static void item_ready(struct eventpoll *ep, struct epitem *epi)
{
    bool wake = false;
    pthread_mutex_lock(&ep->lock);
    if (epi->rdstate == RD_NONE) {
        rd_append(ep, epi);
        wake = true;
    }
    pthread_mutex_unlock(&ep->lock);
    if (wake)
        ep_wake_waiters(ep);
}

static int item_insert(struct eventpoll *ep, struct file *tf, int fd, const struct epoll_kevent *ev)
{
    if (hash_reserve(ep) < 0)
        return -ENOMEM;
    struct epitem *epi = calloc(1, sizeof(*epi));
    if (!epi)
        return -ENOMEM;
    epi->ep = ep;
    epi->file = tf;
    epi->fd = fd;
    epi->events = ev->events;
    epi->data = ev->data;
    unsigned h = item_hash(tf, fd, ep->nbuckets);
    epi->hnext = ep->buckets[h];
    ep->buckets[h] = epi;
    epi->inext = ep->items;
    if (ep->items)
        ep->items->iprev = epi;
    ep->items = epi;
    ep->nitems++;
    epi->fnext = tf->epoll_items;
    if (epi->fnext)
        epi->fnext->fprev = epi;
    __atomic_store_n(&tf->epoll_items, epi, __ATOMIC_RELEASE);
    /* Register on the file's queues and see how it is now. */
    struct ep_ptable pt = {.pt = {.queue = ep_ptable_queue, .host_fd = ep_ptable_host}, .epi = epi};
    uint32_t m = item_poll(epi, &pt.pt);
    if (epi->nhost)
        ep->nhost++;
    if (epi->reg_failed) {
        item_remove(ep, epi);
        return -ENOMEM;
    }
    for (int i = 0; i < epi->nhost; i++)
        if (!host_pollable(epi->host_fds[i])) {
            item_remove(ep, epi);
            return -EPERM;
        }
    if (epi->nhost && (epi->events & EPOLLET))
        epi->host_seen = 0; /* the first scan reports what is there */
    if (m)
        item_ready(ep, epi);
    return 0;
}

static int item_modify(struct eventpoll *ep, struct epitem *epi, const struct epoll_kevent *ev)
{
    pthread_mutex_lock(&ep->lock);
    epi->events = ev->events;
    epi->data = ev->data;
    pthread_mutex_unlock(&ep->lock);
    epi->host_seen = 0; /* re-armed: a host item reports again */
    if (item_poll(epi, NULL))
        item_ready(ep, epi);
    return 0;
}

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *tf,
                   const struct epoll_kevent *evp, bool can_wakeup)
{
    /* The target must have readiness (regular files and directories do
     * not). */
    if (!tf->ops || !tf->ops->poll)
        return -EPERM;
    struct epoll_kevent ev = {0};
    bool has_event = op != EPOLL_CTL_DEL;
    if (has_event) {
        ev = *evp;
        if (!can_wakeup)
            ev.events &= ~(uint32_t)EPOLLWAKEUP;
    }
    if (epf == tf || !epoll_is_file(epf))
        return -EINVAL;
    if (has_event && (ev.events & EPOLLEXCLUSIVE)) {
        if (op == EPOLL_CTL_MOD)
            return -EINVAL;
        if (op == EPOLL_CTL_ADD &&
            (epoll_is_file(tf) || (ev.events & ~(uint32_t)EP_EXCLUSIVE_OK_BITS)))
            return -EINVAL;
    }
    struct eventpoll *ep = epf->priv;
    pthread_mutex_lock(&g_epoll.lock);
    int r;
    if (op == EPOLL_CTL_ADD && epoll_is_file(tf) && loop_check_fails(ep, tf->priv)) {
        r = -ELOOP;
        goto out_global;
    }
    pthread_mutex_lock(&ep->mtx);
    struct epitem *epi = item_find(ep, tf, fd);
    switch (op) {
    case EPOLL_CTL_ADD:
        ev.events |= EPOLLERR | EPOLLHUP;
        r = epi ? -EEXIST : item_insert(ep, tf, fd, &ev);
        break;
    case EPOLL_CTL_DEL:
        if (epi)
            item_remove(ep, epi);
        r = epi ? 0 : -ENOENT;
        break;
    case EPOLL_CTL_MOD:
        if (!epi)
            r = -ENOENT;
        else if (epi->events & EPOLLEXCLUSIVE)
            r = -EINVAL;
        else {
            ev.events |= EPOLLERR | EPOLLHUP;
            r = item_modify(ep, epi, &ev);
        }
        break;
    default:
        r = -EINVAL;
        break;
    }
    pthread_mutex_unlock(&ep->mtx);
out_global:
    pthread_mutex_unlock(&g_epoll.lock);
    return r;
}

/* ---- scans ---------------------------------------------------------------- */

/* Collects up to max events (ep->mtx held); *out is malloc'ed. */
static int send_events(struct eventpoll *ep, int max, struct epoll_kevent **out)
{
    *out = NULL;
    int cap = max < ep->nitems ? max : ep->nitems;
    if (cap <= 0)
        return 0;
    struct epoll_kevent *ev = malloc((size_t)cap * sizeof(*ev));
    if (!ev)
        return -ENOMEM;
    struct txlist tx;
    scan_start(ep, &tx);
    int n = 0;
    pthread_mutex_lock(&ep->lock);
    struct epitem *epi;
    while (n < cap && (epi = scan_next(&tx))) {
        pthread_mutex_unlock(&ep->lock);
        uint32_t m = item_events(epi, true);
        pthread_mutex_lock(&ep->lock);
        if (!m)
            continue; /* a later wake queues it again */
        ev[n].events = m;
        ev[n].data = epi->data;
        n++;
        if (epi->events & EPOLLONESHOT)
            epi->events &= EP_PRIVATE_BITS;
        else if (!(epi->events & EPOLLET) && epi->rdstate == RD_NONE)
            rd_append(ep, epi); /* level-triggered: looked at again next time */
    }
    scan_done(ep, &tx);
    pthread_mutex_unlock(&ep->lock);
    if (!n) {
        free(ev);
        ev = NULL;
    }
    *out = ev;
    return n;
}

/* Whether some item has an event (the epoll file's readiness; ep->mtx
 * held). Items found without one leave the ready list. */
static bool has_events(struct eventpoll *ep)
{
    struct txlist tx;
    scan_start(ep, &tx);
    bool ready = false;
    pthread_mutex_lock(&ep->lock);
    struct epitem *epi;
    while (!ready && (epi = scan_next(&tx))) {
        pthread_mutex_unlock(&ep->lock);
        uint32_t m = item_events(epi, false);
        pthread_mutex_lock(&ep->lock);
        if (m) {
            ready = true;
            if (epi->rdstate == RD_NONE)
                rd_append(ep, epi);
        }
    }
    scan_done(ep, &tx);
    pthread_mutex_unlock(&ep->lock);
    return ready;
}

/* The host fds to poll while waiting (ep->mtx held). */
static int host_fds(struct eventpoll *ep, struct pollfd *pf, int max)
{
    int n = 0;
    if (!ep->nhost)
        return 0;
    for (struct epitem *epi = ep->items; epi; epi = epi->inext) {
        uint32_t ev = epi->events & EP_HOST_EVENTS;
        if (!ev)
            continue; /* disabled (one-shot) */
        for (int i = 0; i < epi->nhost && n < max; i++)
            pf[n++] = (struct pollfd){.fd = epi->host_fds[i], .events = (short)ev};
    }
    return n;
}

int epoll_wait_file(struct task *t, struct file *epf, int maxevents,
                    const struct timespec *deadline, bool no_wait, struct epoll_kevent **out)
{
    struct eventpoll *ep = epf->priv;
    struct waiter w = {.t = t};
    struct pollfd pf[EP_MAX_HOST_FDS];
    int npf = 0;
    bool timed_out = no_wait;
    int n;
    *out = NULL;
    if (!timed_out)
        waitq_add(&ep->wq, &w);
    for (;;) {
        pthread_mutex_lock(&ep->mtx);
        n = send_events(ep, maxevents, out);
        if (!n && !timed_out)
            npf = host_fds(ep, pf, EP_MAX_HOST_FDS);
        pthread_mutex_unlock(&ep->mtx);
        if (n || timed_out)
            break;
        int r = task_block_host(t, pf, npf, deadline);
        if (r == -EINTR) {
            /* Events found first win over the signal. */
            pthread_mutex_lock(&ep->mtx);
            n = send_events(ep, maxevents, out);
            pthread_mutex_unlock(&ep->mtx);
            if (!n)
                n = -EINTR;
            break;
        }
        if (r == -ETIMEDOUT)
            timed_out = true; /* one last look */
        else if (r < 0) {
            n = r;
            break;
        }
    }
    if (!no_wait)
        waitq_remove(&ep->wq, &w);
    return n;
}

/* ---- the epoll file --------------------------------------------------------- */

static uint32_t ep_file_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct eventpoll *ep = f->priv;
    vfs_poll_wait(pt, &ep->poll_wq);
    pthread_mutex_lock(&ep->mtx);
    if (pt && ep->nhost)
        for (struct epitem *epi = ep->items; epi; epi = epi->inext)
            for (int i = 0; i < epi->nhost; i++)
                vfs_poll_wait_host(pt, epi->host_fds[i]);
    bool ready = has_events(ep);
    pthread_mutex_unlock(&ep->mtx);
    return ready ? POLLIN | POLLRDNORM : 0;
}

static void ep_file_release(struct file *f)
{
    struct eventpoll *ep = f->priv;
    if (!ep)
        return;
    /* Epolls watching this one lost their items in epoll_file_release. */
    pthread_mutex_lock(&g_epoll.lock);
    pthread_mutex_lock(&ep->mtx);
    while (ep->items)
        item_remove(ep, ep->items);
    pthread_mutex_unlock(&ep->mtx);
    pthread_mutex_unlock(&g_epoll.lock);
    pthread_mutex_destroy(&ep->mtx);
    pthread_mutex_destroy(&ep->lock);
    free(ep->buckets);
    free(ep);
    f->priv = NULL;
}

/* Linux's "tfd: ... events: ... data: ..." lines, one per item. */
static void ep_show_fdinfo(struct file *f, FILE *out)
{
    struct eventpoll *ep = f->priv;
    pthread_mutex_lock(&ep->mtx);
    struct epitem *last = ep->items;
    while (last && last->inext)
        last = last->inext;
    for (struct epitem *epi = last; epi; epi = epi->iprev) { /* oldest first */
        struct inode *ino = epi->file->inode;
        uint64_t dev = ino && ino->fs ? ino->fs->dev : 0;
        unsigned kdev = (major(dev) << 20) | minor(dev); /* the kernel's encoding */
        fprintf(out, "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%llx sdev:%x\n", epi->fd,
                epi->events, (unsigned long long)epi->data,
                (long long)__atomic_load_n(&epi->file->pos, __ATOMIC_RELAXED),
                (unsigned long long)(ino ? ino->ino : 0), kdev);
    }
    pthread_mutex_unlock(&ep->mtx);
}

static const struct file_ops g_epoll_ops = {
    .poll = ep_file_poll,
    .release = ep_file_release,
    .show_fdinfo = ep_show_fdinfo,
    .stream = true,
};

int epoll_create_file(struct file **out)
{
    struct eventpoll *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return -ENOMEM;
    pthread_mutex_init(&ep->mtx, NULL);
    pthread_mutex_init(&ep->lock, NULL);
    waitq_init(&ep->wq);
    waitq_init(&ep->poll_wq);
    struct file *f;
    int r = anon_file_new(EPOLL_NAME, &g_epoll_ops, ep, O_RDWR, &f);
    if (r < 0) {
        pthread_mutex_destroy(&ep->mtx);
        pthread_mutex_destroy(&ep->lock);
        free(ep);
        return r;
    }
    ep->file = f;
    *out = f;
    return 0;
}
