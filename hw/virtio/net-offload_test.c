/* hw/virtio/net-offload.c: a partial checksum completed, TCP/IPv4 and TCP/IPv6 TSO frames cut into
 * MSS segments whose lengths, IDs, sequence numbers, flags and checksums a receiver would accept,
 * and headers that do not match their frame refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/net-offload.h"
#include "util/inet-csum.h"
#include "util/bytes.h"

#define MAXSEG 8

struct sink {
    int n;
    size_t len[MAXSEG];
    uint8_t f[MAXSEG][2048];
};

static int collect(void *opaque, const uint8_t *frame, size_t len)
{
    struct sink *s = opaque;
    assert_true(s->n < MAXSEG && len <= sizeof(s->f[0]));
    memcpy(s->f[s->n], frame, len);
    s->len[s->n++] = len;
    return 0;
}

/* Ethernet + IPv4 or IPv6 + 20-byte TCP + payload bytes 0, 1, 2... Returns the frame length. */
static size_t build(uint8_t *f, bool v6, size_t payload, uint8_t tcp_flags)
{
    memset(f, 0, 14);
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    size_t l3 = 14, l4 = v6 ? 54 : 34;
    if (!v6) {
        uint8_t ip[20] = { 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2 };
        memcpy(f + l3, ip, 20);
    } else {
        memset(f + l3, 0, 40);
        f[l3] = 0x60;
        f[l3 + 6] = 6;
        f[l3 + 7] = 64;
        f[l3 + 23] = 1;                /* ::1 -> ::2 */
        f[l3 + 39] = 2;
    }
    uint8_t tcp[20] = { 0x04, 0xd2, 0, 80, 0, 0, 0x10, 0, 0, 0, 0, 0, 0x50, tcp_flags, 0xff, 0xff };
    memcpy(f + l4, tcp, 20);
    for (size_t i = 0; i < payload; i++)
        f[l4 + 20 + i] = (uint8_t)i;
    return l4 + 20 + payload;
}

/* The TCP checksum of a frame verifies (the sum over pseudo-header and segment folds to 0). */
static void assert_tcp_ok(const uint8_t *f, size_t len, bool v6)
{
    size_t l3 = 14, l4 = v6 ? 54 : 34, tl = len - l4;
    uint32_t s;
    if (!v6) {
        assert_int_equal(inet_fold(inet_sum(0, f + l3, 20)), 0);   /* IP header checksum */
        assert_int_equal(get_be16(f + l3 + 2), len - l3);
        uint8_t ph[4] = { 0, 6, (uint8_t)(tl >> 8), (uint8_t)tl };
        s = inet_sum(inet_sum(0, f + l3 + 12, 8), ph, 4);
    } else {
        assert_int_equal(get_be16(f + l3 + 4), tl);
        uint8_t ph[8] = { 0, 0, (uint8_t)(tl >> 8), (uint8_t)tl, 0, 0, 0, 6 };
        s = inet_sum(inet_sum(0, f + l3 + 8, 32), ph, 8);
    }
    assert_int_equal(inet_fold(inet_sum(s, f + l4, tl)), 0);
}

static void partial_checksum_is_completed(void **state)
{
    (void)state;
    static uint8_t f[2048], seg[2048];
    size_t len = build(f, false, 101, 0x18);
    f[16] = (uint8_t)((len - 14) >> 8);            /* IPv4 total length, header checksum */
    f[17] = (uint8_t)(len - 14);
    uint16_t ipc = inet_fold(inet_sum(0, f + 14, 20));
    f[24] = (uint8_t)(ipc >> 8);
    f[25] = (uint8_t)ipc;
    /* As Linux leaves it: the pseudo-header sum (not complemented) in the checksum field. */
    size_t tl = len - 34;
    uint8_t ph[4] = { 0, 6, (uint8_t)(tl >> 8), (uint8_t)tl };
    uint16_t seed = (uint16_t)~inet_fold(inet_sum(inet_sum(0, f + 26, 8), ph, 4));
    f[34 + 16] = (uint8_t)(seed >> 8);
    f[34 + 17] = (uint8_t)seed;
    struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 };
    struct sink s = { 0 };
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_tcp_ok(s.f[0], s.len[0], false);
}

static void tso(bool v6)
{
    static uint8_t f[8192], seg[2048];
    size_t len = build(f, v6, 2500, 0x19);         /* PSH FIN ACK */
    struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM, .gso_type = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4,
                          .gso_size = 1000, .csum_start = v6 ? 54 : 34, .csum_offset = 16 };
    struct sink s = { 0 };
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), 0);
    assert_int_equal(s.n, 3);
    size_t l4 = v6 ? 54 : 34, sizes[3] = { 1000, 1000, 500 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s.len[i], l4 + 20 + sizes[i]);
        assert_tcp_ok(s.f[i], s.len[i], v6);
        assert_int_equal(get_be32(s.f[i] + l4 + 4), 0x1000 + 1000u * (unsigned)i);
        assert_int_equal(s.f[i][l4 + 13], i == 2 ? 0x19 : 0x10);   /* FIN and PSH on the last */
        assert_int_equal(s.f[i][l4 + 20], (uint8_t)(1000 * i));     /* the payload continues */
        if (!v6)
            assert_int_equal(get_be16(s.f[i] + 18), 0x1234 + i);         /* IPv4 ID counts up */
    }
}

static void tso_ipv4(void **state) { (void)state; tso(false); }
static void tso_ipv6(void **state) { (void)state; tso(true); }

static void bad_headers_are_refused(void **state)
{
    (void)state;
    static uint8_t f[4096], seg[2048];
    struct sink s = { 0 };
    size_t len = build(f, false, 100, 0x10);
    struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = (uint16_t)len, .csum_offset = 0 };
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), -EINVAL);
    h = (struct vnet_hdr){ .flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 0xffff };
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), -EINVAL);
    h = (struct vnet_hdr){ .gso_type = VNET_GSO_TCPV4, .gso_size = 0 };
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), -EINVAL);
    h = (struct vnet_hdr){ .gso_type = VNET_GSO_TCPV6, .gso_size = 100 };   /* an IPv4 frame */
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), -EINVAL);
    h = (struct vnet_hdr){ .gso_type = VNET_GSO_UDP, .gso_size = 100 };
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), -EINVAL);
    h = (struct vnet_hdr){ .gso_type = VNET_GSO_TCPV4, .gso_size = 100 };
    assert_int_equal(vnet_offload(&h, f, 40, seg, sizeof(seg), collect, &s), -EINVAL);   /* cut short */
    h = (struct vnet_hdr){ .gso_type = VNET_GSO_TCPV4, .gso_size = 4000 };  /* segment > buffer */
    len = build(f, false, 3000, 0x10);
    assert_int_equal(vnet_offload(&h, f, len, seg, sizeof(seg), collect, &s), -EINVAL);
    assert_int_equal(s.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partial_checksum_is_completed),
        cmocka_unit_test(tso_ipv4),
        cmocka_unit_test(tso_ipv6),
        cmocka_unit_test(bad_headers_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
