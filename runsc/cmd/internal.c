/* The internal multi-call entries "boot" and "gofer". They are started only
 * by runsc itself (create/do) and land with the sentry and gofer issues. */
#include "runsc/cmd/cmd.h"

int cmd_boot(struct runsc_globals *g, int argc, char **argv)
{
    return runsc_usage_error("boot", "the sandbox cannot start yet: the sentry is not built");
}

int cmd_gofer(struct runsc_globals *g, int argc, char **argv)
{
    return runsc_usage_error("gofer", "the gofer cannot start yet: it is not built");
}

int cmd_help_topic(const char *topic)
{
    return -1;
}
