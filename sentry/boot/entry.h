/* Entry points of the sandbox side of the multi-call binary (runsc boot).
 * runsc/cmd/internal.c is the only runsc file allowed to include this. */
#pragma once

/* runsc boot [flags]: runs the sentry; returns the process exit status. */
int sentry_boot_main(int argc, char **argv);
/* "runsc help syscalls": prints the syscall table. -1 if topic unknown. */
int sentry_help_topic(const char *topic);
/* The platforms built into this binary, comma-separated ("ptrace"). */
const char *sentry_platform_names(void);
