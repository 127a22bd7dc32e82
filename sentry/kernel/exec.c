/* execve: a new image for the calling task. #! scripts are resolved here
 * (nested up to Linux's limit of 4 interpreters); ELF goes to the loader. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/process.h"
#include "sentry/kernel/timer.h"
#include "sentry/loader/loader.h"

#define MAX_INTERP_DEPTH 4
#define BINPRM_BUF_SIZE 256

/* Reads the first bytes of path (which must be an executable regular file). */
static ssize_t read_head(struct task *t, const char *path, char *buf, size_t n)
{
    struct vfs_walk_ctx ctx;
    int r = task_walk_ctx(t, AT_FDCWD, path, &ctx);
    if (r < 0)
        return r;
    /* Only a regular file is read: anything else is EACCES before it is
     * opened (opening a FIFO would wait for a writer, or count as a
     * reader). */
    struct vfs_path p;
    r = vfs_walk(&ctx, path, WALK_FOLLOW, &p);
    if (r == 0) {
        bool reg = S_ISREG(p.d->inode->mode);
        path_put(&p);
        if (!reg)
            r = -EACCES;
    }
    struct file *f;
    if (r == 0)
        r = vfs_open(&ctx, path, O_RDONLY, 0, &f);
    task_walk_ctx_release(&ctx);
    if (r == -EISDIR)
        return -EACCES;
    if (r < 0)
        return r;
    ssize_t got = 0;
    if (!S_ISREG(f->inode->mode))
        got = -EACCES;
    else
        got = vfs_pread(f, buf, n, 0);
    file_put(f);
    return got;
}

/* Parses "#!interp [arg]" (the first line, at most BINPRM_BUF_SIZE). */
static int parse_shebang(char *buf, size_t len, char **interp, char **arg)
{
    buf[len < BINPRM_BUF_SIZE ? len : BINPRM_BUF_SIZE - 1] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = '\0';
    char *p = buf + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return -ENOEXEC;
    char *end = p;
    while (*end && *end != ' ' && *end != '\t')
        end++;
    char *rest = end;
    if (*rest) {
        *rest++ = '\0';
        while (*rest == ' ' || *rest == '\t')
            rest++;
        size_t rl = strlen(rest);
        while (rl > 0 && (rest[rl - 1] == ' ' || rest[rl - 1] == '\t'))
            rest[--rl] = '\0';
    }
    *interp = p;
    *arg = *rest ? rest : NULL;
    return 0;
}

static char *abs_path(struct task *t, const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    pthread_mutex_lock(&t->fs->lock);
    char *cwd = vfs_path_name(&t->fs->root, &t->fs->cwd);
    pthread_mutex_unlock(&t->fs->lock);
    if (!cwd)
        return NULL;
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
    free(cwd);
    return out;
}

/* Kills the other threads of the group and waits until they are gone. */
static int de_thread(struct task *t)
{
    struct kernel *k = g_kernel;
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&k->lock);
    if (tg->exiting) {
        pthread_mutex_unlock(&k->lock);
        return -EINTR;
    }
    for (struct task *o = tg->tasks; o; o = o->tg_next)
        if (o != t) {
            o->exiting = true;
            o->exit_status = 0;
            task_interrupt(o);
        }
    while (tg->nr_threads > 1 && !tg->exiting) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10000000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&k->cond, &k->lock, &ts);
    }
    if (tg->exiting) {
        pthread_mutex_unlock(&k->lock);
        return -EINTR;
    }
    if (tg->leader != t) {
        /* The exec'ing thread takes over the group's pid. */
        struct task *old = tg->leader;
        t->tid = tg->tgid;
        tg->leader = t;
        if (old && old != t)
            task_free(old);
    }
    pthread_mutex_unlock(&k->lock);
    return 0;
}

long task_execve(struct task *t, const char *path, char *const argv[], char *const envp[],
                 int dirfd, int at_flags)
{
    (void)dirfd;
    (void)at_flags;
    /* Resolve #! chains into the final argv. */
    size_t argc = 0;
    while (argv[argc])
        argc++;
    size_t cap = argc + 2 * MAX_INTERP_DEPTH + 2;
    char **av = calloc(cap, sizeof(char *));
    char **owned = calloc(MAX_INTERP_DEPTH * 3 + 2, sizeof(char *));
    size_t nowned = 0;
    if (!av || !owned) {
        free(av);
        free(owned);
        return -ENOMEM;
    }
    for (size_t i = 0; i < argc; i++)
        av[i] = argv[i];
    const char *file = path;
    long r;
    int depth = 0;
    for (;;) {
        char buf[BINPRM_BUF_SIZE + 1];
        ssize_t n = read_head(t, file, buf, BINPRM_BUF_SIZE);
        if (n < 0) {
            r = n;
            goto out;
        }
        if (n < 2 || buf[0] != '#' || buf[1] != '!')
            break;
        if (++depth > MAX_INTERP_DEPTH) {
            r = -ELOOP;
            goto out;
        }
        char *interp, *arg;
        r = parse_shebang(buf, (size_t)n, &interp, &arg);
        if (r < 0)
            goto out;
        char *ip = strdup(interp), *ap = arg ? strdup(arg) : NULL, *fp = strdup(file);
        owned[nowned++] = ip;
        owned[nowned++] = ap;
        owned[nowned++] = fp;
        /* argv: interp [arg] file argv[1..] */
        size_t shift = ap ? 2 : 1;
        size_t cur = 0;
        while (av[cur])
            cur++;
        size_t keep = cur > 0 ? cur - 1 : 0; /* argv[0] is replaced by the file */
        memmove(av + shift + 1, av + 1, keep * sizeof(char *));
        av[0] = ip;
        if (ap)
            av[1] = ap;
        av[shift] = fp;
        av[shift + 1 + keep] = NULL;
        file = ip;
    }

    struct mm *mm;
    r = mm_create(t->mm->mf, t->mm->pops, t->mm->platform, &mm);
    if (r < 0)
        goto out;
    struct loader_result res;
    r = loader_load(t, mm, file, av, envp, &res);
    if (r < 0) {
        mm_put(mm);
        goto out;
    }
    /* The point of no return. */
    r = de_thread(t);
    if (r < 0) {
        mm_put(mm);
        goto out;
    }
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (mm_copy_out(t->mm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
            futex_wake_addr(t->mm, t->clear_child_tid, false, 1, FUTEX_BITSET_ANY);
        t->clear_child_tid = 0;
    }
    t->robust_list = 0;
    /* Swap under kernel.lock (procfs takes references under it). */
    struct fdtable *nfdt = NULL;
    if (t->fdt->refs > 1 && fdt_dup_table(t->fdt, &nfdt) < 0)
        nfdt = NULL;
    pthread_mutex_lock(&g_kernel->lock);
    struct mm *old = t->mm;
    t->mm = mm;
    struct fdtable *old_fdt = NULL;
    if (nfdt) {
        old_fdt = t->fdt;
        t->fdt = nfdt;
    }
    pthread_mutex_unlock(&g_kernel->lock);
    mm_put(old);
    if (old_fdt)
        fdt_put(old_fdt);
    fdt_close_on_exec(t->fdt);
    creds_commit(t, &res.creds);
    signal_exec_reset(t);
    timer_tg_exec(t->tg);
    const char *base = strrchr(path, '/');
    snprintf(t->comm, sizeof(t->comm), "%s", base ? base + 1 : path);
    char *exe = abs_path(t, file);
    pthread_mutex_lock(&g_kernel->lock);
    free(t->tg->exe);
    t->tg->exe = exe;
    pthread_mutex_unlock(&g_kernel->lock);
    process_vfork_release(t);
    loader_init_regs(&t->regs, &res);
    r = 0;
out:
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(av);
    return r;
}
