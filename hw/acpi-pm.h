/* ACPI fixed-hardware power management registers (PM1a event/control, PM timer) and the PC's
 * reset-control port 0xcf9. The FADT written by boot/ points at these addresses. */
#ifndef VMON_HW_ACPI_PM_H
#define VMON_HW_ACPI_PM_H

#include <stdint.h>

#include "hw/link.h"
#include "mm/bus.h"

#define ACPI_PM1A_EVT 0x600    /* 4 bytes: PM1_STS (2), PM1_EN (2) */
#define ACPI_PM1A_CNT 0x604    /* 2 bytes */
#define ACPI_PM_TMR 0x608      /* 4 bytes, 3.579545 MHz, 32-bit */
#define ACPI_SCI_IRQ 9
#define ACPI_S5_SLP_TYP 5      /* the DSDT's _S5 package is {5, 5, 0, 0} */
#define PM_TIMER_HZ 3579545ull
#define RESET_CONTROL_PORT 0xcf9

struct acpi_pm;

/* sci: the SCI line (IRQ 9); stop: where S5 and the reset-control port go. */
struct acpi_pm *acpi_pm_new(const struct irq_line *sci, const struct stop_link *stop);
void acpi_pm_free(struct acpi_pm *p);
/* Press the fixed-feature power button (ACPI 6.4, 4.8.3.1.1: PWRBTN_STS, an SCI when PWRBTN_EN). */
void acpi_pm_power_button(struct acpi_pm *p);
/* A machine reset: status and enable bits clear, SCI low (the PM timer runs on). */
void acpi_pm_reset(struct acpi_pm *p);
/* The reset-control port and the PM block at its default base, ACPI_PM1A_EVT. */
int acpi_pm_map(struct acpi_pm *p, struct bus *pio);
/* The PM block (PM1a_EVT, PM1a_CNT at +4, the timer at +8) decoded at base instead, or nowhere
 * for 0: the PIIX4's PMBA and its I/O enable (hw/pci/piix4-pm.c). 0 or -errno. Not thread-safe
 * against itself: its caller's configuration writes are serialised by the PCI host. */
int acpi_pm_move(struct acpi_pm *p, struct bus *pio, uint16_t base);

/* Snapshots: save into the open section; load: 0, or -EINVAL for a bad section. */
struct vms_writer;
struct vms_reader;
void acpi_pm_save(struct acpi_pm *d, struct vms_writer *w);
int acpi_pm_load(struct acpi_pm *d, struct vms_reader *r);

#endif
