/* PIIX4 function 3: the header firmware identifies, PMBA/PMREGMISC moving the ACPI PM block on the
 * I/O bus (the timer where PMBA + 8 says, nothing where decoding is off), the fixed resource-type
 * bit, and a base that clashes with another window leaving the block off instead of failing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/pci/piix4-pm.h"
#include "migration/vmstate.h"

static void no_irq(void *opaque, int level)
{
    (void)opaque, (void)level;
}

static bool timer_at(struct bus *pio, uint16_t port)
{
    uint64_t v;
    return bus_read(pio, port, 4, &v);
}

static uint64_t nothing_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev, (void)off, (void)size;
    return 0;
}

static const struct io_ops nothing_ops = { .read = nothing_read };

static void test_moves(void **state)
{
    (void)state;
    struct irq_line sci = { no_irq, NULL };
    struct stop_link stop = { NULL, NULL };
    struct acpi_pm *pm = acpi_pm_new(&sci, &stop);
    struct bus pio;
    bus_init(&pio, "pio");
    assert_int_equal(acpi_pm_map(pm, &pio), 0);
    struct piix4_pm p;
    piix4_pm_init(&p, pm, &pio, ACPI_PM1A_EVT);
    assert_int_equal(pci_cfg_read(&p.dev, PCI_VENDOR_ID, 4), 0x71138086);
    assert_int_equal(pci_cfg_read(&p.dev, PIIX4_PMBA, 4), ACPI_PM1A_EVT | 1);
    assert_int_equal(pci_cfg_read(&p.dev, 0x58, 4), 1u << 25);   /* no SMM to set up */
    assert_true(timer_at(&pio, ACPI_PM_TMR));
    pci_cfg_write(&p.dev, PIIX4_PMBA, 0xb000, 4);   /* as SeaBIOS programs it; bit 0 stays */
    assert_int_equal(pci_cfg_read(&p.dev, PIIX4_PMBA, 4), 0xb001);
    assert_true(timer_at(&pio, 0xb008));
    assert_false(timer_at(&pio, ACPI_PM_TMR));
    pci_cfg_write(&p.dev, PIIX4_PMREGMISC, 0, 1);   /* decoding off */
    assert_false(timer_at(&pio, 0xb008));
    assert_int_equal(bus_map(&pio, 0xc000, 4, &nothing_ops, NULL, "other"), 0);
    pci_cfg_write(&p.dev, PIIX4_PMBA, 0xc000, 4);
    pci_cfg_write(&p.dev, PIIX4_PMREGMISC, 1, 1);   /* clashes: the block stays off */
    assert_false(timer_at(&pio, 0xc008));
    pci_cfg_write(&p.dev, PIIX4_PMBA, 0xb000, 2);
    assert_true(timer_at(&pio, 0xb008));
    piix4_pm_init(&p, pm, &pio, 0);             /* as at reset: nothing decoded */
    assert_false(timer_at(&pio, 0xb008));
    assert_false(timer_at(&pio, ACPI_PM_TMR));
    assert_int_equal(pci_cfg_read(&p.dev, PIIX4_PMBA, 4), 1);
    acpi_pm_free(pm);
}

/* Its snapshot is its config space (pci_save / pci_load): loaded into a function at the firmware
 * base, the ACPI PM block moves to where the saved PMBA put it; a short section is refused. */
static void test_state(void **state)
{
    (void)state;
    struct irq_line sci = { no_irq, NULL };
    struct stop_link stop = { NULL, NULL };
    struct acpi_pm *pm = acpi_pm_new(&sci, &stop), *pm2 = acpi_pm_new(&sci, &stop);
    struct bus pio, pio2;
    bus_init(&pio, "pio");
    bus_init(&pio2, "pio");
    assert_int_equal(acpi_pm_map(pm, &pio), 0);
    assert_int_equal(acpi_pm_map(pm2, &pio2), 0);
    struct piix4_pm p, p2;
    piix4_pm_init(&p, pm, &pio, ACPI_PM1A_EVT);
    piix4_pm_init(&p2, pm2, &pio2, ACPI_PM1A_EVT);
    pci_cfg_write(&p.dev, PIIX4_PMBA, 0xb000, 4);
    struct vms_writer w;
    vms_writer_init(&w);
    pci_save(&p.dev, &w);
    struct vms_section sec = { .tag = 1, .data = w.buf, .len = (uint32_t)w.len - 1 };
    struct vms_reader r;
    vms_reader_init(&r, &sec);
    assert_int_equal(pci_load(&p2.dev, &r), -EINVAL);
    assert_true(timer_at(&pio2, ACPI_PM_TMR));     /* refused: still at the firmware base */
    sec.len++;
    vms_reader_init(&r, &sec);
    assert_int_equal(pci_load(&p2.dev, &r), 0);
    assert_true(timer_at(&pio2, 0xb008));
    assert_false(timer_at(&pio2, ACPI_PM_TMR));
    assert_int_equal(pci_cfg_read(&p2.dev, PIIX4_PMBA, 4), 0xb001);
    vms_writer_free(&w);
    acpi_pm_free(pm);
    acpi_pm_free(pm2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
