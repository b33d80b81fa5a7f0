/* 8254 PIT with a fake clock: counter readback in modes 0/2/3/4, latch and read-back commands,
 * status bytes, IRQ0 edges, channel 2's gate and OUT on port 0x61 as Linux's TSC calibration uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/fake-clock_test.h"
#include "hw/pit.h"
#include "hw/pio_test.h"

struct rig {
    struct fake_clock fc;
    struct bus pio;
    struct pit pit;
    int rises;                 /* IRQ0 rising edges */
    int level;
};

static void irq0(void *opaque, int level)
{
    struct rig *r = opaque;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

/* Host ns for a number of PIT ticks, rounded up so the tick has passed. */
static uint64_t ticks_ns(uint64_t t)
{
    return (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static void advance_ticks(struct rig *r, uint64_t t)
{
    fake_clock_advance(&r->fc, ticks_ns(t));
}

/* LSB then MSB: two statements, since the order of calls inside one expression is unspecified. */
static uint16_t read_word(struct rig *r, uint16_t port)
{
    uint8_t lo = pio_inb(&r->pio, port);
    uint8_t hi = pio_inb(&r->pio, port);
    return lo | hi << 8;
}

static uint16_t read_latched(struct rig *r, unsigned ch)
{
    pio_outb(&r->pio, 0x43, ch << 6);                     /* counter latch command */
    return read_word(r, 0x40 + ch);
}

static int setup(void **state)
{
    static struct rig r;
    memset(&r, 0, sizeof(r));
    fake_clock_init(&r.fc, 1000000000ull);
    bus_init(&r.pio, "pio");
    assert_int_equal(pit_init(&r.pit, &r.fc.clock, irq0, &r), 0);
    assert_int_equal(pit_map(&r.pit, &r.pio), 0);
    *state = &r;
    return 0;
}

static int teardown(void **state)
{
    pit_destroy(&((struct rig *)*state)->pit);
    return 0;
}

/* Linux's pit_calibrate_tsc: gate on, speaker off, channel 2 mode 0, wait for OUT on port 0x61. */
static void test_ch2_mode0_calibration(void **state)
{
    struct rig *r = *state;
    const uint16_t latch = 59659;              /* 50 ms */
    pio_outb(&r->pio, 0x61, (pio_inb(&r->pio, 0x61) & ~0x02) | 0x01);
    pio_outb(&r->pio, 0x43, 0xb0);                        /* ch2, LSB/MSB, mode 0, binary */
    pio_outb(&r->pio, 0x42, latch & 0xff);
    uint64_t start = r->fc.now;
    pio_outb(&r->pio, 0x42, latch >> 8);
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x20, 0);   /* OUT low while counting */
    assert_int_equal(read_latched(r, 2), latch);
    advance_ticks(r, 1000);
    assert_int_equal(read_latched(r, 2), latch - 1000);
    fake_clock_advance(&r->fc, 49000000);       /* 1000 ticks + 49 ms: still short of 50 ms */
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x20, 0);
    fake_clock_advance(&r->fc, 200000);
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x20, 0x20); /* terminal count: OUT high and stays high */
    fake_clock_advance(&r->fc, 1000000);
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x23, 0x21);
    /* After 0 the counter wraps through 0xffff and keeps counting. */
    uint64_t d = (r->fc.now - start) * PIT_HZ / 1000000000ull;
    assert_true(d > latch && d < latch + 2000);
    assert_int_equal(read_latched(r, 2), 0x10000 - (d - latch));
}

static void test_ch2_gate(void **state)
{
    struct rig *r = *state;
    pio_outb(&r->pio, 0x61, 0x00);                        /* gate low */
    pio_outb(&r->pio, 0x43, 0xb0);
    pio_outb(&r->pio, 0x42, 0x00);
    pio_outb(&r->pio, 0x42, 0x10);                        /* 4096 */
    advance_ticks(r, 500);
    assert_int_equal(read_latched(r, 2), 4096); /* mode 0 does not count with the gate low */
    pio_outb(&r->pio, 0x61, 0x01);
    advance_ticks(r, 96);
    assert_int_equal(read_latched(r, 2), 4000);
    pio_outb(&r->pio, 0x61, 0x00);                        /* pause */
    advance_ticks(r, 3000);
    assert_int_equal(read_latched(r, 2), 4000);
    pio_outb(&r->pio, 0x61, 0x01);                        /* resume where it stopped */
    advance_ticks(r, 4000);
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x20, 0x20);
    /* Mode 2 with the gate low: OUT forced high; the rising gate reloads the count. */
    pio_outb(&r->pio, 0x61, 0x00);
    pio_outb(&r->pio, 0x43, 0xb4);                        /* ch2, LSB/MSB, mode 2 */
    pio_outb(&r->pio, 0x42, 100);
    pio_outb(&r->pio, 0x42, 0);
    advance_ticks(r, 99);
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x20, 0x20);
    pio_outb(&r->pio, 0x61, 0x01);
    advance_ticks(r, 30);
    assert_int_equal(read_latched(r, 2), 70);
}

/* Channel 0 in mode 2 at Linux's HZ=1000 LATCH: one IRQ0 edge per period, counter N..1. */
static void test_ch0_mode2_irq(void **state)
{
    struct rig *r = *state;
    pio_outb(&r->pio, 0x43, 0x34);                        /* ch0, LSB/MSB, mode 2 */
    pio_outb(&r->pio, 0x40, 1193 & 0xff);
    pio_outb(&r->pio, 0x40, 1193 >> 8);
    r->rises = 0;
    advance_ticks(r, 100);
    assert_int_equal(read_latched(r, 0), 1093);
    assert_int_equal(r->rises, 0);
    fake_clock_advance(&r->fc, 10000000);       /* 10 ms from the load, plus 100 ticks */
    assert_int_equal(r->rises, 10);
    assert_int_equal(fake_clock_next_deadline(&r->fc) > r->fc.now, 1);
    /* Reprogramming to a one-shot (mode 0): exactly one edge, at terminal count. */
    pio_outb(&r->pio, 0x43, 0x30);
    pio_outb(&r->pio, 0x40, 0xe8);
    pio_outb(&r->pio, 0x40, 0x03);                        /* 1000 ticks */
    r->rises = 0;
    fake_clock_advance(&r->fc, 100000000);
    assert_int_equal(r->rises, 1);
    assert_int_equal(fake_clock_next_deadline(&r->fc), 0);
}

static void test_mode3_and_status(void **state)
{
    struct rig *r = *state;
    pio_outb(&r->pio, 0x43, 0x36);                        /* ch0, LSB/MSB, mode 3 */
    pio_outb(&r->pio, 0x40, 0xe8);
    pio_outb(&r->pio, 0x40, 0x03);                        /* 1000: 500 ticks high, 500 low */
    advance_ticks(r, 100);
    assert_int_equal(read_latched(r, 0), 800);  /* counts by two */
    pio_outb(&r->pio, 0x43, 0xe2);                        /* read-back: status only, channel 0 */
    uint8_t st = pio_inb(&r->pio, 0x40);
    assert_int_equal(st, 0x80 | 0x30 | (3 << 1));   /* OUT high, LSB/MSB, mode 3 */
    advance_ticks(r, 500);
    pio_outb(&r->pio, 0x43, 0xc2);                        /* read-back: status and count */
    st = pio_inb(&r->pio, 0x40);
    assert_int_equal(st & 0x80, 0);             /* second half: OUT low */
    uint16_t v = read_word(r, 0x40);
    assert_int_equal(v, 1000 - (2 * 600) % 1000);
    /* A latched count holds still until read, and a second latch does not overwrite it. */
    pio_outb(&r->pio, 0x43, 0x00);
    advance_ticks(r, 50);
    pio_outb(&r->pio, 0x43, 0x00);
    v = read_word(r, 0x40);
    assert_int_equal(v, 1000 - (2 * 600) % 1000);
    /* Null count: set by the control word, cleared when the count is loaded. */
    pio_outb(&r->pio, 0x43, 0x34);
    pio_outb(&r->pio, 0x43, 0xe2);
    assert_int_equal(pio_inb(&r->pio, 0x40) & 0x40, 0x40);
    pio_outb(&r->pio, 0x40, 10);
    pio_outb(&r->pio, 0x40, 0);
    pio_outb(&r->pio, 0x43, 0xe2);
    assert_int_equal(pio_inb(&r->pio, 0x40) & 0x40, 0);
}

static void test_mode4_and_byte_modes(void **state)
{
    struct rig *r = *state;
    pio_outb(&r->pio, 0x43, 0x18);                        /* ch0, LSB only, mode 4 */
    pio_outb(&r->pio, 0x40, 200);
    r->rises = 0;
    advance_ticks(r, 150);
    assert_int_equal(pio_inb(&r->pio, 0x40), 50);         /* LSB-only reads */
    advance_ticks(r, 60);
    assert_int_equal(r->rises, 1);              /* the strobe after count 0 */
    pio_outb(&r->pio, 0x43, 0x24);                        /* ch0, MSB only, mode 2 */
    pio_outb(&r->pio, 0x40, 0x02);                        /* count 0x200 */
    advance_ticks(r, 0x100);
    assert_int_equal(pio_inb(&r->pio, 0x40), 0x01);       /* MSB of 0x100 */
}

/* A period of two ticks (1.7 us) would be 600 interrupts per millisecond; edges closer than
 * PIT_MIN_IRQ_INTERVAL_NS are merged. */
static void test_irq0_rate_limit(void **state)
{
    struct rig *r = *state;
    pio_outb(&r->pio, 0x43, 0x34);
    pio_outb(&r->pio, 0x40, 2);
    pio_outb(&r->pio, 0x40, 0);
    r->rises = 0;
    fake_clock_advance(&r->fc, 1000000);
    assert_in_range(r->rises, 1, 1000000 / PIT_MIN_IRQ_INTERVAL_NS + 1);
    assert_int_equal(read_latched(r, 0) <= 2, 1);   /* the counter itself still runs at 1.19 MHz */
}

static void test_port61_bits(void **state)
{
    struct rig *r = *state;
    pio_outb(&r->pio, 0x61, 0xff);
    assert_int_equal(pio_inb(&r->pio, 0x61) & 0x0f, 0x0f);    /* bits 0..3 are read/write */
    pio_outb(&r->pio, 0x61, 0x00);
    uint8_t a = pio_inb(&r->pio, 0x61) & 0x10;
    fake_clock_advance(&r->fc, 15085);
    uint8_t b = pio_inb(&r->pio, 0x61) & 0x10;
    assert_int_not_equal(a, b);                     /* the refresh bit toggles */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ch2_mode0_calibration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ch2_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ch0_mode2_irq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode3_and_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode4_and_byte_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_irq0_rate_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port61_bits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
