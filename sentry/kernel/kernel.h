/* The sentry kernel: tasks, thread groups, the process tree, credentials,
 * signals, the task loop.
 *
 * One host thread per task. A task runs application code through its
 * platform context and serves each system call it makes on its own thread.
 *
 * Lock order (docs/locking.md):
 *   kernel.lock -> thread_group.siglock -> mm.lock -> memfile.lock
 *   task.ctx_lock is a leaf (guards the platform ctx pointer for interrupts).
 *   fdt->lock, fsctx->lock and waitq locks are taken alone.
 *
 * kernel.lock protects the task list, the process tree (parent/children),
 * process groups and sessions, thread-group membership and exit/zombie
 * state. thread_group.siglock protects signal state of the group and of
 * each of its threads (masks, pending sets, actions, group stop). */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "platform/platform.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/waitq.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#define KERNEL_NSIG 64
#define SIGBIT(s) (1ull << ((s)-1))

/* Restart codes (never seen by the application). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

struct creds {
    uint32_t ruid, euid, suid, fsuid;
    uint32_t rgid, egid, sgid, fsgid;
    uint32_t *groups; /* owned (copied on fork) */
    int ngroups;
    uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
    uint32_t securebits;
    bool no_new_privs;
};
/* Rules and writers: sentry/kernel/creds.h (creds_commit under kernel.lock). */

/* Root, cwd and umask (shared with CLONE_FS). Lock: fsctx->lock alone. */
struct fs_context {
    int refs;
    pthread_mutex_t lock;
    struct vfs_path root;
    struct vfs_path cwd;
    uint32_t umask;
};

/* Kernel sigaction as the application passes it (rt_sigaction). */
struct ksigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

/* Signal handlers, shared by threads (and by CLONE_SIGHAND). Protected by
 * the owning thread group's siglock. */
struct sighand {
    int refs;
    struct ksigaction actions[KERNEL_NSIG];
};

struct sigq {
    siginfo_t info;
    struct sigq *next;
};

/* Pending signals: a set plus the queued siginfos (RT signals may queue
 * several; a standard signal at most one). */
struct sigpending {
    uint64_t set;
    struct sigq *head;
};

enum tg_state { TG_ALIVE, TG_ZOMBIE, TG_DEAD };

struct tty; /* sentry/kernel/tty.h */

struct thread_group {
    int tgid;
    int refs;
    pthread_mutex_t siglock;
    struct task *tasks; /* live threads (task.tg_next); kernel.lock */
    int nr_threads;     /* kernel.lock */
    struct task *leader;
    struct sighand *sighand;
    struct sigpending shared_pending;
    struct rlimit rlimits[RLIM_NLIMITS];
    /* Exit (kernel.lock). */
    bool exiting;    /* exit_group or a fatal signal is killing the group */
    int exit_status; /* wait status (W* encoding) of the group */
    enum tg_state state;
    int exit_signal; /* sent to the parent on death (SIGCHLD, or none) */
    /* Job control (siglock). */
    bool stopped;
    int stop_sig;
    bool stop_unreported; /* for WUNTRACED */
    bool cont_unreported; /* for WCONTINUED */
    /* Process tree, groups, sessions (kernel.lock). */
    struct thread_group *parent;
    struct thread_group *children, *sibling;
    bool subreaper;
    int pgid, sid;
    /* Controlling terminal (sentry/kernel/tty.h; kernel.lock): a reference,
     * inherited by fork, cleared by setsid; tty_old_pgrp: the foreground
     * group when a session leader's terminal hung up (sent SIGHUP and
     * SIGCONT when the leader exits). */
    struct tty *ctty;
    int tty_old_pgrp;
    struct waitq child_wait; /* wait4 waiters of this (parent) group */
    struct waitq exit_wait;  /* pidfd pollers: woken when the group dies */
    /* Accounting and /proc. */
    struct timespec start_time;                    /* CLOCK_MONOTONIC */
    uint64_t children_utime_ns, children_stime_ns; /* waited-for children (kernel.lock) */
    uint64_t exited_utime_ns, exited_stime_ns;     /* its threads that are gone (kernel.lock) */
    char *exe;                                     /* path of the executable (/proc/pid/exe) */
    bool is_init; /* the container's first process: pid-1 signal semantics */
    /* ---- timers and signalfd (timer.c, sys_timer.c, sys_signalfd.c) ----
     * sigqueue_wq: woken whenever a signal is queued to the group or to one
     * of its threads, blocked or not: waitq_wake(&tg->sigqueue_wq, POLLIN, 0)
     * in send_locked (a leaf lock: fine under siglock). signalfd readers
     * and pollers wait here (rt_sigtimedwait could too, instead of
     * unblocking its set). waitq_init it in tg_alloc.
     * Timers are not here: timer.c keeps its own table keyed by the group;
     * the kernel calls timer_tg_exit() when the group's last thread is gone
     * and timer_tg_exec() after a successful execve (timer.h). */
    struct waitq sigqueue_wq;
};

enum task_state { TASK_RUNNING, TASK_BLOCKED, TASK_STOPPED, TASK_ZOMBIE };

struct task {
    int tid;
    struct thread_group *tg;
    struct mm *mm;
    struct fdtable *fdt;
    struct fs_context *fs;
    struct creds creds;
    pthread_mutex_t ctx_lock; /* guards ctx against concurrent interrupt */
    struct platform_ctx *ctx;
    struct platform_regs regs;
    /* Signals (tg->siglock). */
    uint64_t sigmask;
    uint64_t saved_sigmask; /* restored after sigsuspend-style waits */
    bool restore_sigmask;
    struct sigpending pending; /* private to this thread */
    uint64_t forced_sigs;      /* pending signals the kernel forced (faults) */
    stack_t altstack;
    int pdeath_signal;
    /* Blocking. */
    int wake_fd; /* eventfd: task_wake writes it */
    bool blocked;
    /* Restart of interrupted syscalls (restart_syscall). */
    long (*restart_fn)(struct task *t);
    struct timespec restart_deadline;
    int restart_clock;
    uint64_t restart_rmtp;
    /* Thread lifetime. */
    uint64_t clear_child_tid;
    uint64_t robust_list, robust_list_len;
    char comm[16];
    bool exiting;
    int exit_status;
    enum task_state state;
    struct task *vfork_parent; /* set while a vfork child runs */
    bool vfork_done;
    /* CPU time (task_acct_*): written by the task with atomic adds, read
     * by anyone with atomic loads. acct_* are the task's own. */
    uint64_t utime_ns, stime_ns;
    int acct_state;
    uint64_t acct_mark_ns;
    /* seccomp (seccomp.h): SECCOMP_MODE_* and the filter chain; written
     * under kernel.lock, read by the task itself without a lock. */
    int seccomp_mode;
    struct seccomp_filter *seccomp;
    pthread_t thread;
    struct task *next;    /* kernel task list (kernel.lock) */
    struct task *tg_next; /* thread group's list (kernel.lock) */
};

struct kernel {
    struct memfile *mf;
    const struct platform_ops *pops;
    struct platform *platform;
    struct vfs_path root; /* the sandbox's / */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct task *tasks;
    int next_tid;
    int live_tasks;
    char hostname[65];
    char domainname[65];
    struct timespec boot_realtime, boot_monotonic;
    struct thread_group *init;     /* the container's pid 1 */
    struct thread_group *detached; /* processes started from outside (exec), by sibling */
    int init_status;               /* wait status of init when it ended */
    /* CPU time of every thread that has exited (kernel.lock): with the
     * live threads', the sandbox's total (/proc/stat, cpuacct). */
    uint64_t exited_utime_ns, exited_stime_ns;
    bool init_done;
    /* Syscall numbers already reported as unimplemented (log once). */
    _Atomic uint64_t enosys_logged[8];
    _Atomic uint64_t enosys_count;
};

extern struct kernel *g_kernel;

int kernel_init(struct memfile *mf, const struct platform_ops *pops, struct platform *p,
                struct kernel **out);

/* The calling host thread's task (thread-local). */
struct task *task_current(void);

/* Creates the first task (pid 1) of a new thread group, sharing nothing. */
int task_new_init(struct kernel *k, struct mm *mm, struct fdtable *fdt, struct fs_context *fs,
                  const struct creds *creds, struct task **out);
/* The same for a process started from outside the sandbox (runsc exec):
 * no parent inside; it stays a zombie until kernel_wait_pid reaps it. */
int task_new_process(struct kernel *k, struct mm *mm, struct fdtable *fdt, struct fs_context *fs,
                     const struct creds *creds, bool is_init, struct task **out);
/* Starts the task's host thread running its loop. */
int task_start(struct task *t);
/* Waits until init has exited and every task is gone; returns init's wait status. */
int kernel_wait_init(struct kernel *k);

/* Lookups (kernel.lock held by the caller, or racy snapshot). */
struct task *kernel_find_task_locked(int tid);
struct thread_group *kernel_find_tg_locked(int tgid);

/* Ends the calling task (exit) or its whole group (exit_group). status is a
 * wait status (exit code << 8, or a signal number). Never returns. */
void task_exit(struct task *t, int wait_status, bool group) __attribute__((noreturn));
/* Tears down a task whose thread never started (a failed spawn). */
void task_exit_unstarted(struct task *t, int wait_status);

/* fs_context helpers. */
int fsctx_new(const struct vfs_path *root, const struct vfs_path *cwd, struct fs_context **out);
int fsctx_copy(struct fs_context *src, struct fs_context **out);
void fsctx_get(struct fs_context *fs);
void fsctx_put(struct fs_context *fs);
/* A walk context for the task: start is cwd or the dirfd's directory. */
int task_walk_ctx(struct task *t, int dirfd, const char *path, struct vfs_walk_ctx *ctx);
void task_walk_ctx_release(struct vfs_walk_ctx *ctx);
/* The credential part of a walk context (fsuid, fsgid, groups, effective
 * capabilities) from t, which must be the calling task (the groups array
 * is borrowed). task_walk_ctx fills it in. */
void task_cred_ctx(struct task *t, struct vfs_walk_ctx *ctx);

/* CPU time accounting, as gVisor's task states: the time a task spends in
 * the application (inside ctx_switch) is user time, the time its sentry
 * thread spends serving it (syscalls, faults, signals) is system time, and
 * time blocked (task_block, stops, freezes) is neither; CLOCK_MONOTONIC
 * stamps at each change. t is the calling task. */
enum { TASK_ACCT_SYS, TASK_ACCT_APP, TASK_ACCT_BLOCKED };
/* Switches t's state; returns the previous one. */
int task_acct(struct task *t, int state);
/* A thread group's user and system time: its live threads, its exited
 * ones, and the leader's if it is gone but kept (kernel.lock held). */
void tg_cputime_locked(struct thread_group *tg, uint64_t *user_ns, uint64_t *sys_ns);

/* Limits. */
uint64_t task_rlimit_cur(struct task *t, int resource);

/* The CPUs of the sentry's affinity (the first 64, as sched_getaffinity
 * reports them inside the sandbox), at least CPU 0: what /proc and /sys
 * show. */
uint64_t kernel_cpu_mask(void);

/* Signals (signal.c). */
/* kill(2)-style delivery to a thread group / tkill to a thread. info may be
 * NULL (SI_USER from the kernel). Returns 0 or -errno. */
int signal_send_group(struct thread_group *tg, int sig, const siginfo_t *info);
int signal_send_task(struct task *t, int sig, const siginfo_t *info);
/* A signal from outside the sandbox (runsc kill, the host): default actions
 * apply even to the container's pid 1, as for a signal from an ancestor
 * pid namespace. */
int signal_send_external(struct thread_group *tg, int sig);
/* A synchronous signal raised by the task's own fault (force: unblocks and
 * resets an ignored/blocked handler as Linux's force_sig does). */
void signal_force(struct task *t, int sig, const siginfo_t *info);
/* Whether an unblocked signal is pending (or the group is exiting). */
bool task_signal_pending(struct task *t);
/* Called by the task loop before returning to the application: handles a
 * pending syscall restart and delivers pending signals (handlers, default
 * actions, stops). syscall_ret is the raw return of the syscall just served
 * (or 0 when not after a syscall). May not return (fatal signal). */
void signal_deliver(struct task *t, bool after_syscall, long syscall_ret);
/* Interrupts t (platform ctx or blocked wait) so it notices a signal. */
void task_interrupt(struct task *t);
/* Resets handlers on execve (caught -> default; ignored stays). */
void signal_exec_reset(struct task *t);
/* That reset of one set of handlers (the owner's siglock held, or a new
 * set not shared yet: clone3's CLONE_CLEAR_SIGHAND): caught -> default,
 * ignored stays ignored; flags, masks and restorers cleared (Linux's
 * flush_signal_handlers). */
void sighand_flush(struct sighand *sh);
void sigpending_clear(struct sigpending *p);
/* Takes the lowest pending signal in set, the thread's own before the
 * group's, with its siginfo (siglock held). Returns it, or 0 if none. */
int signal_dequeue(struct task *t, uint64_t set, siginfo_t *info);

/* Process lifecycle (process.c, exec.c). */
/* clone(2): returns the child's tid or -errno. flags are clone(2)'s (the
 * low 32 bits, exit signal apart) plus TASK_CLONE_CLEAR_SIGHAND. */
#define TASK_CLONE_CLEAR_SIGHAND 0x100000000ull /* clone3's CLONE_CLEAR_SIGHAND */
long task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t parent_tid,
                uint64_t child_tid, uint64_t tls, int exit_signal, uint64_t set_tid_pidfd);
/* execve(2): replaces t's image; returns only on error (-errno). */
long task_execve(struct task *t, const char *path, char *const argv[], char *const envp[],
                 int dirfd, int at_flags);
