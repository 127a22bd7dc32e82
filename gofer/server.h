/* The gofer's file server: the protocol of urpc/proto/gofer.proto served on
 * uRPC connections from the sentry, over one directory tree (the root).
 *
 * Single-threaded: one poll() loop serves every connection, one call at a
 * time. Each connection has its own fid table; its fids are released when it
 * closes. Errors are -errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct gofer_server;

/* A server for the directory root_fd (borrowed: the server keeps a dup of
 * it), read-only or not. Opens /proc (reopening files goes through
 * /proc/self/fd). -ENOTDIR, -errno of open/dup, e.g. -ENOENT without /proc. */
int gofer_server_new(int root_fd, bool readonly, struct gofer_server **out);
/* Closes every connection still open and releases their fids. NULL: no-op. */
void gofer_server_free(struct gofer_server *s);

/* Serves a connected unix stream socket (one mount of the sentry): the
 * server's root, read-only as the server is. Takes ownership of fd in every
 * case; makes it non-blocking. Call before gofer_server_serve(). -ENOTSOCK,
 * -EPROTOTYPE, -errno. */
int gofer_server_add_conn(struct gofer_server *s, int fd);
/* The same for a bind mount: the connection serves root_fd (borrowed: an
 * O_PATH fd of a directory or of a single file, never a symlink: -ELOOP),
 * read-only when readonly. Its names resolve only beneath root_fd. */
int gofer_server_add_mount(struct gofer_server *s, int fd, int root_fd, bool readonly);

/* Serves until every connection has closed (returns 0 at once when there
 * are none) or until gofer_server_stop(). -errno when poll fails. */
int gofer_server_serve(struct gofer_server *s);
/* Makes gofer_server_serve() return soon. Any thread, async-signal-safe. */
void gofer_server_stop(struct gofer_server *s);

/* Debug counter: fids currently allocated over all connections. Any thread. */
size_t gofer_server_fid_count(const struct gofer_server *s);
/* Debug counter: connections being served. Any thread. */
size_t gofer_server_conn_count(const struct gofer_server *s);
