/* The control server's backend over the sentry's kernel: what boot hands to
 * control_server_start().
 *
 *     static struct control_kernel ck = {.k = k, .start_root = ..., ...};
 *     control_server_start(controller_fd, &control_kernel_backend, &ck, &srv);
 *
 * Methods map to the kernel as follows:
 *   StartRoot  ck->start_root(hook_arg): boot starts the init it spawned.
 *   Wait       kernel_wait_pid (init: pid 0; execute'd processes: reaped).
 *   Signal     signal_send_external: INIT the container's init, ALL every
 *              thread group, PID one (ESRCH when gone or a zombie).
 *   Processes  every thread group (live and zombie) under kernel.lock; cmd
 *              from the mm's argument area (mm->arg_start..arg_end).
 *   Execute    kernel_spawn (is_init false: no parent, kept as a zombie
 *              until waited for) + task_start; stdio from the call's fds;
 *              rlimits copied from the init.
 *   Pause/Resume  control_freeze (freeze.h).
 *   Event      MemoryFile frames in use * 4096, live thread groups, CPU time.
 *   Shutdown   SIGKILL (external) to every thread group, thaw, then
 *              ck->shutdown(hook_arg): boot makes the sandbox exit. */
#pragma once

#include "sentry/control/server.h"
#include "sentry/kernel/kernel.h"

struct control_kernel {
    struct kernel *k;
    /* Starts the container's init (spawned at boot): returns its pid or
     * -errno. NULL: StartRoot answers ENOSYS. Called on the loop thread. */
    int (*start_root)(void *hook_arg);
    /* Called by Shutdown after every process was sent SIGKILL; boot must
     * then exit (stopping the server first flushes Shutdown's reply). May
     * be NULL. Called on the loop thread: must not block on the server. */
    void (*shutdown)(void *hook_arg);
    void *hook_arg;
};

/* Its ops take a struct control_kernel * as arg. */
extern const struct control_backend control_kernel_backend;
