/*
 * The PCI configuration access capability of the modern virtio-pci transport (virtio 1.2, 4.1.4.9,
 * VIRTIO_PCI_CAP_PCI_CFG): a window in configuration space onto the function's BARs, for drivers
 * that cannot map them. Every modern function must offer it, and iPXE's virtio-net driver (the boot
 * ROM firmware boots run) does not bind without it. The driver writes cap.bar, cap.offset and
 * cap.length (1, 2 or 4), then reads or writes pci_cfg_data: the access goes to that BAR's own
 * handlers, as a memory or I/O access of that length at that offset would. An access the window
 * cannot make (no such BAR, another length, past the BAR's end, unaligned) does nothing and reads
 * as zero.
 */
#include "hw/virtio/pci.h"
#include "util/bytes.h"

#include <string.h>

enum { CAP_PCI_CFG = 5, CAP_LEN = 20, F_BAR = 4, F_OFFSET = 8, F_LENGTH = 12, F_DATA = 16 };

/* The BAR access the window's fields select, or NULL when there is none to make. */
static const struct pci_bar *window(const struct pci_dev *d, uint8_t at, uint32_t *off, uint32_t *len)
{
    uint8_t bar = d->cfg[at + F_BAR];
    *off = get_le32(d->cfg + at + F_OFFSET);
    *len = get_le32(d->cfg + at + F_LENGTH);
    if (bar >= PCI_BARS || !d->bars[bar].size || !d->bars[bar].ops)
        return NULL;
    if ((*len != 1 && *len != 2 && *len != 4) || *off % *len || *off >= d->bars[bar].size ||
        *len > d->bars[bar].size - *off)
        return NULL;
    return &d->bars[bar];
}

static bool touches_data(uint8_t at, unsigned off, unsigned size)
{
    unsigned data = (unsigned)at + F_DATA;
    return off < data + 4 && off + size > data;
}

/* A config access at off/size that touches pci_cfg_data (*hit), and the BAR access the window then
 * makes (NULL: none). */
static const struct pci_bar *data_access(struct pci_dev *d, unsigned off, unsigned size, bool *hit,
                                         uint32_t *boff, uint32_t *len)
{
    uint8_t at = ((struct virtio_pci *)d)->cfgcap;
    *hit = at && touches_data(at, off, size);
    return *hit ? window(d, at, boff, len) : NULL;
}

static void cfgcap_reading(struct pci_dev *d, unsigned off, unsigned size)
{
    bool hit;
    uint32_t boff, len;
    const struct pci_bar *b = data_access(d, off, size, &hit, &boff, &len);
    if (!hit)
        return;
    uint64_t v = b ? b->ops->read(b->dev, boff, len) : 0;
    uint8_t *data = d->cfg + ((struct virtio_pci *)d)->cfgcap + F_DATA;
    for (unsigned i = 0; i < 4; i++)
        data[i] = b && i < len ? (uint8_t)(v >> (8 * i)) : 0;
}

static void cfgcap_written(struct pci_dev *d, unsigned off, unsigned size)
{
    bool hit;
    uint32_t boff, len;
    const struct pci_bar *b = data_access(d, off, size, &hit, &boff, &len);
    if (b) {
        uint32_t v = get_le32(d->cfg + ((struct virtio_pci *)d)->cfgcap + F_DATA);
        b->ops->write(b->dev, boff, len == 4 ? v : v & ((1u << (8 * len)) - 1), len);
    }
}

void virtio_pci_cfgcap_init(struct virtio_pci *vp)
{
    struct pci_dev *d = &vp->pci;
    uint8_t at = pci_add_cap(d, 0x09, CAP_LEN);      /* vendor-specific */
    if (!at)
        return;
    d->cfg[at + 2] = CAP_LEN;
    d->cfg[at + 3] = CAP_PCI_CFG;
    d->wmask[at + F_BAR] = 0xff;
    memset(d->wmask + at + F_OFFSET, 0xff, 12);       /* offset, length, data */
    vp->cfgcap = at;
    d->config_reading = cfgcap_reading;
    d->config_written = cfgcap_written;
}
