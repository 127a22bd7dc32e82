/* A kernel-wide freeze for Control.Pause / Control.Resume.
 *
 * Sending SIGSTOP/SIGCONT would be visible to the application (SIGCHLD to
 * parents, handlers for SIGCONT, waitpid(WUNTRACED)), so a paused sandbox
 * is frozen instead: a flag that every task checks at control_freeze_point()
 * in its loop, where it parks until the freeze ends. A parked task runs no
 * application code and acts on no signal; signals sent meanwhile stay
 * pending and are delivered after the resume. SIGKILL is the exception (as
 * for the cgroup v2 freezer): a frozen task that gets it leaves the point
 * and dies, so Shutdown and `kill -9` work on a paused sandbox.
 *
 * The task loop (sentry/kernel/task.c, task_main) must call
 * control_freeze_point(t) before each signal_deliver(): then a task
 * parks after every system call, fault or interrupt, before it delivers
 * signals or switches back to the application, and a task created while
 * frozen parks before its first instruction.
 *
 * Locking: the freeze's own lock is a leaf. control_freeze takes
 * kernel.lock (and task.ctx_lock, thread_group.siglock under it) alone. */
#pragma once

#include <stdbool.h>

#include "sentry/kernel/kernel.h"

/* freeze: sets the flag, interrupts every task running application code
 * and waits (up to about a second) until each task is parked or blocked in
 * a system call; a task still busy in the sentry then parks as soon as it
 * is done. !freeze: clears the flag and wakes the parked tasks.
 * Idempotent. Returns 0. Not from a task thread. */
int control_freeze(struct kernel *k, bool freeze);
/* Whether the kernel is frozen (a racy snapshot, for /proc and ps). */
bool control_frozen(void);
/* Called by the task t on its own thread, holding no lock: returns at once
 * unless the kernel is frozen; else parks until the freeze ends or t's
 * group is being killed. */
void control_freeze_point(struct task *t);
