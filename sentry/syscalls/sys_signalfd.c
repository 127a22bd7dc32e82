/* signalfd, signalfd4, and the signalfd file (an anonymous-inode file,
 * sentry/fsimpl/anon).
 *
 * A signalfd holds only a signal mask. Reading it dequeues pending signals
 * in the mask of the *reading* task (its own queue first, then its group's)
 * as struct signalfd_siginfo records; polling it reports POLLIN when the
 * polling task has such a signal pending. As in Linux, the signals are
 * normally blocked by the application so that they stay pending for the
 * signalfd.
 *
 * Waiting: a blocking read or a poll waits on the group's sigqueue_wq,
 * which signal sending wakes whenever it queues a signal (kernel.h).
 *
 * Locks: thread_group.siglock around the queues (never with another file
 * lock); the signalfd's mask is read and written atomically. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/syscalls/internal.h"

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define SIGNALFD_NAME "[signalfd]"

struct signalfd_ctx {
    _Atomic uint64_t mask;
};

static const struct file_ops g_signalfd_ops;

/* ---- dequeueing ------------------------------------------------------------ */

/* Linux's siginfo_layout(), for which fields a record carries. */
enum layout { L_KILL, L_TIMER, L_POLL, L_FAULT, L_CHLD, L_RT, L_SYS };

static enum layout layout_of(int sig, int code)
{
    if (code > SI_USER && code < SI_KERNEL) {
        switch (sig) {
        case SIGILL:
        case SIGFPE:
        case SIGSEGV:
        case SIGBUS:
        case SIGTRAP:
            return L_FAULT;
        case SIGCHLD:
            return L_CHLD;
        case SIGSYS:
            return L_SYS;
        default:
            return code <= POLL_HUP ? L_POLL : L_KILL;
        }
    }
    if (code == SI_TIMER)
        return L_TIMER;
    if (code == SI_SIGIO)
        return L_POLL;
    return code < 0 ? L_RT : L_KILL;
}

static void to_record(const siginfo_t *si, struct signalfd_siginfo *out)
{
    memset(out, 0, sizeof(*out));
    out->ssi_signo = (uint32_t)si->si_signo;
    out->ssi_errno = si->si_errno;
    out->ssi_code = si->si_code;
    switch (layout_of(si->si_signo, si->si_code)) {
    case L_KILL:
        out->ssi_pid = (uint32_t)si->si_pid;
        out->ssi_uid = si->si_uid;
        break;
    case L_TIMER:
        out->ssi_tid = (uint32_t)si->si_timerid;
        out->ssi_overrun = (uint32_t)si->si_overrun;
        out->ssi_ptr = (uint64_t)si->si_ptr;
        out->ssi_int = si->si_int;
        break;
    case L_POLL:
        out->ssi_band = (uint32_t)si->si_band;
        out->ssi_fd = si->si_fd;
        break;
    case L_FAULT:
        out->ssi_addr = (uint64_t)si->si_addr;
        if (si->si_signo == SIGBUS &&
            (si->si_code == BUS_MCEERR_AR || si->si_code == BUS_MCEERR_AO))
            out->ssi_addr_lsb = (uint16_t)si->si_addr_lsb;
        break;
    case L_CHLD:
        out->ssi_pid = (uint32_t)si->si_pid;
        out->ssi_uid = si->si_uid;
        out->ssi_status = si->si_status;
        out->ssi_utime = (uint64_t)si->si_utime;
        out->ssi_stime = (uint64_t)si->si_stime;
        break;
    case L_RT:
        out->ssi_pid = (uint32_t)si->si_pid;
        out->ssi_uid = si->si_uid;
        out->ssi_ptr = (uint64_t)si->si_ptr;
        out->ssi_int = si->si_int;
        break;
    case L_SYS:
        out->ssi_call_addr = (uint64_t)si->si_call_addr;
        out->ssi_syscall = si->si_syscall;
        out->ssi_arch = si->si_arch;
        break;
    }
}

/* ---- the file -------------------------------------------------------------- */

/* Waits until a signal in mask is pending for t (then takes it), or another
 * unblocked signal interrupts: returns the signal, or -ERESTARTSYS. */
static int wait_dequeue(struct task *t, uint64_t mask, siginfo_t *info)
{
    struct thread_group *tg = t->tg;
    struct waiter w = {.t = t, .events = POLLIN};
    waitq_add(&tg->sigqueue_wq, &w);
    int sig;
    for (;;) {
        pthread_mutex_lock(&tg->siglock);
        sig = signal_dequeue(t, mask, info);
        pthread_mutex_unlock(&tg->siglock);
        if (sig)
            break;
        if (task_block(t, NULL) == -EINTR) {
            /* The signal that interrupts may be one of ours (unblocked). */
            pthread_mutex_lock(&tg->siglock);
            sig = signal_dequeue(t, mask, info);
            pthread_mutex_unlock(&tg->siglock);
            if (!sig)
                sig = -ERESTARTSYS;
            break;
        }
    }
    waitq_remove(&tg->sigqueue_wq, &w);
    return sig;
}

static ssize_t signalfd_read(struct file *f, void *buf, size_t len, int64_t off)
{
    struct signalfd_ctx *ctx = f->priv;
    struct task *t = task_current();
    size_t count = len / sizeof(struct signalfd_siginfo);
    if (!count)
        return -EINVAL;
    if (!t)
        return -EAGAIN;
    uint64_t mask = __atomic_load_n(&ctx->mask, __ATOMIC_RELAXED);
    struct signalfd_siginfo *out = buf;
    size_t n = 0;
    siginfo_t info;
    /* The first record may wait; the others are only what is pending. */
    pthread_mutex_lock(&t->tg->siglock);
    while (n < count && signal_dequeue(t, mask, &info))
        to_record(&info, &out[n++]);
    pthread_mutex_unlock(&t->tg->siglock);
    if (n)
        return (ssize_t)(n * sizeof(*out));
    if (f->flags & O_NONBLOCK)
        return -EAGAIN;
    int sig = wait_dequeue(t, mask, &info);
    if (sig < 0)
        return sig;
    to_record(&info, &out[n++]);
    pthread_mutex_lock(&t->tg->siglock);
    while (n < count && signal_dequeue(t, mask, &info))
        to_record(&info, &out[n++]);
    pthread_mutex_unlock(&t->tg->siglock);
    return (ssize_t)(n * sizeof(*out));
}

static uint32_t signalfd_poll(struct file *f, uint32_t events, struct vfs_poll_table *pt)
{
    struct signalfd_ctx *ctx = f->priv;
    struct task *t = task_current();
    if (!t)
        return 0;
    struct thread_group *tg = t->tg;
    vfs_poll_wait(pt, &tg->sigqueue_wq);
    uint64_t mask = __atomic_load_n(&ctx->mask, __ATOMIC_RELAXED);
    pthread_mutex_lock(&tg->siglock);
    bool ready = ((t->pending.set | tg->shared_pending.set) & mask) != 0;
    pthread_mutex_unlock(&tg->siglock);
    return ready ? POLLIN | POLLRDNORM : 0;
}

static void signalfd_release(struct file *f)
{
    free(f->priv);
    f->priv = NULL;
}

static const struct file_ops g_signalfd_ops = {
    .read = signalfd_read,
    .poll = signalfd_poll,
    .release = signalfd_release,
    .stream = true,
};

/* ---- the system calls ------------------------------------------------------- */

static long do_signalfd4(struct task *t, int fd, uint64_t mask_addr, uint64_t size, int flags)
{
    if (size != sizeof(uint64_t))
        return -EINVAL;
    uint64_t mask;
    int r = mm_copy_in(t->mm, mask_addr, &mask, sizeof(mask));
    if (r < 0)
        return r;
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
        return -EINVAL;
    mask &= ~UNBLOCKABLE;
    if (fd != -1) {
        struct file *f = sc_file(t, fd);
        if (!f)
            return -EBADF;
        if (f->ops != &g_signalfd_ops) {
            file_put(f);
            return -EINVAL;
        }
        struct signalfd_ctx *ctx = f->priv;
        __atomic_store_n(&ctx->mask, mask, __ATOMIC_RELAXED);
        file_put(f);
        /* A wider mask may make pending signals readable. */
        waitq_wake(&t->tg->sigqueue_wq, POLLIN, 0);
        return fd;
    }
    struct signalfd_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->mask = mask;
    struct file *f;
    r = anon_file_new(SIGNALFD_NAME, &g_signalfd_ops, ctx, O_RDWR | (flags & SFD_NONBLOCK), &f);
    if (r < 0) {
        free(ctx);
        return r;
    }
    return sc_install_new(t, f, flags & SFD_CLOEXEC);
}

long sys_signalfd(struct task *t, const struct syscall_args *args)
{
    return do_signalfd4(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), 0);
}

long sys_signalfd4(struct task *t, const struct syscall_args *args)
{
    return do_signalfd4(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_INT(3));
}
