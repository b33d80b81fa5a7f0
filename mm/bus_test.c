/* Bus registration (overlaps) and dispatch (offsets, unmapped accesses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm/bus.h"

struct fake { uint64_t last_off, last_val; unsigned last_size; };

static uint64_t fake_read(void *dev, uint64_t off, unsigned size)
{
    struct fake *f = dev;
    f->last_off = off;
    f->last_size = size;
    return 0xab00 + off;
}

static void fake_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct fake *f = dev;
    f->last_off = off;
    f->last_val = val;
    f->last_size = size;
}

static const struct io_ops fake_ops = { fake_read, fake_write };

static void test_overlap_rejected(void **state)
{
    (void)state;
    struct bus b;
    struct fake f;
    bus_init(&b, "pio");
    assert_int_equal(bus_map(&b, 0x3f8, 8, &fake_ops, &f, "uart"), 0);
    assert_int_equal(bus_map(&b, 0x3fc, 8, &fake_ops, &f, "x"), -17);
    assert_int_equal(bus_map(&b, 0x3f0, 9, &fake_ops, &f, "x"), -17);
    assert_int_equal(bus_map(&b, 0x3f0, 8, &fake_ops, &f, "x"), 0);
    assert_int_equal(bus_map(&b, 0x400, 1, &fake_ops, &f, "x"), 0);
    assert_int_equal(bus_map(&b, 0x500, 0, &fake_ops, &f, "x"), -22);
}

static void test_dispatch_offsets(void **state)
{
    (void)state;
    struct bus b;
    struct fake a = {0}, c = {0};
    uint64_t v;
    bus_init(&b, "mmio");
    assert_int_equal(bus_map(&b, 0x1000, 0x100, &fake_ops, &a, "a"), 0);
    assert_int_equal(bus_map(&b, 0x10, 0x10, &fake_ops, &c, "c"), 0);
    assert_true(bus_read(&b, 0x1004, 4, &v));
    assert_int_equal(v, 0xab04);
    assert_int_equal(a.last_size, 4);
    assert_true(bus_write(&b, 0x1f, 0x55, 1));
    assert_int_equal(c.last_off, 0xf);
    assert_int_equal(c.last_val, 0x55);
    /* Unmapped: all-ones of the access size, writes dropped. */
    assert_false(bus_read(&b, 0x2000, 2, &v));
    assert_int_equal(v, 0xffff);
    assert_false(bus_read(&b, 0x20, 8, &v));
    assert_true(v == ~0ULL);
    assert_false(bus_write(&b, 0x1100, 1, 1));
}

/* A window can be removed and mapped again elsewhere (a PCI BAR the guest moves). */
static void test_unmap_remap(void **state)
{
    (void)state;
    struct bus b;
    struct fake a = {0};
    uint64_t v;
    bus_init(&b, "mmio");
    assert_int_equal(bus_map(&b, 0x1000, 0x100, &fake_ops, &a, "a"), 0);
    assert_int_equal(bus_map(&b, 0x3000, 0x100, &fake_ops, &a, "b"), 0);
    assert_int_equal(bus_unmap(&b, 0x1010), -2);
    assert_int_equal(bus_unmap(&b, 0x1000), 0);
    assert_false(bus_read(&b, 0x1004, 4, &v));
    assert_true(bus_read(&b, 0x3004, 4, &v));
    assert_int_equal(bus_map(&b, 0x2000, 0x100, &fake_ops, &a, "a"), 0);
    assert_true(bus_read(&b, 0x2008, 4, &v));
    assert_int_equal(v, 0xab08);
    assert_int_equal(bus_unmap(&b, 0x1000), -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_rejected),
        cmocka_unit_test(test_dispatch_offsets),
        cmocka_unit_test(test_unmap_remap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
