/* Unit tests for block/fmtutil.c (CRC-32C, GUID byte order, the mapped read loop) and the VHD footer checksum (vpc.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vpc.h"

static void test_crc32c(void **st)
{
    (void)st;
    assert_int_equal(fu_crc32c(0, "123456789", 9), 0xe3069283u);     /* RFC 3720 check value */
    assert_int_equal(fu_crc32c(0, "", 0), 0);
    uint8_t zeros[32] = { 0 };
    assert_int_equal(fu_crc32c(0, zeros, sizeof(zeros)), 0x8a9136aau); /* RFC 3720 B.4: 32 bytes of 0 */
    /* Chained over two halves equals one pass. */
    assert_int_equal(fu_crc32c(fu_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

static void test_guid(void **st)
{
    (void)st;
    uint8_t g[16];
    fu_guid("2DC27766-F623-4200-9D64-115E9BFD4A08", g);               /* the VHDX BAT region */
    static const uint8_t want[16] = { 0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
                                      0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
    assert_memory_equal(g, want, 16);
}

static void test_endian(void **st)
{
    (void)st;
    uint8_t b[8];
    put_be64(b, 0x0102030405060708ull);
    assert_int_equal(b[0], 1);
    assert_true(get_be64(b) == 0x0102030405060708ull);
    put_le32(b, 0xbeda107fu);
    assert_int_equal(b[0], 0x7f);
    assert_int_equal(get_le32(b), 0xbeda107fu);
    assert_int_equal(get_be16(b), 0x7f10);
}

static void test_vpc_checksum(void **st)
{
    (void)st;
    uint8_t ft[512] = { 0 };
    memcpy(ft, "conectix", 8);
    ft[64] = 0xaa;                                                     /* the checksum field itself is skipped */
    uint32_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (uint8_t)"conectix"[i];
    assert_int_equal(vpc_checksum(ft, sizeof(ft), 64), ~sum);
}

/* A host file whose byte at offset o is (uint8_t)o. */
static int pat_pread(struct blk_file *f, void *buf, size_t len, uint64_t off)
{
    (void)f;
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(off + i);
    return 0;
}

static const struct blk_file_ops pat_ops = { .pread = pat_pread };

/* 16-byte blocks: even ones at host 1000 + off, odd ones unallocated; map 0 answers n = 0 (corrupt). */
static int blocks_map(struct blk *bs, uint64_t off, uint64_t len, struct fu_extent *m)
{
    uint64_t in = off % 16;
    m->n = 16 - in < len ? 16 - in : len;
    if (bs->opaque)
        m->n = 0;
    else if ((off / 16) % 2 == 0)
        *m = (struct fu_extent){ .kind = FU_HOST, .n = m->n, .file = bs->file, .host = 1000 + off };
    return 0;
}

static void test_mapped_read(void **st)
{
    (void)st;
    struct blk_file f = { .ops = &pat_ops };
    struct blk bs = { .file = &f };
    const struct fu_fmt fmt = { .map = blocks_map };
    uint8_t buf[40];
    assert_int_equal(fu_read(&bs, &fmt, 4, buf, sizeof(buf)), 0);
    for (int i = 0; i < 40; i++) {
        uint64_t off = 4 + (uint64_t)i;
        assert_int_equal(buf[i], (off / 16) % 2 ? 0 : (uint8_t)(1000 + off));
    }
    uint64_t pnum = 0, map = 0;
    assert_int_equal(fu_block_status(&bs, &fmt, 4, 100, &pnum, &map), BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET);
    assert_true(pnum == 12 && map == 1004);
    assert_int_equal(fu_block_status(&bs, &fmt, 16, 100, &pnum, &map), 0);
    assert_true(pnum == 16);
    bs.opaque = &bs;                                                   /* a map that does not advance */
    assert_int_equal(fu_read(&bs, &fmt, 0, buf, sizeof(buf)), -EIO);
    assert_int_equal(fu_block_status(&bs, &fmt, 0, 8, &pnum, &map), -EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_guid),
        cmocka_unit_test(test_endian),
        cmocka_unit_test(test_vpc_checksum),
        cmocka_unit_test(test_mapped_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
