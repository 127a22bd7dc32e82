/* devfs: a tmpfs holding the character devices implemented in the sentry
 * (their drivers are in the VFS's registry, vfs_chrdev_register). */
#include "sentry/fsimpl/dev/dev.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/kernel/tty.h"

static ssize_t null_read(struct file *f, void *buf, size_t len, int64_t off)
{
    return 0;
}

static ssize_t null_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    return (ssize_t)len;
}

static ssize_t zero_read(struct file *f, void *buf, size_t len, int64_t off)
{
    memset(buf, 0, len);
    return (ssize_t)len;
}

static ssize_t full_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    return -ENOSPC;
}

static ssize_t random_read(struct file *f, void *buf, size_t len, int64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = getrandom((char *)buf + done, len - done, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return done ? (ssize_t)done : -errno;
        }
        done += (size_t)r;
    }
    return (ssize_t)len;
}

static int64_t dev_llseek(struct file *f, int64_t off, int whence)
{
    return 0; /* Linux: character devices like null/zero accept and ignore seeks */
}

static int zero_mmap(struct file *f)
{
    return 1; /* anonymous memory */
}

/* /dev/tty: the opener's controlling terminal (a new open file on it,
 * whose ops replace these), ENXIO without one. */
static int tty_open(struct file *f, int flags)
{
    return tty_open_ctty(task_current(), f, flags);
}

static const struct file_ops g_tty_ops = {.open = tty_open, .stream = true};

static const struct file_ops g_null_ops = {.read = null_read,
                                           .write = null_write,
                                           .llseek = dev_llseek,
                                           .stream = true,
                                           .discards_writes = true};
static const struct file_ops g_zero_ops = {.read = zero_read,
                                           .write = null_write,
                                           .llseek = dev_llseek,
                                           .mmap = zero_mmap,
                                           .stream = true};
static const struct file_ops g_full_ops = {
    .read = zero_read, .write = full_write, .llseek = dev_llseek, .stream = true};
static const struct file_ops g_random_ops = {
    .read = random_read, .write = null_write, .llseek = dev_llseek, .stream = true};

int devfs_new(struct vfs_fs **fs, struct dentry **root)
{
    struct vfs_fs *tfs;
    struct dentry *d;
    int r = tmpfs_new("mode=755", &tfs, &d);
    if (r < 0)
        return r;
    static const struct {
        const char *name;
        unsigned major, minor;
        const struct file_ops *ops;
    } devs[] = {
        {"null", 1, 3, &g_null_ops},      {"zero", 1, 5, &g_zero_ops},
        {"full", 1, 7, &g_full_ops},      {"random", 1, 8, &g_random_ops},
        {"urandom", 1, 9, &g_random_ops}, {"tty", 5, 0, &g_tty_ops},
    };
    /* The nodes open their driver by number, as nodes made by mknod do. */
    for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]) && r == 0; i++) {
        uint64_t rdev = makedev(devs[i].major, devs[i].minor);
        if (devs[i].ops)
            vfs_chrdev_register(rdev, devs[i].ops);
        r = tmpfs_add_node(d, devs[i].name, S_IFCHR | 0666, rdev);
    }
    static const char *const links[][2] =
        {
            {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
            {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
            {"ptmx", "pts/ptmx"}, /* as runc makes it: the devpts mounted on /dev/pts */
        };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]) && r == 0; i++)
        r = tmpfs_add_symlink(d, links[i][0], links[i][1]);
    if (r == 0)
        r = tmpfs_add_node(d, "pts", S_IFDIR | 0755, 0);
    if (r == 0)
        r = tmpfs_add_node(d, "shm", S_IFDIR | 01777, 0);
    if (r < 0) {
        dentry_put(d);
        return r;
    }
    *root = d;
    *fs = tfs;
    return 0;
}
