/* Host-fd files: stdio of the application.
 *
 * The host fd keeps its own offset; read/write use it directly so shell
 * redirections behave as on Linux. ioctl forwards the tty requests a
 * program needs to the host terminal (TCGETS, TCSETS*, TIOCGWINSZ...). */
#include "sentry/fsimpl/host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

struct hostfile {
    int fd;
    bool tty;
};

static struct vfs_fs_type g_host_type = {.name = "host"};
static struct vfs_fs g_host_fs = {.type = &g_host_type, .refs = 1};

static int host_fd_of(struct file *f)
{
    return ((struct hostfile *)f->priv)->fd;
}

static ssize_t host_read(struct file *f, void *buf, size_t len, int64_t off)
{
    ssize_t r = off < 0 ? read(host_fd_of(f), buf, len) : pread(host_fd_of(f), buf, len, off);
    return r < 0 ? -errno : r;
}

static ssize_t host_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    ssize_t r = off < 0 ? write(host_fd_of(f), buf, len) : pwrite(host_fd_of(f), buf, len, off);
    return r < 0 ? -errno : r;
}

static int64_t host_llseek(struct file *f, int64_t off, int whence)
{
    off_t r = lseek(host_fd_of(f), off, whence);
    return r < 0 ? -errno : r;
}

static void stat_to_attr(const struct stat *st, struct vfs_attr *a)
{
    a->ino = st->st_ino;
    a->dev = st->st_dev;
    a->mode = st->st_mode;
    a->nlink = (uint32_t)st->st_nlink;
    a->uid = st->st_uid;
    a->gid = st->st_gid;
    a->rdev = st->st_rdev;
    a->size = st->st_size;
    a->blocks = st->st_blocks;
    a->blksize = (int32_t)st->st_blksize;
    a->atime = st->st_atim;
    a->mtime = st->st_mtim;
    a->ctime = st->st_ctim;
}

static int host_getattr(struct file *f, struct vfs_attr *a)
{
    struct stat st;
    if (fstat(host_fd_of(f), &st) < 0)
        return -errno;
    stat_to_attr(&st, a);
    return 0;
}

static long host_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
    struct hostfile *h = f->priv;
    if (!h->tty)
        return -ENOTTY;
    switch (cmd) {
    case TCGETS: {
        struct termios t;
        if (ioctl(h->fd, TCGETS, &t) < 0)
            return -errno;
        return mm_copy_out(mm, arg, &t, sizeof(t));
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        struct termios t;
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

int hostfile_fd(struct file *f)
{
    return f->ops == &g_host_ops || f->ops == &g_host_stream_ops ? host_fd_of(f) : -1;
}
