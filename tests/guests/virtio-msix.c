/* The test guests' MSI-X driver (PCI Local Bus 3.0, 6.8.2: Message Control's enable and function
 * mask, the table entries' address/data/vector control, the pending bit array; Intel SDM vol. 3,
 * 11.11: the message address 0xfee00000 | destination << 12 and data = vector, fixed, edge) for the
 * virtio driver in virtio.c (virtio 1.2, 4.1.5.3: msix_config and queue_msix_vector). */
#include "guest.h"
#include "virtio.h"

#define IOAPIC 0xfec00000ul
#define LAPIC  0xfee00000ul
#define WAIT_TSC 40000000000ull

static struct vdev *msi_dev;

static void vec_hook(unsigned vec)
{
    struct vdev *d = msi_dev;
    if (!d)
        return;
    if (vec == VDEV_MSI_VECTOR) {
        d->irqs++;
    } else if (vec == VDEV_INTX_VECTOR) {
        d->intx_irqs++;
        (void)*(volatile uint8_t *)d->isr;   /* lowers the line, so a wrong INTx does not storm */
    }
}

static uintptr_t entry_at(const struct vdev *d, unsigned entry)
{
    return d->msix_table + 16 * (uintptr_t)entry;
}

void vdev_msix_mask(struct vdev *d, unsigned entry, int masked)
{
    mmio_write32(entry_at(d, entry) + 12, masked ? 1 : 0);
}

static void control(struct vdev *d, uint32_t set, uint32_t clear)
{
    uint32_t w = pci_read32(d->slot, d->msix_cap);
    pci_write32(d->slot, d->msix_cap, (w | set) & ~clear);
}

void vdev_msix_mask_all(struct vdev *d, int masked)
{
    if (masked)
        control(d, 1u << 30, 0);
    else
        control(d, 0, 1u << 30);
}

int vdev_msix_pending(const struct vdev *d, unsigned entry)
{
    return (mmio_read32(d->msix_pba + 4 * (entry / 32)) >> (entry % 32)) & 1;
}

int vdev_msix_setup(struct vdev *d, unsigned entry, unsigned dest)
{
    if (!d->msix_cap || entry >= d->msix_n)
        return -1;
    outb(0x21, 0xff);                  /* both 8259s masked */
    outb(0xa1, 0xff);
    msi_dev = d;
    guest_vec_hook = vec_hook;
    mmio_write32(LAPIC + 0xf0, 0x1ff);
    mmio_write32(IOAPIC, 0x11 + 2 * d->gsi);
    mmio_write32(IOAPIC + 0x10, 0);
    mmio_write32(IOAPIC, 0x10 + 2 * d->gsi);
    mmio_write32(IOAPIC + 0x10, VDEV_INTX_VECTOR | 1u << 15);   /* level, unmasked: counted */
    for (unsigned e = 0; e < d->msix_n; e++)
        vdev_msix_mask(d, e, 1);
    uintptr_t a = entry_at(d, entry);
    mmio_write32(a, 0xfee00000u | (dest & 0xff) << 12);
    mmio_write32(a + 4, 0);
    mmio_write32(a + 8, VDEV_MSI_VECTOR);
    vdev_msix_mask(d, entry, 0);
    control(d, 1u << 31, 1u << 30);    /* enable, function unmasked */
    d->queue_vec = (uint16_t)entry;
    d->config_vec = 0;
    return 0;
}

int vdev_poll_used(struct vdev *d)
{
    uint64_t t0 = guest_rdtsc();
    for (;;) {
        __asm__ volatile("sti; pause; pause; cli" ::: "memory");
        uint16_t used = __atomic_load_n(&d->vr->used.idx, __ATOMIC_ACQUIRE);
        if (used == d->avail_idx) {
            d->used_seen = used;
            return 0;
        }
        if (guest_rdtsc() - t0 > WAIT_TSC)
            return -1;
    }
}
