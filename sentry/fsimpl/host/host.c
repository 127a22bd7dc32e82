/* Host-fd files: stdio of the application.
 *
 * The host fd keeps its own offset; read/write use it directly so shell
 * redirections behave as on Linux. ioctl forwards the tty requests a
 * program needs to the host terminal (TCGETS, TCSETS*, TIOCGWINSZ...); job
 * control (the terminal's session and foreground group, the processes'
 * controlling terminal) is the kernel's (sentry/kernel/tty.h). Not done: a
 * session leader's exit hangs the session up (SIGHUP to the foreground
 * group, the terminal lost) but not the host terminal itself (Linux's
 * vhangup of a real tty: its open files would read EOF); a write with
 * TOSTOP from a background process gets no SIGTTOU.
 *
 * Locking: g_tty_lock (a leaf) guards the list of host terminals, their
 * references and their open files; kernel.lock is never taken under it. */
#include "sentry/fsimpl/host/host.h"

#include <pthread.h>
#include <signal.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
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

struct host_tty;

struct hostfile {
    int fd;
    bool tty;
    struct host_tty *ht;       /* the terminal (ttys only): a reference */
    struct hostfile *tty_next; /* on ht->files (g_tty_lock) */
};

/* A host terminal seen by the sandbox, found by device number: the kernel's
 * job-control state of it and the open files on it (a new one for
 * /dev/tty duplicates one of their fds). It goes with its last reference
 * (its files, the processes whose controlling terminal it is), so a
 * terminal the sandbox no longer uses is not kept open. */
struct host_tty {
    struct tty tty;
    dev_t rdev;
    int refs;
    struct hostfile *files;
    struct host_tty *next;
};
static pthread_mutex_t g_tty_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_tty *g_ttys; /* oldest first */

static const struct tty_ops g_host_tty_ops;

/* Links h to the terminal rdev (made if new) with a reference. */
static struct host_tty *host_tty_attach(dev_t rdev, struct hostfile *h)
{
    pthread_mutex_lock(&g_tty_lock);
    struct host_tty **pp = &g_ttys;
    while (*pp && (*pp)->rdev != rdev)
        pp = &(*pp)->next;
    struct host_tty *ht = *pp;
    if (!ht) {
        ht = calloc(1, sizeof(*ht));
        if (ht) {
            tty_init(&ht->tty, &g_host_tty_ops, rdev);
            ht->rdev = rdev;
            *pp = ht;
        }
    }
    if (ht) {
        ht->refs++;
        h->tty_next = ht->files;
        ht->files = h;
    }
    pthread_mutex_unlock(&g_tty_lock);
    return ht;
}

static struct host_tty *ht_of(struct tty *tty)
{
    return (struct host_tty *)((char *)tty - offsetof(struct host_tty, tty));
}

static void ht_get(struct tty *tty)
{
    pthread_mutex_lock(&g_tty_lock);
    ht_of(tty)->refs++;
    pthread_mutex_unlock(&g_tty_lock);
}

/* Also under kernel.lock (a controlling terminal dropped): g_tty_lock is a
 * leaf. */
static void ht_put(struct tty *tty)
{
    struct host_tty *ht = ht_of(tty);
    pthread_mutex_lock(&g_tty_lock);
    bool last = --ht->refs == 0;
    if (last)
        for (struct host_tty **pp = &g_ttys; *pp; pp = &(*pp)->next)
            if (*pp == ht) {
                *pp = ht->next;
                break;
            }
    pthread_mutex_unlock(&g_tty_lock);
    if (last)
        free(ht);
}

/* Unlinks h from its terminal and drops its reference. */
static void host_tty_detach(struct hostfile *h)
{
    struct host_tty *ht = h->ht;
    if (!ht)
        return;
    pthread_mutex_lock(&g_tty_lock);
    for (struct hostfile **pp = &ht->files; *pp; pp = &(*pp)->tty_next)
        if (*pp == h) {
            *pp = h->tty_next;
            break;
        }
    pthread_mutex_unlock(&g_tty_lock);
    h->ht = NULL;
    ht_put(&ht->tty);
}

int hostfile_tty_foreground(void)
{
    pthread_mutex_lock(&g_tty_lock);
    struct host_tty *ht = g_ttys;
    if (ht)
        ht->refs++;
    pthread_mutex_unlock(&g_tty_lock);
    if (!ht)
        return 0;
    pthread_mutex_lock(&g_kernel->lock);
    int pg = ht->tty.fg_pgid;
    pthread_mutex_unlock(&g_kernel->lock);
    ht_put(&ht->tty);
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
    if (!h->ht || !t)
        return 0;
    return tty_job_check(t, &h->ht->tty, SIGTTIN, false);
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
        if (h->ht) { /* a background process changing it: SIGTTOU first */
            long c = tty_job_check(task_current(), &h->ht->tty, SIGTTOU, true);
            if (c < 0)
                return c;
        }
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
    default: {
        if (!h->ht)
            return -ENOTTY;
        long r = tty_jobctrl_ioctl(&h->ht->tty, task_current(), mm, cmd, arg, false,
                                   (f->flags & O_ACCMODE) != O_WRONLY);
        return r == -TTY_ENOIOCTLCMD ? -ENOTTY : r;
    }
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
        host_tty_detach(h);
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

/* A host terminal opened through /dev/tty: fstat shows /dev/tty's node (its
 * inode), as Linux's. */
static const struct file_ops g_host_ctty_ops = {
    .read = host_read,
    .write = host_write,
    .ioctl = host_ioctl,
    .fsync = host_fsync,
    .poll = host_poll,
    .release = host_release,
    .stream = true,
};

static const struct inode_ops g_host_inode_ops = {0};

/* /dev/tty on a host terminal: a new file on a duplicate of one of its
 * open host fds (-EIO when the sandbox has none left). */
static int ht_open(struct tty *tty, struct file *f, int flags)
{
    (void)flags;
    struct host_tty *ht = ht_of(tty);
    struct hostfile *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->tty = true;
    int err = -EIO;
    pthread_mutex_lock(&g_tty_lock);
    h->fd = ht->files ? fcntl(ht->files->fd, F_DUPFD_CLOEXEC, 3) : -1;
    if (h->fd >= 0) {
        h->ht = ht;
        ht->refs++;
        h->tty_next = ht->files;
        ht->files = h;
    } else if (ht->files) {
        err = -errno;
    }
    pthread_mutex_unlock(&g_tty_lock);
    if (h->fd < 0) {
        free(h);
        return err;
    }
    f->ops = &g_host_ctty_ops;
    f->priv = h;
    return 0;
}

static const struct tty_ops g_host_tty_ops = {
    .get = ht_get,
    .put = ht_put,
    .open = ht_open,
};

void hostfile_spawn_ctty(struct file *f, struct thread_group *tg)
{
    if (!f || (f->ops != &g_host_ops && f->ops != &g_host_stream_ops))
        return;
    struct hostfile *h = f->priv;
    if (h->ht)
        tty_spawn_acquire(&h->ht->tty, tg);
}

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
    if (h->tty)
        h->ht = host_tty_attach(st.st_rdev, h); /* NULL (out of memory): no job control */
    struct inode *ino = vfs_inode_new(&g_host_fs, &g_host_inode_ops, st.st_ino, st.st_mode, NULL);
    if (!ino) {
        host_tty_detach(h);
        free(h);
        return -ENOMEM;
    }
    struct file *f = vfs_file_new(ino, NULL, flags);
    inode_put(ino);
    if (!f) {
        host_tty_detach(h);
        free(h);
        return -ENOMEM;
    }
    bool seekable = lseek(fd, 0, SEEK_CUR) >= 0;
    f->ops = seekable ? &g_host_ops : &g_host_stream_ops;
    f->priv = h;
    *out = f;
    return 0;
}
