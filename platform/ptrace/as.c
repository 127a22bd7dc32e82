/* Address spaces: one stub process each.
 *
 * The leader thread of the process is traced by the creator thread and runs
 * only injected system calls. Windows of the MemoryFile are mapped with an
 * injected mmap(MAP_SHARED|MAP_FIXED, PTRACE_STUB_MEMFD, off): from the
 * calling host thread's own stub thread when it has a ctx (one stop, no
 * thread hand-off), else through the creator thread and the leader.
 *
 * as->threads holds every other thread of the stub: owned ones (traced by a
 * ctx's host thread) and parked ones (untraced, in the pause() loop, waiting
 * for the next ctx that needs a thread here).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "platform/ptrace/internal.h"
#include "platform/ptrace/ptrace.h"
#include "platform/ptrace/stub.h"
#include "platform/ptrace/tracee.h"

static void as_free(struct ptrace_as *as)
{
    pthread_mutex_destroy(&as->mu);
    free(as);
}

void ptrace_as_unref(struct ptrace_as *as)
{
    if (atomic_fetch_sub(&as->refs, 1) == 1)
        as_free(as);
}

int ptrace_new_as(struct platform *pl, struct platform_as **out)
{
    struct ptrace_platform *p = ptrace_pp(pl);
    struct ptrace_as *as = calloc(1, sizeof(*as));
    if (!as)
        return -ENOMEM;
    as->p = p;
    as->pidfd = -1;
    pthread_mutex_init(&as->mu, NULL);
    atomic_init(&as->refs, 1);
    struct ptrace_req req = {.kind = PTRACE_REQ_NEW_AS, .as = as};
    long r = ptrace_creator_call(p, &req);
    if (r < 0) {
        as_free(as);
        return (int)r;
    }
    pthread_mutex_lock(&p->mu);
    as->p_next = p->ases;
    p->ases = as;
    pthread_mutex_unlock(&p->mu);
    *out = (struct platform_as *)as;
    return 0;
}

/* Creator thread. The new process is a copy of the master (stub page and
 * memfd only) whose parent is the creator thread (CLONE_PARENT) and which is
 * traced from its first instruction (CLONE_PTRACE: it starts with SIGSTOP). */
long ptrace_as_clone_process(struct ptrace_platform *p, struct ptrace_as *as)
{
    const struct ptrace_stub *s = ptrace_stub_get();
    const uint64_t clone_args[6] = {CLONE_PARENT | CLONE_PTRACE};
    long child = 0;
    if (p->master_gone)
        return -ESRCH;
    int err = ptrace_inject(p->master, &p->master_regs, s->clone_site, s->clone_ret, SYS_clone,
                            clone_args, &child);
    if (err == -ECHILD)
        p->master_gone = true;
    if (err)
        return err == -ECHILD ? -ESRCH : err;
    if (child < 0)
        return child;
    int status;
    for (;;) {
        if ((err = ptrace_wait((pid_t)child, &status)))
            return err;
        if (!WIFSTOPPED(status))
            return -ECHILD;
        if (WSTOPSIG(status) == SIGSTOP)
            break;
        ptrace(PTRACE_CONT, child, NULL, NULL);
    }
    int pidfd = pidfd_open((pid_t)child, 0); /* stopped and traced: not reapable meanwhile */
    if (pidfd < 0) {
        err = -errno;
        kill((pid_t)child, SIGKILL);
        ptrace_wait((pid_t)child, &status);
        return err;
    }
    /* Its parent (this thread) is alive while it is traced, so no race. */
    const uint64_t prctl_args[6] = {PR_SET_PDEATHSIG, SIGKILL};
    long res = 0;
    err = ptrace_inject((pid_t)child, &p->master_regs, s->syscall_site, s->syscall_ret, SYS_prctl,
                        prctl_args, &res);
    if (err || res) {
        siginfo_t si;
        pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL);
        close(pidfd);
        return err == -ECHILD ? -ESRCH : err ? err : res;
    }
    as->pid = (pid_t)child;
    as->pidfd = pidfd;
    as->leader_regs = p->master_regs;
    return 0;
}

/* Creator thread. The new thread starts untraced after the clone site and
 * parks; the caller seizes it. */
long ptrace_as_clone_thread(struct ptrace_as *as, struct ptrace_thread **out)
{
    const struct ptrace_stub *s = ptrace_stub_get();
    const uint64_t args[6] = {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                              CLONE_SYSVSEM};
    long tid = 0;
    if (as->leader_gone)
        return -ESRCH;
    int err = ptrace_inject(as->pid, &as->leader_regs, s->clone_site, s->clone_ret, SYS_clone, args,
                            &tid);
    if (err == -ECHILD)
        as->leader_gone = true;
    if (err)
        return err == -ECHILD ? -ESRCH : err;
    if (tid < 0)
        return tid;
    size_t size = (sizeof(struct ptrace_thread) + 63) & ~(size_t)63;
    struct ptrace_thread *t = aligned_alloc(64, size);
    if (!t)
        return -ENOMEM; /* the parked thread stays in the stub until it dies */
    memset(t, 0, size);
    t->tid = (pid_t)tid;
    t->pid = as->pid;
    t->as = as;
    t->owned = true;
    t->cpu = -1;
    atomic_fetch_add(&as->refs, 1);
    pthread_mutex_lock(&as->mu);
    t->as_next = as->threads;
    as->threads = t;
    pthread_mutex_unlock(&as->mu);
    *out = t;
    return 0;
}

/* One syscall in the stub: from the caller's own stub thread when it has a
 * ctx on this platform, else through the creator thread. */
static long as_syscall(struct ptrace_as *as, long nr, const uint64_t args[6])
{
    struct ptrace_ctx *ctx = ptrace_current_ctx(as->p);
    if (!ctx) {
        struct ptrace_req req = {.kind = PTRACE_REQ_SYSCALL, .as = as, .nr = nr};
        memcpy(req.args, args, sizeof(req.args));
        return ptrace_creator_call(as->p, &req);
    }
    struct ptrace_thread *t;
    int err = ptrace_ctx_thread(ctx, as, &t);
    if (err)
        return err;
    if (t->reaped)
        return -ESRCH;
    ptrace_ctx_pin(ctx, t);
    const struct ptrace_stub *s = ptrace_stub_get();
    long res = 0;
    err = ptrace_inject(t->tid, &t->init_regs, s->syscall_site, s->syscall_ret, nr, args, &res);
    if (err == -ECHILD) {
        t->reaped = true;
        err = -ESRCH;
    }
    return err ? err : res;
}

static int check_range(const struct ptrace_platform *p, uint64_t addr, uint64_t len)
{
    if (len == 0 || ((addr | len) & 4095) || addr + len < addr)
        return -EINVAL;
    if (addr < p->min_addr || addr + len > p->max_addr)
        return -EINVAL;
    return 0;
}

int ptrace_as_map(struct platform_as *pas, uint64_t addr, uint64_t len, uint64_t off, int prot)
{
    struct ptrace_as *as = ptrace_pas(pas);
    int err = check_range(as->p, addr, len);
    if (err)
        return err;
    if ((off & 4095) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    const uint64_t args[6] = {addr, len, (uint64_t)prot, MAP_SHARED | MAP_FIXED, PTRACE_STUB_MEMFD,
                              off};
    long r = as_syscall(as, SYS_mmap, args);
    if (r < 0 && r > -4096)
        return (int)r;
    return (uint64_t)r == addr ? 0 : -EFAULT;
}

int ptrace_as_unmap(struct platform_as *pas, uint64_t addr, uint64_t len)
{
    struct ptrace_as *as = ptrace_pas(pas);
    int err = check_range(as->p, addr, len);
    if (err)
        return err;
    const uint64_t args[6] = {addr, len};
    return (int)as_syscall(as, SYS_munmap, args);
}

void ptrace_as_release(struct platform_as *pas)
{
    if (!pas)
        return;
    struct ptrace_as *as = ptrace_pas(pas);
    struct ptrace_platform *p = as->p;
    pthread_mutex_lock(&p->mu);
    for (struct ptrace_as **pp = &p->ases; *pp; pp = &(*pp)->p_next) {
        if (*pp == as) {
            *pp = as->p_next;
            break;
        }
    }
    pthread_mutex_unlock(&p->mu);

    int status;
    pthread_mutex_lock(&as->mu);
    as->dead = true;
    pidfd_send_signal(as->pidfd, SIGKILL, NULL, 0);
    /* Reap the threads first (a leader is reapable only after them). Any
     * sentry thread may reap another one's tracees. Parked threads are not
     * traced and reap themselves: their tids may be stale, do not wait. */
    struct ptrace_thread *t = as->threads;
    as->threads = NULL;
    while (t) {
        struct ptrace_thread *next = t->as_next;
        if (t->owned && !t->reaped)
            ptrace_wait(t->tid, &status);
        t->as_next = NULL;
        if (t->owned) {
            t->dead = true; /* its ctx frees it */
        } else {
            free(t);
            atomic_fetch_sub(&as->refs, 1); /* the sentry's ref keeps as alive */
        }
        t = next;
    }
    siginfo_t si;
    waitid(P_PIDFD, (id_t)as->pidfd, &si, WEXITED | __WALL);
    close(as->pidfd);
    as->pidfd = -1;
    pthread_mutex_unlock(&as->mu);
    ptrace_as_unref(as);
}

pid_t ptrace_as_pid(struct platform_as *as)
{
    return ptrace_pas(as)->pid;
}

long ptrace_as_syscall(struct platform_as *pas, long nr, const uint64_t args[6])
{
    struct ptrace_as *as = ptrace_pas(pas);
    struct ptrace_req req = {.kind = PTRACE_REQ_SYSCALL, .as = as, .nr = nr};
    memcpy(req.args, args, sizeof(req.args));
    return ptrace_creator_call(as->p, &req);
}
