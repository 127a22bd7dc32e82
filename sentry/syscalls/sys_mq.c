/* POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
 * mq_notify, mq_getsetattr. The queues are sentry/fsimpl/mqueue; this file
 * copies and checks the arguments in Linux's order (ipc/mqueue.c). Names
 * reach the kernel without glibc's leading '/'. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "sentry/fsimpl/mqueue/mqueue.h"
#include "sentry/syscalls/internal.h"

/* glibc's SIGEV_THREAD cookie (NOTIFY_COOKIE_LEN). */
#define MQ_COOKIE_LEN 32

/* Copies a queue name: getname's errors, then lookup_one_len's (a name
 * that is empty is ENOENT, one with '/' or "." or ".." EACCES). */
static int copy_name(struct task *t, uint64_t addr, char *buf)
{
    int r = sc_copy_path(t, addr, buf);
    if (r < 0)
        return r;
    if (!buf[0])
        return -ENOENT;
    if (strchr(buf, '/') || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
        return -EACCES;
    if (strlen(buf) > NAME_MAX)
        return -ENAMETOOLONG;
    return 0;
}

/* An absolute CLOCK_REALTIME timeout as a CLOCK_MONOTONIC deadline. */
static int copy_timeout(struct task *t, uint64_t addr, struct timespec *deadline)
{
    struct timespec ts;
    int r = mm_copy_in(t->mm, addr, &ts, sizeof(ts));
    if (r < 0)
        return r;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
        return -EINVAL;
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    int64_t left = (ts.tv_sec - real.tv_sec) * 1000000000LL + (ts.tv_nsec - real.tv_nsec);
    if (left < 0)
        left = 0;
    struct timespec rel = {left / 1000000000LL, left % 1000000000LL};
    deadline_after(deadline, &rel);
    return 0;
}

/* The mqueue at fd (new reference), or NULL: EBADF for both. */
static struct file *mq_file(struct task *t, int fd)
{
    struct file *f = sc_file(t, fd);
    if (f && !mqueue_is(f)) {
        file_put(f);
        return NULL;
    }
    return f;
}

/* mq_timedsend / mq_timedreceive: the timeout at addr (0: none; *dl NULL),
 * then the queue at fd (*out, a new reference). */
static int mq_io_args(struct task *t, int fd, uint64_t addr, struct timespec *deadline,
                      const struct timespec **dl, struct file **out)
{
    *dl = NULL;
    if (addr) {
        int r = copy_timeout(t, addr, deadline);
        if (r < 0)
            return r;
        *dl = deadline;
    }
    *out = mq_file(t, fd);
    return *out ? 0 : -EBADF;
}

long sys_mq_open(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(1);
    uint32_t mode = (uint32_t)ARG_U64(2);
    uint64_t attr_addr = ARG_U64(3);
    /* Linux reads the attributes first, whatever the flags. */
    struct mq_attr attr, *ap = NULL;
    if (attr_addr) {
        int r = mm_copy_in(t->mm, attr_addr, &attr, sizeof(attr));
        if (r < 0)
            return r;
        ap = &attr;
    }
    char name[PATH_MAX];
    int r = copy_name(t, ARG_U64(0), name);
    if (r < 0)
        return r;
    if ((flags & O_ACCMODE) == O_ACCMODE)
        return -EINVAL;
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    bool privileged = creds_capable(&t->creds, CREDS_CAP_SYS_RESOURCE);
    struct file *f;
    r = mqueue_open(&ctx, name, flags, mode & 07777 & ~sc_umask(t), ap, privileged, &f);
    if (r < 0)
        return r;
    /* Linux's mqueue descriptors are always close-on-exec. */
    return sc_install_new(t, f, true);
}

long sys_mq_unlink(struct task *t, const struct syscall_args *args)
{
    char name[PATH_MAX];
    int r = copy_name(t, ARG_U64(0), name);
    if (r < 0)
        return r;
    struct vfs_walk_ctx ctx;
    sc_cred_ctx(t, &ctx);
    return mqueue_unlink(&ctx, name);
}

long sys_mq_timedsend(struct task *t, const struct syscall_args *args)
{
    uint64_t prio = ARG_U64(3);
    if (prio >= MQUEUE_PRIO_MAX)
        return -EINVAL;
    struct timespec deadline;
    const struct timespec *dl;
    struct file *f;
    long r = mq_io_args(t, ARG_INT(0), ARG_U64(4), &deadline, &dl, &f);
    if (r < 0)
        return r;
    r = mqueue_timedsend(t, f, ARG_U64(1), ARG_U64(2), (unsigned)prio, dl);
    file_put(f);
    return r;
}

long sys_mq_timedreceive(struct task *t, const struct syscall_args *args)
{
    struct timespec deadline;
    const struct timespec *dl;
    struct file *f;
    long r = mq_io_args(t, ARG_INT(0), ARG_U64(4), &deadline, &dl, &f);
    if (r < 0)
        return r;
    r = mqueue_timedreceive(t, f, ARG_U64(1), ARG_U64(2), ARG_U64(3), dl);
    file_put(f);
    return r;
}

long sys_mq_notify(struct task *t, const struct syscall_args *args)
{
    uint64_t ev_addr = ARG_U64(1);
    struct sigevent ev;
    if (ev_addr) {
        int r = mm_copy_in(t->mm, ev_addr, &ev, sizeof(ev));
        if (r < 0)
            return r;
        switch (ev.sigev_notify) {
        case SIGEV_NONE:
            break;
        case SIGEV_SIGNAL:
            if (ev.sigev_signo < 0 || ev.sigev_signo > KERNEL_NSIG)
                return -EINVAL;
            break;
        case SIGEV_THREAD: {
            /* glibc's: a netlink socket (fd in sigev_signo) gets a cookie. */
            char cookie[MQ_COOKIE_LEN];
            r = mm_copy_in(t->mm, (uint64_t)(uintptr_t)ev.sigev_value.sival_ptr, cookie,
                           sizeof(cookie));
            if (r < 0)
                return r;
            struct file *sock = sc_file(t, ev.sigev_signo);
            if (!sock)
                return -EBADF;
            /* No netlink sockets in the sandbox: Linux's answers for a
             * non-socket and for a socket of another family. */
            r = S_ISSOCK(sock->inode->mode) ? -EINVAL : -ENOTSOCK;
            file_put(sock);
            return r;
        }
        default:
            return -EINVAL;
        }
    }
    struct file *f = mq_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    int r = mqueue_notify(f, t->tg->tgid, ev_addr ? &ev : NULL);
    file_put(f);
    return r;
}

long sys_mq_getsetattr(struct task *t, const struct syscall_args *args)
{
    uint64_t new_addr = ARG_U64(1), old_addr = ARG_U64(2);
    int nonblock = -1;
    if (new_addr) {
        struct mq_attr na;
        int r = mm_copy_in(t->mm, new_addr, &na, sizeof(na));
        if (r < 0)
            return r;
        if (na.mq_flags & ~(long)O_NONBLOCK)
            return -EINVAL;
        nonblock = (na.mq_flags & O_NONBLOCK) != 0;
    }
    struct file *f = mq_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    struct mq_attr old;
    mqueue_getsetattr(f, nonblock, &old);
    file_put(f);
    return old_addr ? mm_copy_out(t->mm, old_addr, &old, sizeof(old)) : 0;
}
