/* The few AML constructs vmon's DSDT needs (ACPI 6.x, chapter 20), hand-encoded. */
#ifndef VMON_BOOT_AML_H
#define VMON_BOOT_AML_H

#include <stddef.h>
#include <stdint.h>

/* Scope(\_SB) { Device(PCI0) { _HID PNP0A03, _UID 0, _CRS, _PRT } }: the i440FX root bus with every
 * slot's INTA-D routed to GSIs as pci_intx_gsi says (6.2.13: source 0, so Linux takes the GSI
 * as level-triggered, active-low). Returns the bytes written, 0 when cap is too small. */
size_t aml_pci0(uint8_t *out, size_t cap);

/* Scope(\_SB) { Device(VRnn) { _HID "LNRO0005", _UID n, _CRS { Memory32Fixed window,
 * Interrupt(Level, ActiveHigh) GSI } } } for n virtio-mmio devices at their boot/loader.h places,
 * as QEMU's microvm machine describes them. Returns the bytes written, 0 when cap is too small. */
size_t aml_virtio_mmio(uint8_t *out, size_t cap, int n);

#endif
