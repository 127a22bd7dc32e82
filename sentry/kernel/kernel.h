/* The sentry kernel: tasks, thread groups, credentials, the task loop.
 *
 * One host thread per task. A task runs application code through its
 * platform context and serves each system call it makes on its own thread.
 *
 * Lock order (docs/locking.md):
 *   kernel.tasks_lock -> tg->lock -> mm->lock -> memfile.lock
 *   fdt->lock and fsctx->lock are taken alone. */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "platform/platform.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#define KERNEL_NSIG 64

struct creds {
    uint32_t ruid, euid, suid, fsuid;
    uint32_t rgid, egid, sgid, fsgid;
    uint32_t *groups;
    int ngroups;
    uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
    bool no_new_privs;
};

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

struct thread_group {
    int tgid;
    int refs;
    pthread_mutex_t lock;
    struct task *leader;
    int nr_threads;
    struct ksigaction actions[KERNEL_NSIG];
    struct rlimit rlimits[RLIM_NLIMITS];
    bool exiting;
    int exit_status; /* wait status (W* encoding) of the group */
    int pgid, sid;
    struct thread_group *parent;
};

struct task {
    int tid;
    struct thread_group *tg;
    struct mm *mm;
    struct fdtable *fdt;
    struct fs_context *fs;
    struct creds creds;
    struct platform_ctx *ctx;
    struct platform_regs regs;
    uint64_t sigmask;
    uint64_t sigpending; /* signals queued to this task (none yet: no senders) */
    stack_t altstack;    /* sigaltstack */
    uint64_t clear_child_tid;
    uint64_t robust_list, robust_list_len;
    char comm[16];
    bool exiting;
    int exit_status;
    pthread_t thread;
    struct task *next; /* kernel task list */
};

struct kernel {
    struct memfile *mf;
    const struct platform_ops *pops;
    struct platform *platform;
    struct vfs_path root; /* the sandbox's / */
    pthread_mutex_t tasks_lock;
    pthread_cond_t tasks_cond;
    struct task *tasks;
    int next_tid;
    int live_tasks;
    char hostname[65];
    char domainname[65];
    struct timespec boot_realtime, boot_monotonic;
    int init_status; /* wait status of the init thread group when it ended */
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
/* Starts the task's host thread running its loop. */
int task_start(struct task *t);
/* Waits until the init thread group has exited; returns its wait status. */
int kernel_wait_init(struct kernel *k);

/* Ends the calling task (exit) or its whole group (exit_group). status is a
 * wait status (exit code << 8, or a signal number). Never returns. */
void task_exit(struct task *t, int wait_status, bool group) __attribute__((noreturn));

/* fs_context helpers. */
int fsctx_new(const struct vfs_path *root, const struct vfs_path *cwd, struct fs_context **out);
void fsctx_put(struct fs_context *fs);
/* A walk context for the task: start is cwd or the dirfd's directory. */
int task_walk_ctx(struct task *t, int dirfd, const char *path, struct vfs_walk_ctx *ctx);
void task_walk_ctx_release(struct vfs_walk_ctx *ctx);

/* Limits. */
uint64_t task_rlimit_cur(struct task *t, int resource);
