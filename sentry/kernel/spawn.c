/* kernel_spawn: a new process from outside the sandbox. */
#include "sentry/kernel/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/process.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/loader/loader.h"

/* PROG on the PATH of envp when it has no slash, as execvp would inside the
 * container. */
static char *resolve_prog(struct task *t, const char *prog, char *const envp[])
{
    if (strchr(prog, '/'))
        return strdup(prog);
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], "PATH=", 5) == 0)
            path = envp[i] + 5;
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char cand[4096];
        snprintf(cand, sizeof(cand), "%s/%s", *dir ? dir : ".", prog);
        struct vfs_walk_ctx ctx;
        if (task_walk_ctx(t, AT_FDCWD, cand, &ctx) < 0)
            continue;
        struct vfs_path p;
        int r = vfs_walk(&ctx, cand, WALK_FOLLOW, &p);
        task_walk_ctx_release(&ctx);
        if (r == 0) {
            bool reg = S_ISREG(p.d->inode->mode);
            path_put(&p);
            if (reg) {
                free(copy);
                return strdup(cand);
            }
        }
    }
    free(copy);
    return strdup(prog);
}

static const char *exec_error(int r)
{
    switch (r) {
    case -ENOEXEC:
        return "exec format error";
    case -ENOENT:
        return "no such file or directory";
    case -EACCES:
        return "permission denied";
    default:
        return strerror(-r);
    }
}

int kernel_spawn(struct kernel *k, const struct spawn_args *a, struct task **out, char *msg,
                 size_t msg_size)
{
    char dummy[8];
    if (!msg) {
        msg = dummy;
        msg_size = sizeof(dummy);
    }
    msg[0] = '\0';
    if (!a->argv || !a->argv[0] || !a->argv[0][0]) {
        snprintf(msg, msg_size, "no program to run (process.args is empty)");
        return -EINVAL;
    }
    const char *cwd = a->cwd && a->cwd[0] ? a->cwd : "/";
    struct vfs_walk_ctx cctx = {
        .root = k->root, .start = k->root, .uid = a->creds->fsuid, .gid = a->creds->fsgid};
    struct vfs_path cwdp;
    int r = vfs_walk(&cctx, cwd, WALK_FOLLOW | WALK_DIRECTORY, &cwdp);
    if (r < 0) {
        snprintf(msg, msg_size, "chdir %s: %s", cwd, strerror(-r));
        return r;
    }
    struct fs_context *fsc;
    r = fsctx_new(&k->root, &cwdp, &fsc);
    path_put(&cwdp);
    if (r < 0)
        return r;
    fsc->umask = a->umask ? a->umask : 022;
    struct fdtable *fdt;
    r = fdt_new(&fdt);
    if (r < 0) {
        fsctx_put(fsc);
        return r;
    }
    for (int i = 0; i < 3; i++)
        if (a->stdio[i])
            fdt_install_at(fdt, i, a->stdio[i], 0, 1 << 20);
    struct mm *mm;
    r = mm_create(k->mf, k->pops, k->platform, &mm);
    if (r < 0) {
        snprintf(msg, msg_size, "creating the address space: %s", strerror(-r));
        fdt_put(fdt);
        fsctx_put(fsc);
        return r;
    }
    struct task *t;
    r = task_new_process(k, mm, fdt, fsc, a->creds, a->is_init, &t);
    if (r < 0) {
        mm_put(mm);
        fdt_put(fdt);
        fsctx_put(fsc);
        return r;
    }
    seccomp_spawn_attach(t); /* the container's linux.seccomp, if any */
    if (a->rlimits)
        for (int i = 0; i < RLIM_NLIMITS; i++)
            if (!a->rlimit_set || a->rlimit_set[i])
                t->tg->rlimits[i] = a->rlimits[i];
    char *prog = resolve_prog(t, a->argv[0], a->envp);
    if (!prog) {
        task_exit_unstarted(t, SIGKILL);
        return -ENOMEM;
    }
    const char *base = strrchr(prog, '/');
    snprintf(t->comm, sizeof(t->comm), "%s", base ? base + 1 : prog);
    struct loader_result res;
    r = loader_load(t, mm, prog, a->argv, a->envp, &res);
    if (r < 0) {
        snprintf(msg, msg_size, "exec %s: %s", a->argv[0], exec_error(r));
        free(prog);
        task_exit_unstarted(t, (r == -ENOENT ? 127 : 126) << 8);
        return r;
    }
    creds_commit(t, &res.creds);
    if (prog[0] == '/') {
        t->tg->exe = prog;
    } else {
        char *cwdname = vfs_path_name(&k->root, &fsc->cwd);
        size_t n = (cwdname ? strlen(cwdname) : 0) + strlen(prog) + 2;
        t->tg->exe = malloc(n);
        if (t->tg->exe)
            snprintf(t->tg->exe, n, "%s/%s", cwdname && strcmp(cwdname, "/") ? cwdname : "", prog);
        free(cwdname);
        free(prog);
    }
    loader_init_regs(&t->regs, &res);
    *out = t;
    return 0;
}
