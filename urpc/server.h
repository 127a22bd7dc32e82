/* uRPC server: a method table, the dispatch of one call frame into a reply,
 * and a blocking poll() runner that serves many connections at once.
 *
 * Any event loop can drive a server at the connection level: make the
 * connection's fd non-blocking, and on readability call
 * urpc_server_on_readable(); while urpc_conn_pending() wait for writability
 * instead and call urpc_conn_flush(). urpc_server_run() is exactly that over
 * poll(). Handlers run on the loop's thread, one call at a time.
 *
 * Bad input from a peer never stops the server: a frame that breaks the
 * protocol (see urpc_conn_recv) closes that one connection; an unknown method
 * gets an ENOSYS error reply, a request that does not unpack an EINVAL one,
 * and the connection stays usable. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "urpc/conn.h"
#include "urpc/frame.h"

/* Connections a runner serves at once; more are accepted and closed. */
#define URPC_SERVER_MAX_CONNS 1024
/* Error messages longer than this are truncated. */
#define URPC_MAX_ERROR_MSG_SIZE 4096

struct urpc_server;
/* Opaque: filled by a handler through urpc_reply_*(). */
struct urpc_reply;

struct urpc_request {
    uint32_t method;
    uint64_t id;
    /* The request unpacked with the descriptor given at registration (NULL
     * when registered without one); freed after the handler returns. */
    const ProtobufCMessage *msg;
    /* fd_count fds that came with the call. Closed after the handler returns,
     * except those it takes with steal_fd(req->fds[i]). */
    int *fds;
    size_t fd_count;
    struct urpc_conn *conn;
};

/* Returns 0 for a result reply (urpc_reply_set_msg, urpc_reply_add_fd; both
 * optional: the default is an empty payload), or -errno for an error reply
 * (message from urpc_reply_error, default strerror). */
typedef int (*urpc_handler_fn)(void *arg, struct urpc_request *req, struct urpc_reply *reply);

/* A server with the built-in "Urpc.Ping" (echoes a urpc.Ping). -ENOMEM,
 * -errno of pipe2. */
int urpc_server_new(struct urpc_server **out);
/* Closes the connections it still holds. NULL is a no-op. */
void urpc_server_free(struct urpc_server *s);
/* Serves method with fn. req_desc is the request's message type; NULL means
 * the request payload must be empty. -EEXIST when already registered,
 * -EINVAL for a NULL fn, -ENOMEM. */
int urpc_server_register(struct urpc_server *s, uint32_t method,
                         const ProtobufCMessageDescriptor *req_desc, urpc_handler_fn fn, void *arg);

/* For handlers. set_msg packs msg at once (it may live on the handler's
 * stack): 0, -EMSGSIZE, -ENOMEM. add_fd takes ownership of fd in every case:
 * 0, -EBADF, -ETOOMANYREFS past URPC_MAX_FDS (fd closed). urpc_reply_error
 * records the message of an error reply and returns -errnum (errnum outside
 * 1..4095 becomes EIO), so a handler can `return urpc_reply_error(...)`. */
int urpc_reply_set_msg(struct urpc_reply *r, const ProtobufCMessage *msg);
int urpc_reply_add_fd(struct urpc_reply *r, int fd);
int urpc_reply_error(struct urpc_reply *r, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Dispatches one received frame (consumed in every case) and queues its
 * reply on c. Returns 0, or -errno when the connection must be closed:
 * -EPROTO for a frame that is not a call, or the error of sending. */
int urpc_server_handle(struct urpc_server *s, struct urpc_conn *c, struct urpc_frame *f);
/* Receives and handles the frames available on c's non-blocking fd (at most
 * 16 per call, and none while a reply is pending, so level-triggered loops
 * stay fair and the send queue stays short). Returns 0 to keep the
 * connection, 1 when the peer closed it, -errno on a protocol or I/O error;
 * free the connection on anything but 0. */
int urpc_server_on_readable(struct urpc_server *s, struct urpc_conn *c);
/* One poll() wakeup of c, whose fd was polled for POLLOUT while
 * urpc_conn_pending(c) and for POLLIN otherwise; revents is what poll()
 * returned for it (non-zero). Flushes the pending reply, or handles the
 * frames available (urpc_server_on_readable). Returns 0 to keep the
 * connection, 1 when the peer closed it, -errno (-EBADF for POLLNVAL) on a
 * protocol or I/O error; free the connection on anything but 0. */
int urpc_server_on_poll(struct urpc_server *s, struct urpc_conn *c, short revents);

/* Serves an already connected socket (e.g. one end of a socketpair) in
 * urpc_server_run. Takes ownership of fd; makes it non-blocking. Call before
 * run or from a handler. -EMFILE past URPC_SERVER_MAX_CONNS. */
int urpc_server_add_fd(struct urpc_server *s, int fd);
/* Accepts on listen_fd (made non-blocking; -1: none) and serves every
 * connection until urpc_server_stop. Returns 0 when stopped (after closing
 * the connections), -errno when poll fails. listen_fd stays the caller's. */
int urpc_server_run(struct urpc_server *s, int listen_fd);
/* Makes urpc_server_run return. Any thread, async-signal-safe. */
void urpc_server_stop(struct urpc_server *s);
