/* The legacy virtio-pci interface of a transitional device (virtio 1.2, 4.1.4.8; virtio 0.9.5
 * appendix: the I/O BAR 0 layout), for a driver that ignores the capabilities (Linux with
 * virtio_pci.force_legacy=1): 32 feature bits, queues at a page frame with the legacy ring layout
 * (2.7.2 with 4096-byte alignment), status, ISR, the MSI-X vector pair while MSI-X is on, then the
 * device configuration. */
#include "hw/virtio/pci-int.h"

#include <string.h>

#define HOST_FEATURES   0x00
#define GUEST_FEATURES  0x04
#define QUEUE_PFN       0x08
#define QUEUE_NUM       0x0c
#define QUEUE_SEL       0x0e
#define QUEUE_NOTIFY    0x10
#define STATUS          0x12
#define ISR             0x13
#define CONFIG_VECTOR   0x14
#define QUEUE_VECTOR    0x16
#define LEGACY_ALIGN    4096
#define LEGACY_BAR_SIZE 0x100          /* the largest I/O BAR: registers + device config */

uint16_t virtio_pci_legacy_id(uint16_t type)
{
    switch (type) {
    case 1: return 0x1000;             /* network */
    case 2: return 0x1001;             /* block */
    case 3: return 0x1003;             /* console */
    case 4: return 0x1005;             /* entropy */
    case 5: return 0x1002;             /* balloon */
    case 8: return 0x1004;             /* SCSI */
    case 9: return 0x1009;             /* 9P */
    default: return 0;
    }
}

static struct virtq *selected(struct virtio_pci *vp)
{
    return vp->queue_select < vp->vdev->ops->num_queues ? &vp->vdev->queues[vp->queue_select]
                                                        : NULL;
}

/* Where the device configuration starts: after the vector pair while MSI-X is enabled. */
static unsigned config_off(struct virtio_pci *vp)
{
    return msix_enabled(&vp->msix) ? 0x18 : 0x14;
}

/* A page frame number: the legacy layout of a queue of q->size entries (2.7.2 legacy interface):
 * descriptors, then the available ring, then the used ring at the next 4096-byte boundary. 0
 * takes the queue back. */
static void set_pfn(struct virtio_pci *vp, struct virtq *q, uint32_t pfn)
{
    if (pfn == 0) {
        virtq_reset(q, q->mem);
        return;
    }
    if (q->ready)
        return;
    uint64_t base = (uint64_t)pfn * LEGACY_ALIGN;
    q->size = VIRTQ_MAX_SIZE;
    q->desc = base;
    q->avail = base + 16ull * q->size;
    q->used = (q->avail + 6 + 2ull * q->size + LEGACY_ALIGN - 1) & ~(uint64_t)(LEGACY_ALIGN - 1);
    virtio_pci_enable_queue(vp, q);
}

static uint32_t reg_read_locked(struct virtio_pci *vp, unsigned off)
{
    struct virtio_dev *v = vp->vdev;
    struct virtq *q = selected(vp);
    switch (off) {
    case HOST_FEATURES: return (uint32_t)virtio_dev_features(v);   /* VERSION_1 is bit 32 */
    case GUEST_FEATURES: return (uint32_t)v->driver_features;
    case QUEUE_PFN: return q && q->ready ? (uint32_t)(q->desc / LEGACY_ALIGN) : 0;
    case QUEUE_NUM: return q ? VIRTQ_MAX_SIZE : 0;
    case QUEUE_SEL: return vp->queue_select;
    case STATUS: return v->status;
    case ISR: return virtio_pci_read_isr_locked(vp);
    case CONFIG_VECTOR: return vp->config_vector;
    case QUEUE_VECTOR: return q ? vp->queue_vector[vp->queue_select] : VIRTIO_PCI_NO_VECTOR;
    default: return 0;
    }
}

static void reg_write_locked(struct virtio_pci *vp, unsigned off, uint32_t val)
{
    struct virtio_dev *v = vp->vdev;
    struct virtq *q = selected(vp);
    switch (off) {
    case GUEST_FEATURES:
        if (!(v->status & VIRTIO_STATUS_DRIVER_OK))
            v->driver_features = val & virtio_dev_features(v);
        break;
    case QUEUE_PFN: if (q) set_pfn(vp, q, val); break;
    case QUEUE_SEL: vp->queue_select = (uint16_t)val; break;
    case STATUS:
        if ((uint8_t)val == 0)
            virtio_pci_reset_vectors(vp);
        virtio_set_status_locked(v, (uint8_t)val);
        break;
    case CONFIG_VECTOR: vp->config_vector = virtio_pci_vector(vp, val); break;
    case QUEUE_VECTOR: if (q) vp->queue_vector[vp->queue_select] = virtio_pci_vector(vp, val); break;
    default: break;
    }
}

/* Registers are read and written whole at their own offset (the widths above); anything else
 * reads as zeroes and writes nothing. */
static bool reg_access(unsigned off, unsigned size, unsigned cfg)
{
    static const uint8_t width[0x18] = {
        [HOST_FEATURES] = 4, [GUEST_FEATURES] = 4, [QUEUE_PFN] = 4, [QUEUE_NUM] = 2,
        [QUEUE_SEL] = 2, [QUEUE_NOTIFY] = 2, [STATUS] = 1, [ISR] = 1, [CONFIG_VECTOR] = 2,
        [QUEUE_VECTOR] = 2,
    };
    return off < cfg && width[off] == size;
}

static uint64_t legacy_read(void *dev, uint64_t off, unsigned size)
{
    struct virtio_pci *vp = dev;
    struct virtio_dev *v = vp->vdev;
    uint64_t val = 0;
    pthread_mutex_lock(&v->lock);
    unsigned cfg = config_off(vp);
    if (reg_access((unsigned)off, size, cfg))
        val = reg_read_locked(vp, (unsigned)off);
    else if (off >= cfg && off - cfg + size <= v->config_len)
        memcpy(&val, v->config + (off - cfg), size);
    pthread_mutex_unlock(&v->lock);
    return val;
}

static void legacy_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_pci *vp = dev;
    struct virtio_dev *v = vp->vdev;
    if (off == QUEUE_NOTIFY && size == 2) {
        if (val < v->ops->num_queues)
            virtio_pci_notify(vp, (unsigned)val);
        return;
    }
    pthread_mutex_lock(&v->lock);
    if (reg_access((unsigned)off, size, config_off(vp)))
        reg_write_locked(vp, (unsigned)off, (uint32_t)val);
    pthread_mutex_unlock(&v->lock);   /* the device configuration is read-only (see pci.c) */
}

static const struct io_ops legacy_ops = { .read = legacy_read, .write = legacy_write };

void virtio_pci_legacy_init(struct virtio_pci *vp)
{
    pci_dev_set_bar(&vp->pci, VIRTIO_PCI_LEGACY_BAR, LEGACY_BAR_SIZE, true, &legacy_ops, vp);
}
