/* libFuzzer target over net/coalesce.c: the input is a run of frames (a 2-byte big-endian length,
 * then that many bytes, cut at the input's end), each handed to the coalescer as slirp would,
 * with a flush wherever a length's top bit is set (a poll round ends) and at the end. Whatever the
 * frames say, nothing is read past one (ASan), every byte in comes out once and in order (payload
 * and all), and a merged frame's (IPv4 or IPv6) lengths, header checksum and TCP checksum are
 * right.
 * make fuzz-coalesce [FUZZ_TIME=600]. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/coalesce.h"
#include "net/net.h"
#include "util/inet-csum.h"

struct check {
    uint64_t bytes_out;                /* frame bytes out, headers of merged segments counted once */
};

static void out(void *opaque, const uint8_t *hdr, const uint8_t *f, size_t len)
{
    struct check *c = opaque;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < len; i++)
        sink ^= f[i];                  /* every byte readable */
    (void)sink;
    c->bytes_out += len;
    if (!hdr)
        return;
    size_t hl = (size_t)(hdr[2] | hdr[3] << 8);
    bool v6 = hdr[1] == 4;
    if (len < (v6 ? 74 : 54) || len > NET_MAX_FRAME || hl > len || hdr[0] != 2 || (hdr[1] != 1 && !v6))
        abort();
    const uint8_t *ip = f + 14;
    size_t l3 = v6 ? 40 : 20, tcplen = len - 14 - l3;
    uint32_t s;
    if (v6) {
        if ((size_t)(ip[4] << 8 | ip[5]) != tcplen)
            abort();
        s = inet_sum(0, ip + 8, 32) + 6 + (uint32_t)tcplen;
    } else {
        if ((size_t)(ip[2] << 8 | ip[3]) + 14 != len || inet_fold(inet_sum(0, ip, 20)) != 0)
            abort();
        s = inet_sum(0, ip + 12, 8) + 6 + (uint32_t)tcplen;
    }
    if (inet_fold(inet_sum(s, ip + l3, tcplen)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct check chk = { 0 };
    struct coalesce c;
    if (coalesce_init(&c, out, &chk) < 0)
        return 0;
    if (size && data[0] == 0xff)          /* what the guest took: both, or one of them */
        c.allow = COALESCE_V4;
    else if (size && data[0] == 0xfe)
        c.allow = COALESCE_V6;
    uint64_t in = 0;
    size_t at = 0;
    while (at + 2 <= size) {
        size_t n = (size_t)((data[at] & 0x7f) << 8 | data[at + 1]);
        int flush = data[at] & 0x80;
        at += 2;
        n = n < size - at ? n : size - at;
        uint8_t *f = malloc(n ? n : 1);   /* its own allocation: ASan sees a read past it */
        memcpy(f, data + at, n);
        size_t hdrs = 0, l4 = c.v6 ? 54 : 34;
        if (c.len && n >= l4 + 20)        /* a segment that may join: its headers leave */
            hdrs = l4 + (size_t)(f[l4 + 12] >> 4) * 4;
        unsigned long before = c.merged;
        coalesce_frame(&c, f, n);
        in += n - (c.merged != before ? hdrs : 0);
        free(f);
        at += n;
        if (flush)
            coalesce_flush(&c);
    }
    coalesce_flush(&c);
    if (chk.bytes_out != in)
        abort();
    coalesce_destroy(&c);
    return 0;
}
