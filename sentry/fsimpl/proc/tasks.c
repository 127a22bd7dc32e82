/* procfs' view of the kernel: copies of task state taken under kernel.lock
 * (and thread_group.siglock for signal state), references on a task's mm,
 * fd table and fs context for reading them after the lock is dropped.
 *
 * Thread groups are found with kernel_find_tg_locked (live groups through
 * their threads, zombies through the process tree); a group's leader
 * struct stays until the group is reaped, so /proc/<pid> of a group whose
 * leader thread exited shows that (zombie) thread, as Linux does.
 *
 * Assumptions about sentry/kernel (kernel.h):
 * - the task list, thread-group membership (tg->tasks), the process tree,
 *   pgid/sid, tg->state, tg->leader, nr_threads and tg->exe change under
 *   kernel.lock;
 * - t->mm, t->fdt and t->fs are replaced or cleared (exit, execve) under
 *   kernel.lock and the old object is released after it is dropped, so a
 *   reference taken here under kernel.lock is on a live object;
 * - t->creds (with creds.groups) and t->comm are only written by their
 *   own task, under kernel.lock when a pointer (groups) is freed;
 * - signal masks, pending sets, sighand and rlimits are under tg->siglock.
 * Lock order: kernel.lock -> tg->siglock; fs->lock and fdt->lock alone. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "sentry/fsimpl/anon/anon.h"
#include "sentry/fsimpl/proc/internal.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/kernel/tty.h"

/* Thread group tgid (live or zombie), or NULL. kernel.lock held. */
static struct thread_group *find_tg_locked(int tgid)
{
    struct thread_group *tg = kernel_find_tg_locked(tgid);
    return tg && tg->state != TG_DEAD ? tg : NULL;
}

/* Thread tid of group tgid or, for tid 0, the group's leader (whose struct
 * stays, as a zombie thread, until the group is reaped). kernel.lock held. */
static struct task *find_locked(int tgid, int tid)
{
    struct thread_group *tg = find_tg_locked(tgid);
    if (!tg)
        return NULL;
    if (!tid)
        return tg->leader ? tg->leader : tg->tasks;
    for (struct task *t = tg->tasks; t; t = t->tg_next)
        if (t->tid == tid)
            return t;
    if (tg->leader && tg->leader->tid == tid)
        return tg->leader;
    return NULL;
}

bool proc_task_exists(int tgid, int tid)
{
    if (!g_kernel)
        return false;
    pthread_mutex_lock(&g_kernel->lock);
    bool found = find_locked(tgid, tid) != NULL;
    pthread_mutex_unlock(&g_kernel->lock);
    return found;
}

/* tg->siglock held. */
static char state_of(struct task *t, bool running_caller)
{
    if (t->tg->state == TG_ZOMBIE || t->state == TASK_ZOMBIE)
        return 'Z';
    if (running_caller)
        return 'R';
    if (t->state == TASK_STOPPED || t->tg->stopped)
        return 'T';
    if (t->state == TASK_BLOCKED || __atomic_load_n(&t->blocked, __ATOMIC_ACQUIRE))
        return 'S';
    return 'R';
}

static int count_queue(const struct sigpending *p)
{
    int n = 0;
    for (const struct sigq *q = p->head; q; q = q->next)
        n++;
    return n;
}

int proc_task_get(int tgid, int tid, unsigned want, struct proc_task *out)
{
    memset(out, 0, sizeof(*out));
    struct kernel *k = g_kernel;
    if (!k)
        return -ENOENT;
    struct task *cur = task_current();
    int r = 0;
    pthread_mutex_lock(&k->lock);
    struct task *t = find_locked(tgid, tid);
    if (!t) {
        pthread_mutex_unlock(&k->lock);
        return -ENOENT;
    }
    struct thread_group *tg = t->tg;
    out->tgid = tg->tgid;
    out->tid = t->tid;
    out->ppid = tg->parent ? tg->parent->tgid : 0;
    out->pgid = tg->pgid;
    out->sid = tg->sid;
    tty_proc_locked(tg, &out->tty_nr, &out->tpgid);
    memcpy(out->comm, t->comm, sizeof(out->comm));
    out->comm[sizeof(out->comm) - 1] = '\0';
    out->nr_threads = tg->nr_threads;
    out->creds = t->creds;
    out->creds.groups = NULL;
    out->creds.ngroups = 0;
    if (t->creds.groups && t->creds.ngroups > 0) {
        out->creds.groups = malloc((size_t)t->creds.ngroups * sizeof(uint32_t));
        if (out->creds.groups) {
            memcpy(out->creds.groups, t->creds.groups, (size_t)t->creds.ngroups * sizeof(uint32_t));
            out->creds.ngroups = t->creds.ngroups;
        } else {
            r = -ENOMEM;
        }
    }
    out->start_time = tg->start_time;
    if (out->start_time.tv_sec == 0 && out->start_time.tv_nsec == 0)
        out->start_time = k->boot_monotonic;
    out->exit_signal = tg->exit_signal;
    out->cutime_ns = tg->children_utime_ns;
    out->cstime_ns = tg->children_stime_ns;
    if (tg->state == TG_ZOMBIE)
        out->exit_code = tg->exit_status;
    if (tid) {
        out->utime_ns = __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED);
        out->stime_ns = __atomic_load_n(&t->stime_ns, __ATOMIC_RELAXED);
    } else {
        tg_cputime_locked(tg, &out->utime_ns, &out->stime_ns); /* with exited threads */
    }
    bool running_caller = cur == t; /* it is reading this, so it runs */

    pthread_mutex_lock(&tg->siglock);
    out->sigblk = t->sigmask;
    out->sigpnd = t->pending.set;
    out->shdpnd = tg->shared_pending.set;
    out->sigq = count_queue(&t->pending) + count_queue(&tg->shared_pending);
    if (tg->sighand) {
        for (int s = 1; s <= KERNEL_NSIG; s++) {
            uint64_t h = tg->sighand->actions[s - 1].handler;
            if (h == (uint64_t)(uintptr_t)SIG_IGN)
                out->sigign |= SIGBIT(s);
            else if (h != (uint64_t)(uintptr_t)SIG_DFL)
                out->sigcgt |= SIGBIT(s);
        }
    }
    memcpy(out->rlimits, tg->rlimits, sizeof(out->rlimits));
    out->state = state_of(t, running_caller);
    pthread_mutex_unlock(&tg->siglock);

    if ((want & PT_EXE) && tg->exe) {
        out->exe = strdup(tg->exe);
        if (!out->exe)
            r = -ENOMEM;
    }
    if ((want & PT_MM) && t->mm) {
        mm_get(t->mm);
        out->mm = t->mm;
    }
    if ((want & PT_FDT) && t->fdt) {
        fdt_get(t->fdt);
        out->fdt = t->fdt;
    }
    if ((want & PT_FS) && t->fs) {
        fsctx_get(t->fs);
        out->fs = t->fs;
    }
    pthread_mutex_unlock(&k->lock);
    if (r < 0)
        proc_task_release(out);
    return r;
}

void proc_task_release(struct proc_task *pt)
{
    free(pt->creds.groups);
    free(pt->exe);
    if (pt->mm)
        mm_put(pt->mm);
    if (pt->fdt)
        fdt_put(pt->fdt);
    if (pt->fs)
        fsctx_put(pt->fs);
    memset(pt, 0, sizeof(*pt));
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

struct id_list {
    int *ids;
    size_t n, cap;
    bool oom;
};

static void id_add(struct id_list *l, int id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        int *n = realloc(l->ids, cap * sizeof(int));
        if (!n) {
            l->oom = true;
            return;
        }
        l->ids = n;
        l->cap = cap;
    }
    l->ids[l->n++] = id;
}

/* Adds the tgid of root and of every group below it in the process tree
 * (zombies are only reachable there). kernel.lock held. */
static void add_tree(struct id_list *l, struct thread_group *root)
{
    struct thread_group *tg = root;
    while (tg) {
        if (tg->state != TG_DEAD)
            id_add(l, tg->tgid);
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

static int finish_list(struct id_list *l, int **out, size_t *count)
{
    if (l->oom) {
        free(l->ids);
        return -ENOMEM;
    }
    qsort(l->ids, l->n, sizeof(int), cmp_int);
    size_t u = 0;
    for (size_t i = 0; i < l->n; i++)
        if (u == 0 || l->ids[u - 1] != l->ids[i])
            l->ids[u++] = l->ids[i];
    *out = l->ids;
    *count = u;
    return 0;
}

int proc_list_tgids(int **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!g_kernel)
        return 0;
    struct id_list l = {0};
    pthread_mutex_lock(&g_kernel->lock);
    for (struct task *t = g_kernel->tasks; t; t = t->next)
        if (t->tg && t->tg->state != TG_DEAD)
            id_add(&l, t->tg->tgid);
    if (g_kernel->init)
        add_tree(&l, g_kernel->init);
    pthread_mutex_unlock(&g_kernel->lock);
    return finish_list(&l, out, count);
}

int proc_list_tids(int tgid, int **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!g_kernel)
        return 0;
    struct id_list l = {0};
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = find_tg_locked(tgid);
    if (tg) {
        for (struct task *t = tg->tasks; t; t = t->tg_next)
            id_add(&l, t->tid);
        if (tg->leader)
            id_add(&l, tg->leader->tid);
    }
    pthread_mutex_unlock(&g_kernel->lock);
    return finish_list(&l, out, count);
}

void proc_counts(struct proc_counts *c)
{
    memset(c, 0, sizeof(*c));
    if (!g_kernel)
        return;
    pthread_mutex_lock(&g_kernel->lock);
    for (struct task *t = g_kernel->tasks; t; t = t->next) {
        if (!t->tg || t->tg->state == TG_DEAD || t->state == TASK_ZOMBIE)
            continue;
        c->total++;
        if (t->state == TASK_RUNNING && !__atomic_load_n(&t->blocked, __ATOMIC_ACQUIRE))
            c->running++;
        c->utime_ns += __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED);
        c->stime_ns += __atomic_load_n(&t->stime_ns, __ATOMIC_RELAXED);
    }
    c->utime_ns += g_kernel->exited_utime_ns;
    c->stime_ns += g_kernel->exited_stime_ns;
    c->last_pid = g_kernel->next_tid - 1;
    pthread_mutex_unlock(&g_kernel->lock);
    if (c->running == 0 && task_current())
        c->running = 1; /* the reader (Linux counts it) */
}

int proc_set_comm(int tgid, int tid, const char *name, size_t len)
{
    struct task *cur = task_current();
    char comm[16] = {0};
    if (len >= sizeof(comm))
        len = sizeof(comm) - 1;
    memcpy(comm, name, len); /* as written: Linux keeps a trailing newline too */
    int r = -ENOENT;
    pthread_mutex_lock(&g_kernel->lock);
    struct task *t = find_locked(tgid, tid);
    if (t && (!cur || cur->tg != t->tg)) {
        r = -EINVAL; /* Linux: only threads of one's own group */
    } else if (t) {
        memcpy(t->comm, comm, sizeof(comm));
        r = 0;
    }
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

void proc_reader_root(struct vfs_path *out)
{
    struct task *cur = task_current();
    if (cur && cur->fs) {
        pthread_mutex_lock(&cur->fs->lock);
        *out = cur->fs->root;
        path_get(out);
        pthread_mutex_unlock(&cur->fs->lock);
        return;
    }
    *out = g_kernel->root;
    path_get(out);
}

int proc_task_path(int tgid, int tid, bool root, struct vfs_path *out)
{
    struct proc_task pt;
    int r = proc_task_get(tgid, tid, PT_FS, &pt);
    if (r < 0)
        return r;
    if (!pt.fs) {
        proc_task_release(&pt);
        return -ENOENT;
    }
    pthread_mutex_lock(&pt.fs->lock);
    *out = root ? pt.fs->root : pt.fs->cwd;
    path_get(out);
    pthread_mutex_unlock(&pt.fs->lock);
    proc_task_release(&pt);
    return 0;
}

/* Names of character devices for files that have no path (host stdio). */
static bool chr_name(uint64_t rdev, char *buf, size_t size)
{
    unsigned ma = major(rdev), mi = minor(rdev);
    static const struct {
        unsigned major, minor;
        const char *name;
    } known[] = {
        {1, 3, "/dev/null"},    {1, 5, "/dev/zero"}, {1, 7, "/dev/full"},    {1, 8, "/dev/random"},
        {1, 9, "/dev/urandom"}, {5, 0, "/dev/tty"},  {5, 1, "/dev/console"}, {5, 2, "/dev/ptmx"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].major == ma && known[i].minor == mi) {
            snprintf(buf, size, "%s", known[i].name);
            return true;
        }
    if (ma >= 136 && ma <= 143) {
        snprintf(buf, size, "/dev/pts/%u", (ma - 136) * 256 + mi);
        return true;
    }
    if (ma == 4 && mi < 64) {
        snprintf(buf, size, "/dev/tty%u", mi);
        return true;
    }
    return false;
}

char *proc_file_name(struct file *f, const struct vfs_path *root)
{
    if (f->path.mnt && f->path.d)
        return vfs_path_name(root, &f->path);
    const char *memfd = tmpfs_memfd_name(f);
    if (memfd) {
        char *n = malloc(strlen(memfd) + 12);
        if (n)
            sprintf(n, "/%s (deleted)", memfd);
        return n;
    }
    struct vfs_attr a;
    if (vfs_file_getattr(f, &a) < 0) {
        memset(&a, 0, sizeof(a));
        a.mode = f->inode->mode;
        a.ino = f->inode->ino;
    }
    const char *type = f->inode->fs && f->inode->fs->type ? f->inode->fs->type->name : "unknown";
    char buf[128];
    unsigned long long ino = (unsigned long long)a.ino;
    if (S_ISFIFO(a.mode))
        snprintf(buf, sizeof(buf), "pipe:[%llu]", ino);
    else if (S_ISSOCK(a.mode))
        snprintf(buf, sizeof(buf), "socket:[%llu]", ino);
    else if (S_ISCHR(a.mode) && chr_name(a.rdev, buf, sizeof(buf)))
        ;
    else if (S_ISREG(a.mode) || S_ISDIR(a.mode))
        snprintf(buf, sizeof(buf), "%s:[%llu]", type, ino);
    else if (anon_file_name(f))
        snprintf(buf, sizeof(buf), "anon_inode:%s", anon_file_name(f)); /* "[eventfd]" */
    else
        snprintf(buf, sizeof(buf), "anon_inode:[%s]", type);
    return strdup(buf);
}

int proc_mount_id(const struct mount *m)
{
    /* Mounts are only ever prepended to the global list and never removed,
     * so the number of older mounts is a stable id. */
    int n = 0;
    for (const struct mount *o = m->next; o; o = o->next)
        n++;
    return 21 + n;
}
