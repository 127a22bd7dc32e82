/* devpts (see devpts.h and README.md).
 *
 * Locking: pty->lock protects the line discipline and the pty's state; it
 * is held only around sentry buffers (application memory is copied before
 * or after) and wakes happen under it (pty->lock -> waitq->lock). Job
 * control (the session the replica controls, its foreground group, the
 * processes' controlling terminal) is the kernel's (sentry/kernel/tty.h,
 * under kernel.lock): its calls are made after unlocking (kernel.lock is
 * never taken under pty->lock). g_devpts->lock protects the table of
 * pseudo-terminals; lookups take it under the root dentry's lock
 * (dentry->lock -> devpts.lock). */
#include "sentry/fsimpl/devpts/devpts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#include "sentry/fsimpl/devpts/ldisc.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/tty.h"
#include "sentry/kernel/waitq.h"

#define DEVPTS_MAX 1024
#define PTS_MAJOR 136
#define ROOT_INO 1
#define PTMX_INO 2

struct pty {
    int refs;
    int index;
    pthread_mutex_t lock;
    struct waitq mwq; /* the master's readers, writers and pollers */
    struct waitq swq; /* the replicas' */
    struct ldisc ld;
    struct winsize ws;
    bool locked;         /* TIOCSPTLCK: replicas cannot be opened */
    bool master_closed;  /* hung up: replica reads 0, writes EIO */
    bool replica_opened; /* once a replica was open, none left means POLLHUP/EIO */
    int replicas;        /* open replica descriptions */
    bool packet;         /* TIOCPKT: master reads carry a status byte */
    /* The replica as a controlling terminal (job control state: kernel.lock). */
    struct tty tty;
    uint32_t uid, gid;
    struct timespec ctime;
};

struct devpts {
    struct vfs_fs fs;
    pthread_mutex_t lock;
    struct pty *ptys[DEVPTS_MAX]; /* by index; no references (masters own them) */
    struct dentry *root;          /* reference held for the sandbox's life */
    struct timespec ctime;
};

static const struct vfs_fs_type g_devpts_type = {.name = "devpts"};
static struct devpts *g_devpts;
static pthread_mutex_t g_devpts_init = PTHREAD_MUTEX_INITIALIZER;

static const struct file_ops g_master_ops;
static const struct file_ops g_replica_ops;
static const struct file_ops g_devpts_dir_ops;
static const struct inode_ops g_devpts_inode_ops;

/* ---- the pty object ----------------------------------------------------- */

static void pty_get(struct pty *p)
{
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

static void pty_put(struct pty *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Waits (p->lock held, dropped while asleep) for a wake on q, a signal or
 * the deadline: 0, -EINTR or -ETIMEDOUT. The caller re-checks. */
static int wait_locked(struct pty *p, struct waitq *q, struct task *t, uint32_t events,
                       const struct timespec *deadline)
{
    struct waiter w = {.t = t, .events = events};
    waitq_add(q, &w);
    pthread_mutex_unlock(&p->lock);
    int r = task_block(t, deadline);
    waitq_remove(q, &w);
    pthread_mutex_lock(&p->lock);
    return r;
}

/* ---- job control (sentry/kernel/tty.h) ---------------------------------- */

static struct pty *pty_of_tty(struct tty *tty)
{
    return (struct pty *)((char *)tty - offsetof(struct pty, tty));
}

static void pty_tty_get(struct tty *tty)
{
    pty_get(pty_of_tty(tty));
}

static void pty_tty_put(struct tty *tty)
{
    pty_put(pty_of_tty(tty));
}

static int replica_open(struct pty *p, struct file *f, int flags);

/* /dev/tty: another open file on the replica. */
static int pty_tty_open(struct tty *tty, struct file *f, int flags)
{
    return replica_open(pty_of_tty(tty), f, flags);
}

static const struct tty_ops g_pty_tty_ops = {
    .get = pty_tty_get,
    .put = pty_tty_put,
    .open = pty_tty_open,
};

/* A background process of the terminal's session reading it (SIGTTIN) or
 * writing it with TOSTOP (SIGTTOU): 0 to go on, or the error. */
static long job_check(struct pty *p, struct task *t, int sig)
{
    if (!t)
        return 0;
    pthread_mutex_lock(&p->lock);
    bool tostop = p->ld.t.c_lflag & TOSTOP;
    pthread_mutex_unlock(&p->lock);
    return tty_job_check(t, &p->tty, sig, tostop);
}

static bool file_readable(const struct file *f)
{
    return (f->flags & O_ACCMODE) != O_WRONLY;
}

/* ---- the filesystem ----------------------------------------------------- */

static struct inode *replica_inode(struct vfs_fs *fs, struct pty *p)
{
    pty_get(p);
    struct inode *ino =
        vfs_inode_new(fs, &g_devpts_inode_ops, (uint64_t)p->index + 3, S_IFCHR | 0620, p);
    if (!ino)
        pty_put(p);
    return ino;
}

/* N in canonical decimal form, or -1. */
static int parse_index(const char *name)
{
    if (!name[0] || (name[0] == '0' && name[1]) || strlen(name) > 6)
        return -1;
    int n = 0;
    for (const char *s = name; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        n = n * 10 + (*s - '0');
    }
    return n;
}

static int devpts_lookup(struct inode *dir, const char *name, struct inode **out)
{
    struct devpts *d = (struct devpts *)dir->fs;
    if (strcmp(name, "ptmx") == 0) {
        *out = vfs_inode_new(dir->fs, &g_devpts_inode_ops, PTMX_INO, S_IFCHR | 0666, NULL);
        return *out ? 0 : -ENOMEM;
    }
    int n = parse_index(name);
    if (n < 0 || n >= DEVPTS_MAX)
        return -ENOENT;
    pthread_mutex_lock(&d->lock);
    struct pty *p = d->ptys[n];
    int r = -ENOENT;
    if (p) {
        *out = replica_inode(dir->fs, p);
        r = *out ? 0 : -ENOMEM;
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

static int devpts_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct devpts *d = (struct devpts *)ino->fs;
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = ino->mode;
    a->nlink = S_ISDIR(ino->mode) ? 2 : 1;
    a->blksize = 1024;
    a->atime = a->mtime = a->ctime = a->btime = d->ctime;
    if (ino->ino == PTMX_INO) {
        a->rdev = makedev(5, 2);
    } else if (ino->priv) {
        struct pty *p = ino->priv;
        a->rdev = makedev(PTS_MAJOR, (unsigned)p->index);
        a->uid = p->uid;
        a->gid = p->gid;
        a->atime = a->mtime = a->ctime = a->btime = p->ctime;
    }
    return 0;
}

static int ptmx_open(struct devpts *d, struct file *f)
{
    struct pty *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->refs = 1;
    pthread_mutex_init(&p->lock, NULL);
    waitq_init(&p->mwq);
    waitq_init(&p->swq);
    ldisc_init(&p->ld);
    tty_init(&p->tty, &g_pty_tty_ops, 0);
    p->locked = true;
    clock_gettime(CLOCK_REALTIME, &p->ctime);
    struct task *t = task_current();
    if (t) {
        p->uid = t->creds.fsuid;
        p->gid = t->creds.fsgid;
    }
    pthread_mutex_lock(&d->lock);
    int i = 0;
    while (i < DEVPTS_MAX && d->ptys[i])
        i++;
    if (i < DEVPTS_MAX) {
        p->index = i;
        p->tty.rdev = makedev(PTS_MAJOR, (unsigned)i);
        d->ptys[i] = p;
    }
    pthread_mutex_unlock(&d->lock);
    if (i == DEVPTS_MAX) {
        pty_put(p);
        return -ENOSPC;
    }
    f->ops = &g_master_ops;
    f->priv = p;
    return 0;
}

static int replica_open(struct pty *p, struct file *f, int flags)
{
    pthread_mutex_lock(&p->lock);
    int r = 0;
    if (p->master_closed || p->locked)
        r = -EIO;
    else {
        p->replicas++;
        p->replica_opened = true;
    }
    pthread_mutex_unlock(&p->lock);
    if (r < 0)
        return r;
    pty_get(p);
    f->ops = &g_replica_ops;
    f->priv = p;
    waitq_wake(&p->mwq, 0, 0);
    if (!(flags & O_NOCTTY)) /* a free one, to a leader: no error either way */
        tty_open_acquire(&p->tty, task_current(), (flags & O_ACCMODE) != O_WRONLY);
    return 0;
}

static int devpts_open(struct inode *ino, struct file *f, int flags)
{
    struct devpts *d = (struct devpts *)ino->fs;
    if (S_ISDIR(ino->mode)) {
        f->ops = &g_devpts_dir_ops;
        return 0;
    }
    if (ino->ino == PTMX_INO)
        return ptmx_open(d, f);
    return replica_open(ino->priv, f, flags);
}

static void devpts_inode_release(struct inode *ino)
{
    if (ino->ino != ROOT_INO && ino->ino != PTMX_INO)
        pty_put(ino->priv);
}

static const struct inode_ops g_devpts_inode_ops = {
    .lookup = devpts_lookup,
    .getattr = devpts_getattr,
    .open = devpts_open,
    .release = devpts_inode_release,
};

static int dir_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    struct devpts *d = (struct devpts *)f->inode->fs;
    if (!vfs_emit_dots(pos, fn, arg, ROOT_INO, ROOT_INO))
        return 0;
    if (*pos == 2) {
        if (!fn(arg, "ptmx", PTMX_INO, DT_CHR, 3))
            return 0;
        *pos = 3;
    }
    pthread_mutex_lock(&d->lock);
    for (int64_t i = *pos - 3; i < DEVPTS_MAX; i++) {
        if (!d->ptys[i])
            continue;
        char name[16];
        snprintf(name, sizeof(name), "%d", (int)i);
        if (!fn(arg, name, (uint64_t)i + 3, DT_CHR, i + 4))
            break;
        *pos = i + 4;
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

static const struct file_ops g_devpts_dir_ops = {
    .iterate = dir_iterate,
    .llseek = vfs_generic_llseek,
};

/* Drops the cached dentry of pty p (its master closed): the name is gone. */
static void forget_dentry(struct devpts *d, struct pty *p)
{
    struct dentry *root = d->root, *victim = NULL;
    pthread_mutex_lock(&root->lock);
    for (struct dentry **pp = &root->children; *pp; pp = &(*pp)->sibling) {
        struct dentry *c = *pp;
        if (c->inode->priv == p && c->inode->ino != PTMX_INO) {
            *pp = c->sibling;
            c->sibling = NULL;
            c->unlinked = true;
            victim = c;
            break;
        }
    }
    pthread_mutex_unlock(&root->lock);
    dentry_put(victim);
}

static void devpts_fs_release(struct vfs_fs *fs)
{
    (void)fs; /* the instance lives as long as the sandbox */
}

int devpts_new(struct vfs_fs **fs, struct dentry **root)
{
    pthread_mutex_lock(&g_devpts_init);
    struct devpts *d = g_devpts;
    int r = 0;
    if (!d) {
        d = calloc(1, sizeof(*d));
        if (!d) {
            r = -ENOMEM;
            goto out;
        }
        d->fs.type = &g_devpts_type;
        d->fs.refs = 1;
        d->fs.dev = vfs_new_dev();
        d->fs.release = devpts_fs_release;
        pthread_mutex_init(&d->lock, NULL);
        clock_gettime(CLOCK_REALTIME, &d->ctime);
        struct inode *ino =
            vfs_inode_new(&d->fs, &g_devpts_inode_ops, ROOT_INO, S_IFDIR | 0755, NULL);
        d->root = ino ? vfs_dentry_new_root(&d->fs, ino) : NULL;
        if (!d->root) {
            if (ino)
                inode_put(ino);
            free(d);
            r = -ENOMEM;
            goto out;
        }
        g_devpts = d;
    }
    vfs_fs_get(&d->fs);
    dentry_get(d->root);
    *fs = &d->fs;
    *root = d->root;
out:
    pthread_mutex_unlock(&g_devpts_init);
    return r;
}

/* ---- I/O ---------------------------------------------------------------- */

static ssize_t master_read(struct file *f, void *buf, size_t len, int64_t off)
{
    (void)off;
    struct pty *p = f->priv;
    struct task *t = task_current();
    if (len == 0)
        return 0;
    uint8_t *dst = buf;
    ssize_t ret;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (p->packet && p->ld.pktstatus) {
            /* Packet mode: a status change is read alone. */
            dst[0] = p->ld.pktstatus;
            p->ld.pktstatus = 0;
            ret = 1;
            break;
        }
        if (ldisc_out_readable(&p->ld) > 0) {
            size_t hdr = 0;
            if (p->packet)
                dst[hdr++] = TIOCPKT_DATA; /* data follows the status byte */
            size_t n = ldisc_out_read(&p->ld, dst + hdr, len - hdr);
            waitq_wake(&p->swq, POLLOUT | POLLWRNORM, 0);
            ret = (ssize_t)(n + hdr);
            break;
        }
        if (p->replica_opened && p->replicas == 0) {
            ret = -EIO;
            break;
        }
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            break;
        }
        if (wait_locked(p, &p->mwq, t, POLLIN | POLLRDNORM | POLLPRI | POLLHUP, NULL) == -EINTR) {
            ret = -ERESTARTSYS;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return ret;
}

static ssize_t master_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    (void)off;
    struct pty *p = f->priv;
    struct task *t = task_current();
    const uint8_t *src = buf;
    size_t done = 0;
    ssize_t ret = 0;
    uint64_t sigs = 0;
    pthread_mutex_lock(&p->lock);
    while (done < len) {
        size_t out_before = ldisc_out_readable(&p->ld);
        bool stopped_before = p->ld.stopped;
        uint8_t pkt_before = p->ld.pktstatus;
        size_t n = ldisc_receive(&p->ld, src + done, len - done, &sigs);
        done += n;
        if (n > 0) {
            waitq_wake(&p->swq, POLLIN | POLLRDNORM, 0);
            if (p->ld.stopped != stopped_before)
                waitq_wake(&p->swq, POLLOUT | POLLWRNORM, 0); /* writers go on (or wait) */
            if (ldisc_out_readable(&p->ld) != out_before ||
                (p->packet && p->ld.pktstatus != pkt_before))
                waitq_wake(&p->mwq, POLLIN | POLLRDNORM | POLLPRI, 0);
            continue;
        }
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            break;
        }
        if (wait_locked(p, &p->mwq, t, POLLOUT | POLLWRNORM, NULL) == -EINTR) {
            ret = -ERESTARTSYS;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    tty_signal_fg(&p->tty, sigs);
    return done > 0 ? (ssize_t)done : ret;
}

static ssize_t replica_read(struct file *f, void *buf, size_t len, int64_t off)
{
    (void)off;
    struct pty *p = f->priv;
    struct task *t = task_current();
    long c = job_check(p, t, SIGTTIN);
    if (c < 0)
        return c;
    if (len == 0)
        return 0;
    uint8_t *dst = buf;
    size_t done = 0;
    ssize_t ret = 0;
    struct timespec deadline, *dl = NULL;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (p->master_closed)
            break; /* hung up: end of file */
        const struct ldisc_termios *tm = &p->ld.t;
        bool canon = tm->c_lflag & ICANON;
        unsigned vmin = tm->c_cc[VMIN], vtime = tm->c_cc[VTIME];
        if (ldisc_readable(&p->ld)) {
            size_t n = ldisc_read(&p->ld, dst + done, len - done);
            waitq_wake(&p->mwq, POLLOUT | POLLWRNORM, 0);
            done += n;
            if (canon)
                break; /* one line, or an EOF (n == 0) */
            size_t want = vmin < len ? vmin : len;
            if (done >= want || done == len)
                break;
            if (vtime) { /* the inter-byte timer restarts */
                struct timespec rel = {.tv_sec = vtime / 10, .tv_nsec = (vtime % 10) * 100000000L};
                deadline_after(&deadline, &rel);
                dl = &deadline;
            }
            continue;
        }
        if (!canon && vmin == 0 && vtime == 0)
            break; /* polling read: 0 */
        if ((f->flags & O_NONBLOCK) || !t) {
            if (done == 0)
                ret = -EAGAIN;
            break;
        }
        if (!canon && vmin == 0 && !dl) {
            struct timespec rel = {.tv_sec = vtime / 10, .tv_nsec = (vtime % 10) * 100000000L};
            deadline_after(&deadline, &rel);
            dl = &deadline;
        }
        int r = wait_locked(p, &p->swq, t, POLLIN | POLLRDNORM | POLLHUP, dl);
        if (r == -EINTR) {
            ret = -ERESTARTSYS;
            break;
        }
        if (r == -ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&p->lock);
    return done > 0 ? (ssize_t)done : ret;
}

static ssize_t replica_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    (void)off;
    struct pty *p = f->priv;
    struct task *t = task_current();
    long c = job_check(p, t, SIGTTOU);
    if (c < 0)
        return c;
    const uint8_t *src = buf;
    size_t done = 0;
    ssize_t ret = 0;
    pthread_mutex_lock(&p->lock);
    while (done < len || len == 0) {
        if (p->master_closed) {
            ret = -EIO;
            break;
        }
        if (len == 0)
            break;
        /* Stopped output (^S) takes nothing until it is started. */
        size_t n = p->ld.stopped ? 0 : ldisc_write(&p->ld, src + done, len - done);
        done += n;
        if (n > 0) {
            waitq_wake(&p->mwq, POLLIN | POLLRDNORM, 0);
            continue;
        }
        if ((f->flags & O_NONBLOCK) || !t) {
            ret = -EAGAIN;
            break;
        }
        if (wait_locked(p, &p->swq, t, POLLOUT | POLLWRNORM | POLLHUP, NULL) == -EINTR) {
            ret = -ERESTARTSYS;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return done > 0 ? (ssize_t)done : ret;
}

static uint32_t master_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    (void)events;
    struct pty *p = f->priv;
    vfs_poll_wait(pt, &p->mwq);
    uint32_t mask = 0;
    pthread_mutex_lock(&p->lock);
    if (ldisc_out_readable(&p->ld))
        mask |= POLLIN | POLLRDNORM;
    if (p->packet && p->ld.pktstatus)
        mask |= POLLPRI | POLLIN | POLLRDNORM;
    if (ldisc_in_room(&p->ld))
        mask |= POLLOUT | POLLWRNORM;
    if (p->replica_opened && p->replicas == 0)
        mask |= POLLHUP;
    pthread_mutex_unlock(&p->lock);
    return mask;
}

static uint32_t replica_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    (void)events;
    struct pty *p = f->priv;
    vfs_poll_wait(pt, &p->swq);
    uint32_t mask = 0;
    pthread_mutex_lock(&p->lock);
    if (p->master_closed)
        mask = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
    else {
        if (ldisc_readable(&p->ld))
            mask |= POLLIN | POLLRDNORM;
        if (ldisc_out_room(&p->ld) && !p->ld.stopped)
            mask |= POLLOUT | POLLWRNORM;
    }
    pthread_mutex_unlock(&p->lock);
    return mask;
}

static void master_release(struct file *f)
{
    struct pty *p = f->priv;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->master_closed = true;
    waitq_wake(&p->swq, 0, 0);
    waitq_wake(&p->mwq, 0, 0);
    pthread_mutex_unlock(&p->lock);
    struct devpts *d = g_devpts;
    pthread_mutex_lock(&d->lock);
    if (d->ptys[p->index] == p)
        d->ptys[p->index] = NULL;
    pthread_mutex_unlock(&d->lock);
    forget_dentry(d, p);
    tty_hangup(&p->tty); /* the replica hangs up: its session loses it */
    f->priv = NULL;
    pty_put(p);
}

static void replica_release(struct file *f)
{
    struct pty *p = f->priv;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->replicas--;
    waitq_wake(&p->mwq, 0, 0);
    pthread_mutex_unlock(&p->lock);
    f->priv = NULL;
    pty_put(p);
}

/* ---- ioctl -------------------------------------------------------------- */

/* The requests both ends share: termios, window size, flushing. */
static long common_ioctl(struct pty *p, struct mm *mm, unsigned cmd, uint64_t arg, bool master)
{
    struct task *t = task_current();
    switch (cmd) {
    case TCGETS: {
        pthread_mutex_lock(&p->lock);
        struct ldisc_termios tm = p->ld.t;
        pthread_mutex_unlock(&p->lock);
        return mm_copy_out(mm, arg, &tm, sizeof(tm));
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        /* Either end sets the replica's termios: a background process of
         * its session gets SIGTTOU first (Linux's tty_check_change). */
        long c = tty_job_check(t, &p->tty, SIGTTOU, true);
        if (c < 0)
            return c;
        struct ldisc_termios tm;
        int r = mm_copy_in(mm, arg, &tm, sizeof(tm));
        if (r < 0)
            return r;
        pthread_mutex_lock(&p->lock);
        if (cmd == TCSETSF) {
            ldisc_flush_in(&p->ld);
            p->ld.pktstatus |= TIOCPKT_FLUSHREAD;
        }
        ldisc_set_termios(&p->ld, &tm);
        waitq_wake(&p->swq, 0, 0);
        waitq_wake(&p->mwq, 0, 0);
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    case TIOCGWINSZ: {
        pthread_mutex_lock(&p->lock);
        struct winsize w = p->ws;
        pthread_mutex_unlock(&p->lock);
        return mm_copy_out(mm, arg, &w, sizeof(w));
    }
    case TIOCSWINSZ: {
        struct winsize w;
        int r = mm_copy_in(mm, arg, &w, sizeof(w));
        if (r < 0)
            return r;
        pthread_mutex_lock(&p->lock);
        bool changed = memcmp(&w, &p->ws, sizeof(w)) != 0;
        p->ws = w;
        pthread_mutex_unlock(&p->lock);
        if (changed)
            tty_signal_fg(&p->tty, SIGBIT(SIGWINCH));
        return 0;
    }
    case FIONREAD: {
        pthread_mutex_lock(&p->lock);
        int n = (int)(master ? ldisc_out_readable(&p->ld) : ldisc_in_avail(&p->ld));
        pthread_mutex_unlock(&p->lock);
        return mm_copy_out(mm, arg, &n, sizeof(n));
    }
    case TIOCOUTQ: {
        /* The replica's output not yet read by the master; the master's
         * (the replica's input) is consumed at once by the discipline. */
        pthread_mutex_lock(&p->lock);
        int n = master ? 0 : (int)ldisc_out_avail(&p->ld);
        pthread_mutex_unlock(&p->lock);
        return mm_copy_out(mm, arg, &n, sizeof(n));
    }
    case TCFLSH: {
        if (!master) {
            long c = tty_job_check(t, &p->tty, SIGTTOU, true);
            if (c < 0)
                return c;
        }
        if (arg > TCIOFLUSH)
            return -EINVAL;
        /* TCIFLUSH is the caller's input: the replica's input queue, or
         * for the master what the replica wrote (and the reverse). */
        bool in = arg == TCIFLUSH || arg == TCIOFLUSH;
        bool out = arg == TCOFLUSH || arg == TCIOFLUSH;
        pthread_mutex_lock(&p->lock);
        if (master ? out : in)
            ldisc_flush_in(&p->ld);
        if (master ? in : out)
            ldisc_flush_out(&p->ld);
        if (!master) /* the master in packet mode hears of the replica's flushes */
            p->ld.pktstatus |= (in ? TIOCPKT_FLUSHREAD : 0) | (out ? TIOCPKT_FLUSHWRITE : 0);
        waitq_wake(&p->swq, 0, 0);
        waitq_wake(&p->mwq, 0, 0);
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    case TCSBRK:
    case TCSBRKP:
        /* tcdrain / tcsendbreak: a pseudo-terminal has no line to drain
         * or break. */
        return 0;
    default:
        return -ENOTTY;
    }
}

/* The devpts mount to open the replica through: the master's, or (for a
 * master opened through a bind mount of ptmx alone) any mount of devpts's
 * root (mounts are never removed: no reference needed). */
static struct mount *devpts_mount_of(const struct file *mf)
{
    struct devpts *d = g_devpts;
    struct mount *m = mf->path.mnt;
    if (m && m->fs == &d->fs && m->root == d->root)
        return m;
    for (m = vfs_mounts_newest(); m; m = m->next)
        if (m->fs == &d->fs && m->root == d->root)
            return m;
    return NULL;
}

/* TIOCGPTPEER: opens the replica with open(2) flags (access mode,
 * O_NOCTTY, O_NONBLOCK, O_CLOEXEC) without looking its name up in the
 * caller's namespace, as Linux's ptm_open_peer: no permission check, and
 * without O_NOCTTY a session leader may take it as its terminal. Returns
 * the new fd. */
static long open_peer(struct file *mf, struct pty *p, int flags)
{
    struct task *t = task_current();
    struct mount *m = devpts_mount_of(mf);
    if (!t || !m)
        return -EIO;
    char name[16];
    snprintf(name, sizeof(name), "%d", p->index);
    struct vfs_walk_ctx ctx = {
        .root = {m, m->root},
        .start = {m, m->root},
        .uid = t->creds.fsuid,
        .gid = t->creds.fsgid,
    };
    struct vfs_path rp;
    int r = vfs_walk(&ctx, name, 0, &rp);
    if (r < 0)
        return r == -ENOENT ? -EIO : r;
    struct file *nf;
    r = vfs_open_path(&rp, flags & ~O_CLOEXEC, &nf);
    path_put(&rp);
    if (r < 0)
        return r;
    int fd = fdt_install(t->fdt, 0, nf, (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0,
                         (int)task_rlimit_cur(t, RLIMIT_NOFILE));
    file_put(nf);
    return fd;
}

static long master_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct pty *p = f->priv;
    switch (cmd) {
    case TIOCGPTN: {
        unsigned n = (unsigned)p->index;
        return mm_copy_out(mm, arg, &n, sizeof(n));
    }
    case TIOCSPTLCK: {
        int v;
        int r = mm_copy_in(mm, arg, &v, sizeof(v));
        if (r < 0)
            return r;
        pthread_mutex_lock(&p->lock);
        p->locked = v != 0;
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    case TIOCGPTLCK: {
        pthread_mutex_lock(&p->lock);
        int v = p->locked;
        pthread_mutex_unlock(&p->lock);
        return mm_copy_out(mm, arg, &v, sizeof(v));
    }
    case TIOCPKT: {
        int v;
        int r = mm_copy_in(mm, arg, &v, sizeof(v));
        if (r < 0)
            return r;
        pthread_mutex_lock(&p->lock);
        if (v && !p->packet)
            p->ld.pktstatus = 0; /* only what happens from now on */
        p->packet = v != 0;
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    case TIOCGPKT: {
        pthread_mutex_lock(&p->lock);
        int v = p->packet;
        pthread_mutex_unlock(&p->lock);
        return mm_copy_out(mm, arg, &v, sizeof(v));
    }
    case TIOCSIG: {
        int sig = (int)arg;
        if (sig != SIGINT && sig != SIGQUIT && sig != SIGTSTP)
            return -EINVAL;
        tty_signal_fg(&p->tty, SIGBIT(sig));
        return 0;
    }
    case TIOCGPTPEER:
        return open_peer(f, p, (int)arg);
    default: {
        long r = tty_jobctrl_ioctl(&p->tty, task_current(), mm, cmd, arg, true, file_readable(f));
        return r != -TTY_ENOIOCTLCMD ? r : common_ioctl(p, mm, cmd, arg, true);
    }
    }
}

static long replica_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct pty *p = f->priv;
    pthread_mutex_lock(&p->lock);
    bool hung = p->master_closed;
    pthread_mutex_unlock(&p->lock);
    if (hung)
        return cmd == TIOCSPGRP ? -ENOTTY : -EIO;
    if (cmd == TIOCGPTPEER)
        return -EIO; /* only a master has a peer to open */
    long r = tty_jobctrl_ioctl(&p->tty, task_current(), mm, cmd, arg, false, file_readable(f));
    return r != -TTY_ENOIOCTLCMD ? r : common_ioctl(p, mm, cmd, arg, false);
}

static const struct file_ops g_master_ops = {
    .read = master_read,
    .write = master_write,
    .ioctl = master_ioctl,
    .poll = master_poll,
    .release = master_release,
    .stream = true,
};

static const struct file_ops g_replica_ops = {
    .read = replica_read,
    .write = replica_write,
    .ioctl = replica_ioctl,
    .poll = replica_poll,
    .release = replica_release,
    .stream = true,
};
