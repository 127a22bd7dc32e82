/* One uRPC connection: a unix SOCK_STREAM socket that carries frames.
 *
 * This is the level an event loop uses (the poll() runner in server.c, the
 * sentry's libuv control server): when the fd is readable call
 * urpc_conn_recv() until it stops returning frames; when urpc_conn_pending()
 * ask for writability and call urpc_conn_flush(). With a blocking fd every
 * call completes (or fails) before it returns; that is how the client uses it.
 *
 * Errors are -errno. A receive error other than -EAGAIN is sticky: the byte
 * stream cannot be trusted any more and the connection must be freed. Every
 * fd received with a frame that is then rejected is closed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "urpc/frame.h"

struct urpc_conn;

/* Wraps a connected unix stream socket; takes ownership of fd in every case
 * (closes it on failure). -ENOTSOCK / -EPROTOTYPE when fd is not a
 * SOCK_STREAM socket, -ENOMEM. */
int urpc_conn_new(int fd, struct urpc_conn **out);
/* Closes the fd, the fds of a partly received frame and of unsent frames. */
void urpc_conn_free(struct urpc_conn *c);
int urpc_conn_fd(const struct urpc_conn *c);

/* Reads towards the next frame. Returns
 *     1        *out is a complete frame (free it with urpc_frame_free)
 *     0        the peer closed the connection between two frames
 *     -EAGAIN  a non-blocking fd has no more data yet; call again later
 *     -ECONNRESET the peer closed in the middle of a frame
 *     -EPROTO, -EPROTONOSUPPORT, -EMSGSIZE, -ETOOMANYREFS  bad header
 *              (see urpc_hdr_decode); -ETOOMANYREFS also when more than
 *              URPC_MAX_FDS fds arrive with one frame
 *     -EBADMSG the fds that arrived do not match the header's fd_count
 *     other -errno from recvmsg, -ENOMEM
 * A frame never crosses a read: each read stops at the current frame's end,
 * so fds (attached by the sender to the frame's first byte) arrive with the
 * frame they belong to. */
int urpc_conn_recv(struct urpc_conn *c, struct urpc_frame **out);

/* Sends a frame: hdr's kind, flags, method and id; payload_size and fd_count
 * are computed from msg (NULL: empty payload) and fd_count. The fds are
 * borrowed (duplicated for the send; the caller still owns them). Whatever
 * the socket does not take now is queued: returns 0 when sent or queued,
 * -EMSGSIZE (payload over URPC_MAX_PAYLOAD_SIZE), -ETOOMANYREFS (fd_count over
 * URPC_MAX_FDS), -EBADF, -ENOMEM, or the -errno of sendmsg (the connection
 * is then dead). Nothing is sent when it fails before sendmsg. */
int urpc_conn_send(struct urpc_conn *c, const struct urpc_hdr *hdr, const ProtobufCMessage *msg,
                   const int *fds, size_t fd_count);
/* Writes queued frames. 0 when the queue is empty, -EAGAIN when the socket is
 * full (wait for POLLOUT), other -errno on failure. */
int urpc_conn_flush(struct urpc_conn *c);
/* True while frames wait in the send queue. */
bool urpc_conn_pending(const struct urpc_conn *c);

/* Socket helpers; all fds are O_CLOEXEC. urpc_listen() does not unlink an
 * existing path (-EADDRINUSE); -ENAMETOOLONG for paths over sun_path. */
int urpc_listen(const char *path, int *out_fd);
int urpc_connect(const char *path, int *out_fd);
int urpc_socketpair(int fds[2]);
