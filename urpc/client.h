/* Blocking uRPC client: one call at a time on one connection. Not
 * thread-safe: use one client per thread, or a lock around calls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "urpc/frame.h"

struct urpc_client;

/* What a call brought back. Release with urpc_result_release(); keep an fd
 * with steal_fd(res->fds[i]). */
struct urpc_result {
    ProtobufCMessage *msg; /* the result, unpacked with reply_desc; NULL otherwise */
    int fds[URPC_MAX_FDS]; /* fd_count fds from the reply, the rest -1 */
    size_t fd_count;
    bool remote_error; /* the server answered with an error reply */
    char *error_msg;   /* its message (never NULL when remote_error) */
};

/* Takes ownership of fd (a connected unix stream socket) in every case and
 * makes it blocking. -ENOTSOCK, -EPROTOTYPE, -ENOMEM. */
int urpc_client_new(int fd, struct urpc_client **out);
/* Connects to a server's socket path. */
int urpc_client_connect(const char *path, struct urpc_client **out);
void urpc_client_free(struct urpc_client *c);

/* Calls method with req (NULL: empty payload) and fd_count borrowed fds, and
 * waits for the reply, unpacked with reply_desc (NULL: payload ignored).
 * *res is always initialised. Returns
 *     0        success: res->msg, res->fds
 *     -errnum  the server's error reply: res->remote_error, res->error_msg
 *     -EMSGSIZE, -ETOOMANYREFS  request over the limits, nothing sent
 *     -EBADMSG the result did not unpack as reply_desc
 *     -EPROTO  the reply broke the protocol (wrong id, bad error payload)
 *     -ECONNRESET the server closed the connection
 *     other -errno from the socket
 * After -EPROTO, -ECONNRESET or a socket error the client is broken: later
 * calls return -ENOTCONN. */
int urpc_client_call(struct urpc_client *c, uint32_t method, const ProtobufCMessage *req,
                     const int *fds, size_t fd_count, const ProtobufCMessageDescriptor *reply_desc,
                     struct urpc_result *res);
/* Frees the message and error text, closes the fds still held. */
void urpc_result_release(struct urpc_result *res);
