/* HPET on a fake clock, with the 32-bit accesses Linux makes: capabilities, counter run/halt,
 * periodic and one-shot timers in legacy replacement mode (IRQ0 edges), a 32-bit comparator behind
 * the counter, level-triggered routing to a GSI with the status register. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/fake-clock_test.h"
#include "hw/hpet.h"

struct rig {
    struct fake_clock fc;
    struct hpet h;
    int rises[32];
    int level[32];
};

static void set_irq(void *opaque, unsigned irq, int level)
{
    struct rig *r = opaque;
    assert_true(irq < 32);
    if (level && !r->level[irq])
        r->rises[irq]++;
    r->level[irq] = level;
}

static uint32_t rd(struct rig *r, unsigned off)
{
    return (uint32_t)hpet_mmio_read(&r->h, off, 4);
}

static void wr(struct rig *r, unsigned off, uint32_t v)
{
    hpet_mmio_write(&r->h, off, v, 4);
}

static int setup(void **state)
{
    static struct rig r;
    memset(&r, 0, sizeof(r));
    fake_clock_init(&r.fc, 5000000000ull);
    assert_int_equal(hpet_init(&r.h, &r.fc.clock, set_irq, &r), 0);
    *state = &r;
    return 0;
}

static int teardown(void **state)
{
    hpet_destroy(&((struct rig *)*state)->h);
    return 0;
}

static void test_caps_and_counter(void **state)
{
    struct rig *r = *state;
    /* What the ACPI HPET table's event timer block id says, and a 10 ns period. */
    assert_int_equal(rd(r, HPET_REG_CAP), 0x8086a201);
    assert_int_equal(rd(r, HPET_REG_CAP + 4), HPET_PERIOD_FS);
    assert_int_equal(hpet_mmio_read(&r->h, HPET_REG_TIMER(0), 8) >> 32, HPET_TN_ROUTE_CAPS);
    fake_clock_advance(&r->fc, 1000000);
    assert_int_equal(rd(r, HPET_REG_COUNTER), 0);              /* halted after reset */
    wr(r, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    fake_clock_advance(&r->fc, 1000000);
    assert_int_equal(rd(r, HPET_REG_COUNTER), 100000);         /* 1 ms at 100 MHz */
    wr(r, HPET_REG_CONFIG, 0);
    fake_clock_advance(&r->fc, 1000000);
    assert_int_equal(hpet_mmio_read(&r->h, HPET_REG_COUNTER, 8), 100000);
    wr(r, HPET_REG_COUNTER + 4, 1);                            /* write the high half, halted */
    assert_int_equal(hpet_mmio_read(&r->h, HPET_REG_COUNTER, 8), (1ull << 32) | 100000);
    wr(r, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    fake_clock_advance(&r->fc, 10);
    assert_int_equal(rd(r, HPET_REG_COUNTER + 4), 1);
    assert_int_equal(rd(r, HPET_REG_COUNTER), 100001);
    assert_false(hpet_legacy_mode(&r->h));
}

/* Linux's hpet_clkevt_set_state_periodic at HZ=1000, then its legacy clockevent on IRQ0. */
static void test_legacy_periodic(void **state)
{
    struct rig *r = *state;
    wr(r, HPET_REG_CONFIG, HPET_CFG_LEGACY);
    uint32_t delta = 100000;                                   /* 1 ms */
    uint32_t now = rd(r, HPET_REG_COUNTER);
    uint32_t cfg = rd(r, HPET_REG_TIMER(0));
    cfg |= HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_32BIT;
    wr(r, HPET_REG_TIMER(0), cfg);
    wr(r, HPET_REG_TIMER(0) + 8, now + delta);
    wr(r, HPET_REG_TIMER(0) + 8, delta);
    wr(r, HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    assert_true(hpet_legacy_mode(&r->h));
    fake_clock_advance(&r->fc, 10000000 - 1);
    assert_int_equal(r->rises[0], 9);
    fake_clock_advance(&r->fc, 1);
    assert_int_equal(r->rises[0], 10);
    assert_int_equal(r->level[0], 0);                          /* edge: a pulse */
    assert_int_equal(rd(r, HPET_REG_TIMER(0) + 8), now + 11 * delta);   /* comparator moved on */
    assert_int_equal(r->rises[2] + r->rises[16], 0);
    /* Missed periods (a late event loop) are coalesced into one interrupt. */
    fake_clock_advance(&r->fc, 0);
    r->fc.now += 5500000;                                      /* time jumps past 5 matches */
    fake_clock_advance(&r->fc, 0);
    assert_int_equal(r->rises[0], 11);
    fake_clock_advance(&r->fc, 500000);
    assert_int_equal(r->rises[0], 12);                          /* and the period is kept */
}

/* Linux's one-shot mode: a 32-bit comparator written as counter + delta. */
static void test_oneshot_32bit(void **state)
{
    struct rig *r = *state;
    wr(r, HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    wr(r, HPET_REG_TIMER(0), HPET_TN_INT_ENABLE | HPET_TN_32BIT);
    wr(r, HPET_REG_TIMER(0) + 8, rd(r, HPET_REG_COUNTER) + 5000);   /* 50 us */
    fake_clock_advance(&r->fc, 49990);
    assert_int_equal(r->rises[0], 0);
    fake_clock_advance(&r->fc, 10);
    assert_int_equal(r->rises[0], 1);
    fake_clock_advance(&r->fc, 1000000000);
    assert_int_equal(r->rises[0], 1);                          /* once: the next match is a wrap away */
    assert_int_equal(fake_clock_next_deadline(&r->fc) - r->fc.now,
                     (1ull << 32) * 10 - 1000000000ull);
    /* A comparator just behind the counter: no interrupt until the 32-bit wrap. */
    wr(r, HPET_REG_TIMER(0) + 8, rd(r, HPET_REG_COUNTER) - 1);
    fake_clock_advance(&r->fc, 1000000000);
    assert_int_equal(r->rises[0], 1);
    /* Interrupts disabled: the comparator matches, nothing is raised. */
    wr(r, HPET_REG_TIMER(0), HPET_TN_32BIT);
    wr(r, HPET_REG_TIMER(0) + 8, rd(r, HPET_REG_COUNTER) + 10);
    fake_clock_advance(&r->fc, 1000);
    assert_int_equal(r->rises[0], 1);
}

/* A periodic timer of one tick (10 ns) is held to one interrupt per HPET_MIN_PERIOD_TICKS. */
static void test_periodic_rate_limit(void **state)
{
    struct rig *r = *state;
    wr(r, HPET_REG_TIMER(0), HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET);
    hpet_mmio_write(&r->h, HPET_REG_TIMER(0) + 8, 1, 8);   /* 64-bit: the reset value is all-ones */
    hpet_mmio_write(&r->h, HPET_REG_TIMER(0) + 8, 1, 8);
    wr(r, HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    fake_clock_advance(&r->fc, 1000000);
    assert_in_range(r->rises[0], 1, 100000 / HPET_MIN_PERIOD_TICKS + 1);
}

static void test_level_gsi_and_status(void **state)
{
    struct rig *r = *state;
    wr(r, HPET_REG_CONFIG, HPET_CFG_ENABLE);
    /* Timer 2, level-triggered, routed to GSI 20; routes outside the capabilities are refused. */
    wr(r, HPET_REG_TIMER(2), HPET_TN_LEVEL | HPET_TN_INT_ENABLE | 3u << HPET_TN_ROUTE_SHIFT);
    assert_int_equal((rd(r, HPET_REG_TIMER(2)) >> HPET_TN_ROUTE_SHIFT) & 0x1f, 18);
    wr(r, HPET_REG_TIMER(2), HPET_TN_LEVEL | HPET_TN_INT_ENABLE | 20u << HPET_TN_ROUTE_SHIFT);
    hpet_mmio_write(&r->h, HPET_REG_TIMER(2) + 8, hpet_mmio_read(&r->h, HPET_REG_COUNTER, 8) + 100, 8);
    fake_clock_advance(&r->fc, 1000);
    assert_int_equal(r->level[20], 1);
    assert_int_equal(rd(r, HPET_REG_STATUS), 1u << 2);
    wr(r, HPET_REG_STATUS, 1u << 0);                           /* other bits: no effect */
    assert_int_equal(r->level[20], 1);
    wr(r, HPET_REG_STATUS, 1u << 2);                           /* write 1 to clear */
    assert_int_equal(r->level[20], 0);
    assert_int_equal(rd(r, HPET_REG_STATUS), 0);
    /* A 64-bit one-shot fires once only. */
    fake_clock_advance(&r->fc, 100000000);
    assert_int_equal(r->rises[20], 1);
    assert_int_equal(fake_clock_next_deadline(&r->fc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_caps_and_counter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_periodic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oneshot_32bit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_periodic_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_gsi_and_status, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
