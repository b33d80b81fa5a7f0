/* Checksum completion and TCP segmentation in software (virtio 1.2, 5.1.6.2; RFC 1071 for the
 * checksum, RFC 9293 3.1 and RFC 8200 8.1 for the TCP pseudo-headers), for backends that need
 * whole frames (slirp). A segment gets the first frame's headers with the IPv4 total length,
 * ID and header checksum or the IPv6 payload length, the TCP sequence number and checksum
 * rewritten; FIN and PSH stay on the last segment only, CWR on the first (as Linux's GSO). */
#include "hw/virtio/net-offload.h"
#include "util/bytes.h"
#include "util/inet-csum.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

void vnet_hdr_decode(const uint8_t *p, struct vnet_hdr *h)
{
    h->flags = p[0];
    h->gso_type = p[1];
    h->hdr_len = get_le16(p + 2);
    h->gso_size = get_le16(p + 4);
    h->csum_start = get_le16(p + 6);
    h->csum_offset = get_le16(p + 8);
    h->num_buffers = get_le16(p + 10);
}

void vnet_hdr_encode(const struct vnet_hdr *h, uint8_t *p)
{
    p[0] = h->flags;
    p[1] = h->gso_type;
    put_le16(p + 2, h->hdr_len);
    put_le16(p + 4, h->gso_size);
    put_le16(p + 6, h->csum_start);
    put_le16(p + 8, h->csum_offset);
    put_le16(p + 10, h->num_buffers);
}

/* NEEDS_CSUM without GSO: the driver seeded the field with the pseudo-header sum. */
static int finish_csum(const struct vnet_hdr *h, uint8_t *f, size_t len)
{
    size_t at = (size_t)h->csum_start + h->csum_offset;
    if (h->csum_start >= len || at + 2 > len)
        return -EINVAL;
    put_be16(f + at, inet_fold(inet_sum(0, f + h->csum_start, len - h->csum_start)));
    return 0;
}

/* Where the headers of a TCP frame lie. */
struct tcp_frame {
    size_t l3, l4, payload;            /* offsets of the IP header, TCP header, TCP payload */
    bool v6;
};

static int parse_tcp(const uint8_t *f, size_t len, bool v6, struct tcp_frame *t)
{
    size_t l3 = 14;
    if (len < l3)
        return -EINVAL;
    uint16_t type = get_be16(f + 12);
    if (type == 0x8100) {              /* one 802.1Q tag */
        l3 = 18;
        if (len < l3)
            return -EINVAL;
        type = get_be16(f + 16);
    }
    size_t l4;
    if (!v6) {
        if (type != 0x0800 || len < l3 + 20 || f[l3] >> 4 != 4 || (f[l3] & 15) < 5 || f[l3 + 9] != 6)
            return -EINVAL;
        l4 = l3 + (size_t)(f[l3] & 15) * 4;
    } else {
        if (type != 0x86dd || len < l3 + 40 || f[l3] >> 4 != 6 || f[l3 + 6] != 6)
            return -EINVAL;           /* extension headers are not taken */
        l4 = l3 + 40;
    }
    if (len < l4 + 20 || (f[l4 + 12] >> 4) < 5 || len < l4 + (size_t)(f[l4 + 12] >> 4) * 4)
        return -EINVAL;
    *t = (struct tcp_frame){ l3, l4, l4 + (size_t)(f[l4 + 12] >> 4) * 4, v6 };
    return 0;
}

/* The IP and TCP fields of segment s (its payload already in place, seg_len bytes in all). */
static void fix_segment(uint8_t *s, size_t seg_len, const struct tcp_frame *t, unsigned i,
                        uint32_t seq, bool last)
{
    size_t tcp_len = seg_len - t->l4;
    uint32_t sum;
    if (!t->v6) {
        put_be16(s + t->l3 + 2, (uint16_t)(seg_len - t->l3));
        put_be16(s + t->l3 + 4, (uint16_t)(get_be16(s + t->l3 + 4) + i));
        put_be16(s + t->l3 + 10, 0);
        put_be16(s + t->l3 + 10, inet_fold(inet_sum(0, s + t->l3, t->l4 - t->l3)));
        uint8_t ph[4] = { 0, 6, (uint8_t)(tcp_len >> 8), (uint8_t)tcp_len };
        sum = inet_sum(inet_sum(0, s + t->l3 + 12, 8), ph, 4);
    } else {
        put_be16(s + t->l3 + 4, (uint16_t)(seg_len - t->l4));
        uint8_t ph[8] = { 0, 0, (uint8_t)(tcp_len >> 8), (uint8_t)tcp_len, 0, 0, 0, 6 };
        sum = inet_sum(inet_sum(0, s + t->l3 + 8, 32), ph, 8);
    }
    uint8_t *th = s + t->l4;
    th[4] = (uint8_t)(seq >> 24);
    th[5] = (uint8_t)(seq >> 16);
    th[6] = (uint8_t)(seq >> 8);
    th[7] = (uint8_t)seq;
    if (!last)
        th[13] &= (uint8_t)~0x09;     /* FIN, PSH */
    if (i)
        th[13] &= (uint8_t)~0x80;     /* CWR */
    put_be16(th + 16, 0);
    put_be16(th + 16, inet_fold(inet_sum(sum, th, tcp_len)));
}

static int segment(const struct vnet_hdr *h, const uint8_t *f, size_t len, uint8_t *seg,
                   size_t seg_cap, int (*emit)(void *, const uint8_t *, size_t), void *opaque)
{
    struct tcp_frame t;
    unsigned type = h->gso_type & (uint8_t)~VNET_GSO_ECN;
    if (parse_tcp(f, len, type == VNET_GSO_TCPV6, &t) < 0 || !h->gso_size)
        return -EINVAL;
    size_t payload = len - t.payload, mss = h->gso_size;
    if (t.payload + (mss < payload ? mss : payload) > seg_cap || payload / mss > 65535)
        return -EINVAL;
    const uint8_t *th = f + t.l4;
    uint32_t seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
    unsigned i = 0;
    size_t off = 0;
    do {
        size_t n = payload - off < mss ? payload - off : mss;
        memcpy(seg, f, t.payload);
        memcpy(seg + t.payload, f + t.payload + off, n);
        fix_segment(seg, t.payload + n, &t, i, seq + (uint32_t)off, off + n == payload);
        int r = emit(opaque, seg, t.payload + n);
        if (r < 0)
            return r;
        off += n;
        i++;
    } while (off < payload);
    return 0;
}

int vnet_offload(const struct vnet_hdr *h, uint8_t *frame, size_t len, uint8_t *seg, size_t seg_cap,
                 int (*emit)(void *opaque, const uint8_t *frame, size_t len), void *opaque)
{
    unsigned type = h->gso_type & (uint8_t)~VNET_GSO_ECN;
    if (type == VNET_GSO_TCPV4 || type == VNET_GSO_TCPV6)
        return segment(h, frame, len, seg, seg_cap, emit, opaque);
    if (type != VNET_GSO_NONE)
        return -EINVAL;                /* UFO and USO are not offered */
    if ((h->flags & VNET_HDR_F_NEEDS_CSUM) && finish_csum(h, frame, len) < 0)
        return -EINVAL;
    return emit(opaque, frame, len);
}
