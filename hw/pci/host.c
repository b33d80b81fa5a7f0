/* i440FX/PIIX3 (82441FX PMC, 82371SB PIIX3 function 0) on configuration mechanism #1 (PCI Local
 * Bus 3.0, 3.2.2.3.2). Only bus 0 exists, with function 0 of each slot and the functions plugged
 * with pci_host_plug_fn: every other address reads all-ones, which is how a guest learns that
 * nothing is there. The PIIX3's PIRQ route registers (0x60-0x63) are
 * plain storage: INTx routing is fixed by the board and told to the guest in the ACPI _PRT. The
 * i440FX's PAM registers (0x59-0x5f, 82441FX datasheet 3.2.18: read/write enables of the BIOS and
 * option-ROM segments 0xc0000-0xfffff) go to the board through struct pam_link after each write
 * that touches them (mm/pam.h decodes them; the board remaps the segments). */
#include "hw/pci/host.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vmstate.h"

#define I440FX_PAM0 0x59

static struct pci_dev *target_locked(struct pci_host *h, unsigned *reg)
{
    uint32_t a = h->address;
    if (!(a & 0x80000000u) || ((a >> 16) & 0xff) != 0)
        return NULL;
    *reg = a & 0xfc;
    return h->slots[(a >> 11) & 0x1f][(a >> 8) & 7];
}

/* 0xcf8 is a dword register: byte and word accesses there belong to other ports (0xcf9). */
static uint64_t addr_read(void *dev, uint64_t off, unsigned size)
{
    struct pci_host *h = dev;
    (void)off;
    if (size != 4)
        return 0xff;
    pthread_mutex_lock(&h->lock);
    uint32_t v = h->address;
    pthread_mutex_unlock(&h->lock);
    return v;
}

static void addr_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pci_host *h = dev;
    (void)off;
    if (size != 4)
        return;
    pthread_mutex_lock(&h->lock);
    h->address = (uint32_t)val & 0x80fffffcu;   /* bits 30:24 reserved, 1:0 read as 0 */
    pthread_mutex_unlock(&h->lock);
}

static uint64_t data_read(void *dev, uint64_t off, unsigned size)
{
    struct pci_host *h = dev;
    unsigned reg;
    uint64_t v = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    pthread_mutex_lock(&h->lock);
    struct pci_dev *d = target_locked(h, &reg);
    if (d && size <= 4 && off + size <= 4)
        v = pci_cfg_read(d, reg + (unsigned)off, size);
    pthread_mutex_unlock(&h->lock);
    return v;
}

static void data_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pci_host *h = dev;
    unsigned reg;
    pthread_mutex_lock(&h->lock);
    struct pci_dev *d = target_locked(h, &reg);
    if (d && size <= 4 && off + size <= 4)
        pci_cfg_write(d, reg + (unsigned)off, (uint32_t)val, size);
    pthread_mutex_unlock(&h->lock);
}

/* ECAM: the same functions as mechanism #1, with the address in the access's offset; registers
 * 256-4095 (PCIe extended space, which conventional functions lack) read as all-ones. */
static uint64_t ecam_read(void *dev, uint64_t off, unsigned size)
{
    struct pci_host *h = dev;
    uint64_t v = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    unsigned reg = (unsigned)(off & 0xfff);
    if (size > 4 || (off >> 20) != 0 || reg + size > PCI_CFG_SIZE)
        return v;                      /* only bus 0, the first 256 bytes */
    pthread_mutex_lock(&h->lock);
    struct pci_dev *d = h->slots[(off >> 15) & 0x1f][(off >> 12) & 7];
    if (d)
        v = pci_cfg_read(d, reg, size);
    pthread_mutex_unlock(&h->lock);
    return v;
}

static void ecam_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pci_host *h = dev;
    unsigned reg = (unsigned)(off & 0xfff);
    if (size > 4 || (off >> 20) != 0 || reg + size > PCI_CFG_SIZE)
        return;
    pthread_mutex_lock(&h->lock);
    struct pci_dev *d = h->slots[(off >> 15) & 0x1f][(off >> 12) & 7];
    if (d)
        pci_cfg_write(d, reg, (uint32_t)val, size);
    pthread_mutex_unlock(&h->lock);
}

/* The i440FX's config_written: a write that touched PAM0-PAM6 (or a snapshot's whole space). */
static void i440fx_written(struct pci_dev *d, unsigned off, unsigned size)
{
    struct pci_host *h = (struct pci_host *)((char *)d - offsetof(struct pci_host, i440fx));
    if (off < I440FX_PAM0 + PCI_PAM_REGS && off + size > I440FX_PAM0 && h->pam.changed)
        h->pam.changed(h->pam.opaque, &d->cfg[I440FX_PAM0]);
}

void pci_host_reset_pam(struct pci_host *h)
{
    pthread_mutex_lock(&h->lock);
    memset(&h->i440fx.cfg[I440FX_PAM0], 0, PCI_PAM_REGS);
    i440fx_written(&h->i440fx, I440FX_PAM0, PCI_PAM_REGS);
    pthread_mutex_unlock(&h->lock);
}

static const struct io_ops ecam_ops = { .read = ecam_read, .write = ecam_write };
static const struct io_ops addr_ops = { .read = addr_read, .write = addr_write };
static const struct io_ops data_ops = { .read = data_read, .write = data_write };

struct pci_host *pci_host_new(struct bus *pio, struct bus *mmio)
{
    struct pci_host *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->pio = pio;
    h->mmio = mmio;
    pci_dev_init(&h->i440fx, "i440fx", 0x8086, 0x1237, 0x060000, 0x02);   /* host bridge */
    pci_dev_init(&h->piix3, "piix3", 0x8086, 0x7000, 0x060100, 0x00);     /* ISA bridge */
    h->piix3.cfg[PCI_HEADER_TYPE] = 0x80;   /* multi-function on real parts: IDE, USB, PM */
    for (unsigned i = 0x60; i < 0x64; i++) {
        h->piix3.cfg[i] = 0x80;            /* PIRQ routing disabled at reset */
        h->piix3.wmask[i] = 0x8f;
    }
    h->i440fx.wmask[I440FX_PAM0] = 0x30;   /* PAM0: 0xf0000-0xfffff in bits 5:4 only */
    for (unsigned i = I440FX_PAM0 + 1; i < I440FX_PAM0 + PCI_PAM_REGS; i++)
        h->i440fx.wmask[i] = 0x33;         /* two 16 KiB segments each */
    h->i440fx.config_written = i440fx_written;
    pci_host_plug(h, PCI_SLOT_I440FX, &h->i440fx);
    pci_host_plug(h, PCI_SLOT_PIIX3, &h->piix3);
    return h;
}

void pci_host_free(struct pci_host *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h);
}

int pci_host_map(struct pci_host *h)
{
    int r = bus_map(h->pio, PCI_CONFIG_ADDRESS, 1, &addr_ops, h, "pci-config-address");
    /* Linux's type 1 probe writes a byte to 0xcfb (the PCI 2.0 mechanism select): taken and
     * ignored, as are word and byte accesses to 0xcf8 itself. */
    if (r == 0)
        r = bus_map(h->pio, PCI_CONFIG_ADDRESS + 2, 2, &addr_ops, h, "pci-config-address");
    if (r == 0)
        r = bus_map(h->pio, PCI_CONFIG_DATA, 4, &data_ops, h, "pci-config-data");
    return r;
}

int pci_host_map_ecam(struct pci_host *h, uint64_t base, uint64_t size)
{
    return bus_map(h->mmio, base, size, &ecam_ops, h, "pci-ecam");
}

int pci_host_plug(struct pci_host *h, unsigned slot, struct pci_dev *d)
{
    return pci_host_plug_fn(h, slot, 0, d);
}

int pci_host_plug_fn(struct pci_host *h, unsigned slot, unsigned fn, struct pci_dev *d)
{
    if (slot >= PCI_SLOTS || fn > 7)
        return -EINVAL;
    pthread_mutex_lock(&h->lock);
    int r = h->slots[slot][fn] ? -EBUSY : 0;
    if (!r) {
        d->pio = h->pio;
        d->mmio = h->mmio;
        h->slots[slot][fn] = d;
    }
    pthread_mutex_unlock(&h->lock);
    return r;
}

void pci_host_save(struct pci_host *h, struct vms_writer *w)
{
    pthread_mutex_lock(&h->lock);
    vms_put_u32(w, h->address);
    pthread_mutex_unlock(&h->lock);
}

int pci_host_load(struct pci_host *h, struct vms_reader *r)
{
    uint32_t a = vms_get_u32(r);
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&h->lock);
    h->address = a;
    pthread_mutex_unlock(&h->lock);
    return 0;
}
