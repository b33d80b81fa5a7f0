/* TSC: rate against the fake host clock, deadline conversions, CPUID 0x15/0x16. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/fake-clock_test.h"
#include "util/tsc.h"

static void test_rate(void **state)
{
    (void)state;
    struct fake_clock fc;
    struct tsc t;
    fake_clock_init(&fc, 5000000000ull);
    tsc_init(&t, &fc.clock, 2500000000ull);
    uint64_t t0 = tsc_read(&t);
    assert_int_equal(t0, 5ull * 2500000000ull);   /* the host clock, scaled */
    fake_clock_advance(&fc, 1000);                 /* 1 us at 2.5 GHz */
    assert_int_equal(tsc_read(&t) - t0, 2500);
    fake_clock_advance(&fc, 3600ull * 1000000000); /* an hour later, no overflow */
    assert_int_equal(tsc_read(&t) - t0, 2500 + 3600ull * 2500000000ull);
    /* A year of host uptime does not overflow either. */
    assert_int_equal(tsc_from_host_ns(&t, 365ull * 86400 * 1000000000), 365ull * 86400 * 2500000000ull);
}

static void test_deadline_roundtrip(void **state)
{
    (void)state;
    struct fake_clock fc;
    struct tsc t;
    fake_clock_init(&fc, 1000);
    tsc_init(&t, &fc.clock, 3000000000ull);        /* 3 ticks per ns */
    assert_int_equal(tsc_to_host_ns(&t, 3000), 1000);
    assert_int_equal(tsc_to_host_ns(&t, 3001), 1001);          /* rounded up, never early */
    assert_true(tsc_from_host_ns(&t, tsc_to_host_ns(&t, 3001)) >= 3001);
    assert_int_equal(tsc_from_host_ns(&t, 500), 1500);
    assert_int_equal(tsc_to_host_ns(&t, UINT64_MAX), UINT64_MAX / 3);      /* exact: 3 divides it */
    tsc_init(&t, &fc.clock, 500000000ull);         /* far deadlines saturate, never wrap */
    assert_int_equal(tsc_to_host_ns(&t, UINT64_MAX), UINT64_MAX);
}

static void test_cpuid(void **state)
{
    (void)state;
    struct fake_clock fc;
    struct tsc t;
    uint32_t a, b, c, d;
    fake_clock_init(&fc, 0);
    tsc_init(&t, &fc.clock, 2500000000ull);
    tsc_cpuid(&t, 0x15, &a, &b, &c, &d);
    assert_int_equal(c, 1000000000u);
    assert_int_equal(a, 2);
    assert_int_equal(b, 5);
    /* Linux's own formula, in its 32-bit arithmetic, gives the TSC kHz back. */
    uint32_t crystal_khz = c / 1000;
    assert_int_equal(crystal_khz * b / a, 2500000u);
    tsc_cpuid(&t, 0x16, &a, &b, &c, &d);
    assert_int_equal(a, 2500);
    assert_int_equal(c, 1000);
    tsc_cpuid(&t, 0x14, &a, &b, &c, &d);
    assert_int_equal(a | b | c | d, 0);
    tsc_init(&t, &fc.clock, 0);
    assert_int_equal(t.hz, TSC_DEFAULT_HZ);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_deadline_roundtrip),
        cmocka_unit_test(test_cpuid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
