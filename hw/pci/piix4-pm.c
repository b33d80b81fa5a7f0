/* PIIX4 function 3 (hw/pci/piix4-pm.h): Intel 8086:7113 revision 3, class 0x068000 ("other
 * bridge"), PMBA with bits 15:6 writable and bit 0 (resource type: I/O) fixed at 1, PMREGMISC bit 0.
 * SCI is IRQ 9 (the interrupt line register says so; the board wires the line). */
#include "hw/pci/piix4-pm.h"

#include <string.h>

#define PIIX4_PM_DEVICE 0x7113
#define PMBA_RTE 0x01
#define PMIOSE 0x01
#define DEVACTB 0x58
#define DEVACTB_APMC_EN (1u << 25)   /* SMI on APM command writes: "SMM set up" to SeaBIOS */

static uint16_t pm_base(const struct pci_dev *d)
{
    uint16_t pmba = (uint16_t)(d->cfg[PIIX4_PMBA] | d->cfg[PIIX4_PMBA + 1] << 8);
    return (d->cfg[PIIX4_PMREGMISC] & PMIOSE) ? pmba & 0xffc0 : 0;
}

static void written(struct pci_dev *d, unsigned off, unsigned size)
{
    struct piix4_pm *p = (struct piix4_pm *)d;
    bool pmba = off < PIIX4_PMBA + 2 && off + size > PIIX4_PMBA;
    bool misc = off <= PIIX4_PMREGMISC && off + size > PIIX4_PMREGMISC;
    if (pmba || misc)
        acpi_pm_move(p->pm, p->pio, pm_base(d));   /* a clash with another window leaves it off */
}

void piix4_pm_init(struct piix4_pm *p, struct acpi_pm *pm, struct bus *pio, uint16_t base)
{
    memset(p, 0, sizeof(*p));
    p->pm = pm;
    p->pio = pio;
    pci_dev_init(&p->dev, "piix4-pm", 0x8086, PIIX4_PM_DEVICE, 0x068000, 3);
    p->dev.cfg[PCI_INTERRUPT_LINE] = ACPI_SCI_IRQ;
    p->dev.cfg[PCI_INTERRUPT_PIN] = 1;
    p->dev.cfg[PIIX4_PMBA] = PMBA_RTE;
    /* There is no SMM: DEVACTB reads as if firmware had already set SMIs up, so SeaBIOS does not
     * raise one through port 0xb2 and wait on 0xb3 for a handler that never runs. */
    p->dev.cfg[DEVACTB + 3] = DEVACTB_APMC_EN >> 24;
    p->dev.wmask[PIIX4_PMBA] = 0xc0;
    p->dev.wmask[PIIX4_PMBA + 1] = 0xff;
    p->dev.wmask[PIIX4_PMREGMISC] = PMIOSE;
    if (base) {
        p->dev.cfg[PIIX4_PMBA] |= base & 0xc0;
        p->dev.cfg[PIIX4_PMBA + 1] = (uint8_t)(base >> 8);
        p->dev.cfg[PIIX4_PMREGMISC] = PMIOSE;
    }
    p->dev.config_written = written;
    acpi_pm_move(pm, pio, pm_base(&p->dev));
}
