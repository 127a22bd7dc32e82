/* uRPC frame header: encoding, validation and the decoded frame.
 *
 * Wire layout (all integers little-endian), URPC_HDR_SIZE = 24 bytes:
 *     off size field
 *       0    4 magic         "URPC" (0x55 0x52 0x50 0x43)
 *       4    1 version       URPC_VERSION
 *       5    1 kind          URPC_KIND_CALL or URPC_KIND_REPLY
 *       6    1 flags         URPC_FLAG_ERROR (replies only); other bits 0
 *       7    1 fd_count      fds attached with SCM_RIGHTS, <= URPC_MAX_FDS
 *       8    4 payload_size  protobuf-c payload bytes that follow, <= 16 MiB
 *      12    4 method        method id (urpc/methods.h); a reply echoes it
 *      16    8 id            call id chosen by the caller; a reply echoes it
 * followed by payload_size bytes of protobuf: the method's request or result
 * message, or a urpc.Error when URPC_FLAG_ERROR is set. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define URPC_MAGIC 0x43505255u /* "URPC" read as a little-endian u32 */
#define URPC_VERSION 1
#define URPC_HDR_SIZE 24
#define URPC_MAX_FDS 16
#define URPC_MAX_PAYLOAD_SIZE (16u << 20)
/* The errnum of a urpc.Error is 1..URPC_MAX_ERRNO. */
#define URPC_MAX_ERRNO 4095

enum urpc_kind { URPC_KIND_CALL = 1, URPC_KIND_REPLY = 2 };

/* The reply carries a urpc.Error instead of the result. */
#define URPC_FLAG_ERROR 0x01u

struct urpc_hdr {
    uint8_t kind;
    uint8_t flags;
    uint8_t fd_count;
    uint32_t payload_size;
    uint32_t method;
    uint64_t id;
};

/* A received frame. Owns its payload and its fds; a user that keeps an fd
 * takes it with steal_fd(frame->fds[i]). */
struct urpc_frame {
    struct urpc_hdr hdr;
    uint8_t *payload;      /* hdr.payload_size bytes; NULL when 0 */
    int fds[URPC_MAX_FDS]; /* hdr.fd_count fds, the rest -1 */
};

/* Writes magic, version and the fields of h. Does not validate h. */
void urpc_hdr_encode(const struct urpc_hdr *h, uint8_t out[URPC_HDR_SIZE]);
/* Parses and validates a header. Returns 0, or
 *     -EPROTO           bad magic, unknown kind or flags, ERROR flag on a call
 *     -EPROTONOSUPPORT  another version
 *     -EMSGSIZE         payload_size > URPC_MAX_PAYLOAD_SIZE
 *     -ETOOMANYREFS     fd_count > URPC_MAX_FDS */
int urpc_hdr_decode(const uint8_t in[URPC_HDR_SIZE], struct urpc_hdr *out);

/* Frees the payload, closes the fds still owned, frees f. NULL is a no-op. */
void urpc_frame_free(struct urpc_frame *f);
