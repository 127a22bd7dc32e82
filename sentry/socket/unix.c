/* AF_UNIX sockets (see unix.h and README.md).
 *
 * An endpoint (struct uep, Linux's unix_sock) has a receive queue of
 * messages (struct umsg, Linux's skb): stream data in chunks, datagrams,
 * or, on a listening socket, connection requests carrying the server end
 * made at connect time (the "embryo" accept returns). A message is charged
 * to its sender's send buffer (wmem, with Linux's skb overhead) until it is
 * read or purged, which is the flow control of every type; a datagram
 * receiver not connected back to its sender also limits its queue to
 * max_dgram_qlen (10) messages.
 *
 * Locks (docs/locking.md), in order:
 *   uep.bindlock -> (VFS: dentry.lock ...) and g_unix_names.lock
 *   uep.iolock -> uep.lock -> g_wake_lock -> waitq.lock
 *   uep.iolock -> mm.lock (copies to the application under iolock)
 *   a listener's uep.lock -> the connecting socket's uep.lock (connect);
 *   two datagram sockets' locks in address order (connect); otherwise
 *   one uep.lock at a time.
 * g_unix_names.lock (the name tables) is taken alone. Messages are freed, and
 * endpoint references dropped, with no lock held: freeing closes passed
 * files, which may release other sockets. */
#include "sentry/socket/unix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/un.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"

#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

#define UNIX_MAX_DGRAM_QLEN 10 /* net.unix.max_dgram_qlen */
#define UNIX_STREAM_CHUNK 32768
#define SUN_PATH_OFF 2 /* offsetof(struct sockaddr_un, sun_path) */
#define SUN_LEN_MAX ((uint32_t)sizeof(struct sockaddr_un))
#define NO_ID 0xffffffffu
#define OVERFLOW_ID 65534u

#define EV_IN (POLLIN | POLLRDNORM)
#define EV_OUT (POLLOUT | POLLWRNORM | POLLWRBAND)

enum { US_CLOSE, US_LISTEN, US_ESTABLISHED };

struct uep;

struct umsg {
    struct umsg *next;
    struct uep *sender; /* reference: its address; charged truesize */
    struct uep *conn;   /* a connection request: the server end (reference) */
    uint32_t truesize;
    size_t len, consumed;
    struct sock_cred creds; /* {0, NO_ID, NO_ID}: none */
    struct file **files;    /* SCM_RIGHTS */
    int nfiles;
    char data[];
};

struct uep {
    int refs; /* atomic */
    int type;
    pthread_mutex_t lock;     /* what follows, up to opts */
    pthread_mutex_t iolock;   /* one receiver at a time */
    pthread_mutex_t bindlock; /* one bind at a time */
    int state;                /* US_*; read locklessly with atomics */
    bool dead;                /* released */
    bool has_socket;          /* false for a server end not accepted yet */
    int shutdown;             /* RCV_SHUTDOWN | SEND_SHUTDOWN */
    int err;                  /* pending error (SO_ERROR) */
    struct uep *peer;         /* reference */
    struct umsg *rq_head, *rq_tail;
    int rq_count; /* written under lock, read with atomics */
    int backlog;  /* queue limit: listen's backlog, or max_dgram_qlen */
    int64_t wmem; /* atomic: bytes of our messages not yet freed */
    struct sock_cred peercred;
    struct sock_common opts;
    /* The bound address: set once (addrlen last, release store). */
    char addr[SOCK_ADDR_MAX];
    uint32_t addrlen;
    /* g_unix_names.lock */
    struct vfs_path path; /* the node bind made */
    bool abstract_hashed, bsd_hashed;
    struct uep *name_next;
    /* g_wake_lock: a datagram socket waiting for room in its peer's queue
     * (Linux's peer_wake): registered on wake_on's wake_list. */
    struct uep *wake_on, *wake_list, *wake_next;
    struct waitq wq;        /* readers, writers, pollers, accept */
    struct waitq peer_wait; /* senders and connectors waiting for room in our queue */
};

static struct {
    pthread_mutex_t lock;
    struct uep *abstract; /* abstract and autobind names */
    struct uep *bsd;      /* bound to filesystem nodes */
} g_unix_names = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t g_wake_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct socket_ops g_unix_ops;
static void ep_release(struct uep *e, bool embryo);

/* ---- endpoints and messages --------------------------------------------- */

static const struct sock_cred g_no_cred = {0, NO_ID, NO_ID};

static struct uep *ep_new(int type)
{
    struct uep *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->refs = 1;
    e->type = type;
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->iolock, NULL);
    pthread_mutex_init(&e->bindlock, NULL);
    e->state = US_CLOSE;
    e->has_socket = true;
    e->backlog = UNIX_MAX_DGRAM_QLEN;
    e->peercred = g_no_cred;
    sock_common_init(&e->opts);
    waitq_init(&e->wq);
    waitq_init(&e->peer_wait);
    return e;
}

static void ep_get(struct uep *e)
{
    __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

static void msg_free(struct umsg *m);

/* Drops a reference; no lock may be held (the last one frees queued
 * messages, which closes passed files). */
static void ep_put(struct uep *e)
{
    if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    struct umsg *m = e->rq_head;
    while (m) {
        struct umsg *next = m->next;
        if (m->conn)
            ep_release(m->conn, true);
        msg_free(m);
        m = next;
    }
    path_put(&e->path);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->iolock);
    pthread_mutex_destroy(&e->bindlock);
    pthread_mutex_destroy(&e->wq.lock);
    pthread_mutex_destroy(&e->peer_wait.lock);
    free(e);
}

static int ep_state(struct uep *e)
{
    return __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
}

static void set_state(struct uep *e, int s)
{
    __atomic_store_n(&e->state, s, __ATOMIC_RELEASE);
}

static int sndbuf(struct uep *e)
{
    return __atomic_load_n(&e->opts.sndbuf, __ATOMIC_RELAXED);
}

static bool passcred(struct uep *e)
{
    return __atomic_load_n(&e->opts.passcred, __ATOMIC_RELAXED);
}

/* Linux's unix_writable: not listening, and at most a quarter of the send
 * buffer in flight. */
static bool ep_writable(struct uep *e)
{
    return ep_state(e) != US_LISTEN && __atomic_load_n(&e->wmem, __ATOMIC_RELAXED) * 4 <= sndbuf(e);
}

/* Linux's skb truesize for len bytes of data: the sk_buff, the data
 * rounded up to a kmalloc size, and the shared info. */
static uint32_t msg_truesize(size_t len)
{
    size_t n = ((len + 63) & ~(size_t)63) + 320;
    size_t sz = 64;
    if (n > 4096)
        sz = (n + 4095) & ~(size_t)4095;
    else
        while (sz < n)
            sz <<= 1;
    return (uint32_t)(256 + sz);
}

static struct umsg *msg_alloc(size_t len)
{
    struct umsg *m = malloc(sizeof(*m) + len);
    if (!m)
        return NULL;
    memset(m, 0, sizeof(*m));
    m->len = len;
    m->creds = g_no_cred;
    return m;
}

/* Charges m to its sender (who now holds a reference for it). */
static void msg_charge(struct umsg *m, struct uep *sender)
{
    ep_get(sender);
    m->sender = sender;
    m->truesize = msg_truesize(m->len);
    __atomic_add_fetch(&sender->wmem, m->truesize, __ATOMIC_RELAXED);
}

static void msg_free(struct umsg *m)
{
    if (!m)
        return;
    struct uep *s = m->sender;
    if (s) {
        __atomic_sub_fetch(&s->wmem, m->truesize, __ATOMIC_RELAXED);
        if (ep_writable(s))
            waitq_wake(&s->wq, EV_OUT, 0);
    }
    for (int i = 0; i < m->nfiles; i++)
        file_put(m->files[i]);
    free(m->files);
    ep_put(m->conn);
    ep_put(s);
    free(m);
}

static void msg_free_list(struct umsg *m)
{
    while (m) {
        struct umsg *next = m->next;
        msg_free(m);
        m = next;
    }
}

/* Appends m to e's queue (e->lock held). */
static void enqueue_locked(struct uep *e, struct umsg *m)
{
    m->next = NULL;
    if (e->rq_tail)
        e->rq_tail->next = m;
    else
        e->rq_head = m;
    e->rq_tail = m;
    __atomic_store_n(&e->rq_count, e->rq_count + 1, __ATOMIC_RELAXED);
}

/* Takes the head off e's queue (e->lock held). */
static struct umsg *dequeue_locked(struct uep *e)
{
    struct umsg *m = e->rq_head;
    if (!m)
        return NULL;
    e->rq_head = m->next;
    if (!e->rq_head)
        e->rq_tail = NULL;
    m->next = NULL;
    __atomic_store_n(&e->rq_count, e->rq_count - 1, __ATOMIC_RELAXED);
    return m;
}

/* Empties e's queue (e->lock held); the caller frees the list unlocked. */
static struct umsg *purge_locked(struct uep *e)
{
    struct umsg *m = e->rq_head;
    e->rq_head = e->rq_tail = NULL;
    __atomic_store_n(&e->rq_count, 0, __ATOMIC_RELAXED);
    return m;
}

/* Linux's unix_recvq_full_lockless. */
static bool recvq_full(struct uep *e)
{
    return __atomic_load_n(&e->rq_count, __ATOMIC_RELAXED) >
           __atomic_load_n(&e->backlog, __ATOMIC_RELAXED);
}

/* Takes the pending error (Linux's sock_error), e->lock held. */
static int take_error_locked(struct uep *e)
{
    int err = e->err;
    e->err = 0;
    return -err;
}

static int take_error(struct uep *e)
{
    pthread_mutex_lock(&e->lock);
    int r = take_error_locked(e);
    pthread_mutex_unlock(&e->lock);
    return r;
}

static struct uep *peer_get(struct uep *e)
{
    pthread_mutex_lock(&e->lock);
    struct uep *p = e->peer;
    if (p)
        ep_get(p);
    pthread_mutex_unlock(&e->lock);
    return p;
}

/* The caller's credentials: SO_PEERCRED's (effective ids) and
 * SCM_CREDENTIALS' (real ids). */
static struct sock_cred task_peercred(struct task *t)
{
    if (!t)
        return g_no_cred;
    return (struct sock_cred){t->tg->tgid, t->creds.euid, t->creds.egid};
}

static struct sock_cred task_scm_cred(struct task *t)
{
    if (!t)
        return g_no_cred;
    return (struct sock_cred){t->tg->tgid, t->creds.ruid, t->creds.rgid};
}

/* Copies e's address into buf; returns its length (0: unbound). */
static uint32_t ep_addr(struct uep *e, void *buf)
{
    uint32_t n = __atomic_load_n(&e->addrlen, __ATOMIC_ACQUIRE);
    memcpy(buf, e->addr, n);
    return n;
}

static bool ep_bound(struct uep *e)
{
    return __atomic_load_n(&e->addrlen, __ATOMIC_ACQUIRE) != 0;
}

/* ---- datagram peer wake-ups (Linux's peer_wake) ------------------------- */

/* Registers e for a wake when other's queue drains; true if it was not. */
static bool peer_wake_connect(struct uep *e, struct uep *other)
{
    bool r = false;
    pthread_mutex_lock(&g_wake_lock);
    if (!e->wake_on) {
        e->wake_on = other;
        e->wake_next = other->wake_list;
        other->wake_list = e;
        r = true;
    }
    pthread_mutex_unlock(&g_wake_lock);
    return r;
}

/* other NULL: whatever e is registered on. */
static void peer_wake_disconnect(struct uep *e, struct uep *other)
{
    pthread_mutex_lock(&g_wake_lock);
    if (!other)
        other = e->wake_on;
    if (other && e->wake_on == other) {
        for (struct uep **p = &other->wake_list; *p; p = &(*p)->wake_next)
            if (*p == e) {
                *p = e->wake_next;
                break;
            }
        e->wake_on = NULL;
        e->wake_next = NULL;
    }
    pthread_mutex_unlock(&g_wake_lock);
}

/* other's queue has room (or other is gone): wakes the writers of every
 * registered socket, once. */
static void peer_wake_relay(struct uep *other)
{
    pthread_mutex_lock(&g_wake_lock);
    struct uep *e = other->wake_list;
    other->wake_list = NULL;
    while (e) {
        struct uep *next = e->wake_next;
        e->wake_on = NULL;
        e->wake_next = NULL;
        waitq_wake(&e->wq, EV_OUT, 0);
        e = next;
    }
    pthread_mutex_unlock(&g_wake_lock);
}

/* Linux's unix_dgram_peer_wake_me: whether e must wait for other's queue
 * (registering for the wake if so). */
static bool peer_wake_me(struct uep *e, struct uep *other)
{
    bool connected = peer_wake_connect(e, other);
    if (recvq_full(other) && !__atomic_load_n(&other->dead, __ATOMIC_RELAXED))
        return true;
    if (connected)
        peer_wake_disconnect(e, other);
    return false;
}

/* Wakes whoever waits for room in e's queue. */
static void wake_peer_waiters(struct uep *e)
{
    waitq_wake(&e->peer_wait, 0, 0);
    peer_wake_relay(e);
}

/* ---- names -------------------------------------------------------------- */

static bool same_inode(const struct inode *a, const struct inode *b)
{
    return a == b || (a->fs == b->fs && a->ino == b->ino);
}

/* g_unix_names.lock held. */
static struct uep *find_abstract_locked(int type, const void *addr, uint32_t len)
{
    for (struct uep *e = g_unix_names.abstract; e; e = e->name_next)
        if (e->type == type && e->addrlen == len && memcmp(e->addr, addr, len) == 0)
            return e;
    return NULL;
}

static struct uep *find_bsd_locked(const struct inode *ino)
{
    for (struct uep *e = g_unix_names.bsd; e; e = e->name_next)
        if (same_inode(e->path.d->inode, ino))
            return e;
    return NULL;
}

static void unlink_from(struct uep **head, struct uep *e)
{
    for (struct uep **p = head; *p; p = &(*p)->name_next)
        if (*p == e) {
            *p = e->name_next;
            e->name_next = NULL;
            return;
        }
}

/* Takes e out of the name tables; returns its node's path (references). */
static struct vfs_path names_remove(struct uep *e)
{
    pthread_mutex_lock(&g_unix_names.lock);
    if (e->abstract_hashed)
        unlink_from(&g_unix_names.abstract, e);
    if (e->bsd_hashed)
        unlink_from(&g_unix_names.bsd, e);
    e->abstract_hashed = e->bsd_hashed = false;
    struct vfs_path p = e->path;
    e->path = (struct vfs_path){NULL, NULL};
    pthread_mutex_unlock(&g_unix_names.lock);
    return p;
}

static void set_addr_locked(struct uep *e, const void *addr, uint32_t len)
{
    memcpy(e->addr, addr, len);
    __atomic_store_n(&e->addrlen, len, __ATOMIC_RELEASE);
}

static uint32_t next_random(void)
{
    static uint32_t state;
    uint32_t x = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (x == 0 && getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec;
    }
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    if (x == 0)
        x = 1;
    __atomic_store_n(&state, x, __ATOMIC_RELAXED);
    return x;
}

/* Linux's unix_autobind: "\0" and five hex digits, searched from a random
 * start; 0 if already bound. */
static int autobind(struct uep *e)
{
    pthread_mutex_lock(&e->bindlock);
    int r = 0;
    if (ep_bound(e))
        goto out;
    char name[SUN_PATH_OFF + 6 + 1];
    uint32_t len = SUN_PATH_OFF + 6;
    uint32_t order = next_random() & 0xFFFFF, last = order;
    pthread_mutex_lock(&g_unix_names.lock);
    for (;;) {
        order = (order + 1) & 0xFFFFF;
        memset(name, 0, sizeof(name));
        sa_family_t fam = AF_UNIX;
        memcpy(name, &fam, sizeof(fam));
        snprintf(name + SUN_PATH_OFF + 1, 6, "%05x", order);
        if (!find_abstract_locked(e->type, name, len)) {
            set_addr_locked(e, name, len);
            e->abstract_hashed = true;
            e->name_next = g_unix_names.abstract;
            g_unix_names.abstract = e;
            break;
        }
        if (order == last) {
            r = -ENOSPC;
            break;
        }
    }
    pthread_mutex_unlock(&g_unix_names.lock);
out:
    pthread_mutex_unlock(&e->bindlock);
    return r;
}

/* Linux's unix_validate_addr. */
static int validate_addr(const void *addr, uint32_t len)
{
    if (len <= SUN_PATH_OFF || len > SUN_LEN_MAX)
        return -EINVAL;
    sa_family_t fam;
    memcpy(&fam, addr, sizeof(fam));
    return fam == AF_UNIX ? 0 : -EINVAL;
}

/* The path of a filesystem address: sun_path up to len or its first NUL.
 * Returns the address length Linux keeps (family, path, NUL). */
static uint32_t bsd_name(const void *addr, uint32_t len, char *path)
{
    size_t n = len - SUN_PATH_OFF;
    memcpy(path, (const char *)addr + SUN_PATH_OFF, n);
    path[n] = 0;
    return (uint32_t)(SUN_PATH_OFF + strlen(path) + 1);
}

static uint32_t task_umask(struct task *t)
{
    pthread_mutex_lock(&t->fs->lock);
    uint32_t m = t->fs->umask;
    pthread_mutex_unlock(&t->fs->lock);
    return m;
}

static int bind_bsd(struct uep *e, struct task *t, const void *addr, uint32_t len)
{
    char path[SUN_LEN_MAX];
    char full[SOCK_ADDR_MAX] = {0};
    uint32_t alen = bsd_name(addr, len, path);
    memcpy(full, addr, SUN_PATH_OFF);
    memcpy(full + SUN_PATH_OFF, path, strlen(path) + 1);
    if (!t)
        return -EINVAL;
    struct vfs_walk_ctx ctx;
    int r = task_walk_ctx(t, AT_FDCWD, path, &ctx);
    if (r < 0)
        return r;
    pthread_mutex_lock(&e->bindlock);
    struct vfs_path node;
    r = vfs_mknodat_path(&ctx, path, S_IFSOCK | (0777 & ~task_umask(t)), 0, &node);
    if (r == -EEXIST)
        r = -EADDRINUSE;
    if (r == 0 && ep_bound(e)) {
        /* Linux makes the node first: a bound socket gets EADDRINUSE for
         * an existing name, else EINVAL (the new node removed). */
        path_put(&node);
        vfs_unlinkat(&ctx, path, false);
        r = -EINVAL;
    } else if (r == 0) {
        pthread_mutex_lock(&g_unix_names.lock);
        e->path = node;
        set_addr_locked(e, full, alen);
        e->bsd_hashed = true;
        e->name_next = g_unix_names.bsd;
        g_unix_names.bsd = e;
        pthread_mutex_unlock(&g_unix_names.lock);
    }
    pthread_mutex_unlock(&e->bindlock);
    task_walk_ctx_release(&ctx);
    return r;
}

static int bind_abstract(struct uep *e, const void *addr, uint32_t len)
{
    pthread_mutex_lock(&e->bindlock);
    int r = 0;
    if (ep_bound(e)) {
        r = -EINVAL;
        goto out;
    }
    pthread_mutex_lock(&g_unix_names.lock);
    if (find_abstract_locked(e->type, addr, len)) {
        r = -EADDRINUSE;
    } else {
        set_addr_locked(e, addr, len);
        e->abstract_hashed = true;
        e->name_next = g_unix_names.abstract;
        g_unix_names.abstract = e;
    }
    pthread_mutex_unlock(&g_unix_names.lock);
out:
    pthread_mutex_unlock(&e->bindlock);
    return r;
}

static int unix_bind(struct socket *s, struct task *t, const void *addr, uint32_t len)
{
    struct uep *e = s->priv;
    sa_family_t fam = 0;
    if (len >= sizeof(fam))
        memcpy(&fam, addr, sizeof(fam));
    if (len == SUN_PATH_OFF && fam == AF_UNIX)
        return autobind(e);
    int r = validate_addr(addr, len);
    if (r < 0)
        return r;
    if (((const char *)addr)[SUN_PATH_OFF])
        return bind_bsd(e, t, addr, len);
    return bind_abstract(e, addr, len);
}

/* Linux's unix_find_other: the endpoint named addr (a reference). */
static int find_other(struct task *t, const void *addr, uint32_t len, int type, struct uep **out)
{
    struct uep *o;
    if (!((const char *)addr)[SUN_PATH_OFF]) {
        pthread_mutex_lock(&g_unix_names.lock);
        o = find_abstract_locked(type, addr, len);
        if (o)
            ep_get(o);
        pthread_mutex_unlock(&g_unix_names.lock);
        if (!o)
            return -ECONNREFUSED;
        *out = o;
        return 0;
    }
    if (!t)
        return -ECONNREFUSED;
    char path[SUN_LEN_MAX];
    bsd_name(addr, len, path);
    struct vfs_walk_ctx ctx;
    int r = task_walk_ctx(t, AT_FDCWD, path, &ctx);
    if (r < 0)
        return r;
    struct vfs_path p;
    r = vfs_walk(&ctx, path, WALK_FOLLOW, &p);
    if (r < 0) {
        task_walk_ctx_release(&ctx);
        return r;
    }
    struct vfs_attr a;
    r = vfs_getattr(p.d->inode, &a);
    if (r == 0)
        r = vfs_permission(&a, &ctx, W_OK);
    task_walk_ctx_release(&ctx);
    if (r == 0 && !S_ISSOCK(a.mode))
        r = -ECONNREFUSED;
    if (r == 0) {
        pthread_mutex_lock(&g_unix_names.lock);
        o = find_bsd_locked(p.d->inode);
        if (o)
            ep_get(o);
        pthread_mutex_unlock(&g_unix_names.lock);
        if (!o)
            r = -ECONNREFUSED;
        else if (o->type != type) {
            ep_put(o);
            r = -EPROTOTYPE;
        } else {
            *out = o;
        }
    }
    path_put(&p);
    return r;
}

/* ---- blocking helpers ------------------------------------------------------ */

/* A registration on one wait queue for one blocking step. */
struct uwait {
    struct waiter w;
    struct waitq *q;
};

static void wait_begin(struct uwait *uw, struct task *t, struct waitq *q, uint32_t events)
{
    uw->w = (struct waiter){.t = t, .events = events};
    uw->q = q;
    if (t)
        waitq_add(q, &uw->w);
}

static void wait_end(struct uwait *uw)
{
    if (uw->w.t)
        waitq_remove(uw->q, &uw->w);
}

/* Linux's sock_alloc_send_pskb wait: until e's send buffer has room.
 * 0, or -errno (the pending error, EPIPE after SHUT_WR, EAGAIN, a signal). */
static int wait_sndbuf(struct uep *e, struct task *t, struct sock_timeo *to)
{
    for (;;) {
        struct uwait uw;
        wait_begin(&uw, t, &e->wq, EV_OUT | POLLERR | POLLHUP);
        pthread_mutex_lock(&e->lock);
        int r = take_error_locked(e);
        if (r == 0 && (e->shutdown & SEND_SHUTDOWN))
            r = -EPIPE;
        bool room = __atomic_load_n(&e->wmem, __ATOMIC_RELAXED) < sndbuf(e);
        pthread_mutex_unlock(&e->lock);
        if (r == 0 && !room && to->nonblock)
            r = -EAGAIN;
        if (r == 0 && !room)
            r = sock_timeo_block(t, to);
        wait_end(&uw);
        if (r < 0 || room)
            return r;
    }
}

/* ---- listen, connect, accept ------------------------------------------------ */

static int unix_listen(struct socket *s, struct task *t, int backlog)
{
    struct uep *e = s->priv;
    if (e->type != SOCK_STREAM && e->type != SOCK_SEQPACKET)
        return -EOPNOTSUPP;
    if (!ep_bound(e))
        return -EINVAL;
    pthread_mutex_lock(&e->lock);
    int r = 0;
    if (e->state != US_CLOSE && e->state != US_LISTEN) {
        r = -EINVAL;
    } else {
        bool more = backlog > e->backlog;
        __atomic_store_n(&e->backlog, backlog, __ATOMIC_RELAXED);
        set_state(e, US_LISTEN);
        e->peercred = task_peercred(t);
        if (more)
            waitq_wake(&e->peer_wait, 0, 0);
    }
    pthread_mutex_unlock(&e->lock);
    return r;
}

static int stream_connect(struct uep *e, struct task *t, const void *addr, uint32_t len,
                          bool nonblock)
{
    int r = validate_addr(addr, len);
    if (r < 0)
        return r;
    if (passcred(e) && !ep_bound(e) && (r = autobind(e)) < 0)
        return r;
    struct sock_timeo to;
    sock_timeo_init(&to, nonblock || !t, __atomic_load_n(&e->opts.sndtimeo_ns, __ATOMIC_RELAXED));
    struct uep *n = ep_new(e->type);
    struct umsg *req = msg_alloc(0);
    if (!n || !req) {
        free(req);
        ep_put(n);
        return -ENOMEM;
    }
    n->has_socket = false;
    struct uep *o = NULL;
    for (;;) {
        r = find_other(t, addr, len, e->type, &o);
        if (r < 0)
            goto fail;
        struct uwait uw;
        wait_begin(&uw, t, &o->peer_wait, 0);
        pthread_mutex_lock(&o->lock);
        if (o->dead) {
            pthread_mutex_unlock(&o->lock);
            wait_end(&uw);
            ep_put(o);
            o = NULL;
            continue;
        }
        if (o->state != US_LISTEN || (o->shutdown & RCV_SHUTDOWN)) {
            r = -ECONNREFUSED;
        } else if (recvq_full(o)) {
            pthread_mutex_unlock(&o->lock);
            r = to.nonblock ? -EAGAIN : sock_timeo_block(t, &to);
            wait_end(&uw);
            ep_put(o);
            o = NULL;
            if (r < 0)
                goto fail;
            continue;
        }
        wait_end(&uw);
        if (r == 0) {
            int st = ep_state(e);
            if (st != US_CLOSE)
                r = st == US_ESTABLISHED ? -EISCONN : -EINVAL;
        }
        if (r < 0) {
            pthread_mutex_unlock(&o->lock);
            goto fail;
        }
        break;
    }
    /* o->lock held: the listener, then the connecting socket. */
    pthread_mutex_lock(&e->lock);
    if (e->state != US_CLOSE) {
        r = e->state == US_ESTABLISHED ? -EISCONN : -EINVAL;
        pthread_mutex_unlock(&e->lock);
        pthread_mutex_unlock(&o->lock);
        goto fail;
    }
    ep_get(e);
    n->peer = e;
    n->state = US_ESTABLISHED;
    n->peercred = task_peercred(t);
    char a[SOCK_ADDR_MAX];
    uint32_t alen = ep_addr(o, a);
    set_addr_locked(n, a, alen);
    e->peercred = o->peercred;
    ep_get(n);
    e->peer = n;
    set_state(e, US_ESTABLISHED);
    pthread_mutex_unlock(&e->lock);
    req->conn = n; /* the reference ep_new gave */
    enqueue_locked(o, req);
    pthread_mutex_unlock(&o->lock);
    waitq_wake(&o->wq, EV_IN, 0);
    ep_put(o);
    return 0;
fail:
    free(req);
    ep_put(o);
    ep_release(n, false);
    ep_put(n);
    return r;
}

static void lock_two(struct uep *a, struct uep *b)
{
    if (!b || a == b) {
        pthread_mutex_lock(&a->lock);
        return;
    }
    if (a > b) {
        struct uep *x = a;
        a = b;
        b = x;
    }
    pthread_mutex_lock(&a->lock);
    pthread_mutex_lock(&b->lock);
}

static void unlock_two(struct uep *a, struct uep *b)
{
    pthread_mutex_unlock(&a->lock);
    if (b && b != a)
        pthread_mutex_unlock(&b->lock);
}

/* Linux's unix_dgram_disconnected: e no longer talks to other; what other
 * sent is dropped (an ECONNRESET for other if it was connected to e). */
static void dgram_disconnected(struct uep *e, struct uep *other)
{
    /* Under iolock: a reader may be looking at (peeking) the head. */
    pthread_mutex_lock(&e->iolock);
    pthread_mutex_lock(&e->lock);
    struct umsg *list = purge_locked(e);
    pthread_mutex_unlock(&e->lock);
    pthread_mutex_unlock(&e->iolock);
    if (list) {
        wake_peer_waiters(e);
        pthread_mutex_lock(&other->lock);
        bool reset = !other->dead && other->peer == e;
        if (reset)
            other->err = ECONNRESET;
        pthread_mutex_unlock(&other->lock);
        if (reset)
            waitq_wake(&other->wq, POLLERR, 0);
    }
    msg_free_list(list);
}

static int dgram_connect(struct uep *e, struct task *t, const void *addr, uint32_t len)
{
    sa_family_t fam;
    if (len < sizeof(fam))
        return -EINVAL;
    memcpy(&fam, addr, sizeof(fam));
    struct uep *o = NULL;
    int r;
    if (fam != AF_UNSPEC) {
        if ((r = validate_addr(addr, len)) < 0)
            return r;
        if (passcred(e) && !ep_bound(e) && (r = autobind(e)) < 0)
            return r;
        for (;;) {
            if ((r = find_other(t, addr, len, e->type, &o)) < 0)
                return r;
            lock_two(e, o);
            if (o->dead) {
                unlock_two(e, o);
                ep_put(o);
                continue;
            }
            break;
        }
        if (o->peer && o->peer != e) {
            unlock_two(e, o);
            ep_put(o);
            return -EPERM;
        }
        set_state(e, US_ESTABLISHED);
        set_state(o, US_ESTABLISHED);
    } else {
        lock_two(e, NULL);
    }
    struct uep *old = e->peer;
    e->peer = o; /* o's reference moves here */
    if (!old) {
        unlock_two(e, o);
        return 0;
    }
    if (!o)
        set_state(e, US_CLOSE);
    unlock_two(e, o);
    peer_wake_disconnect(e, old);
    waitq_wake(&e->wq, EV_OUT, 0);
    if (o != old) {
        dgram_disconnected(e, old);
        pthread_mutex_lock(&old->lock);
        if (!old->peer)
            set_state(old, US_CLOSE);
        pthread_mutex_unlock(&old->lock);
    }
    ep_put(old);
    return 0;
}

static int unix_connect(struct socket *s, struct task *t, const void *addr, uint32_t len,
                        bool nonblock)
{
    struct uep *e = s->priv;
    if (e->type == SOCK_DGRAM)
        return dgram_connect(e, t, addr, len);
    return stream_connect(e, t, addr, len, nonblock);
}

static struct socket *socket_wrap(struct uep *e)
{
    struct socket *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    *s = (struct socket){.family = AF_UNIX, .type = e->type, .ops = &g_unix_ops, .priv = e};
    return s;
}

static int unix_accept(struct socket *s, struct task *t, bool nonblock, struct socket **out)
{
    struct uep *e = s->priv;
    if (e->type != SOCK_STREAM && e->type != SOCK_SEQPACKET)
        return -EOPNOTSUPP;
    if (ep_state(e) != US_LISTEN)
        return -EINVAL;
    struct sock_timeo to;
    sock_timeo_init(&to, nonblock || !t, __atomic_load_n(&e->opts.rcvtimeo_ns, __ATOMIC_RELAXED));
    struct umsg *m = NULL;
    int r;
    for (;;) {
        struct uwait uw;
        wait_begin(&uw, t, &e->wq, EV_IN | POLLERR | POLLHUP);
        pthread_mutex_lock(&e->lock);
        r = take_error_locked(e);
        if (r == 0)
            m = dequeue_locked(e);
        bool shut = e->shutdown & RCV_SHUTDOWN;
        pthread_mutex_unlock(&e->lock);
        if (r == 0 && !m) {
            if (shut)
                r = -EINVAL;
            else if (to.nonblock)
                r = -EAGAIN;
            else
                r = sock_timeo_block(t, &to);
        }
        wait_end(&uw);
        if (r < 0 || m)
            break;
    }
    if (!m)
        return r;
    waitq_wake(&e->peer_wait, 0, 0);
    struct uep *n = m->conn;
    m->conn = NULL;
    msg_free(m);
    pthread_mutex_lock(&n->lock);
    n->has_socket = true;
    __atomic_store_n(&n->opts.passcred, passcred(e), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&n->lock);
    struct socket *ns = socket_wrap(n);
    if (!ns) {
        ep_release(n, false);
        ep_put(n);
        return -ENOMEM;
    }
    *out = ns;
    return 0;
}

static int unix_getname(struct socket *s, void *buf, bool peer)
{
    struct uep *e = s->priv;
    struct uep *x = e;
    if (peer) {
        x = peer_get(e);
        if (!x)
            return -ENOTCONN;
    }
    uint32_t n = ep_addr(x, buf);
    if (n == 0) {
        sa_family_t fam = AF_UNIX;
        memcpy(buf, &fam, sizeof(fam));
        n = SUN_PATH_OFF;
    }
    if (peer)
        ep_put(x);
    return (int)n;
}

static int unix_shutdown(struct socket *s, int how)
{
    struct uep *e = s->priv;
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    int mode = how + 1;
    pthread_mutex_lock(&e->lock);
    e->shutdown |= mode;
    struct uep *o = e->peer;
    if (o)
        ep_get(o);
    pthread_mutex_unlock(&e->lock);
    waitq_wake(&e->wq, 0, 0);
    if (o && (e->type == SOCK_STREAM || e->type == SOCK_SEQPACKET)) {
        int pm = ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) |
                 ((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
        pthread_mutex_lock(&o->lock);
        o->shutdown |= pm;
        pthread_mutex_unlock(&o->lock);
        waitq_wake(&o->wq, 0, 0);
    }
    ep_put(o);
    return 0;
}

/* ---- sending ------------------------------------------------------------ */

/* Linux's unix_passcred_enabled: credentials ride along when either side
 * asked for them (or the receiver is a server end not accepted yet). */
static bool passcred_enabled(struct uep *e, struct uep *other)
{
    return passcred(e) || !other->has_socket || passcred(other);
}

/* The control data of the first message of a send (SCM_RIGHTS moves). */
static void attach_scm(struct umsg *m, struct sock_send *sm, bool fds)
{
    if (sm->has_creds)
        m->creds = sm->creds;
    if (fds && sm->nfiles) {
        m->files = sm->files;
        m->nfiles = sm->nfiles;
        sm->files = NULL;
        sm->nfiles = 0;
    }
}

static void maybe_add_creds(struct umsg *m, struct uep *e, struct uep *other,
                            const struct sock_cred *cur)
{
    if (m->creds.pid == 0 && m->creds.uid == NO_ID && passcred_enabled(e, other))
        m->creds = *cur;
}

static ssize_t stream_sendmsg(struct uep *e, struct task *t, struct sock_iter *it,
                              struct sock_send *sm)
{
    if (sm->flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (sm->addr && sm->addrlen)
        return ep_state(e) == US_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
    pthread_mutex_lock(&e->lock);
    struct uep *o = e->peer;
    if (o)
        ep_get(o);
    int shut = e->shutdown;
    pthread_mutex_unlock(&e->lock);
    if (!o)
        return -ENOTCONN;
    ssize_t sent = 0, r = 0;
    if (shut & SEND_SHUTDOWN) {
        sock_sigpipe(t, sm->flags);
        ep_put(o);
        return -EPIPE;
    }
    struct sock_timeo to;
    sock_timeo_init(&to, (sm->flags & MSG_DONTWAIT) || !t,
                    __atomic_load_n(&e->opts.sndtimeo_ns, __ATOMIC_RELAXED));
    struct sock_cred cur = task_scm_cred(t);
    bool fds_sent = false;
    size_t len = it->len;
    while ((size_t)sent < len) {
        size_t size = len - (size_t)sent;
        size_t cap = (size_t)(sndbuf(e) / 2 - 64);
        if (size > cap)
            size = cap;
        if (size > UNIX_STREAM_CHUNK)
            size = UNIX_STREAM_CHUNK;
        if ((r = wait_sndbuf(e, t, &to)) < 0)
            break;
        struct umsg *m = msg_alloc(size);
        if (!m) {
            r = -ENOMEM;
            break;
        }
        if ((r = sock_iter_copy_in(it, m->data, size)) < 0) {
            msg_free(m);
            break;
        }
        attach_scm(m, sm, !fds_sent);
        fds_sent = true;
        pthread_mutex_lock(&o->lock);
        if (o->dead || (o->shutdown & RCV_SHUTDOWN)) {
            pthread_mutex_unlock(&o->lock);
            msg_free(m);
            if (!sent)
                sock_sigpipe(t, sm->flags);
            r = -EPIPE;
            break;
        }
        maybe_add_creds(m, e, o, &cur);
        msg_charge(m, e);
        enqueue_locked(o, m);
        pthread_mutex_unlock(&o->lock);
        waitq_wake(&o->wq, EV_IN, 0);
        sent += (ssize_t)size;
    }
    ep_put(o);
    return sent ? sent : r;
}

static ssize_t dgram_sendmsg(struct uep *e, struct task *t, struct sock_iter *it,
                             struct sock_send *sm)
{
    if (sm->flags & MSG_OOB)
        return -EOPNOTSUPP;
    const void *addr = NULL;
    uint32_t alen = 0;
    struct uep *o = NULL;
    int r;
    if (sm->addr && sm->addrlen) {
        if ((r = validate_addr(sm->addr, sm->addrlen)) < 0)
            return r;
        addr = sm->addr;
        alen = sm->addrlen;
    } else if (!(o = peer_get(e))) {
        return -ENOTCONN;
    }
    size_t len = it->len;
    struct umsg *m = NULL;
    if (passcred(e) && !ep_bound(e) && (r = autobind(e)) < 0)
        goto out;
    if (len > (size_t)sndbuf(e) - 32) {
        r = -EMSGSIZE;
        goto out;
    }
    struct sock_timeo to;
    sock_timeo_init(&to, (sm->flags & MSG_DONTWAIT) || !t,
                    __atomic_load_n(&e->opts.sndtimeo_ns, __ATOMIC_RELAXED));
    if ((r = wait_sndbuf(e, t, &to)) < 0)
        goto out;
    if (!(m = msg_alloc(len))) {
        r = -ENOMEM;
        goto out;
    }
    if ((r = sock_iter_copy_in(it, m->data, len)) < 0)
        goto out;
    attach_scm(m, sm, true);
    struct sock_cred cur = task_scm_cred(t);
    for (;;) {
        if (!o) {
            if (!addr) {
                r = -ECONNRESET;
                goto out;
            }
            if ((r = find_other(t, addr, alen, e->type, &o)) < 0) {
                o = NULL;
                goto out;
            }
        }
        struct uwait uw;
        wait_begin(&uw, t, &o->peer_wait, 0);
        pthread_mutex_lock(&o->lock);
        /* o is set: find_other fills it on success. */
        // cppcheck-suppress nullPointerRedundantCheck
        if (o->peer && o->peer != e) {
            pthread_mutex_unlock(&o->lock);
            wait_end(&uw);
            r = -EPERM;
            goto out;
        }
        if (o->dead) {
            pthread_mutex_unlock(&o->lock);
            wait_end(&uw);
            r = 0;
            if (e->type == SOCK_SEQPACKET) {
                r = -EPIPE;
            } else {
                pthread_mutex_lock(&e->lock);
                bool was_peer = e->peer == o;
                if (was_peer) {
                    e->peer = NULL;
                    set_state(e, US_CLOSE);
                }
                pthread_mutex_unlock(&e->lock);
                if (was_peer) {
                    peer_wake_disconnect(e, o);
                    waitq_wake(&e->wq, EV_OUT, 0);
                    dgram_disconnected(e, o);
                    ep_put(o); /* e->peer's reference */
                    r = -ECONNREFUSED;
                }
            }
            ep_put(o);
            o = NULL;
            if (r < 0)
                goto out;
            continue;
        }
        if (o->shutdown & RCV_SHUTDOWN) {
            pthread_mutex_unlock(&o->lock);
            wait_end(&uw);
            r = -EPIPE;
            goto out;
        }
        if (o != e && o->peer != e && recvq_full(o)) {
            pthread_mutex_unlock(&o->lock);
            if (!to.nonblock) {
                r = sock_timeo_block(t, &to);
                wait_end(&uw);
                if (r < 0)
                    goto out;
                continue;
            }
            wait_end(&uw);
            struct uep *p = peer_get(e);
            bool must_wait = p != o || peer_wake_me(e, o);
            ep_put(p);
            if (must_wait) {
                r = -EAGAIN;
                goto out;
            }
            continue;
        }
        wait_end(&uw);
        maybe_add_creds(m, e, o, &cur);
        msg_charge(m, e);
        enqueue_locked(o, m);
        m = NULL;
        pthread_mutex_unlock(&o->lock);
        waitq_wake(&o->wq, EV_IN, 0);
        r = (int)len;
        break;
    }
out:
    msg_free(m);
    ep_put(o);
    return r < 0 ? r : (ssize_t)len;
}

static ssize_t unix_sendmsg(struct socket *s, struct task *t, struct sock_iter *it,
                            struct sock_send *sm)
{
    struct uep *e = s->priv;
    if (e->type == SOCK_STREAM)
        return stream_sendmsg(e, t, it, sm);
    if (e->type == SOCK_SEQPACKET) {
        int r = take_error(e);
        if (r < 0)
            return r;
        if (ep_state(e) != US_ESTABLISHED)
            return -ENOTCONN;
        sm->addr = NULL;
        sm->addrlen = 0;
    }
    return dgram_sendmsg(e, t, it, sm);
}

/* ---- receiving ---------------------------------------------------------- */

static struct sock_cred munge(struct sock_cred c)
{
    if (c.uid == NO_ID)
        c.uid = OVERFLOW_ID;
    if (c.gid == NO_ID)
        c.gid = OVERFLOW_ID;
    return c;
}

/* The files of m for the receiver: taken (a read) or duplicated (a peek). */
static void take_files(struct umsg *m, struct sock_recv *rm, bool peek)
{
    if (!m->nfiles)
        return;
    if (!peek) {
        rm->files = m->files;
        rm->nfiles = m->nfiles;
        m->files = NULL;
        m->nfiles = 0;
        return;
    }
    rm->files = malloc(m->nfiles * sizeof(*rm->files));
    if (!rm->files)
        return;
    for (int i = 0; i < m->nfiles; i++) {
        file_get(m->files[i]);
        rm->files[i] = m->files[i];
    }
    rm->nfiles = m->nfiles;
}

static void recv_addr(struct umsg *m, struct sock_recv *rm)
{
    if (rm->want_addr && m->sender)
        rm->addrlen = ep_addr(m->sender, rm->addr);
}

static bool creds_eq(const struct sock_cred *a, const struct sock_cred *b)
{
    return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

static ssize_t stream_recvmsg(struct uep *e, struct task *t, struct sock_iter *it,
                              struct sock_recv *rm)
{
    if (ep_state(e) != US_ESTABLISHED)
        return -EINVAL;
    if (rm->flags & MSG_OOB)
        return -EINVAL; /* no out-of-band byte is ever queued */
    bool peek = rm->flags & MSG_PEEK;
    size_t size = it->len;
    size_t target = size;
    if (!(rm->flags & MSG_WAITALL)) {
        size_t low = (size_t)__atomic_load_n(&e->opts.rcvlowat, __ATOMIC_RELAXED);
        target = low < size ? low : size;
    }
    if (target == 0)
        target = 1;
    struct sock_timeo to;
    sock_timeo_init(&to, (rm->flags & MSG_DONTWAIT) || !t,
                    __atomic_load_n(&e->opts.rcvtimeo_ns, __ATOMIC_RELAXED));
    size_t copied = 0;
    ssize_t err = 0;
    bool check_creds = false, got_addr = false;
    struct sock_cred creds = g_no_cred;
    struct umsg *cur = NULL; /* MSG_PEEK: the message to look at next */
    pthread_mutex_lock(&e->iolock);
    while (size > 0) {
        struct uwait uw;
        wait_begin(&uw, t, &e->wq, EV_IN | POLLRDHUP | POLLHUP | POLLERR);
        pthread_mutex_lock(&e->lock);
        struct umsg *m = peek && cur ? cur : e->rq_head;
        if (!m) {
            bool stop = copied >= target || (peek && cur);
            if (!stop && (err = take_error_locked(e)) < 0)
                stop = true;
            if (!stop && (e->shutdown & RCV_SHUTDOWN))
                stop = true;
            pthread_mutex_unlock(&e->lock);
            if (stop) {
                wait_end(&uw);
                break;
            }
            if (to.nonblock) {
                wait_end(&uw);
                err = -EAGAIN;
                break;
            }
            pthread_mutex_unlock(&e->iolock);
            int r = sock_timeo_block(t, &to);
            wait_end(&uw);
            if (r < 0) {
                err = r;
                goto out_unlocked;
            }
            pthread_mutex_lock(&e->iolock);
            continue;
        }
        pthread_mutex_unlock(&e->lock);
        wait_end(&uw);
        /* Under iolock the message stays: only this reader takes from the
         * queue (writers append). */
        if (check_creds) {
            if (!creds_eq(&m->creds, &creds))
                break; /* never glue messages of different writers */
        } else if (passcred(e)) {
            creds = m->creds;
            check_creds = true;
        }
        if (!got_addr) {
            recv_addr(m, rm);
            got_addr = true;
        }
        size_t skip = m->consumed;
        size_t chunk = m->len - skip < size ? m->len - skip : size;
        if (sock_iter_copy_out(it, m->data + skip, chunk) < 0) {
            if (copied == 0)
                err = -EFAULT;
            break;
        }
        copied += chunk;
        size -= chunk;
        if (!peek) {
            pthread_mutex_lock(&e->lock);
            m->consumed += chunk;
            bool had_files = m->nfiles > 0;
            take_files(m, rm, false);
            bool done = m->consumed == m->len;
            if (done)
                dequeue_locked(e);
            pthread_mutex_unlock(&e->lock);
            if (!done)
                break;
            msg_free(m);
            if (had_files)
                break;
        } else {
            if (m->nfiles) {
                take_files(m, rm, true);
                break;
            }
            pthread_mutex_lock(&e->lock);
            cur = m->next;
            pthread_mutex_unlock(&e->lock);
            if (!cur)
                break;
        }
    }
    pthread_mutex_unlock(&e->iolock);
out_unlocked:
    if (passcred(e)) {
        rm->has_creds = true;
        rm->creds = munge(creds);
    }
    return copied ? (ssize_t)copied : err;
}

static ssize_t dgram_recvmsg(struct uep *e, struct task *t, struct sock_iter *it,
                             struct sock_recv *rm)
{
    if (e->type == SOCK_SEQPACKET && ep_state(e) != US_ESTABLISHED)
        return -ENOTCONN;
    if (rm->flags & MSG_OOB)
        return -EOPNOTSUPP;
    bool peek = rm->flags & MSG_PEEK;
    struct sock_timeo to;
    sock_timeo_init(&to, (rm->flags & MSG_DONTWAIT) || !t,
                    __atomic_load_n(&e->opts.rcvtimeo_ns, __ATOMIC_RELAXED));
    struct umsg *m = NULL;
    ssize_t r = 0;
    for (;;) {
        struct uwait uw;
        wait_begin(&uw, t, &e->wq, EV_IN | POLLRDHUP | POLLHUP | POLLERR);
        pthread_mutex_lock(&e->iolock);
        pthread_mutex_lock(&e->lock);
        r = take_error_locked(e);
        if (r == 0) {
            m = peek ? e->rq_head : dequeue_locked(e);
            if (m) {
                pthread_mutex_unlock(&e->lock);
                wait_end(&uw);
                break; /* iolock kept */
            }
        }
        bool shut = e->shutdown & RCV_SHUTDOWN;
        bool closed = e->type == SOCK_SEQPACKET && e->state != US_ESTABLISHED;
        pthread_mutex_unlock(&e->lock);
        pthread_mutex_unlock(&e->iolock);
        if (r == 0) {
            if (to.nonblock)
                r = (e->type == SOCK_SEQPACKET && shut) ? 0 : -EAGAIN;
            else if (shut)
                r = 0;
            else if (closed)
                r = -ENOTCONN;
            else if ((r = sock_timeo_block(t, &to)) == 0) {
                wait_end(&uw);
                continue;
            }
        }
        wait_end(&uw);
        return r;
    }
    if (!peek)
        wake_peer_waiters(e);
    recv_addr(m, rm);
    size_t size = it->len;
    if (size > m->len)
        size = m->len;
    else if (size < m->len)
        rm->msg_flags |= MSG_TRUNC;
    if (sock_iter_copy_out(it, m->data, size) < 0) {
        r = -EFAULT;
    } else {
        rm->has_creds = passcred(e);
        rm->creds = munge(m->creds);
        if (peek)
            pthread_mutex_lock(&e->lock);
        take_files(m, rm, peek);
        if (peek)
            pthread_mutex_unlock(&e->lock);
        r = (rm->flags & MSG_TRUNC) ? (ssize_t)m->len : (ssize_t)size;
    }
    pthread_mutex_unlock(&e->iolock);
    if (!peek)
        msg_free(m);
    return r;
}

static ssize_t unix_recvmsg(struct socket *s, struct task *t, struct sock_iter *it,
                            struct sock_recv *rm)
{
    struct uep *e = s->priv;
    if (e->type == SOCK_STREAM)
        return stream_recvmsg(e, t, it, rm);
    return dgram_recvmsg(e, t, it, rm);
}

/* ---- readiness, ioctl, options ------------------------------------------ */

static uint32_t unix_poll(struct socket *s, uint32_t events, struct vfs_poll_table *pt)
{
    struct uep *e = s->priv;
    vfs_poll_wait(pt, &e->wq);
    uint32_t mask = 0;
    pthread_mutex_lock(&e->lock);
    int shut = e->shutdown;
    int state = e->state;
    struct uep *o = e->peer;
    if (e->err)
        mask |= POLLERR;
    if (shut == SHUTDOWN_MASK)
        mask |= POLLHUP;
    if (shut & RCV_SHUTDOWN)
        mask |= POLLRDHUP | EV_IN;
    if (e->rq_head)
        mask |= EV_IN;
    if (state == US_CLOSE && e->type != SOCK_DGRAM)
        mask |= POLLHUP; /* a connection-based socket not connected (yet) */
    bool writable = ep_writable(e);
    if (e->type != SOCK_STREAM) {
        if (!(events & EV_OUT)) {
            pthread_mutex_unlock(&e->lock);
            return mask;
        }
        if (writable && o && __atomic_load_n(&o->peer, __ATOMIC_RELAXED) != e && recvq_full(o) &&
            peer_wake_me(e, o))
            writable = false;
    }
    pthread_mutex_unlock(&e->lock);
    if (writable)
        mask |= EV_OUT;
    return mask;
}

static long unix_ioctl(struct socket *s, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct uep *e = s->priv;
    int amount = 0;
    switch (cmd) {
    case TIOCOUTQ: /* SIOCOUTQ */
        amount = (int)__atomic_load_n(&e->wmem, __ATOMIC_RELAXED);
        break;
    case FIONREAD: /* SIOCINQ */
        pthread_mutex_lock(&e->lock);
        if (e->state == US_LISTEN) {
            pthread_mutex_unlock(&e->lock);
            return -EINVAL;
        }
        if (e->type == SOCK_DGRAM) {
            if (e->rq_head)
                amount = (int)e->rq_head->len;
        } else {
            for (struct umsg *m = e->rq_head; m; m = m->next)
                amount += (int)(m->len - m->consumed);
        }
        pthread_mutex_unlock(&e->lock);
        break;
    default:
        return -ENOTTY;
    }
    return mm_copy_out(mm, arg, &amount, sizeof(amount));
}

static int unix_getsockopt(struct socket *s, struct task *t, int level, int name, void *val,
                           uint32_t *len)
{
    struct uep *e = s->priv;
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    switch (name) {
    case SO_TYPE:
        return sock_put_int(val, len, e->type);
    case SO_PROTOCOL:
        return sock_put_int(val, len, 0);
    case SO_DOMAIN:
        return sock_put_int(val, len, AF_UNIX);
    case SO_ERROR:
        return sock_put_int(val, len, -take_error(e));
    case SO_ACCEPTCONN:
        return sock_put_int(val, len, ep_state(e) == US_LISTEN);
    case SO_PEERCRED: {
        pthread_mutex_lock(&e->lock);
        struct sock_cred c = e->peercred;
        pthread_mutex_unlock(&e->lock);
        return sock_put_bytes(val, len, &c, sizeof(c));
    }
    }
    return sock_common_getsockopt(&e->opts, name, val, len);
}

static int unix_setsockopt(struct socket *s, struct task *t, int level, int name, const void *val,
                           uint32_t len)
{
    struct uep *e = s->priv;
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    bool was_writable = ep_writable(e);
    int r = sock_common_setsockopt(&e->opts, t, name, val, len);
    if (r == 0 && name == SO_SNDBUF && !was_writable && ep_writable(e))
        waitq_wake(&e->wq, EV_OUT, 0);
    return r;
}

/* ---- release ------------------------------------------------------------ */

/* Linux's unix_release_sock: e is closed (its file, or, for a server end
 * never accepted, its listener: embryo). The caller drops its reference. */
static void ep_release(struct uep *e, bool embryo)
{
    struct vfs_path path = names_remove(e);
    pthread_mutex_lock(&e->lock);
    e->dead = true;
    e->shutdown = SHUTDOWN_MASK;
    int state = e->state;
    set_state(e, US_CLOSE);
    struct uep *pair = e->peer;
    e->peer = NULL;
    bool unread = e->rq_head != NULL;
    pthread_mutex_unlock(&e->lock);
    wake_peer_waiters(e);
    waitq_wake(&e->wq, 0, 0);
    if (pair) {
        if (e->type == SOCK_STREAM || e->type == SOCK_SEQPACKET) {
            pthread_mutex_lock(&pair->lock);
            pair->shutdown = SHUTDOWN_MASK;
            if (unread || embryo)
                pair->err = ECONNRESET;
            pthread_mutex_unlock(&pair->lock);
            waitq_wake(&pair->wq, 0, 0);
        }
        ep_put(pair);
    }
    peer_wake_disconnect(e, NULL);
    pthread_mutex_lock(&e->lock);
    struct umsg *list = purge_locked(e);
    pthread_mutex_unlock(&e->lock);
    while (list) {
        struct umsg *next = list->next;
        if (state == US_LISTEN && list->conn)
            ep_release(list->conn, true);
        msg_free(list);
        list = next;
    }
    path_put(&path);
}

static void unix_release(struct socket *s)
{
    struct uep *e = s->priv;
    ep_release(e, false);
    ep_put(e);
}

static const struct socket_ops g_unix_ops = {
    .bind = unix_bind,
    .connect = unix_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .getname = unix_getname,
    .shutdown = unix_shutdown,
    .sendmsg = unix_sendmsg,
    .recvmsg = unix_recvmsg,
    .poll = unix_poll,
    .ioctl = unix_ioctl,
    .getsockopt = unix_getsockopt,
    .setsockopt = unix_setsockopt,
    .release = unix_release,
};

/* ---- creation ----------------------------------------------------------- */

static int check_type(int *type, int protocol)
{
    if (protocol && protocol != AF_UNIX)
        return -EPROTONOSUPPORT;
    switch (*type) {
    case SOCK_STREAM:
    case SOCK_DGRAM:
    case SOCK_SEQPACKET:
        return 0;
    case SOCK_RAW:
        *type = SOCK_DGRAM; /* BSD has it; Linux makes it a datagram socket */
        return 0;
    }
    return -ESOCKTNOSUPPORT;
}

int unix_socket_new(int type, int protocol, struct socket **out)
{
    int r = check_type(&type, protocol);
    if (r < 0)
        return r;
    struct uep *e = ep_new(type);
    if (!e)
        return -ENOMEM;
    struct socket *s = socket_wrap(e);
    if (!s) {
        ep_put(e);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

int unix_socketpair(struct task *t, int type, int protocol, struct socket **a, struct socket **b)
{
    struct socket *sa, *sb;
    int r = unix_socket_new(type, protocol, &sa);
    if (r < 0)
        return r;
    if ((r = unix_socket_new(type, protocol, &sb)) < 0) {
        sa->ops->release(sa);
        free(sa);
        return r;
    }
    struct uep *ea = sa->priv, *eb = sb->priv;
    ep_get(ea);
    ep_get(eb);
    ea->peer = eb;
    eb->peer = ea;
    ea->peercred = eb->peercred = task_peercred(t);
    set_state(ea, US_ESTABLISHED);
    set_state(eb, US_ESTABLISHED);
    *a = sa;
    *b = sb;
    return 0;
}
