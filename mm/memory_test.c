/* Slot layout and GPA->HVA lookup. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm/memory.h"

static void test_small_ram_one_slot(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(guest_mem_init(&m, 64 << 20), 0);
    assert_int_equal(m.nslots, 1);
    assert_non_null(guest_mem_hva(&m, 0, 64 << 20));
    assert_null(guest_mem_hva(&m, (64 << 20) - 4, 8));   /* straddles the end */
    assert_null(guest_mem_hva(&m, 64 << 20, 1));
    assert_int_equal(guest_mem_low_end(&m), 64 << 20);
    uint32_t v = 0x12345678, r = 0;
    assert_int_equal(guest_mem_write(&m, 0x1000, &v, 4), 0);
    assert_int_equal(guest_mem_read(&m, 0x1000, &r, 4), 0);
    assert_int_equal(r, v);
    assert_int_equal(guest_mem_write(&m, 64 << 20, &v, 4), -14);
    guest_mem_destroy(&m);
}

static void test_large_ram_split_around_hole(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(guest_mem_init(&m, 4ULL << 30), 0);
    assert_int_equal(m.nslots, 2);
    assert_int_equal(m.slots[0].size, PCI_HOLE_START);
    assert_int_equal(m.slots[1].gpa, PCI_HOLE_END);
    assert_int_equal(m.slots[1].size, (4ULL << 30) - PCI_HOLE_START);
    assert_null(guest_mem_hva(&m, PCI_HOLE_START, 1));
    assert_ptr_equal(guest_mem_hva(&m, PCI_HOLE_END, 1), m.base + PCI_HOLE_START);
    assert_int_equal(guest_mem_low_end(&m), PCI_HOLE_START);
    guest_mem_destroy(&m);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(guest_mem_init(&m, 0), -22);
    assert_int_equal(guest_mem_init(&m, 4097), -22);
}

/* The firmware ROM: read-only, clear of RAM, and never what guest_mem_hva (DMA, loaders) returns. */
static void test_rom(void **state)
{
    (void)state;
    struct guest_mem m;
    static uint8_t img[0x2000];
    img[0x1ff0] = 0xea;
    assert_int_equal(guest_mem_init(&m, 64 << 20), 0);
    assert_int_equal(guest_mem_add_rom(&m, 0x100000, img, sizeof(img)), -EEXIST);   /* RAM */
    assert_int_equal(guest_mem_add_rom(&m, 0xffffe000, img, 0x1800), -EINVAL);      /* size */
    assert_int_equal(guest_mem_add_rom(&m, 0xfffff000, img, sizeof(img)), 0);      /* may cross 4G */
    guest_mem_destroy(&m);
    assert_int_equal(guest_mem_init(&m, 64 << 20), 0);
    assert_int_equal(guest_mem_add_rom(&m, 0xffffe000, img, sizeof(img)), 0);
    assert_int_equal(guest_mem_add_rom(&m, 0xfff00000, img, sizeof(img)), -EINVAL);  /* one ROM */
    const uint8_t *p = guest_mem_rom_hva(&m, 0xfffffff0, 16);
    assert_non_null(p);
    assert_int_equal(p[0], 0xea);
    assert_null(guest_mem_rom_hva(&m, 0xfffffff0, 17));
    assert_null(guest_mem_rom_hva(&m, 0xffffd000, 16));
    assert_null(guest_mem_hva(&m, 0xfffffff0, 16));
    uint8_t b = 0;
    assert_int_equal(guest_mem_write(&m, 0xfffffff0, &b, 1), -EFAULT);
    assert_int_equal(m.rom.readonly, 1);
    assert_int_equal(m.nslots, 1);
    guest_mem_destroy(&m);
}

/* A zero page is all zeros; any one non-zero byte, first, last or in the middle, makes it not. */
static void test_page_zero(void **state)
{
    (void)state;
    static uint64_t page[512];
    assert_true(guest_page_zero((const uint8_t *)page));
    for (unsigned at = 0; at < 4096; at += 1021) {
        ((uint8_t *)page)[at] = 0x80;
        assert_false(guest_page_zero((const uint8_t *)page));
        ((uint8_t *)page)[at] = 0;
    }
    ((uint8_t *)page)[4095] = 1;
    assert_false(guest_page_zero((const uint8_t *)page));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_ram_one_slot),
        cmocka_unit_test(test_large_ram_split_around_hole),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_rom),
        cmocka_unit_test(test_page_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
