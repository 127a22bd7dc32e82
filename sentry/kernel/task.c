/* Tasks: creation, the run loop, exit, zombies and reaping.
 *
 * The loop: switch into the application through the platform; serve the
 * system call, fault or signal that comes back; deliver pending signals;
 * repeat until the task exits.
 * Lock order: kernel.lock -> tg->siglock -> mm->lock. */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/control/freeze.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/epoll.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/process.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/syscalls/syscalls.h"

struct kernel *g_kernel;
static __thread struct task *tls_task;

struct task *task_current(void)
{
    return tls_task;
}

int kernel_init(struct memfile *mf, const struct platform_ops *pops, struct platform *p,
                struct kernel **out)
{
    struct kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->mf = mf;
    k->pops = pops;
    k->platform = p;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
    k->next_tid = 1;
    strcpy(k->hostname, "runsc");
    strcpy(k->domainname, "(none)");
    clock_gettime(CLOCK_REALTIME, &k->boot_realtime);
    clock_gettime(CLOCK_MONOTONIC, &k->boot_monotonic);
    g_kernel = k;
    *out = k;
    return 0;
}

int fsctx_new(const struct vfs_path *root, const struct vfs_path *cwd, struct fs_context **out)
{
    struct fs_context *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->refs = 1;
    pthread_mutex_init(&fs->lock, NULL);
    fs->root = *root;
    path_get(root);
    fs->cwd = *cwd;
    path_get(cwd);
    fs->umask = 022;
    *out = fs;
    return 0;
}

int fsctx_copy(struct fs_context *src, struct fs_context **out)
{
    pthread_mutex_lock(&src->lock);
    int r = fsctx_new(&src->root, &src->cwd, out);
    if (r == 0)
        (*out)->umask = src->umask;
    pthread_mutex_unlock(&src->lock);
    return r;
}

void fsctx_get(struct fs_context *fs)
{
    __atomic_add_fetch(&fs->refs, 1, __ATOMIC_RELAXED);
}

void fsctx_put(struct fs_context *fs)
{
    if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    path_put(&fs->root);
    path_put(&fs->cwd);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
}

void task_cred_ctx(struct task *t, struct vfs_walk_ctx *ctx)
{
    ctx->uid = t->creds.fsuid;
    ctx->gid = t->creds.fsgid;
    ctx->caps_valid = true;
    ctx->caps = t->creds.cap_effective;
    ctx->groups = t->creds.groups;
    ctx->ngroups = t->creds.ngroups;
}

int task_walk_ctx(struct task *t, int dirfd, const char *path, struct vfs_walk_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    pthread_mutex_lock(&t->fs->lock);
    ctx->root = t->fs->root;
    path_get(&ctx->root);
    if (path[0] == '/' || dirfd == AT_FDCWD) {
        ctx->start = t->fs->cwd;
        path_get(&ctx->start);
        pthread_mutex_unlock(&t->fs->lock);
    } else {
        pthread_mutex_unlock(&t->fs->lock);
        struct file *f = fdt_get_file(t->fdt, dirfd, NULL);
        if (!f) {
            path_put(&ctx->root);
            return -EBADF;
        }
        if (!f->path.d) {
            file_put(f);
            path_put(&ctx->root);
            return -ENOTDIR;
        }
        /* A non-directory dirfd is fine for AT_EMPTY_PATH lookups. */
        if (!S_ISDIR(f->path.d->inode->mode) && path[0]) {
            file_put(f);
            path_put(&ctx->root);
            return -ENOTDIR;
        }
        ctx->start = f->path;
        path_get(&ctx->start);
        file_put(f);
    }
    task_cred_ctx(t, ctx);
    return 0;
}

void task_walk_ctx_release(struct vfs_walk_ctx *ctx)
{
    path_put(&ctx->root);
    path_put(&ctx->start);
}

uint64_t kernel_cpu_mask(void)
{
    cpu_set_t set;
    uint64_t mask = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        for (int i = 0; i < 64; i++)
            if (CPU_ISSET(i, &set))
                mask |= 1ull << i;
    return mask ? mask : 1;
}

uint64_t task_rlimit_cur(struct task *t, int resource)
{
    pthread_mutex_lock(&t->tg->siglock);
    uint64_t v = t->tg->rlimits[resource].rlim_cur;
    pthread_mutex_unlock(&t->tg->siglock);
    return v;
}

static void default_rlimits(struct rlimit *rl)
{
    for (int i = 0; i < RLIM_NLIMITS; i++)
        rl[i].rlim_cur = rl[i].rlim_max = RLIM_INFINITY;
    rl[RLIMIT_NOFILE].rlim_cur = 1024;
    rl[RLIMIT_NOFILE].rlim_max = 1048576;
    rl[RLIMIT_STACK].rlim_cur = 8 << 20;
    rl[RLIMIT_CORE].rlim_cur = 0;
    rl[RLIMIT_NPROC].rlim_cur = rl[RLIMIT_NPROC].rlim_max = 63439;
    rl[RLIMIT_SIGPENDING].rlim_cur = rl[RLIMIT_SIGPENDING].rlim_max = 63439;
    rl[RLIMIT_MEMLOCK].rlim_cur = rl[RLIMIT_MEMLOCK].rlim_max = 8 << 20;
    rl[RLIMIT_MSGQUEUE].rlim_cur = rl[RLIMIT_MSGQUEUE].rlim_max = 819200;
}

struct task *task_alloc(void)
{
    struct task *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->wake_fd < 0) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->ctx_lock, NULL);
    t->altstack.ss_flags = SS_DISABLE;
    t->state = TASK_RUNNING;
    return t;
}

void task_free(struct task *t)
{
    sigpending_clear(&t->pending);
    seccomp_task_release(t);
    free(t->creds.groups);
    close(t->wake_fd);
    pthread_mutex_destroy(&t->ctx_lock);
    free(t);
}

struct thread_group *tg_alloc(void)
{
    struct thread_group *tg = calloc(1, sizeof(*tg));
    if (!tg)
        return NULL;
    pthread_mutex_init(&tg->siglock, NULL);
    waitq_init(&tg->child_wait);
    waitq_init(&tg->exit_wait);
    waitq_init(&tg->sigqueue_wq);
    tg->refs = 1;
    tg->exit_signal = SIGCHLD;
    clock_gettime(CLOCK_MONOTONIC, &tg->start_time);
    return tg;
}

void tg_put_locked(struct thread_group *tg)
{
    if (--tg->refs == 0)
        tg_free(tg);
}

void tg_free(struct thread_group *tg)
{
    sigpending_clear(&tg->shared_pending);
    epoll_waitq_free(&tg->sigqueue_wq); /* epoll items of signalfds polled by the group */
    if (tg->sighand && __atomic_sub_fetch(&tg->sighand->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(tg->sighand);
    free(tg->exe);
    pthread_mutex_destroy(&tg->siglock);
    free(tg);
}

/* Assigns a tid and links t into the kernel (kernel.lock held). */
void task_link_locked(struct kernel *k, struct task *t)
{
    /* Pids grow to a limit and wrap, skipping live ones (as Linux). */
    for (;;) {
        int tid = k->next_tid++;
        if (k->next_tid > 4194304)
            k->next_tid = 2;
        if (!kernel_find_task_locked(tid) && !kernel_find_tg_locked(tid)) {
            t->tid = tid;
            break;
        }
    }
    t->next = k->tasks;
    k->tasks = t;
    k->live_tasks++;
}

struct task *kernel_find_task_locked(int tid)
{
    for (struct task *t = g_kernel->tasks; t; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

/* Thread groups are found through their threads, or through zombies kept
 * on their parent's children list. */
static struct thread_group *find_tg_in(struct thread_group *tg, int tgid)
{
    for (; tg; tg = tg->sibling) {
        if (tg->tgid == tgid)
            return tg;
        struct thread_group *c = find_tg_in(tg->children, tgid);
        if (c)
            return c;
    }
    return NULL;
}

struct thread_group *kernel_find_tg_locked(int tgid)
{
    for (struct task *t = g_kernel->tasks; t; t = t->next)
        if (t->tg->tgid == tgid)
            return t->tg;
    struct thread_group *tg = g_kernel->init ? find_tg_in(g_kernel->init, tgid) : NULL;
    if (!tg)
        tg = find_tg_in(g_kernel->detached, tgid);
    return tg;
}

int task_new_init(struct kernel *k, struct mm *mm, struct fdtable *fdt, struct fs_context *fs,
                  const struct creds *creds, struct task **out)
{
    return task_new_process(k, mm, fdt, fs, creds, true, out);
}

int task_new_process(struct kernel *k, struct mm *mm, struct fdtable *fdt, struct fs_context *fs,
                     const struct creds *creds, bool is_init, struct task **out)
{
    struct task *t = task_alloc();
    struct thread_group *tg = tg_alloc();
    struct sighand *sh = calloc(1, sizeof(*sh));
    if (!t || !tg || !sh || creds_copy(&t->creds, creds) < 0) {
        free(sh);
        if (t)
            task_free(t);
        if (tg)
            tg_free(tg);
        return -ENOMEM;
    }
    sh->refs = 1;
    tg->sighand = sh;
    default_rlimits(tg->rlimits);
    /* Everything set before the task becomes visible on the kernel's lists. */
    t->tg = tg;
    t->mm = mm;
    t->fdt = fdt;
    t->fs = fs;
    platform_fpu_init(&t->regs);
    tg->leader = t;
    tg->tasks = t;
    tg->nr_threads = 1;
    pthread_mutex_lock(&k->lock);
    task_link_locked(k, t);
    tg->tgid = t->tid;
    tg->pgid = tg->sid = t->tid;
    if (is_init) {
        tg->is_init = true;
        k->init = tg;
    } else {
        /* Started from outside (runsc exec): no parent in the sandbox; the
         * control server waits for it. */
        tg->sibling = k->detached;
        k->detached = tg;
    }
    pthread_mutex_unlock(&k->lock);
    *out = t;
    return 0;
}

int kernel_wait_init(struct kernel *k)
{
    pthread_mutex_lock(&k->lock);
    while (!k->init_done)
        pthread_cond_wait(&k->cond, &k->lock);
    int s = k->init_status;
    pthread_mutex_unlock(&k->lock);
    return s;
}

/* Wakes joiners of a thread's CLONE_CHILD_CLEARTID and runs its robust list. */
static void thread_exit_mm_cleanup(struct task *t)
{
    if (!t->mm)
        return;
    futex_exit_robust_list(t);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (mm_copy_out(t->mm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
            futex_wake_addr(t->mm, t->clear_child_tid, false, 1, FUTEX_BITSET_MATCH_ANY);
    }
}

static void exit_common(struct task *t, int wait_status, bool group);

void task_exit(struct task *t, int wait_status, bool group)
{
    exit_common(t, wait_status, group);
    pthread_exit(NULL);
}

void task_exit_unstarted(struct task *t, int wait_status)
{
    exit_common(t, wait_status, true);
}

static void exit_common(struct task *t, int wait_status, bool group)
{
    struct kernel *k = g_kernel;
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&k->lock);
    pthread_mutex_lock(&tg->siglock);
    if (group && !tg->exiting) {
        tg->exiting = true;
        tg->exit_status = wait_status;
    } else if (!tg->exiting && tg->nr_threads == 1) {
        tg->exit_status = wait_status;
    }
    if (group)
        for (struct task *o = tg->tasks; o; o = o->tg_next)
            if (o != t) {
                o->exiting = true;
                task_interrupt(o);
            }
    pthread_mutex_unlock(&tg->siglock);
    pthread_mutex_unlock(&k->lock);

    thread_exit_mm_cleanup(t);
    process_vfork_release(t);

    pthread_mutex_lock(&t->ctx_lock);
    struct platform_ctx *ctx = t->ctx;
    t->ctx = NULL;
    pthread_mutex_unlock(&t->ctx_lock);
    if (ctx)
        k->pops->ctx_release(ctx);
    /* Readers (procfs) take references under kernel.lock: detach first. */
    pthread_mutex_lock(&k->lock);
    struct fdtable *fdt = t->fdt;
    struct fs_context *fs = t->fs;
    struct mm *mm = t->mm;
    t->fdt = NULL;
    t->fs = NULL;
    t->mm = NULL;
    pthread_mutex_unlock(&k->lock);
    fdt_put(fdt);
    fsctx_put(fs);
    if (mm)
        mm_put(mm);
    process_thread_gone(t); /* may free t (and the group) */
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int task_acct(struct task *t, int state)
{
    uint64_t now = mono_ns();
    uint64_t d = now - t->acct_mark_ns;
    int prev = t->acct_state;
    if (prev == TASK_ACCT_APP)
        __atomic_add_fetch(&t->utime_ns, d, __ATOMIC_RELAXED);
    else if (prev == TASK_ACCT_SYS)
        __atomic_add_fetch(&t->stime_ns, d, __ATOMIC_RELAXED);
    t->acct_state = state;
    t->acct_mark_ns = now;
    return prev;
}

void tg_cputime_locked(struct thread_group *tg, uint64_t *user_ns, uint64_t *sys_ns)
{
    uint64_t u = tg->exited_utime_ns, s = tg->exited_stime_ns;
    bool leader_live = false;
    for (struct task *o = tg->tasks; o; o = o->tg_next) {
        u += __atomic_load_n(&o->utime_ns, __ATOMIC_RELAXED);
        s += __atomic_load_n(&o->stime_ns, __ATOMIC_RELAXED);
        leader_live |= o == tg->leader;
    }
    if (tg->leader && !leader_live) {
        u += __atomic_load_n(&tg->leader->utime_ns, __ATOMIC_RELAXED);
        s += __atomic_load_n(&tg->leader->stime_ns, __ATOMIC_RELAXED);
    }
    *user_ns = u;
    *sys_ns = s;
}

static void *task_main(void *arg)
{
    struct task *t = arg;
    struct kernel *k = g_kernel;
    tls_task = t;
    t->acct_state = TASK_ACCT_SYS;
    t->acct_mark_ns = mono_ns();
    struct platform_ctx *ctx;
    int r = k->pops->new_ctx(k->platform, &ctx);
    if (r < 0) {
        log_error("task %d: creating platform context: %s", t->tid, strerror(-r));
        task_exit(t, SIGKILL, true);
    }
    pthread_mutex_lock(&t->ctx_lock);
    t->ctx = ctx;
    pthread_mutex_unlock(&t->ctx_lock);
    /* A signal may have arrived before the ctx existed. */
    control_freeze_point(t);
    signal_deliver(t, false, 0);
    for (;;) {
        struct platform_switch_info info;
        t->state = TASK_RUNNING;
        task_acct(t, TASK_ACCT_APP);
        r = k->pops->ctx_switch(t->ctx, t->mm->as, &t->regs, &info);
        task_acct(t, TASK_ACCT_SYS);
        if (r < 0) {
            log_error("task %d: platform switch failed: %s", t->tid, strerror(-r));
            task_exit(t, SIGKILL, true);
        }
        switch (info.event) {
        case PLATFORM_EV_SYSCALL: {
            long ret = syscall_dispatch(t);
            control_freeze_point(t);
            signal_deliver(t, ret != SYSCALL_NO_RESTART, ret);
            break;
        }
        case PLATFORM_EV_FAULT:
            r = mm_fault(t->mm, info.fault_addr, info.fault_access);
            if (r == -ENOMEM) {
                siginfo_t si = {0};
                si.si_signo = SIGKILL;
                signal_force(t, SIGKILL, &si);
            } else if (r == -EIO) {
                siginfo_t si = {0};
                si.si_signo = SIGBUS;
                si.si_code = BUS_ADRERR;
                si.si_addr = (void *)info.fault_addr;
                signal_force(t, SIGBUS, &si);
            } else if (r < 0) {
                siginfo_t si = {0};
                si.si_signo = SIGSEGV;
                si.si_code = r == -EACCES ? SEGV_ACCERR : SEGV_MAPERR;
                si.si_addr = (void *)info.fault_addr;
                log_debug("task %d: fault at %#llx (access %u, rip %#llx): %s", t->tid,
                          (unsigned long long)info.fault_addr, info.fault_access,
                          (unsigned long long)t->regs.gp.rip, strerror(-r));
                signal_force(t, SIGSEGV, &si);
            }
            control_freeze_point(t);
            signal_deliver(t, false, 0);
            break;
        case PLATFORM_EV_SIGNAL:
            signal_force(t, info.siginfo.si_signo, &info.siginfo);
            control_freeze_point(t);
            signal_deliver(t, false, 0);
            break;
        case PLATFORM_EV_INTERRUPTED:
            control_freeze_point(t);
            signal_deliver(t, false, 0);
            break;
        }
    }
    return NULL;
}

int task_start(struct task *t)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    int r = pthread_create(&t->thread, &attr, task_main, t);
    pthread_attr_destroy(&attr);
    return -r;
}
