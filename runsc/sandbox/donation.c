#include "runsc/sandbox/donation.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/error.h"

void donation_init(struct donation *d)
{
    memset(d, 0, sizeof(*d));
}

int donation_add(struct donation *d, const char *flag, int fd)
{
    if (d->count == DONATION_MAX)
        return -EMFILE;
    d->fds[d->count] = fd;
    d->flags[d->count] = flag;
    d->group[d->count] = (int)d->count;
    d->count++;
    return 0;
}

int donation_add_list(struct donation *d, const char *flag, const int *fds, size_t n)
{
    if (d->count + n > DONATION_MAX)
        return -EMFILE;
    int g = (int)d->count;
    for (size_t i = 0; i < n; i++) {
        d->fds[d->count] = fds[i];
        d->flags[d->count] = flag;
        d->group[d->count] = g;
        d->count++;
    }
    return 0;
}

int donation_argv(const struct donation *d, char **argv, int argc)
{
    for (size_t i = 0; i < d->count;) {
        size_t j = i;
        char list[512] = "";
        size_t len = 0;
        while (j < d->count && d->group[j] == d->group[i]) {
            len +=
                (size_t)snprintf(list + len, sizeof(list) - len, "%s%zu", j > i ? "," : "", 3 + j);
            j++;
        }
        argv[argc++] = xasprintf("--%s=%s", d->flags[i], list);
        i = j;
    }
    argv[argc] = NULL;
    return argc;
}

void donation_argv_free(char **argv, int first, int argc)
{
    for (int i = first; i < argc; i++)
        free(argv[i]);
}

int donation_apply(struct donation *d)
{
    int base = 3 + (int)d->count;
    /* First move every fd above the target range, then into place. */
    int tmp[DONATION_MAX];
    for (size_t i = 0; i < d->count; i++) {
        tmp[i] = fcntl(d->fds[i], F_DUPFD_CLOEXEC, base);
        if (tmp[i] < 0)
            return -1;
    }
    for (size_t i = 0; i < d->count; i++) {
        if (dup2(tmp[i], 3 + (int)i) < 0)
            return -1;
        close(tmp[i]);
    }
    /* Nothing else of runsc's leaks into the child. */
    close_range(3 + (unsigned)d->count, ~0u, 0);
    return 0;
}

void donation_close(struct donation *d)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->fds[i] >= 0)
            close(d->fds[i]);
    d->count = 0;
}
