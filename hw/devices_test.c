/* The small PC devices through their bus windows: RTC/CMOS, i8042, ACPI PM, pc-testdev. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hw/acpi-pm.h"
#include "util/eventloop.h"
#include "hw/i8042.h"
#include "hw/pc-testdev.h"
#include "hw/rtc.h"
#include "machine/vm.h"

static int irq_level[32];

static void fake_set_irq(struct vm *vm, unsigned gsi, int level)
{
    (void)vm;
    if (gsi < 32)
        irq_level[gsi] = level;
}

static struct vm *new_vm(void)
{
    struct vm *vm = calloc(1, sizeof(*vm));
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");
    pthread_mutex_init(&vm->stop_lock, NULL);
    pthread_cond_init(&vm->stop_cond, NULL);
    memset(irq_level, 0, sizeof(irq_level));
    return vm;
}

static uint8_t in8(struct vm *vm, uint16_t port)
{
    uint64_t v;
    bus_read(&vm->pio, port, 1, &v);
    return (uint8_t)v;
}

static void out8(struct vm *vm, uint16_t port, uint8_t v)
{
    bus_write(&vm->pio, port, v, 1);
}

static uint8_t cmos(struct vm *vm, uint8_t idx)
{
    out8(vm, 0x70, idx);
    return in8(vm, 0x71);
}

static void test_rtc(void **state)
{
    (void)state;
    struct vm *vm = new_vm();
    struct rtc *r = rtc_new(vm, fake_set_irq);
    assert_int_equal(rtc_map(r), 0);
    rtc_set_mem_size(r, 512ull << 20, 1ull << 30);
    assert_int_equal(cmos(vm, 0x15) | cmos(vm, 0x16) << 8, 640);
    assert_int_equal(cmos(vm, 0x17) | cmos(vm, 0x18) << 8, 0xfc00);    /* capped */
    assert_int_equal(cmos(vm, 0x34) | cmos(vm, 0x35) << 8, (512 - 16) * 16);
    assert_int_equal(cmos(vm, 0x5b) | cmos(vm, 0x5c) << 8 | cmos(vm, 0x5d) << 16, 1 << 14);
    assert_int_equal(cmos(vm, 0x0d), 0x80);                          /* battery good */
    assert_int_equal(cmos(vm, 0x0b) & 0x06, 0x02);                   /* BCD, 24-hour */

    /* The clock reads the host's UTC time, in BCD. */
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    uint8_t year = cmos(vm, 0x09), cent = cmos(vm, 0x32), mon = cmos(vm, 0x08);
    assert_int_equal((year >> 4) * 10 + (year & 0xf), tm.tm_year % 100);
    assert_int_equal((cent >> 4) * 10 + (cent & 0xf), (tm.tm_year + 1900) / 100);
    assert_int_equal((mon >> 4) * 10 + (mon & 0xf), tm.tm_mon + 1);

    /* Setting the year (SET held) moves the guest's clock, not the host's. */
    out8(vm, 0x70, 0x0b);
    out8(vm, 0x71, 0x82);
    out8(vm, 0x70, 0x09);
    out8(vm, 0x71, 0x99);
    out8(vm, 0x70, 0x32);
    out8(vm, 0x71, 0x19);
    out8(vm, 0x70, 0x0b);
    out8(vm, 0x71, 0x02);
    assert_int_equal(cmos(vm, 0x09), 0x99);
    assert_int_equal(cmos(vm, 0x32), 0x19);

    /* CMOS RAM keeps what is written; the NMI bit of the index is not part of the address. */
    out8(vm, 0x70, 0x80 | 0x40);
    out8(vm, 0x71, 0x5a);
    assert_int_equal(cmos(vm, 0x40), 0x5a);
    rtc_free(r);
    free(vm);
}

/* Periodic interrupt through the event loop: IRQ 8 rises, reading register C lowers it. */
static void test_rtc_periodic_irq(void **state)
{
    (void)state;
    struct vm *vm = new_vm();
    vm->loop = evloop_new();
    assert_int_equal(evloop_start(vm->loop), 0);
    struct rtc *r = rtc_new(vm, fake_set_irq);
    assert_int_equal(rtc_map(r), 0);
    out8(vm, 0x70, 0x0a);
    out8(vm, 0x71, 0x26);       /* 1024 Hz */
    out8(vm, 0x70, 0x0b);
    out8(vm, 0x71, 0x42);       /* PIE */
    for (int i = 0; i < 200 && !irq_level[8]; i++)
        nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
    assert_int_equal(irq_level[8], 1);
    uint8_t c = cmos(vm, 0x0c);
    assert_int_equal(c & 0xc0, 0xc0);   /* IRQF | PF */
    out8(vm, 0x70, 0x0b);
    out8(vm, 0x71, 0x02);       /* periodic off */
    cmos(vm, 0x0c);
    assert_int_equal(irq_level[8], 0);
    evloop_stop(vm->loop);
    rtc_free(r);
    evloop_free(vm->loop);
    free(vm);
}

static void test_i8042(void **state)
{
    (void)state;
    struct vm *vm = new_vm();
    struct i8042 *k = i8042_new(vm, fake_set_irq);
    assert_int_equal(i8042_map(k), 0);
    out8(vm, 0x64, 0xaa);                      /* controller self test */
    assert_int_equal(in8(vm, 0x64) & 1, 1);    /* output buffer full */
    assert_int_equal(in8(vm, 0x60), 0x55);
    out8(vm, 0x64, 0x20);                      /* read the command byte */
    assert_int_equal(in8(vm, 0x60) & 0x01, 0x01);
    assert_int_equal(in8(vm, 0x64) & 0x10, 0x10);   /* not inhibited by the keylock */
    out8(vm, 0x64, 0xa7);                      /* disable the aux port: the command byte shows it */
    out8(vm, 0x64, 0x20);
    assert_int_equal(in8(vm, 0x60) & 0x20, 0x20);
    out8(vm, 0x64, 0xa8);
    out8(vm, 0x64, 0x20);
    assert_int_equal(in8(vm, 0x60) & 0x20, 0);
    out8(vm, 0x60, 0xff);                      /* keyboard reset: ACK, then BAT ok */
    assert_int_equal(irq_level[1], 1);
    assert_int_equal(in8(vm, 0x60), 0xfa);
    assert_int_equal(in8(vm, 0x60), 0xaa);
    assert_int_equal(irq_level[1], 0);
    assert_false(vm_should_stop(vm));
    out8(vm, 0x64, 0xd1);                      /* output port write with the reset line high */
    out8(vm, 0x60, 0x01);
    assert_false(vm_should_stop(vm));
    out8(vm, 0x64, 0xfe);                      /* pulse reset: what reboot=k does */
    assert_int_equal(vm->stop_reason, VCPU_RESET);
    i8042_free(k);
    free(vm);
}

static void test_acpi_pm(void **state)
{
    (void)state;
    struct vm *vm = new_vm();
    struct acpi_pm *p = acpi_pm_new(vm, fake_set_irq);
    assert_int_equal(acpi_pm_map(p), 0);
    uint64_t v;
    bus_read(&vm->pio, 0x604, 2, &v);
    assert_int_equal(v & 1, 1);                /* SCI_EN: ACPI mode from the start */
    bus_write(&vm->pio, 0x604, (3 << 10) | (1 << 13), 2);   /* S3: not supported, nothing */
    assert_false(vm_should_stop(vm));
    bus_write(&vm->pio, 0x604, 5 << 10, 2);                  /* S5 type without SLP_EN */
    assert_false(vm_should_stop(vm));
    bus_write(&vm->pio, 0x602, 0x0100, 2);                   /* PM1_EN: power button */
    bus_read(&vm->pio, 0x600, 4, &v);
    assert_int_equal(v, 0x01000000);
    /* The PM timer runs at 3.579545 MHz. */
    bus_read(&vm->pio, 0x608, 4, &v);
    uint32_t t0 = (uint32_t)v;
    nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    bus_read(&vm->pio, 0x608, 4, &v);
    uint32_t ticks = (uint32_t)v - t0;
    assert_true(ticks >= 35000 && ticks < 35795 * 20);
    bus_write(&vm->pio, 0x604, (5 << 10) | (1 << 13), 2);    /* S5 + SLP_EN: poweroff */
    assert_int_equal(vm->stop_reason, VCPU_POWEROFF);
    acpi_pm_free(p);
    free(vm);
}

static void test_reset_control(void **state)
{
    (void)state;
    struct vm *vm = new_vm();
    struct acpi_pm *p = acpi_pm_new(vm, fake_set_irq);
    assert_int_equal(acpi_pm_map(p), 0);
    out8(vm, 0xcf9, 0x02);
    assert_false(vm_should_stop(vm));
    out8(vm, 0xcf9, 0x06);
    assert_int_equal(vm->stop_reason, VCPU_RESET);
    acpi_pm_free(p);
    free(vm);
}

static void test_pc_testdev(void **state)
{
    (void)state;
    struct vm *vm = new_vm();
    struct pc_testdev *t = pc_testdev_new(vm, fake_set_irq);
    assert_int_equal(pc_testdev_map(t), 0);
    uint64_t v;
    bus_write(&vm->pio, 0xe0, 0x12345678, 4);
    bus_read(&vm->pio, 0xe0, 4, &v);
    assert_int_equal(v, 0x12345678);
    bus_write(&vm->pio, 0xe1, 0xab, 1);                      /* one byte lane */
    bus_read(&vm->pio, 0xe0, 4, &v);
    assert_int_equal(v, 0x1234ab78);
    bus_read(&vm->pio, 0xea, 2, &v);                         /* the byte-wise alias at 0xe8 */
    assert_int_equal(v, 0x1234);
    bus_write(&vm->pio, 0x2000 + 10, 1, 1);
    assert_int_equal(irq_level[10], 1);
    bus_write(&vm->pio, 0x2000 + 10, 0, 1);
    assert_int_equal(irq_level[10], 0);
    bus_write(&vm->mmio, 0xff000000 + 0x100, 0x1122334455667788ull, 8);
    bus_read(&vm->mmio, 0xff000000 + 0x104, 4, &v);
    assert_int_equal(v, 0x11223344);
    bus_read(&vm->mmio, 0xff00fffe, 2, &v);
    assert_int_equal(v, 0);
    pc_testdev_free(t);
    free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtc),        cmocka_unit_test(test_rtc_periodic_irq),
        cmocka_unit_test(test_i8042),      cmocka_unit_test(test_acpi_pm),
        cmocka_unit_test(test_reset_control), cmocka_unit_test(test_pc_testdev),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
