/* The ATAPI CD-ROM as SeaBIOS's El Torito boot and Linux's sr driver drive it: the signature,
 * IDENTIFY PACKET DEVICE, PACKET by PIO (blocks cut to the byte count limit) and by DMA, INQUIRY,
 * READ CAPACITY, READ TOC, MODE SENSE, GET CONFIGURATION; errors with their sense data: a read
 * past the disc, an unknown opcode, no disc, a short PRD table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/ide/ide-rig.h"

#define PRD 0x1000u
#define BUF 0x10000u

/* PACKET with cdb; byte count limit; dma: the features bit. Returns the status after the packet. */
static uint8_t packet(struct rig *r, const uint8_t *cdb, unsigned limit, bool dma)
{
    rig_out(r, 0x171, dma, 1);
    rig_out(r, 0x174, limit & 0xff, 1);
    rig_out(r, 0x175, limit >> 8, 1);
    rig_out(r, 0x177, 0xa0, 1);
    assert_int_equal(rig_in(r, 0x376, 1) & ST_DRQ, ST_DRQ);
    assert_int_equal(rig_in(r, 0x172, 1), 1);               /* CoD: send the command */
    for (int i = 0; i < 12; i += 2)
        rig_out(r, 0x170, (uint32_t)(cdb[i] | cdb[i + 1] << 8), 2);
    return (uint8_t)rig_in(r, 0x376, 1);
}

/* Read the data-in phase by PIO into buf; returns the bytes read; block sizes into sizes[]. */
static unsigned pio_in(struct rig *r, uint8_t *buf, unsigned max, unsigned *sizes)
{
    unsigned got = 0, nb = 0;
    while (rig_in(r, 0x177, 1) & ST_DRQ) {
        assert_int_equal(rig_in(r, 0x172, 1), 2);           /* I/O, data */
        unsigned n = rig_in(r, 0x174, 1) | rig_in(r, 0x175, 1) << 8;
        if (sizes)
            sizes[nb++] = n;
        for (unsigned i = 0; i < n; i += 2) {
            uint16_t w = (uint16_t)rig_in(r, 0x170, 2);
            if (got + 2 <= max)
                buf[got] = (uint8_t)w, buf[got + 1] = (uint8_t)(w >> 8);
            got += 2;
        }
    }
    assert_int_equal(rig_in(r, 0x172, 1), 3);               /* I/O + CoD: status */
    return got;
}

static void test_identify(void **state)
{
    (void)state;
    struct rig r;
    assert_int_equal(rig_init(&r, 0, 100), 0);
    assert_int_equal(rig_in(&r, 0x174, 1), 0x14);
    assert_int_equal(rig_in(&r, 0x175, 1), 0xeb);
    rig_out(&r, 0x177, 0xec, 1);                            /* IDENTIFY DEVICE: aborted */
    assert_int_equal(rig_in(&r, 0x177, 1) & ST_ERR, ST_ERR);
    assert_int_equal(rig_in(&r, 0x175, 1), 0xeb);
    rig_out(&r, 0x177, 0xa1, 1);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = (uint16_t)rig_in(&r, 0x170, 2);
    assert_int_equal(w[0], 0x85c0);
    assert_int_equal(rig_in(&r, 0x177, 1) & ST_DRQ, 0);
    rig_free(&r);
}

static void test_queries(void **state)
{
    (void)state;
    struct rig r;
    uint8_t b[256];
    assert_int_equal(rig_init(&r, 0, 100), 0);
    const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
    packet(&r, inq, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 36);
    assert_int_equal(b[0], 5);
    assert_memory_equal(b + 8, "VMON", 4);
    const uint8_t cap[12] = { 0x25 };
    packet(&r, cap, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 8);
    assert_int_equal(b[3], 99);
    assert_int_equal(b[6], 8);                              /* 2048 */
    const uint8_t toc[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 255 };
    packet(&r, toc, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 20);
    assert_int_equal(b[4 + 8 + 2], 0xaa);
    assert_int_equal(b[4 + 8 + 7], 100);                    /* lead-out at the disc's end */
    const uint8_t ms[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 255 };
    packet(&r, ms, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 36);
    assert_int_equal(b[8], 0x2a);
    const uint8_t gc[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 8 };    /* allocation: the header only */
    packet(&r, gc, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 8);
    assert_int_equal(b[7], 0x08);                           /* CD-ROM profile */
    const uint8_t tur[12] = { 0 };
    packet(&r, tur, 0, false);
    assert_int_equal(rig_in(&r, 0x177, 1), ST_DRDY | ST_DSC);
    assert_int_equal(rig_in(&r, 0x172, 1), 3);
    rig_free(&r);
}

static void test_read_pio_dma(void **state)
{
    (void)state;
    struct rig r;
    static uint8_t b[8192];
    unsigned sizes[8];
    assert_int_equal(rig_init(&r, 0, 100), 0);
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 5, 0, 0, 3 };
    packet(&r, rd, 4096, false);                            /* 3 sectors in blocks of <= 4096 */
    assert_int_equal(pio_in(&r, b, sizeof(b), sizes), 6144);
    assert_int_equal(sizes[0], 4096);
    assert_int_equal(sizes[1], 2048);
    assert_memory_equal(b, r.cd.data + 5 * 2048, 6144);
    packet(&r, rd, 1000, false);                            /* a limit below a sector */
    assert_int_equal(pio_in(&r, b, sizeof(b), sizes), 6144);
    assert_int_equal(sizes[0], 1000);
    assert_memory_equal(b, r.cd.data + 5 * 2048, 6144);
    /* the same by DMA */
    uint8_t e[8] = { BUF & 0xff, (BUF >> 8) & 0xff, BUF >> 16, 0, 0, 0x18, 0, 0x80 };   /* 6 KiB */
    guest_mem_write(&r.mem, PRD, e, 8);
    rig_out(&r, 0xc00c, PRD, 4);
    packet(&r, rd, 0, true);
    rig_out(&r, 0xc008, BM_CMD_START | BM_CMD_READ, 1);
    assert_int_equal(rig_in(&r, 0xc00a, 1) & (BM_INT | BM_ERROR | BM_ACTIVE), BM_INT);
    assert_int_equal(rig_in(&r, 0x177, 1), ST_DRDY | ST_DSC);
    assert_memory_equal(guest_mem_hva(&r.mem, BUF, 6144), r.cd.data + 5 * 2048, 6144);
    rig_out(&r, 0xc008, 0, 1);
    /* a PRD table too short for it */
    e[5] = 0x08;
    guest_mem_write(&r.mem, PRD, e, 8);
    packet(&r, rd, 0, true);
    rig_out(&r, 0xc008, BM_CMD_START | BM_CMD_READ, 1);
    assert_int_equal(rig_in(&r, 0xc00a, 1) & BM_ERROR, BM_ERROR);
    assert_int_equal(rig_in(&r, 0x177, 1) & ST_ERR, ST_ERR);
    rig_out(&r, 0xc008, 0, 1);
    rig_free(&r);
}

static void test_errors(void **state)
{
    (void)state;
    struct rig r;
    uint8_t b[64];
    assert_int_equal(rig_init(&r, 0, 100), 0);
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 99, 0, 0, 2 };   /* 99 + 2 > 100 */
    packet(&r, rd, 0xfffe, false);
    assert_int_equal(rig_in(&r, 0x177, 1), ST_DRDY | ST_ERR);
    assert_int_equal(rig_in(&r, 0x171, 1), 0x54);           /* ILLEGAL REQUEST, ABRT */
    const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
    packet(&r, rs, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 18);
    assert_int_equal(b[2], 5);
    assert_int_equal(b[12], 0x21);
    const uint8_t r12[12] = { 0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1 };
    packet(&r, r12, 0xfffe, false);
    assert_int_equal(rig_in(&r, 0x171, 1), 0x54);
    const uint8_t bad[12] = { 0xff };
    packet(&r, bad, 0xfffe, false);
    packet(&r, rs, 0xfffe, false);
    assert_int_equal(pio_in(&r, b, sizeof(b), NULL), 18);
    assert_int_equal(b[12], 0x20);
    rig_free(&r);
    /* no disc: NOT READY, medium not present */
    assert_int_equal(rig_init(&r, 0, 0), 0);
    struct ide_media m = { .ops = &rig_ops, .opaque = &r.cd, .size = 0, .cdrom = true };
    assert_int_equal(ide_attach(r.c, 1, 1, &m), 0);
    rig_out(&r, 0x176, 0xb0, 1);
    const uint8_t tur[12] = { 0 };
    packet(&r, tur, 0, false);
    assert_int_equal(rig_in(&r, 0x171, 1), 0x24);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identify), cmocka_unit_test(test_queries),
        cmocka_unit_test(test_read_pio_dma), cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
