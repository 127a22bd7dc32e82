/* The control backend over the sentry's kernel (kernel_backend.h).
 *
 * Lock order: kernel.lock -> thread_group.siglock -> mm.lock ->
 * memfile.lock (docs/locking.md). Application memory (cmdlines) is read
 * after kernel.lock is dropped, through a reference on the mm. */
#include "sentry/control/kernel_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/control/freeze.h"
#include "sentry/fsimpl/cgroupfs/cgroupfs.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/kernel/process.h"
#include "sentry/kernel/spawn.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"

/* Longest command line shown by Processes (as ps, it is cut). */
#define CMD_MAX_SIZE 4096

static struct kernel *kernel_of(void *arg)
{
    return ((struct control_kernel *)arg)->k;
}

/* The head of every live thread group's thread list is one task of the
 * kernel's list: visiting those visits each live group once. kernel.lock. */
static bool is_group_head(const struct task *t)
{
    return t->tg && t->tg->tasks == t;
}

static int kb_start_root(void *arg)
{
    struct control_kernel *ck = arg;
    if (!ck->start_root)
        return -ENOSYS;
    return ck->start_root(ck->hook_arg);
}

static int kb_wait(void *arg, int pid, int *status)
{
    long r = kernel_wait_pid(kernel_of(arg), pid, status);
    return r < 0 ? (int)r : 0;
}

static int kb_signal(void *arg, enum control_target target, int pid, int signo)
{
    struct kernel *k = kernel_of(arg);
    int r = 0;
    pthread_mutex_lock(&k->lock);
    switch (target) {
    case CONTROL_TARGET_INIT:
        if (!k->init || k->init->state != TG_ALIVE)
            r = -ESRCH;
        else if (signo)
            r = signal_send_external(k->init, signo);
        break;
    case CONTROL_TARGET_ALL: {
        int n = 0;
        for (struct task *t = k->tasks; t; t = t->next) {
            if (!is_group_head(t))
                continue;
            n++;
            if (signo) {
                int rr = signal_send_external(t->tg, signo);
                if (rr < 0)
                    r = rr;
            }
        }
        if (n == 0)
            r = -ESRCH;
        break;
    }
    case CONTROL_TARGET_PID: {
        struct thread_group *tg = pid > 0 ? kernel_find_tg_locked(pid) : NULL;
        if (!tg || tg->state != TG_ALIVE)
            r = -ESRCH;
        else if (signo)
            r = signal_send_external(tg, signo);
        break;
    }
    default:
        r = -EINVAL;
    }
    pthread_mutex_unlock(&k->lock);
    return r;
}

/* ---- Processes ----------------------------------------------------------- */

struct ps_row {
    struct control_ps_entry e;
    struct mm *mm; /* a reference, for the command line; NULL for zombies */
};

struct ps_list {
    struct ps_row *rows;
    size_t count, cap;
    bool oom;
};

static int64_t ns_between(const struct timespec *from, const struct timespec *to)
{
    return (int64_t)(to->tv_sec - from->tv_sec) * 1000000000LL + (to->tv_nsec - from->tv_nsec);
}

/* One row for tg (kernel.lock held). */
static void ps_visit(struct kernel *k, struct thread_group *tg, struct ps_list *l, bool frozen)
{
    struct task *t = tg->leader ? tg->leader : tg->tasks;
    if (!t || tg->state == TG_DEAD)
        return;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct ps_row *rows = realloc(l->rows, cap * sizeof(*rows));
        if (!rows) {
            l->oom = true;
            return;
        }
        l->rows = rows;
        l->cap = cap;
    }
    struct ps_row *row = &l->rows[l->count++];
    memset(row, 0, sizeof(*row));
    struct control_ps_entry *e = &row->e;
    e->pid = tg->tgid;
    e->ppid = tg->parent ? tg->parent->tgid : 0;
    e->pgid = tg->pgid;
    e->sid = tg->sid;
    e->uid = t->creds.euid;
    memcpy(e->comm, t->comm, sizeof(e->comm));
    e->comm[sizeof(e->comm) - 1] = '\0';
    e->start_time_ns = ns_between(&k->boot_monotonic, &tg->start_time);
    if (e->start_time_ns < 0)
        e->start_time_ns = 0;
    uint64_t u, st;
    tg_cputime_locked(tg, &u, &st);
    e->cpu_time_ns = u + st + tg->children_utime_ns + tg->children_stime_ns;
    bool all_blocked = tg->tasks != NULL;
    for (struct task *o = tg->tasks; o; o = o->tg_next)
        if (!__atomic_load_n(&o->blocked, __ATOMIC_ACQUIRE))
            all_blocked = false;
    if (tg->state == TG_ZOMBIE || !tg->tasks) {
        e->state = 'Z';
        return;
    }
    pthread_mutex_lock(&tg->siglock);
    bool stopped = tg->stopped;
    pthread_mutex_unlock(&tg->siglock);
    e->state = stopped || frozen ? 'T' : all_blocked ? 'S' : 'R';
    struct mm *mm = tg->tasks->mm;
    if (mm) {
        mm_get(mm);
        row->mm = mm;
    }
}

/* Preorder walk of root's subtree without recursion (trees can be deep). */
static void ps_walk(struct kernel *k, struct thread_group *root, struct ps_list *l, bool frozen)
{
    struct thread_group *tg = root;
    while (tg && !l->oom) {
        ps_visit(k, tg, l, frozen);
        if (tg->children) {
            tg = tg->children;
            continue;
        }
        while (tg != root && !tg->sibling)
            tg = tg->parent;
        if (tg == root)
            break;
        tg = tg->sibling;
    }
}

/* argv from the argument area, NULs turned into spaces; NULL if none. */
static char *read_cmdline(struct mm *mm)
{
    pthread_mutex_lock(&mm->lock);
    uint64_t start = mm->arg_start, end = mm->arg_end;
    pthread_mutex_unlock(&mm->lock);
    if (end <= start)
        return NULL;
    size_t len = end - start;
    if (len > CMD_MAX_SIZE)
        len = CMD_MAX_SIZE;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    if (mm_copy_in(mm, start, buf, len) < 0) {
        free(buf); /* unmapped by the application: unknown, as for Linux */
        return NULL;
    }
    buf[len] = '\0';
    while (len > 0 && buf[len - 1] == '\0')
        len--;
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    if (len == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int kb_processes(void *arg, struct control_ps_entry **out, size_t *count)
{
    struct kernel *k = kernel_of(arg);
    struct ps_list l = {0};
    bool frozen = control_frozen();
    pthread_mutex_lock(&k->lock);
    if (k->init)
        ps_walk(k, k->init, &l, frozen);
    for (struct thread_group *d = k->detached; d && !l.oom; d = d->sibling)
        ps_walk(k, d, &l, frozen);
    pthread_mutex_unlock(&k->lock);

    struct control_ps_entry *e = calloc(l.count ? l.count : 1, sizeof(*e));
    for (size_t i = 0; i < l.count; i++) {
        struct ps_row *row = &l.rows[i];
        if (e && row->mm)
            row->e.cmd = read_cmdline(row->mm);
        if (row->mm)
            mm_put(row->mm);
        if (e)
            e[i] = row->e;
    }
    free(l.rows);
    if (!e || l.oom) {
        for (size_t i = 0; e && i < l.count; i++)
            free(e[i].cmd);
        free(e);
        return -ENOMEM;
    }
    *out = e;
    *count = l.count;
    return 0;
}

/* ---- Execute ------------------------------------------------------------- */

/* A host file for a duplicate of fd (the call's fds are borrowed). */
static int host_file(int fd, bool terminal, struct file **out)
{
    int fl = terminal ? O_RDWR : fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dfd < 0)
        return -errno;
    int r = hostfile_new(dfd, fl & (O_ACCMODE | O_APPEND | O_NONBLOCK), out);
    if (r < 0)
        close(dfd);
    return r;
}

static int kb_execute(void *arg, const struct control_exec_args *e, int *pid, char *msg,
                      size_t msg_size)
{
    struct kernel *k = kernel_of(arg);
    struct creds creds = {0};
    creds.ruid = creds.euid = creds.suid = creds.fsuid = e->uid;
    creds.rgid = creds.egid = creds.sgid = creds.fsgid = e->gid;
    creds.groups = (uint32_t *)e->groups; /* copied by the kernel */
    creds.ngroups = (int)e->ngroups;
    creds.cap_effective = e->cap_effective;
    creds.cap_permitted = e->cap_permitted;
    creds.cap_inheritable = e->cap_inheritable;
    creds.cap_bounding = e->cap_bounding;
    creds.cap_ambient = e->cap_ambient;
    creds.no_new_privs = e->no_new_privs;

    struct file *files[3] = {NULL, NULL, NULL};
    int r = 0;
    for (int i = 0; i < 3 && r == 0; i++) {
        if (e->terminal && i > 0) {
            files[i] = files[0];
            continue;
        }
        r = host_file(e->stdio[i], e->terminal, &files[i]);
        if (r < 0)
            snprintf(msg, msg_size, "stdio fd %d: %s", i, strerror(-r));
    }

    /* The container's limits, as for its init. */
    struct rlimit rl[RLIM_NLIMITS];
    bool have_rl = false;
    pthread_mutex_lock(&k->lock);
    if (k->init && k->init->state == TG_ALIVE) {
        pthread_mutex_lock(&k->init->siglock);
        memcpy(rl, k->init->rlimits, sizeof(rl));
        pthread_mutex_unlock(&k->init->siglock);
        have_rl = true;
    }
    pthread_mutex_unlock(&k->lock);

    struct task *t = NULL;
    if (r == 0) {
        struct spawn_args sa = {
            .argv = e->argv,
            .envp = e->envp,
            .cwd = e->cwd && e->cwd[0] ? e->cwd : "/",
            .creds = &creds,
            .stdio = {files[0], files[1], files[2]},
            .rlimits = have_rl ? rl : NULL,
            .rlimit_set = NULL,
            .umask = 022,
            .is_init = false,
        };
        r = kernel_spawn(k, &sa, &t, msg, msg_size);
        for (int i = 0; i < 3 && r == 0; i++) /* exec -t: its terminal is its ctty */
            hostfile_spawn_ctty(files[i], t->tg);
    }
    for (int i = 0; i < 3; i++)
        if (files[i] && !(e->terminal && i > 0))
            file_put(files[i]);
    if (r < 0)
        return r;
    int p = t->tg->tgid; /* before it runs: it may be gone at once */
    r = task_start(t);
    if (r < 0) {
        snprintf(msg, msg_size, "starting the process: %s", strerror(-r));
        task_exit_unstarted(t, SIGKILL);
        int st;
        kernel_wait_pid(k, p, &st); /* a zombie nobody would wait for */
        return r;
    }
    *pid = p;
    return 0;
}

/* ---- Pause, Resume, Event, Shutdown -------------------------------------- */

static int kb_pause(void *arg)
{
    return control_freeze(kernel_of(arg), true);
}

static int kb_resume(void *arg)
{
    return control_freeze(kernel_of(arg), false);
}

static int kb_event(void *arg, struct control_usage *out)
{
    struct kernel *k = kernel_of(arg);
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&k->lock);
    for (struct task *t = k->tasks; t; t = t->next) {
        if (is_group_head(t))
            out->pids++;
        out->cpu_time_ns += __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED) +
                            __atomic_load_n(&t->stime_ns, __ATOMIC_RELAXED);
    }
    out->cpu_time_ns += k->exited_utime_ns + k->exited_stime_ns;
    pthread_mutex_unlock(&k->lock);
    if (k->mf) {
        pthread_mutex_lock(&k->mf->lock);
        out->memory_usage = k->mf->used * MF_PAGE_SIZE;
        pthread_mutex_unlock(&k->mf->lock);
    }
    return 0;
}

static int kb_shutdown(void *arg)
{
    struct control_kernel *ck = arg;
    struct kernel *k = ck->k;
    pthread_mutex_lock(&k->lock);
    for (struct task *t = k->tasks; t; t = t->next)
        if (is_group_head(t))
            signal_send_external(t->tg, SIGKILL);
    pthread_mutex_unlock(&k->lock);
    /* Killed first, then thawed: no application code runs in between. */
    control_freeze(k, false);
    if (ck->shutdown)
        ck->shutdown(ck->hook_arg);
    return 0;
}

/* runsc update changed the host cgroup: cgroupfs shows its new limits. */
static int kb_update_resources(void *arg, const struct control_resources *l)
{
    struct cgroupfs_limits cl = {
        .memory_limit = l->memory_limit,
        .cpu_shares = l->cpu_shares,
        .cpu_quota_us = l->cpu_quota_us,
        .cpu_period_us = l->cpu_period_us,
        .pids_max = l->pids_max,
    };
    cgroupfs_set_limits(&cl);
    return 0;
}

const struct control_backend control_kernel_backend = {
    .start_root = kb_start_root,
    .wait = kb_wait,
    .signal = kb_signal,
    .processes = kb_processes,
    .execute = kb_execute,
    .pause = kb_pause,
    .resume = kb_resume,
    .event = kb_event,
    .shutdown = kb_shutdown,
    .update_resources = kb_update_resources,
};
