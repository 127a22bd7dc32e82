/* Socket files, sockfs, the generic SOL_SOCKET options and blocking (see
 * socket.h). */
#include "sentry/socket/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"
#include "sentry/socket/inet.h"

#define NSEC_PER_SEC 1000000000LL
#define USEC_PER_SEC 1000000LL

/* ---- iterators ---------------------------------------------------------- */

void sock_iter_user(struct sock_iter *it, struct mm *mm, const struct iovec *iov, unsigned long cnt,
                    size_t total)
{
    *it = (struct sock_iter){.mm = mm, .iov = iov, .cnt = cnt, .len = total};
}

void sock_iter_kernel(struct sock_iter *it, void *buf, size_t len)
{
    *it = (struct sock_iter){.kbuf = buf, .len = len};
}

static int iter_copy(struct sock_iter *it, void *kbuf, size_t n, bool in)
{
    char *p = kbuf;
    if (n > sock_iter_left(it))
        n = sock_iter_left(it);
    if (!it->mm) {
        if (in)
            memcpy(p, it->kbuf + it->done, n);
        else
            memcpy(it->kbuf + it->done, p, n);
        it->done += n;
        return 0;
    }
    while (n > 0) {
        while (it->idx < it->cnt && it->off == it->iov[it->idx].iov_len) {
            it->idx++;
            it->off = 0;
        }
        if (it->idx == it->cnt)
            return -EFAULT; /* cannot happen: n <= left */
        const struct iovec *v = &it->iov[it->idx];
        size_t c = v->iov_len - it->off < n ? v->iov_len - it->off : n;
        uint64_t addr = (uint64_t)v->iov_base + it->off;
        int r = in ? mm_copy_in(it->mm, addr, p, c) : mm_copy_out(it->mm, addr, p, c);
        if (r < 0)
            return -EFAULT;
        it->off += c;
        it->done += c;
        p += c;
        n -= c;
    }
    return 0;
}

int sock_iter_copy_in(struct sock_iter *it, void *dst, size_t n)
{
    return iter_copy(it, dst, n, true);
}

int sock_iter_copy_out(struct sock_iter *it, const void *src, size_t n)
{
    return iter_copy(it, (void *)src, n, false);
}

/* ---- sockfs ------------------------------------------------------------- */

static const struct vfs_fs_type g_sockfs_type = {.name = "sockfs"};
static struct vfs_fs g_sockfs = {.type = &g_sockfs_type, .refs = 1};
static pthread_once_t g_sockfs_once = PTHREAD_ONCE_INIT;
static uint64_t g_next_ino = 1;

static void sockfs_init(void)
{
    g_sockfs.dev = vfs_new_dev();
}

struct sock_inode {
    uint32_t uid, gid;
    struct timespec ctime;
};

static int sock_inode_getattr(struct inode *ino, struct vfs_attr *a)
{
    struct sock_inode *si = ino->priv;
    memset(a, 0, sizeof(*a));
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = ino->mode;
    a->nlink = 1;
    a->uid = si->uid;
    a->gid = si->gid;
    a->blksize = 4096;
    a->atime = a->mtime = a->ctime = a->btime = si->ctime;
    return 0;
}

static void sock_inode_release(struct inode *ino)
{
    free(ino->priv);
}

static const struct inode_ops g_sock_inode_ops = {
    .getattr = sock_inode_getattr,
    .release = sock_inode_release,
};

/* ---- file operations ---------------------------------------------------- */

static const struct file_ops g_sock_file_ops;

struct socket *sock_from_file(struct file *f)
{
    return f && f->ops == &g_sock_file_ops ? f->priv : NULL;
}

static int file_msg_flags(struct file *f)
{
    return (f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0;
}

static void recv_done(struct sock_recv *m)
{
    /* read(2) has no room for control data: passed files are closed. */
    for (int i = 0; i < m->nfiles; i++)
        file_put(m->files[i]);
    free(m->files);
}

static ssize_t recv_iter(struct file *f, struct sock_iter *it)
{
    struct socket *s = f->priv;
    if (it->len == 0)
        return 0; /* Linux's sock_read_iter */
    struct sock_recv m = {.flags = file_msg_flags(f)};
    ssize_t r = s->ops->recvmsg(s, task_current(), it, &m);
    recv_done(&m);
    return r;
}

static ssize_t send_iter(struct file *f, struct sock_iter *it)
{
    struct socket *s = f->priv;
    struct sock_send m = {.flags = file_msg_flags(f) | (s->type == SOCK_SEQPACKET ? MSG_EOR : 0)};
    return s->ops->sendmsg(s, task_current(), it, &m);
}

static ssize_t sock_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct sock_iter it;
    sock_iter_kernel(&it, buf, len);
    return recv_iter(f, &it);
}

static ssize_t sock_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    struct sock_iter it;
    sock_iter_kernel(&it, (void *)buf, len);
    return send_iter(f, &it);
}

static ssize_t sock_read_iov(struct file *f, struct mm *mm, const struct iovec *iov,
                             unsigned long cnt, size_t total)
{
    struct sock_iter it;
    sock_iter_user(&it, mm, iov, cnt, total);
    return recv_iter(f, &it);
}

static ssize_t sock_write_iov(struct file *f, struct mm *mm, const struct iovec *iov,
                              unsigned long cnt, size_t total)
{
    struct sock_iter it;
    sock_iter_user(&it, mm, iov, cnt, total);
    return send_iter(f, &it);
}

static uint32_t sock_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct socket *s = f->priv;
    return s->ops->poll(s, events, pt);
}

static long sock_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct socket *s = f->priv;
    long r = s->ops->ioctl ? s->ops->ioctl(s, mm, cmd, arg) : -ENOTTY;
    /* Linux's sock_do_ioctl: what the family does not know may be an
     * interface query (dev_ioctl), whatever the family. */
    return r == -ENOTTY ? inet_dev_ioctl(mm, cmd, arg) : r;
}

static void sock_release(struct file *f)
{
    struct socket *s = f->priv;
    if (!s)
        return;
    s->ops->release(s);
    free(s);
    f->priv = NULL;
}

static const struct file_ops g_sock_file_ops = {
    .read = sock_read,
    .write = sock_write,
    .read_iov = sock_read_iov,
    .write_iov = sock_write_iov,
    .poll = sock_poll,
    .ioctl = sock_ioctl,
    .release = sock_release,
    .stream = true,
};

int sock_file_new(struct socket *s, uint32_t uid, uint32_t gid, int flags, struct file **out)
{
    pthread_once(&g_sockfs_once, sockfs_init);
    struct sock_inode *si = calloc(1, sizeof(*si));
    if (!si)
        goto fail;
    si->uid = uid;
    si->gid = gid;
    clock_gettime(CLOCK_REALTIME, &si->ctime);
    uint64_t nr = __atomic_fetch_add(&g_next_ino, 1, __ATOMIC_RELAXED);
    struct inode *ino = vfs_inode_new(&g_sockfs, &g_sock_inode_ops, nr, S_IFSOCK | 0777, si);
    if (!ino) {
        free(si);
        goto fail;
    }
    struct file *f = vfs_file_new(ino, NULL, O_RDWR | (flags & O_NONBLOCK));
    inode_put(ino);
    if (!f)
        goto fail;
    f->ops = &g_sock_file_ops;
    f->priv = s;
    *out = f;
    return 0;
fail:
    s->ops->release(s);
    free(s);
    return -ENOMEM;
}

/* ---- SOL_SOCKET options ------------------------------------------------- */

void sock_common_init(struct sock_common *c)
{
    *c = (struct sock_common){
        .sndbuf = SOCK_WMEM_DEFAULT,
        .rcvbuf = SOCK_WMEM_DEFAULT,
        .rcvtimeo_ns = SOCK_TIMEO_FOREVER,
        .sndtimeo_ns = SOCK_TIMEO_FOREVER,
        .rcvlowat = 1,
    };
}

int sock_put_bytes(void *val, uint32_t *len, const void *v, uint32_t size)
{
    uint32_t n = *len < size ? *len : size;
    memcpy(val, v, n);
    *len = n;
    return 0;
}

int sock_put_int(void *val, uint32_t *len, int v)
{
    return sock_put_bytes(val, len, &v, sizeof(v));
}

/* struct __kernel_sock_timeval (= struct timeval on x86-64). */
struct ktimeval {
    int64_t sec, usec;
};

static int get_timeo(int64_t *field, void *val, uint32_t *len)
{
    int64_t ns = __atomic_load_n(field, __ATOMIC_RELAXED);
    struct ktimeval tv = {0, 0};
    if (ns != SOCK_TIMEO_FOREVER)
        tv = (struct ktimeval){ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / 1000};
    return sock_put_bytes(val, len, &tv, sizeof(tv));
}

/* Linux's sock_set_timeout: EDOM for a bad tv_usec; a negative time means
 * "never wait", zero "no limit". */
static int set_timeo(int64_t *field, const void *val, uint32_t len)
{
    struct ktimeval tv;
    if (len < sizeof(tv))
        return -EINVAL;
    memcpy(&tv, val, sizeof(tv));
    if (tv.usec < 0 || tv.usec >= USEC_PER_SEC)
        return -EDOM;
    int64_t ns;
    if (tv.sec < 0)
        ns = 0;
    else if (tv.sec == 0 && tv.usec == 0)
        ns = SOCK_TIMEO_FOREVER;
    else if (tv.sec >= INT64_MAX / NSEC_PER_SEC - 1)
        ns = SOCK_TIMEO_FOREVER;
    else
        ns = tv.sec * NSEC_PER_SEC + tv.usec * 1000;
    __atomic_store_n(field, ns, __ATOMIC_RELAXED);
    return 0;
}

static bool capable(struct task *t, int cap)
{
    return t && (t->creds.cap_effective >> cap) & 1;
}

/* SO_SNDBUF / SO_RCVBUF: Linux doubles the value (bookkeeping overhead),
 * within [min, 2 * max]; the FORCE variants skip the max. */
static void set_buf(int *field, int val, bool force, int min)
{
    uint32_t v = (uint32_t)val;
    if (!force && v > SOCK_WMEM_MAX)
        v = SOCK_WMEM_MAX;
    if (force && val < 0)
        v = 0;
    if (v > INT_MAX / 2)
        v = INT_MAX / 2;
    int n = (int)v * 2;
    __atomic_store_n(field, n < min ? min : n, __ATOMIC_RELAXED);
}

int sock_common_getsockopt(struct sock_common *c, int name, void *val, uint32_t *len)
{
    switch (name) {
    case SO_SNDBUF:
        return sock_put_int(val, len, __atomic_load_n(&c->sndbuf, __ATOMIC_RELAXED));
    case SO_RCVBUF:
        return sock_put_int(val, len, __atomic_load_n(&c->rcvbuf, __ATOMIC_RELAXED));
    case SO_PASSCRED:
        return sock_put_int(val, len, __atomic_load_n(&c->passcred, __ATOMIC_RELAXED));
    case SO_REUSEADDR:
        return sock_put_int(val, len, c->reuseaddr);
    case SO_KEEPALIVE:
        return sock_put_int(val, len, c->keepalive);
    case SO_BROADCAST:
        return sock_put_int(val, len, c->broadcast);
    case SO_DONTROUTE:
        return sock_put_int(val, len, c->dontroute);
    case SO_OOBINLINE:
        return sock_put_int(val, len, c->oobinline);
    case SO_PRIORITY:
        return sock_put_int(val, len, c->priority);
    case SO_RCVLOWAT:
        return sock_put_int(val, len, __atomic_load_n(&c->rcvlowat, __ATOMIC_RELAXED));
    case SO_SNDLOWAT:
        return sock_put_int(val, len, 1);
    case SO_RCVTIMEO:
    case SO_RCVTIMEO_NEW_:
        return get_timeo(&c->rcvtimeo_ns, val, len);
    case SO_SNDTIMEO:
    case SO_SNDTIMEO_NEW_:
        return get_timeo(&c->sndtimeo_ns, val, len);
    case SO_LINGER: {
        struct linger l = {c->linger, c->linger_sec};
        return sock_put_bytes(val, len, &l, sizeof(l));
    }
    }
    return -ENOPROTOOPT;
}

int sock_common_setsockopt(struct sock_common *c, struct task *t, int name, const void *val,
                           uint32_t len)
{
    if (len < sizeof(int))
        return -EINVAL;
    int v;
    memcpy(&v, val, sizeof(v));
    bool b = v != 0;
    switch (name) {
    case SO_SNDBUF:
        set_buf(&c->sndbuf, v, false, SOCK_MIN_SNDBUF);
        return 0;
    case SO_RCVBUF:
        set_buf(&c->rcvbuf, v, false, SOCK_MIN_RCVBUF);
        return 0;
    case SO_SNDBUFFORCE:
    case SO_RCVBUFFORCE:
        if (!capable(t, CREDS_CAP_NET_ADMIN))
            return -EPERM;
        if (name == SO_SNDBUFFORCE)
            set_buf(&c->sndbuf, v, true, SOCK_MIN_SNDBUF);
        else
            set_buf(&c->rcvbuf, v, true, SOCK_MIN_RCVBUF);
        return 0;
    case SO_PASSCRED:
        __atomic_store_n(&c->passcred, b, __ATOMIC_RELAXED);
        return 0;
    case SO_REUSEADDR:
        c->reuseaddr = b;
        return 0;
    case SO_KEEPALIVE:
        c->keepalive = b;
        return 0;
    case SO_BROADCAST:
        c->broadcast = b;
        return 0;
    case SO_DONTROUTE:
        c->dontroute = b;
        return 0;
    case SO_OOBINLINE:
        c->oobinline = b;
        return 0;
    case SO_PRIORITY:
        if ((v < 0 || v > 6) && !capable(t, CREDS_CAP_NET_RAW) && !capable(t, CREDS_CAP_NET_ADMIN))
            return -EPERM;
        c->priority = v;
        return 0;
    case SO_RCVLOWAT:
        if (v < 0)
            v = INT_MAX;
        __atomic_store_n(&c->rcvlowat, v ? v : 1, __ATOMIC_RELAXED);
        return 0;
    case SO_RCVTIMEO:
    case SO_RCVTIMEO_NEW_:
        return set_timeo(&c->rcvtimeo_ns, val, len);
    case SO_SNDTIMEO:
    case SO_SNDTIMEO_NEW_:
        return set_timeo(&c->sndtimeo_ns, val, len);
    case SO_LINGER: {
        struct linger l;
        if (len < sizeof(l))
            return -EINVAL;
        memcpy(&l, val, sizeof(l));
        c->linger = l.l_onoff != 0;
        if (l.l_onoff)
            c->linger_sec = l.l_linger;
        return 0;
    }
    }
    return -ENOPROTOOPT;
}

void sock_sigpipe(struct task *t, int flags)
{
    if (t && !(flags & MSG_NOSIGNAL))
        signal_send_task(t, SIGPIPE, NULL);
}

/* ---- blocking ----------------------------------------------------------- */

void sock_timeo_init(struct sock_timeo *to, bool nonblock, int64_t timeo_ns)
{
    *to = (struct sock_timeo){.nonblock = nonblock || timeo_ns == 0};
    if (!to->nonblock && timeo_ns != SOCK_TIMEO_FOREVER) {
        struct timespec rel = {timeo_ns / NSEC_PER_SEC, timeo_ns % NSEC_PER_SEC};
        to->has_deadline = true;
        deadline_after(&to->deadline, &rel);
    }
}

int sock_timeo_block(struct task *t, struct sock_timeo *to)
{
    if (!t) {
        to->nonblock = true; /* no task to block (unit tests) */
        return 0;
    }
    int r = task_block(t, to->has_deadline ? &to->deadline : NULL);
    if (r == -ETIMEDOUT) {
        to->nonblock = true;
        return 0;
    }
    if (r == -EINTR)
        return to->has_deadline ? -EINTR : -ERESTARTSYS;
    return 0;
}
