/* Confinement of the sandbox process (confine.h): empty read-only root, no capabilities in
 * any thread, no_new_privs, the seccomp filter.
 *
 * Capabilities are per thread in Linux. The calling thread drops its own; any other thread
 * is made to drop its own in the handler of a real-time signal (SIGRTMAX when free; raw
 * prctl/capset only, so async-signal-safe) and reports back through g_bc; afterwards the
 * sets are read back, this thread's with libcap and every thread's from its /proc status.
 * A thread that blocks that signal for good cannot be reached: confine refuses (-EDEADLK)
 * rather than leave it its capabilities (the ptrace platform's creator thread blocks every
 * signal but SIGRTMAX for this reason). /proc/self/task is opened before the pivot to list
 * the threads. The seccomp filter reaches every thread through TSYNC, which also gives them
 * no_new_privs. */
#include "sentry/boot/confine.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sys/capability.h>

#include "confine/mountns.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "sentry/boot/seccomp.h"

#define MAX_THREADS 4096
/* How long the other threads get to answer (they only need to be scheduled), and after how
 * long one that blocks the signal is taken to block it for good. */
#define THREAD_TIMEOUT_NS (5ll * 1000 * 1000 * 1000)
#define GRACE_NS (100ll * 1000 * 1000)

/* ---- the root ---------------------------------------------------------------------------- */

/* mount the tmpfs, pivot_root into it, detach the old root, remount read-only. */
static int pivot_empty_root(void)
{
    /* Nothing we do below may propagate to the host's mounts. */
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
        int e = errno;
        log_warn("confine: making the mounts slaves: %s", strerror(e));
        return -e;
    }
    /* Any directory will do as the mount point: the old root goes away entirely. */
    static const char *const points[] = {"/tmp", "/mnt", "/run", "/dev", "/proc"};
    const char *point = NULL;
    int e = ENOENT;
    for (size_t i = 0; i < ARRAY_SIZE(points) && !point; i++) {
        if (mount("runsc-root", points[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=0555,size=4k,nr_inodes=8") == 0)
            point = points[i];
        else
            e = errno;
    }
    if (!point) {
        log_warn("confine: mounting an empty tmpfs: %s", strerror(e));
        return -e;
    }
    /* pivot_root(".", "."): the old root ends up stacked on "." and is detached there. */
    const char *step = "chdir";
    if (chdir(point) < 0)
        goto fail;
    step = "pivot_root";
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        goto fail;
    step = "detaching the old root";
    if (umount2(".", MNT_DETACH) < 0)
        goto fail;
    step = "chdir /";
    if (chdir("/") < 0)
        goto fail;
    step = "remounting the root read-only";
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) < 0)
        goto fail;
    log_debug("confine: root is an empty read-only tmpfs (was mounted on %s)", point);
    return 0;
fail:
    e = errno;
    log_warn("confine: %s: %s", step, strerror(e));
    return -e;
}

/* ---- capabilities ----------------------------------------------------------------------- */

/* Drops every capability of the calling thread (bounding set first: that needs
 * CAP_SETPCAP; a thread without CAP_SETPCAP keeps its bounding set, which only matters for
 * execve, which the seccomp filter forbids), sets no_new_privs. Async-signal-safe; -errno. */
static int drop_caps_this_thread(void)
{
    int saved = errno, err = 0;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
    bool setpcap = false;
    if (syscall(SYS_capget, &hdr, data) == 0)
        setpcap = data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP);
    for (int c = 0; setpcap && c < 64; c++) {
        int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0)
            break; /* past the kernel's last capability */
        if (r == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && !err)
            err = -errno;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL && !err)
        err = -errno;
    memset(data, 0, sizeof(data));
    hdr.pid = 0;
    if (syscall(SYS_capset, &hdr, data) < 0 && !err)
        err = -errno;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 && !err)
        err = -errno;
    errno = saved;
    return err;
}

/* The threads told to drop theirs. /proc may be a parent pid namespace's (the sandbox's
 * new pid namespace keeps the host's /proc): a thread is listed under its tid there
 * (proc_tid), and signalled with its tid here (tid, the last NSpid). t[i] is written before
 * n counts it; done is 0 until the thread answered (1, or -errno). */
static struct {
    struct {
        pid_t proc_tid;
        pid_t tid;
        int done;
    } t[MAX_THREADS];
    int n;
    int sig;
} g_bc;

static void confine_signal_handler(int sig)
{
    pid_t me = (pid_t)syscall(SYS_gettid);
    int r = drop_caps_this_thread();
    int n = __atomic_load_n(&g_bc.n, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        if (g_bc.t[i].tid == me) {
            __atomic_store_n(&g_bc.t[i].done, r < 0 ? r : 1, __ATOMIC_RELEASE);
            break;
        }
    }
}

/* The signal that reaches the other threads: SIGRTMAX (the ptrace platform's creator thread,
 * which blocks every other signal, keeps it open for this), or when something handles
 * SIGRTMAX, the highest real-time signal left at its default action. 0 if none. */
static int pick_signal(void)
{
    for (int sig = SIGRTMAX; sig >= SIGRTMIN; sig--) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) < 0)
            continue;
        if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL)
            return sig;
    }
    return 0;
}

/* The status file of thread proc_tid into buf. -ENOENT / -ESRCH: the thread is gone. */
static int read_status(int task_fd, pid_t proc_tid, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "%d/status", (int)proc_tid);
    int fd = openat(task_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (n <= 0)
        return n < 0 ? -e : -ESRCH;
    buf[n] = '\0';
    return 0;
}

/* The value of "Name:" in a status file (base 16 or 10) into *out; false if absent. For
 * NSpid, the last (innermost) one. */
static bool status_value(const char *status, const char *name, int base, unsigned long long *out)
{
    char key[32];
    snprintf(key, sizeof(key), "\n%s:", name);
    const char *p = strstr(status, key);
    if (!p)
        return false;
    p += strlen(key);
    bool found = false;
    for (;;) {
        char *end;
        unsigned long long x = strtoull(p, &end, base);
        if (end == p)
            break;
        *out = x;
        found = true;
        p = end;
        if (base == 16)
            break;
    }
    return found;
}

static bool gone(int r)
{
    return r == -ENOENT || r == -ESRCH;
}

static bool known(pid_t proc_tid)
{
    for (int i = 0; i < g_bc.n; i++)
        if (g_bc.t[i].proc_tid == proc_tid)
            return true;
    return false;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Signals every thread of task_fd's listing not told yet (self_tid excepted: it drops its
 * own). Returns how many were, or -errno. */
static int signal_new_threads(int task_fd, pid_t pid, pid_t self_tid)
{
    char buf[4096], status[4096];
    int sent = 0;
    if (lseek(task_fd, 0, SEEK_SET) < 0)
        return -errno;
    for (;;) {
        ssize_t n = getdents64(task_fd, buf, sizeof(buf));
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            char *end;
            long proc_tid = strtol(d->d_name, &end, 10);
            if (*end || proc_tid <= 0 || known((pid_t)proc_tid))
                continue;
            int r = read_status(task_fd, (pid_t)proc_tid, status, sizeof(status));
            if (gone(r))
                continue;
            if (r < 0)
                return r;
            unsigned long long tid = 0;
            if (!status_value(status, "NSpid", 10, &tid))
                status_value(status, "Pid", 10, &tid); /* a kernel without NSpid */
            if (tid == 0 || tid > INT_MAX)
                return -EIO;
            if (g_bc.n == MAX_THREADS)
                return -E2BIG;
            int i = g_bc.n;
            g_bc.t[i].proc_tid = (pid_t)proc_tid;
            g_bc.t[i].tid = (pid_t)tid;
            g_bc.t[i].done = (pid_t)tid == self_tid ? 1 : 0;
            __atomic_store_n(&g_bc.n, i + 1, __ATOMIC_RELEASE);
            if ((pid_t)tid == self_tid)
                continue;
            if (syscall(SYS_tgkill, pid, (pid_t)tid, g_bc.sig) < 0) {
                int e = errno;
                if (e != ESRCH ||
                    !gone(read_status(task_fd, (pid_t)proc_tid, status, sizeof(status))))
                    return -e; /* listed, yet not ours to signal: never "gone" */
                g_bc.t[i].done = 1;
            }
            sent++;
        }
    }
    return sent;
}

/* Waits until every signalled thread answered or exited. A thread that still blocks the
 * signal after a grace period (glibc blocks everything for a moment in a new thread) will
 * never answer: -EDEADLK, naming it. */
static int wait_threads(int task_fd)
{
    char status[4096];
    int64_t start = now_ns(), checked = start;
    for (;;) {
        bool pending = false;
        for (int i = 0; i < g_bc.n; i++) {
            int d = __atomic_load_n(&g_bc.t[i].done, __ATOMIC_ACQUIRE);
            if (d < 0)
                return d;
            if (d == 0 && gone(read_status(task_fd, g_bc.t[i].proc_tid, status, sizeof(status))))
                __atomic_store_n(&g_bc.t[i].done, 1, __ATOMIC_RELEASE);
            else if (d == 0)
                pending = true;
        }
        if (!pending)
            return 0;
        int64_t now = now_ns();
        if (now - checked > GRACE_NS) {
            checked = now;
            for (int i = 0; i < g_bc.n; i++) {
                if (__atomic_load_n(&g_bc.t[i].done, __ATOMIC_ACQUIRE) != 0 ||
                    read_status(task_fd, g_bc.t[i].proc_tid, status, sizeof(status)) < 0)
                    continue;
                unsigned long long blk = 0;
                if (status_value(status, "SigBlk", 16, &blk) && (blk & (1ull << (g_bc.sig - 1)))) {
                    log_warn("confine: thread %d blocks signal %d and cannot be made to drop "
                             "its capabilities: confine before it starts",
                             (int)g_bc.t[i].tid, g_bc.sig);
                    return -EDEADLK;
                }
            }
        }
        if (now - start > THREAD_TIMEOUT_NS) {
            log_warn("confine: a thread did not drop its capabilities in time");
            return -ETIMEDOUT;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* Every thread /proc lists, this one included, has no capabilities left (the bounding set
 * is kept only where CAP_SETPCAP was missing). */
static int check_threads(int task_fd, bool bounding_too)
{
    char buf[4096], status[4096];
    if (lseek(task_fd, 0, SEEK_SET) < 0)
        return -errno;
    for (;;) {
        ssize_t n = getdents64(task_fd, buf, sizeof(buf));
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] == '.')
                continue;
            int r = read_status(task_fd, (pid_t)atoi(d->d_name), status, sizeof(status));
            if (gone(r))
                continue;
            if (r < 0)
                return r;
            static const char *const sets[] = {"CapInh", "CapPrm", "CapEff", "CapAmb", "CapBnd"};
            for (size_t i = 0; i < ARRAY_SIZE(sets) - !bounding_too; i++) {
                unsigned long long v = 1;
                if (!status_value(status, sets[i], 16, &v) || v != 0) {
                    log_warn("confine: thread %s still has capabilities (%s)", d->d_name, sets[i]);
                    return -EPERM;
                }
            }
        }
    }
}

static int drop_caps_all_threads(int task_fd)
{
    pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
    cap_t cur = cap_get_proc();
    if (!cur)
        return -errno;
    cap_flag_value_t setpcap = CAP_CLEAR;
    cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
    cap_free(cur);
    g_bc.n = 0;
    g_bc.sig = pick_signal();
    if (!g_bc.sig) {
        log_warn("confine: no free real-time signal to reach the other threads with");
        return -EAGAIN;
    }
    struct sigaction sa = {.sa_handler = confine_signal_handler, .sa_flags = SA_RESTART};
    sigfillset(&sa.sa_mask);
    struct sigaction old;
    if (sigaction(g_bc.sig, &sa, &old) < 0)
        return -errno;
    int r = 0;
    /* Threads may start threads until they have answered: list again until none is new. */
    for (int round = 0; round < 100; round++) {
        r = signal_new_threads(task_fd, pid, self);
        if (r <= 0)
            break;
        r = wait_threads(task_fd);
        if (r < 0)
            break;
    }
    /* Ignoring discards what is still pending in a thread that never took it: it must not
     * meet the default action (death) when it unblocks. */
    if (r < 0) {
        struct sigaction ign = {.sa_handler = SIG_IGN};
        sigaction(g_bc.sig, &ign, NULL);
    }
    sigaction(g_bc.sig, &old, NULL);
    if (r < 0)
        return r;
    r = drop_caps_this_thread();
    if (r < 0)
        return r;
    if (setpcap != CAP_SET)
        log_info("confine: no CAP_SETPCAP: the bounding set is kept (execve is forbidden)");
    /* Read back through libcap for this thread, through /proc for all. */
    cap_t have = cap_get_proc(), none = cap_init();
    int diff = have && none ? cap_compare(have, none) : -1;
    cap_free(have);
    cap_free(none);
    if (diff != 0) {
        log_warn("confine: this thread still has capabilities");
        return -EPERM;
    }
    r = check_threads(task_fd, setpcap == CAP_SET);
    if (r == 0)
        log_debug("confine: capabilities dropped in %d threads", g_bc.n);
    return r;
}

/* ---- all of it ------------------------------------------------------------------------- */

int sentry_confine(const int *platform_syscalls)
{
    /* glibc loads libgcc_s for pthread_exit and backtrace on first use: by path, with
     * PROT_EXEC. Do it while both still work. */
    void *frames[2];
    backtrace(frames, 2);

    cleanup_close int task_fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (task_fd < 0) {
        int e = errno;
        log_warn("confine: opening /proc/self/task: %s", strerror(e));
        return -e;
    }
    int result = 0, r;
    int own = confine_own_mount_ns();
    if (own == 1) {
        r = pivot_empty_root();
        if (r < 0)
            return r;
    } else {
        log_info("confine: not in a mount namespace of its own%s%s: the root stays as it is "
                 "(no pivot_root)",
                 own < 0 ? ": " : "", own < 0 ? strerror(-own) : "");
        result = SENTRY_CONFINE_NO_PIVOT;
    }
    r = drop_caps_all_threads(task_fd);
    if (r < 0) {
        log_warn("confine: dropping capabilities: %s", strerror(-r));
        return r;
    }
    r = sentry_seccomp_install(platform_syscalls);
    if (r < 0) {
        log_warn("confine: installing the seccomp filter: %s", strerror(-r));
        return r;
    }
    log_debug("confine: done%s", result == SENTRY_CONFINE_NO_PIVOT ? " (without pivot_root)" : "");
    return result;
}
