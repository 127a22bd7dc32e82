/* The internal multi-call entries "boot" (the sandbox: sentry) and "gofer",
 * started only by runsc itself. This is the one runsc file that includes
 * the sentry's and gofer's entry headers (tools/check-deps allows it). */
#include "gofer/entry.h"
#include "runsc/cmd/cmd.h"
#include "sentry/boot/entry.h"

int cmd_boot(struct runsc_globals *g, int argc, char **argv)
{
    return sentry_boot_main(argc, argv);
}

int cmd_gofer(struct runsc_globals *g, int argc, char **argv)
{
    return gofer_main(argc, argv);
}

int cmd_help_topic(const char *topic)
{
    return sentry_help_topic(topic);
}

const char *cmd_platform_names(void)
{
    return sentry_platform_names();
}
