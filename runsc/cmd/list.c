#include <getopt.h>
#include <string.h>

#include "runsc/cmd/cmd.h"
#include "runsc/container/container.h"

int cmd_list(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    enum list_format format = LIST_FORMAT_TABLE;
    bool quiet = false;
    int c;
    opterr = 0;
    while ((c = getopt_long_only(argc, argv, "+:f:q", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "table") == 0)
                format = LIST_FORMAT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                format = LIST_FORMAT_JSON;
            else
                return runsc_usage_error("list", "--format must be table or json, got \"%s\"",
                                         optarg);
            break;
        case 'q':
            quiet = true;
            break;
        case ':':
            return runsc_usage_error("list", "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error("list", "unknown flag %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return runsc_usage_error("list", "unexpected argument \"%s\"", argv[optind]);
    rs_error_t err = NULL;
    if (container_list(g, format, quiet, &err) < 0)
        return rs_error_report(&err);
    return 0;
}
