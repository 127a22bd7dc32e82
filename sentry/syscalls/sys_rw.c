/* read, write, readv, writev, pread64, pwrite64, preadv, pwritev, preadv2,
 * pwritev2, lseek, fsync, fdatasync. Data moves through a bounce buffer. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/uio.h>

#include "sentry/syscalls/internal.h"

#define MAX_RW_COUNT 0x7ffff000ull
#define NO_OFFSET (-1)
/* write_from's offset for an O_APPEND write at the file position: each
 * chunk at the end of the file, which the filesystem finds (vfs_append). */
#define AT_END (-2)

/* One read into application memory at addr; off < 0 means "use the file
 * position". Regular files are read until len or EOF; streams once. */
static ssize_t read_into(struct task *t, struct file *f, uint64_t addr, size_t len, int64_t off)
{
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    if (len == 0) {
        if ((f->flags & O_ACCMODE) == O_WRONLY)
            return -EBADF;
        char none;
        return f->ops && f->ops->sees_empty_io ? vfs_read(f, &none, 0) : 0;
    }
    size_t cap = len < SC_IO_CHUNK ? len : SC_IO_CHUNK;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < cap ? len - done : cap;
        ssize_t r = off >= 0 ? vfs_pread(f, buf, n, off + (int64_t)done) : vfs_read(f, buf, n);
        if (r < 0) {
            free(buf);
            return done ? (ssize_t)done : r;
        }
        if (r == 0)
            break;
        int c = mm_copy_out(t->mm, addr + done, buf, (size_t)r);
        if (c < 0) {
            free(buf);
            return done ? (ssize_t)done : c;
        }
        done += (size_t)r;
        if ((size_t)r < n || (f->ops && f->ops->stream))
            break;
    }
    free(buf);
    return (ssize_t)done;
}

/* One write from application memory at addr; off NO_OFFSET means "use the
 * file position", AT_END "append" (then *end, when not NULL, gets the offset
 * just past the last byte written, if any was). */
static ssize_t write_from(struct task *t, struct file *f, uint64_t addr, size_t len, int64_t off,
                          int64_t *end)
{
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
        return -EBADF;
    if (len == 0 && f->ops->sees_empty_io)
        return vfs_write(f, "", 0);
    if (len == 0 || f->ops->discards_writes)
        return (ssize_t)len;
    size_t cap = len < SC_IO_CHUNK ? len : SC_IO_CHUNK;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < cap ? len - done : cap;
        int c = mm_copy_in(t->mm, addr + done, buf, n);
        if (c < 0) {
            free(buf);
            return done ? (ssize_t)done : c;
        }
        size_t wrote = 0;
        while (wrote < n) {
            ssize_t r;
            if (off == AT_END) {
                int64_t at;
                r = vfs_append(f, buf + wrote, n - wrote, &at);
                if (r > 0 && end)
                    *end = at + r;
            } else if (off >= 0) {
                r = vfs_pwrite(f, buf + wrote, n - wrote, off + (int64_t)(done + wrote));
            } else {
                r = vfs_write(f, buf + wrote, n - wrote);
            }
            if (r < 0) {
                free(buf);
                return done + wrote ? (ssize_t)(done + wrote) : r;
            }
            if (r == 0)
                break;
            wrote += (size_t)r;
        }
        done += wrote;
        if (wrote < n)
            break;
    }
    free(buf);
    return (ssize_t)done;
}

/* For seekable files without an explicit offset, the file position is
 * taken under pos_lock and advanced by what really reached the caller (a
 * fault in the buffer stops the advance there, as in Linux). */
static bool uses_pos(struct file *f)
{
    return !f->ops->stream && f->ops->llseek;
}

/* Takes pos_lock and returns where the transfer starts: the position, or
 * AT_END for an O_APPEND write (the filesystem finds the end, once per
 * write it is given, under its own lock: vfs_append). */
static int64_t pos_begin(struct file *f, bool write)
{
    pthread_mutex_lock(&f->pos_lock);
    return write && (f->flags & O_APPEND) ? AT_END : f->pos;
}

/* Advances the position past what was transferred (an append: to end, past
 * its last byte) and drops pos_lock. */
static void pos_end(struct file *f, int64_t off, ssize_t done, int64_t end)
{
    if (done > 0)
        f->pos = off == AT_END ? end : off + done;
    pthread_mutex_unlock(&f->pos_lock);
}

static ssize_t io_at_pos(struct task *t, struct file *f, uint64_t addr, size_t len, bool write)
{
    if (!uses_pos(f))
        return write ? write_from(t, f, addr, len, NO_OFFSET, NULL)
                     : read_into(t, f, addr, len, NO_OFFSET);
    int64_t off = pos_begin(f, write), end = 0;
    ssize_t r = write ? write_from(t, f, addr, len, off, &end) : read_into(t, f, addr, len, off);
    pos_end(f, off, r, end);
    return r;
}

typedef ssize_t (*iov_fn)(struct file *, struct mm *, const struct iovec *, unsigned long, size_t);

/* The file's read_iov or write_iov op (sockets), or NULL. */
static iov_fn iov_op(struct file *f, bool write)
{
    if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
        return NULL; /* refused below with the usual errors */
    return write ? f->ops->write_iov : f->ops->read_iov;
}

static long rw(struct task *t, int fd, uint64_t addr, size_t len, int64_t off, bool write)
{
    struct file *f = sc_file(t, fd);
    if (!f)
        return -EBADF;
    long r;
    if (off == NO_OFFSET && iov_op(f, write)) {
        struct iovec v = {(void *)addr, len > MAX_RW_COUNT ? MAX_RW_COUNT : len};
        r = iov_op(f, write)(f, t->mm, &v, 1, v.iov_len);
    } else if (off != NO_OFFSET && !f->ops->llseek)
        r = -ESPIPE;
    else if (off == NO_OFFSET)
        r = io_at_pos(t, f, addr, len, write);
    else
        r = write ? write_from(t, f, addr, len, off, NULL) : read_into(t, f, addr, len, off);
    if (r > 0)
        vfs_notify_file(f, write ? IN_MODIFY : IN_ACCESS);
    file_put(f);
    return r;
}

long sys_read(struct task *t, const struct syscall_args *args)
{
    return rw(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), NO_OFFSET, false);
}

long sys_write(struct task *t, const struct syscall_args *args)
{
    return rw(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), NO_OFFSET, true);
}

long sys_pread64(struct task *t, const struct syscall_args *args)
{
    int64_t off = (int64_t)ARG_U64(3);
    return off < 0 ? -EINVAL : rw(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), off, false);
}

long sys_pwrite64(struct task *t, const struct syscall_args *args)
{
    int64_t off = (int64_t)ARG_U64(3);
    return off < 0 ? -EINVAL : rw(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), off, true);
}

static long rwv(struct task *t, int fd, uint64_t iov_addr, uint64_t cnt, int64_t off, bool write)
{
    if (cnt > IOV_MAX)
        return -EINVAL;
    struct file *f = sc_file(t, fd);
    if (!f)
        return -EBADF;
    long r = 0;
    struct iovec *iov = NULL;
    if (off != NO_OFFSET && !f->ops->llseek) {
        r = -ESPIPE;
        goto out;
    }
    if (cnt == 0)
        goto out;
    iov = malloc(cnt * sizeof(*iov));
    if (!iov) {
        r = -ENOMEM;
        goto out;
    }
    r = mm_copy_in(t->mm, iov_addr, iov, cnt * sizeof(*iov));
    if (r < 0)
        goto out;
    uint64_t total = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if ((int64_t)iov[i].iov_len < 0 || total + iov[i].iov_len > (uint64_t)SSIZE_MAX) {
            r = -EINVAL;
            goto out;
        }
        total += iov[i].iov_len;
    }
    if (off == NO_OFFSET && iov_op(f, write)) {
        /* Linux caps the whole vector at MAX_RW_COUNT. */
        uint64_t left = MAX_RW_COUNT;
        for (uint64_t i = 0; i < cnt; i++) {
            if (iov[i].iov_len > left)
                iov[i].iov_len = left;
            left -= iov[i].iov_len;
        }
        r = iov_op(f, write)(f, t->mm, iov, cnt, total < MAX_RW_COUNT ? total : MAX_RW_COUNT);
        goto out;
    }
    /* Stream files (pipes, sockets) see a vector as one write, so PIPE_BUF
     * atomicity and packet boundaries hold across the iovecs, as in Linux;
     * so does an O_APPEND file, so that no other append lands between the
     * pieces (Linux holds the inode lock across the vector). */
    bool one_write = f->ops->stream || (uses_pos(f) && (f->flags & O_APPEND));
    if (write && one_write && off == NO_OFFSET && total <= SC_IO_CHUNK && cnt > 1) {
        char *buf = malloc(total ? total : 1);
        if (!buf) {
            r = -ENOMEM;
            goto out;
        }
        size_t at = 0;
        for (uint64_t i = 0; i < cnt && r == 0; i++) {
            if (!iov[i].iov_len)
                continue;
            int c = mm_copy_in(t->mm, (uint64_t)iov[i].iov_base, buf + at, iov[i].iov_len);
            if (c < 0)
                break; /* write what was gathered so far, as Linux does on a fault */
            at += iov[i].iov_len;
        }
        if (at == 0 && total > 0) {
            free(buf);
            r = -EFAULT;
            goto out;
        }
        ssize_t n = vfs_write(f, buf, at);
        free(buf);
        r = n;
        goto out;
    }
    int64_t done = 0, end = 0;
    bool at_pos = off == NO_OFFSET && uses_pos(f);
    if (at_pos)
        off = pos_begin(f, write);
    for (uint64_t i = 0; i < cnt; i++) {
        if (iov[i].iov_len == 0)
            continue;
        int64_t o = off < 0 ? off : off + done;
        ssize_t n = write ? write_from(t, f, (uint64_t)iov[i].iov_base, iov[i].iov_len, o, &end)
                          : read_into(t, f, (uint64_t)iov[i].iov_base, iov[i].iov_len, o);
        if (n < 0) {
            r = done ? done : n;
            goto out_pos;
        }
        done += n;
        if ((size_t)n < iov[i].iov_len)
            break;
    }
    r = done;
out_pos:
    if (at_pos)
        pos_end(f, off, done, end);
out:
    if (r > 0)
        vfs_notify_file(f, write ? IN_MODIFY : IN_ACCESS);
    free(iov);
    file_put(f);
    return r;
}

long sys_readv(struct task *t, const struct syscall_args *args)
{
    return rwv(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), NO_OFFSET, false);
}

long sys_writev(struct task *t, const struct syscall_args *args)
{
    return rwv(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), NO_OFFSET, true);
}

long sys_preadv(struct task *t, const struct syscall_args *args)
{
    int64_t off = (int64_t)ARG_U64(3);
    return off < 0 ? -EINVAL : rwv(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), off, false);
}

long sys_pwritev(struct task *t, const struct syscall_args *args)
{
    int64_t off = (int64_t)ARG_U64(3);
    return off < 0 ? -EINVAL : rwv(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), off, true);
}

/* preadv2, pwritev2: offset -1 is the file position (= NO_OFFSET); no
 * RWF_* flag is supported. */
static long rwv2(struct task *t, const struct syscall_args *args, bool write)
{
    if (args->a[5])
        return -EOPNOTSUPP;
    int64_t off = (int64_t)ARG_U64(3);
    return off < NO_OFFSET ? -EINVAL : rwv(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), off, write);
}

long sys_preadv2(struct task *t, const struct syscall_args *args)
{
    return rwv2(t, args, false);
}

long sys_pwritev2(struct task *t, const struct syscall_args *args)
{
    return rwv2(t, args, true);
}

long sys_lseek(struct task *t, const struct syscall_args *args)
{
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    int whence = ARG_INT(2);
    long r;
    if (whence < SEEK_SET || whence > SEEK_HOLE)
        r = -EINVAL;
    else
        r = vfs_lseek(f, (int64_t)ARG_U64(1), whence);
    file_put(f);
    return r;
}

static long do_fsync(struct task *t, int fd)
{
    struct file *f = sc_file(t, fd);
    if (!f)
        return -EBADF;
    /* Without an fsync op: regular files and directories have nothing to
     * write back (0); pipes, sockets and devices are EINVAL, as in Linux. */
    long r;
    if (f->ops->fsync)
        r = f->ops->fsync(f);
    else
        r = S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode) ? 0 : -EINVAL;
    file_put(f);
    return r;
}

long sys_fsync(struct task *t, const struct syscall_args *args)
{
    return do_fsync(t, ARG_INT(0));
}

long sys_fdatasync(struct task *t, const struct syscall_args *args)
{
    return do_fsync(t, ARG_INT(0));
}
