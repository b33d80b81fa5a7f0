/* Unit tests: refcount entries of every width pack as qcow2.txt says (sub-byte: LSB first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "block/qcow2.h"

static void test_widths(void **state)
{
    (void)state;
    for (uint32_t order = 0; order <= 6; order++) {
        struct qcow2 s = { .refcount_order = order, .refcount_bits = 1u << order };
        uint8_t b[512];
        memset(b, 0, sizeof(b));
        uint64_t max = order == 6 ? UINT64_MAX : (1ull << (1u << order)) - 1;
        uint64_t n = sizeof(b) * 8 / s.refcount_bits;
        for (uint64_t i = 0; i < n; i++)
            qcow2_rb_set(&s, b, i, (i * 7 + 3) & max);
        for (uint64_t i = 0; i < n; i++)
            assert_int_equal(qcow2_rb_get(&s, b, i), (i * 7 + 3) & max);
        qcow2_rb_set(&s, b, 1, max);
        assert_int_equal(qcow2_rb_get(&s, b, 1), max);
        assert_int_equal(qcow2_rb_get(&s, b, 0), 3 & max);
        assert_int_equal(qcow2_rb_get(&s, b, 2), 17 & max);
    }
}

static void test_layout(void **state)
{
    (void)state;
    struct qcow2 s1 = { .refcount_order = 0, .refcount_bits = 1 };
    uint8_t b[8] = { 0 };
    qcow2_rb_set(&s1, b, 9, 1);          /* entry 9: byte 1, bit 1 */
    assert_int_equal(b[1], 0x02);
    struct qcow2 s4 = { .refcount_order = 4, .refcount_bits = 16 };
    memset(b, 0, sizeof(b));
    qcow2_rb_set(&s4, b, 1, 0x1234);     /* big endian */
    assert_int_equal(b[2], 0x12);
    assert_int_equal(b[3], 0x34);
    struct qcow2 s2 = { .refcount_order = 2, .refcount_bits = 4 };
    memset(b, 0, sizeof(b));
    qcow2_rb_set(&s2, b, 1, 0xa);        /* entry 1: high nibble of byte 0 */
    assert_int_equal(b[0], 0xa0);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_widths), cmocka_unit_test(test_layout) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
