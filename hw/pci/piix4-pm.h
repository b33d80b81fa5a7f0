/* The PIIX4's power-management function (82371AB PIIX4 datasheet, 3.4 "Power Management
 * Registers", PCI function 3 at 00:01.3 on QEMU's i440FX machine): its PCI header, PMBA (0x40,
 * where the ACPI PM block decodes) and PMREGMISC (0x80, bit 0 enables that decoding). Firmware
 * finds the ACPI PM timer through it (OVMF reads PMBA back; SeaBIOS programs it), and a write
 * moves the ACPI PM block (hw/acpi-pm.c) on the I/O bus. DEVACTB says SMIs are already set up:
 * vmon has no SMM. */
#ifndef VMON_HW_PCI_PIIX4_PM_H
#define VMON_HW_PCI_PIIX4_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/acpi-pm.h"
#include "hw/pci/pci.h"

#define PIIX4_PMBA 0x40
#define PIIX4_PMREGMISC 0x80
#define PIIX4_PM_FN 3

struct piix4_pm {
    struct pci_dev dev;        /* first: config_written gets it */
    struct acpi_pm *pm;
    struct bus *pio;
};

/* Where firmware boots start the PM block: where Debian's SeaBIOS (1.16) programs PMBA, and the
 * --kernel FADT's base (OVMF finds decoding on and keeps it). */
#define PIIX4_PM_FIRMWARE_BASE ACPI_PM1A_EVT

/* base: start with PMBA there and decoding on, as firmware leaves it (the board's ACPI tables say
 * that base, whatever firmware runs); 0: as at reset, decoding off until firmware sets it (the
 * PM block is then unmapped). Call after acpi_pm_map. */
void piix4_pm_init(struct piix4_pm *p, struct acpi_pm *pm, struct bus *pio, uint16_t base);

#endif
