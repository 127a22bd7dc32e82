/* poll, ppoll, select, pselect6: waiting for readiness of several files.
 *
 * One core (poll_files) serves all four: it asks each file's poll op for
 * its readiness, registering a waiter on each wait queue the file names
 * (and collecting the host fds of host files) on the first pass, then
 * blocks the task in task_block_host until a wake, a host fd, the deadline
 * or a signal, and asks again. Files without a poll op are always ready
 * (VFS_DEFAULT_POLLMASK).
 *
 * Interruption: -ERESTARTNOHAND (restarted only when no handler ran, else
 * EINTR), as Linux. poll with a timeout returns -ERESTART_RESTARTBLOCK
 * instead, so that restart_syscall goes on with the same end time; select,
 * pselect6 and ppoll write the time left back, so they restart with it.
 *
 * ppoll and pselect6 install their signal mask for the call; when a signal
 * interrupts them the mask stays until the signal is delivered
 * (task.restore_sigmask, restored by signal_deliver), otherwise it is
 * restored before returning. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>

#include "sentry/syscalls/internal.h"

#define NSEC_PER_SEC 1000000000L
/* Relative timeouts longer than this are waited as "forever" (the remaining
 * time written back is still computed from the real end). */
#define FOREVER_SEC (100L * 365 * 24 * 3600)
/* Host fds one wait can watch (task_block_host's limit). */
#define MAX_HOST_FDS 64

/* select's event sets (Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
#define SEL_IN (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SEL_EX (POLLPRI)
/* What a host poll(2) can be asked for. */
#define HOST_EVENTS                                                                                \
    (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)

/* One polled file. */
struct poll_entry {
    struct file *f;   /* reference; NULL: not polled (revents kept as set) */
    uint32_t events;  /* what counts as ready */
    uint32_t revents; /* out: ready events (events & the file's mask) */
};

/* A registration on a wait queue; chunks never move (waiters are linked). */
struct poll_reg {
    struct waiter w;
    struct waitq *q;
};

#define REGS_PER_CHUNK 32
struct reg_chunk {
    struct reg_chunk *next;
    int n;
    struct poll_reg r[REGS_PER_CHUNK];
};

struct poller {
    struct vfs_poll_table pt; /* first member: the hooks get &pl->pt */
    struct task *t;
    uint32_t cur_events; /* events of the entry being registered */
    struct reg_chunk *chunks;
    struct pollfd host[MAX_HOST_FDS];
    int nhost;
    int error; /* -ENOMEM from a registration */
};

static void poller_queue(struct vfs_poll_table *pt, struct waitq *q)
{
    struct poller *pl = (struct poller *)pt;
    struct reg_chunk *c = pl->chunks;
    if (!c || c->n == REGS_PER_CHUNK) {
        c = calloc(1, sizeof(*c));
        if (!c) {
            pl->error = -ENOMEM;
            return;
        }
        c->next = pl->chunks;
        pl->chunks = c;
    }
    struct poll_reg *r = &c->r[c->n++];
    r->w.t = pl->t;
    r->w.events = pl->cur_events;
    r->q = q;
    waitq_add(q, &r->w);
}

static void poller_host_fd(struct vfs_poll_table *pt, int fd)
{
    struct poller *pl = (struct poller *)pt;
    short ev = (short)(pl->cur_events & HOST_EVENTS);
    for (int i = 0; i < pl->nhost; i++)
        if (pl->host[i].fd == fd) {
            pl->host[i].events |= ev;
            return;
        }
    if (pl->nhost == MAX_HOST_FDS)
        return; /* beyond what one wait watches: noticed on other wakes only */
    pl->host[pl->nhost++] = (struct pollfd){.fd = fd, .events = ev};
}

static void poller_release(struct poller *pl)
{
    struct reg_chunk *c = pl->chunks;
    while (c) {
        for (int i = 0; i < c->n; i++)
            waitq_remove(c->r[i].q, &c->r[i].w);
        struct reg_chunk *next = c->next;
        free(c);
        c = next;
    }
    pl->chunks = NULL;
}

/* Waits until at least one entry is ready, the deadline passes (NULL: no
 * deadline; no_wait: look once) or a signal arrives. Returns the number of
 * ready entries (entries without a file count when their revents is
 * already set: poll's POLLNVAL), -EINTR or -ENOMEM. */
static int poll_files(struct task *t, struct poll_entry *e, size_t n,
                      const struct timespec *deadline, bool no_wait)
{
    struct poller pl = {.pt = {.queue = poller_queue, .host_fd = poller_host_fd}, .t = t};
    bool reg = !no_wait;
    bool timed_out = no_wait;
    int count;
    for (;;) {
        count = 0;
        for (size_t i = 0; i < n; i++) {
            if (!e[i].f) {
                count += e[i].revents != 0;
                continue;
            }
            pl.cur_events = e[i].events;
            uint32_t m = vfs_file_poll(e[i].f, e[i].events, reg ? &pl.pt : NULL);
            e[i].revents = m & e[i].events;
            if (e[i].revents) {
                count++;
                reg = false; /* we will not sleep: stop registering */
            }
        }
        reg = false;
        if (count || timed_out)
            break;
        if (pl.error) {
            count = pl.error;
            break;
        }
        int r = task_block_host(t, pl.host, pl.nhost, deadline);
        if (r == -EINTR) {
            count = -EINTR;
            break;
        }
        if (r == -ETIMEDOUT)
            timed_out = true; /* one last look, as Linux */
        else if (r < 0) {
            count = r;
            break;
        }
    }
    poller_release(&pl);
    return count;
}

static void put_entries(struct poll_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].f)
            file_put(e[i].f);
    free(e);
}

/* ---- timeouts ----------------------------------------------------------- */

/* A timeout: none (wait forever), zero (look once), or an end time. */
struct poll_timeout {
    bool given;          /* a timeout was passed (and is written back if non-zero) */
    bool zero;           /* {0, 0}: no wait, nothing written back */
    bool forever;        /* so long that the wait has no deadline */
    struct timespec end; /* CLOCK_MONOTONIC */
};

static int timeout_from(struct poll_timeout *to, int64_t sec, int64_t nsec)
{
    if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC)
        return -EINVAL;
    to->given = true;
    if (sec == 0 && nsec == 0) {
        to->zero = true;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &to->end);
    if (sec > FOREVER_SEC) {
        to->forever = true;
        to->end.tv_sec += FOREVER_SEC;
        return 0;
    }
    to->end.tv_sec += sec;
    to->end.tv_nsec += nsec;
    if (to->end.tv_nsec >= NSEC_PER_SEC) {
        to->end.tv_sec++;
        to->end.tv_nsec -= NSEC_PER_SEC;
    }
    return 0;
}

/* A struct timespec timeout at addr (ppoll, pselect6); 0: none. */
static int timeout_from_user(struct task *t, uint64_t addr, struct poll_timeout *to)
{
    if (!addr)
        return 0;
    struct timespec ts;
    int r = mm_copy_in(t->mm, addr, &ts, sizeof(ts));
    if (r < 0)
        return r;
    return timeout_from(to, ts.tv_sec, ts.tv_nsec);
}

static const struct timespec *timeout_deadline(const struct poll_timeout *to)
{
    return to->given && !to->zero && !to->forever ? &to->end : NULL;
}

/* Time left until the end (zero if past). */
static struct timespec timeout_left(const struct poll_timeout *to)
{
    struct timespec now, left = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t s = to->end.tv_sec - now.tv_sec;
    int64_t ns = to->end.tv_nsec - now.tv_nsec;
    if (ns < 0) {
        s--;
        ns += NSEC_PER_SEC;
    }
    if (s >= 0) {
        left.tv_sec = s;
        left.tv_nsec = ns;
    }
    return left;
}

enum time_kind { TIME_TIMEVAL, TIME_TIMESPEC };

/* Linux's poll_select_finish: writes the time left back (select, pselect6,
 * ppoll); if that faults, the call cannot be restarted: EINTR. */
static long timeout_finish(struct task *t, const struct poll_timeout *to, uint64_t addr,
                           enum time_kind kind, long ret)
{
    if (!addr || !to->given || to->zero)
        return ret;
    struct timespec left = timeout_left(to);
    int r;
    if (kind == TIME_TIMEVAL) {
        struct timeval tv = {.tv_sec = left.tv_sec, .tv_usec = left.tv_nsec / 1000};
        r = mm_copy_out(t->mm, addr, &tv, sizeof(tv));
    } else {
        r = mm_copy_out(t->mm, addr, &left, sizeof(left));
    }
    if (r < 0 && ret == -ERESTARTNOHAND)
        ret = -EINTR;
    return ret;
}

/* ---- signal masks (ppoll, pselect6) ------------------------------------- */

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

int sc_sigmask_begin(struct task *t, uint64_t addr, uint64_t size, bool *set)
{
    *set = false;
    if (!addr)
        return 0;
    if (size != sizeof(uint64_t))
        return -EINVAL;
    uint64_t mask;
    int r = mm_copy_in(t->mm, addr, &mask, sizeof(mask));
    if (r < 0)
        return r;
    pthread_mutex_lock(&t->tg->siglock);
    t->saved_sigmask = t->sigmask;
    t->sigmask = mask & ~UNBLOCKABLE;
    pthread_mutex_unlock(&t->tg->siglock);
    *set = true;
    return 0;
}

void sc_sigmask_end(struct task *t, bool set, bool interrupted)
{
    if (!set)
        return;
    pthread_mutex_lock(&t->tg->siglock);
    if (interrupted)
        t->restore_sigmask = true;
    else
        t->sigmask = t->saved_sigmask;
    pthread_mutex_unlock(&t->tg->siglock);
}

/* ---- poll, ppoll -------------------------------------------------------- */

static long do_poll(struct task *t, uint64_t ufds, uint64_t nfds, const struct poll_timeout *to)
{
    if (nfds > task_rlimit_cur(t, RLIMIT_NOFILE))
        return -EINVAL;
    struct pollfd *pfd = NULL;
    struct poll_entry *e = NULL;
    if (nfds) {
        pfd = malloc(nfds * sizeof(*pfd));
        e = calloc(nfds, sizeof(*e));
        if (!pfd || !e) {
            free(pfd);
            free(e);
            return -ENOMEM;
        }
        int r = mm_copy_in(t->mm, ufds, pfd, nfds * sizeof(*pfd));
        if (r < 0) {
            free(pfd);
            free(e);
            return r;
        }
    }
    for (size_t i = 0; i < nfds; i++) {
        if (pfd[i].fd < 0)
            continue; /* ignored: revents 0 */
        e[i].f = sc_file(t, pfd[i].fd);
        if (!e[i].f) {
            e[i].revents = POLLNVAL;
            continue;
        }
        e[i].events = (uint16_t)pfd[i].events | POLLERR | POLLHUP;
    }
    long ret = poll_files(t, e, nfds, timeout_deadline(to), to->zero);
    if (ret == -EINTR)
        ret = -ERESTARTNOHAND;
    for (size_t i = 0; i < nfds; i++)
        pfd[i].revents = (short)e[i].revents;
    put_entries(e, nfds);
    /* Linux writes revents back even when interrupted. */
    if (nfds) {
        int r = mm_copy_out(t->mm, ufds, pfd, nfds * sizeof(*pfd));
        if (r < 0)
            ret = r;
    }
    free(pfd);
    return ret;
}

/* An interrupted poll with a timeout: restart_syscall resumes it with the
 * same end time (Linux's do_restart_poll). */
static long poll_restartable(struct task *t, uint64_t ufds, uint64_t nfds,
                             const struct poll_timeout *to);

static long poll_restart(struct task *t)
{
    /* No handler ran (else there is no restart), so the argument registers
     * still hold poll's ufds and nfds. */
    struct poll_timeout to = {.given = true, .end = t->restart_deadline};
    return poll_restartable(t, t->regs.gp.rdi, t->regs.gp.rsi, &to);
}

static long poll_restartable(struct task *t, uint64_t ufds, uint64_t nfds,
                             const struct poll_timeout *to)
{
    long ret = do_poll(t, ufds, nfds, to);
    if (ret == -ERESTARTNOHAND && timeout_deadline(to)) {
        t->restart_fn = poll_restart;
        t->restart_deadline = to->end;
        t->restart_clock = CLOCK_MONOTONIC;
        ret = -ERESTART_RESTARTBLOCK;
    }
    return ret;
}

long sys_poll(struct task *t, const struct syscall_args *args)
{
    int ms = ARG_INT(2);
    struct poll_timeout to = {0};
    if (ms >= 0)
        timeout_from(&to, ms / 1000, (int64_t)(ms % 1000) * 1000000);
    return poll_restartable(t, ARG_U64(0), ARG_U64(1), &to);
}

long sys_ppoll(struct task *t, const struct syscall_args *args)
{
    uint64_t tsp = ARG_U64(2);
    struct poll_timeout to = {0};
    int r = timeout_from_user(t, tsp, &to);
    if (r < 0)
        return r;
    bool masked;
    r = sc_sigmask_begin(t, ARG_U64(3), ARG_U64(4), &masked);
    if (r < 0)
        return r;
    long ret = do_poll(t, ARG_U64(0), ARG_U64(1), &to);
    sc_sigmask_end(t, masked, ret == -ERESTARTNOHAND);
    return timeout_finish(t, &to, tsp, TIME_TIMESPEC, ret);
}

/* ---- select, pselect6 --------------------------------------------------- */

#define BITS_PER_WORD 64

static bool bit_test(const uint64_t *set, int fd)
{
    return set && (set[fd / BITS_PER_WORD] >> (fd % BITS_PER_WORD)) & 1;
}

static void bit_set(uint64_t *set, int fd)
{
    set[fd / BITS_PER_WORD] |= 1ull << (fd % BITS_PER_WORD);
}

/* Linux's core_sys_select. */
static long do_select(struct task *t, int n, uint64_t inp, uint64_t outp, uint64_t exp,
                      const struct poll_timeout *to)
{
    if (n < 0)
        return -EINVAL;
    /* Bits beyond the fd table's size are ignored (Linux: max_fds, at
     * least one word). */
    pthread_mutex_lock(&t->fdt->lock);
    int max_fds = t->fdt->size < BITS_PER_WORD ? BITS_PER_WORD : t->fdt->size;
    pthread_mutex_unlock(&t->fdt->lock);
    if (n > max_fds)
        n = max_fds;
    size_t words = ((size_t)n + BITS_PER_WORD - 1) / BITS_PER_WORD;
    size_t bytes = words * sizeof(uint64_t);
    uint64_t addr[3] = {inp, outp, exp};
    /* in[3] are the requested sets (NULL if not passed), res[3] the results. */
    uint64_t *buf = calloc(words ? 6 * words : 1, sizeof(uint64_t));
    if (!buf)
        return -ENOMEM;
    uint64_t *in[3], *res[3];
    for (int k = 0; k < 3; k++) {
        in[k] = addr[k] ? buf + k * words : NULL;
        res[k] = buf + (3 + k) * words;
        if (addr[k] && bytes) {
            int r = mm_copy_in(t->mm, addr[k], in[k], bytes);
            if (r < 0) {
                free(buf);
                return r;
            }
        }
    }
    /* One entry per fd with a bit set. */
    size_t cnt = 0;
    for (int fd = 0; fd < n; fd++)
        cnt += bit_test(in[0], fd) || bit_test(in[1], fd) || bit_test(in[2], fd);
    struct poll_entry *e = calloc(cnt ? cnt : 1, sizeof(*e));
    int *fds = calloc(cnt ? cnt : 1, sizeof(int));
    long ret = 0;
    if (!e || !fds) {
        ret = -ENOMEM;
        goto out;
    }
    size_t i = 0;
    for (int fd = 0; fd < n && i < cnt; fd++) {
        uint32_t ev = (bit_test(in[0], fd) ? SEL_IN : 0) | (bit_test(in[1], fd) ? SEL_OUT : 0) |
                      (bit_test(in[2], fd) ? SEL_EX : 0);
        if (!ev)
            continue;
        e[i].f = sc_file(t, fd);
        if (!e[i].f) {
            ret = -EBADF;
            goto out;
        }
        e[i].events = ev;
        fds[i++] = fd;
    }
    ret = poll_files(t, e, cnt, timeout_deadline(to), to->zero);
    if (ret < 0) {
        if (ret == -EINTR)
            ret = -ERESTARTNOHAND;
        goto out;
    }
    ret = 0;
    for (i = 0; i < cnt; i++) {
        uint32_t m = e[i].revents;
        if ((m & SEL_IN) && bit_test(in[0], fds[i])) {
            bit_set(res[0], fds[i]);
            ret++;
        }
        if ((m & SEL_OUT) && bit_test(in[1], fds[i])) {
            bit_set(res[1], fds[i]);
            ret++;
        }
        if ((m & SEL_EX) && bit_test(in[2], fds[i])) {
            bit_set(res[2], fds[i]);
            ret++;
        }
    }
    for (int k = 0; k < 3; k++) {
        if (!addr[k] || !bytes)
            continue;
        int r = mm_copy_out(t->mm, addr[k], res[k], bytes);
        if (r < 0) {
            ret = r;
            break;
        }
    }
out:
    if (e)
        put_entries(e, cnt);
    free(fds);
    free(buf);
    return ret;
}

long sys_select(struct task *t, const struct syscall_args *args)
{
    uint64_t tvp = ARG_U64(4);
    struct poll_timeout to = {0};
    if (tvp) {
        struct timeval tv;
        int r = mm_copy_in(t->mm, tvp, &tv, sizeof(tv));
        if (r < 0)
            return r;
        /* Linux folds whole seconds of tv_usec into tv_sec. */
        r = timeout_from(&to, tv.tv_sec + tv.tv_usec / 1000000,
                         (int64_t)(tv.tv_usec % 1000000) * 1000);
        if (r < 0)
            return r;
    }
    long ret = do_select(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_U64(3), &to);
    return timeout_finish(t, &to, tvp, TIME_TIMEVAL, ret);
}

long sys_pselect6(struct task *t, const struct syscall_args *args)
{
    uint64_t tsp = ARG_U64(4);
    /* The sixth argument points at {const sigset_t *ss; size_t ss_len;}. */
    uint64_t pack[2] = {0, 0};
    if (ARG_U64(5)) {
        int r = mm_copy_in(t->mm, ARG_U64(5), pack, sizeof(pack));
        if (r < 0)
            return r;
    }
    struct poll_timeout to = {0};
    int r = timeout_from_user(t, tsp, &to);
    if (r < 0)
        return r;
    bool masked;
    r = sc_sigmask_begin(t, pack[0], pack[1], &masked);
    if (r < 0)
        return r;
    long ret = do_select(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_U64(3), &to);
    sc_sigmask_end(t, masked, ret == -ERESTARTNOHAND);
    return timeout_finish(t, &to, tsp, TIME_TIMESPEC, ret);
}
