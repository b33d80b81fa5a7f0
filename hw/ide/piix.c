/* The PIIX3 IDE function (82371SB datasheet, 2.4 "PCI configuration registers, function 1"): PCI
 * 00:01.1, 8086:7010, class 0x0101 with programming interface 0x80 (bus master, both channels in
 * legacy mode, so the command and control blocks sit at the ISA addresses, not in BARs 0-3); BAR4
 * the bus-master registers (16 bytes of I/O). IDETIM (0x40-0x43, writable) starts with both
 * channels' decode enabled (bit 15), as firmware leaves it: a directly booted kernel's ata_piix
 * checks those bits. */
#include "hw/ide/ide.h"
#include "hw/ide/piix.h"

void ide_piix_init(struct ide_ctrl *c)
{
    struct pci_dev *d = &c->pci;
    pci_dev_init(d, "piix3-ide", 0x8086, 0x7010, 0x010180, 0x00);
    pci_dev_set_bar(d, 4, 16, true, &ide_bm_ops, c);
    for (unsigned i = 0x40; i < 0x48; i++)
        d->wmask[i] = 0xff;            /* IDETIM, SIDETIM: timings, kept */
    d->cfg[0x41] = 0x80;
    d->cfg[0x43] = 0x80;
}
