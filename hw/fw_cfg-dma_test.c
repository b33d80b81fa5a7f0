/* fw_cfg's DMA interface as SeaBIOS drives it: a record in guest RAM, its address written as two
 * byte-swapped outl's to 0x514/0x518; and every hostile record: outside RAM, a destination past
 * RAM's end or across 4 GiB of length, writes, skips past the end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/fw_cfg.h"
#include "mm/memory.h"

#define RAM (1u << 20)
#define REC 0x1000u
#define DST 0x2000u

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

/* Write the record at rec, start it as SeaBIOS does, return the control word after. */
static uint32_t dma(struct fw_cfg *f, struct guest_mem *m, uint64_t rec, uint32_t control,
                    uint32_t len, uint64_t addr)
{
    uint8_t r[16];
    put_be(r, control, 4);
    put_be(r + 4, len, 4);
    put_be(r + 8, addr, 8);
    guest_mem_write(m, rec, r, 16);
    fw_cfg_dma_io_ops.write(f, 0, bswap32((uint32_t)(rec >> 32)), 4);
    fw_cfg_dma_io_ops.write(f, 4, bswap32((uint32_t)rec), 4);
    guest_mem_read(m, rec, r, 4);
    return (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
}

static struct fw_cfg *setup(struct guest_mem *m)
{
    assert_int_equal(guest_mem_init(m, RAM), 0);
    struct fw_cfg *f = fw_cfg_new();
    assert_non_null(f);
    assert_int_equal(fw_cfg_enable_dma(f, m), 0);
    assert_int_equal(fw_cfg_add_file(f, "etc/test", "0123456789", 10), 0);
    return f;
}

static void test_read_select_skip(void **state)
{
    (void)state;
    struct guest_mem m;
    struct fw_cfg *f = setup(&m);
    uint8_t b[16];
    /* ID has the DMA bit; the signature port reads "QEMU CFG". */
    assert_int_equal(dma(f, &m, REC, FW_CFG_ID << 16 | 0x08 | 0x02, 4, DST), 0);
    guest_mem_read(&m, DST, b, 4);
    assert_int_equal(b[0], 0x03);
    assert_int_equal(fw_cfg_dma_io_ops.read(f, 0, 4), 0x554d4551);   /* "QEMU" in port order */
    assert_int_equal(fw_cfg_dma_io_ops.read(f, 4, 4), 0x47464320);   /* " CFG" */
    /* Select the file (key 0x20), skip 3, read 9: 7 bytes, then zeros past its end. */
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x08 | 0x04, 3, 0), 0);
    memset(b, 0xee, sizeof(b));
    guest_mem_write(&m, DST, b, 16);
    assert_int_equal(dma(f, &m, REC, 0x02, 9, DST), 0);
    guest_mem_read(&m, DST, b, 10);
    assert_memory_equal(b, "3456789\0\0\xee", 10);
    fw_cfg_free(f);
    guest_mem_destroy(&m);
}

static void test_hostile(void **state)
{
    (void)state;
    struct guest_mem m;
    struct fw_cfg *f = setup(&m);
    uint8_t b[4];
    /* Destinations outside RAM, straddling its end, or with a length past it: error, no write. */
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x0a, 10, 0xfee00000), 1);
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x0a, 10, RAM - 4), 1);
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x0a, 0xffffffffu, DST), 1);
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x0a, 8, UINT64_MAX - 3), 1);
    /* Writes to an item: refused. */
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x18, 4, DST), 1);
    /* Skips far past the end, unknown keys, zero lengths: fine, nothing written. */
    assert_int_equal(dma(f, &m, REC, 0x20u << 16 | 0x0c, 0xffffffffu, 0), 0);
    assert_int_equal(dma(f, &m, REC, 0x7777u << 16 | 0x0a, 4, DST), 0);
    assert_int_equal(dma(f, &m, REC, 0x02, 0, 0xdeadbeef000ull), 0);
    /* A record outside RAM (or straddling its end): nothing happens, nothing crashes. */
    fw_cfg_dma_io_ops.write(f, 0, bswap32(0x1), 4);
    fw_cfg_dma_io_ops.write(f, 4, bswap32(0x0), 4);
    fw_cfg_dma_io_ops.write(f, 0, 0, 4);
    fw_cfg_dma_io_ops.write(f, 4, bswap32(RAM - 8), 4);
    /* Odd sizes and offsets are ignored. */
    fw_cfg_dma_io_ops.write(f, 4, bswap32(REC), 2);
    fw_cfg_dma_io_ops.write(f, 2, bswap32(REC), 4);
    guest_mem_read(&m, REC, b, 4);
    fw_cfg_free(f);
    guest_mem_destroy(&m);
}

static void test_no_dma_until_enabled(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(guest_mem_init(&m, RAM), 0);
    struct fw_cfg *f = fw_cfg_new();
    uint8_t r[16] = { 0, 0, 0, 0x0a };   /* select 0 + read, never processed */
    guest_mem_write(&m, REC, r, 16);
    fw_cfg_dma_io_ops.write(f, 4, bswap32(REC), 4);
    guest_mem_read(&m, REC, r, 4);
    assert_int_equal(r[3], 0x0a);
    fw_cfg_free(f);
    guest_mem_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_select_skip),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_no_dma_until_enabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
