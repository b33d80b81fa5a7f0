/* Receive-segment coalescing (net/coalesce.h): IPv4 (RFC 791) and IPv6 (RFC 8200) TCP (RFC 9293)
 * segments of one flow merged into one frame with a virtio_net_hdr GSO_TCPV4/TCPV6 header (virtio
 * 1.2, 5.1.6). The merged frame keeps the first segment's headers with the IP length (and IPv4's
 * header checksum) redone,
 * PSH when the last segment had it, and a TCP checksum over the whole (RFC 1071), though the
 * header says DATA_VALID. Every length in a frame is checked against the frame's own length
 * before it is used; a frame that does not parse goes out untouched. */
#include "net/coalesce.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util/inet-csum.h"

#define ETH      14
#define IP4_HDR  20
#define IP6_HDR  40
#define IP_MAX   65535u                /* IPv4 total length, IPv6 payload length */
#define TCP_PSH  0x08
#define TCP_ACK  0x10

/* What a mergeable segment's headers say. */
struct seg {
    size_t l4, hdrs, pay;              /* TCP header offset; header bytes (Ethernet to TCP options);
                                        * payload bytes */
    uint32_t seq;
    bool psh, v6;
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

/* Whether f is an IPv4 (RFC 791) or IPv6 (RFC 8200) datagram carrying TCP, with no IPv4
 * options or fragment, no IPv6 extension header, and nothing after the datagram. */
static bool parse_ip(const uint8_t *f, size_t len, struct seg *s)
{
    const uint8_t *ip = f + ETH;
    if (len >= ETH + IP4_HDR && be16(f + 12) == 0x0800) {
        s->v6 = false;
        s->l4 = ETH + IP4_HDR;
        return ip[0] == 0x45 && !(be16(ip + 6) & 0x3fff) && ip[9] == 6 &&   /* no MF, no offset */
               ETH + (size_t)be16(ip + 2) == len;
    }
    if (len >= ETH + IP6_HDR && be16(f + 12) == 0x86dd) {
        s->v6 = true;
        s->l4 = ETH + IP6_HDR;
        return ip[0] >> 4 == 6 && ip[6] == 6 && ETH + IP6_HDR + (size_t)be16(ip + 4) == len;
    }
    return false;
}

/* Whether frame is a TCP segment of a kind c may merge; fills s. */
static bool parse(const struct coalesce *c, const uint8_t *f, size_t len, struct seg *s)
{
    if (len > NET_MAX_FRAME || !parse_ip(f, len, s) ||
        !(c->allow & (s->v6 ? COALESCE_V6 : COALESCE_V4)) || len < s->l4 + 20)
        return false;                  /* (an IPv6 frame may be longer than c->buf) */
    const uint8_t *tcp = f + s->l4;
    size_t thl = (size_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || s->l4 + thl >= len || (tcp[13] & ~TCP_PSH) != TCP_ACK)
        return false;                  /* no payload, or a flag other than ACK and PSH */
    s->hdrs = s->l4 + thl;
    s->pay = len - s->hdrs;
    s->seq = be32(tcp + 4);
    s->psh = tcp[13] & TCP_PSH;
    return true;
}

/* The IP header fields that must match: all but lengths, IDs and checksums. */
static bool same_ip(const uint8_t *a, const uint8_t *b, bool v6)
{
    if (v6)                            /* version, class, flow label; next header, hops, addresses */
        return !memcmp(a, b, 4) && !memcmp(a + 6, b + 6, 34);
    return a[1] == b[1] && (a[6] & 0x40) == (b[6] & 0x40) &&   /* TOS, DF */
           !memcmp(a + 8, b + 8, 2) && !memcmp(a + 12, b + 12, 8);   /* TTL, proto; addresses */
}

/* Whether pay more bytes keep the frame within the IP length field and NET_MAX_FRAME. */
static bool fits(const struct coalesce *c, size_t pay)
{
    return c->len + pay <= NET_MAX_FRAME && c->len - (c->v6 ? ETH + IP6_HDR : ETH) + pay <= IP_MAX;
}

/* Whether the segment at f (parsed into s) continues the pending frame. */
static bool joins(const struct coalesce *c, const uint8_t *f, const struct seg *s)
{
    const uint8_t *ta = c->buf + s->l4, *tb = f + s->l4;
    return !c->ended && s->v6 == c->v6 && s->hdrs == c->hdrs && s->seq == c->next_seq &&
           s->pay <= c->mss && fits(c, s->pay) &&
           !memcmp(c->buf, f, ETH) &&                          /* MAC addresses, type */
           same_ip(c->buf + ETH, f + ETH, s->v6) &&
           !memcmp(ta, tb, 4) && !memcmp(ta + 8, tb + 8, 5) &&         /* ports; ack, data offset */
           !memcmp(ta + 14, tb + 14, 2) &&                             /* window */
           !memcmp(ta + 18, tb + 18, c->hdrs - s->l4 - 18);            /* urgent pointer, options */
}

int coalesce_init(struct coalesce *c, coalesce_out_fn *out, void *opaque)
{
    memset(c, 0, sizeof(*c));
    c->out = out;
    c->opaque = opaque;
    c->allow = COALESCE_V4 | COALESCE_V6;
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
    uint8_t *ip = c->buf + ETH, *tcp = ip + (c->v6 ? IP6_HDR : IP4_HDR);
    size_t tcplen = c->len - (size_t)(tcp - c->buf);
    uint32_t sum;                      /* tcplen < 2^17: the pseudo header's sum stays small */
    if (c->v6) {
        put_be16(ip + 4, (uint16_t)tcplen);
        sum = inet_sum(0, ip + 8, 32) + 6 + (uint32_t)tcplen;   /* pseudo header (RFC 8200 8.1) */
    } else {
        put_be16(ip + 2, (uint16_t)(c->len - ETH));
        put_be16(ip + 10, 0);
        put_be16(ip + 10, inet_fold(inet_sum(0, ip, IP4_HDR)));
        sum = inet_sum(0, ip + 12, 8) + 6 + (uint32_t)tcplen;   /* pseudo header (RFC 9293 3.1) */
    }
    put_be16(tcp + 16, 0);
    put_be16(tcp + 16, inet_fold(inet_sum(sum, tcp, tcplen)));
    memset(hdr, 0, NET_HDR_LEN);
    hdr[0] = 2;                        /* VIRTIO_NET_HDR_F_DATA_VALID */
    hdr[1] = c->v6 ? 4 : 1;            /* VIRTIO_NET_HDR_GSO_TCPV6 / TCPV4 */
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
    bool ok = parse(c, frame, len, &s);
    if (ok && c->len && joins(c, frame, &s)) {
        memcpy(c->buf + c->len, frame + s.hdrs, s.pay);
        c->len += s.pay;
        c->nseg++;
        c->merged++;
        c->next_seq += (uint32_t)s.pay;
        if (s.psh)
            c->buf[s.l4 + 13] |= TCP_PSH;
        c->ended = s.psh || s.pay < c->mss;
        if (c->ended || !fits(c, c->mss))
            coalesce_flush(c);
        return;
    }
    coalesce_flush(c);
    if (!ok || s.psh) {
        c->out(c->opaque, NULL, frame, len);
        return;
    }
    memcpy(c->buf, frame, len);        /* len <= NET_MAX_FRAME (parse) */
    c->len = len;
    c->v6 = s.v6;
    c->hdrs = s.hdrs;
    c->nseg = 1;
    c->mss = (uint32_t)s.pay;
    c->next_seq = s.seq + (uint32_t)s.pay;
    c->ended = false;
}
