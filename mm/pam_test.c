/* The PAM decode (82441FX 3.2.18: PAM0's high nibble is 0xf0000, PAMn two 16 KiB segments) and each
 * mode's read and write sides, through the MMIO-bus device a write that is not RAM reaches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mm/memory.h"
#include "mm/pam.h"

struct rig {
    struct guest_mem m;
    uint8_t bios[0x20000];
};

static void rig_init(struct rig *r)
{
    assert_int_equal(guest_mem_init(&r->m, 2u << 20), 0);
    for (size_t i = 0; i < sizeof(r->bios); i++)
        r->bios[i] = (uint8_t)(0xa0 + (i >> 16));          /* 0xa0 at 0xe0000, 0xa1 at 0xf0000 */
    assert_int_equal(pam_init(&r->m.pam, guest_mem_hva(&r->m, PAM_BASE, PAM_SIZE), r->bios,
                              sizeof(r->bios)), 0);
}

static uint8_t rd(struct rig *r, uint64_t gpa) { return *pam_read_hva(&r->m.pam, gpa); }
static void wr(struct rig *r, uint64_t gpa, uint8_t v) { pam_bus_write(&r->m, gpa - PAM_BASE, v, 1); }
static uint8_t ram(struct rig *r, uint64_t gpa)
{
    uint8_t v;
    assert_int_equal(guest_mem_read(&r->m, gpa, &v, 1), 0);
    return v;
}

static void test_decode(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    uint8_t regs[PAM_REGS] = { 0x10, 0x03, 0x20, 0, 0, 0, 0x31 };
    assert_true(pam_set(&r.m.pam, regs));
    assert_false(pam_set(&r.m.pam, regs));                 /* nothing changed */
    assert_int_equal(pam_mode_of(&r.m.pam, 12), PAM_READ_RAM);       /* 0xf0000 */
    assert_int_equal(pam_mode_of(&r.m.pam, 0), PAM_RAM);             /* 0xc0000 */
    assert_int_equal(pam_mode_of(&r.m.pam, 1), PAM_PCI);             /* 0xc4000 */
    assert_int_equal(pam_mode_of(&r.m.pam, 3), PAM_WRITE_RAM);       /* 0xcc000 */
    assert_int_equal(pam_mode_of(&r.m.pam, 10), PAM_READ_RAM);       /* 0xe8000 */
    assert_int_equal(pam_mode_of(&r.m.pam, 11), PAM_RAM);            /* 0xec000 */
    assert_int_equal(pam_seg_of(0xc7fff), 1);
    assert_int_equal(pam_seg_of(0xfffff), 12);
    assert_int_equal(pam_seg_base(12), 0xf0000);
    assert_int_equal(pam_seg_size(12), 0x10000);
    assert_int_equal(pam_seg_base(11) + pam_seg_size(11), 0xf0000);
    guest_mem_destroy(&r.m);
}

/* Mode 0 reads the ROM and drops writes, 2 writes RAM behind the ROM, 1 shows that RAM read-only,
 * 3 is RAM. The option-ROM side reads zeros. */
static void test_modes(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    uint8_t regs[PAM_REGS] = { 0 };
    assert_int_equal(rd(&r, 0xf0000), 0xa1);
    assert_int_equal(rd(&r, 0xe0000), 0xa0);
    assert_int_equal(rd(&r, 0xc0000), 0);
    wr(&r, 0xf0000, 0x11);
    assert_int_equal(ram(&r, 0xf0000), 0);                 /* dropped */
    assert_int_equal(rd(&r, 0xf0000), 0xa1);
    regs[0] = 0x20;
    pam_set(&r.m.pam, regs);
    wr(&r, 0xf0000, 0x22);
    assert_int_equal(rd(&r, 0xf0000), 0xa1);               /* reads the ROM still */
    assert_int_equal(ram(&r, 0xf0000), 0x22);
    assert_false(pam_writes_ram(&r.m.pam, 0xeffff));        /* only its own segment */
    regs[0] = 0x10;
    pam_set(&r.m.pam, regs);
    assert_int_equal(rd(&r, 0xf0000), 0x22);
    wr(&r, 0xf0000, 0x33);
    assert_int_equal(rd(&r, 0xf0000), 0x22);               /* read-only */
    regs[0] = 0x30;
    regs[1] = 0x30;                                         /* 0xc4000 RAM, 0xc0000 PCI */
    pam_set(&r.m.pam, regs);
    assert_true(pam_writes_ram(&r.m.pam, 0xf0000));
    pam_bus_write(&r.m, 0xc3ffe - PAM_BASE, 0x55667788, 4); /* straddles 0xc0000 | 0xc4000 */
    assert_int_equal(ram(&r, 0xc3fff), 0);
    assert_int_equal(ram(&r, 0xc4000), 0x66);
    assert_int_equal(pam_bus_read(&r.m, 0xc3ffe - PAM_BASE, 4), 0x55660000);
    guest_mem_destroy(&r.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
