/* The small PC devices through their bus windows: RTC/CMOS, i8042, ACPI PM, pc-testdev. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hw/acpi-pm.h"
#include "hw/i8042.h"
#include "hw/link.h"
#include "hw/pc-testdev.h"
#include "hw/rtc.h"
#include "mm/bus.h"
#include "util/eventloop.h"

/* What the board gives the devices, faked: buses, 24 IRQ lines that record their level, a stop
 * link that records the first request. */
struct board {
    struct bus pio, mmio;
    struct evloop *loop;
    struct irq_line lines[TESTDEV_IRQ_LINES];
    struct stop_link stop;
    int stops;
    enum stop_request stop_what;
};

static int irq_level[32];

static void fake_set_irq(void *opaque, int level)
{
    irq_level[(int *)opaque - irq_level] = level;
}

static void fake_stop(void *opaque, enum stop_request what, int status)
{
    struct board *m = opaque;
    (void)status;
    if (m->stops++ == 0)
        m->stop_what = what;
}

static bool stopped(const struct board *m)
{
    return m->stops > 0;
}

static struct board *new_board(void)
{
    struct board *m = calloc(1, sizeof(*m));
    bus_init(&m->pio, "pio");
    bus_init(&m->mmio, "mmio");
    memset(irq_level, 0, sizeof(irq_level));
    for (int i = 0; i < TESTDEV_IRQ_LINES; i++)
        m->lines[i] = (struct irq_line){ .set = fake_set_irq, .opaque = &irq_level[i] };
    m->stop = (struct stop_link){ .request = fake_stop, .opaque = m };
    return m;
}

static uint8_t in8(struct board *m, uint16_t port)
{
    uint64_t v;
    bus_read(&m->pio, port, 1, &v);
    return (uint8_t)v;
}

static void out8(struct board *m, uint16_t port, uint8_t v)
{
    bus_write(&m->pio, port, v, 1);
}

static uint8_t cmos(struct board *m, uint8_t idx)
{
    out8(m, 0x70, idx);
    return in8(m, 0x71);
}

static void test_rtc(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct rtc *r = rtc_new(&m->lines[RTC_IRQ], m->loop);
    assert_int_equal(rtc_map(r, &m->pio), 0);
    rtc_set_mem_size(r, 512ull << 20, 1ull << 30);
    assert_int_equal(cmos(m, 0x15) | cmos(m, 0x16) << 8, 640);
    assert_int_equal(cmos(m, 0x17) | cmos(m, 0x18) << 8, 0xfc00);    /* capped */
    assert_int_equal(cmos(m, 0x34) | cmos(m, 0x35) << 8, (512 - 16) * 16);
    assert_int_equal(cmos(m, 0x5b) | cmos(m, 0x5c) << 8 | cmos(m, 0x5d) << 16, 1 << 14);
    assert_int_equal(cmos(m, 0x0d), 0x80);                          /* battery good */
    assert_int_equal(cmos(m, 0x0b) & 0x06, 0x02);                   /* BCD, 24-hour */

    /* The clock reads the host's UTC time, in BCD. */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    uint8_t year = cmos(m, 0x09), cent = cmos(m, 0x32), mon = cmos(m, 0x08);
    assert_int_equal((year >> 4) * 10 + (year & 0xf), tm.tm_year % 100);
    assert_int_equal((cent >> 4) * 10 + (cent & 0xf), (tm.tm_year + 1900) / 100);
    assert_int_equal((mon >> 4) * 10 + (mon & 0xf), tm.tm_mon + 1);

    /* Setting the year (SET held) moves the guest's clock, not the host's. */
    out8(m, 0x70, 0x0b);
    out8(m, 0x71, 0x82);
    out8(m, 0x70, 0x09);
    out8(m, 0x71, 0x99);
    out8(m, 0x70, 0x32);
    out8(m, 0x71, 0x19);
    out8(m, 0x70, 0x0b);
    out8(m, 0x71, 0x02);
    assert_int_equal(cmos(m, 0x09), 0x99);
    assert_int_equal(cmos(m, 0x32), 0x19);

    /* CMOS RAM keeps what is written; the NMI bit of the index is not part of the address. */
    out8(m, 0x70, 0x80 | 0x40);
    out8(m, 0x71, 0x5a);
    assert_int_equal(cmos(m, 0x40), 0x5a);
    rtc_free(r);
    free(m);
}

/* Century 0 puts the guest's clock before 1900 (year 26 AD here): the registers read back what was
 * written, with no negative arithmetic on the way (issue 9: UBSan saw a shift of a negative value). */
static void test_rtc_century_zero(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct rtc *r = rtc_new(&m->lines[RTC_IRQ], m->loop);
    assert_int_equal(rtc_map(r, &m->pio), 0);
    static const uint8_t set[][2] = { { 0x0b, 0x82 }, { 0x32, 0x00 }, { 0x09, 0x26 }, { 0x08, 0x01 },
                                      { 0x07, 0x01 }, { 0x04, 0x00 }, { 0x02, 0x00 }, { 0x00, 0x00 },
                                      { 0x0b, 0x02 } };
    for (size_t k = 0; k < sizeof(set) / sizeof(set[0]); k++) {
        out8(m, 0x70, set[k][0]);
        out8(m, 0x71, set[k][1]);
    }
    assert_int_equal(cmos(m, 0x09), 0x26);
    assert_int_equal(cmos(m, 0x32), 0x00);
    assert_int_equal(cmos(m, 0x08), 0x01);
    rtc_free(r);
    free(m);
}

/* Periodic interrupt through the event loop: IRQ 8 rises, reading register C lowers it. */
static void test_rtc_periodic_irq(void **state)
{
    (void)state;
    struct board *m = new_board();
    m->loop = evloop_new();
    assert_int_equal(evloop_start(m->loop), 0);
    struct rtc *r = rtc_new(&m->lines[RTC_IRQ], m->loop);
    assert_int_equal(rtc_map(r, &m->pio), 0);
    out8(m, 0x70, 0x0a);
    out8(m, 0x71, 0x26);       /* 1024 Hz */
    out8(m, 0x70, 0x0b);
    out8(m, 0x71, 0x42);       /* PIE */
    /* About 1 ms on an idle host; a busy one may hold the event loop back much longer. */
    for (uint64_t end = clock_now_ns() + 10000000000ull; !irq_level[8] && clock_now_ns() < end; )
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_int_equal(irq_level[8], 1);
    uint8_t c = cmos(m, 0x0c);
    assert_int_equal(c & 0xc0, 0xc0);   /* IRQF | PF */
    out8(m, 0x70, 0x0b);
    out8(m, 0x71, 0x02);       /* periodic off */
    cmos(m, 0x0c);
    assert_int_equal(irq_level[8], 0);
    evloop_stop(m->loop);
    rtc_free(r);
    evloop_free(m->loop);
    free(m);
}

static void test_i8042(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct i8042 *k = i8042_new(&m->lines[I8042_KBD_IRQ], &m->stop);
    assert_int_equal(i8042_map(k, &m->pio), 0);
    out8(m, 0x64, 0xaa);                      /* controller self test */
    assert_int_equal(in8(m, 0x64) & 1, 1);    /* output buffer full */
    assert_int_equal(in8(m, 0x60), 0x55);
    out8(m, 0x64, 0x20);                      /* read the command byte */
    assert_int_equal(in8(m, 0x60) & 0x01, 0x01);
    assert_int_equal(in8(m, 0x64) & 0x10, 0x10);   /* not inhibited by the keylock */
    out8(m, 0x64, 0xa7);                      /* disable the aux port: the command byte shows it */
    out8(m, 0x64, 0x20);
    assert_int_equal(in8(m, 0x60) & 0x20, 0x20);
    out8(m, 0x64, 0xa8);
    out8(m, 0x64, 0x20);
    assert_int_equal(in8(m, 0x60) & 0x20, 0);
    out8(m, 0x60, 0xff);                      /* keyboard reset: ACK, then BAT ok */
    assert_int_equal(irq_level[1], 1);
    assert_int_equal(in8(m, 0x60), 0xfa);
    assert_int_equal(in8(m, 0x60), 0xaa);
    assert_int_equal(irq_level[1], 0);
    assert_false(stopped(m));
    out8(m, 0x64, 0xd0);                      /* output port: reset line high, A20 on */
    assert_int_equal(in8(m, 0x60), 0x03);
    out8(m, 0x64, 0xd1);                      /* output port write with the reset line high */
    out8(m, 0x60, 0x01);
    out8(m, 0x64, 0xd0);                      /* A20 off reads back */
    assert_int_equal(in8(m, 0x60), 0x01);
    assert_false(stopped(m));
    out8(m, 0x64, 0xfe);                      /* pulse reset: what reboot=k does */
    assert_int_equal(m->stop_what, STOP_REQ_RESET);
    i8042_free(k);
    free(m);
}

/* System Control Port A: A20 reads back, bit 0 resets on its rising edge only. */
static void test_port92(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct i8042 *k = i8042_new(&m->lines[I8042_KBD_IRQ], &m->stop);
    assert_int_equal(i8042_map(k, &m->pio), 0);
    assert_int_equal(in8(m, 0x92), 0x02);     /* A20 on, as firmware leaves it */
    out8(m, 0x92, 0xfc);                      /* A20 off; undefined bits are not kept */
    assert_int_equal(in8(m, 0x92), 0x00);
    out8(m, 0x92, 0x02);
    assert_int_equal(in8(m, 0x92), 0x02);
    assert_false(stopped(m));
    out8(m, 0x92, 0x03);                      /* fast reset */
    assert_int_equal(m->stop_what, STOP_REQ_RESET);
    assert_int_equal(m->stops, 1);
    out8(m, 0x92, 0x03);                      /* no new edge: no second request */
    assert_int_equal(m->stops, 1);
    i8042_free(k);
    free(m);
}

static void test_acpi_pm(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct acpi_pm *p = acpi_pm_new(&m->lines[ACPI_SCI_IRQ], &m->stop);
    assert_int_equal(acpi_pm_map(p, &m->pio), 0);
    uint64_t v;
    bus_read(&m->pio, 0x604, 2, &v);
    assert_int_equal(v & 1, 1);                /* SCI_EN: ACPI mode from the start */
    bus_write(&m->pio, 0x604, (3 << 10) | (1 << 13), 2);   /* S3: not supported, nothing */
    assert_false(stopped(m));
    bus_write(&m->pio, 0x604, 5 << 10, 2);                  /* S5 type without SLP_EN */
    assert_false(stopped(m));
    bus_write(&m->pio, 0x602, 0x0100, 2);                   /* PM1_EN: power button */
    bus_read(&m->pio, 0x600, 4, &v);
    assert_int_equal(v, 0x01000000);
    /* The PM timer runs at 3.579545 MHz of CLOCK_MONOTONIC: between two reads it counts what the
     * host clock says passed between them, however long a busy host kept the sleep (the bounds are
     * the clock read just inside and just outside each register read, with a tick for rounding). */
    uint64_t a0 = clock_now_ns();
    bus_read(&m->pio, 0x608, 4, &v);
    uint64_t a1 = clock_now_ns();
    uint32_t t0 = (uint32_t)v;
    nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    uint64_t b0 = clock_now_ns();
    bus_read(&m->pio, 0x608, 4, &v);
    uint64_t b1 = clock_now_ns();
    uint64_t ticks = (uint32_t)((uint32_t)v - t0);
    assert_in_range(ticks, (b0 - a1) * 3579545 / 1000000000 - 1, (b1 - a0) * 3579545 / 1000000000 + 1);
    assert_true(ticks >= 35795);             /* the sleep was at least 10 ms */
    bus_write(&m->pio, 0x604, (5 << 10) | (1 << 13), 2);    /* S5 + SLP_EN: poweroff */
    assert_int_equal(m->stop_what, STOP_REQ_POWEROFF);
    acpi_pm_free(p);
    free(m);
}

static void test_reset_control(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct acpi_pm *p = acpi_pm_new(&m->lines[ACPI_SCI_IRQ], &m->stop);
    assert_int_equal(acpi_pm_map(p, &m->pio), 0);
    out8(m, 0xcf9, 0x02);
    assert_false(stopped(m));
    out8(m, 0xcf9, 0x06);
    assert_int_equal(m->stop_what, STOP_REQ_RESET);
    acpi_pm_free(p);
    free(m);
}

static void test_pc_testdev(void **state)
{
    (void)state;
    struct board *m = new_board();
    struct pc_testdev *t = pc_testdev_new(m->lines, NULL);
    assert_int_equal(pc_testdev_map(t, &m->pio, &m->mmio), 0);
    uint64_t v;
    bus_write(&m->pio, 0xe0, 0x12345678, 4);
    bus_read(&m->pio, 0xe0, 4, &v);
    assert_int_equal(v, 0x12345678);
    bus_write(&m->pio, 0xe1, 0xab, 1);                      /* one byte lane */
    bus_read(&m->pio, 0xe0, 4, &v);
    assert_int_equal(v, 0x1234ab78);
    bus_read(&m->pio, 0xea, 2, &v);                         /* the byte-wise alias at 0xe8 */
    assert_int_equal(v, 0x1234);
    bus_write(&m->pio, 0x2000 + 10, 1, 1);
    assert_int_equal(irq_level[10], 1);
    bus_write(&m->pio, 0x2000 + 10, 0, 1);
    assert_int_equal(irq_level[10], 0);
    bus_write(&m->mmio, 0xff000000 + 0x100, 0x1122334455667788ull, 8);
    bus_read(&m->mmio, 0xff000000 + 0x104, 4, &v);
    assert_int_equal(v, 0x11223344);
    bus_read(&m->mmio, 0xff00fffe, 2, &v);
    assert_int_equal(v, 0);
    pc_testdev_free(t);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtc),        cmocka_unit_test(test_rtc_century_zero),
        cmocka_unit_test(test_rtc_periodic_irq),
        cmocka_unit_test(test_i8042),      cmocka_unit_test(test_port92),
        cmocka_unit_test(test_acpi_pm),
        cmocka_unit_test(test_reset_control), cmocka_unit_test(test_pc_testdev),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
