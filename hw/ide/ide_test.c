/* The IDE controller's ATA side as SeaBIOS and ata_piix drive it: signatures, IDENTIFY, PIO reads
 * and writes in LBA28/LBA48/CHS and MULTIPLE, bus-master DMA, FLUSH, SET FEATURES; and hostile
 * input: a range past the disk, a failing disk, PRD tables outside RAM, too short or endless. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/ide/ide-rig.h"

#define PRD 0x1000u
#define BUF 0x10000u

static void taskfile(struct rig *r, uint64_t lba, unsigned count, bool lba48)
{
    if (lba48) {
        rig_out(r, 0x1f2, count >> 8, 1);
        rig_out(r, 0x1f3, (uint32_t)(lba >> 24) & 0xff, 1);
        rig_out(r, 0x1f4, (uint32_t)(lba >> 32) & 0xff, 1);
        rig_out(r, 0x1f5, (uint32_t)(lba >> 40) & 0xff, 1);
    }
    rig_out(r, 0x1f2, count & 0xff, 1);
    rig_out(r, 0x1f3, lba & 0xff, 1);
    rig_out(r, 0x1f4, (lba >> 8) & 0xff, 1);
    rig_out(r, 0x1f5, (lba >> 16) & 0xff, 1);
    rig_out(r, 0x1f6, 0x40 | (lba48 ? 0 : (uint32_t)(lba >> 24) & 0x0f), 1);
}

static void read_words(struct rig *r, uint16_t *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        w[i] = (uint16_t)rig_in(r, 0x1f0, 2);
}

static void test_signature_identify(void **state)
{
    (void)state;
    struct rig r;
    assert_int_equal(rig_init(&r, 2048, 0), 0);
    assert_int_equal(rig_in(&r, 0x1f2, 1), 1);
    assert_int_equal(rig_in(&r, 0x1f4, 1), 0);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    assert_int_equal(rig_in(&r, 0x177, 1), 0);              /* the empty secondary: 0, as QEMU's */
    rig_out(&r, 0x1f6, 0xb0, 1);                            /* slave: absent */
    assert_int_equal(rig_in(&r, 0x1f7, 1), 0);
    rig_out(&r, 0x1f7, 0xec, 1);                            /* no one answers */
    assert_int_equal(r.irq[0], 0);
    rig_out(&r, 0x1f6, 0xa0, 1);
    rig_out(&r, 0x1f7, 0xec, 1);
    assert_int_equal(r.irq[0], 1);
    assert_int_equal(rig_in(&r, 0x3f6, 1) & ST_DRQ, ST_DRQ);   /* alternate status keeps INTRQ */
    assert_int_equal(r.irq[0], 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_DRQ, ST_DRQ);
    assert_int_equal(r.irq[0], 0);
    uint16_t w[256];
    read_words(&r, w, 256);
    assert_int_equal(w[60] | w[61] << 16, 2048);
    assert_int_equal(w[100], 2048);
    assert_int_equal(w[83] & 0x0400, 0x0400);               /* LBA48 */
    assert_int_equal(w[27], 'V' << 8 | 'M');
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    /* nIEN masks the line */
    rig_out(&r, 0x3f6, 0x02, 1);
    rig_out(&r, 0x1f7, 0xe7, 1);
    assert_int_equal(r.irq[0], 0);
    assert_int_equal(r.disk.flushes, 1);
    /* software reset: the signature again */
    rig_out(&r, 0x1f2, 0x55, 1);
    rig_out(&r, 0x3f6, 0x04, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_BSY);
    rig_out(&r, 0x3f6, 0x00, 1);
    assert_int_equal(rig_in(&r, 0x1f2, 1), 1);
    assert_int_equal(rig_in(&r, 0x1f1, 1), 1);
    rig_free(&r);
}

static void test_pio_read_write(void **state)
{
    (void)state;
    struct rig r;
    assert_int_equal(rig_init(&r, 4096, 0), 0);
    taskfile(&r, 10, 2, false);
    rig_out(&r, 0x1f7, 0x20, 1);
    uint16_t w[512];
    for (int blk = 0; blk < 2; blk++) {
        assert_int_equal(r.irq[0], 1);
        assert_int_equal(rig_in(&r, 0x1f7, 1) & (ST_DRQ | ST_ERR), ST_DRQ);
        read_words(&r, w + 256 * blk, 256);
    }
    assert_memory_equal(w, r.disk.data + 10 * 512, 1024);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    /* LBA48 write of 3 sectors at 3000 with 32-bit data accesses */
    taskfile(&r, 3000, 3, true);
    rig_out(&r, 0x1f7, 0x34, 1);
    for (int s = 0; s < 3; s++) {
        assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_DRQ, ST_DRQ);
        for (int i = 0; i < 128; i++)
            rig_out(&r, 0x1f0, 0xa5a50000u | (uint32_t)(s * 128 + i), 4);
    }
    assert_int_equal(r.irq[0], 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    assert_int_equal(r.disk.data[3000 * 512 + 4 * 130], 130);
    assert_int_equal(r.disk.data[3000 * 512 + 4 * 130 + 3], 0xa5);
    /* CHS: cylinder 1, head 2, sector 3 = (1 * 16 + 2) * 63 + 2 */
    rig_out(&r, 0x1f2, 1, 1);
    rig_out(&r, 0x1f3, 3, 1);
    rig_out(&r, 0x1f4, 1, 1);
    rig_out(&r, 0x1f5, 0, 1);
    rig_out(&r, 0x1f6, 0xa2, 1);
    rig_out(&r, 0x1f7, 0x20, 1);
    read_words(&r, w, 256);
    assert_memory_equal(w, r.disk.data + ((1 * 16 + 2) * 63 + 2) * 512, 512);
    /* READ MULTIPLE needs SET MULTIPLE first; then 4-sector blocks */
    taskfile(&r, 0, 8, false);
    rig_out(&r, 0x1f7, 0xc4, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_ERR);
    rig_out(&r, 0x1f2, 3, 1);
    rig_out(&r, 0x1f7, 0xc6, 1);                            /* not a power of two */
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    rig_out(&r, 0x1f2, 4, 1);
    rig_out(&r, 0x1f7, 0xc6, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    taskfile(&r, 0, 8, false);
    rig_out(&r, 0x1f7, 0xc4, 1);
    uint16_t big[2048];
    read_words(&r, big, 1024);                              /* one block: 4 sectors */
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_DRQ, ST_DRQ);
    read_words(&r, big + 1024, 1024);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    assert_memory_equal(big, r.disk.data, 4096);
    rig_free(&r);
}

static void test_bad_ranges(void **state)
{
    (void)state;
    struct rig r;
    assert_int_equal(rig_init(&r, 100, 0), 0);
    taskfile(&r, 99, 2, false);                             /* runs past the end */
    rig_out(&r, 0x1f7, 0x20, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_ERR);
    assert_int_equal(rig_in(&r, 0x1f1, 1), ER_ABRT | ER_IDNF);
    taskfile(&r, 0xffffffffffull, 1, true);
    rig_out(&r, 0x1f7, 0x25, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    assert_int_equal(rig_in(&r, 0x1f0, 2), 0);              /* no data to read */
    r.disk.fail = 1;                                        /* the disk fails */
    taskfile(&r, 0, 1, false);
    rig_out(&r, 0x1f7, 0x20, 1);
    assert_int_equal(rig_in(&r, 0x1f1, 1), ER_ABRT | ER_UNC);
    rig_out(&r, 0x1f7, 0xea, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    rig_out(&r, 0x1f7, 0xa1, 1);                            /* IDENTIFY PACKET: not a disk's */
    assert_int_equal(rig_in(&r, 0x1f1, 1), ER_ABRT);
    rig_out(&r, 0x1f1, 0x77, 1);                            /* SET FEATURES: unknown */
    rig_out(&r, 0x1f7, 0xef, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    rig_free(&r);
}

static void put_prd(struct rig *r, unsigned i, uint32_t addr, uint32_t len, bool eot)
{
    uint8_t e[8] = { (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16), (uint8_t)(addr >> 24),
                     (uint8_t)len, (uint8_t)(len >> 8), 0, eot ? 0x80 : 0 };
    guest_mem_write(&r->mem, PRD + 8 * i, e, 8);
}

static void start_dma(struct rig *r, uint8_t cmd, uint64_t lba, unsigned n, bool to_mem)
{
    rig_out(r, 0xc004, PRD, 4);
    rig_out(r, 0xc000, to_mem ? BM_CMD_READ : 0, 1);
    taskfile(r, lba, n, cmd == 0x25 || cmd == 0x35);
    rig_out(r, 0x1f7, cmd, 1);
    rig_out(r, 0xc000, (to_mem ? BM_CMD_READ : 0) | BM_CMD_START, 1);
}

static void test_dma(void **state)
{
    (void)state;
    struct rig r;
    assert_int_equal(rig_init(&r, 4096, 0), 0);
    put_prd(&r, 0, BUF, 1536, false);                       /* 3 sectors split 1536 + 512 + 2048 */
    put_prd(&r, 1, BUF + 0x4000, 512, false);
    put_prd(&r, 2, BUF + 0x8000, 2048, true);
    start_dma(&r, 0xc8, 7, 8, true);
    assert_int_equal(r.irq[0], 1);
    assert_int_equal(rig_in(&r, 0xc002, 1) & (BM_INT | BM_ERROR | BM_ACTIVE), BM_INT);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    assert_memory_equal(guest_mem_hva(&r.mem, BUF, 1536), r.disk.data + 7 * 512, 1536);
    assert_memory_equal(guest_mem_hva(&r.mem, BUF + 0x4000, 512), r.disk.data + 10 * 512, 512);
    assert_memory_equal(guest_mem_hva(&r.mem, BUF + 0x8000, 2048), r.disk.data + 11 * 512, 2048);
    rig_out(&r, 0xc002, BM_INT, 1);                         /* write 1 to clear */
    assert_int_equal(rig_in(&r, 0xc002, 1) & BM_INT, 0);
    rig_out(&r, 0xc000, 0, 1);
    /* a DMA write, LBA48, start bit set before the command */
    memset(guest_mem_hva(&r.mem, BUF, 1024), 0x5a, 1024);
    put_prd(&r, 0, BUF, 1024, true);
    rig_out(&r, 0xc004, PRD, 4);
    rig_out(&r, 0xc000, BM_CMD_START, 1);
    taskfile(&r, 4000, 2, true);
    rig_out(&r, 0x1f7, 0x35, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1), ST_DRDY | ST_DSC);
    assert_int_equal(r.disk.data[4000 * 512 + 1023], 0x5a);
    rig_out(&r, 0xc000, 0, 1);
    /* a disk error: the drive says so, the bus master's ERROR bit stays for PRD faults */
    r.disk.fail = 1;
    start_dma(&r, 0xc8, 0, 2, true);
    assert_int_equal(rig_in(&r, 0xc002, 1) & (BM_ERROR | BM_INT), BM_INT);
    assert_int_equal(rig_in(&r, 0x1f1, 1), ER_ABRT | ER_UNC);
    rig_out(&r, 0xc000, 0, 1);
    rig_free(&r);
}

static void test_dma_hostile(void **state)
{
    (void)state;
    struct rig r;
    assert_int_equal(rig_init(&r, 16384, 0), 0);
    put_prd(&r, 0, 0xfff000, 4096, true);                   /* a region outside RAM */
    start_dma(&r, 0xc8, 0, 8, true);
    assert_int_equal(rig_in(&r, 0xc002, 1) & (BM_ERROR | BM_INT), BM_ERROR | BM_INT);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    rig_out(&r, 0xc002, BM_ERROR | BM_INT, 1);
    rig_out(&r, 0xc000, 0, 1);
    put_prd(&r, 0, BUF, 512, true);                         /* too short for 2 sectors */
    start_dma(&r, 0xc8, 0, 2, true);
    assert_int_equal(rig_in(&r, 0xc002, 1) & BM_ERROR, BM_ERROR);
    rig_out(&r, 0xc002, BM_ERROR | BM_INT, 1);
    rig_out(&r, 0xc000, 0, 1);
    put_prd(&r, 0, BUF + 1, 512, true);                     /* an odd address */
    start_dma(&r, 0xc8, 0, 1, true);
    assert_int_equal(rig_in(&r, 0xc002, 1) & BM_ERROR, BM_ERROR);
    rig_out(&r, 0xc002, BM_ERROR | BM_INT, 1);
    rig_out(&r, 0xc000, 0, 1);
    /* a table with no end: 2-byte regions, never EOT; 8192 sectors want more than it can hold */
    for (unsigned i = 0; i < 8192; i++)
        put_prd(&r, i, BUF, 2, false);
    start_dma(&r, 0x25, 0, 8192, true);
    assert_int_equal(rig_in(&r, 0xc002, 1) & BM_ERROR, BM_ERROR);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    rig_out(&r, 0xc004, 0xfffffff8u, 4);                    /* the table itself outside RAM */
    rig_out(&r, 0xc000, 0, 1);
    taskfile(&r, 0, 1, false);
    rig_out(&r, 0x1f7, 0xc8, 1);
    rig_out(&r, 0xc000, BM_CMD_START | BM_CMD_READ, 1);
    assert_int_equal(rig_in(&r, 0x1f7, 1) & ST_ERR, ST_ERR);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_identify), cmocka_unit_test(test_pio_read_write),
        cmocka_unit_test(test_bad_ranges),         cmocka_unit_test(test_dma),
        cmocka_unit_test(test_dma_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
