#include <getopt.h>
#include <stdbool.h>

#include "runsc/cmd/cmd.h"
#include "runsc/container/container.h"

int cmd_spec(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},
        {"rootless", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *bundle = ".";
    bool rootless = g->rootless;
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+:b:", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bundle = optarg;
            break;
        case 'r':
            rootless = true;
            break;
        case ':':
            return runsc_usage_error("spec", "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error("spec", "unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return runsc_usage_error("spec", "unexpected argument \"%s\"", argv[optind]);
    rs_error_t err = NULL;
    if (container_spec(g, bundle, rootless, &err) < 0)
        return rs_error_report(&err);
    return 0;
}
