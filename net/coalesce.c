/* Receive-segment coalescing (net/coalesce.h): IPv4 (RFC 791) TCP (RFC 9293) segments of one flow
 * merged into one frame with a virtio_net_hdr GSO_TCPV4 header (virtio 1.2, 5.1.6). The merged
 * frame keeps the first segment's headers with the IP total length and header checksum redone,
 * PSH when the last segment had it, and a TCP checksum over the whole (RFC 1071), though the
 * header says DATA_VALID. Every length in a frame is checked against the frame's own length
 * before it is used; a frame that does not parse goes out untouched. */
#include "net/coalesce.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

#define ETH      14
#define IP_HDR   20
#define IP_MAX   65535u
#define TCP_PSH  0x08
#define TCP_ACK  0x10

/* What a mergeable segment's headers say. */
struct seg {
    size_t hdrs, pay;                  /* header bytes (Ethernet to TCP options); payload bytes */
    uint32_t seq;
    bool psh;
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* RFC 1071 sum of n bytes added to sum: big-endian 32-bit words, folded at the end. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
    for (; n >= 4; p += 4, n -= 4)
        sum += be32(p);
    if (n >= 2) {                      /* 2^16 is 1 modulo 0xffff: a half word adds as it is */
        sum += be16(p);
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Whether frame is an IPv4 TCP segment that may merge; fills s. */
static bool parse(const uint8_t *f, size_t len, struct seg *s)
{
    if (len < ETH + IP_HDR + 20 || be16(f + 12) != 0x0800)
        return false;
    const uint8_t *ip = f + ETH;
    size_t tot = be16(ip + 2);
    if (ip[0] != 0x45 || (be16(ip + 6) & 0x3fff) || ip[9] != 6 || ETH + tot != len)
        return false;                  /* options, MF or an offset, not TCP, padding or short */
    const uint8_t *tcp = ip + IP_HDR;
    size_t thl = (size_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || IP_HDR + thl >= tot || (tcp[13] & ~TCP_PSH) != TCP_ACK)
        return false;                  /* no payload, or a flag other than ACK and PSH */
    s->hdrs = ETH + IP_HDR + thl;
    s->pay = len - s->hdrs;
    s->seq = be32(tcp + 4);
    s->psh = tcp[13] & TCP_PSH;
    return true;
}

/* Whether the segment at f (parsed into s) continues the pending frame. */
static bool joins(const struct coalesce *c, const uint8_t *f, const struct seg *s)
{
    const uint8_t *a = c->buf + ETH, *b = f + ETH;
    const uint8_t *ta = a + IP_HDR, *tb = b + IP_HDR;
    return !c->ended && s->hdrs == c->hdrs && s->seq == c->next_seq && s->pay <= c->mss &&
           c->len - ETH + s->pay <= IP_MAX &&
           !memcmp(c->buf, f, ETH) &&                          /* MAC addresses, type */
           a[1] == b[1] && (a[6] & 0x40) == (b[6] & 0x40) &&   /* TOS, DF */
           !memcmp(a + 8, b + 8, 2) && !memcmp(a + 12, b + 12, 8) &&   /* TTL, proto; addresses */
           !memcmp(ta, tb, 4) && !memcmp(ta + 8, tb + 8, 5) &&         /* ports; ack, data offset */
           !memcmp(ta + 14, tb + 14, 2) &&                             /* window */
           !memcmp(ta + 18, tb + 18, c->hdrs - ETH - IP_HDR - 18);     /* urgent pointer, options */
}

int coalesce_init(struct coalesce *c, coalesce_out_fn *out, void *opaque)
{
    memset(c, 0, sizeof(*c));
    c->out = out;
    c->opaque = opaque;
    c->buf = malloc(NET_MAX_FRAME);
    return c->buf ? 0 : -ENOMEM;
}

void coalesce_destroy(struct coalesce *c)
{
    free(c->buf);
    c->buf = NULL;
    c->len = 0;
}

/* The merged frame's IP and TCP headers, and its virtio_net_hdr into hdr. */
static void finish(struct coalesce *c, uint8_t *hdr)
{
    uint8_t *ip = c->buf + ETH, *tcp = ip + IP_HDR;
    size_t tot = c->len - ETH, tcplen = tot - IP_HDR;
    put_be16(ip + 2, (uint16_t)tot);
    put_be16(ip + 10, 0);
    put_be16(ip + 10, csum_fold(csum_add(0, ip, IP_HDR)));
    put_be16(tcp + 16, 0);
    uint64_t sum = csum_add(0, ip + 12, 8) + 6 + tcplen;       /* pseudo header (RFC 9293 3.1) */
    put_be16(tcp + 16, csum_fold(csum_add(sum, tcp, tcplen)));
    memset(hdr, 0, NET_HDR_LEN);
    hdr[0] = 2;                        /* VIRTIO_NET_HDR_F_DATA_VALID */
    hdr[1] = 1;                        /* VIRTIO_NET_HDR_GSO_TCPV4 */
    hdr[2] = (uint8_t)c->hdrs;         /* hdr_len, little-endian */
    hdr[3] = (uint8_t)(c->hdrs >> 8);
    hdr[4] = (uint8_t)c->mss;          /* gso_size */
    hdr[5] = (uint8_t)(c->mss >> 8);
}

void coalesce_flush(struct coalesce *c)
{
    if (!c->len)
        return;
    size_t len = c->len;
    uint8_t hdr[NET_HDR_LEN];
    if (c->nseg > 1)
        finish(c, hdr);
    c->len = 0;
    c->out(c->opaque, c->nseg > 1 ? hdr : NULL, c->buf, len);
}

void coalesce_frame(struct coalesce *c, const uint8_t *frame, size_t len)
{
    struct seg s;
    bool ok = parse(frame, len, &s);
    if (ok && c->len && joins(c, frame, &s)) {
        memcpy(c->buf + c->len, frame + s.hdrs, s.pay);
        c->len += s.pay;
        c->nseg++;
        c->merged++;
        c->next_seq += (uint32_t)s.pay;
        if (s.psh)
            c->buf[ETH + IP_HDR + 13] |= TCP_PSH;
        c->ended = s.psh || s.pay < c->mss;
        if (c->ended || c->len - ETH + c->mss > IP_MAX)
            coalesce_flush(c);
        return;
    }
    coalesce_flush(c);
    if (!ok || s.psh) {
        c->out(c->opaque, NULL, frame, len);
        return;
    }
    memcpy(c->buf, frame, len);        /* len == ETH + the IP total length: at most 65549 */
    c->len = len;
    c->hdrs = s.hdrs;
    c->nseg = 1;
    c->mss = (uint32_t)s.pay;
    c->next_seq = s.seq + (uint32_t)s.pay;
    c->ended = false;
}
