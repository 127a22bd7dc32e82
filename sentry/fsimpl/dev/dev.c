/* devfs: character devices implemented in the sentry. */
#include "sentry/fsimpl/dev/dev.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "sentry/fsimpl/synth/synth.h"

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
    struct synth_fs *s;
    int r = synth_fs_new("devtmpfs", &s);
    if (r < 0)
        return r;
    synth_add_file(s, NULL, "null", S_IFCHR | 0666, makedev(1, 3), &g_null_ops, NULL);
    synth_add_file(s, NULL, "zero", S_IFCHR | 0666, makedev(1, 5), &g_zero_ops, NULL);
    synth_add_file(s, NULL, "full", S_IFCHR | 0666, makedev(1, 7), &g_full_ops, NULL);
    synth_add_file(s, NULL, "random", S_IFCHR | 0666, makedev(1, 8), &g_random_ops, NULL);
    synth_add_file(s, NULL, "urandom", S_IFCHR | 0666, makedev(1, 9), &g_random_ops, NULL);
    /* /dev/tty: the controlling terminal; without job control (next issue)
     * a process has none, and Linux answers ENXIO. */
    synth_add_file(s, NULL, "tty", S_IFCHR | 0666, makedev(5, 0), NULL, NULL);
    synth_add_link(s, NULL, "fd", "/proc/self/fd", NULL);
    synth_add_link(s, NULL, "stdin", "/proc/self/fd/0", NULL);
    synth_add_link(s, NULL, "stdout", "/proc/self/fd/1", NULL);
    synth_add_link(s, NULL, "stderr", "/proc/self/fd/2", NULL);
    synth_add_dir(s, NULL, "pts", 0755);
    synth_add_dir(s, NULL, "shm", 01777);
    r = synth_root(s, root);
    if (r < 0)
        return r;
    *fs = &s->fs;
    return 0;
}
