#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "runsc/cmd/cmd.h"
#include "runsc/container/do.h"

int cmd_do(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"rootfs", required_argument, NULL, 'r'},
        {"cwd", required_argument, NULL, 'c'},
        {"env", required_argument, NULL, 'e'},
        {"platform", required_argument, NULL, 'p'},
        {"writable", no_argument, NULL, 'w'},
        {"tmpfs", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    struct do_options o = {0};
    o.env = calloc((size_t)argc + 1, sizeof(char *));
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o.rootfs = optarg;
            break;
        case 'c':
            if (optarg[0] != '/')
                return runsc_usage_error("do", "--cwd must be an absolute path, got \"%s\"",
                                         optarg);
            o.cwd = optarg;
            break;
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return runsc_usage_error("do", "--env must be KEY=VALUE, got \"%s\"", optarg);
            o.env[o.n_env++] = optarg;
            break;
        case 'p':
            if (!runsc_platform_valid(optarg))
                return runsc_usage_error("do", "flag --platform: must be one of %s, got \"%s\"",
                                         cmd_platform_names(), optarg);
            g->platform = optarg;
            break;
        case 'w':
            o.writable = true;
            break;
        case 't':
            if (optarg[0] != '/')
                return runsc_usage_error("do", "--tmpfs must be an absolute path, got \"%s\"",
                                         optarg);
            /* A tmpfs mounted on / would never be seen (paths start at the rootfs). */
            if (optarg[strspn(optarg, "/")] == '\0')
                return runsc_usage_error("do", "--tmpfs cannot be the root directory \"%s\"",
                                         optarg);
            if (o.n_tmpfs == DO_MAX_TMPFS)
                return runsc_usage_error("do", "at most %d --tmpfs flags", DO_MAX_TMPFS);
            o.tmpfs[o.n_tmpfs++] = optarg;
            break;
        case ':':
            return runsc_usage_error("do", "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error("do", "unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return runsc_usage_error("do", "no program given (usage: runsc do [flags] PROG ARGS...)");
    o.argv = argv + optind;
    o.argc = (size_t)(argc - optind);
    rs_error_t err = NULL;
    int status = container_do(g, &o, &err);
    free(o.env);
    if (status < 0)
        return rs_error_report(&err);
    return status;
}
