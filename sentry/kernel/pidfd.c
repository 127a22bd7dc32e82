/* pidfds: file descriptions that name a thread group (CLONE_PIDFD,
 * pidfd_open); readable when the process has exited. */
#include "sentry/kernel/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/kernel/process.h"

static uint32_t pidfd_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct thread_group *tg = f->priv;
    vfs_poll_wait(pt, &tg->exit_wait);
    pthread_mutex_lock(&g_kernel->lock);
    bool dead = tg->state != TG_ALIVE;
    pthread_mutex_unlock(&g_kernel->lock);
    return dead ? (POLLIN | POLLRDNORM) : 0;
}

static void pidfd_release(struct file *f)
{
    pthread_mutex_lock(&g_kernel->lock);
    tg_put_locked(f->priv);
    pthread_mutex_unlock(&g_kernel->lock);
}

static const struct file_ops g_pidfd_ops = {
    .poll = pidfd_poll,
    .release = pidfd_release,
    .stream = true,
};

int pidfd_create(struct task *t, struct thread_group *tg, int flags)
{
    pthread_mutex_lock(&g_kernel->lock);
    tg->refs++;
    pthread_mutex_unlock(&g_kernel->lock);
    struct file *f;
    int r = anon_file_new("[pidfd]", &g_pidfd_ops, tg, O_RDWR | (flags & O_NONBLOCK), &f);
    if (r < 0) {
        pthread_mutex_lock(&g_kernel->lock);
        tg_put_locked(tg);
        pthread_mutex_unlock(&g_kernel->lock);
        return r;
    }
    int fd = fdt_install(t->fdt, 0, f, FDT_CLOEXEC, (int)task_rlimit_cur(t, RLIMIT_NOFILE));
    file_put(f);
    return fd;
}

struct thread_group *pidfd_group(struct file *f)
{
    return f->ops == &g_pidfd_ops ? f->priv : NULL;
}
