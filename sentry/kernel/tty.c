/* Terminal job control helpers (tty.h). */
#include "sentry/kernel/tty.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>

struct tty_ids tty_ids_of(struct task *t)
{
    struct tty_ids i = {0};
    if (!t)
        return i;
    pthread_mutex_lock(&g_kernel->lock);
    i.tgid = t->tg->tgid;
    i.pgid = t->tg->pgid;
    i.sid = t->tg->sid;
    pthread_mutex_unlock(&g_kernel->lock);
    return i;
}

void tty_signal_pgrp(int pgid, uint64_t sigs)
{
    if (pgid <= 0 || !sigs)
        return;
    pthread_mutex_lock(&g_kernel->lock);
    for (int sig = 1; sig <= KERNEL_NSIG; sig++) {
        if (!(sigs & SIGBIT(sig)))
            continue;
        siginfo_t si = {0};
        si.si_signo = sig;
        si.si_code = SI_KERNEL;
        for (struct task *o = g_kernel->tasks; o; o = o->next)
            if (o == o->tg->tasks && o->tg->pgid == pgid && o->tg->state == TG_ALIVE)
                signal_send_group(o->tg, sig, &si);
    }
    pthread_mutex_unlock(&g_kernel->lock);
}

bool tty_pgrp_in_session(int pgid, int sid)
{
    bool found = false;
    pthread_mutex_lock(&g_kernel->lock);
    for (struct task *o = g_kernel->tasks; o && !found; o = o->next)
        if (o->tg->pgid == pgid && o->tg->sid == sid && o->tg->state == TG_ALIVE)
            found = true;
    pthread_mutex_unlock(&g_kernel->lock);
    return found;
}

/* Whether sig is ignored or blocked by t. */
static bool sig_ignored(struct task *t, int sig)
{
    pthread_mutex_lock(&t->tg->siglock);
    bool r = t->tg->sighand->actions[sig - 1].handler == 1 || (t->sigmask & SIGBIT(sig));
    pthread_mutex_unlock(&t->tg->siglock);
    return r;
}

long tty_job_check(struct task *t, int sid, int fg, int sig, bool tostop)
{
    if (!t)
        return 0;
    struct tty_ids me = tty_ids_of(t);
    if (!sid || me.sid != sid || !fg || me.pgid == fg)
        return 0;
    if (sig == SIGTTOU && !tostop)
        return 0;
    if (sig_ignored(t, sig))
        return sig == SIGTTIN ? -EIO : 0;
    tty_signal_pgrp(me.pgid, SIGBIT(sig));
    return -ERESTARTSYS;
}
