#include "runsc/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "runsc/sandbox/launch.h"

int sandbox_spawn(struct runsc_globals *g, const char *argv0, const char *cmd,
                  const char *const *args, struct donation *d, pid_t *pid, rs_error_t *err)
{
    char exe[4096];
    if (sandbox_exe_path(exe, sizeof(exe), err) < 0)
        return -1;
    char *argv[128];
    int argc = 0;
    argv[argc++] = (char *)argv0;
    if (g->debug)
        argv[argc++] = "--debug";
    argv[argc++] = (char *)cmd;
    for (size_t i = 0; args && args[i] && argc < 100; i++)
        argv[argc++] = (char *)args[i];
    int first_donated = argc;
    argc = donation_argv(d, argv, argc);
    pid_t p = fork();
    if (p < 0) {
        int e = errno;
        donation_argv_free(argv, first_donated, argc);
        return rs_error(err, e, "fork");
    }
    if (p == 0) {
        /* runsc do's children end with it (killed runsc do: no orphaned
         * sandbox or gofer). */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() == 1)
            _exit(125); /* the parent is already gone */
        signal(SIGPIPE, SIG_DFL);
        if (donation_apply(d) < 0)
            _exit(125);
        execv(exe, argv);
        _exit(127);
    }
    donation_argv_free(argv, first_donated, argc);
    donation_close(d);
    *pid = p;
    log_debug("started %s (pid %d)", cmd, (int)p);
    return 0;
}

int sandbox_wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return 125;
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 125;
}
