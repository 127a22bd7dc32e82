/* `runsc gofer`: flag parsing and setup; the serving is in server.c. */
#include "gofer/entry.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gofer/confine.h"
#include "gofer/server.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/log.h"

#define MAX_IO_FDS 64

struct gofer_opts {
    const char *root;
    int io_fds[MAX_IO_FDS];
    size_t io_fd_count;
    /* Bind mounts: io_fds[1 + i] serves binds[i] (read-only if bind_ro[i]). */
    const char *binds[MAX_IO_FDS];
    bool bind_ro[MAX_IO_FDS];
    size_t bind_count;
    bool readonly;
    int log_fd;
    bool debug;
};

static int parse_fd(const char *s, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_io_fds(const char *arg, struct gofer_opts *o, rs_error_t *err)
{
    cleanup_free char *copy = xstrdup(arg);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->io_fd_count == MAX_IO_FDS)
            return rs_error(err, 0, "--io-fds: more than %d fds", MAX_IO_FDS);
        int fd;
        if (parse_fd(tok, &fd) < 0)
            return rs_error(err, 0, "--io-fds: bad fd \"%s\"", tok);
        for (size_t i = 0; i < o->io_fd_count; i++)
            if (o->io_fds[i] == fd)
                return rs_error(err, 0, "--io-fds: fd %d given twice", fd);
        o->io_fds[o->io_fd_count++] = fd;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct gofer_opts *o, rs_error_t *err)
{
    enum { OPT_ROOT = 1, OPT_IO_FDS, OPT_RO, OPT_LOG_FD, OPT_DEBUG, OPT_BIND, OPT_BIND_RO };
    static const struct option opts[] = {
        {"root", required_argument, NULL, OPT_ROOT},
        {"bind", required_argument, NULL, OPT_BIND},
        {"bind-ro", required_argument, NULL, OPT_BIND_RO},
        {"io-fds", required_argument, NULL, OPT_IO_FDS},
        {"ro", no_argument, NULL, OPT_RO},
        {"log-fd", required_argument, NULL, OPT_LOG_FD},
        {"debug", no_argument, NULL, OPT_DEBUG},
        {NULL, 0, NULL, 0},
    };
    optind = 0; /* runsc's main may have used getopt already */
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ROOT:
            o->root = optarg;
            break;
        case OPT_IO_FDS:
            if (parse_io_fds(optarg, o, err) < 0)
                return -1;
            break;
        case OPT_RO:
            o->readonly = true;
            break;
        case OPT_BIND:
        case OPT_BIND_RO:
            if (o->bind_count == MAX_IO_FDS - 1)
                return rs_error(err, 0, "more than %d bind mounts", MAX_IO_FDS - 1);
            if (optarg[0] != '/')
                return rs_error(err, 0, "%s: \"%s\" is not an absolute path",
                                c == OPT_BIND_RO ? "--bind-ro" : "--bind", optarg);
            o->bind_ro[o->bind_count] = c == OPT_BIND_RO;
            o->binds[o->bind_count++] = optarg;
            break;
        case OPT_LOG_FD:
            if (parse_fd(optarg, &o->log_fd) < 0)
                return rs_error(err, 0, "--log-fd: bad fd \"%s\"", optarg);
            break;
        case OPT_DEBUG:
            o->debug = true;
            break;
        default:
            return rs_error(err, 0, "unknown or incomplete flag \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rs_error(err, 0, "unexpected argument \"%s\"", argv[optind]);
    if (!o->root)
        return rs_error(err, 0, "--root is required");
    if (o->io_fd_count == 0)
        return rs_error(err, 0, "--io-fds is required");
    if (o->bind_count && o->io_fd_count != 1 + o->bind_count)
        return rs_error(err, 0, "--io-fds has %zu fds for the root and %zu bind mounts",
                        o->io_fd_count, o->bind_count);
    return 0;
}

/* Each fid holds a host fd: take all the fds the hard limit allows. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_debug("gofer: raising RLIMIT_NOFILE: %s", strerror(errno));
    }
}

static int serve(const struct gofer_opts *o, rs_error_t *err)
{
    cleanup_close int root_fd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0)
        return rs_error(err, errno, "opening root %s", o->root);
    struct gofer_server *s = NULL;
    int r = gofer_server_new(root_fd, o->readonly, &s);
    if (r < 0)
        return rs_error(err, -r, "serving %s", o->root);
    for (size_t i = 0; i < o->io_fd_count; i++) {
        int fd = o->io_fds[i];
        if (fcntl(fd, F_GETFD) < 0) {
            r = rs_error(err, errno, "--io-fds: fd %d", fd);
            break;
        }
        if (i == 0 || o->bind_count == 0) {
            r = gofer_server_add_conn(s, fd);
            if (r < 0) {
                r = rs_error(err, -r, "--io-fds: fd %d", fd);
                break;
            }
            continue;
        }
        /* Resolved on the host now, before the pivot into the root hides it. */
        const char *src = o->binds[i - 1];
        cleanup_close int bfd = open(src, O_PATH | O_CLOEXEC);
        if (bfd < 0) {
            r = rs_error(err, errno, "bind mount source %s", src);
            close(fd);
            break;
        }
        r = gofer_server_add_mount(s, fd, bfd, o->bind_ro[i - 1]);
        if (r < 0) {
            r = rs_error(err, -r, "serving bind mount source %s", src);
            break;
        }
    }

    /* Confined once it holds everything it needs from the host: the root and /proc fds
     * (gofer_server_new) and the connections. */
    if (r == 0 && gofer_confine(o->root, err) < 0)
        r = -1;
    if (r == 0) {
        log_debug("gofer: serving %s%s on %zu connections", o->root,
                  o->readonly ? " read-only" : "", o->io_fd_count);
        r = gofer_server_serve(s);
        if (r < 0)
            r = rs_error(err, -r, "serving %s", o->root);
        else
            log_debug("gofer: every connection closed, exiting");
    }
    gofer_server_free(s);
    return r;
}

int gofer_main(int argc, char **argv)
{
    rs_error_t err = NULL;
    struct gofer_opts o = {.log_fd = -1};
    log_set_prefix("gofer");
    /* Errors are reported under the "gofer" prefix: no rs_error_wrap. */
    if (parse_args(argc, argv, &o, &err) < 0)
        return rs_error_report(&err);
    if (o.log_fd >= 0 && fcntl(o.log_fd, F_GETFD) < 0) {
        rs_error(&err, errno, "--log-fd %d", o.log_fd);
        return rs_error_report(&err);
    }
    enum log_level level = o.debug ? LOG_LEVEL_DEBUG : log_get_level();
    log_init(o.log_fd >= 0 ? o.log_fd : log_fd(), log_get_format(), level);
    raise_nofile();
    if (serve(&o, &err) < 0)
        return rs_error_report(&err);
    return 0;
}
