/* net/coalesce.c: in-order segments of one flow become one GSO frame whose lengths, checksums
 * (checked with this test's own byte-pair RFC 1071 sum) and payload are right; a gap, another
 * flow, a flag other than ACK/PSH, other options/ack/window, a longer segment, the 64 KiB limit
 * and frames that are short, garbage or not TCP end a merge or pass through as they came, in
 * order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/coalesce.h"
#include "net/net.h"
#include "util/inet-csum.h"

#define MAXOUT 64
#define VNET_HDR_F_DATA_VALID 2
#define VNET_GSO_TCPV4 1

/* struct virtio_net_hdr's fields (virtio 1.2, 5.1.6), little-endian. */
struct vnet_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};

static void vnet_hdr_decode(const uint8_t *p, struct vnet_hdr *h)
{
    h->flags = p[0];
    h->gso_type = p[1];
    h->hdr_len = (uint16_t)(p[2] | p[3] << 8);
    h->gso_size = (uint16_t)(p[4] | p[5] << 8);
    h->csum_start = (uint16_t)(p[6] | p[7] << 8);
    h->csum_offset = (uint16_t)(p[8] | p[9] << 8);
    h->num_buffers = (uint16_t)(p[10] | p[11] << 8);
}

struct sink {
    int n;
    bool gso[MAXOUT];
    uint8_t hdr[MAXOUT][NET_HDR_LEN];
    size_t len[MAXOUT];
    uint8_t *f[MAXOUT];
};

static void collect(void *opaque, const uint8_t *hdr, const uint8_t *frame, size_t len)
{
    struct sink *s = opaque;
    assert_true(s->n < MAXOUT);
    s->gso[s->n] = hdr != NULL;
    if (hdr)
        memcpy(s->hdr[s->n], hdr, NET_HDR_LEN);
    s->f[s->n] = malloc(len ? len : 1);
    memcpy(s->f[s->n], frame, len);
    s->len[s->n++] = len;
}

static int setup(void **state)
{
    struct sink *s = calloc(1, sizeof(*s));
    struct coalesce *c = malloc(sizeof(*c));
    assert_int_equal(coalesce_init(c, collect, s), 0);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    for (int i = 0; i < s->n; i++)
        free(s->f[i]);
    coalesce_destroy(c);
    free(s);
    free(c);
    return 0;
}

struct segp {
    uint32_t seq, ack;
    uint16_t sport, win;
    uint8_t flags, optlen, optbyte;
    size_t pay;
    bool v6;
};

static size_t ip_len(bool v6)
{
    return v6 ? 40 : 20;
}

/* The TCP checksum's pseudo-header sum for tcplen bytes (RFC 9293 3.1, RFC 8200 8.1). */
static uint32_t pseudo(const uint8_t *ip, bool v6, size_t tcplen)
{
    uint32_t addrs = v6 ? inet_sum(0, ip + 8, 32) : inet_sum(0, ip + 12, 8);
    return addrs + 6 + (uint32_t)tcplen;
}

static void ip_header(uint8_t *ip, bool v6, size_t tcplen)
{
    if (v6) {
        ip[0] = 0x60;
        ip[4] = (uint8_t)(tcplen >> 8);
        ip[5] = (uint8_t)tcplen;
        ip[6] = 6;
        ip[7] = 64;
        memcpy(ip + 8, "\xfe\xc0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
        memcpy(ip + 24, "\xfe\xc0\0\0\0\0\0\0\x50\x54\0\xff\xfe\x12\x34\x56", 16);
        return;
    }
    size_t tot = 20 + tcplen;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[6] = 0x40;                      /* DF */
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x00\x02\x02\x0a\x00\x02\x0f", 8);
    uint16_t ic = inet_fold(inet_sum(0, ip, 20));
    ip[10] = (uint8_t)(ic >> 8);
    ip[11] = (uint8_t)ic;
}

/* Ethernet + IPv4 or IPv6 + TCP (optlen bytes of options) + payload bytes (seq + i) & 0xff,
 * checksums right. Returns the length. */
static size_t build(uint8_t *f, const struct segp *p)
{
    size_t thl = 20 + p->optlen, l3 = ip_len(p->v6), tcplen = thl + p->pay;
    memset(f, 0, 14 + l3 + thl);
    memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02", 12);
    f[12] = p->v6 ? 0x86 : 0x08;
    f[13] = p->v6 ? 0xdd : 0x00;
    uint8_t *ip = f + 14, *tcp = ip + l3;
    ip_header(ip, p->v6, tcplen);
    uint16_t sport = p->sport ? p->sport : 5000;
    tcp[0] = (uint8_t)(sport >> 8);
    tcp[1] = (uint8_t)sport;
    tcp[2] = 0x9c;
    tcp[3] = 0x40;
    for (int i = 0; i < 4; i++) {
        tcp[4 + i] = (uint8_t)(p->seq >> (24 - 8 * i));
        tcp[8 + i] = (uint8_t)(p->ack >> (24 - 8 * i));
    }
    tcp[12] = (uint8_t)(thl / 4 << 4);
    tcp[13] = p->flags ? p->flags : 0x10;
    tcp[14] = (uint8_t)((p->win ? p->win : 65535) >> 8);
    tcp[15] = (uint8_t)(p->win ? p->win : 65535);
    memset(tcp + 20, p->optbyte ? p->optbyte : 1, p->optlen);
    for (size_t i = 0; i < p->pay; i++)
        tcp[thl + i] = (uint8_t)(p->seq + i);
    uint16_t tc = inet_fold(inet_sum(pseudo(ip, p->v6, tcplen), tcp, tcplen));
    tcp[16] = (uint8_t)(tc >> 8);
    tcp[17] = (uint8_t)tc;
    return 14 + l3 + tcplen;
}

static void feed(struct coalesce *c, const struct segp *p)
{
    static uint8_t f[NET_MAX_FRAME];
    coalesce_frame(c, f, build(f, p));
}

/* Output i is a well-formed IPv4 (or, v6, IPv6) frame of pay payload bytes starting at seq. */
static void check_frame_ip(const struct sink *s, int i, uint32_t seq, size_t pay, size_t thl, bool v6)
{
    const uint8_t *f = s->f[i], *ip = f + 14, *tcp = ip + ip_len(v6);
    assert_int_equal(s->len[i], 14 + ip_len(v6) + thl + pay);
    if (v6) {
        assert_int_equal(ip[4] << 8 | ip[5], thl + pay);
    } else {
        assert_int_equal(ip[2] << 8 | ip[3], 20 + thl + pay);
        assert_int_equal(inet_fold(inet_sum(0, ip, 20)), 0);
    }
    assert_int_equal(inet_fold(inet_sum(pseudo(ip, v6, thl + pay), tcp, thl + pay)), 0);
    assert_int_equal(((uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7]), seq);
    for (size_t k = 0; k < pay; k++)
        if (tcp[thl + k] != (uint8_t)(seq + k))
            fail_msg("payload byte %zu of frame %d", k, i);
}

static void check_frame(const struct sink *s, int i, uint32_t seq, size_t pay, size_t thl)
{
    check_frame_ip(s, i, seq, pay, thl, false);
}

static void in_order_merge(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    for (uint32_t i = 0; i < 5; i++)
        feed(c, &(struct segp){ .seq = 1000 + i * 1448, .ack = 7, .pay = 1448 });
    feed(c, &(struct segp){ .seq = 1000 + 5 * 1448, .ack = 7, .pay = 500 });   /* short: ends it */
    assert_int_equal(s->n, 1);
    coalesce_flush(c);
    assert_int_equal(s->n, 1);
    assert_true(s->gso[0]);
    struct vnet_hdr h;
    vnet_hdr_decode(s->hdr[0], &h);
    assert_int_equal(h.flags, VNET_HDR_F_DATA_VALID);
    assert_int_equal(h.gso_type, VNET_GSO_TCPV4);
    assert_int_equal(h.gso_size, 1448);
    assert_int_equal(h.hdr_len, 54);
    assert_int_equal(h.num_buffers, 0);
    check_frame(s, 0, 1000, 5 * 1448 + 500, 20);
    assert_int_equal(s->f[0][14 + 20 + 13], 0x10);
    assert_int_equal(c->merged, 5);
}

static void single_and_psh(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    uint8_t f[200];
    size_t len = build(f, &(struct segp){ .seq = 1, .pay = 100 });
    coalesce_frame(c, f, len);
    assert_int_equal(s->n, 0);         /* pending until the round ends */
    coalesce_flush(c);
    assert_int_equal(s->n, 1);
    assert_false(s->gso[0]);           /* one segment: exactly as it came */
    assert_memory_equal(s->f[0], f, len);
    feed(c, &(struct segp){ .seq = 101, .pay = 100 });
    feed(c, &(struct segp){ .seq = 201, .pay = 100, .flags = 0x18 });   /* PSH: merged, then out */
    assert_int_equal(s->n, 2);
    assert_true(s->gso[1]);
    check_frame(s, 1, 101, 200, 20);
    assert_int_equal(s->f[1][14 + 20 + 13], 0x18);
    feed(c, &(struct segp){ .seq = 301, .pay = 100, .flags = 0x18 });   /* PSH alone: straight out */
    assert_int_equal(s->n, 3);
    assert_false(s->gso[2]);
}

static void gaps_and_other_flows(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    feed(c, &(struct segp){ .seq = 0, .pay = 100 });
    feed(c, &(struct segp){ .seq = 200, .pay = 100 });                  /* gap */
    feed(c, &(struct segp){ .seq = 300, .pay = 100 });
    feed(c, &(struct segp){ .seq = 400, .pay = 100, .sport = 6000 });   /* another flow */
    feed(c, &(struct segp){ .seq = 400, .pay = 100 });                  /* back: starts afresh */
    feed(c, &(struct segp){ .seq = 500, .pay = 100, .ack = 9 });        /* ack moved */
    feed(c, &(struct segp){ .seq = 600, .pay = 100, .ack = 9, .win = 100 });   /* window moved */
    feed(c, &(struct segp){ .seq = 700, .pay = 150, .ack = 9, .win = 100 });   /* longer than mss */
    coalesce_flush(c);
    assert_int_equal(s->n, 7);
    bool gso[7] = { false, true, false, false, false, false, false };
    uint32_t seq[7] = { 0, 200, 400, 400, 500, 600, 700 };
    size_t pay[7] = { 100, 200, 100, 100, 100, 100, 150 };
    for (int i = 0; i < 7; i++) {
        assert_int_equal(s->gso[i], gso[i]);
        check_frame(s, i, seq[i], pay[i], 20);
    }
    assert_int_equal(s->f[2][14 + 20 + 1], 6000 & 0xff);
}

static void flags_and_options(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    /* ACK with FIN, SYN, RST, URG, ECE, CWR; PSH without ACK */
    static const uint8_t bad[] = { 0x11, 0x12, 0x14, 0x30, 0x50, 0x90, 0x08 };
    uint32_t seq = 0;
    for (size_t i = 0; i < sizeof(bad); i++) {
        feed(c, &(struct segp){ .seq = seq, .pay = 10 });
        feed(c, &(struct segp){ .seq = seq + 10, .pay = 10, .flags = bad[i] });
        seq += 20;
    }
    coalesce_flush(c);
    assert_int_equal(s->n, 2 * (int)sizeof(bad));
    for (int i = 0; i < s->n; i++)
        assert_false(s->gso[i]);
    int n0 = s->n;
    feed(c, &(struct segp){ .seq = 0, .pay = 64, .optlen = 12, .optbyte = 1 });
    feed(c, &(struct segp){ .seq = 64, .pay = 64, .optlen = 12, .optbyte = 1 });
    feed(c, &(struct segp){ .seq = 128, .pay = 64, .optlen = 12, .optbyte = 2 });   /* other options */
    feed(c, &(struct segp){ .seq = 192, .pay = 64, .optlen = 8, .optbyte = 2 });    /* other length */
    coalesce_flush(c);
    assert_int_equal(s->n, n0 + 3);
    assert_true(s->gso[n0]);
    check_frame(s, n0, 0, 128, 32);
    assert_int_equal(s->hdr[n0][2], 14 + 20 + 32);
    check_frame(s, n0 + 1, 128, 64, 32);
    check_frame(s, n0 + 2, 192, 64, 28);
}

static void size_limit(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    uint32_t seq = 0xfffff000;         /* wraps: seq arithmetic is modulo 2^32 */
    for (int i = 0; i < 100; i++, seq += 1448)
        feed(c, &(struct segp){ .seq = seq, .pay = 1448 });
    coalesce_flush(c);
    size_t per = (65535 - 40) / 1448;  /* 45 segments fit one IP datagram */
    assert_int_equal(s->n, 3);
    uint32_t at = 0xfffff000;
    size_t left = 100 * 1448;
    for (int i = 0; i < 3; i++) {
        size_t pay = left < per * 1448 ? left : per * 1448;
        assert_true(s->gso[i]);
        check_frame(s, i, at, pay, 20);
        assert_true(s->len[i] - 14 <= 65535);
        at += (uint32_t)pay;
        left -= pay;
    }
}

static void garbage_passes(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    uint8_t f[300];
    int n = 0;
    feed(c, &(struct segp){ .seq = 0, .pay = 100 });
    for (size_t len = 0; len < 60; len += 7, n++) {   /* short frames, after a pending one */
        memset(f, 0xa5, sizeof(f));
        coalesce_frame(c, f, len);
    }
    size_t len = build(f, &(struct segp){ .seq = 100, .pay = 100 });
    struct { size_t at; uint8_t v; size_t len; } bent[] = {
        { 14 + 3, 0xff, 0 },           /* IP total length past the frame */
        { 14 + 3, 20, 0 },             /* ... or shorter than its headers */
        { 14, 0x46, 0 },               /* IP options */
        { 14 + 6, 0x60, 0 },           /* MF */
        { 14 + 7, 0x01, 0 },           /* an offset */
        { 14 + 9, 17, 0 },             /* UDP */
        { 12, 0x86, 0 },               /* not IPv4 */
        { 14 + 32, 0x40, 0 },          /* data offset 4 words: shorter than a TCP header */
        { 14 + 32, 0xf0, 0 },          /* 60 bytes of header: parses, goes out alone */
        { 0, 0, 10 },                  /* Ethernet padding */
    };
    for (size_t i = 0; i < sizeof(bent) / sizeof(bent[0]); i++, n++) {
        uint8_t g[320];
        memcpy(g, f, len);
        g[bent[i].at] = bent[i].v;
        memset(g + len, 0, sizeof(g) - len);
        coalesce_frame(c, g, len + bent[i].len);
    }
    coalesce_flush(c);
    assert_int_equal(s->n, 1 + n);
    check_frame(s, 0, 0, 100, 20);
    for (int i = 0; i < s->n; i++)
        assert_false(s->gso[i]);
    assert_int_equal(s->len[1], 0);
    assert_int_equal(s->len[2], 7);
}

/* IPv6: the same merge under GSO_TCPV6, up to NET_MAX_FRAME; not while only IPv4 is allowed
 * (the guest took GUEST_TSO4 alone); an IPv6 flow beside an IPv4 one does not join it. */
static void ipv6(void **state)
{
    struct coalesce *c = *state;
    struct sink *s = c->opaque;
    for (uint32_t i = 0; i < 4; i++)
        feed(c, &(struct segp){ .seq = i * 1440, .pay = 1440, .v6 = true });
    feed(c, &(struct segp){ .seq = 4 * 1440, .pay = 1440 });                  /* IPv4, same ports */
    coalesce_flush(c);
    assert_int_equal(s->n, 2);
    assert_true(s->gso[0]);
    struct vnet_hdr h;
    vnet_hdr_decode(s->hdr[0], &h);
    assert_int_equal(h.gso_type, 4);   /* VIRTIO_NET_HDR_GSO_TCPV6 */
    assert_int_equal(h.gso_size, 1440);
    assert_int_equal(h.hdr_len, 14 + 40 + 20);
    check_frame_ip(s, 0, 0, 4 * 1440, 20, true);
    check_frame(s, 1, 4 * 1440, 1440, 20);
    uint32_t seq = 0;
    for (int i = 0; i < 60; i++, seq += 1440)
        feed(c, &(struct segp){ .seq = seq, .pay = 1440, .v6 = true });
    coalesce_flush(c);
    size_t per = (NET_MAX_FRAME - 14 - 40 - 20) / 1440;   /* the frame limit, below IPv6's */
    assert_int_equal(s->n, 4);
    check_frame_ip(s, 2, 0, per * 1440, 20, true);
    check_frame_ip(s, 3, (uint32_t)(per * 1440), (60 - per) * 1440, 20, true);
    assert_true(s->len[2] <= NET_MAX_FRAME);
    c->allow = COALESCE_V4;
    feed(c, &(struct segp){ .seq = 0, .pay = 100, .v6 = true });
    feed(c, &(struct segp){ .seq = 100, .pay = 100, .v6 = true });
    feed(c, &(struct segp){ .seq = 0, .pay = 100 });
    feed(c, &(struct segp){ .seq = 100, .pay = 100 });
    coalesce_flush(c);
    assert_int_equal(s->n, 7);
    assert_false(s->gso[4] || s->gso[5]);
    assert_true(s->gso[6]);
    check_frame_ip(s, 5, 100, 100, 20, true);
    check_frame(s, 6, 0, 200, 20);
    c->allow = COALESCE_V4 | COALESCE_V6;
    size_t blen = 14 + 40 + 65535;     /* longer than NET_MAX_FRAME (and c->buf): as it came */
    uint8_t *big = malloc(blen);
    assert_int_equal(build(big, &(struct segp){ .seq = 0, .pay = 65535 - 20, .v6 = true }), blen);
    coalesce_frame(c, big, blen);
    big[14 + 6] = 0;                   /* a hop-by-hop options header first: as it came */
    big[14 + 4] = 0;
    big[14 + 5] = 120;
    coalesce_frame(c, big, 14 + 40 + 120);
    feed(c, &(struct segp){ .seq = 0, .pay = 100, .v6 = true });
    coalesce_frame(c, big, 14 + 40 + 120);
    coalesce_flush(c);
    assert_int_equal(s->n, 11);
    for (int i = 7; i < 11; i++)
        assert_false(s->gso[i]);
    assert_int_equal(s->len[7], blen);
    assert_memory_equal(s->f[8], big, 14 + 40 + 120);
    check_frame_ip(s, 9, 0, 100, 20, true);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(in_order_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(single_and_psh, setup, teardown),
        cmocka_unit_test_setup_teardown(gaps_and_other_flows, setup, teardown),
        cmocka_unit_test_setup_teardown(flags_and_options, setup, teardown),
        cmocka_unit_test_setup_teardown(size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(garbage_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(ipv6, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
