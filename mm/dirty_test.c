/* The dirty-page log: marks only while on, clipping, take clears, KVM-layout merge, and guest_mem's
 * DMA lookups marking what they hand out (but not the soft CPU's peek). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm/dirty.h"
#include "mm/memory.h"

static void test_marks_only_while_on(void **state)
{
    (void)state;
    struct dirty_log d;
    assert_int_equal(dirty_log_init(&d, 130), 0);
    dirty_log_mark(&d, 3, 1);
    assert_false(dirty_log_test(&d, 3));
    dirty_log_start(&d);
    dirty_log_mark(&d, 3, 1);
    dirty_log_mark(&d, 127, 10);          /* clipped at page 129 */
    assert_true(dirty_log_test(&d, 3));
    assert_true(dirty_log_test(&d, 129));
    assert_false(dirty_log_test(&d, 130));
    assert_false(dirty_log_test(&d, 4));
    assert_int_equal(dirty_log_count(&d), 4);
    uint64_t out[3];
    assert_int_equal(dirty_log_take(&d, out), 4);
    assert_int_equal(out[0], 1u << 3);
    assert_int_equal(out[1], 1ull << 63);
    assert_int_equal(out[2], 3u);
    assert_int_equal(dirty_log_count(&d), 0);
    dirty_log_stop(&d);
    dirty_log_mark(&d, 5, 1);
    assert_int_equal(dirty_log_count(&d), 0);
    dirty_log_free(&d);
}

static void test_merge(void **state)
{
    (void)state;
    struct dirty_log d;
    assert_int_equal(dirty_log_init(&d, 200), 0);
    dirty_log_start(&d);
    uint64_t bits[2] = { 0x5, 1ull << 1 | 1ull << 40 };   /* pages 0, 2, 65, 104 of the slot */
    dirty_log_merge(&d, 100, bits, 100);                  /* page 104 of the slot is past n */
    assert_true(dirty_log_test(&d, 100));
    assert_true(dirty_log_test(&d, 102));
    assert_true(dirty_log_test(&d, 165));
    assert_int_equal(dirty_log_count(&d), 3);
    dirty_log_free(&d);
}

static void test_guest_mem_marks_dma(void **state)
{
    (void)state;
    struct guest_mem m;
    assert_int_equal(guest_mem_init(&m, 1 << 20), 0);
    uint32_t v = 1;
    assert_int_equal(guest_mem_write(&m, 0x3000, &v, 4), 0);
    assert_int_equal(dirty_log_count(&m.dirty), 0);       /* off */
    dirty_log_start(&m.dirty);
    assert_int_equal(guest_mem_write(&m, 0x3ffe, &v, 4), 0);   /* two pages */
    assert_non_null(guest_mem_hva(&m, 0x9000, 1));
    assert_non_null(guest_mem_hva_peek(&m, 0xa000, 1));
    assert_int_equal(guest_mem_read(&m, 0xb000, &v, 4), 0);
    assert_true(dirty_log_test(&m.dirty, 3));
    assert_true(dirty_log_test(&m.dirty, 4));
    assert_true(dirty_log_test(&m.dirty, 9));
    assert_int_equal(dirty_log_count(&m.dirty), 3);
    assert_int_equal(guest_mem_page_of(&m, m.base + 0x5123), 5);
    assert_int_equal(guest_mem_page_of(&m, m.base + (1 << 20)), UINT64_MAX);
    guest_mem_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marks_only_while_on),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_guest_mem_marks_dma),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
