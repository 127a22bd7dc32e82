/* Host-fd files: stdio of the application.
 *
 * The host fd keeps its own offset; read/write use it directly so shell
 * redirections behave as on Linux. ioctl forwards the tty requests a
 * program needs to the host terminal (TCGETS, TCSETS*, TIOCGWINSZ...). */
#include "sentry/fsimpl/host/host.h"

#include <pthread.h>
#include <signal.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/tty.h"

/* The kernel's struct termios for TCGETS/TCSETS (glibc's is larger). */
struct kernel_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
_Static_assert(sizeof(struct kernel_termios) == 36, "termios layout");

struct hostfile {
    int fd;
    bool tty;
    dev_t rdev; /* the terminal, for its job-control state */
};

/* Job control state of a host terminal seen by the sandbox: its session and
 * foreground process group (sentry ids). All stdio files on one terminal
 * share it. Lock: g_tty_lock (leaf). */
struct tty_state {
    dev_t rdev;
    int sid;
    int fg_pgid;
};
static pthread_mutex_t g_tty_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tty_state g_ttys[4];
static int g_nttys;

static struct tty_state *tty_of(dev_t rdev)
{
    for (int i = 0; i < g_nttys; i++)
        if (g_ttys[i].rdev == rdev)
            return &g_ttys[i];
    if (g_nttys == (int)(sizeof(g_ttys) / sizeof(g_ttys[0])))
        return NULL;
    struct tty_state *t = &g_ttys[g_nttys++];
    t->rdev = rdev;
    t->sid = 1; /* the container's init session until someone else takes it */
    t->fg_pgid = 1;
    return t;
}

int hostfile_tty_foreground(void)
{
    pthread_mutex_lock(&g_tty_lock);
    int pg = g_nttys ? g_ttys[0].fg_pgid : 0;
    pthread_mutex_unlock(&g_tty_lock);
    return pg;
}

static struct vfs_fs_type g_host_type = {.name = "host"};
static struct vfs_fs g_host_fs = {.type = &g_host_type, .refs = 1};

static int host_fd_of(struct file *f)
{
    return ((struct hostfile *)f->priv)->fd;
}

/* A background process group reading its terminal gets SIGTTIN (or EIO
 * when it ignores or blocks it). */
static long tty_check_read(struct hostfile *h, struct task *t)
{
    if (!h->tty || !t)
        return 0;
    pthread_mutex_lock(&g_tty_lock);
    struct tty_state *ts = tty_of(h->rdev);
    int fg = ts ? ts->fg_pgid : 0, sid = ts ? ts->sid : 0;
    pthread_mutex_unlock(&g_tty_lock);
    return tty_job_check(t, sid, fg, SIGTTIN, false);
}

/* Unless f is non-blocking, waits until the host fd is ready for events
 * (if it is not already), interruptibly: the task's thread never blocks in
 * the host. */
static long host_wait(struct file *f, short events)
{
    if (f->flags & O_NONBLOCK)
        return 0;
    struct pollfd p = {.fd = host_fd_of(f), .events = events};
    if (poll(&p, 1, 0) != 0)
        return 0;
    struct task *t = task_current();
    if (!t) {
        poll(&p, 1, -1);
        return 0;
    }
    for (;;) {
        int r = task_block_host(t, &p, 1, NULL);
        if (r == 1)
            return 0;
        if (r == -EINTR)
            return -ERESTARTSYS;
        if (r < 0 && r != -ETIMEDOUT)
            return r;
    }
}

static ssize_t host_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct hostfile *h = f->priv;
    if (off >= 0) {
        ssize_t r = pread(h->fd, buf, len, off);
        return r < 0 ? -errno : r;
    }
    long c = tty_check_read(h, task_current());
    if (c < 0)
        return c;
    for (;;) {
        long w = host_wait(f, POLLIN);
        if (w < 0)
            return w;
        ssize_t r = read(h->fd, buf, len);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN && !(f->flags & O_NONBLOCK))
            continue; /* the host fd is non-blocking, our file is not */
        return -errno;
    }
}

static ssize_t host_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    struct hostfile *h = f->priv;
    if (off >= 0) {
        ssize_t r = pwrite(h->fd, buf, len, off);
        return r < 0 ? -errno : r;
    }
    for (;;) {
        long w = h->tty ? 0 : host_wait(f, POLLOUT);
        if (w < 0)
            return w;
        ssize_t r = write(h->fd, buf, len);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN && !(f->flags & O_NONBLOCK))
            continue;
        if (errno == EPIPE) {
            struct task *t = task_current();
            if (t)
                signal_send_task(t, SIGPIPE, NULL);
        }
        return -errno;
    }
}

static int64_t host_llseek(struct file *f, int64_t off, int whence)
{
    off_t r = lseek(host_fd_of(f), off, whence);
    return r < 0 ? -errno : r;
}

static int host_getattr(struct file *f, struct vfs_attr *a)
{
    struct stat st;
    if (fstat(host_fd_of(f), &st) < 0)
        return -errno;
    vfs_attr_from_stat(a, &st);
    return 0;
}

static long host_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct hostfile *h = f->priv;
    if (!h->tty)
        return -ENOTTY;
    switch (cmd) {
    case TCGETS: {
        struct kernel_termios t;
        if (ioctl(h->fd, TCGETS, &t) < 0)
            return -errno;
        return mm_copy_out(mm, arg, &t, sizeof(t));
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        struct kernel_termios t;
        int r = mm_copy_in(mm, arg, &t, sizeof(t));
        if (r < 0)
            return r;
        return ioctl(h->fd, cmd, &t) < 0 ? -errno : 0;
    }
    case TIOCGWINSZ: {
        struct winsize w;
        if (ioctl(h->fd, TIOCGWINSZ, &w) < 0)
            return -errno;
        return mm_copy_out(mm, arg, &w, sizeof(w));
    }
    case TIOCSWINSZ: {
        struct winsize w;
        int r = mm_copy_in(mm, arg, &w, sizeof(w));
        if (r < 0)
            return r;
        return ioctl(h->fd, TIOCSWINSZ, &w) < 0 ? -errno : 0;
    }
    case TIOCGPGRP:
    case TIOCGSID: {
        pthread_mutex_lock(&g_tty_lock);
        struct tty_state *ts = tty_of(h->rdev);
        int v = !ts ? 0 : cmd == TIOCGPGRP ? ts->fg_pgid : ts->sid;
        pthread_mutex_unlock(&g_tty_lock);
        return mm_copy_out(mm, arg, &v, sizeof(v));
    }
    case TIOCSPGRP: {
        int pg;
        int r = mm_copy_in(mm, arg, &pg, sizeof(pg));
        if (r < 0)
            return r;
        if (pg < 0)
            return -EINVAL;
        int sid = tty_ids_of(task_current()).sid;
        bool exists = tty_pgrp_in_session(pg, sid);
        pthread_mutex_lock(&g_tty_lock);
        struct tty_state *ts = tty_of(h->rdev);
        if (!ts || ts->sid != sid)
            r = -ENOTTY;
        else if (!exists)
            r = -EPERM;
        else
            ts->fg_pgid = pg;
        pthread_mutex_unlock(&g_tty_lock);
        return r;
    }
    case TIOCSCTTY: {
        /* A session leader takes the terminal as its controlling tty. */
        struct task *t = task_current();
        if (!t || t->tg->sid != t->tg->tgid)
            return -EPERM;
        pthread_mutex_lock(&g_tty_lock);
        struct tty_state *ts = tty_of(h->rdev);
        if (ts) {
            ts->sid = t->tg->sid;
            ts->fg_pgid = t->tg->pgid;
        }
        pthread_mutex_unlock(&g_tty_lock);
        return 0;
    }
    case TIOCNOTTY:
        return 0;
    default:
        return -ENOTTY;
    }
}

/* Readiness is the host fd's: asked of the host without waiting; a poller
 * that waits polls the host fd itself (task_block_host). */
static uint32_t host_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    int fd = host_fd_of(f);
    vfs_poll_wait_host(pt, fd);
    struct pollfd p = {.fd = fd, .events = (short)(events ? events : POLLIN | POLLOUT)};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return POLLERR;
    return (uint16_t)p.revents;
}

static int host_fsync(struct file *f)
{
    return fsync(host_fd_of(f)) < 0 ? -errno : 0;
}

static void host_release(struct file *f)
{
    struct hostfile *h = f->priv;
    if (h) {
        close(h->fd);
        free(h);
    }
}

static const struct file_ops g_host_ops = {
    .read = host_read,
    .write = host_write,
    .llseek = host_llseek,
    .ioctl = host_ioctl,
    .getattr = host_getattr,
    .fsync = host_fsync,
    .poll = host_poll,
    .release = host_release,
    .stream = true,
};

/* Pipes, sockets and ttys cannot seek: no llseek, so pread is ESPIPE. */
static const struct file_ops g_host_stream_ops = {
    .read = host_read,
    .write = host_write,
    .ioctl = host_ioctl,
    .getattr = host_getattr,
    .fsync = host_fsync,
    .poll = host_poll,
    .release = host_release,
    .stream = true,
};

static const struct inode_ops g_host_inode_ops = {0};

int hostfile_new(int fd, int flags, struct file **out)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    struct hostfile *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->fd = fd;
    h->tty = isatty(fd);
    h->rdev = st.st_rdev;
    struct inode *ino = vfs_inode_new(&g_host_fs, &g_host_inode_ops, st.st_ino, st.st_mode, NULL);
    if (!ino) {
        free(h);
        return -ENOMEM;
    }
    struct file *f = vfs_file_new(ino, NULL, flags);
    inode_put(ino);
    if (!f) {
        free(h);
        return -ENOMEM;
    }
    bool seekable = lseek(fd, 0, SEEK_CUR) >= 0;
    f->ops = seekable ? &g_host_ops : &g_host_stream_ops;
    f->priv = h;
    *out = f;
    return 0;
}
