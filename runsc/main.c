/* runsc: the multi-call binary. OCI front end commands, plus the internal
 * "boot" (sandbox/sentry) and "gofer" commands.
 *
 * Global flags come before the command, as with runc:
 *     runsc [global flags] COMMAND [command flags] [args]
 * Single-dash long flags (-root=X, gVisor style) are accepted too. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "runsc/cmd/cmd.h"
#include "runsc/globals.h"

static const struct runsc_command g_commands[] = {
    {"boot", "start the sandbox (internal)", CMD_BOOT_USAGE, cmd_boot, true},
    {"create", "create a container",
     "runsc create [--bundle DIR] [--pid-file F] "
     "[--console-socket S] ID",
     cmd_create, false},
    {"delete", "delete a container", "runsc delete [--force] ID", cmd_delete, false},
    {"do", "run a program in a sandbox (no bundle needed)", CMD_DO_USAGE, cmd_do, false},
    {"events", "container statistics", "runsc events [--stats] [--interval N] ID", cmd_events,
     false},
    {"exec", "run a process in a running container",
     "runsc exec [--process F | --cwd D --env K=V --user U[:G] --tty] [--detach] "
     "[--pid-file F] [--console-socket S] ID [COMMAND ARGS...]",
     cmd_exec, false},
    {"features", "the runtime's OCI features (JSON)", "runsc features", cmd_features, false},
    {"gofer", "serve files to the sandbox (internal)", CMD_GOFER_USAGE, cmd_gofer, true},
    {"help", "show help for a command", "runsc help [COMMAND]", cmd_help, false},
    {"kill", "send a signal to a container", "runsc kill [--all] ID [SIGNAL]", cmd_kill, false},
    {"list", "list containers", CMD_LIST_USAGE, cmd_list, false},
    {"pause", "pause every process of a container", "runsc pause ID", cmd_pause, false},
    {"ps", "processes of a container", "runsc ps [--format table|json] ID", cmd_ps, false},
    {"resume", "resume a paused container", "runsc resume ID", cmd_resume, false},
    {"run", "create and start a container, then wait for it",
     "runsc run [--bundle DIR] [--detach] [--pid-file F] [--console-socket S] ID", cmd_run, false},
    {"spec", "create a new specification file", CMD_SPEC_USAGE, cmd_spec, false},
    {"start", "start a created container", "runsc start ID", cmd_start, false},
    {"state", "output the state of a container", CMD_STATE_USAGE, cmd_state, false},
    {"update", "update a container's cgroup limits", CMD_UPDATE_USAGE, cmd_update, false},
    {"version", "print the version", "runsc version", cmd_version, false},
    {"wait", "wait for a container's init and print its status", "runsc wait ID", cmd_wait, false},
};

const struct runsc_command *runsc_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++)
        if (strcmp(g_commands[i].name, name) == 0)
            return &g_commands[i];
    return NULL;
}

void runsc_print_usage(FILE *f)
{
    fprintf(f, "usage: runsc [global flags] COMMAND [flags] [args]\n\n"
               "runsc is an OCI runtime that runs containers in a userspace kernel sandbox.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(g_commands) / sizeof(g_commands[0]); i++)
        if (!g_commands[i].internal)
            fprintf(f, "  %-10s %s\n", g_commands[i].name, g_commands[i].summary);
    fprintf(f,
            "\nGlobal flags:\n"
            "  --root DIR            state directory (default " RUNSC_DEFAULT_ROOT ")\n"
            "  --log FILE            log file (errors are also printed on stderr)\n"
            "  --log-format FORMAT   text or json (default text)\n"
            "  --debug               log debug messages\n"
            "  --debug-log PATH      debug log file, or directory ending in /\n"
            "  --platform NAME       one of: %s (default ptrace)\n"
            "  --network MODE        sandbox, host or none (default sandbox)\n"
            "  --rootless            run without root privileges\n"
            "  --systemd-cgroup      accepted for compatibility (cgroupfs is used)\n"
            "  --version             print the version\n"
            "  --help                this text; \"runsc help COMMAND\" for a command\n",
            cmd_platform_names());
}

bool runsc_platform_valid(const char *p)
{
    size_t n = strlen(p);
    for (const char *s = cmd_platform_names(); n && *s;) {
        size_t len = strcspn(s, ",");
        if (len == n && strncmp(s, p, n) == 0)
            return true;
        s += len + (s[len] == ',');
    }
    return false;
}

int runsc_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (cmd) {
        log_error("%s: %s", cmd, msg);
        log_stderr("%s: %s", cmd, msg);
    } else {
        log_error("%s", msg);
        log_stderr("%s", msg);
    }
    return 1;
}

int cmd_version(struct runsc_globals *g, int argc, char **argv)
{
    if (argc > 1)
        return runsc_usage_error("version", "unexpected argument \"%s\"", argv[1]);
    printf("runsc version " RUNSC_VERSION "\nspec: " RUNSC_OCI_VERSION "\n");
    return 0;
}

int cmd_help(struct runsc_globals *g, int argc, char **argv)
{
    if (argc < 2) {
        runsc_print_usage(stdout);
        return 0;
    }
    if (argc > 2)
        return runsc_usage_error("help", "expected one command name, got %d", argc - 1);
    if (cmd_help_topic(argv[1]) == 0)
        return 0;
    const struct runsc_command *c = runsc_find_command(argv[1]);
    if (!c)
        return runsc_usage_error("help", "unknown command \"%s\"", argv[1]);
    printf("%s\n", c->usage);
    if (strstr(c->usage, "--platform"))
        printf("\nPlatforms: %s\n", cmd_platform_names());
    return 0;
}

/* True in a user namespace other than the initial one (runc's test: the
 * initial namespace maps all 2^32-1 ids from 0 to 0). */
static bool runsc_in_user_namespace(void)
{
    FILE *f = fopen("/proc/self/uid_map", "re");
    if (!f)
        return false;
    unsigned long a, b, n;
    int k = fscanf(f, "%lu %lu %lu", &a, &b, &n);
    bool more = k == 3 && fscanf(f, "%*s") != EOF;
    fclose(f);
    return !(k == 3 && a == 0 && b == 0 && n == 4294967295UL && !more);
}

static int parse_bool(const char *flag, const char *arg, bool *out)
{
    if (!arg || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0)
        *out = true;
    else if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0)
        *out = false;
    else
        return runsc_usage_error(NULL, "flag --%s: invalid boolean \"%s\"", flag, arg);
    return 0;
}

/* Opens a log destination for append; "" means none. */
static int open_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        runsc_usage_error(NULL, "opening log file %s: %s", path, strerror(errno));
    return fd;
}

enum {
    OPT_ROOT = 1000,
    OPT_LOG,
    OPT_LOG_FORMAT,
    OPT_DEBUG,
    OPT_DEBUG_LOG,
    OPT_PLATFORM,
    OPT_NETWORK,
    OPT_ROOTLESS,
    OPT_SYSTEMD_CGROUP,
    OPT_VERSION,
    OPT_HELP
};

int main(int argc, char **argv)
{
    struct runsc_globals g = {
        .root = RUNSC_DEFAULT_ROOT,
        .log_format = "text",
        .platform = "ptrace",
        .network = "sandbox",
    };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"log", required_argument, NULL, OPT_LOG},
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
        {"debug", optional_argument, NULL, OPT_DEBUG},
        {"debug-log", required_argument, NULL, OPT_DEBUG_LOG},
        {"platform", required_argument, NULL, OPT_PLATFORM},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"rootless", optional_argument, NULL, OPT_ROOTLESS},
        {"systemd-cgroup", optional_argument, NULL, OPT_SYSTEMD_CGROUP},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    bool rootless_set = false;
    /* argv[0] "runsc-sandbox" (set by the launcher) means "boot". */
    log_set_prefix("runsc");
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            g.root = optarg;
            break;
        case OPT_LOG:
            g.log = optarg;
            break;
        case OPT_LOG_FORMAT:
            g.log_format = optarg;
            break;
        case OPT_DEBUG:
            if (parse_bool("debug", optarg, &g.debug))
                return 1;
            break;
        case OPT_DEBUG_LOG:
            g.debug_log = optarg;
            break;
        case OPT_PLATFORM:
            g.platform = optarg;
            break;
        case OPT_NETWORK:
            g.network = optarg;
            break;
        case OPT_ROOTLESS:
            if (parse_bool("rootless", optarg, &g.rootless))
                return 1;
            rootless_set = true;
            break;
        case OPT_SYSTEMD_CGROUP:
            if (parse_bool("systemd-cgroup", optarg, &g.systemd_cgroup))
                return 1;
            break;
        case OPT_VERSION:
            return cmd_version(&g, 1, argv);
        case 'h':
        case OPT_HELP:
            runsc_print_usage(stdout);
            return 0;
        case ':':
            return runsc_usage_error(NULL, "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error(NULL, "unknown flag %s (see runsc --help)", argv[optind - 1]);
        }
    }

    enum log_format fmt;
    if (log_parse_format(g.log_format, &fmt) < 0)
        return runsc_usage_error(NULL, "flag --log-format: must be text or json, got \"%s\"",
                                 g.log_format);
    if (!runsc_platform_valid(g.platform))
        return runsc_usage_error(NULL, "flag --platform: must be one of %s, got \"%s\"",
                                 cmd_platform_names(), g.platform);
    if (strcmp(g.network, "sandbox") != 0 && strcmp(g.network, "host") != 0 &&
        strcmp(g.network, "none") != 0)
        return runsc_usage_error(NULL, "flag --network: must be sandbox, host or none, got \"%s\"",
                                 g.network);
    if (!g.root[0])
        return runsc_usage_error(NULL, "flag --root: must not be empty");
    /* Not root, or root only in a user namespace (rootless podman runs the
     * runtime so): rootless, with a state root the caller can write (runc's
     * $XDG_RUNTIME_DIR rule; in a user namespace unless USER is root). */
    char rootless_root[4096];
    bool userns = geteuid() == 0 && runsc_in_user_namespace();
    if (userns && !rootless_set)
        g.rootless = true;
    const char *user = getenv("USER");
    if (geteuid() != 0 || (userns && !(user && strcmp(user, "root") == 0))) {
        if (geteuid() != 0)
            g.rootless = true;
        if (strcmp(g.root, RUNSC_DEFAULT_ROOT) == 0) {
            const char *xdg = getenv("XDG_RUNTIME_DIR");
            if (xdg && xdg[0])
                snprintf(rootless_root, sizeof(rootless_root), "%s/runsc", xdg);
            else
                snprintf(rootless_root, sizeof(rootless_root), "/tmp/runsc-%d", (int)geteuid());
            g.root = rootless_root;
        }
    }

    if (optind >= argc) {
        runsc_print_usage(stderr);
        return runsc_usage_error(NULL, "no command given");
    }
    const char *name = argv[optind];
    const struct runsc_command *cmd = runsc_find_command(name);
    if (!cmd)
        return runsc_usage_error(NULL, "unknown command \"%s\" (see runsc --help)", name);
    g.command = cmd->name;

    /* --log receives errors (and debug with --debug); --debug-log, when
     * given, gets the debug stream instead. */
    int lfd = -1;
    const char *lpath = g.debug && g.debug_log ? g.debug_log : g.log;
    if (lpath && lpath[0]) {
        char *owned = NULL;
        size_t n = strlen(lpath);
        if (lpath[n - 1] == '/') /* directory: one file per command */
            lpath = owned = xasprintf("%srunsc.%d.%s.log", lpath, (int)getpid(), cmd->name);
        lfd = open_log(lpath);
        free(owned);
        if (lfd < 0)
            return 1;
    }
    log_init(lfd, fmt, g.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
    log_debug("runsc %s: command %s", RUNSC_VERSION, cmd->name);

    int first = optind;
    optind = 0; /* commands parse their own flags; their argv[0] is the command name */
    return cmd->run(&g, argc - first, argv + first);
}
