/* Donated fds: the list of host fds runsc hands to a child (gofer or
 * sandbox), each passed with a flag that names it (--spec-fd=3 ...). The
 * child sees them numbered from 3 up, in the order they were added. */
#pragma once

#include <stddef.h>

#define DONATION_MAX 64

struct donation {
    int fds[DONATION_MAX]; /* in the parent; owned by the donation */
    const char *flags[DONATION_MAX];
    int group[DONATION_MAX]; /* entries with the same group form one list flag */
    size_t count;
};

void donation_init(struct donation *d);
/* Takes ownership of fd. The child gets "--flag=N". */
int donation_add(struct donation *d, const char *flag, int fd);
/* Several fds under one flag: "--flag=N,M,...". */
int donation_add_list(struct donation *d, const char *flag, const int *fds, size_t n);
/* Appends the flags to argv (argv must have room for count more entries;
 * the strings are malloc'ed and stay valid until exec). Returns the new argc. */
int donation_argv(const struct donation *d, char **argv, int argc);
/* Frees what donation_argv appended: argv[first] up to argv[argc - 1]. */
void donation_argv_free(char **argv, int first, int argc);
/* In the child (after fork): moves the fds to 3, 4, ... and clears their
 * close-on-exec flags. Async-signal-safe. Returns -1 on failure. */
int donation_apply(struct donation *d);
/* In the parent after the child started: closes them. */
void donation_close(struct donation *d);
