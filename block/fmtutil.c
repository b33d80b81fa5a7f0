/*
 * Helpers shared by the foreign image formats: CRC-32C (RFC 3720 B.4 polynomial), GUID text, randomness,
 * and the read loop / block status over a format's map (QEMU block/vdi.c, vpc.c, vhdx.c each open-code
 * the same walk: map a range, zero-fill an unmapped one, else read from the file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "block/block.h"
#include "block/fmtutil.h"

uint32_t fu_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return ~crc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 0;
}

void fu_guid(const char *text, uint8_t out[16])
{
    uint8_t b[16];
    int n = 0;
    for (const char *p = text; *p && p[1] && n < 16; p++) {
        if (*p == '-')
            continue;
        b[n++] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
        p++;
    }
    static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    for (int i = 0; i < 16; i++)
        out[i] = b[order[i]];
}

void fu_random(void *buf, size_t len)
{
    if (getrandom(buf, len, 0) == (ssize_t)len)
        return;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = (uint8_t)rand_r(&seed);
}

static int fu_map(struct blk *bs, const struct fu_fmt *f, uint64_t off, uint64_t len, struct fu_extent *m)
{
    *m = (struct fu_extent){ .kind = FU_UNALLOC };
    int r = f->map(bs, off, len, m);
    if (r < 0)
        return r;
    return m->n && m->n <= len ? 0 : -EIO;   /* a map that does not advance would loop forever */
}

int fu_read(struct blk *bs, const struct fu_fmt *f, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        struct fu_extent m;
        int r = fu_map(bs, f, off, len, &m);
        if (r == 0 && (m.kind == FU_UNALLOC || m.kind == FU_ZERO))
            memset(p, 0, m.n);
        else if (r == 0 && m.kind == FU_HOST)
            r = m.file->ops->pread(m.file, p, m.n, m.host);
        else if (r == 0)
            r = f->own_read(bs, &m, p);
        if (r < 0)
            return r;
        off += m.n, p += m.n, len -= m.n;
    }
    return 0;
}

int fu_block_status(struct blk *bs, const struct fu_fmt *f, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    struct fu_extent m;
    int r = fu_map(bs, f, off, len, &m);
    if (r < 0)
        return r;
    *pnum = m.n;
    if (m.kind == FU_UNALLOC)
        return 0;
    if (m.kind == FU_ZERO)
        return BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED;
    if (m.kind == FU_OWN)
        return f->own_status(bs, &m, pnum, map);
    *map = m.host;
    int data = 1;
    if (m.holes && m.file->ops->data_status) {
        data = m.file->ops->data_status(m.file, m.host, m.n, pnum);
        if (!*pnum || *pnum > m.n)
            *pnum = m.n;
    }
    return (data ? BLK_STATUS_DATA : BLK_STATUS_ZERO) | BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET;
}
