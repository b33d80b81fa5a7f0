/* A PCI function's configuration space (PCI Local Bus 3.0, chapter 6): the type 0 header, BARs
 * (6.2.5.1), the command register's decode bits (6.2.2), INTx (6.2.4, 2.2.6) and the capability
 * list (6.7). Devices embed a struct pci_dev; the host bridge (hw/pci/host.c) reaches it. */
#ifndef VMON_HW_PCI_PCI_H
#define VMON_HW_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/link.h"
#include "mm/bus.h"

#define PCI_CFG_SIZE        256
#define PCI_BARS            6
#define PCI_ROM_SLOT        PCI_BARS    /* bars[PCI_ROM_SLOT]: the expansion ROM (6.2.5.2) */

#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_REVISION_ID     0x08
#define PCI_CLASS_PROG      0x09
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID    0x2e
#define PCI_ROM_ADDRESS     0x30
#define PCI_ROM_ENABLE      0x1
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d

#define PCI_COMMAND_IO      0x0001
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_COMMAND_MASTER  0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_BAR_IO          0x1         /* bit 0 of an I/O BAR */

struct pci_bar {
    uint32_t size;                      /* bytes, a power of two (I/O >= 4, memory >= 16); 0: none */
    bool io;
    const struct io_ops *ops;
    void *dev;
    const char *name;
    bool mapped;
    uint32_t addr;                      /* where it is decoded now, when mapped */
};

/* Threads: config accesses come from a vCPU thread, serialised by the host bridge's lock.
 * pci_set_irq may come from any thread (a device's I/O thread). */
struct msix;
struct msi_cap;

struct pci_dev {
    uint8_t cfg[PCI_CFG_SIZE];
    uint8_t wmask[PCI_CFG_SIZE];        /* bits a guest write may change */
    uint8_t w1cmask[PCI_CFG_SIZE];      /* bits a guest write of 1 clears (status) */
    struct pci_bar bars[PCI_BARS + 1];  /* the six BARs, then the expansion ROM */
    const uint8_t *rom;                 /* the ROM's image (bars[PCI_ROM_SLOT].size bytes), or NULL */
    struct bus *pio, *mmio;             /* where the BARs decode; set when plugged */
    struct irq_line intx;               /* INTA#, routed by the board */
    struct msi_link msi;                /* where MSI/MSI-X messages go; set by the board */
    struct msix *msix;                  /* the MSI-X capability, when the device has one */
    struct msi_cap *msi_cap;            /* the MSI capability, when the device has one */
    uint8_t next_cap;                   /* where pci_add_cap puts the next capability */
    const char *name;
    /* Optional: after a guest config write (a device's capability registers). */
    void (*config_written)(struct pci_dev *d, unsigned off, unsigned size);
    /* Optional: before a guest config read, to fill bytes whose value comes from an access
     * (virtio's PCI configuration access capability). */
    void (*config_reading)(struct pci_dev *d, unsigned off, unsigned size);
};

/* A type 0 header: ids, class (base << 16 | sub << 8 | prog-if), revision; everything else 0. */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
                  uint32_t class_code, uint8_t revision);
/* A 32-bit BAR of size bytes (a power of two) whose accesses go to ops/dev. */
void pci_dev_set_bar(struct pci_dev *d, int i, uint32_t size, bool io, const struct io_ops *ops,
                     void *dev);
/* An expansion ROM (6.2.5.2, 6.3): image, size bytes (a power of two, at least 2 KiB, the caller
 * keeps it), read-only on the memory bus where the guest puts it while both its enable bit and the
 * command register's memory decoder are on. Firmware finds option ROMs there (a boot ROM). */
void pci_dev_set_rom(struct pci_dev *d, const uint8_t *image, uint32_t size);
/* INTA#, and the line number the firmware would have written to Interrupt Line. */
void pci_dev_set_intx(struct pci_dev *d, struct irq_line line, uint8_t irq);
/* Where the function's message-signalled interrupts go. */
void pci_dev_set_msi(struct pci_dev *d, struct msi_link link);
/* A capability of len bytes with its id; returns its offset in config space, 0 when full. The
 * bytes after the id/next pair are read-only unless the caller sets wmask. */
uint8_t pci_add_cap(struct pci_dev *d, uint8_t id, uint8_t len);

/* Config accesses of 1, 2 or 4 bytes at any offset; bytes beyond 255 read as all-ones. */
uint32_t pci_cfg_read(struct pci_dev *d, unsigned off, unsigned size);
void pci_cfg_write(struct pci_dev *d, unsigned off, uint32_t val, unsigned size);

/* Drive INTA#: the status bit follows the level; the line is held low while the guest sets
 * Interrupt Disable (6.2.2) or enables MSI-X (6.8.2). */
void pci_set_irq(struct pci_dev *d, int level);

/* Map every BAR the command register enables at its programmed address, unmap the others. */
void pci_update_bars(struct pci_dev *d);

/* Snapshots: the configuration space. pci_load takes only the bits a guest may write, maps the BARs
 * where they point and tells the capabilities; 0 or -EINVAL (a short or long section). */
struct vms_writer;
struct vms_reader;
void pci_save(struct pci_dev *d, struct vms_writer *w);
int pci_load(struct pci_dev *d, struct vms_reader *r);

#endif
