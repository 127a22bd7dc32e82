/* unix.h: helpers of the AF_UNIX socket tests (unix_stream.c, unix_dgram.c,
 * unix_scm.c). Header only. */
#pragma once

#include "check.h"

#include <dirent.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

/* The test's directory for filesystem names (the test makes it). */
__attribute__((unused)) static char g_dir[64];

/* A filesystem address in g_dir; returns its length. */
__attribute__((unused)) static socklen_t path_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", g_dir, name);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* An abstract address "\0<name>" (no trailing NUL); returns its length. */
__attribute__((unused)) static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    size_t n = strlen(name);
    memcpy(a->sun_path + 1, name, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

/* fd's poll events now (no waiting). */
__attribute__((unused)) static uint32_t poll1(int fd, short events)
{
    struct pollfd p = {fd, events, 0};
    CHECK_OK(poll(&p, 1, 0));
    return (uint32_t)p.revents;
}

/* Removes dir and the names in it (no subdirectories). */
__attribute__((unused)) static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        FAIL("opendir %s: %s", dir, strerror(errno));
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        CHECK_OK(unlink(p));
    }
    closedir(d);
    CHECK_OK(rmdir(dir));
}
