/* Confinement of the sandbox process (confine.h): empty read-only root, no capabilities in
 * any thread, no_new_privs, the seccomp filter.
 *
 * Capabilities are per thread in Linux, and when the sentry confines itself the platform's
 * threads (ptrace: the creator thread) already run. Each thread therefore drops its own:
 * the calling thread directly, the others in a handler of CONFINE_SIGNAL (raw prctl/capset
 * only, so async-signal-safe), each reporting back through g_bc; afterwards every thread's
 * sets are read back with libcap (cap_get_pid on its tid). /proc/self/task is opened before
 * the pivot to list the threads. The seccomp filter reaches every thread through TSYNC,
 * which also gives them no_new_privs. */
#include "sentry/boot/confine.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sys/capability.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "sentry/boot/seccomp.h"

/* The signal that makes the other threads drop their capabilities. */
#define CONFINE_SIGNAL SIGRTMAX
#define MAX_THREADS 4096
/* How long the other threads get to answer (they only need to be scheduled). */
#define THREAD_TIMEOUT_NS (2ll * 1000 * 1000 * 1000)

/* ---- the mount namespace -------------------------------------------------------------- */

/* 1 when path names the same namespace as *self, 0 when another, -errno. */
static int same_ns(const char *path, const struct stat *self)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

int sentry_own_mount_ns(void)
{
    struct stat self;
    if (stat("/proc/self/ns/mnt", &self) < 0)
        return -errno;
    pid_t ppid = getppid(); /* 0: the parent is outside our pid namespace */
    if (ppid > 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)ppid);
        int r = same_ns(path, &self);
        if (r >= 0)
            return !r;
        if (r != -EACCES && r != -EPERM && r != -ENOENT)
            return r;
    }
    int r = same_ns("/proc/1/ns/mnt", &self);
    if (r >= 0)
        return !r;
    /* Neither the parent nor pid 1 may be inspected: they are in another user namespace
     * (or more privileged), which a launcher that made our namespaces leaves behind. */
    return r == -EACCES || r == -EPERM ? 1 : r;
}

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

/* The threads told to drop theirs. tids[i] is written before n counts it; done[i] is 0
 * until the thread answered (1, or -errno). */
static struct {
    pid_t tids[MAX_THREADS];
    int done[MAX_THREADS];
    int n;
} g_bc;

static void confine_signal_handler(int sig)
{
    pid_t me = (pid_t)syscall(SYS_gettid);
    int r = drop_caps_this_thread();
    int n = __atomic_load_n(&g_bc.n, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        if (g_bc.tids[i] == me) {
            __atomic_store_n(&g_bc.done[i], r < 0 ? r : 1, __ATOMIC_RELEASE);
            break;
        }
    }
}

/* Whether thread tid blocks sig (its SigBlk line): it would never answer. */
static bool blocks_signal(int task_fd, pid_t tid, int sig, char *comm, size_t comm_size)
{
    char path[64], buf[2048];
    snprintf(comm, comm_size, "?");
    snprintf(path, sizeof(path), "%d/comm", (int)tid);
    int fd = openat(task_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, comm, comm_size - 1);
        comm[n > 0 ? n - 1 : 0] = '\0'; /* drops the newline */
        close(fd);
    }
    snprintf(path, sizeof(path), "%d/status", (int)tid);
    fd = openat(task_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *blk = strstr(buf, "\nSigBlk:");
    if (!blk)
        return false;
    unsigned long long mask = strtoull(blk + 8, NULL, 16);
    return mask & (1ull << (sig - 1));
}

static bool known_tid(pid_t tid)
{
    for (int i = 0; i < g_bc.n; i++)
        if (g_bc.tids[i] == tid)
            return true;
    return false;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Signals every thread of task_fd's listing not told yet. Returns how many were, or -errno. */
static int signal_new_threads(int task_fd, pid_t pid, pid_t self)
{
    char buf[4096];
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
            long tid = strtol(d->d_name, &end, 10);
            if (*end || tid <= 0 || tid == self || known_tid((pid_t)tid))
                continue;
            if (g_bc.n == MAX_THREADS)
                return -E2BIG;
            char comm[32];
            if (blocks_signal(task_fd, (pid_t)tid, CONFINE_SIGNAL, comm, sizeof(comm))) {
                log_warn("confine: thread %ld (%s) blocks signal %d and cannot be made to drop "
                         "its capabilities: confine before starting it",
                         tid, comm, CONFINE_SIGNAL);
                return -EDEADLK;
            }
            int i = g_bc.n;
            g_bc.tids[i] = (pid_t)tid;
            g_bc.done[i] = 0;
            __atomic_store_n(&g_bc.n, i + 1, __ATOMIC_RELEASE);
            if (syscall(SYS_tgkill, pid, (pid_t)tid, CONFINE_SIGNAL) < 0) {
                if (errno != ESRCH)
                    return -errno;
                g_bc.done[i] = 1; /* gone meanwhile */
            }
            sent++;
        }
    }
    return sent;
}

/* Waits until every signalled thread answered or exited. */
static int wait_threads(pid_t pid)
{
    int64_t deadline = now_ns() + THREAD_TIMEOUT_NS;
    for (;;) {
        bool pending = false;
        for (int i = 0; i < g_bc.n; i++) {
            int d = __atomic_load_n(&g_bc.done[i], __ATOMIC_ACQUIRE);
            if (d < 0)
                return d;
            if (d == 0 && syscall(SYS_tgkill, pid, g_bc.tids[i], 0) < 0 && errno == ESRCH)
                __atomic_store_n(&g_bc.done[i], 1, __ATOMIC_RELEASE);
            else if (d == 0)
                pending = true;
        }
        if (!pending)
            return 0;
        if (now_ns() > deadline) {
            log_warn("confine: a thread did not drop its capabilities (blocked %d?)",
                     CONFINE_SIGNAL);
            return -ETIMEDOUT;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* Reads back a thread's sets (tid 0: this one): all must be empty. */
static int check_no_caps(pid_t tid)
{
    cap_t have = tid ? cap_get_pid(tid) : cap_get_proc();
    if (!have)
        return errno == ESRCH ? 0 : -errno;
    cap_t none = cap_init();
    int diff = none ? cap_compare(have, none) : -1;
    cap_free(none);
    cap_free(have);
    if (diff != 0) {
        log_warn("confine: thread %d still has capabilities", (int)tid);
        return -EPERM;
    }
    return 0;
}

static int drop_caps_all_threads(int task_fd)
{
    pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
    struct sigaction sa = {.sa_handler = confine_signal_handler, .sa_flags = SA_RESTART};
    sigfillset(&sa.sa_mask);
    struct sigaction old;
    if (sigaction(CONFINE_SIGNAL, &sa, &old) < 0)
        return -errno;
    g_bc.n = 0;
    int r = 0;
    /* Threads may start threads until they have answered: list again until none is new. */
    for (int round = 0; round < 100; round++) {
        r = signal_new_threads(task_fd, pid, self);
        if (r <= 0)
            break;
        r = wait_threads(pid);
        if (r < 0)
            break;
    }
    sigaction(CONFINE_SIGNAL, &old, NULL);
    if (r < 0)
        return r;
    r = drop_caps_this_thread();
    if (r < 0)
        return r;
    if (cap_get_bound(CAP_SYS_ADMIN) > 0)
        log_info("confine: no CAP_SETPCAP: the bounding set is kept (execve is forbidden)");
    r = check_no_caps(0);
    for (int i = 0; r == 0 && i < g_bc.n; i++)
        r = check_no_caps(g_bc.tids[i]);
    log_debug("confine: capabilities dropped in %d threads", g_bc.n + 1);
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
    int own = sentry_own_mount_ns();
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
