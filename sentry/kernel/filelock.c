/* Advisory file locks (see filelock.h). */
#include "sentry/kernel/filelock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sentry/kernel/waitq.h"

#define OFF_MAX INT64_MAX

enum kind { K_POSIX, K_OFD, K_FLOCK };

struct flk {
    enum kind kind;
    int type;           /* F_RDLCK or F_WRLCK */
    void *owner;        /* fdtable (POSIX), file (OFD, flock) */
    int pid;            /* who set it (F_GETLK's l_pid for POSIX) */
    int64_t start, end; /* inclusive; end OFF_MAX: to the end of the file */
    struct flk *next;
};

/* The locks of one inode; freed when it has no lock and no waiter. */
struct lockctx {
    struct inode *ino;
    struct flk *locks;
    int waiters;
    struct waitq wq;
    struct lockctx *next;
};

/* A POSIX waiter, for deadlock detection: owner waits for blocker. */
struct pwait {
    void *owner, *blocker;
    struct pwait *next;
};

static pthread_mutex_t g_filelock = PTHREAD_MUTEX_INITIALIZER;
static struct lockctx *g_ctxs;
static struct pwait *g_pwaits;
/* Locks held anywhere (by kind): close and release skip the lock when 0. */
static atomic_int g_nposix, g_nfile;

static struct lockctx *ctx_find(struct inode *ino, bool create)
{
    for (struct lockctx *c = g_ctxs; c; c = c->next)
        if (c->ino == ino)
            return c;
    if (!create)
        return NULL;
    struct lockctx *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ino = ino;
    waitq_init(&c->wq);
    c->next = g_ctxs;
    g_ctxs = c;
    return c;
}

static void ctx_maybe_free(struct lockctx *c)
{
    if (c->locks || c->waiters)
        return;
    for (struct lockctx **p = &g_ctxs; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    free(c);
}

static bool ranged(enum kind k)
{
    return k != K_FLOCK;
}

static void count(enum kind k, int d)
{
    atomic_fetch_add(k == K_POSIX ? &g_nposix : &g_nfile, d);
}

static void flk_free(struct flk *l)
{
    count(l->kind, -1);
    free(l);
}

static struct flk *flk_new(enum kind k, int type, void *owner, int pid, int64_t s, int64_t e)
{
    struct flk *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    *l = (struct flk){.kind = k, .type = type, .owner = owner, .pid = pid, .start = s, .end = e};
    count(k, 1);
    return l;
}

/* Whether l blocks a request (kind, type, owner, [s, e]). */
static bool conflicts(const struct flk *l, enum kind k, int type, void *owner, int64_t s, int64_t e)
{
    if (ranged(l->kind) != ranged(k))
        return false; /* flock and record locks are independent */
    if (l->owner == owner && l->kind == k)
        return false;
    if (ranged(k) && (l->end < s || l->start > e))
        return false;
    return l->type == F_WRLCK || type == F_WRLCK;
}

static struct flk *find_conflict(struct lockctx *c, enum kind k, int type, void *owner, int64_t s,
                                 int64_t e)
{
    for (struct flk *l = c ? c->locks : NULL; l; l = l->next)
        if (conflicts(l, k, type, owner, s, e))
            return l;
    return NULL;
}

/* Removes [s, e] from owner's locks of kind k, splitting where needed.
 * -ENOMEM leaves the list unchanged. */
static int carve(struct lockctx *c, enum kind k, void *owner, int64_t s, int64_t e)
{
    /* A split needs one new lock at most (a single lock spanning [s, e]). */
    struct flk *spare = NULL;
    for (struct flk *l = c->locks; l; l = l->next)
        if (l->kind == k && l->owner == owner && l->start < s && l->end > e) {
            spare = flk_new(k, l->type, owner, l->pid, e + 1, l->end);
            if (!spare)
                return -ENOMEM;
            break;
        }
    for (struct flk **p = &c->locks; *p;) {
        struct flk *l = *p;
        if (l->kind != k || l->owner != owner || l->end < s || l->start > e) {
            p = &l->next;
            continue;
        }
        if (l->start >= s && l->end <= e) {
            *p = l->next;
            flk_free(l);
            continue;
        }
        if (l->start < s && l->end > e) {
            spare->next = l->next;
            l->next = spare;
            l->end = s - 1;
            p = &spare->next;
            spare = NULL;
            continue;
        }
        if (l->start < s)
            l->end = s - 1;
        else
            l->start = e + 1;
        p = &l->next;
    }
    if (spare)
        flk_free(spare);
    return 0;
}

/* Installs owner's lock [s, e] of type (after carve), merging with its
 * adjacent locks of the same type. */
static int install(struct lockctx *c, enum kind k, int type, void *owner, int pid, int64_t s,
                   int64_t e)
{
    if (ranged(k)) {
        for (struct flk **p = &c->locks; *p;) {
            struct flk *l = *p;
            bool adj = l->kind == k && l->owner == owner && l->type == type &&
                       ((s > 0 && l->end == s - 1) || (e < OFF_MAX && l->start == e + 1));
            if (adj) {
                if (l->start < s)
                    s = l->start;
                if (l->end > e)
                    e = l->end;
                *p = l->next;
                flk_free(l);
                continue;
            }
            p = &l->next;
        }
    }
    struct flk *n = flk_new(k, type, owner, pid, s, e);
    if (!n)
        return -ENOMEM;
    n->next = c->locks;
    c->locks = n;
    return 0;
}

/* POSIX deadlock: does blocker (transitively) wait for owner? g_filelock held. */
static bool would_deadlock(void *owner, void *blocker)
{
    for (int depth = 0; blocker && depth < 10; depth++) {
        if (blocker == owner)
            return true;
        void *next = NULL;
        for (struct pwait *w = g_pwaits; w; w = w->next)
            if (w->owner == blocker) {
                next = w->blocker;
                break;
            }
        blocker = next;
    }
    return false;
}

/* The locking core: set (type F_RDLCK/F_WRLCK) or remove (F_UNLCK)
 * owner's lock on ino, waiting if asked. */
static long do_lock(struct task *t, struct inode *ino, enum kind k, int type, void *owner,
                    int64_t s, int64_t e, bool wait)
{
    pthread_mutex_lock(&g_filelock);
    struct lockctx *c = ctx_find(ino, type != F_UNLCK);
    if (!c) {
        pthread_mutex_unlock(&g_filelock);
        return type == F_UNLCK ? 0 : -ENOMEM;
    }
    long r;
    if (k == K_FLOCK && type != F_UNLCK) {
        /* A conversion drops the old lock first (so two upgraders cannot
         * deadlock); the same type again is a no-op. */
        for (struct flk *l = c->locks; l; l = l->next)
            if (l->kind == K_FLOCK && l->owner == owner) {
                if (l->type == type) {
                    pthread_mutex_unlock(&g_filelock);
                    return 0;
                }
                carve(c, k, owner, s, e); /* removes the whole lock: no split */
                break;
            }
    }
    for (;;) {
        if (type == F_UNLCK) {
            r = carve(c, k, owner, s, e);
            break;
        }
        struct flk *b = find_conflict(c, k, type, owner, s, e);
        if (!b) {
            /* flock conversion and POSIX/OFD replacement drop the old lock. */
            r = carve(c, k, owner, s, e);
            if (r == 0)
                r = install(c, k, type, owner, t->tg->tgid, s, e);
            break;
        }
        if (!wait) {
            r = -EAGAIN;
            break;
        }
        if (k == K_POSIX && b->kind == K_POSIX && would_deadlock(owner, b->owner)) {
            r = -EDEADLK;
            break;
        }
        struct pwait pw = {owner, b->kind == K_POSIX ? b->owner : NULL, g_pwaits};
        if (k == K_POSIX)
            g_pwaits = &pw;
        struct waiter w = {.t = t};
        waitq_add(&c->wq, &w);
        c->waiters++;
        pthread_mutex_unlock(&g_filelock);
        int br = task_block(t, NULL);
        pthread_mutex_lock(&g_filelock);
        c->waiters--;
        waitq_remove(&c->wq, &w);
        if (k == K_POSIX)
            for (struct pwait **p = &g_pwaits; *p; p = &(*p)->next)
                if (*p == &pw) {
                    *p = pw.next;
                    break;
                }
        if (br == -EINTR) {
            r = -ERESTARTSYS;
            break;
        }
    }
    waitq_wake(&c->wq, 0, 0); /* anything removed or downgraded may unblock */
    ctx_maybe_free(c);
    pthread_mutex_unlock(&g_filelock);
    return r;
}

long filelock_flock(struct task *t, struct file *f, int op)
{
    int type;
    switch (op & ~LOCK_NB) {
    case LOCK_SH:
        type = F_RDLCK;
        break;
    case LOCK_EX:
        type = F_WRLCK;
        break;
    case LOCK_UN:
        type = F_UNLCK;
        break;
    default:
        return -EINVAL;
    }
    if (f->flags & O_PATH)
        return -EBADF;
    return do_lock(t, f->inode, K_FLOCK, type, f, 0, OFF_MAX, !(op & LOCK_NB));
}

/* [start, end] of fl for f; -EINVAL / -EOVERFLOW as Linux's flock_to_posix_lock. */
static int range_of(struct file *f, const struct flock *fl, int64_t *s, int64_t *e)
{
    int64_t base;
    switch (fl->l_whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        pthread_mutex_lock(&f->pos_lock);
        base = f->pos;
        pthread_mutex_unlock(&f->pos_lock);
        break;
    case SEEK_END: {
        struct vfs_attr a;
        int r = vfs_file_getattr(f, &a);
        if (r < 0)
            return r;
        base = (int64_t)a.size;
        break;
    }
    default:
        return -EINVAL;
    }
    if (__builtin_add_overflow(base, (int64_t)fl->l_start, s))
        return -EOVERFLOW;
    if (*s < 0)
        return -EINVAL;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > OFF_MAX - *s)
            return -EOVERFLOW;
        *e = *s + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        *e = *s - 1;
        *s += fl->l_len;
        if (*s < 0)
            return -EINVAL;
    } else {
        *e = OFF_MAX;
    }
    return 0;
}

long filelock_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl)
{
    bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    enum kind k = ofd ? K_OFD : K_POSIX;
    void *owner = ofd ? (void *)f : (void *)t->fdt;
    if (f->flags & O_PATH)
        return -EBADF;
    if (ofd && fl->l_pid != 0)
        return -EINVAL;
    if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
        return -EINVAL;
    int64_t s, e;
    int r = range_of(f, fl, &s, &e);
    if (r < 0)
        return r;
    if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
        if (fl->l_type == F_UNLCK)
            return -EINVAL;
        pthread_mutex_lock(&g_filelock);
        struct flk *b = find_conflict(ctx_find(f->inode, false), k, fl->l_type, owner, s, e);
        if (b) {
            fl->l_type = (short)b->type;
            fl->l_whence = SEEK_SET;
            fl->l_start = b->start;
            fl->l_len = b->end == OFF_MAX ? 0 : b->end - b->start + 1;
            fl->l_pid = b->kind == K_OFD ? -1 : b->pid;
        } else {
            fl->l_type = F_UNLCK;
        }
        pthread_mutex_unlock(&g_filelock);
        return 0;
    }
    int acc = f->flags & O_ACCMODE;
    if (fl->l_type == F_RDLCK && acc == O_WRONLY)
        return -EBADF;
    if (fl->l_type == F_WRLCK && acc == O_RDONLY)
        return -EBADF;
    return do_lock(t, f->inode, k, fl->l_type, owner, s, e, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

/* Drops every lock of kind k (any kind when all) owned by owner on ino. */
static void drop_owner(struct inode *ino, void *owner, enum kind k, bool all)
{
    pthread_mutex_lock(&g_filelock);
    struct lockctx *c = ctx_find(ino, false);
    if (c) {
        bool any = false;
        for (struct flk **p = &c->locks; *p;) {
            struct flk *l = *p;
            if (l->owner == owner && (all || l->kind == k)) {
                *p = l->next;
                flk_free(l);
                any = true;
                continue;
            }
            p = &l->next;
        }
        if (any)
            waitq_wake(&c->wq, 0, 0);
        ctx_maybe_free(c);
    }
    pthread_mutex_unlock(&g_filelock);
}

void filelock_posix_close(struct fdtable *fdt, struct file *f)
{
    if (atomic_load(&g_nposix) == 0 || !f->inode)
        return;
    drop_owner(f->inode, fdt, K_POSIX, false);
}

void filelock_file_release(struct file *f)
{
    if (atomic_load(&g_nfile) == 0 || !f->inode)
        return;
    drop_owner(f->inode, f, K_OFD, true); /* OFD and flock locks: owner f */
}
