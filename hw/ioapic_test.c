/* IOAPIC: routing through the redirection table to LAPICs (physical and logical destinations), edge
 * and level pins, remote IRR and EOI (from the LAPIC and from the EOI register), masking, ExtINT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/apic-int.h"
#include "util/fake-clock_test.h"
#include "hw/ioapic.h"

struct rig {
    struct fake_clock fc;
    struct tsc tsc;
    struct apic_bus bus;
    struct lapic *l[2];
    int kicks[2];
    struct ioapic io;
    struct bus mmio;
};

static void kick(void *opaque)
{
    (*(int *)opaque)++;
}

static void eoi(void *opaque, uint8_t vector)
{
    ioapic_eoi(opaque, vector);
}

static int setup(void **state)
{
    static struct rig r;
    memset(&r, 0, sizeof(r));
    fake_clock_init(&r.fc, 1000);
    tsc_init(&r.tsc, &r.fc.clock, 0);
    apic_bus_init(&r.bus, &r.fc.clock, &r.tsc);
    for (int i = 0; i < 2; i++) {
        r.l[i] = lapic_create(&r.bus, i, (uint8_t)i, kick, &r.kicks[i]);
        assert_non_null(r.l[i]);
        lapic_mmio_write(r.l[i], APIC_REG_SVR, 0x1ff, 4);
    }
    ioapic_init(&r.io, &r.bus, 2);
    r.bus.eoi = eoi;
    r.bus.eoi_opaque = &r.io;
    bus_init(&r.mmio, "mmio");
    assert_int_equal(ioapic_map(&r.io, &r.mmio, IOAPIC_DEFAULT_BASE), 0);
    *state = &r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    for (int i = 0; i < 2; i++)
        lapic_free(r->l[i]);
    ioapic_destroy(&r->io);
    return 0;
}

static uint32_t io_read(struct rig *r, uint32_t reg)
{
    uint64_t v;
    bus_write(&r->mmio, IOAPIC_DEFAULT_BASE, reg, 4);
    bus_read(&r->mmio, IOAPIC_DEFAULT_BASE + 0x10, 4, &v);
    return (uint32_t)v;
}

static void io_write(struct rig *r, uint32_t reg, uint32_t val)
{
    bus_write(&r->mmio, IOAPIC_DEFAULT_BASE, reg, 4);
    bus_write(&r->mmio, IOAPIC_DEFAULT_BASE + 0x10, val, 4);
}

static void route(struct rig *r, unsigned pin, uint64_t entry)
{
    io_write(r, 0x11 + 2 * pin, (uint32_t)(entry >> 32));
    io_write(r, 0x10 + 2 * pin, (uint32_t)entry);
}

static void test_registers(void **state)
{
    struct rig *r = *state;
    assert_int_equal(io_read(r, 0x00), 2u << 24);
    assert_int_equal(io_read(r, 0x01), 0x00170020);      /* 24 pins, version 0x20 */
    assert_int_equal(io_read(r, 0x10), 0x00010000);      /* masked after reset */
    route(r, 5, 0x0100000000000000ull | 0x1a000 | 0x35);
    assert_int_equal(io_read(r, 0x1a), 0x1a000 | 0x35);
    assert_int_equal(io_read(r, 0x1b), 0x01000000);
    /* Delivery status and remote IRR are read-only. */
    io_write(r, 0x1a, 0x5000 | 0x35);
    assert_int_equal(io_read(r, 0x1a), 0x35);
    /* Only the ID's four architectural bits (24-27) are writable; the arbitration id follows. */
    io_write(r, 0x00, 0xffffffff);
    assert_int_equal(io_read(r, 0x00), 0x0f000000);
    assert_int_equal(io_read(r, 0x02), 0x0f000000);
    io_write(r, 0x00, 0x35000000);
    assert_int_equal(io_read(r, 0x00), 0x05000000);
    /* Version is read-only. */
    io_write(r, 0x01, 0);
    assert_int_equal(io_read(r, 0x01), 0x00170020);
}

static void test_edge_routing(void **state)
{
    struct rig *r = *state;
    route(r, 2, (1ull << 56) | 0x30);                    /* PIT: edge, fixed, physical CPU 1 */
    ioapic_set_irq(&r->io, 2, 1);
    ioapic_set_irq(&r->io, 2, 0);
    assert_int_equal(r->kicks[1], 1);
    assert_int_equal(r->kicks[0], 0);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x30);
    lapic_mmio_write(r->l[1], APIC_REG_EOI, 0, 4);
    /* Held high: one edge, one message. */
    ioapic_set_irq(&r->io, 2, 1);
    ioapic_set_irq(&r->io, 2, 1);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x30);
    lapic_mmio_write(r->l[1], APIC_REG_EOI, 0, 4);
    assert_int_equal(lapic_get_interrupt(r->l[1]), -1);
    /* Masked edges wait for the unmask. */
    ioapic_set_irq(&r->io, 2, 0);
    route(r, 2, RTE_MASKED | (1ull << 56) | 0x30);
    ioapic_set_irq(&r->io, 2, 1);
    assert_int_equal(lapic_get_interrupt(r->l[1]), -1);
    route(r, 2, (1ull << 56) | 0x30);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x30);
    /* Logical flat destination: both CPUs. */
    lapic_mmio_write(r->l[0], APIC_REG_LDR, 0x01000000, 4);
    lapic_mmio_write(r->l[1], APIC_REG_LDR, 0x02000000, 4);
    route(r, 4, (3ull << 56) | RTE_LOGICAL | 0x34);
    ioapic_set_irq(&r->io, 4, 1);
    assert_int_equal(lapic_get_interrupt(r->l[0]), 0x34);
    lapic_mmio_write(r->l[1], APIC_REG_EOI, 0, 4);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x34);
}

static void test_level_remote_irr(void **state)
{
    struct rig *r = *state;
    route(r, 11, RTE_LEVEL | 0x41);                      /* level, to CPU 0 */
    ioapic_set_irq(&r->io, 11, 1);
    assert_true(io_read(r, 0x10 + 22) & RTE_REMOTE_IRR);
    assert_int_equal(lapic_get_interrupt(r->l[0]), 0x41);
    assert_int_equal(lapic_mmio_read(r->l[0], APIC_REG_TMR + 0x20, 4), 1u << 1);
    /* EOI with the line still asserted: remote IRR cleared and the request sent again. */
    lapic_mmio_write(r->l[0], APIC_REG_EOI, 0, 4);
    assert_true(io_read(r, 0x10 + 22) & RTE_REMOTE_IRR);
    assert_int_equal(lapic_get_interrupt(r->l[0]), 0x41);
    /* The device drops the line, then the EOI: nothing more. */
    ioapic_set_irq(&r->io, 11, 0);
    lapic_mmio_write(r->l[0], APIC_REG_EOI, 0, 4);
    assert_false(io_read(r, 0x10 + 22) & RTE_REMOTE_IRR);
    assert_int_equal(lapic_get_interrupt(r->l[0]), -1);
    /* The version 0x20 EOI register does the same as the LAPIC's broadcast. */
    ioapic_set_irq(&r->io, 11, 1);
    assert_int_equal(lapic_get_interrupt(r->l[0]), 0x41);
    ioapic_set_irq(&r->io, 11, 0);
    bus_write(&r->mmio, IOAPIC_DEFAULT_BASE + 0x40, 0x41, 4);
    assert_false(io_read(r, 0x10 + 22) & RTE_REMOTE_IRR);
    /* A masked level pin that is asserted requests once unmasked. */
    route(r, 9, RTE_MASKED | RTE_LEVEL | 0x51);
    ioapic_set_irq(&r->io, 9, 1);
    assert_false(io_read(r, 0x10 + 18) & RTE_REMOTE_IRR);
    route(r, 9, RTE_LEVEL | 0x51);
    assert_true(io_read(r, 0x10 + 18) & RTE_REMOTE_IRR);
}

static void test_nmi_extint(void **state)
{
    struct rig *r = *state;
    uint8_t vec;
    route(r, 7, (1ull << 56) | (APIC_DM_NMI << 8));
    ioapic_set_irq(&r->io, 7, 1);
    assert_int_equal(lapic_take_events(r->l[1], &vec), LAPIC_EVENT_NMI);
    route(r, 0, APIC_DM_EXTINT << 8);                    /* virtual wire through the IOAPIC */
    ioapic_set_irq(&r->io, 0, 1);
    assert_true(r->l[0]->extint);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_remote_irr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nmi_extint, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
