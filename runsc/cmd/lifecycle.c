/* create, start, kill, delete, run, wait, exec, ps, pause, resume, events,
 * features: flag parsing only (runc-compatible flags). update is in update.c. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runsc/cmd/cmd.h"
#include "runsc/container/lifecycle.h"

#define OPTS_END                                                                                   \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }

static int one_id(const char *cmd, int argc, char **argv, const char **id)
{
    if (argc - optind != 1)
        return runsc_usage_error(cmd, "expected exactly one container id, got %d arguments",
                                 argc - optind);
    *id = argv[optind];
    return 0;
}

static int report(int r, rs_error_t *err)
{
    return r < 0 ? rs_error_report(err) : r;
}

static int parse_create_flags(const char *cmd, int argc, char **argv, struct create_opts *o,
                              bool *detach)
{
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, 'p'},
        {"console-socket", required_argument, NULL, 'c'},
        {"no-pivot", no_argument, NULL, 'n'},
        {"no-new-keyring", no_argument, NULL, 'k'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {"detach", no_argument, NULL, 'd'},
        {"keep", no_argument, NULL, 'K'},
        {"no-subreaper", no_argument, NULL, 's'},
        OPTS_END,
    };
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:b:d", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->bundle = optarg;
            break;
        case 'p':
            o->pid_file = optarg;
            break;
        case 'c':
            o->console_socket = optarg;
            break;
        case 'd':
            if (!detach)
                return runsc_usage_error(cmd, "unknown flag -d");
            *detach = true;
            break;
        case 'n':
        case 'k':
        case 'f':
        case 'K':
        case 's':
            break; /* accepted for compatibility */
        case ':':
            return runsc_usage_error(cmd, "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error(cmd, "unknown flag %s", argv[optind - 1]);
        }
    }
    return one_id(cmd, argc, argv, &o->id);
}

int cmd_create(struct runsc_globals *g, int argc, char **argv)
{
    struct create_opts o = {0};
    if (parse_create_flags("create", argc, argv, &o, NULL))
        return 1;
    rs_error_t err = NULL;
    return report(container_create(g, &o, &err), &err);
}

int cmd_run(struct runsc_globals *g, int argc, char **argv)
{
    struct create_opts o = {0};
    bool detach = false;
    if (parse_create_flags("run", argc, argv, &o, &detach))
        return 1;
    rs_error_t err = NULL;
    return report(container_run(g, &o, detach, &err), &err);
}

static int simple_id(const char *cmd, int argc, char **argv, const char **id)
{
    static const struct option opts[] = {OPTS_END};
    opterr = 0;
    if (getopt_long_only(argc, argv, "+", opts, NULL) != -1)
        return runsc_usage_error(cmd, "unknown flag %s", argv[optind - 1]);
    return one_id(cmd, argc, argv, id);
}

int cmd_start(struct runsc_globals *g, int argc, char **argv)
{
    const char *id = NULL;
    if (simple_id("start", argc, argv, &id))
        return 1;
    rs_error_t err = NULL;
    return report(container_start(g, id, &err), &err);
}

int cmd_wait(struct runsc_globals *g, int argc, char **argv)
{
    const char *id = NULL;
    if (simple_id("wait", argc, argv, &id))
        return 1;
    rs_error_t err = NULL;
    int r = container_wait(g, id, &err);
    if (r < 0)
        return rs_error_report(&err);
    printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", id, r);
    return 0;
}

int cmd_pause(struct runsc_globals *g, int argc, char **argv)
{
    const char *id = NULL;
    if (simple_id("pause", argc, argv, &id))
        return 1;
    rs_error_t err = NULL;
    return report(container_pause(g, id, true, &err), &err);
}

int cmd_resume(struct runsc_globals *g, int argc, char **argv)
{
    const char *id = NULL;
    if (simple_id("resume", argc, argv, &id))
        return 1;
    rs_error_t err = NULL;
    return report(container_pause(g, id, false, &err), &err);
}

/* "SIGTERM", "TERM", "15" -> 15. */
static int parse_signal(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end)
        return v > 0 && v <= 64 ? (int)v : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    static const struct {
        const char *name;
        int sig;
    } names[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
        {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
        {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
        {"SYS", SIGSYS},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i].name) == 0)
            return names[i].sig;
    return -1;
}

int cmd_kill(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, OPTS_END};
    bool all = false;
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+a", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else
            return runsc_usage_error("kill", "unknown flag %s", argv[optind - 1]);
    }
    int n = argc - optind;
    if (n < 1 || n > 2)
        return runsc_usage_error("kill", "usage: runsc kill [--all] CONTAINER-ID [SIGNAL]");
    int sig = SIGTERM;
    if (n == 2) {
        sig = parse_signal(argv[optind + 1]);
        if (sig < 0)
            return runsc_usage_error("kill", "unknown signal \"%s\"", argv[optind + 1]);
    }
    rs_error_t err = NULL;
    return report(container_kill(g, argv[optind], sig, all, &err), &err);
}

int cmd_delete(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, OPTS_END};
    bool force = false;
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+f", opts, NULL)) != -1) {
        if (c == 'f')
            force = true;
        else
            return runsc_usage_error("delete", "unknown flag %s", argv[optind - 1]);
    }
    const char *id = NULL;
    if (one_id("delete", argc, argv, &id))
        return 1;
    rs_error_t err = NULL;
    return report(container_delete(g, id, force, &err), &err);
}

int cmd_exec(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"process", required_argument, NULL, 'p'},
        {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, 'P'},
        {"tty", no_argument, NULL, 't'},
        {"console-socket", required_argument, NULL, 'c'},
        {"cwd", required_argument, NULL, 'w'},
        {"env", required_argument, NULL, 'e'},
        {"user", required_argument, NULL, 'u'},
        {"cap", required_argument, NULL, 'C'},
        {"no-new-privs", no_argument, NULL, 'N'},
        {"process-label", required_argument, NULL, 'L'},
        {"apparmor", required_argument, NULL, 'A'},
        {"preserve-fds", required_argument, NULL, 'F'},
        OPTS_END,
    };
    struct exec_opts o = {0};
    o.env = calloc((size_t)argc + 1, sizeof(char *));
    o.caps = calloc((size_t)argc + 1, sizeof(char *));
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:dtp:e:u:", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o.process_json = optarg;
            break;
        case 'd':
            o.detach = true;
            break;
        case 'P':
            o.pid_file = optarg;
            break;
        case 't':
            o.tty = true;
            break;
        case 'c':
            o.console_socket = optarg;
            break;
        case 'w':
            o.cwd = optarg;
            break;
        case 'e':
            o.env[o.n_env++] = optarg;
            break;
        case 'u':
            o.user = optarg;
            break;
        case 'C':
            o.caps[o.n_caps++] = optarg;
            break;
        case 'N':
        case 'L':
        case 'A':
        case 'F':
            break;
        case ':':
            return runsc_usage_error("exec", "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error("exec", "unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return runsc_usage_error("exec", "expected a container id");
    o.id = argv[optind++];
    o.argv = argv + optind;
    if (!o.process_json && optind >= argc)
        return runsc_usage_error("exec", "expected a command (or --process FILE)");
    rs_error_t err = NULL;
    int r = container_exec(g, &o, &err);
    free(o.env);
    free(o.caps);
    return report(r, &err);
}

int cmd_ps(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, OPTS_END};
    bool json = false;
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:f:", opts, NULL)) != -1) {
        if (c == 'f') {
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "table") != 0)
                return runsc_usage_error("ps", "--format must be table or json");
        } else {
            return runsc_usage_error("ps", "unknown flag %s", argv[optind - 1]);
        }
    }
    int n = argc - optind;
    if (n < 1)
        return runsc_usage_error("ps", "expected a container id");
    rs_error_t err = NULL;
    return report(container_ps(g, argv[optind], json, &err), &err);
}

int cmd_events(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"stats", no_argument, NULL, 's'}, {"interval", required_argument, NULL, 'i'}, OPTS_END};
    bool stats = false;
    int interval = 5;
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:", opts, NULL)) != -1) {
        if (c == 's')
            stats = true;
        else if (c == 'i') {
            /* Seconds: "5" or "5s". */
            char *end;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || (*end && strcmp(end, "s") != 0) || v <= 0 || v > 86400)
                return runsc_usage_error(
                    "events", "--interval must be a positive number of seconds, got \"%s\"",
                    optarg);
            interval = (int)v;
        } else
            return runsc_usage_error("events", "unknown flag %s", argv[optind - 1]);
    }
    const char *id = NULL;
    if (one_id("events", argc, argv, &id))
        return 1;
    rs_error_t err = NULL;
    return report(container_events(g, id, stats, interval, &err), &err);
}

int cmd_features(struct runsc_globals *g, int argc, char **argv)
{
    rs_error_t err = NULL;
    return report(container_features(&err), &err);
}
