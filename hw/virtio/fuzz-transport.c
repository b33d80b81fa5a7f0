/* libFuzzer target over the transports' guest-facing decoding: PCI config space through ECAM and
 * 0xcf8/0xcfc (BARs, command, MSI-X control), the virtio-pci BARs (modern registers, legacy I/O
 * registers, MSI-X table and PBA) and the virtio-mmio window, on fake guest memory the input also
 * writes, behind a fake device whose notify walks the queue (virtq_pop) and returns every chain.
 * The input is a list of 8-byte operations: kind, size, 16-bit offset, 32-bit value.
 * make fuzz-virtio-transport [FUZZ_TIME=600] */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/pci/host.h"
#include "hw/virtio/mmio.h"
#include "hw/virtio/pci.h"

#define RAM     (64u << 10)
#define ECAM    0xe0000000u

static void fake_notify(struct virtio_dev *v, unsigned q)
{
    struct virtq_chain c;
    const char *why = "";
    for (int i = 0; i < 8; i++) {
        int r = virtq_pop(&v->queues[q], &c, &why);
        if (r < 0) {
            virtio_needs_reset_locked(v, why);
            return;
        }
        if (r == 0)
            return;
        virtq_push(&v->queues[q], c.head, (uint32_t)(c.writable > 16 ? 16 : c.writable));
        virtio_notify_used_locked(v, q);
    }
}

/* Type 4 (entropy) has a legacy id: a transitional device with every interface. */
static const struct virtio_dev_ops fake_ops = {
    .name = "fuzz", .device_id = 4, .num_queues = 2, .queue_notify = fake_notify,
};

static void no_irq(void *opaque, int level)
{
    (void)opaque;
    (void)level;
}

static void no_msi(void *opaque, uint64_t addr, uint32_t data)
{
    (void)opaque;
    (void)addr;
    (void)data;
}

static void bar_access(struct pci_dev *d, int bar, uint16_t off, uint32_t val, unsigned size,
                       bool write)
{
    struct pci_bar *b = &d->bars[bar];
    if (!b->size)
        return;
    uint64_t o = off % b->size;
    if (write)
        b->ops->write(b->dev, o, val, size);
    else
        (void)b->ops->read(b->dev, o, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    static const int bars[4] = { VIRTIO_PCI_LEGACY_BAR, VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MODERN_BAR,
                                 VIRTIO_PCI_MODERN_BAR };
    struct guest_mem mem;
    if (guest_mem_init(&mem, RAM) < 0)
        return 0;
    struct bus pio, mmio;
    bus_init(&pio, "pio");
    bus_init(&mmio, "mmio");
    struct pci_host *h = pci_host_new(&pio, &mmio);
    uint8_t cfg_a[8] = { 0 }, cfg_b[8] = { 0 };
    struct virtio_dev va, vb;
    virtio_dev_init(&va, &fake_ops, NULL, &mem, cfg_a, sizeof(cfg_a));
    virtio_dev_init(&vb, &fake_ops, NULL, &mem, cfg_b, sizeof(cfg_b));
    struct virtio_pci *vp = virtio_pci_new(&va, NULL);
    struct virtio_mmio *vm = virtio_mmio_new(&vb, (struct irq_line){ no_irq, NULL }, NULL);
    if (!h || !vp || !vm || pci_host_map(h) < 0 || pci_host_map_ecam(h, ECAM, 1u << 20) < 0)
        goto out;
    pci_dev_set_intx(&vp->pci, (struct irq_line){ no_irq, NULL }, 11);
    pci_dev_set_msi(&vp->pci, (struct msi_link){ no_msi, NULL });
    pci_host_plug(h, 2, &vp->pci);
    for (size_t i = 0; i + 8 <= len; i += 8) {
        const uint8_t *op = data + i;
        unsigned size = sizes[op[1] & 3];
        uint16_t off = (uint16_t)(op[2] | op[3] << 8);
        uint32_t val;
        memcpy(&val, op + 4, 4);
        uint64_t ignored;
        switch (op[0] % 8) {
        case 0: bus_write(&mmio, ECAM + (2u << 15) + (off & 0x7fff), val, size); break;
        case 1: bus_read(&mmio, ECAM + (off & 0xfffff), size, &ignored); break;
        case 2:
            bus_write(&pio, PCI_CONFIG_ADDRESS, pci_config_address(op[1] >> 3 & 3, off), 4);
            bus_write(&pio, PCI_CONFIG_DATA + (off & 3), val, size > 4 ? 4 : size);
            break;
        case 3: bar_access(&vp->pci, bars[op[1] >> 2 & 3], off, val, size, true); break;
        case 4: bar_access(&vp->pci, bars[op[1] >> 2 & 3], off, val, size, false); break;
        case 5: virtio_mmio_ops.write(vm, off % VIRTIO_MMIO_SIZE, val, size); break;
        case 6: (void)virtio_mmio_ops.read(vm, off % VIRTIO_MMIO_SIZE, size); break;
        case 7: guest_mem_write(&mem, off & (RAM - 4), &val, 4); break;
        }
    }
out:
    virtio_mmio_free(vm);
    virtio_pci_free(vp);
    pci_host_free(h);
    guest_mem_destroy(&mem);
    return 0;
}
