/* Processes: clone, exit bookkeeping (zombies, reparenting, SIGCHLD),
 * wait, vfork, process groups and sessions. Internal to sentry/kernel and
 * the syscall layer. */
#pragma once

#include <sys/resource.h>

#include "sentry/kernel/kernel.h"

struct task *task_alloc(void);
void task_free(struct task *t);
struct thread_group *tg_alloc(void);
void tg_free(struct thread_group *tg);
/* Drops a reference on tg (kernel.lock held): the tree holds one until the
 * group is reaped, each pidfd one. */
void tg_put_locked(struct thread_group *tg);
void task_link_locked(struct kernel *k, struct task *t);

/* Called by task_exit once the thread released its resources: unlinks it;
 * the last thread turns the group into a zombie (or reaps it). May free t. */
void process_thread_gone(struct task *t);
/* Wakes a vfork parent waiting on t (exec or exit of the child). */
void process_vfork_release(struct task *t);

/* wait4/waitid core. which: P_PID (id), P_PGID (id, 0 = caller's group),
 * P_ALL; options W*; fills the siginfo-style result and rusage. Returns the
 * pid reaped/reported, 0 for WNOHANG with nothing ready, or -errno
 * (-ECHILD, -ERESTARTSYS when interrupted). */
struct wait_result {
    int pid;
    int status;       /* wait status for wait4 */
    int code;         /* CLD_* for waitid */
    int child_status; /* waitid si_status */
    uint32_t child_uid;
    struct rusage ru;
};
long process_wait(struct task *t, int which, int id, int options, struct wait_result *out);

/* setpgid / setsid / getpgid / getsid on behalf of t. */
long process_setpgid(struct task *t, int pid, int pgid);
long process_setsid(struct task *t);
long process_getpgid(struct task *t, int pid);
long process_getsid(struct task *t, int pid);

/* kill(2)-family targets. */
long process_kill(struct task *t, int pid, int sig, const siginfo_t *info);
long process_tgkill(struct task *t, int tgid, int tid, int sig, const siginfo_t *info);

/* Waits for the container's init (pid 0 or init's pid) or for a process
 * started from outside (task_new_process(is_init=false)) and reaps the
 * latter. Not interruptible: the control server calls it on its own thread. */
long kernel_wait_pid(struct kernel *k, int pid, int *status);
