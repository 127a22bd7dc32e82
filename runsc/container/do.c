/* runsc do: run a program in a sandbox without an OCI bundle.
 *
 * The root filesystem (default: the host's /, read-only) is served by a
 * gofer; the sandbox runs the sentry with runsc's stdio as the program's.
 * Here the gofer and sandbox are plain children of runsc; the full launch
 * model (namespaces, nobody, seccomp) comes with "runsc create". */
#include "runsc/container/do.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "runsc/container/bootcfg.h"
#include "runsc/sandbox/sandbox.h"

extern char **environ;

static bool has_env(char **env, size_t n, const char *kv)
{
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; i < n; i++)
        if (strncmp(env[i], kv, klen) == 0 && env[i][klen] == '=')
            return true;
    return false;
}

int container_do(struct runsc_globals *g, const struct do_options *o, rs_error_t *err)
{
    const char *rootfs = o->rootfs ? o->rootfs : "/";
    struct stat st;
    if (stat(rootfs, &st) < 0)
        return rs_error(err, errno, "--rootfs %s", rootfs);
    if (!S_ISDIR(st.st_mode))
        return rs_error(err, ENOTDIR, "--rootfs %s", rootfs);

    /* Environment: the caller's, then --env overrides. */
    size_t n_environ = 0;
    while (environ[n_environ])
        n_environ++;
    char **env = xzalloc((n_environ + o->n_env + 1) * sizeof(char *));
    size_t n = 0;
    for (size_t i = o->n_env; i-- > 0;)
        if (!has_env(env, n, o->env[i]))
            env[n++] = o->env[i];
    for (size_t i = 0; i < n_environ; i++)
        if (!has_env(env, n, environ[i]))
            env[n++] = environ[i];

    char cwd_buf[4096];
    const char *cwd = o->cwd;
    if (!cwd) {
        /* With the host's / as root, start where the caller is (gVisor's do
         * does the same); otherwise at the root. */
        cwd = "/";
        if (strcmp(rootfs, "/") == 0 && getcwd(cwd_buf, sizeof(cwd_buf)))
            cwd = cwd_buf;
    }

    Runsc__Boot__Config cfg = RUNSC__BOOT__CONFIG__INIT;
    cfg.n_argv = o->argc;
    cfg.argv = o->argv;
    cfg.n_env = n;
    cfg.env = env;
    cfg.cwd = (char *)cwd;
    cfg.uid = 0;
    cfg.gid = 0;
    char host[65] = "";
    gethostname(host, sizeof(host) - 1);
    cfg.hostname = host;
    cfg.root_readonly = !o->writable;
    cfg.platform = (char *)g->platform;
    cfg.cap_effective = cfg.cap_permitted = cfg.cap_bounding = (1ull << 41) - 1;
    cfg.debug = g->debug;
    cfg.umask = 022;
    /* --tmpfs DIR: a private, empty tmpfs (gVisor's do overlays the whole
     * root instead); the host's files there are hidden. */
    Runsc__Boot__Mount tmp[DO_MAX_TMPFS];
    Runsc__Boot__Mount *tmpp[DO_MAX_TMPFS];
    for (size_t i = 0; i < o->n_tmpfs; i++) {
        runsc__boot__mount__init(&tmp[i]);
        tmp[i].destination = (char *)o->tmpfs[i];
        tmp[i].type = "tmpfs";
        tmp[i].source = "tmpfs";
        tmp[i].data = "mode=1777";
        tmp[i].gofer_index = -1;
        tmp[i].nodev = true; /* set-user-ID files work, as on a host /tmp */
        tmpp[i] = &tmp[i];
    }
    cfg.n_mounts = o->n_tmpfs;
    cfg.mounts = tmpp;

    int spec = bootcfg_pack_fd(&cfg, err);
    free(env);
    if (spec < 0)
        return -1;

    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        close(spec);
        return rs_error(err, errno, "socketpair");
    }
    int lfd = log_fd();

    /* The gofer. */
    struct donation gd;
    donation_init(&gd);
    donation_add(&gd, "io-fds", sp[1]);
    if (lfd >= 0)
        donation_add(&gd, "log-fd", dup(lfd));
    const char *gofer_args[] = {"--root", rootfs, o->writable ? NULL : "--ro", NULL};
    pid_t gofer_pid;
    if (sandbox_spawn(g, "runsc-gofer", "gofer", gofer_args, &gd, &gofer_pid, err) < 0) {
        close(sp[0]);
        close(spec);
        return rs_error_wrap(err, "starting the gofer");
    }

    /* The sandbox. */
    struct donation sd;
    donation_init(&sd);
    donation_add(&sd, "spec-fd", spec);
    donation_add(&sd, "io-fds", sp[0]);
    if (lfd >= 0) {
        donation_add(&sd, "log-fd", dup(lfd));
    }
    /* Confined as under create (capabilities, seccomp); without a mount
     * namespace of its own the sandbox skips only the pivot. */
    const char *boot_args[] = {"--stdio-fds=0,1,2", "--setup-root",
                               log_get_format() == LOG_FORMAT_JSON ? "--log-format=json" : NULL,
                               NULL};
    pid_t boot_pid;
    if (sandbox_spawn(g, "runsc-sandbox", "boot", boot_args, &sd, &boot_pid, err) < 0) {
        kill(gofer_pid, SIGKILL);
        sandbox_wait_status(gofer_pid);
        return rs_error_wrap(err, "starting the sandbox");
    }
    /* Signals meant for the program reach the sandbox through the terminal's
     * process group; runsc itself just waits. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int status = sandbox_wait_status(boot_pid);
    kill(gofer_pid, SIGKILL);
    sandbox_wait_status(gofer_pid);
    return status;
}
