#include <getopt.h>

#include "runsc/cmd/cmd.h"
#include "runsc/container/container.h"

int cmd_state(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {{NULL, 0, NULL, 0}};
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+", opts, NULL)) != -1)
        return runsc_usage_error("state", "unknown flag %s", argv[optind - 1]);
    if (argc - optind != 1)
        return runsc_usage_error("state", "expected exactly one container id (usage: %s)",
                                 "runsc state CONTAINER-ID");
    rs_error_t err = NULL;
    if (container_state(g, argv[optind], &err) < 0)
        return rs_error_report(&err);
    return 0;
}
