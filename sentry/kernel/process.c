/* Processes: clone, zombies and reaping, reparenting, wait, vfork, process
 * groups and sessions, kill.
 * Lock order: kernel.lock -> tg->siglock. */
#include "sentry/kernel/process.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/log.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/timer.h"
#include "sentry/kernel/tty.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define SIG_IGN_V 1ull

/* ---- the process tree (kernel.lock held) ---------------------------------- */

static void child_link(struct thread_group *parent, struct thread_group *c)
{
    c->parent = parent;
    c->sibling = parent->children;
    parent->children = c;
}

static void child_unlink(struct thread_group *c)
{
    struct thread_group *p = c->parent;
    if (!p) {
        for (struct thread_group **pp = &g_kernel->detached; *pp; pp = &(*pp)->sibling)
            if (*pp == c) {
                *pp = c->sibling;
                break;
            }
        c->sibling = NULL;
        return;
    }
    for (struct thread_group **pp = &p->children; *pp; pp = &(*pp)->sibling)
        if (*pp == c) {
            *pp = c->sibling;
            break;
        }
    c->sibling = NULL;
}

/* Where orphans go: the nearest living subreaper ancestor, else init. */
static struct thread_group *reaper_for(struct thread_group *tg)
{
    for (struct thread_group *a = tg->parent; a; a = a->parent)
        if (a->subreaper && a->state == TG_ALIVE && a->nr_threads > 0)
            return a;
    struct thread_group *init = g_kernel->init;
    return init && init != tg && init->state == TG_ALIVE ? init : NULL;
}

static void fill_exit_info(struct thread_group *tg, int *code, int *status)
{
    int st = tg->exit_status;
    if (WIFEXITED(st)) {
        *code = CLD_EXITED;
        *status = WEXITSTATUS(st);
    } else {
        *code = (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
        *status = st & 0x7f;
    }
}

static void reap_locked(struct thread_group *c)
{
    child_unlink(c);
    c->state = TG_DEAD;
    if (c->leader)
        task_free(c->leader);
    c->leader = NULL;
    tg_put_locked(c);
}

/* Tells the parent about a dead child: SIGCHLD (or exit_signal), or an
 * automatic reap when the parent does not want zombies. Returns true if
 * the child was reaped. (kernel.lock held) */
static bool notify_parent_exit(struct thread_group *c)
{
    struct thread_group *p = c->parent;
    if (!p)
        return false;
    bool autoreap = false;
    pthread_mutex_lock(&p->siglock);
    struct ksigaction *a = &p->sighand->actions[SIGCHLD - 1];
    if (c->exit_signal == SIGCHLD && (a->handler == SIG_IGN_V || (a->flags & SA_NOCLDWAIT)))
        autoreap = true;
    pthread_mutex_unlock(&p->siglock);
    if (c->exit_signal > 0 && !(autoreap && c->exit_signal == SIGCHLD)) {
        siginfo_t si = {0};
        si.si_signo = c->exit_signal;
        fill_exit_info(c, &si.si_code, &si.si_status);
        si.si_pid = c->tgid;
        si.si_uid = c->leader ? c->leader->creds.ruid : 0;
        signal_send_group(p, c->exit_signal, &si);
    }
    waitq_wake(&p->child_wait, 0, 0);
    if (autoreap) {
        reap_locked(c);
        return true;
    }
    return false;
}

void process_vfork_release(struct task *t)
{
    struct task *p = t->vfork_parent;
    if (!p)
        return;
    t->vfork_parent = NULL;
    __atomic_store_n(&p->vfork_done, true, __ATOMIC_RELEASE);
    task_wake(p);
}

void process_thread_gone(struct task *t)
{
    struct kernel *k = g_kernel;
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&k->lock);
    for (struct task **pp = &k->tasks; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    k->live_tasks--;
    for (struct task **pp = &tg->tasks; *pp; pp = &(*pp)->tg_next)
        if (*pp == t) {
            *pp = t->tg_next;
            break;
        }
    bool last = --tg->nr_threads == 0;
    t->state = TASK_ZOMBIE;
    uint64_t ut = __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED);
    uint64_t st = __atomic_load_n(&t->stime_ns, __ATOMIC_RELAXED);
    k->exited_utime_ns += ut;
    k->exited_stime_ns += st;
    if (t != tg->leader) { /* the leader's struct (and times) stay until the reap */
        tg->exited_utime_ns += ut;
        tg->exited_stime_ns += st;
    }
    if (!last) {
        /* Decided under kernel.lock: de_thread may make another thread the
         * leader (and free this one) as soon as the lock is dropped. */
        bool free_self = t != tg->leader;
        pthread_cond_broadcast(&k->cond);
        pthread_mutex_unlock(&k->lock);
        if (free_self)
            task_free(t);
        return;
    }
    /* System V semaphores: the group's SEM_UNDO adjustments are applied
     * before its parent can see it dead (Linux's exit_sem in do_exit). */
    ipc_sem_exit(tg->tgid);
    tty_exit_locked(tg); /* a session leader hangs its terminal up */
    tg->state = TG_ZOMBIE;
    timer_tg_exit(tg);
    waitq_wake(&tg->exit_wait, 0, 0);
    if (t != tg->leader) {
        /* The leader struct stays for wait and /proc; this one goes. */
        task_free(t);
    }
    /* Orphans. */
    struct thread_group *reaper = reaper_for(tg);
    while (tg->children) {
        struct thread_group *c = tg->children;
        tg->children = c->sibling;
        c->sibling = NULL;
        c->parent = NULL;
        if (!reaper) {
            if (c->state == TG_ZOMBIE)
                reap_locked(c);
            continue;
        }
        child_link(reaper, c);
        if (c->state == TG_ZOMBIE)
            notify_parent_exit(c);
    }
    if (tg->is_init) {
        k->init_status = tg->exit_status;
        k->init_done = true;
        /* The container ends with its init: everything else is killed. */
        for (struct task *o = k->tasks; o; o = o->next) {
            siginfo_t si = {0};
            si.si_signo = SIGKILL;
            signal_send_group(o->tg, SIGKILL, &si);
        }
    } else {
        notify_parent_exit(tg);
    }
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
}

/* ---- clone ---------------------------------------------------------------- */

long task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
                uint64_t tls, int exit_signal, uint64_t pidfd_addr)
{
    struct kernel *k = g_kernel;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return -EINVAL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;
    if ((flags & CLONE_FS) && (flags & CLONE_NEWNS))
        return -EINVAL;
    if (flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                 CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME))
        return -EINVAL; /* namespaces inside the sandbox: not supported (PARTIAL) */
    if ((flags & CLONE_PIDFD) && (flags & (CLONE_THREAD | CLONE_DETACHED)))
        return -EINVAL;
    if ((flags & CLONE_PARENT) && t->tg->is_init)
        return -EINVAL;
    if ((flags & CLONE_THREAD) && exit_signal)
        exit_signal = 0;
    if (exit_signal < 0 || exit_signal > KERNEL_NSIG)
        return -EINVAL;

    struct task *c = task_alloc();
    if (!c)
        return -ENOMEM;
    int r = creds_copy(&c->creds, &t->creds);
    if (r < 0)
        goto fail_task;
    if (flags & CLONE_VM) {
        mm_get(t->mm);
        c->mm = t->mm;
    } else {
        r = mm_fork(t->mm, &c->mm);
        if (r < 0)
            goto fail_task;
    }
    if (flags & CLONE_FILES) {
        fdt_get(t->fdt);
        c->fdt = t->fdt;
    } else {
        r = fdt_dup_table(t->fdt, &c->fdt);
        if (r < 0)
            goto fail_mm;
    }
    if (flags & CLONE_FS) {
        __atomic_add_fetch(&t->fs->refs, 1, __ATOMIC_RELAXED);
        c->fs = t->fs;
    } else {
        r = fsctx_copy(t->fs, &c->fs);
        if (r < 0)
            goto fail_fdt;
    }
    c->regs = t->regs;
    c->regs.gp.rax = 0;
    if (stack)
        c->regs.gp.rsp = stack;
    if (flags & CLONE_SETTLS)
        c->regs.gp.fs_base = tls;
    memcpy(c->comm, t->comm, sizeof(c->comm));
    pthread_mutex_lock(&t->tg->siglock);
    c->sigmask = t->sigmask;
    pthread_mutex_unlock(&t->tg->siglock);
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        c->altstack.ss_flags = SS_DISABLE;
    else
        c->altstack = t->altstack;

    struct thread_group *ntg = NULL;
    if (!(flags & CLONE_THREAD)) {
        ntg = tg_alloc();
        if (!ntg) {
            r = -ENOMEM;
            goto fail_fs;
        }
        if (flags & CLONE_SIGHAND) {
            __atomic_add_fetch(&t->tg->sighand->refs, 1, __ATOMIC_RELAXED);
            ntg->sighand = t->tg->sighand;
        } else {
            ntg->sighand = calloc(1, sizeof(*ntg->sighand));
            if (!ntg->sighand) {
                tg_free(ntg);
                r = -ENOMEM;
                goto fail_fs;
            }
            pthread_mutex_lock(&t->tg->siglock);
            *ntg->sighand = *t->tg->sighand;
            pthread_mutex_unlock(&t->tg->siglock);
            ntg->sighand->refs = 1;
            if (flags & TASK_CLONE_CLEAR_SIGHAND)
                sighand_flush(ntg->sighand);
        }
        pthread_mutex_lock(&t->tg->siglock);
        memcpy(ntg->rlimits, t->tg->rlimits, sizeof(ntg->rlimits));
        pthread_mutex_unlock(&t->tg->siglock);
        ntg->exit_signal = exit_signal;
        ntg->exe = t->tg->exe ? strdup(t->tg->exe) : NULL;
    }

    pthread_mutex_lock(&k->lock);
    if (t->tg->exiting || t->exiting) {
        pthread_mutex_unlock(&k->lock);
        if (ntg)
            tg_free(ntg);
        r = -EINTR;
        goto fail_fs;
    }
    task_link_locked(k, c);
    seccomp_task_fork_locked(c, t); /* under kernel.lock: a TSYNC sees c or c sees it */
    if (flags & CLONE_THREAD) {
        c->tg = t->tg;
    } else {
        ntg->tgid = c->tid;
        ntg->leader = c;
        ntg->pgid = t->tg->pgid;
        ntg->sid = t->tg->sid;
        tty_fork_locked(ntg, t->tg);
        struct thread_group *parent = (flags & CLONE_PARENT) ? t->tg->parent : t->tg;
        if (!parent)
            parent = t->tg;
        child_link(parent, ntg);
        c->tg = ntg;
    }
    c->tg_next = c->tg->tasks;
    c->tg->tasks = c;
    c->tg->nr_threads++;
    int tid = c->tid;
    pthread_mutex_unlock(&k->lock);

    if (flags & CLONE_PARENT_SETTID)
        mm_copy_out(t->mm, ptid, &tid, sizeof(tid));
    if (flags & CLONE_CHILD_SETTID)
        mm_copy_out(c->mm, ctid, &tid, sizeof(tid));
    if (flags & CLONE_CHILD_CLEARTID)
        c->clear_child_tid = ctid;
    if (flags & CLONE_PIDFD) {
        int pfd = pidfd_create(t, c->tg, 0);
        if (pfd >= 0)
            mm_copy_out(t->mm, pidfd_addr, &pfd, sizeof(pfd));
    }
    if (flags & CLONE_VFORK) {
        t->vfork_done = false;
        c->vfork_parent = t;
    }
    r = task_start(c);
    if (r < 0) {
        /* Undo as an immediate exit of the child. */
        log_error("clone: starting a host thread: %s", strerror(-r));
        return -EAGAIN;
    }
    if (flags & CLONE_VFORK) {
        /* Killable wait: only a fatal signal ends it early. */
        while (!__atomic_load_n(&t->vfork_done, __ATOMIC_ACQUIRE)) {
            if (t->tg->exiting || t->exiting)
                break;
            struct pollfd pf = {t->wake_fd, POLLIN, 0};
            poll(&pf, 1, 100);
            uint64_t v;
            ssize_t rr = read(t->wake_fd, &v, sizeof(v));
            (void)rr;
        }
        if (!__atomic_load_n(&t->vfork_done, __ATOMIC_ACQUIRE))
            task_wake(t); /* let the fatal signal be seen */
    }
    return tid;

fail_fs:
    fsctx_put(c->fs);
fail_fdt:
    fdt_put(c->fdt);
fail_mm:
    mm_put(c->mm);
fail_task:
    task_free(c);
    return r;
}

/* ---- wait ------------------------------------------------------------------ */

static bool wait_matches(struct task *t, struct thread_group *c, int which, int id, int options)
{
    switch (which) {
    case P_PID:
        if (c->tgid != id)
            return false;
        break;
    case P_PGID:
        if (c->pgid != (id ? id : t->tg->pgid))
            return false;
        break;
    case P_ALL:
        break;
    default:
        return false;
    }
    if (options & __WALL)
        return true;
    bool clone_child = c->exit_signal != SIGCHLD;
    return clone_child == ((options & __WCLONE) != 0);
}

long process_wait(struct task *t, int which, int id, int options, struct wait_result *out)
{
    struct kernel *k = g_kernel;
    memset(out, 0, sizeof(*out));
    for (;;) {
        pthread_mutex_lock(&k->lock);
        bool any = false;
        for (struct thread_group *c = t->tg->children; c; c = c->sibling) {
            if (!wait_matches(t, c, which, id, options))
                continue;
            any = true;
            if (c->state == TG_ZOMBIE && (options & WEXITED)) {
                out->pid = c->tgid;
                out->status = c->exit_status;
                fill_exit_info(c, &out->code, &out->child_status);
                out->child_uid = c->leader ? c->leader->creds.ruid : 0;
                /* The child's times with its own waited-for children's
                 * (wait4's rusage), which the waiter inherits. */
                uint64_t u, st;
                tg_cputime_locked(c, &u, &st);
                u += c->children_utime_ns;
                st += c->children_stime_ns;
                out->ru.ru_utime = (struct timeval){(time_t)(u / 1000000000),
                                                    (suseconds_t)(u % 1000000000 / 1000)};
                out->ru.ru_stime = (struct timeval){(time_t)(st / 1000000000),
                                                    (suseconds_t)(st % 1000000000 / 1000)};
                if (!(options & WNOWAIT)) {
                    t->tg->children_utime_ns += u;
                    t->tg->children_stime_ns += st;
                    reap_locked(c);
                }
                pthread_mutex_unlock(&k->lock);
                return out->pid;
            }
            pthread_mutex_lock(&c->siglock);
            if ((options & WSTOPPED) && c->stopped && c->stop_unreported) {
                out->pid = c->tgid;
                out->status = (c->stop_sig << 8) | 0x7f;
                out->code = CLD_STOPPED;
                out->child_status = c->stop_sig;
                if (!(options & WNOWAIT))
                    c->stop_unreported = false;
                pthread_mutex_unlock(&c->siglock);
                pthread_mutex_unlock(&k->lock);
                return out->pid;
            }
            if ((options & WCONTINUED) && c->cont_unreported) {
                out->pid = c->tgid;
                out->status = 0xffff;
                out->code = CLD_CONTINUED;
                out->child_status = SIGCONT;
                if (!(options & WNOWAIT))
                    c->cont_unreported = false;
                pthread_mutex_unlock(&c->siglock);
                pthread_mutex_unlock(&k->lock);
                return out->pid;
            }
            pthread_mutex_unlock(&c->siglock);
        }
        if (!any) {
            pthread_mutex_unlock(&k->lock);
            return -ECHILD;
        }
        if (options & WNOHANG) {
            pthread_mutex_unlock(&k->lock);
            return 0;
        }
        struct waiter w = {.t = t};
        waitq_add(&t->tg->child_wait, &w);
        pthread_mutex_unlock(&k->lock);
        int r = task_block(t, NULL);
        waitq_remove(&t->tg->child_wait, &w);
        if (r == -EINTR)
            return -ERESTARTSYS;
    }
}

/* ---- process groups and sessions ------------------------------------------- */

static bool pgrp_exists_in_session(int pgid, int sid)
{
    for (struct task *o = g_kernel->tasks; o; o = o->next)
        if (o->tg->pgid == pgid && o->tg->sid == sid)
            return true;
    return false;
}

long process_setpgid(struct task *t, int pid, int pgid)
{
    if (pgid < 0)
        return -EINVAL;
    struct kernel *k = g_kernel;
    pthread_mutex_lock(&k->lock);
    struct thread_group *target = pid ? kernel_find_tg_locked(pid) : t->tg;
    long r = 0;
    if (!target || target->state != TG_ALIVE || (target != t->tg && target->parent != t->tg)) {
        r = -ESRCH;
        goto out;
    }
    if (target->sid != t->tg->sid) {
        r = -EPERM;
        goto out;
    }
    if (target->sid == target->tgid) {
        r = -EPERM; /* a session leader */
        goto out;
    }
    if (!pgid)
        pgid = target->tgid;
    if (pgid != target->tgid && !pgrp_exists_in_session(pgid, t->tg->sid)) {
        r = -EPERM;
        goto out;
    }
    target->pgid = pgid;
out:
    pthread_mutex_unlock(&k->lock);
    return r;
}

long process_setsid(struct task *t)
{
    struct kernel *k = g_kernel;
    pthread_mutex_lock(&k->lock);
    long r;
    bool used = false;
    for (struct task *o = k->tasks; o; o = o->next)
        if (o->tg->pgid == t->tg->tgid)
            used = true;
    if (t->tg->pgid == t->tg->tgid || used) {
        r = -EPERM;
    } else {
        t->tg->sid = t->tg->pgid = t->tg->tgid;
        tty_setsid_locked(t->tg);
        r = t->tg->sid;
    }
    pthread_mutex_unlock(&k->lock);
    return r;
}

long process_getpgid(struct task *t, int pid)
{
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = pid ? kernel_find_tg_locked(pid) : t->tg;
    long r = tg ? tg->pgid : -ESRCH;
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

long process_getsid(struct task *t, int pid)
{
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = pid ? kernel_find_tg_locked(pid) : t->tg;
    long r = tg ? tg->sid : -ESRCH;
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

/* ---- kill ------------------------------------------------------------------ */

static bool may_signal(struct task *t, struct thread_group *tg, int sig)
{
    if (creds_capable(&t->creds, CREDS_CAP_KILL))
        return true;
    struct task *l = tg->leader ? tg->leader : tg->tasks;
    if (!l)
        return false;
    if (sig == SIGCONT && tg->sid == t->tg->sid)
        return true;
    return t->creds.euid == l->creds.ruid || t->creds.euid == l->creds.suid ||
           t->creds.ruid == l->creds.ruid || t->creds.ruid == l->creds.suid;
}

long process_kill(struct task *t, int pid, int sig, const siginfo_t *info)
{
    if (sig < 0 || sig > KERNEL_NSIG)
        return -EINVAL;
    struct kernel *k = g_kernel;
    pthread_mutex_lock(&k->lock);
    long r = -ESRCH;
    if (pid > 0) {
        struct thread_group *tg = kernel_find_tg_locked(pid);
        if (tg) {
            r = may_signal(t, tg, sig) ? signal_send_group(tg, sig, info) : -EPERM;
        }
    } else {
        int pgid = pid == 0 ? t->tg->pgid : -pid;
        bool found = false, allowed = false;
        /* Each group once: walk the leaders' tasks list by tgid. */
        for (struct task *o = k->tasks; o; o = o->next) {
            struct thread_group *tg = o->tg;
            if (o != tg->tasks)
                continue; /* one thread per group */
            if (pid == -1) {
                if (tg->is_init || tg == t->tg)
                    continue;
            } else if (tg->pgid != pgid) {
                continue;
            }
            found = true;
            if (may_signal(t, tg, sig)) {
                allowed = true;
                signal_send_group(tg, sig, info);
            }
        }
        if (pid == -1 && sig)
            found = true;
        r = !found ? -ESRCH : (allowed || pid == -1) ? 0 : -EPERM;
    }
    pthread_mutex_unlock(&k->lock);
    return r;
}

long process_tgkill(struct task *t, int tgid, int tid, int sig, const siginfo_t *info)
{
    if (sig < 0 || sig > KERNEL_NSIG || tid <= 0)
        return -EINVAL;
    pthread_mutex_lock(&g_kernel->lock);
    struct task *target = kernel_find_task_locked(tid);
    long r;
    if (!target || (tgid > 0 && target->tg->tgid != tgid))
        r = -ESRCH;
    else if (!may_signal(t, target->tg, sig))
        r = -EPERM;
    else
        r = signal_send_task(target, sig, info);
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

long kernel_wait_pid(struct kernel *k, int pid, int *status)
{
    pthread_mutex_lock(&k->lock);
    for (;;) {
        struct thread_group *tg = NULL;
        if (pid == 0 || (k->init && pid == k->init->tgid)) {
            tg = k->init;
            if (!tg || k->init_done) {
                *status = k->init_status;
                pthread_mutex_unlock(&k->lock);
                return 0;
            }
        } else {
            for (struct thread_group *d = k->detached; d; d = d->sibling)
                if (d->tgid == pid)
                    tg = d;
            if (!tg) {
                pthread_mutex_unlock(&k->lock);
                return -ECHILD; /* not a process started from outside */
            }
            if (tg->state == TG_ZOMBIE) {
                *status = tg->exit_status;
                reap_locked(tg);
                pthread_mutex_unlock(&k->lock);
                return 0;
            }
        }
        pthread_cond_wait(&k->cond, &k->lock);
    }
}
