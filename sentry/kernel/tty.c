/* Controlling terminals and terminal job control (tty.h). Linux's
 * drivers/tty/tty_jobctrl.c is the reference for every rule here. */
#include "sentry/kernel/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/creds.h"

#define SIG_IGN_V 1u

void tty_init(struct tty *tty, const struct tty_ops *ops, uint64_t rdev)
{
    tty->ops = ops;
    tty->rdev = rdev;
    tty->sid = tty->fg_pgid = 0;
}

/* ---- helpers (kernel.lock held) ------------------------------------------ */

/* Linux's signal->leader: setsid made the group a session leader. */
static bool is_leader(const struct thread_group *tg)
{
    return tg->sid == tg->tgid;
}

/* tg's controlling terminal becomes tty (or none), moving the reference. */
static void ctty_set_locked(struct thread_group *tg, struct tty *tty)
{
    struct tty *old = tg->ctty;
    if (old == tty)
        return;
    if (tty)
        tty->ops->get(tty);
    tg->ctty = tty;
    if (old)
        old->ops->put(old);
}

/* Whether o is its group's first live thread: walking the task list, each
 * live thread group once. */
static bool group_head(const struct task *o)
{
    return o == o->tg->tasks;
}

/* Every process of session sid loses its controlling terminal (Linux's
 * session_clear_tty). */
static void session_clear_locked(int sid)
{
    for (struct task *o = g_kernel->tasks; o; o = o->next)
        if (group_head(o) && o->tg->sid == sid)
            ctty_set_locked(o->tg, NULL);
}

/* sig to every live process of group pgid (none for pgid <= 0), as the
 * kernel sends it (SI_KERNEL). */
static void signal_pgrp_locked(int pgid, int sig)
{
    if (pgid <= 0)
        return;
    siginfo_t si = {0};
    si.si_signo = sig;
    si.si_code = SI_KERNEL;
    for (struct task *o = g_kernel->tasks; o; o = o->next)
        if (group_head(o) && o->tg->pgid == pgid && o->tg->state == TG_ALIVE)
            signal_send_group(o->tg, sig, &si);
}

/* tty becomes the controlling terminal of leader tg's session, with tg's
 * group in the foreground (Linux's __proc_set_tty). */
static void set_ctty_locked(struct tty *tty, struct thread_group *tg)
{
    tty->sid = tg->sid;
    tty->fg_pgid = tg->pgid;
    ctty_set_locked(tg, tty);
    tg->tty_old_pgrp = 0;
}

/* Session leader tg gives its terminal up (Linux's disassociate_ctty):
 * SIGHUP (and SIGCONT unless the leader is exiting) to the foreground
 * group, or to the group that was in the foreground when the terminal hung
 * up; the terminal and every process of the session forget each other. */
static void disassociate_locked(struct thread_group *tg, bool on_exit)
{
    struct tty *tty = tg->ctty;
    if (!tty) {
        if (on_exit && tg->tty_old_pgrp) {
            signal_pgrp_locked(tg->tty_old_pgrp, SIGHUP);
            signal_pgrp_locked(tg->tty_old_pgrp, SIGCONT);
        }
        tg->tty_old_pgrp = 0;
        return;
    }
    bool ours = tty->sid == tg->sid;
    int fg = ours ? tty->fg_pgid : 0;
    signal_pgrp_locked(fg, SIGHUP);
    if (!on_exit)
        signal_pgrp_locked(fg, SIGCONT);
    tg->tty_old_pgrp = 0;
    if (ours)
        tty->sid = tty->fg_pgid = 0;
    session_clear_locked(tg->sid);
}

/* ---- acquiring and losing a controlling terminal ------------------------ */

void tty_open_acquire(struct tty *tty, struct task *t, bool readable)
{
    if (!t || !readable)
        return; /* write-only opens never give a terminal (as Linux) */
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = t->tg;
    if (is_leader(tg) && !tg->ctty && !tty->sid)
        set_ctty_locked(tty, tg);
    pthread_mutex_unlock(&g_kernel->lock);
}

void tty_spawn_acquire(struct tty *tty, struct thread_group *tg)
{
    pthread_mutex_lock(&g_kernel->lock);
    if (is_leader(tg) && !tg->ctty && !tty->sid)
        set_ctty_locked(tty, tg);
    pthread_mutex_unlock(&g_kernel->lock);
}

void tty_fork_locked(struct thread_group *child, struct thread_group *parent)
{
    child->ctty = NULL;
    child->tty_old_pgrp = 0;
    ctty_set_locked(child, parent->ctty);
}

void tty_setsid_locked(struct thread_group *tg)
{
    ctty_set_locked(tg, NULL);
    tg->tty_old_pgrp = 0;
}

void tty_exit_locked(struct thread_group *tg)
{
    if (is_leader(tg))
        disassociate_locked(tg, true);
    ctty_set_locked(tg, NULL);
}

void tty_hangup(struct tty *tty)
{
    pthread_mutex_lock(&g_kernel->lock);
    int sid = tty->sid, fg = tty->fg_pgid;
    for (struct task *o = g_kernel->tasks; o && sid; o = o->next) {
        struct thread_group *tg = o->tg;
        if (!group_head(o) || tg->sid != sid)
            continue;
        if (tg->ctty == tty)
            ctty_set_locked(tg, NULL);
        if (!is_leader(tg))
            continue;
        siginfo_t si = {0};
        si.si_signo = SIGHUP;
        si.si_code = SI_KERNEL;
        signal_send_group(tg, SIGHUP, &si);
        si.si_signo = SIGCONT;
        signal_send_group(tg, SIGCONT, &si);
        tg->tty_old_pgrp = fg;
    }
    tty->sid = tty->fg_pgid = 0;
    pthread_mutex_unlock(&g_kernel->lock);
}

int tty_open_ctty(struct task *t, struct file *f, int flags)
{
    if (!t)
        return -ENXIO;
    pthread_mutex_lock(&g_kernel->lock);
    struct tty *tty = t->tg->ctty;
    if (tty)
        tty->ops->get(tty);
    pthread_mutex_unlock(&g_kernel->lock);
    if (!tty)
        return -ENXIO;
    int r = tty->ops->open(tty, f, flags | O_NOCTTY);
    tty->ops->put(tty);
    return r;
}

/* ---- job control --------------------------------------------------------- */

void tty_signal_fg(struct tty *tty, uint64_t sigs)
{
    if (!sigs)
        return;
    pthread_mutex_lock(&g_kernel->lock);
    for (int sig = 1; sig <= KERNEL_NSIG; sig++)
        if (sigs & SIGBIT(sig))
            signal_pgrp_locked(tty->fg_pgid, sig);
    pthread_mutex_unlock(&g_kernel->lock);
}

long tty_job_check(struct task *t, struct tty *tty, int sig, bool tostop)
{
    if (!t || (sig == SIGTTOU && !tostop))
        return 0;
    long r = 0;
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = t->tg;
    if (tg->ctty == tty && tty->fg_pgid && tg->pgid != tty->fg_pgid) {
        pthread_mutex_lock(&tg->siglock);
        bool ignored =
            tg->sighand->actions[sig - 1].handler == SIG_IGN_V || (t->sigmask & SIGBIT(sig));
        pthread_mutex_unlock(&tg->siglock);
        if (ignored) {
            r = sig == SIGTTIN ? -EIO : 0;
        } else {
            signal_pgrp_locked(tg->pgid, sig);
            r = -ERESTARTSYS;
        }
    }
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

/* The session of process group pg (or, as Linux falls back to for gdb, of
 * process pg); 0 when neither exists. */
static int session_of_pgrp_locked(int pg)
{
    for (struct task *o = g_kernel->tasks; o; o = o->next)
        if (group_head(o) && o->tg->pgid == pg)
            return o->tg->sid;
    struct thread_group *tg = kernel_find_tg_locked(pg);
    return tg && tg->state != TG_DEAD ? tg->sid : 0;
}

static long tiocspgrp(struct tty *tty, struct task *t, struct mm *mm, uint64_t arg)
{
    long r = tty_job_check(t, tty, SIGTTOU, true);
    if (r == -EIO)
        return -ENOTTY;
    if (r < 0)
        return r;
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = t->tg;
    bool mine = tg->ctty == tty && tty->sid == tg->sid;
    pthread_mutex_unlock(&g_kernel->lock);
    if (!mine)
        return -ENOTTY;
    int pg;
    r = mm_copy_in(mm, arg, &pg, sizeof(pg));
    if (r < 0)
        return r;
    if (pg < 0)
        return -EINVAL;
    pthread_mutex_lock(&g_kernel->lock);
    int sid = session_of_pgrp_locked(pg);
    if (!sid)
        r = -ESRCH;
    else if (sid != tg->sid)
        r = -EPERM;
    else if (tty->sid == tg->sid)
        tty->fg_pgid = pg;
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

static long tiocsctty(struct tty *tty, struct task *t, uint64_t arg, bool readable)
{
    bool admin = creds_capable(&t->creds, CREDS_CAP_SYS_ADMIN);
    long r = 0;
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = t->tg;
    if (is_leader(tg) && tty->sid == tg->sid)
        r = 0; /* already ours */
    else if (!is_leader(tg) || tg->ctty)
        r = -EPERM;
    else if (tty->sid && !((int)arg == 1 && admin))
        r = -EPERM; /* another session's, and not stolen */
    else if (!readable && !admin)
        r = -EPERM;
    else {
        if (tty->sid)
            session_clear_locked(tty->sid);
        set_ctty_locked(tty, tg);
    }
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

long tty_jobctrl_ioctl(struct tty *tty, struct task *t, struct mm *mm, unsigned cmd, uint64_t arg,
                       bool master, bool readable)
{
    switch (cmd) {
    case TIOCNOTTY:
    case TIOCSCTTY:
    case TIOCGPGRP:
    case TIOCSPGRP:
    case TIOCGSID:
        break;
    default:
        return -TTY_ENOIOCTLCMD;
    }
    if (!t)
        return -ENOTTY;
    if (cmd == TIOCSCTTY)
        return tiocsctty(tty, t, arg, readable);
    if (cmd == TIOCSPGRP)
        return tiocspgrp(tty, t, mm, arg);
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = t->tg;
    /* A pty master is never a controlling terminal, but it answers the
     * queries for its replica. */
    bool mine = tg->ctty == tty;
    int sid = tty->sid, fg = tty->fg_pgid;
    long r = 0;
    if (cmd == TIOCNOTTY) {
        if (master || !mine) {
            r = -ENOTTY;
        } else {
            if (is_leader(tg))
                disassociate_locked(tg, false);
            ctty_set_locked(tg, NULL);
        }
    }
    pthread_mutex_unlock(&g_kernel->lock);
    switch (cmd) {
    case TIOCGPGRP:
        if (!master && !mine)
            return -ENOTTY;
        return mm_copy_out(mm, arg, &fg, sizeof(fg));
    case TIOCGSID:
        if ((!master && !mine) || !sid)
            return -ENOTTY;
        return mm_copy_out(mm, arg, &sid, sizeof(sid));
    default:
        return r;
    }
}

void tty_proc_locked(struct thread_group *tg, unsigned *tty_nr, int *tpgid)
{
    struct tty *tty = tg->ctty;
    if (!tty) {
        *tty_nr = 0;
        *tpgid = -1;
        return;
    }
    unsigned ma = major(tty->rdev), mi = minor(tty->rdev);
    *tty_nr = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12); /* new_encode_dev */
    *tpgid = tty->fg_pgid;
}
