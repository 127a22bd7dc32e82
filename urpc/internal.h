/* Declarations private to urpc/. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "urpc/conn.h"
#include "urpc/frame.h"

/* Packs msg (NULL: empty) after room for a header into a new buffer and
 * encodes hdr (with payload_size and fd_count filled in) in front of it.
 * -EMSGSIZE when the payload is over URPC_MAX_PAYLOAD_SIZE, -ENOMEM.
 * Precondition (asserted): fd_count <= URPC_MAX_FDS. */
int urpc_pack_frame(const struct urpc_hdr *hdr, const ProtobufCMessage *msg, size_t fd_count,
                    uint8_t **out_buf, size_t *out_size);
/* Queues buf (header + payload) with fds and flushes. Takes ownership of buf
 * and of the fds in every case. Returns 0 when sent or queued, or -errno.
 * Precondition (asserted): fd_count <= URPC_MAX_FDS. */
int urpc_conn_queue_packed(struct urpc_conn *c, uint8_t *buf, size_t size, const int *fds,
                           size_t fd_count);
