/* pty.h: helpers of the terminal tests (pty.c, ctty.c). Header only. */
#pragma once

#include "check.h"

#include <fcntl.h>
#include <poll.h>

/* A new pty master (skips the test when there is no ptmx). */
__attribute__((unused)) static int open_master(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 && errno == ENOENT)
        m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
    if (m < 0)
        SKIP("no /dev/ptmx: %s", strerror(errno));
    return m;
}

/* A master, unlocked; *name gets the replica's path. */
__attribute__((unused)) static int new_master(char *name, size_t size)
{
    int m = open_master();
    CHECK_OK(grantpt(m));
    CHECK_OK(unlockpt(m));
    CHECK_OK(ptsname_r(m, name, size));
    return m;
}

/* Reads exactly n bytes from fd (data may arrive late on Linux). */
__attribute__((unused)) static void read_exact(int fd, const char *want, size_t n)
{
    char buf[256];
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            FAIL("timed out after %zu of %zu bytes", got, n);
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            FAIL("read: %zd (%s)", r, strerror(errno));
        got += (size_t)r;
    }
    CHECK_MEM(buf, want, n);
}

/* Nothing (more) to read from fd within ms milliseconds. */
__attribute__((unused)) static void read_nothing_for(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, ms), 0);
}
