/* libFuzzer target over net/coalesce.c: the input is a run of frames (a 2-byte big-endian length,
 * then that many bytes, cut at the input's end), each handed to the coalescer as slirp would,
 * with a flush wherever a length's top bit is set (a poll round ends) and at the end. Whatever the
 * frames say, nothing is read past one (ASan), every byte in comes out once and in order (payload
 * and all), and a merged frame's lengths, header checksum and TCP checksum are right.
 * make fuzz-coalesce [FUZZ_TIME=600]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/coalesce.h"
#include "net/net.h"

struct check {
    uint64_t bytes_out;                /* frame bytes out, headers of merged segments counted once */
};

static uint64_t sum16(uint64_t s, const uint8_t *p, size_t n)
{
    for (; n >= 2; p += 2, n -= 2)
        s += (uint32_t)(p[0] << 8 | p[1]);
    if (n)
        s += (uint32_t)p[0] << 8;
    return s;
}

static uint16_t fold(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

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
    if (len < 54 || len > NET_MAX_FRAME || hl > len || hdr[0] != 2 || hdr[1] != 1)
        abort();
    const uint8_t *ip = f + 14;
    size_t tot = (size_t)(ip[2] << 8 | ip[3]);
    if (tot + 14 != len || fold(sum16(0, ip, 20)) != 0xffff)
        abort();
    uint64_t s = sum16(0, ip + 12, 8) + 6 + (tot - 20);
    if (fold(sum16(s, ip + 20, tot - 20)) != 0xffff)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct check chk = { 0 };
    struct coalesce c;
    if (coalesce_init(&c, out, &chk) < 0)
        return 0;
    uint64_t in = 0;
    size_t at = 0;
    while (at + 2 <= size) {
        size_t n = (size_t)((data[at] & 0x7f) << 8 | data[at + 1]);
        int flush = data[at] & 0x80;
        at += 2;
        n = n < size - at ? n : size - at;
        uint8_t *f = malloc(n ? n : 1);   /* its own allocation: ASan sees a read past it */
        memcpy(f, data + at, n);
        size_t hdrs = 0;
        if (c.len && n >= 54)             /* a segment that may join: its headers leave */
            hdrs = 14 + 20 + (size_t)(f[46] >> 4) * 4;
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
