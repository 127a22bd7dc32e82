/* The ptrace platform: the platform object, its creator thread, the ops.
 *
 * The creator thread is a host thread the platform starts in create() and
 * that lives until destroy(). It forks the master stub (a process holding
 * only the stub page and the MemoryFile) and traces it; every new address
 * space is a clone of the master (injected clone(CLONE_PARENT|CLONE_PTRACE)),
 * so creating one never forks the (big, multi-threaded) sentry, and every
 * stub's parent is this long-lived thread (PR_SET_PDEATHSIG follows the
 * parent *thread*). The creator thread also traces each stub's leader thread
 * and serves requests other host threads cannot do themselves because they
 * are not the tracer: clone a new stub thread, inject a syscall for a caller
 * without a ctx.
 *
 * Lock order: ptrace_as.mu, then ptrace_platform.mu.
 */
#include "platform/ptrace/ptrace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/ptrace/internal.h"
#include "platform/ptrace/stub.h"
#include "platform/ptrace/tracee.h"

static uint64_t read_mmap_min_addr(void)
{
    uint64_t v = 65536;
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");
    if (f) {
        unsigned long long x;
        if (fscanf(f, "%llu", &x) == 1)
            v = x;
        fclose(f);
    }
    v = (v + 4095) & ~4095ull;
    return v ? v : 4096;
}

static void serve(struct ptrace_platform *p, struct ptrace_req *req)
{
    const struct ptrace_stub *s = ptrace_stub_get();
    switch (req->kind) {
    case PTRACE_REQ_NEW_AS:
        req->result = ptrace_as_clone_process(p, req->as);
        break;
    case PTRACE_REQ_NEW_THREAD:
        req->result = ptrace_as_clone_thread(req->as, &req->thread);
        break;
    case PTRACE_REQ_SYSCALL: {
        long res = 0;
        int err = -ESRCH;
        if (!req->as->leader_gone)
            err = ptrace_inject(req->as->pid, &req->as->leader_regs, s->syscall_site,
                                s->syscall_ret, req->nr, req->args, &res);
        if (err == -ECHILD) {
            req->as->leader_gone = true;
            err = -ESRCH;
        }
        req->result = err ? err : res;
        break;
    }
    case PTRACE_REQ_QUIT:
        req->result = 0;
        break;
    }
}

/* Starts the master stub; on success it is stopped, traced by this thread. */
static int start_master(struct ptrace_platform *p)
{
    const struct ptrace_stub *s = ptrace_stub_get();
    if (!s)
        return -errno;
    if (platform_fpu_size() > PLATFORM_FPU_MAX)
        return -EOPNOTSUPP; /* e.g. AMX state: raise PLATFORM_FPU_MAX */
    pid_t pid = ptrace_stub_spawn_master(s, p->memfd);
    if (pid < 0)
        return pid;
    int status, err;
    if ((err = ptrace_wait(pid, &status)))
        return err;
    if (!WIFSTOPPED(status))
        return -ECHILD; /* the child's set-up failed (exit status 1..5) */
    p->master = pid;
    p->master_pidfd = pidfd_open(pid, 0); /* our stopped child: cannot be reaped meanwhile */
    if (p->master_pidfd < 0) {
        err = -errno;
        goto out_kill;
    }
    if (WSTOPSIG(status) != SIGTRAP) {
        err = -ECHILD;
        goto out_kill;
    }
    if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_STUB_OPTIONS) < 0) {
        err = -errno;
        goto out_kill;
    }
    if ((err = ptrace_get_regs(pid, &p->master_regs)))
        goto out_kill;
    if (p->master_regs.rip < s->entry || p->master_regs.rip >= s->base + s->size) {
        err = -EFAULT;
        goto out_kill;
    }
    uint8_t buf[PLATFORM_FPU_MAX] __attribute__((aligned(64)));
    uint32_t size = sizeof(buf);
    if ((err = ptrace_get_fpu(pid, buf, &size)))
        goto out_kill;
    p->xstate_size = size;
    return 0;
out_kill:
    kill(pid, SIGKILL); /* not reaped yet: the pid is still ours */
    ptrace_wait(pid, &status);
    if (p->master_pidfd >= 0)
        close(p->master_pidfd);
    p->master_pidfd = -1;
    p->master = 0;
    return err;
}

static void *creator_main(void *arg)
{
    struct ptrace_platform *p = arg;
    sigset_t all;
    sigfillset(&all);
    /* SIGRTMAX stays open: the sandbox's confinement uses it to make every
     * thread drop its capabilities (sentry/boot/confine.c). */
    sigdelset(&all, SIGRTMAX);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    int err = start_master(p);
    pthread_mutex_lock(&p->mu);
    p->creator_tid = (pid_t)syscall(SYS_gettid);
    p->start_err = err;
    p->started = true;
    pthread_cond_broadcast(&p->done_cond);
    pthread_mutex_unlock(&p->mu);
    if (err)
        return NULL;

    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->req_head)
            pthread_cond_wait(&p->req_cond, &p->mu);
        struct ptrace_req *req = p->req_head;
        p->req_head = req->next;
        if (!p->req_head)
            p->req_tail = &p->req_head;
        pthread_mutex_unlock(&p->mu);

        serve(p, req);
        bool quit = req->kind == PTRACE_REQ_QUIT;

        pthread_mutex_lock(&p->mu);
        req->done = true;
        pthread_cond_broadcast(&p->done_cond);
        pthread_mutex_unlock(&p->mu);
        if (quit)
            break;
    }
    siginfo_t si;
    pidfd_send_signal(p->master_pidfd, SIGKILL, NULL, 0);
    waitid(P_PIDFD, (id_t)p->master_pidfd, &si, WEXITED | __WALL);
    close(p->master_pidfd);
    return NULL;
}

long ptrace_creator_call(struct ptrace_platform *p, struct ptrace_req *req)
{
    req->done = false;
    req->next = NULL;
    pthread_mutex_lock(&p->mu);
    *p->req_tail = req;
    p->req_tail = &req->next;
    pthread_cond_signal(&p->req_cond);
    while (!req->done)
        pthread_cond_wait(&p->done_cond, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return req->result;
}

static void free_platform(struct ptrace_platform *p)
{
    pthread_cond_destroy(&p->req_cond);
    pthread_cond_destroy(&p->done_cond);
    pthread_mutex_destroy(&p->mu);
    if (p->memfd >= 0)
        close(p->memfd);
    free(p);
}

static int ptrace_create(int memfile_fd, int device_fd, struct platform **out)
{
    (void)device_fd;
    if (memfile_fd < 0)
        return -EBADF;
    if (!ptrace_stub_get())
        return -errno;
    struct ptrace_platform *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->master_pidfd = -1;
    p->memfd = fcntl(memfile_fd, F_DUPFD_CLOEXEC, 0);
    if (p->memfd < 0) {
        int err = -errno;
        free(p);
        return err;
    }
    p->min_addr = read_mmap_min_addr();
    p->max_addr = ptrace_stub_get()->base;
    atomic_init(&p->pin, true);
    p->sentry_pid = getpid();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->req_cond, NULL);
    pthread_cond_init(&p->done_cond, NULL);
    p->req_tail = &p->req_head;

    int err = pthread_create(&p->creator, NULL, creator_main, p);
    if (err) {
        free_platform(p);
        return -err;
    }
    pthread_mutex_lock(&p->mu);
    while (!p->started)
        pthread_cond_wait(&p->done_cond, &p->mu);
    err = p->start_err;
    pthread_mutex_unlock(&p->mu);
    if (err) {
        pthread_join(p->creator, NULL);
        free_platform(p);
        return err;
    }
    *out = (struct platform *)p;
    return 0;
}

/* Precondition: every as and ctx of p has been released. Address spaces
 * still alive are released here (their stubs would otherwise die with the
 * creator thread and stay zombies); a ctx left over must still be released
 * by its own thread. */
static void ptrace_destroy(struct platform *pl)
{
    if (!pl)
        return;
    struct ptrace_platform *p = ptrace_pp(pl);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        struct ptrace_as *as = p->ases;
        pthread_mutex_unlock(&p->mu);
        if (!as)
            break;
        ptrace_as_release((struct platform_as *)as);
    }
    struct ptrace_req req = {.kind = PTRACE_REQ_QUIT};
    ptrace_creator_call(p, &req);
    pthread_join(p->creator, NULL);
    free_platform(p);
}

static void ptrace_user_range(struct platform *pl, uint64_t *min_addr, uint64_t *max_addr)
{
    struct ptrace_platform *p = ptrace_pp(pl);
    *min_addr = p->min_addr;
    *max_addr = p->max_addr;
}

void ptrace_set_pinning(struct platform *p, bool on)
{
    atomic_store(&ptrace_pp(p)->pin, on);
}

static const int g_host_syscalls[] = {
    /* tracer threads */
    SYS_ptrace, SYS_wait4, SYS_waitid, SYS_kill, SYS_tgkill, SYS_process_vm_readv,
    SYS_sched_setaffinity, SYS_getcpu, SYS_gettid, SYS_getpid, SYS_futex, SYS_pidfd_open,
    SYS_pidfd_send_signal, SYS_close,
    /* create(): the stub page, the creator thread, the master stub */
    SYS_mmap, SYS_mprotect, SYS_munmap, SYS_clone, SYS_clone3, SYS_fcntl, SYS_openat, SYS_read,
    SYS_rt_sigprocmask, SYS_set_robust_list, SYS_rseq,
    /* the forked master until its own filter is in place */
    SYS_prctl, SYS_getppid, SYS_setsid, SYS_chdir, SYS_rt_sigaction, SYS_sigaltstack, SYS_dup3,
    SYS_close_range, SYS_seccomp, SYS_capset, SYS_exit_group, SYS_exit, SYS_pause, -1};

const struct platform_ops ptrace_platform_ops = {
    .name = "ptrace",
    .caps = PLATFORM_SUPPORTS_ADDR_SPACES,
    .host_syscalls = g_host_syscalls,
    .create = ptrace_create,
    .destroy = ptrace_destroy,
    .user_range = ptrace_user_range,
    .new_as = ptrace_new_as,
    .as_map = ptrace_as_map,
    .as_unmap = ptrace_as_unmap,
    .as_release = ptrace_as_release,
    .new_ctx = ptrace_new_ctx,
    .ctx_switch = ptrace_ctx_switch,
    .ctx_interrupt = ptrace_ctx_interrupt,
    .ctx_release = ptrace_ctx_release,
};
