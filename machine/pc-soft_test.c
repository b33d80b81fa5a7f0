/* The platform wired end to end, driven as a guest would through the VM's buses, on a fake event
 * loop: PIT IRQ0 through the PIC to the BSP (ExtINT on LINT0), then through IOAPIC pin 2 (the ISA
 * IRQ0 override), ISA IRQ routing, level-triggered GSIs, kicks, SIPI between vCPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/apic-int.h"
#include "util/eventloop.h"
#include "util/fake-clock_test.h"
#include "machine/fake-vm_test.h"
#include "hw/hpet.h"
#include "hw/ioapic.h"
#include "machine/pc-soft.h"
#include "hw/pio_test.h"
#include "machine/vm.h"

/* The event loop's timer API (util/eventloop.h) on the fake clock, so pc_soft_new runs as is
 * without threads. The test is linked before libvmon.a, so these win over the real event loop. */
static struct fake_clock fc;

struct evtimer *evtimer_new(struct evloop *l, void (*cb)(void *opaque), void *opaque)
{
    (void)l;
    return (struct evtimer *)fake_timer_new(&fc, cb, opaque);
}

void evtimer_arm(struct evtimer *t, uint64_t deadline_ns)
{
    fake_timer_arm(&fc, (struct plat_timer *)t, deadline_ns);
}

void evtimer_free(struct evtimer *t)
{
    fake_timer_free(&fc, (struct plat_timer *)t);
}

uint64_t clock_now_ns(void)
{
    return fc.now;
}

static int kicks[VM_MAX_CPUS];
static struct pc_soft *ps;     /* the platform under test, on the VM in *state */

static void fake_kick(struct vcpu *v)
{
    kicks[v->id]++;
}

static const struct accel_ops fake_accel = { .name = "fake", .vcpu_kick = fake_kick };

static int setup(void **state)
{
    struct vm *vm = fake_vm_new(&fake_accel, 2);   /* vCPUs not started: kicks must reach them anyway */
    fake_clock_init(&fc, 1000000000ull);
    memset(kicks, 0, sizeof(kicks));
    vm->loop = (struct evloop *)&fc;   /* only passed back to the fake evtimer_new */
    ps = pc_soft_new(vm);
    assert_non_null(ps);
    *state = vm;
    return 0;
}

static int teardown(void **state)
{
    struct vm *vm = *state;
    pc_soft_free(ps);
    assert_null(vm->vcpus[0].lapic.dev);
    assert_null(vm->vcpus[0].tsc);
    free(vm);
    return 0;
}

static void io_write(struct vm *vm, uint32_t reg, uint32_t val)
{
    assert_true(bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE, reg, 4));
    assert_true(bus_write(&vm->mmio, IOAPIC_DEFAULT_BASE + 0x10, val, 4));
}

static void pic_setup(struct vm *vm, uint8_t master_mask)
{
    static const uint8_t icw[2][4] = { { 0x11, 0x30, 0x04, 0x01 }, { 0x11, 0x38, 0x02, 0x01 } };
    for (int c = 0; c < 2; c++) {
        uint16_t base = c ? 0xa0 : 0x20;
        pio_outb(&vm->pio, base, icw[c][0]);
        for (int i = 1; i < 4; i++)
            pio_outb(&vm->pio, base + 1, icw[c][i]);
    }
    pio_outb(&vm->pio, 0x21, master_mask);
    pio_outb(&vm->pio, 0xa1, 0xff);
}

/* PIT channel 0, mode 2, Linux's HZ=1000 latch. */
static void pit_periodic(struct vm *vm)
{
    pio_outb(&vm->pio, 0x43, 0x34);
    pio_outb(&vm->pio, 0x40, 1193 & 0xff);
    pio_outb(&vm->pio, 0x40, 1193 >> 8);
}

static void test_timer_through_pic(void **state)
{
    struct vm *vm = *state;
    struct lapic *bsp = vm->vcpus[0].lapic.dev;
    pic_setup(vm, 0xfe);                         /* IRQ0 only */
    pit_periodic(vm);
    int ticks = 0;
    for (int ms = 0; ms < 20; ms++) {
        fake_clock_advance(&fc, 1000000);
        if (lapic_irq_hint(bsp)) {
            int v = lapic_get_interrupt(bsp);
            if (v == 0x30) {
                ticks++;
                pio_outb(&vm->pio, 0x20, 0x20);           /* EOI to the PIC */
            }
        }
    }
    assert_in_range(ticks, 19, 20);
    assert_true(kicks[0] >= ticks);
    assert_int_equal(kicks[1], 0);
    assert_int_equal(lapic_get_interrupt(vm->vcpus[1].lapic.dev), -1);
}

static void test_timer_through_ioapic(void **state)
{
    struct vm *vm = *state;
    struct lapic *bsp = vm->vcpus[0].lapic.dev;
    pic_setup(vm, 0xff);                         /* the PIC all masked, as Linux leaves it */
    io_write(vm, 0x10 + 2 * 2 + 1, 0);           /* pin 2: vector 0x30 edge, to APIC id 0 */
    io_write(vm, 0x10 + 2 * 2, 0x30);
    pit_periodic(vm);
    int ticks = 0;
    for (int ms = 0; ms < 10; ms++) {
        fake_clock_advance(&fc, 1000000);
        int v;
        while ((v = lapic_get_interrupt(bsp)) >= 0) {
            assert_int_equal(v, 0x30);
            ticks++;
            lapic_mmio_write(bsp, APIC_REG_EOI, 0, 4);
        }
    }
    assert_in_range(ticks, 9, 10);
}

/* Linux with an ACPI HPET table: the HPET's timer 0 in legacy replacement mode is the tick, and the
 * PIT, still running from reset, no longer reaches IRQ0. */
static void test_hpet_legacy_tick(void **state)
{
    struct vm *vm = *state;
    struct lapic *bsp = vm->vcpus[0].lapic.dev;
    pic_setup(vm, 0xff);
    io_write(vm, 0x10 + 2 * 2 + 1, 0);
    io_write(vm, 0x10 + 2 * 2, 0x30);
    pit_periodic(vm);
    uint64_t v;
    assert_true(bus_read(&vm->mmio, HPET_DEFAULT_BASE + HPET_REG_CAP, 4, &v));
    assert_int_equal(v, 0x8086a201);
    uint64_t t0 = HPET_DEFAULT_BASE + HPET_REG_TIMER(0);
    bus_write(&vm->mmio, t0, HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | HPET_TN_32BIT, 4);
    bus_write(&vm->mmio, t0 + 8, 400000, 4);    /* from counter 0: first tick at 4 ms */
    bus_write(&vm->mmio, t0 + 8, 400000, 4);    /* HZ=250 */
    bus_write(&vm->mmio, HPET_DEFAULT_BASE + HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY, 4);
    int ticks = 0;
    for (int ms = 0; ms < 40; ms++) {
        fake_clock_advance(&fc, 1000000);
        int vec;
        while ((vec = lapic_get_interrupt(bsp)) >= 0) {
            assert_int_equal(vec, 0x30);
            ticks++;
            lapic_mmio_write(bsp, APIC_REG_EOI, 0, 4);
        }
    }
    assert_int_equal(ticks, 10);                /* the HPET's 250 Hz, not the PIT's 1000 Hz */
    /* The RTC's IRQ8 is cut off too while the HPET owns it. */
    io_write(vm, 0x10 + 2 * 8 + 1, 0);
    io_write(vm, 0x10 + 2 * 8, 0x38);
    pc_soft_set_irq(ps, 8, 1);
    pc_soft_set_irq(ps, 8, 0);
    assert_int_equal(lapic_get_interrupt(bsp), -1);
    bus_write(&vm->mmio, HPET_DEFAULT_BASE + HPET_REG_CONFIG, HPET_CFG_ENABLE, 4);
    pc_soft_set_irq(ps, 8, 1);
    pc_soft_set_irq(ps, 8, 0);
    assert_int_equal(lapic_get_interrupt(bsp), 0x38);
}

static void test_isa_and_gsi_routing(void **state)
{
    struct vm *vm = *state;
    struct lapic *ap = vm->vcpus[1].lapic.dev;
    lapic_mmio_write(ap, APIC_REG_SVR, 0x1ff, 4);
    io_write(vm, 0x10 + 2 * 1 + 1, 1u << 24);    /* pin 1 (keyboard) to CPU 1 */
    io_write(vm, 0x10 + 2 * 1, 0x41);
    io_write(vm, 0x10 + 2 * 19 + 1, 1u << 24);   /* GSI 19, level (a PCI INTx) to CPU 1 */
    io_write(vm, 0x10 + 2 * 19, RTE_LEVEL | 0x61);
    pc_soft_set_irq(ps, 1, 1);
    pc_soft_set_irq(ps, 1, 0);
    assert_int_equal(kicks[1], 1);
    assert_int_equal(lapic_get_interrupt(ap), 0x41);
    lapic_mmio_write(ap, APIC_REG_EOI, 0, 4);
    pc_soft_set_irq(ps, 19, 1);
    assert_int_equal(lapic_get_interrupt(ap), 0x61);
    lapic_mmio_write(ap, APIC_REG_EOI, 0, 4);    /* still asserted: comes back */
    assert_int_equal(lapic_get_interrupt(ap), 0x61);
    pc_soft_set_irq(ps, 19, 0);
    lapic_mmio_write(ap, APIC_REG_EOI, 0, 4);
    assert_int_equal(lapic_get_interrupt(ap), -1);
    /* ISA IRQ2 does not exist (cascade): pin 2 stays quiet. */
    io_write(vm, 0x10 + 2 * 2 + 1, 1u << 24);
    io_write(vm, 0x10 + 2 * 2, 0x32);
    pc_soft_set_irq(ps, 2, 1);
    assert_int_equal(lapic_get_interrupt(ap), -1);
}

static void test_smp_startup(void **state)
{
    struct vm *vm = *state;
    struct lapic *bsp = vm->vcpus[0].lapic.dev, *ap = vm->vcpus[1].lapic.dev;
    uint8_t vec;
    assert_true(lapic_waiting_for_sipi(ap));
    lapic_mmio_write(bsp, APIC_REG_ICR_HI, 1u << 24, 4);
    lapic_mmio_write(bsp, APIC_REG_ICR_LO, 0xc500, 4);
    lapic_mmio_write(bsp, APIC_REG_ICR_LO, 0x0699, 4);
    assert_int_equal(kicks[1], 2);
    assert_int_equal(lapic_take_events(ap, &vec), LAPIC_EVENT_INIT | LAPIC_EVENT_SIPI);
    assert_int_equal(vec, 0x99);
    assert_non_null(vm->vcpus[0].tsc);
    assert_ptr_equal(vm->vcpus[1].tsc, vm->vcpus[0].tsc);
}

/* MSIs (SDM 10.11): physical and logical destinations, NMI delivery, and addresses outside the
 * 0xfeexxxxx window dropped. */
static void test_msi(void **state)
{
    struct vm *vm = *state;
    struct lapic *bsp = vm->vcpus[0].lapic.dev, *ap = vm->vcpus[1].lapic.dev;
    lapic_mmio_write(ap, APIC_REG_SVR, 0x1ff, 4);
    pc_soft_msi(ps, 0xfee01000, 0x0051);             /* physical APIC id 1, fixed, vector 0x51 */
    assert_int_equal(kicks[1], 1);
    assert_int_equal(lapic_get_interrupt(ap), 0x51);
    assert_int_equal(lapic_get_interrupt(bsp), -1);
    lapic_mmio_write(ap, APIC_REG_EOI, 0, 4);
    lapic_mmio_write(bsp, APIC_REG_LDR, 1u << 24, 4); /* flat logical: BSP bit 0, AP bit 1 */
    lapic_mmio_write(ap, APIC_REG_LDR, 2u << 24, 4);
    pc_soft_msi(ps, 0xfee02004, 0x0052);             /* logical destination 0x02 */
    assert_int_equal(lapic_get_interrupt(ap), 0x52);
    assert_int_equal(lapic_get_interrupt(bsp), -1);
    lapic_mmio_write(ap, APIC_REG_EOI, 0, 4);
    pc_soft_msi(ps, 0xfee00000, 0x0400);             /* NMI to the BSP */
    uint8_t vec;
    assert_int_equal(lapic_take_events(bsp, &vec), LAPIC_EVENT_NMI);
    pc_soft_msi(ps, 0xfed01000, 0x0053);             /* not an interrupt address */
    pc_soft_msi(ps, 0xfee01000, 0x0553);             /* INIT by MSI: not delivered */
    assert_int_equal(lapic_get_interrupt(ap), -1);
    assert_int_equal(lapic_take_events(ap, &vec), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timer_through_pic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_through_ioapic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hpet_legacy_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isa_and_gsi_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smp_startup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msi, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
