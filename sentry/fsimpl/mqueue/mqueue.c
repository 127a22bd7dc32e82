/* POSIX message queues (see mqueue.h).
 *
 * The namespace is one directory (the root) listing struct mq_entry's; each
 * names a struct mqueue, reference-counted by the entry, by the inodes of
 * the VFS (inode->priv) and so by the open files. mq_open and mq_unlink go
 * through the VFS (vfs_open with O_CREAT, vfs_unlinkat) on a private mount
 * of the instance, so the dentry cache, permission checks, EEXIST/ENOENT
 * and the sticky rule are the VFS's; the new queue's limits reach the
 * create op through a thread-local (each task is one host thread).
 *
 * A queue holds its messages in one list, highest priority first and FIFO
 * within a priority. Receivers wait on q->wq for POLLIN, senders for
 * POLLOUT; pollers register there too.
 *
 * Locking: g_ns.lock protects the entry list, the queue count and the
 * per-user RLIMIT_MSGQUEUE charges (taken under the root dentry's lock by
 * lookup/create/unlink, as the VFS calls them; never held by queue_put). q->lock protects a
 * queue's messages, counts, notification and times; order q->lock ->
 * waitq lock. No application memory is touched and no signal is sent
 * under q->lock: the notification signal is sent after unlocking, under
 * kernel.lock (kernel.lock -> siglock as signal_send_group needs). */
#include "sentry/fsimpl/mqueue/mqueue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"

#ifndef SI_MESGQ
#define SI_MESGQ (-3)
#endif
/* Linux's st_size of a queue file (FILENT_SIZE). */
#define MQ_FILE_SIZE 80

struct mq_msg {
    struct mq_msg *next;
    unsigned prio;
    size_t len;
    char data[];
};

struct mqueue {
    int refs;
    uint64_t ino;
    pthread_mutex_t lock;
    struct waitq wq;
    long maxmsg, msgsize, curmsgs;
    uint64_t qsize; /* bytes of message data queued */
    struct mq_msg *head;
    int receivers; /* tasks blocked in receive (notification only without) */
    /* Messages sent while receivers were blocked: theirs, as Linux's
     * pipelined_send hands a message straight to a waiting receiver (a
     * receiver that has not waited cannot take them). promised <= receivers. */
    int promised;
    /* mq_notify registration (notify_tgid 0: none). */
    int notify_tgid;
    int notify; /* SIGEV_SIGNAL or SIGEV_NONE */
    int signo;
    union sigval value;
    /* Attributes. */
    uint32_t mode, uid, gid;
    struct timespec atime, mtime, ctime;
    /* RLIMIT_MSGQUEUE accounting: the bytes charged to charged_uid (0
     * bytes: not counted, nor in g_ns.nqueues). Set at creation. */
    uint32_t charged_uid;
    uint64_t charged_bytes;
};

/* Bytes of RLIMIT_MSGQUEUE charged per user (g_ns.lock). */
struct mq_user {
    uint32_t uid;
    uint64_t bytes;
    struct mq_user *next;
};

struct mq_entry {
    char *name;
    struct mqueue *q;
    struct mq_entry *next;
};

static struct {
    pthread_once_t once;
    int err;
    pthread_mutex_t lock; /* entries, next_ino */
    struct vfs_fs fs;
    struct vfs_fs_type type;
    struct dentry *root;
    struct mount mnt; /* private (kern_mount): mq_open, mq_unlink */
    struct mq_entry *entries;
    uint64_t next_ino;
    struct timespec root_time;
    int nqueues;           /* queues that exist (fs.mqueue.queues_max) */
    struct mq_user *users; /* RLIMIT_MSGQUEUE charges */
} g_ns = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER};

/* What mqueue_open asks of the create op (NULL: open(2) O_CREAT in a
 * mounted mqueue directory: defaults, no checks). */
struct create_args {
    const struct mq_attr *attr;
    bool privileged;
};
static __thread const struct create_args *tl_create;

static const struct inode_ops g_root_ops;
static const struct inode_ops g_queue_inode_ops;
static const struct file_ops g_queue_file_ops;

/* ---- queues ------------------------------------------------------------- */

static void now(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
}

static struct mqueue *queue_new(long maxmsg, long msgsize, uint32_t mode, uint32_t uid,
                                uint32_t gid)
{
    struct mqueue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->refs = 1;
    pthread_mutex_init(&q->lock, NULL);
    waitq_init(&q->wq);
    q->maxmsg = maxmsg;
    q->msgsize = msgsize;
    q->mode = mode & 07777;
    q->uid = uid;
    q->gid = gid;
    now(&q->ctime);
    q->atime = q->mtime = q->ctime;
    return q;
}

static void queue_get(struct mqueue *q)
{
    __atomic_add_fetch(&q->refs, 1, __ATOMIC_RELAXED);
}

/* ---- accounting ------------------------------------------------------------ */

/* x86-64 sizes Linux charges per message and per priority node. */
#define MQ_MSG_MSG_SIZE 48   /* sizeof(struct msg_msg) */
#define MQ_TREE_NODE_SIZE 48 /* sizeof(struct posix_msg_tree_node) */

/* The bytes a queue pins (ipc/mqueue.c, mqueue_get_inode). The limits
 * (at most HARD_MSGMAX x HARD_MSGSIZEMAX) keep it far from overflowing. */
static uint64_t queue_bytes(long maxmsg, long msgsize)
{
    uint64_t m = (uint64_t)maxmsg;
    uint64_t nodes = m < MQUEUE_PRIO_MAX ? m : MQUEUE_PRIO_MAX;
    return m * MQ_MSG_MSG_SIZE + nodes * MQ_TREE_NODE_SIZE + m * (uint64_t)msgsize;
}

static struct mq_user **user_slot_locked(uint32_t uid)
{
    struct mq_user **pp = &g_ns.users;
    while (*pp && (*pp)->uid != uid)
        pp = &(*pp)->next;
    return pp;
}

/* Charges bytes to uid: -EMFILE past limit (RLIMIT_MSGQUEUE's soft
 * value), -ENOMEM. g_ns.lock held. */
static int charge_locked(uint32_t uid, uint64_t bytes, uint64_t limit)
{
    struct mq_user **pp = user_slot_locked(uid);
    uint64_t cur = *pp ? (*pp)->bytes : 0;
    if (cur + bytes < cur || cur + bytes > limit)
        return -EMFILE;
    if (!*pp) {
        *pp = calloc(1, sizeof(**pp));
        if (!*pp)
            return -ENOMEM;
        (*pp)->uid = uid;
    }
    (*pp)->bytes += bytes;
    return 0;
}

static void uncharge_locked(uint32_t uid, uint64_t bytes)
{
    struct mq_user **pp = user_slot_locked(uid);
    struct mq_user *u = *pp;
    if (!u)
        return;
    u->bytes -= bytes < u->bytes ? bytes : u->bytes;
    if (!u->bytes) {
        *pp = u->next;
        free(u);
    }
}

static void queue_put(struct mqueue *q)
{
    if (!q || __atomic_sub_fetch(&q->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (q->charged_bytes) {
        pthread_mutex_lock(&g_ns.lock);
        uncharge_locked(q->charged_uid, q->charged_bytes);
        g_ns.nqueues--;
        pthread_mutex_unlock(&g_ns.lock);
    }
    while (q->head) {
        struct mq_msg *m = q->head;
        q->head = m->next;
        free(m);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_mutex_destroy(&q->wq.lock);
    free(q);
}

/* ---- the directory ------------------------------------------------------ */

static struct mq_entry *entry_find_locked(const char *name)
{
    for (struct mq_entry *e = g_ns.entries; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* A new inode for q (takes a queue reference). */
static struct inode *queue_inode(struct mqueue *q)
{
    struct inode *ino =
        vfs_inode_new(&g_ns.fs, &g_queue_inode_ops, q->ino, S_IFREG | (q->mode & 07777), q);
    if (ino)
        queue_get(q);
    return ino;
}

static int root_lookup(struct inode *dir, const char *name, struct inode **out)
{
    if (strlen(name) > NAME_MAX)
        return -ENAMETOOLONG;
    pthread_mutex_lock(&g_ns.lock);
    struct mq_entry *e = entry_find_locked(name);
    int r = -ENOENT;
    if (e) {
        *out = queue_inode(e->q);
        r = *out ? 0 : -ENOMEM;
    }
    pthread_mutex_unlock(&g_ns.lock);
    return r;
}

static int root_getattr(struct inode *ino, struct vfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    a->ino = ino->ino;
    a->dev = g_ns.fs.dev;
    a->mode = S_IFDIR | 01777;
    a->nlink = 2;
    a->blksize = 4096;
    pthread_mutex_lock(&g_ns.lock);
    a->atime = a->mtime = a->ctime = a->btime = g_ns.root_time;
    pthread_mutex_unlock(&g_ns.lock);
    return 0;
}

static int root_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    if (!vfs_emit_dots(pos, fn, arg, f->inode->ino, f->inode->ino))
        return 0;
    pthread_mutex_lock(&g_ns.lock);
    int64_t i = 0;
    for (struct mq_entry *e = g_ns.entries; e; e = e->next, i++) {
        if (i + 2 < *pos)
            continue;
        if (!fn(arg, e->name, e->q->ino, DT_REG, i + 3))
            break;
        *pos = i + 3;
    }
    pthread_mutex_unlock(&g_ns.lock);
    return 0;
}

static const struct file_ops g_root_file_ops = {
    .iterate = root_iterate,
    .llseek = vfs_generic_llseek,
};

static int root_open(struct inode *ino, struct file *f, int flags)
{
    f->ops = &g_root_file_ops;
    return 0;
}

static int check_attr(const struct create_args *c, long *maxmsg, long *msgsize)
{
    *maxmsg = MQUEUE_MSG_DEFAULT;
    *msgsize = MQUEUE_MSGSIZE_DEFAULT;
    if (!c || !c->attr)
        return 0;
    const struct mq_attr *a = c->attr;
    if (a->mq_maxmsg <= 0 || a->mq_msgsize <= 0)
        return -EINVAL;
    long max_msg = c->privileged ? MQUEUE_HARD_MSGMAX : MQUEUE_MSG_MAX;
    long max_size = c->privileged ? MQUEUE_HARD_MSGSIZEMAX : MQUEUE_MSGSIZE_MAX;
    if (a->mq_maxmsg > max_msg || a->mq_msgsize > max_size)
        return -EINVAL;
    *maxmsg = a->mq_maxmsg;
    *msgsize = a->mq_msgsize;
    return 0;
}

static int root_create(struct inode *dir, const char *name, uint32_t mode,
                       const struct vfs_owner *owner, struct file *f, int flags, struct inode **out)
{
    if (strlen(name) > NAME_MAX)
        return -ENAMETOOLONG;
    /* The creator: its real uid is charged, against its RLIMIT_MSGQUEUE. */
    struct task *t = task_current();
    bool privileged =
        tl_create ? tl_create->privileged : t && creds_capable(&t->creds, CREDS_CAP_SYS_RESOURCE);
    uint32_t ruid = t ? t->creds.ruid : 0;
    uint64_t limit = t ? task_rlimit_cur(t, RLIMIT_MSGQUEUE) : UINT64_MAX;
    struct mq_entry *e = calloc(1, sizeof(*e));
    char *dup = strdup(name);
    if (!e || !dup) {
        free(e);
        free(dup);
        return -ENOMEM;
    }
    e->name = dup;
    /* Linux's order: the number of queues, the attributes, the charge. */
    long maxmsg = 0, msgsize = 0;
    uint64_t bytes = 0;
    struct mqueue *q = NULL;
    struct inode *ino = NULL;
    pthread_mutex_lock(&g_ns.lock);
    int r = 0;
    if (entry_find_locked(name))
        r = -EEXIST;
    else if (g_ns.nqueues >= MQUEUE_QUEUES_MAX && !privileged)
        r = -ENOSPC;
    if (r == 0)
        r = check_attr(tl_create, &maxmsg, &msgsize);
    if (r == 0) {
        r = charge_locked(ruid, queue_bytes(maxmsg, msgsize), limit);
        if (r == 0)
            bytes = queue_bytes(maxmsg, msgsize); /* charged */
    }
    if (r == 0) {
        q = queue_new(maxmsg, msgsize, mode, owner->uid, owner->gid);
        if (q) {
            q->charged_uid = ruid;
            q->charged_bytes = bytes;
            g_ns.nqueues++;
            q->ino = g_ns.next_ino++;
            ino = queue_inode(q);
        }
        if (!ino)
            r = -ENOMEM;
    }
    if (r < 0) {
        pthread_mutex_unlock(&g_ns.lock);
        free(e->name);
        free(e);
        if (q) /* gives the charge back (g_ns.lock dropped) */
            queue_put(q);
        else if (bytes) {
            pthread_mutex_lock(&g_ns.lock);
            uncharge_locked(ruid, bytes);
            pthread_mutex_unlock(&g_ns.lock);
        }
        return r;
    }
    e->q = q; /* the entry's reference */
    /* Keep creation order for getdents. */
    struct mq_entry **pp = &g_ns.entries;
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    now(&g_ns.root_time);
    pthread_mutex_unlock(&g_ns.lock);
    f->ops = &g_queue_file_ops;
    f->priv = q;
    *out = ino;
    return 0;
}

static int root_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    pthread_mutex_lock(&g_ns.lock);
    struct mq_entry **pp = &g_ns.entries;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    struct mq_entry *e = *pp;
    if (e) {
        *pp = e->next;
        now(&g_ns.root_time);
    }
    pthread_mutex_unlock(&g_ns.lock);
    if (!e)
        return -ENOENT;
    queue_put(e->q);
    free(e->name);
    free(e);
    return 0;
}

static const struct inode_ops g_root_ops = {
    .lookup = root_lookup,
    .getattr = root_getattr,
    .open = root_open,
    .create = root_create,
    .unlink = root_unlink,
};

/* ---- queue inodes and files ---------------------------------------------- */

static int queue_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct mqueue *q = ino->priv;
    memset(a, 0, sizeof(*a));
    a->ino = q->ino;
    a->dev = g_ns.fs.dev;
    a->nlink = 1;
    a->blksize = 4096;
    a->size = MQ_FILE_SIZE;
    pthread_mutex_lock(&q->lock);
    a->mode = S_IFREG | q->mode;
    a->uid = q->uid;
    a->gid = q->gid;
    a->atime = q->atime;
    a->mtime = q->mtime;
    a->ctime = a->btime = q->ctime;
    pthread_mutex_unlock(&q->lock);
    return 0;
}

static int queue_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    struct mqueue *q = ino->priv;
    if (sa->mask & VFS_SA_SIZE)
        return -EINVAL;
    pthread_mutex_lock(&q->lock);
    if (sa->mask & VFS_SA_MODE) {
        q->mode = sa->mode & 07777;
        ino->mode = S_IFREG | q->mode;
    }
    if (sa->mask & VFS_SA_UID)
        q->uid = sa->uid;
    if (sa->mask & VFS_SA_GID)
        q->gid = sa->gid;
    struct timespec t;
    now(&t);
    if (sa->mask & VFS_SA_ATIME)
        q->atime = sa->atime;
    if (sa->mask & VFS_SA_ATIME_NOW)
        q->atime = t;
    if (sa->mask & VFS_SA_MTIME)
        q->mtime = sa->mtime;
    if (sa->mask & VFS_SA_MTIME_NOW)
        q->mtime = t;
    q->ctime = t;
    pthread_mutex_unlock(&q->lock);
    return 0;
}

static int queue_open(struct inode *ino, struct file *f, int flags)
{
    f->ops = &g_queue_file_ops;
    f->priv = ino->priv;
    return 0;
}

static void queue_release_inode(struct inode *ino)
{
    queue_put(ino->priv);
}

static const struct inode_ops g_queue_inode_ops = {
    .getattr = queue_getattr,
    .setattr = queue_setattr,
    .open = queue_open,
    .release = queue_release_inode,
};

/* read(2) of a queue: Linux's status line. */
static ssize_t queue_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct mqueue *q = f->priv;
    char line[128];
    pthread_mutex_lock(&q->lock);
    int n = snprintf(line, sizeof(line), "QSIZE:%-10llu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
                     (unsigned long long)q->qsize, q->notify_tgid ? q->notify : 0,
                     q->notify_tgid && q->notify == SIGEV_SIGNAL ? q->signo : 0, q->notify_tgid);
    now(&q->atime);
    pthread_mutex_unlock(&q->lock);
    if (off < 0 || off >= n)
        return 0;
    if (len > (size_t)(n - off))
        len = (size_t)(n - off);
    memcpy(buf, line + off, len);
    return (ssize_t)len;
}

static uint32_t queue_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct mqueue *q = f->priv;
    vfs_poll_wait(pt, &q->wq);
    uint32_t mask = 0;
    pthread_mutex_lock(&q->lock);
    if (q->curmsgs)
        mask |= POLLIN | POLLRDNORM;
    if (q->curmsgs < q->maxmsg)
        mask |= POLLOUT | POLLWRNORM;
    pthread_mutex_unlock(&q->lock);
    return mask;
}

/* Closing the registering process's descriptor removes its notification
 * (Linux does it on every close by that process; here on the last close
 * of the description). */
static void queue_release_file(struct file *f)
{
    struct mqueue *q = f->priv;
    struct task *t = task_current();
    if (!q || !t)
        return;
    pthread_mutex_lock(&q->lock);
    if (q->notify_tgid == t->tg->tgid)
        q->notify_tgid = 0;
    pthread_mutex_unlock(&q->lock);
}

static const struct file_ops g_queue_file_ops = {
    .read = queue_read,
    .llseek = vfs_generic_llseek,
    .poll = queue_poll,
    .release = queue_release_file,
};

/* ---- the instance --------------------------------------------------------- */

static void ns_init(void)
{
    g_ns.type.name = "mqueue";
    g_ns.fs.type = &g_ns.type;
    g_ns.fs.refs = 1; /* the namespace's own, never dropped */
    g_ns.fs.dev = vfs_new_dev();
    g_ns.next_ino = 2;
    now(&g_ns.root_time);
    struct inode *ino = vfs_inode_new(&g_ns.fs, &g_root_ops, 1, S_IFDIR | 01777, NULL);
    if (!ino) {
        g_ns.err = -ENOMEM;
        return;
    }
    g_ns.root = vfs_dentry_new_root(&g_ns.fs, ino);
    if (!g_ns.root) {
        inode_put(ino);
        g_ns.err = -ENOMEM;
        return;
    }
    g_ns.mnt.refs = 1;
    g_ns.mnt.fs = &g_ns.fs;
    g_ns.mnt.root = g_ns.root;
}

static int ns_get(void)
{
    pthread_once(&g_ns.once, ns_init);
    return g_ns.err;
}

int mqueue_fs_get(struct vfs_fs **fs, struct dentry **root)
{
    int r = ns_get();
    if (r < 0)
        return r;
    vfs_fs_get(&g_ns.fs);
    dentry_get(g_ns.root);
    *fs = &g_ns.fs;
    *root = g_ns.root;
    return 0;
}

static int ns_ctx(const struct vfs_walk_ctx *cred, struct vfs_walk_ctx *ctx)
{
    int r = ns_get();
    if (r < 0)
        return r;
    *ctx = *cred;
    ctx->root = ctx->start = (struct vfs_path){&g_ns.mnt, g_ns.root};
    return 0;
}

int mqueue_open(const struct vfs_walk_ctx *cred, const char *name, int flags, uint32_t mode,
                const struct mq_attr *attr, bool privileged, struct file **out)
{
    struct vfs_walk_ctx ctx;
    int r = ns_ctx(cred, &ctx);
    if (r < 0)
        return r;
    struct create_args c = {.attr = attr, .privileged = privileged};
    tl_create = &c;
    r = vfs_open(&ctx, name, flags & (O_ACCMODE | O_CREAT | O_EXCL | O_NONBLOCK),
                 (int)(mode & 07777), out);
    tl_create = NULL;
    return r;
}

int mqueue_unlink(const struct vfs_walk_ctx *cred, const char *name)
{
    struct vfs_walk_ctx ctx;
    int r = ns_ctx(cred, &ctx);
    return r < 0 ? r : vfs_unlinkat(&ctx, name, false);
}

bool mqueue_is(const struct file *f)
{
    return f->ops == &g_queue_file_ops;
}

/* ---- send, receive --------------------------------------------------------- */

/* Waits (q->lock held, dropped while asleep) until q has room for a
 * message (send) or holds one for this receiver: 0, -EAGAIN (f is
 * O_NONBLOCK), -ETIMEDOUT or -ERESTARTSYS. A waiting receiver is counted in
 * q->receivers; one that waited takes a promised message first. */
static int wait_ready(struct mqueue *q, struct file *f, struct task *t, bool send,
                      const struct timespec *deadline)
{
    bool waited = false;
    int r = 0;
    for (;;) {
        bool ready =
            send ? q->curmsgs < q->maxmsg : (waited ? q->head != NULL : q->curmsgs > q->promised);
        if (ready) {
            if (waited && !send && q->promised > 0)
                q->promised--;
            break;
        }
        if (f->flags & O_NONBLOCK) {
            r = -EAGAIN;
            break;
        }
        struct waiter w = {.t = t, .events = send ? POLLOUT | POLLWRNORM : POLLIN | POLLRDNORM};
        waitq_add(&q->wq, &w);
        if (!send && !waited)
            q->receivers++;
        waited = true;
        pthread_mutex_unlock(&q->lock);
        r = task_block(t, deadline);
        waitq_remove(&q->wq, &w);
        pthread_mutex_lock(&q->lock);
        if (r == -EINTR)
            r = -ERESTARTSYS;
        if (r < 0)
            break;
    }
    if (!send && waited) {
        q->receivers--;
        if (q->promised > q->receivers)
            q->promised = q->receivers; /* a promise to a receiver that gave up */
    }
    return r;
}

/* Sends the notification captured from a queue (no lock held). */
static void notify_send(struct task *sender, int tgid, int signo, union sigval value)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = signo;
    si.si_code = SI_MESGQ;
    si.si_value = value;
    si.si_pid = sender->tg->tgid;
    si.si_uid = sender->creds.ruid;
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = kernel_find_tg_locked(tgid);
    if (tg && tg->state == TG_ALIVE)
        signal_send_group(tg, signo, &si);
    pthread_mutex_unlock(&g_kernel->lock);
}

long mqueue_timedsend(struct task *t, struct file *f, uint64_t msg, size_t len, unsigned prio,
                      const struct timespec *deadline)
{
    struct mqueue *q = f->priv;
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        return -EBADF;
    if (len > (size_t)q->msgsize)
        return -EMSGSIZE;
    struct mq_msg *m = malloc(sizeof(*m) + len);
    if (!m)
        return -ENOMEM;
    m->prio = prio;
    m->len = len;
    m->next = NULL;
    int r = len ? mm_copy_in(t->mm, msg, m->data, len) : 0;
    if (r < 0) {
        free(m);
        return r;
    }
    pthread_mutex_lock(&q->lock);
    r = wait_ready(q, f, t, true, deadline);
    if (r < 0) {
        pthread_mutex_unlock(&q->lock);
        free(m);
        return r;
    }
    /* After every message of the same or higher priority. */
    struct mq_msg **pp = &q->head;
    while (*pp && (*pp)->prio >= prio)
        pp = &(*pp)->next;
    m->next = *pp;
    *pp = m;
    q->curmsgs++;
    q->qsize += len;
    now(&q->mtime);
    q->atime = q->ctime = q->mtime;
    int notify_tgid = 0, signo = 0;
    union sigval value = {0};
    if (q->curmsgs == 1 && q->notify_tgid && q->receivers == 0) {
        if (q->notify == SIGEV_SIGNAL && q->signo) {
            notify_tgid = q->notify_tgid;
            signo = q->signo;
            value = q->value;
        }
        q->notify_tgid = 0; /* one notification per registration */
    }
    if (q->receivers > q->promised)
        q->promised++; /* a blocked receiver's, not a newcomer's */
    waitq_wake(&q->wq, POLLIN | POLLRDNORM, 0);
    pthread_mutex_unlock(&q->lock);
    if (notify_tgid)
        notify_send(t, notify_tgid, signo, value);
    return 0;
}

long mqueue_timedreceive(struct task *t, struct file *f, uint64_t msg, size_t len,
                         uint64_t prio_addr, const struct timespec *deadline)
{
    struct mqueue *q = f->priv;
    if ((f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (len < (size_t)q->msgsize)
        return -EMSGSIZE;
    pthread_mutex_lock(&q->lock);
    int r = wait_ready(q, f, t, false, deadline);
    if (r < 0) {
        pthread_mutex_unlock(&q->lock);
        return r;
    }
    struct mq_msg *m = q->head;
    q->head = m->next;
    q->curmsgs--;
    q->qsize -= m->len;
    now(&q->atime);
    q->ctime = q->atime;
    waitq_wake(&q->wq, POLLOUT | POLLWRNORM, 0);
    pthread_mutex_unlock(&q->lock);
    /* Linux too loses the message when it cannot be copied out. */
    r = m->len ? mm_copy_out(t->mm, msg, m->data, m->len) : 0;
    if (r == 0 && prio_addr) {
        unsigned p = m->prio;
        r = mm_copy_out(t->mm, prio_addr, &p, sizeof(p));
    }
    long ret = r < 0 ? r : (long)m->len;
    free(m);
    return ret;
}

/* ---- notify, attributes ----------------------------------------------------- */

int mqueue_notify(struct file *f, int tgid, const struct sigevent *ev)
{
    struct mqueue *q = f->priv;
    int r = 0;
    pthread_mutex_lock(&q->lock);
    if (!ev) {
        if (q->notify_tgid == tgid)
            q->notify_tgid = 0;
    } else if (q->notify_tgid) {
        r = -EBUSY;
    } else {
        q->notify_tgid = tgid;
        q->notify = ev->sigev_notify;
        q->signo = ev->sigev_notify == SIGEV_SIGNAL ? ev->sigev_signo : 0;
        q->value = ev->sigev_value;
    }
    pthread_mutex_unlock(&q->lock);
    return r;
}

void mqueue_getsetattr(struct file *f, int nonblock, struct mq_attr *old)
{
    struct mqueue *q = f->priv;
    memset(old, 0, sizeof(*old));
    pthread_mutex_lock(&q->lock);
    old->mq_maxmsg = q->maxmsg;
    old->mq_msgsize = q->msgsize;
    old->mq_curmsgs = q->curmsgs;
    pthread_mutex_unlock(&q->lock);
    pthread_mutex_lock(&f->pos_lock);
    old->mq_flags = f->flags & O_NONBLOCK;
    if (nonblock > 0)
        f->flags |= O_NONBLOCK;
    else if (nonblock == 0)
        f->flags &= ~O_NONBLOCK;
    pthread_mutex_unlock(&f->pos_lock);
}
