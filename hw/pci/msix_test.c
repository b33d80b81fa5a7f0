/* MSI-X: the capability as a driver walks it, the table and PBA in their BAR through the memory
 * bus, masking (per vector and function-wide) with pending bits that fire on unmask, INTx held off
 * while MSI-X is enabled, and hostile table accesses (odd sizes, past the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "hw/pci/msix.h"
#include "hw/pci/msi-sink_test.h"

#define BAR_ADDR 0xc0001000u

struct rig {
    struct bus pio, mmio;
    struct pci_dev d;
    struct msix m;
    struct msi_sink s;
};

static void rig_init(struct rig *r, unsigned nvec)
{
    memset(r, 0, sizeof(*r));
    bus_init(&r->pio, "pio");
    bus_init(&r->mmio, "mmio");
    pci_dev_init(&r->d, "dev", 0x1af4, 0x1042, 0x010000, 1);
    r->d.pio = &r->pio;
    r->d.mmio = &r->mmio;
    msi_sink_attach(&r->s, &r->d);
    assert_int_equal(msix_init(&r->m, &r->d, nvec, 1), 0);
    pci_cfg_write(&r->d, PCI_BAR0 + 4, BAR_ADDR, 4);
    pci_cfg_write(&r->d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

static uint64_t rd(struct rig *r, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    assert_true(bus_read(&r->mmio, BAR_ADDR + off, size, &v));
    return v;
}

static void wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    assert_true(bus_write(&r->mmio, BAR_ADDR + off, val, size));
}

static void program(struct rig *r, unsigned v, uint64_t addr, uint32_t data, uint32_t ctrl)
{
    wr(r, v * 16, (uint32_t)addr, 4);
    wr(r, v * 16 + 4, addr >> 32, 4);
    wr(r, v * 16 + 8, data, 4);
    wr(r, v * 16 + 12, ctrl, 4);
}

static void set_control(struct rig *r, uint16_t bits)
{
    pci_cfg_write(&r->d, r->m.cap + 2, bits, 2);
}

static void test_capability(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 5);
    assert_true(pci_cfg_read(&r.d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    unsigned at = pci_cfg_read(&r.d, PCI_CAPABILITY_LIST, 1);
    assert_int_equal(pci_cfg_read(&r.d, at, 1), PCI_CAP_ID_MSIX);
    assert_int_equal(pci_cfg_read(&r.d, at + 2, 2), 4);          /* table size N-1, off, unmasked */
    assert_int_equal(pci_cfg_read(&r.d, at + 4, 4), 1);          /* table at 0 in BAR 1 */
    assert_int_equal(pci_cfg_read(&r.d, at + 8, 4), 0x801);      /* PBA at 0x800 in BAR 1 */
    /* Table size and offsets are read-only; only enable and mask-all change. */
    pci_cfg_write(&r.d, at + 2, 0xffff, 2);
    assert_int_equal(pci_cfg_read(&r.d, at + 2, 2), 0xc004);
    pci_cfg_write(&r.d, at + 4, 0xffffffff, 4);
    assert_int_equal(pci_cfg_read(&r.d, at + 4, 4), 1);
    /* BAR 1 sizes as 4 KiB of memory. */
    pci_cfg_write(&r.d, PCI_BAR0 + 4, 0xffffffff, 4);
    assert_int_equal(pci_cfg_read(&r.d, PCI_BAR0 + 4, 4), 0xfffff000);
    msix_destroy(&r.m);
}

static void test_table_and_delivery(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 3);
    assert_int_equal(rd(&r, 12, 4), MSIX_ENTRY_MASKED);   /* every vector starts masked */
    program(&r, 2, 0xfee01000, 0x4041, 0);
    assert_int_equal(rd(&r, 32, 8), 0xfee01000);
    assert_int_equal(rd(&r, 40, 4), 0x4041);
    msix_notify(&r.m, 2);
    assert_int_equal(r.s.sent, 0);                          /* MSI-X not enabled: dropped */
    set_control(&r, MSIX_CTRL_ENABLE);
    msix_notify(&r.m, 2);
    assert_int_equal(r.s.sent, 1);
    assert_int_equal(r.s.addr, 0xfee01000);
    assert_int_equal(r.s.data, 0x4041);
    msix_notify(&r.m, 3);                                 /* out of range */
    msix_notify(&r.m, 1000);
    assert_int_equal(r.s.sent, 1);
    msix_destroy(&r.m);
}

static void test_masking_and_pba(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 3);
    set_control(&r, MSIX_CTRL_ENABLE);
    program(&r, 0, 0xfee00000, 0x30, MSIX_ENTRY_MASKED);
    msix_notify(&r.m, 0);
    assert_int_equal(r.s.sent, 0);
    assert_int_equal(rd(&r, MSIX_PBA_OFFSET, 8), 1);     /* pending while masked */
    wr(&r, MSIX_PBA_OFFSET, 0, 8);                        /* the PBA is read-only */
    assert_int_equal(rd(&r, MSIX_PBA_OFFSET, 4), 1);
    wr(&r, 12, 0, 4);                                     /* unmask: fires, clears pending */
    assert_int_equal(r.s.sent, 1);
    assert_int_equal(r.s.data, 0x30);
    assert_int_equal(rd(&r, MSIX_PBA_OFFSET, 4), 0);
    /* Function mask: everything pends until it clears. */
    set_control(&r, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
    msix_notify(&r.m, 0);
    assert_int_equal(r.s.sent, 1);
    assert_int_equal(rd(&r, MSIX_PBA_OFFSET, 4), 1);
    set_control(&r, MSIX_CTRL_ENABLE);
    assert_int_equal(r.s.sent, 2);
    assert_int_equal(rd(&r, MSIX_PBA_OFFSET, 4), 0);
    msix_destroy(&r.m);
}

static void test_intx_off_while_enabled(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 2);
    pci_set_irq(&r.d, 1);
    assert_int_equal(r.s.level, 1);
    set_control(&r, MSIX_CTRL_ENABLE);                    /* the line drops with MSI-X on */
    assert_int_equal(r.s.level, 0);
    pci_set_irq(&r.d, 1);
    assert_int_equal(r.s.level, 0);
    set_control(&r, 0);                                   /* and comes back with it off */
    assert_int_equal(r.s.level, 1);
    msix_destroy(&r.m);
}

static void test_hostile_accesses(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 2);
    wr(&r, 0, 0x11223344, 2);                             /* word and byte writes: ignored */
    wr(&r, 1, 0x55, 1);
    wr(&r, 2, 0x11223344, 4);                             /* misaligned */
    assert_int_equal(rd(&r, 0, 4), 0);
    assert_int_equal(rd(&r, 0, 2), 0);
    wr(&r, 2 * 16, 0xdeadbeef, 4);                        /* past the table: nothing stored */
    wr(&r, 0xff8, 0xdeadbeef, 8);
    assert_int_equal(rd(&r, 2 * 16, 4), 0);
    assert_int_equal(rd(&r, 0xff8, 8), 0);
    assert_int_equal(rd(&r, MSIX_PBA_OFFSET + 8, 4), 0);
    assert_int_equal(msix_init(&(struct msix){ 0 }, &r.d, 0, 2), -EINVAL);
    assert_int_equal(msix_init(&(struct msix){ 0 }, &r.d, MSIX_MAX_VECTORS + 1, 2), -EINVAL);
    msix_destroy(&r.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capability), cmocka_unit_test(test_table_and_delivery),
        cmocka_unit_test(test_masking_and_pba), cmocka_unit_test(test_intx_off_while_enabled),
        cmocka_unit_test(test_hostile_accesses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
