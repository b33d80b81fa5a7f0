/* PCI configuration space (PCI Local Bus 3.0, 6.1-6.2, 6.7): byte-wise masks decide what a guest
 * write changes, so BAR sizing (write all-ones, read back ~(size-1) | flags, 6.2.5.1) falls out of
 * the BAR's write mask, the expansion ROM's too (6.2.5.2). BARs are mapped on the buses only while
 * the command register enables their decoder (and the ROM's own enable bit, for the ROM). */
#include "hw/pci/pci.h"

#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "migration/vmstate.h"
#include "util/bytes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device,
                  uint32_t class_code, uint8_t revision)
{
    memset(d, 0, sizeof(*d));
    d->name = name;
    put_le16(d->cfg + PCI_VENDOR_ID, vendor);
    put_le16(d->cfg + PCI_DEVICE_ID, device);
    d->cfg[PCI_REVISION_ID] = revision;
    d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
    put_le16(d->cfg + PCI_CLASS_PROG + 1, (uint16_t)(class_code >> 8));
    /* Command: I/O, memory, bus master, interrupt disable; status: master/target abort and
     * parity bits are write-1-to-clear (6.2.3). */
    put_le16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                         PCI_COMMAND_INTX_DISABLE);
    put_le16(d->w1cmask + PCI_STATUS, 0xf900);
    d->cfg[0x0c] = 0;                  /* cache line size: writable, kept */
    d->wmask[0x0c] = 0xff;
    d->wmask[0x0d] = 0xff;             /* latency timer */
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    d->next_cap = 0x40;
}

void pci_dev_set_bar(struct pci_dev *d, int i, uint32_t size, bool io, const struct io_ops *ops,
                     void *dev)
{
    struct pci_bar *b = &d->bars[i];
    *b = (struct pci_bar){ .size = size, .io = io, .ops = ops, .dev = dev, .name = d->name };
    put_le32(d->cfg + PCI_BAR0 + 4 * i, io ? PCI_BAR_IO : 0);   /* memory: 32-bit, not prefetchable */
    put_le32(d->wmask + PCI_BAR0 + 4 * i, ~(size - 1) & (io ? 0xfffffffcu : 0xfffffff0u));
}

static uint64_t rom_read(void *dev, uint64_t off, unsigned size)
{
    const struct pci_dev *d = dev;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; i++)
        v |= (uint64_t)(off + i < d->bars[PCI_ROM_SLOT].size ? d->rom[off + i] : 0xff) << (8 * i);
    return v;
}

static void rom_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)dev, (void)off, (void)val, (void)size;     /* a ROM: writes are dropped */
}

static const struct io_ops rom_ops = { rom_read, rom_write };

void pci_dev_set_rom(struct pci_dev *d, const uint8_t *image, uint32_t size)
{
    d->rom = image;
    d->bars[PCI_ROM_SLOT] = (struct pci_bar){ .size = size, .ops = &rom_ops, .dev = d, .name = d->name };
    put_le32(d->cfg + PCI_ROM_ADDRESS, 0);
    put_le32(d->wmask + PCI_ROM_ADDRESS, (~(size - 1) & 0xfffff800u) | PCI_ROM_ENABLE);
}

void pci_dev_set_intx(struct pci_dev *d, struct irq_line line, uint8_t irq)
{
    d->intx = line;
    d->cfg[PCI_INTERRUPT_PIN] = 1;     /* INTA# */
    d->cfg[PCI_INTERRUPT_LINE] = irq;
}

void pci_dev_set_msi(struct pci_dev *d, struct msi_link link)
{
    d->msi = link;
}

uint8_t pci_add_cap(struct pci_dev *d, uint8_t id, uint8_t len)
{
    unsigned off = d->next_cap;
    if (len < 2 || off + len > PCI_CFG_SIZE)
        return 0;
    d->cfg[off] = id;
    d->cfg[off + 1] = d->cfg[PCI_CAPABILITY_LIST];   /* pushed at the head of the list */
    d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
    d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    d->next_cap = (uint8_t)((off + len + 3) & ~3u);
    if (off + len + 3 >= PCI_CFG_SIZE)
        d->next_cap = 0xff;            /* full: the next call fails its bounds check */
    return (uint8_t)off;
}

uint32_t pci_cfg_read(struct pci_dev *d, unsigned off, unsigned size)
{
    uint32_t v = 0;
    if (d->config_reading)
        d->config_reading(d, off, size);
    for (unsigned i = 0; i < size && i < 4; i++) {
        uint8_t b = off + i < PCI_CFG_SIZE ? d->cfg[off + i] : 0xff;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static uint16_t command(const struct pci_dev *d)
{
    return (uint16_t)(d->cfg[PCI_COMMAND] | d->cfg[PCI_COMMAND + 1] << 8);
}

/* Where BAR i should decode now, or 0 when it should not: its decoder off, the address all
 * zeroes, or the window running past the end of its space (as while the guest sizes it). */
static uint32_t bar_target(const struct pci_dev *d, int i)
{
    const struct pci_bar *b = &d->bars[i];
    uint32_t reg = get_le32(d->cfg + (i == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * (unsigned)i));
    uint32_t addr = reg & ~(b->size - 1) & (b->io ? ~0x3u : i == PCI_ROM_SLOT ? ~0x7ffu : ~0xfu);
    if (!(command(d) & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) || addr == 0)
        return 0;
    if (i == PCI_ROM_SLOT && !(reg & PCI_ROM_ENABLE))
        return 0;
    uint64_t end = (uint64_t)addr + b->size;
    if (b->io ? end > 0x10000 : end > 0xfec00000u)   /* below the IOAPIC, HPET and LAPIC */
        return 0;
    return addr;
}

/* MSI-X or MSI on: INTx is off (6.8.1.3, 6.8.2). */
static bool msix_on(const struct pci_dev *d)
{
    return (d->msix && msix_enabled(d->msix)) || (d->msi_cap && msi_cap_enabled(d->msi_cap));
}

/* INTx may be asserted: not disabled by the command register, and MSI-X and MSI off. */
static bool intx_allowed(uint16_t cmd, bool msix)
{
    return !(cmd & PCI_COMMAND_INTX_DISABLE) && !msix;
}

void pci_update_bars(struct pci_dev *d)
{
    for (int i = 0; i <= PCI_ROM_SLOT; i++) {
        struct pci_bar *b = &d->bars[i];
        struct bus *bus = b->io ? d->pio : d->mmio;
        if (!b->size || !bus)
            continue;
        uint32_t want = bar_target(d, i);
        if (b->mapped && b->addr == want)
            continue;
        if (b->mapped)
            bus_unmap(bus, b->addr);
        b->mapped = false;
        if (!want)
            continue;
        /* A guest that overlaps two windows gets neither at the overlap: the later one stays
         * unmapped until it moves (QEMU gives priority instead; no guest relies on it). */
        if (bus_map(bus, want, b->size, b->ops, b->dev, b->name) == 0) {
            b->mapped = true;
            b->addr = want;
        }
    }
}

void pci_cfg_write(struct pci_dev *d, unsigned off, uint32_t val, unsigned size)
{
    bool bars_touched = false;
    uint16_t old_cmd = command(d);
    bool old_msix = msix_on(d);
    for (unsigned i = 0; i < size && i < 4 && off + i < PCI_CFG_SIZE; i++) {
        unsigned o = off + i;
        uint8_t v = (uint8_t)(val >> (8 * i));
        if (!d->wmask[o] && !d->w1cmask[o])
            continue;          /* read-only: no store that could undo pci_set_irq's status bit */
        uint8_t nv = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (v & d->wmask[o]));
        /* One store: device threads read capability bytes (MSI-X control) without the lock. */
        __atomic_store_n(&d->cfg[o], (uint8_t)(nv & ~(v & d->w1cmask[o])), __ATOMIC_RELEASE);
        if ((o >= PCI_BAR0 && o < PCI_BAR0 + 4 * PCI_BARS) || (o >= PCI_ROM_ADDRESS && o < PCI_ROM_ADDRESS + 4))
            bars_touched = true;
    }
    uint16_t cmd = command(d);
    bool intx_was = intx_allowed(old_cmd, old_msix), intx_now = intx_allowed(cmd, msix_on(d));
    if (intx_was != intx_now)
        irq_line_set(&d->intx, intx_now && (d->cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT));
    if (bars_touched || ((cmd ^ old_cmd) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
        pci_update_bars(d);
    if (d->msix)
        msix_config_written(d->msix);
    if (d->msi_cap)
        msi_cap_config_written(d->msi_cap);
    if (d->config_written)
        d->config_written(d, off, size);
}

void pci_set_irq(struct pci_dev *d, int level)
{
    /* Atomic: the config-space lock is not held here (the low status byte is read-only to the
     * guest, so config writes never store to it). */
    if (level)
        __atomic_fetch_or(&d->cfg[PCI_STATUS], PCI_STATUS_INTERRUPT, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&d->cfg[PCI_STATUS], (uint8_t)~PCI_STATUS_INTERRUPT, __ATOMIC_SEQ_CST);
    irq_line_set(&d->intx, level && intx_allowed(command(d), msix_on(d)));
}

/* ---- snapshots: the configuration space (PCI Local Bus 3.0, 6.1); the BARs decode again where it
 * says, and the capabilities' owners hear of it as after a guest write ---- */

void pci_save(struct pci_dev *d, struct vms_writer *w)
{
    vms_put_bytes(w, d->cfg, PCI_CFG_SIZE);
}

int pci_load(struct pci_dev *d, struct vms_reader *r)
{
    uint8_t cfg[PCI_CFG_SIZE];
    vms_get_bytes(r, cfg, sizeof(cfg));
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    for (unsigned i = 0; i < PCI_CFG_SIZE; i++)     /* what a guest could have written, no more */
        d->cfg[i] = (uint8_t)((d->cfg[i] & ~(d->wmask[i] | d->w1cmask[i])) |
                              (cfg[i] & (d->wmask[i] | d->w1cmask[i])));
    pci_update_bars(d);
    if (d->msix)
        msix_config_written(d->msix);
    if (d->msi_cap)
        msi_cap_config_written(d->msi_cap);
    if (d->config_written)
        d->config_written(d, 0, PCI_CFG_SIZE);
    return 0;
}
