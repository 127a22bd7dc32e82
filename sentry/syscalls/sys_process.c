/* clone, clone3, fork, vfork, execve, execveat, wait4, waitid, setpgid,
 * setsid, getpgid, getsid, getpgrp, kill, tkill, tgkill, getrusage, times. */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>

#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/process.h"
#include "sentry/syscalls/internal.h"

#define MAX_ARG_STRINGS 0x7fffffff
#define MAX_ARG_TOTAL (2u << 20)

long sys_clone(struct task *t, const struct syscall_args *args)
{
    /* x86-64 order: flags, stack, parent_tid, child_tid, tls. Linux reads
     * only the low 32 bits of clone()'s flags. */
    uint64_t flags = (uint32_t)ARG_U64(0);
    /* clone() returns the pidfd through parent_tid, so not both. */
    if ((flags & CLONE_PIDFD) && (flags & CLONE_PARENT_SETTID))
        return -EINVAL;
    return task_clone(t, flags & ~0xffull, ARG_U64(1), ARG_U64(2), ARG_U64(3), ARG_U64(4),
                      (int)(flags & 0xff), (flags & CLONE_PIDFD) ? ARG_U64(2) : 0);
}

#define CLONE3_KNOWN_FLAGS (0xffffffffull | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)
#define CLONE3_MAX_SET_TID 32 /* Linux's MAX_PID_NS_LEVEL */

/* Linux's checks, in its order: the size (E2BIG past a page or for non-zero
 * bytes past the struct this kernel knows, EINVAL below the first version),
 * then the arguments (EINVAL). */
long sys_clone3(struct task *t, const struct syscall_args *args)
{
    struct clone_args ca;
    uint64_t addr = ARG_U64(0), size = ARG_U64(1);
    if (size > 4096)
        return -E2BIG;
    if (size < CLONE_ARGS_SIZE_VER0)
        return -EINVAL;
    for (uint64_t off = sizeof(ca); off < size;) {
        uint8_t tail[256];
        size_t n = size - off < sizeof(tail) ? size - off : sizeof(tail);
        int r = mm_copy_in(t->mm, addr + off, tail, n);
        if (r < 0)
            return r;
        for (size_t i = 0; i < n; i++)
            if (tail[i])
                return -E2BIG;
        off += n;
    }
    memset(&ca, 0, sizeof(ca));
    int r = mm_copy_in(t->mm, addr, &ca, size < sizeof(ca) ? size : sizeof(ca));
    if (r < 0)
        return r;
    if (ca.set_tid_size > CLONE3_MAX_SET_TID || (!ca.set_tid) != (!ca.set_tid_size))
        return -EINVAL;
    if ((ca.exit_signal & ~0xffull) || ca.exit_signal > KERNEL_NSIG)
        return -EINVAL;
    if ((ca.flags & CLONE_INTO_CGROUP) && (ca.cgroup > INT_MAX || size < CLONE_ARGS_SIZE_VER2))
        return -EINVAL;
    if (ca.flags & ~CLONE3_KNOWN_FLAGS)
        return -EINVAL;
    /* The exit-signal bits and CLONE_DETACHED are not flags in clone3. */
    if (ca.flags & (0xffull | CLONE_DETACHED))
        return -EINVAL;
    if ((ca.flags & CLONE_SIGHAND) && (ca.flags & CLONE_CLEAR_SIGHAND))
        return -EINVAL;
    if ((ca.flags & (CLONE_THREAD | CLONE_PARENT)) && ca.exit_signal)
        return -EINVAL;
    if ((ca.stack == 0) != (ca.stack_size == 0))
        return -EINVAL;
    if (ca.stack && (ca.stack_size > MM_TASK_SIZE || ca.stack > MM_TASK_SIZE - ca.stack_size))
        return -EINVAL;
    /* Choosing the child's pid is not supported. */
    if (ca.set_tid)
        return -EINVAL;
    /* Linux answers EBADF for an fd that is not open and for one that is
     * not a cgroup v2 directory; the sentry has no cgroup v2 hierarchy, so
     * no fd is one. */
    if (ca.flags & CLONE_INTO_CGROUP)
        return -EBADF;
    uint64_t flags = ca.flags & 0xffffffffull;
    if (ca.flags & CLONE_CLEAR_SIGHAND)
        flags |= TASK_CLONE_CLEAR_SIGHAND;
    uint64_t stack = ca.stack ? ca.stack + ca.stack_size : 0;
    return task_clone(t, flags, stack, ca.parent_tid, ca.child_tid, ca.tls, (int)ca.exit_signal,
                      ca.pidfd);
}

long sys_fork(struct task *t, const struct syscall_args *args)
{
    return task_clone(t, 0, 0, 0, 0, 0, SIGCHLD, 0);
}

long sys_vfork(struct task *t, const struct syscall_args *args)
{
    return task_clone(t, CLONE_VM | CLONE_VFORK, 0, 0, 0, 0, SIGCHLD, 0);
}

/* Copies a NULL-terminated array of strings from the application. */
static int copy_strv(struct task *t, uint64_t addr, char ***out, size_t *total)
{
    size_t n = 0, cap = 16;
    char **v = calloc(cap, sizeof(char *));
    if (!v)
        return -ENOMEM;
    int r = 0;
    while (addr) {
        uint64_t p;
        r = mm_copy_in(t->mm, addr + n * 8, &p, 8);
        if (r < 0)
            break;
        if (!p)
            break;
        if (n + 1 >= cap) {
            cap *= 2;
            char **nv = realloc(v, cap * sizeof(char *));
            if (!nv) {
                r = -ENOMEM;
                break;
            }
            v = nv;
        }
        char *s = malloc(PATH_MAX * 4);
        if (!s) {
            r = -ENOMEM;
            break;
        }
        ssize_t len = mm_copy_in_string(t->mm, p, s, PATH_MAX * 4);
        if (len < 0) {
            free(s);
            r = len == -ENAMETOOLONG ? -E2BIG : (int)len;
            break;
        }
        *total += (size_t)len + 1;
        if (*total > MAX_ARG_TOTAL) {
            free(s);
            r = -E2BIG;
            break;
        }
        v[n++] = s;
        v[n] = NULL;
    }
    if (r < 0) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return r;
    }
    v[n] = NULL;
    *out = v;
    return 0;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static long do_execveat(struct task *t, int dirfd, uint64_t path_addr, uint64_t argv_addr,
                        uint64_t envp_addr, int flags)
{
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    char path[PATH_MAX];
    int r = sc_copy_path(t, path_addr, path);
    if (r < 0)
        return r;
    char full[PATH_MAX * 2];
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        struct file *f = sc_file(t, dirfd);
        if (!f)
            return -EBADF;
        char *dir = f->path.d ? vfs_path_name(&t->fs->root, &f->path) : NULL;
        file_put(f);
        if (!dir)
            return -ENOENT;
        if (!path[0] && (flags & AT_EMPTY_PATH))
            snprintf(full, sizeof(full), "%s", dir);
        else if (!path[0])
            r = -ENOENT;
        else
            snprintf(full, sizeof(full), "%s/%s", dir, path);
        free(dir);
        if (r < 0)
            return r;
    } else {
        if (!path[0])
            return -ENOENT;
        snprintf(full, sizeof(full), "%s", path);
    }
    size_t total = 0;
    char **argv = NULL, **envp = NULL;
    r = copy_strv(t, argv_addr, &argv, &total);
    if (r < 0)
        return r;
    r = copy_strv(t, envp_addr, &envp, &total);
    if (r < 0) {
        free_strv(argv);
        return r;
    }
    if (flags & AT_SYMLINK_NOFOLLOW) {
        struct vfs_path p;
        r = sc_resolve_at(t, AT_FDCWD, full, AT_SYMLINK_NOFOLLOW, &p);
        if (r == 0) {
            if (S_ISLNK(p.d->inode->mode))
                r = -ELOOP;
            path_put(&p);
        }
        if (r < 0) {
            free_strv(argv);
            free_strv(envp);
            return r;
        }
    }
    long ret = task_execve(t, full, argv, envp, AT_FDCWD, 0);
    free_strv(argv);
    free_strv(envp);
    return ret;
}

long sys_execve(struct task *t, const struct syscall_args *args)
{
    return do_execveat(t, AT_FDCWD, ARG_U64(0), ARG_U64(1), ARG_U64(2), 0);
}

long sys_execveat(struct task *t, const struct syscall_args *args)
{
    return do_execveat(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_U64(3), ARG_INT(4));
}

long sys_wait4(struct task *t, const struct syscall_args *args)
{
    int pid = ARG_INT(0), options = ARG_INT(2);
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
        return -EINVAL;
    int which = P_ALL, id = 0;
    if (pid == INT32_MIN)
        return -ESRCH;
    if (pid > 0) {
        which = P_PID;
        id = pid;
    } else if (pid == 0) {
        which = P_PGID;
        id = 0;
    } else if (pid < -1) {
        which = P_PGID;
        id = -pid;
    }
    struct wait_result wr;
    long r = process_wait(t, which, id, options | WEXITED, &wr);
    if (r <= 0)
        return r;
    if (ARG_U64(1)) {
        int c = mm_copy_out(t->mm, ARG_U64(1), &wr.status, sizeof(int));
        if (c < 0)
            return c;
    }
    if (ARG_U64(3)) {
        int c = mm_copy_out(t->mm, ARG_U64(3), &wr.ru, sizeof(wr.ru));
        if (c < 0)
            return c;
    }
    return r;
}

long sys_waitid(struct task *t, const struct syscall_args *args)
{
    int which = ARG_INT(0), id = ARG_INT(1), options = ARG_INT(3);
    if (options &
        ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WCLONE | __WALL))
        return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    if (which == P_PIDFD) {
        struct file *f = sc_file(t, id);
        if (!f)
            return -EBADF;
        struct thread_group *tg = pidfd_group(f);
        int tgid = tg ? tg->tgid : 0;
        file_put(f);
        if (!tg)
            return -EBADF; /* not a pidfd (Linux's answer) */
        which = P_PID;
        id = tgid;
    }
    if (which != P_PID && which != P_PGID && which != P_ALL)
        return -EINVAL;
    if (which == P_PID && id <= 0)
        return -EINVAL;
    struct wait_result wr;
    long r = process_wait(t, which, id, options, &wr);
    if (r < 0)
        return r;
    if (ARG_U64(2)) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (r > 0) {
            si.si_signo = SIGCHLD;
            si.si_code = wr.code;
            si.si_pid = wr.pid;
            si.si_uid = wr.child_uid;
            si.si_status = wr.child_status;
        }
        int c = mm_copy_out(t->mm, ARG_U64(2), &si, sizeof(si));
        if (c < 0)
            return c;
    }
    if (ARG_U64(4)) {
        int c = mm_copy_out(t->mm, ARG_U64(4), &wr.ru, sizeof(wr.ru));
        if (c < 0)
            return c;
    }
    return 0;
}

long sys_setpgid(struct task *t, const struct syscall_args *args)
{
    return process_setpgid(t, ARG_INT(0), ARG_INT(1));
}

long sys_setsid(struct task *t, const struct syscall_args *args)
{
    return process_setsid(t);
}

long sys_getpgid(struct task *t, const struct syscall_args *args)
{
    return process_getpgid(t, ARG_INT(0));
}

long sys_getsid(struct task *t, const struct syscall_args *args)
{
    return process_getsid(t, ARG_INT(0));
}

long sys_getpgrp(struct task *t, const struct syscall_args *args)
{
    return process_getpgid(t, 0);
}

static void user_info(struct task *t, int sig, siginfo_t *si)
{
    memset(si, 0, sizeof(*si));
    si->si_signo = sig;
    si->si_code = SI_USER;
    si->si_pid = t->tg->tgid;
    si->si_uid = t->creds.ruid;
}

long sys_kill(struct task *t, const struct syscall_args *args)
{
    siginfo_t si;
    user_info(t, ARG_INT(1), &si);
    return process_kill(t, ARG_INT(0), ARG_INT(1), &si);
}

long sys_tkill(struct task *t, const struct syscall_args *args)
{
    siginfo_t si;
    user_info(t, ARG_INT(1), &si);
    si.si_code = SI_TKILL;
    return process_tgkill(t, -1, ARG_INT(0), ARG_INT(1), &si);
}

long sys_tgkill(struct task *t, const struct syscall_args *args)
{
    if (ARG_INT(0) <= 0)
        return -EINVAL;
    siginfo_t si;
    user_info(t, ARG_INT(2), &si);
    si.si_code = SI_TKILL;
    return process_tgkill(t, ARG_INT(0), ARG_INT(1), ARG_INT(2), &si);
}

/* The caller's process times, or those of its waited-for children. */
static void cputimes(struct task *t, bool children, uint64_t *u, uint64_t *st)
{
    task_acct(t, TASK_ACCT_SYS);
    pthread_mutex_lock(&g_kernel->lock);
    if (children) {
        *u = t->tg->children_utime_ns;
        *st = t->tg->children_stime_ns;
    } else {
        tg_cputime_locked(t->tg, u, st);
    }
    pthread_mutex_unlock(&g_kernel->lock);
}

long sys_getrusage(struct task *t, const struct syscall_args *args)
{
    int who = ARG_INT(0);
    if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
        return -EINVAL;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    if (who != RUSAGE_CHILDREN) {
        uint64_t vm, rss;
        mm_usage(t->mm, &vm, &rss);
        ru.ru_maxrss = (long)(rss / 1024);
    }
    uint64_t u, st;
    if (who == RUSAGE_THREAD) {
        task_acct(t, TASK_ACCT_SYS); /* bring its own counters up to now */
        u = __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED);
        st = __atomic_load_n(&t->stime_ns, __ATOMIC_RELAXED);
    } else {
        cputimes(t, who == RUSAGE_CHILDREN, &u, &st);
    }
    ru.ru_utime = (struct timeval){(time_t)(u / 1000000000), (suseconds_t)(u % 1000000000 / 1000)};
    ru.ru_stime =
        (struct timeval){(time_t)(st / 1000000000), (suseconds_t)(st % 1000000000 / 1000)};
    return mm_copy_out(t->mm, ARG_U64(1), &ru, sizeof(ru));
}

long sys_times(struct task *t, const struct syscall_args *args)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ticks = (long)((now.tv_sec - g_kernel->boot_monotonic.tv_sec) * 100 +
                        (now.tv_nsec - g_kernel->boot_monotonic.tv_nsec) / 10000000);
    if (ARG_U64(0)) {
        struct tms tm;
        uint64_t u, st, cu, cst;
        cputimes(t, false, &u, &st);
        cputimes(t, true, &cu, &cst);
        const uint64_t tick = 10000000; /* USER_HZ 100 */
        tm = (struct tms){(clock_t)(u / tick), (clock_t)(st / tick), (clock_t)(cu / tick),
                          (clock_t)(cst / tick)};
        int r = mm_copy_out(t->mm, ARG_U64(0), &tm, sizeof(tm));
        if (r < 0)
            return r;
    }
    return ticks;
}

long sys_pidfd_open(struct task *t, const struct syscall_args *args)
{
    int pid = ARG_INT(0);
    unsigned flags = (unsigned)args->a[1];
    if (flags & ~(unsigned)O_NONBLOCK)
        return -EINVAL;
    if (pid <= 0)
        return -EINVAL;
    pthread_mutex_lock(&g_kernel->lock);
    struct thread_group *tg = kernel_find_tg_locked(pid);
    bool leader = tg && tg->tgid == pid;
    pthread_mutex_unlock(&g_kernel->lock);
    if (!tg)
        return -ESRCH;
    if (!leader)
        return -ENOENT;
    return pidfd_create(t, tg, (int)flags);
}

long sys_pidfd_send_signal(struct task *t, const struct syscall_args *args)
{
    int sig = ARG_INT(1);
    if (args->a[3])
        return -EINVAL;
    struct file *f = sc_file(t, ARG_INT(0));
    if (!f)
        return -EBADF;
    struct thread_group *tg = pidfd_group(f);
    int tgid = tg ? tg->tgid : 0;
    bool alive = tg && tg->state == TG_ALIVE;
    file_put(f);
    if (!tg)
        return -EBADF;
    if (!alive)
        return -ESRCH;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (ARG_U64(2)) {
        int r = mm_copy_in(t->mm, ARG_U64(2), &si, sizeof(si));
        if (r < 0)
            return r;
        if (si.si_signo != sig)
            return -EINVAL;
        if ((si.si_code >= 0 || si.si_code == SI_TKILL) && tgid != t->tg->tgid)
            return -EPERM;
    } else {
        si.si_signo = sig;
        si.si_code = SI_USER;
        si.si_pid = t->tg->tgid;
        si.si_uid = t->creds.ruid;
    }
    return process_kill(t, tgid, sig, &si);
}
