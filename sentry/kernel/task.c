/* Tasks: creation, the run loop, exit.
 *
 * The loop: switch into the application through the platform; serve the
 * system call, fault or signal that comes back; repeat until the task exits.
 * Lock order: kernel.tasks_lock -> tg->lock -> mm->lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/log.h"
#include "sentry/kernel/kernel.h"
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
    pthread_mutex_init(&k->tasks_lock, NULL);
    pthread_cond_init(&k->tasks_cond, NULL);
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

void fsctx_put(struct fs_context *fs)
{
    if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    path_put(&fs->root);
    path_put(&fs->cwd);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
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
    ctx->uid = t->creds.fsuid;
    ctx->gid = t->creds.fsgid;
    return 0;
}

void task_walk_ctx_release(struct vfs_walk_ctx *ctx)
{
    path_put(&ctx->root);
    path_put(&ctx->start);
}

uint64_t task_rlimit_cur(struct task *t, int resource)
{
    pthread_mutex_lock(&t->tg->lock);
    uint64_t v = t->tg->rlimits[resource].rlim_cur;
    pthread_mutex_unlock(&t->tg->lock);
    return v;
}

static void default_rlimits(struct rlimit *rl)
{
    for (int i = 0; i < RLIM_NLIMITS; i++)
        rl[i].rlim_cur = rl[i].rlim_max = RLIM_INFINITY;
    rl[RLIMIT_NOFILE].rlim_cur = rl[RLIMIT_NOFILE].rlim_max = 1048576;
    rl[RLIMIT_NOFILE].rlim_cur = 1024;
    rl[RLIMIT_STACK].rlim_cur = 8 << 20;
    rl[RLIMIT_CORE].rlim_cur = 0;
    rl[RLIMIT_NPROC].rlim_cur = rl[RLIMIT_NPROC].rlim_max = 63439;
    rl[RLIMIT_SIGPENDING].rlim_cur = rl[RLIMIT_SIGPENDING].rlim_max = 63439;
    rl[RLIMIT_MEMLOCK].rlim_cur = rl[RLIMIT_MEMLOCK].rlim_max = 8 << 20;
    rl[RLIMIT_MSGQUEUE].rlim_cur = rl[RLIMIT_MSGQUEUE].rlim_max = 819200;
}

int task_new_init(struct kernel *k, struct mm *mm, struct fdtable *fdt, struct fs_context *fs,
                  const struct creds *creds, struct task **out)
{
    struct task *t = calloc(1, sizeof(*t));
    struct thread_group *tg = calloc(1, sizeof(*tg));
    if (!t || !tg) {
        free(t);
        free(tg);
        return -ENOMEM;
    }
    pthread_mutex_init(&tg->lock, NULL);
    tg->refs = 1;
    tg->leader = t;
    tg->nr_threads = 1;
    default_rlimits(tg->rlimits);
    pthread_mutex_lock(&k->tasks_lock);
    t->tid = k->next_tid++;
    t->next = k->tasks;
    k->tasks = t;
    k->live_tasks++;
    pthread_mutex_unlock(&k->tasks_lock);
    tg->tgid = t->tid;
    tg->pgid = tg->sid = t->tid;
    t->tg = tg;
    t->mm = mm;
    t->fdt = fdt;
    t->fs = fs;
    t->creds = *creds;
    t->altstack.ss_flags = SS_DISABLE;
    platform_fpu_init(&t->regs);
    *out = t;
    return 0;
}

/* Unlinks t from the kernel's list and wakes kernel_wait_init. */
static void task_unlink(struct task *t)
{
    struct kernel *k = g_kernel;
    pthread_mutex_lock(&k->tasks_lock);
    for (struct task **pp = &k->tasks; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    k->live_tasks--;
    pthread_cond_broadcast(&k->tasks_cond);
    pthread_mutex_unlock(&k->tasks_lock);
}

void task_exit(struct task *t, int wait_status, bool group)
{
    struct kernel *k = g_kernel;
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&tg->lock);
    if (group || tg->nr_threads == 1) {
        if (!tg->exiting) {
            tg->exiting = true;
            tg->exit_status = wait_status;
        }
    }
    bool last = --tg->nr_threads == 0;
    int status = tg->exit_status;
    pthread_mutex_unlock(&tg->lock);

    if (t->clear_child_tid) {
        uint32_t zero = 0;
        mm_copy_out(t->mm, t->clear_child_tid, &zero, sizeof(zero));
    }
    if (t->ctx)
        k->pops->ctx_release(t->ctx);
    t->ctx = NULL;
    fdt_put(t->fdt);
    fsctx_put(t->fs);
    mm_put(t->mm);
    t->fdt = NULL;
    t->fs = NULL;
    t->mm = NULL;
    if (last && tg->tgid == 1) {
        pthread_mutex_lock(&k->tasks_lock);
        k->init_status = status;
        k->init_done = true;
        pthread_mutex_unlock(&k->tasks_lock);
    }
    task_unlink(t);
    pthread_exit(NULL);
}

int kernel_wait_init(struct kernel *k)
{
    pthread_mutex_lock(&k->tasks_lock);
    while (!k->init_done)
        pthread_cond_wait(&k->tasks_cond, &k->tasks_lock);
    int s = k->init_status;
    pthread_mutex_unlock(&k->tasks_lock);
    return s;
}

/* A fatal synchronous signal with no handler (delivery comes with the
 * signals issue): the thread group dies of it. */
static void task_die_of_signal(struct task *t, int sig)
{
    log_debug("task %d: killed by signal %d", t->tid, sig);
    task_exit(t, sig, true);
}

static void *task_main(void *arg)
{
    struct task *t = arg;
    struct kernel *k = g_kernel;
    tls_task = t;
    int r = k->pops->new_ctx(k->platform, &t->ctx);
    if (r < 0) {
        log_error("task %d: creating platform context: %s", t->tid, strerror(-r));
        task_exit(t, SIGKILL, true);
    }
    for (;;) {
        struct platform_switch_info info;
        r = k->pops->ctx_switch(t->ctx, t->mm->as, &t->regs, &info);
        if (r < 0) {
            log_error("task %d: platform switch failed: %s", t->tid, strerror(-r));
            task_exit(t, SIGKILL, true);
        }
        switch (info.event) {
        case PLATFORM_EV_SYSCALL:
            syscall_dispatch(t);
            break;
        case PLATFORM_EV_FAULT:
            r = mm_fault(t->mm, info.fault_addr, info.fault_access);
            if (r == -ENOMEM) {
                task_die_of_signal(t, SIGKILL);
            } else if (r < 0) {
                log_debug("task %d: fault at %#llx (access %u, rip %#llx): %s", t->tid,
                          (unsigned long long)info.fault_addr, info.fault_access,
                          (unsigned long long)t->regs.gp.rip, strerror(-r));
                task_die_of_signal(t, SIGSEGV);
            }
            break;
        case PLATFORM_EV_SIGNAL:
            task_die_of_signal(t, info.siginfo.si_signo);
            break;
        case PLATFORM_EV_INTERRUPTED:
            break;
        }
        if (t->exiting)
            task_exit(t, t->exit_status, false);
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
