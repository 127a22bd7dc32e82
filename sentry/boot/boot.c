/* runsc boot: start the sentry.
 *
 * Flags (donated fds are numbered by runsc):
 *   --spec-fd N        a serialized runsc.boot.Config (protobuf), read to EOF
 *   --io-fds A[,B...]  gofer connections: the root first, then bind mounts
 *   --stdio-fds I,O,E  host fds that become the application's 0, 1, 2
 *   --log-fd N         the sentry's log (text or json as runsc chose)
 *   --log-format F     text|json
 *   --debug            debug logging
 * The exit status is the init process's: its exit code, or 128+N when a
 * signal N killed it. */
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/boot/entry.h"
#include "sentry/boot/glue.h"
#include "sentry/boot/mounts.h"
#include "sentry/control/server.h"
#include "sentry/fsimpl/gofer/gofer.h"
#include "sentry/fsimpl/host/host.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/spawn.h"
#include "sentry/loader/loader.h"
#include "sentry/syscalls/syscalls.h"
#include "urpc/proto/boot.pb-c.h"

/* Application memory the MemoryFile can hold (sparse: costs nothing until
 * used). */
#define MEMFILE_SIZE (64ull << 30)

const char *sentry_platform_names(void)
{
    return platform_names();
}

int sentry_help_topic(const char *topic)
{
    if (strcmp(topic, "syscalls") != 0)
        return -1;
    syscall_print_table(stdout);
    return 0;
}

static int parse_fd_list(const char *s, int *fds, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 1 << 20 || n == max)
            return -1;
        fds[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return n;
}

static int read_config(int fd, Runsc__Boot__Config **out)
{
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {
            if (cap >= (16u << 20)) {
                free(buf);
                return -E2BIG;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    *out = runsc__boot__config__unpack(NULL, len, buf);
    free(buf);
    return *out ? 0 : -EBADMSG;
}

static void block_forwarded_signals(void);
static void start_signal_forwarder(struct kernel *k);

struct boot_opts {
    int controller_fd; /* listening control socket, or -1 (runsc do: start at once) */
    int start_sync_fd; /* one byte is written when the sandbox is ready */
    bool setup_root;   /* confine: empty root, no capabilities, seccomp */
};

static struct task *g_init_task;

/* Control.StartRoot: let the container's init run. */
int boot_start_root(void)
{
    static bool started;
    if (!g_init_task)
        return -ESRCH;
    if (__atomic_exchange_n(&started, true, __ATOMIC_ACQ_REL))
        return -EALREADY;
    int r = task_start(g_init_task);
    return r < 0 ? r : g_init_task->tg->tgid;
}

static int boot(Runsc__Boot__Config *cfg, const int *io_fds, int n_io, const int *stdio,
                const struct boot_opts *bo)
{
    if (cfg->n_argv == 0 || !cfg->argv[0][0]) {
        log_stderr("no program to run (process.args is empty)");
        return 127;
    }
    const char *pname = cfg->platform && cfg->platform[0] ? cfg->platform : "ptrace";
    const struct platform_ops *pops = platform_lookup(pname);
    if (!pops) {
        log_stderr("unknown platform \"%s\" (have: %s)", pname, platform_names());
        return 125;
    }
    /* Before any thread exists, so every thread inherits the mask. */
    block_forwarded_signals();
    struct memfile *mf;
    int r = memfile_create(MEMFILE_SIZE, &mf);
    if (r < 0) {
        log_stderr("creating the memory file: %s", strerror(-r));
        return 125;
    }
    struct platform *plat;
    r = pops->create(mf->fd, -1, &plat);
    if (r < 0) {
        log_stderr("starting the %s platform: %s", pname, strerror(-r));
        return 125;
    }
    uint64_t umin = 0, umax = UINT64_MAX;
    if (pops->user_range)
        pops->user_range(plat, &umin, &umax);
    if (umax < MM_TASK_SIZE || umin > MM_MMAP_MIN_ADDR) {
        log_stderr("platform %s leaves [%#llx, %#llx) to applications; the sentry needs [%#llx, "
                   "%#llx)",
                   pname, (unsigned long long)umin, (unsigned long long)umax,
                   (unsigned long long)MM_MMAP_MIN_ADDR, (unsigned long long)MM_TASK_SIZE);
        return 125;
    }
    struct kernel *k;
    r = kernel_init(mf, pops, plat, &k);
    if (r < 0)
        return 125;
    if (cfg->hostname && cfg->hostname[0])
        snprintf(k->hostname, sizeof(k->hostname), "%s", cfg->hostname);

    /* The root filesystem, from the first gofer connection. */
    if (n_io < 1) {
        log_stderr("no gofer connection for the root filesystem (--io-fds)");
        return 125;
    }
    struct gofer_client *gc;
    r = gofer_client_new(io_fds[0], &gc);
    if (r < 0) {
        log_stderr("connecting to the gofer: %s", strerror(-r));
        return 125;
    }
    struct vfs_fs *rootfs;
    struct dentry *rootd;
    bool ro = false;
    r = goferfs_new(gc, &rootfs, &rootd, &ro);
    if (r < 0) {
        log_stderr("mounting the root filesystem: %s", strerror(-r));
        return 125;
    }
    r = vfs_mount_root(rootfs, rootd, (ro || cfg->root_readonly) ? MNT_RDONLY : 0, &k->root);
    if (r < 0)
        return 125;

    struct creds creds = {0};
    creds.ruid = creds.euid = creds.suid = creds.fsuid = cfg->uid;
    creds.rgid = creds.egid = creds.sgid = creds.fsgid = cfg->gid;
    creds.ngroups = (int)cfg->n_groups;
    creds.groups = cfg->n_groups ? calloc(cfg->n_groups, sizeof(uint32_t)) : NULL;
    for (size_t i = 0; i < cfg->n_groups; i++)
        creds.groups[i] = cfg->groups[i];
    creds.cap_effective = cfg->cap_effective;
    creds.cap_permitted = cfg->cap_permitted;
    creds.cap_inheritable = cfg->cap_inheritable;
    creds.cap_bounding = cfg->cap_bounding;
    creds.cap_ambient = cfg->cap_ambient;
    creds.no_new_privs = cfg->no_new_privileges;
    if (cfg->seccomp_filter.len) {
        /* linux.seccomp: on init and every process runsc exec starts. */
        r = seccomp_container_set(cfg->seccomp_filter.data, cfg->seccomp_filter.len);
        if (r < 0) {
            log_stderr("linux.seccomp: the compiled filter is invalid: %s", strerror(-r));
            return 125;
        }
    }

    /* /dev, /sys, /proc, the spec's mounts, maskedPaths, readonlyPaths. */
    if (boot_mounts(&k->root, cfg, io_fds, n_io) < 0)
        return 125;

    /* stdio. */
    struct file *stdio_files[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        if (stdio[i] < 0)
            continue;
        int fd = dup(stdio[i]);
        if (fd < 0)
            continue;
        int fl = fcntl(fd, F_GETFL);
        if (hostfile_new(fd, fl & (O_ACCMODE | O_APPEND | O_NONBLOCK), &stdio_files[i]) < 0) {
            close(fd);
            stdio_files[i] = NULL;
        }
    }
    for (int i = 0; i < 3; i++)
        if (stdio[i] > 2)
            close(stdio[i]);

    struct rlimit rl[RLIM_NLIMITS];
    bool rl_set[RLIM_NLIMITS] = {false};
    for (size_t i = 0; i < cfg->n_rlimits; i++) {
        int res = cfg->rlimits[i]->resource;
        if (res >= 0 && res < RLIM_NLIMITS) {
            rl[res].rlim_cur = cfg->rlimits[i]->cur;
            rl[res].rlim_max = cfg->rlimits[i]->max;
            rl_set[res] = true;
        }
    }
    char **envp = calloc(cfg->n_env + 1, sizeof(char *));
    for (size_t i = 0; i < cfg->n_env; i++)
        envp[i] = cfg->env[i];
    char **argv = calloc(cfg->n_argv + 1, sizeof(char *));
    for (size_t i = 0; i < cfg->n_argv; i++)
        argv[i] = cfg->argv[i];
    struct spawn_args sa = {
        .argv = argv,
        .envp = envp,
        .cwd = cfg->cwd,
        .creds = &creds,
        .stdio = {stdio_files[0], stdio_files[1], stdio_files[2]},
        .rlimits = rl,
        .rlimit_set = rl_set,
        .umask = cfg->umask,
        .is_init = true,
    };
    struct task *init;
    char msg[512];
    r = kernel_spawn(k, &sa, &init, msg, sizeof(msg));
    for (int i = 0; i < 3 && r == 0; i++) /* a terminal on its stdio: init's ctty */
        hostfile_spawn_ctty(stdio_files[i], init->tg);
    for (int i = 0; i < 3; i++)
        if (stdio_files[i])
            file_put(stdio_files[i]);
    if (r < 0) {
        log_stderr("%s", msg[0] ? msg : strerror(-r));
        return r == -ENOENT ? 127 : r == -EACCES || r == -ENOEXEC ? 126 : 125;
    }
    g_init_task = init;
    /* Confine before starting more threads: they inherit the empty
     * capability sets and the seccomp filter. */
    if (bo->setup_root) {
        r = boot_confine(k);
        if (r < 0) {
            log_stderr("confining the sandbox: %s", strerror(-r));
            return 125;
        }
    }
    start_signal_forwarder(k);
    struct control_server *srv = NULL;
    if (bo->controller_fd >= 0) {
        r = boot_control_start(k, bo->controller_fd, &srv);
        if (r < 0) {
            log_stderr("starting the control server: %s", strerror(-r));
            return 125;
        }
    }
    if (bo->start_sync_fd >= 0) {
        /* Ready: runsc create returns; runsc start sends Control.StartRoot. */
        if (write(bo->start_sync_fd, "r", 1) != 1)
            log_warn("start-sync: %s", strerror(errno));
        close(bo->start_sync_fd);
    }
    if (bo->controller_fd < 0) {
        r = boot_start_root();
        if (r < 0) {
            log_stderr("starting the init task: %s", strerror(-r));
            return 125;
        }
    }
    int status = kernel_wait_init(k);
    if (srv)
        control_server_stop(srv); /* answers pending Control.Wait first */
    if (k->enosys_count)
        log_debug("%llu unsupported syscalls", (unsigned long long)k->enosys_count);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

/* Host signals meant for the application are taken by one thread and
 * forwarded: terminal signals to the terminal's foreground process group,
 * the others (a kill of the sandbox process) to the container's init. */
static sigset_t g_forwarded;

static void *signal_forwarder(void *arg)
{
    struct kernel *k = arg;
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&g_forwarded, &si);
        if (sig < 0)
            continue;
        int fg = hostfile_tty_foreground();
        bool terminal = sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGWINCH;
        pthread_mutex_lock(&k->lock);
        if (terminal && fg > 0) {
            siginfo_t ksi = {0};
            ksi.si_signo = sig;
            ksi.si_code = SI_KERNEL;
            for (struct task *o = k->tasks; o; o = o->next)
                if (o->tg->pgid == fg && o == o->tg->tasks)
                    signal_send_group(o->tg, sig, &ksi);
        } else if (k->init && k->init->state == TG_ALIVE) {
            signal_send_external(k->init, sig);
        }
        pthread_mutex_unlock(&k->lock);
    }
    return NULL;
}

static void block_forwarded_signals(void)
{
    sigemptyset(&g_forwarded);
    static const int sigs[] = {SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGTERM,
                               SIGHUP, SIGUSR1, SIGUSR2, SIGCONT,  SIGALRM};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&g_forwarded, sigs[i]);
    pthread_sigmask(SIG_BLOCK, &g_forwarded, NULL);
}

static void start_signal_forwarder(struct kernel *k)
{
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    pthread_create(&th, &attr, signal_forwarder, k);
    pthread_attr_destroy(&attr);
}

/* A sentry bug: print where, on stderr and in the log, then die. */
static void crash_handler(int sig, siginfo_t *si, void *uctx)
{
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "runsc: sentry crashed: signal %d at address %p\n", sig,
                     si->si_addr);
    void *frames[64];
    int nf = backtrace(frames, 64);
    for (int fd = 2; fd >= 2; fd--) {
        if (write(fd, msg, (size_t)n) < 0)
            break;
        backtrace_symbols_fd(frames, nf, fd);
    }
    if (log_fd() >= 0) {
        if (write(log_fd(), msg, (size_t)n) > 0)
            backtrace_symbols_fd(frames, nf, log_fd());
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_crash_handler(void)
{
    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_sigaction = crash_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
}

int sentry_boot_main(int argc, char **argv)
{
    install_crash_handler();
    static const struct option opts[] = {
        {"spec-fd", required_argument, NULL, 's'},
        {"io-fds", required_argument, NULL, 'i'},
        {"stdio-fds", required_argument, NULL, 'o'},
        {"log-fd", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'f'},
        {"debug", no_argument, NULL, 'd'},
        {"controller-fd", required_argument, NULL, 'c'},
        {"start-sync-fd", required_argument, NULL, 'S'},
        {"setup-root", no_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    struct boot_opts bo = {.controller_fd = -1, .start_sync_fd = -1, .setup_root = false};
    int spec_fd = -1, log_fd = -1, n_io = 0;
    int io_fds[64];
    int stdio[3] = {0, 1, 2};
    /* runsc's global --debug/--log-format were parsed by main. */
    bool debug = log_get_level() == LOG_LEVEL_DEBUG;
    enum log_format fmt = log_get_format();
    opterr = 0;
    int c;
    log_set_prefix("runsc");
    while ((c = getopt_long_only(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            spec_fd = atoi(optarg);
            break;
        case 'i':
            n_io = parse_fd_list(optarg, io_fds, 64);
            if (n_io < 0) {
                log_stderr("boot: bad --io-fds \"%s\"", optarg);
                return 125;
            }
            break;
        case 'o':
            if (parse_fd_list(optarg, stdio, 3) != 3) {
                log_stderr("boot: --stdio-fds needs three fds, got \"%s\"", optarg);
                return 125;
            }
            break;
        case 'l':
            log_fd = atoi(optarg);
            break;
        case 'f':
            if (log_parse_format(optarg, &fmt) < 0) {
                log_stderr("boot: bad --log-format \"%s\"", optarg);
                return 125;
            }
            break;
        case 'd':
            debug = true;
            break;
        case 'c':
            bo.controller_fd = atoi(optarg);
            break;
        case 'S':
            bo.start_sync_fd = atoi(optarg);
            break;
        case 'R':
            bo.setup_root = true;
            break;
        default:
            log_stderr("boot: unknown flag %s", argv[optind - 1]);
            return 125;
        }
    }
    if (log_fd >= 0)
        log_init(log_fd, fmt, debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
    if (spec_fd < 0) {
        log_stderr("boot: --spec-fd is required (runsc boot is started by runsc itself)");
        return 125;
    }
    Runsc__Boot__Config *cfg = NULL;
    int r = read_config(spec_fd, &cfg);
    close(spec_fd);
    if (r < 0) {
        log_stderr("boot: reading the boot configuration: %s", strerror(-r));
        return 125;
    }
    if (cfg->debug && log_fd >= 0)
        log_init(log_fd, fmt, LOG_LEVEL_DEBUG);
    /* A dying application must not take the sentry with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    int status = boot(cfg, io_fds, n_io, stdio, &bo);
    fflush(stdout);
    _exit(status);
}
