/* The i440FX host bridge and PIIX3 ISA bridge (Intel 82441FX/82371SB, as QEMU's pc machine and
 * SeaBIOS know them): PCI bus 0, reached through configuration mechanism #1 (PCI Local Bus 3.0,
 * 3.2.2.3.2: the address register at 0xcf8, the data window at 0xcfc-0xcff), and through an ECAM
 * window as a q35 machine has (PCIe 4.0, 7.2.2), which the ACPI MCFG table describes. */
#ifndef VMON_HW_PCI_HOST_H
#define VMON_HW_PCI_HOST_H

#include <pthread.h>
#include <stdint.h>

#include "hw/pci/pci.h"
#include "mm/bus.h"

#define PCI_CONFIG_ADDRESS  0xcf8
#define PCI_CONFIG_DATA     0xcfc
#define PCI_SLOTS           32
#define PCI_SLOT_I440FX     0
#define PCI_SLOT_PIIX3      1
#define PCI_PAM_REGS        7    /* PAM0-PAM6 */

/* The i440FX's PAM registers (0x59-0x5f) as the board should apply them: called after a guest
 * write that touches them, a snapshot load and pci_host_reset_pam, with the host's lock held (the
 * board must not make config accesses from it). regs points at the 7 registers. */
struct pam_link {
    void (*changed)(void *opaque, const uint8_t *regs);
    void *opaque;
};

/* Lock order: host->lock, then the bus table locks (BAR moves map and unmap windows). */
struct pci_host {
    pthread_mutex_t lock;              /* the address latch and every config access */
    uint32_t address;                  /* 0xcf8: enable bit 31, bus 23:16, dev 15:11, fn 10:8 */
    struct bus *pio, *mmio;
    struct pci_dev *slots[PCI_SLOTS][8];   /* bus 0: [slot][function] */
    struct pci_dev i440fx, piix3;
    struct pam_link pam;               /* set by the board (no callback: PAM is only storage) */
};

/* Snapshots: the CONFIG_ADDRESS latch (the functions' config spaces are pci_save's, one section each).
 * pci_host_load reads to the reader's end: -EINVAL when it does not. */
struct vms_writer;
struct vms_reader;
void pci_host_save(struct pci_host *h, struct vms_writer *w);
int pci_host_load(struct pci_host *h, struct vms_reader *r);

/* The bridges sit in slots 0 and 1; BARs of plugged devices decode on pio and mmio. */
struct pci_host *pci_host_new(struct bus *pio, struct bus *mmio);
void pci_host_free(struct pci_host *h);
/* Registers 0xcf8 (dword accesses only: 0xcf9 stays the reset control), 0xcfa-0xcfb (ignored)
 * and 0xcfc-0xcff. */
int pci_host_map(struct pci_host *h);
/* Maps the ECAM window (1 MiB per bus from bus 0) at base on the memory bus. */
int pci_host_map_ecam(struct pci_host *h, uint64_t base, uint64_t size);
/* Puts d in slot (function 0); -EBUSY when taken, -EINVAL out of range. */
int pci_host_plug(struct pci_host *h, unsigned slot, struct pci_dev *d);
/* The same for function fn (0-7) of a multi-function slot (the PIIX3's IDE at 1.1). */
int pci_host_plug_fn(struct pci_host *h, unsigned slot, unsigned fn, struct pci_dev *d);

/* A machine reset: PAM registers back to 0 (82441FX 3.2.18: all segments to the PCI side), told
 * to the pam link. */
void pci_host_reset_pam(struct pci_host *h);

/* The config address for bus 0, slot, function 0, register off (mechanism #1's layout). */
static inline uint32_t pci_config_address(unsigned slot, unsigned off)
{
    return 0x80000000u | (uint32_t)slot << 11 | (off & 0xfc);
}

#endif
