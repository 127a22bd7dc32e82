/* Frame header encoding and validation (layout in frame.h). */
#include "urpc/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void urpc_hdr_encode(const struct urpc_hdr *h, uint8_t out[URPC_HDR_SIZE])
{
    put_le32(out, URPC_MAGIC);
    out[4] = URPC_VERSION;
    out[5] = h->kind;
    out[6] = h->flags;
    out[7] = h->fd_count;
    put_le32(out + 8, h->payload_size);
    put_le32(out + 12, h->method);
    put_le64(out + 16, h->id);
}

int urpc_hdr_decode(const uint8_t in[URPC_HDR_SIZE], struct urpc_hdr *out)
{
    if (get_le32(in) != URPC_MAGIC)
        return -EPROTO;
    if (in[4] != URPC_VERSION)
        return -EPROTONOSUPPORT;
    struct urpc_hdr h = {
        .kind = in[5],
        .flags = in[6],
        .fd_count = in[7],
        .payload_size = get_le32(in + 8),
        .method = get_le32(in + 12),
        .id = get_le64(in + 16),
    };
    if (h.kind != URPC_KIND_CALL && h.kind != URPC_KIND_REPLY)
        return -EPROTO;
    if ((h.flags & ~URPC_FLAG_ERROR) != 0 || (h.kind == URPC_KIND_CALL && h.flags != 0))
        return -EPROTO;
    if (h.payload_size > URPC_MAX_PAYLOAD_SIZE)
        return -EMSGSIZE;
    if (h.fd_count > URPC_MAX_FDS)
        return -ETOOMANYREFS;
    *out = h;
    return 0;
}

void urpc_frame_free(struct urpc_frame *f)
{
    if (!f)
        return;
    for (int i = 0; i < URPC_MAX_FDS; i++)
        if (f->fds[i] >= 0)
            close(f->fds[i]);
    free(f->payload);
    free(f);
}
