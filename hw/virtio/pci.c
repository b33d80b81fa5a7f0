/* virtio over PCI, modern interface only (virtio 1.2, 4.1.4): capabilities (4.1.4.1), common
 * configuration (4.1.4.3), notifications (4.1.4.4), ISR with INTx (4.1.4.5, 4.1.5.3), device
 * configuration (4.1.4.6) in BAR 4; MSI-X vectors for the queues and configuration changes (4.1.4.3's
 * msix_config and queue_msix_vector, 4.1.5.3), INTx with the ISR when the driver leaves MSI-X off. Where the board offers a doorbell (KVM's
 * ioeventfd), notify writes of a running device signal notify_fd directly; the event loop then looks
 * at every queue. */
#include "hw/virtio/pci.h"

#include "hw/virtio/pci-int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

#define COMMON_LEN 64
#define NO_VECTOR  VIRTIO_PCI_NO_VECTOR

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static struct virtq *selected(struct virtio_pci *vp)
{
    return vp->queue_select < vp->vdev->ops->num_queues ? &vp->vdev->queues[vp->queue_select]
                                                        : NULL;
}

/* The common configuration as the driver would read it now (4.1.4.3's layout). */
static void common_image(struct virtio_pci *vp, uint8_t *c)
{
    struct virtio_dev *v = vp->vdev;
    struct virtq *q = selected(vp);
    uint64_t f = virtio_dev_features(v);
    memset(c, 0, COMMON_LEN);
    put_le(c + 0, vp->dfselect, 4);
    put_le(c + 4, vp->dfselect < 2 ? f >> (32 * vp->dfselect) : 0, 4);
    put_le(c + 8, vp->gfselect, 4);
    put_le(c + 12, vp->gfselect < 2 ? v->driver_features >> (32 * vp->gfselect) : 0, 4);
    put_le(c + 16, vp->config_vector, 2);
    put_le(c + 18, v->ops->num_queues, 2);
    c[20] = v->status;
    c[21] = v->config_generation;
    put_le(c + 22, vp->queue_select, 2);
    put_le(c + 26, NO_VECTOR, 2);
    if (q) {
        put_le(c + 26, vp->queue_vector[vp->queue_select], 2);
        put_le(c + 24, q->size, 2);
        put_le(c + 28, q->ready, 2);
        put_le(c + 30, vp->queue_select, 2);   /* queue_notify_off */
        put_le(c + 32, q->desc, 8);
        put_le(c + 40, q->avail, 8);
        put_le(c + 48, q->used, 8);
    }
}

/* Sets the 32-bit half at off (0 or 4) of a 64-bit address field. */
static void set_half(uint64_t *field, unsigned half, uint32_t val)
{
    *field = half ? (*field & 0xffffffffu) | (uint64_t)val << 32
                  : (*field & ~0xffffffffull) | val;
}

void virtio_pci_enable_queue(struct virtio_pci *vp, struct virtq *q)
{
    if (virtq_enable(q) < 0)
        virtio_needs_reset_locked(vp->vdev, "queue rings outside guest RAM or misaligned");
}

static void queue_write(struct virtio_pci *vp, unsigned off, uint32_t val)
{
    struct virtq *q = selected(vp);
    if (!q || q->ready)                /* 4.1.4.3.2: no changes once enabled */
        return;
    switch (off) {
    case 24: q->size = (uint16_t)val; break;
    case 28: if (val == 1) virtio_pci_enable_queue(vp, q); break;
    case 32: case 36: set_half(&q->desc, off - 32, val); break;
    case 40: case 44: set_half(&q->avail, off - 40, val); break;
    case 48: case 52: set_half(&q->used, off - 48, val); break;
    default: break;
    }
}

/* Watch (on) or stop watching the notify address of every queue at base; all or none. */
static int doorbell_set(struct virtio_pci *vp, uint64_t base, bool on)
{
    const struct doorbell_link *l = &vp->doorbell;
    for (unsigned q = 0; q < vp->vdev->ops->num_queues; q++) {
        int r = l->watch(l->opaque, base + q * VIRTIO_PCI_NOTIFY_MULT, 2, vp->notify_fd, on);
        if (r < 0 && on) {
            while (q--)
                l->watch(l->opaque, base + q * VIRTIO_PCI_NOTIFY_MULT, 2, vp->notify_fd, false);
            return r;
        }
    }
    return 0;
}

/* The doorbell follows DRIVER_OK and the modern BAR's address (a moved BAR is seen at its first
 * notify, which then comes through the bus). A doorbell that cannot be set is dropped. A legacy
 * driver notifies through the I/O BAR (pci-legacy.c), which has no doorbell. v->lock held. */
void virtio_pci_doorbell_update(struct virtio_pci *vp)
{
    const struct pci_bar *b = &vp->pci.bars[VIRTIO_PCI_MODERN_BAR];
    if (!atomic_load(&vp->doorbell_offered))
        return;
    uint64_t at = (vp->vdev->status & VIRTIO_STATUS_DRIVER_OK) && b->mapped
                  ? (uint64_t)b->addr + VIRTIO_PCI_NOTIFY : 0;
    if (at == vp->doorbell_at)
        return;
    if (vp->doorbell_at)
        doorbell_set(vp, vp->doorbell_at, false);
    vp->doorbell_at = 0;
    if (at && doorbell_set(vp, at, true) < 0)
        atomic_store(&vp->doorbell_offered, false);
    else
        vp->doorbell_at = at;
    atomic_store(&vp->doorbell_on, vp->doorbell_at != 0);
}

void virtio_pci_set_doorbell(struct virtio_pci *vp, struct doorbell_link link)
{
    if (vp->loop && link.watch) {
        vp->doorbell = link;
        atomic_store(&vp->doorbell_offered, true);
    }
}

/* A vector the device has, or NO_VECTOR: what the driver reads back tells it (4.1.5.1.2). */
uint16_t virtio_pci_vector(struct virtio_pci *vp, uint32_t val)
{
    return val < vp->msix.nvec ? (uint16_t)val : NO_VECTOR;
}

void virtio_pci_reset_vectors(struct virtio_pci *vp)
{
    vp->config_vector = NO_VECTOR;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        vp->queue_vector[i] = NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, unsigned off, uint32_t val)
{
    struct virtio_dev *v = vp->vdev;
    switch (off) {
    case 16: vp->config_vector = virtio_pci_vector(vp, val); break;
    case 26:
        if (selected(vp))
            vp->queue_vector[vp->queue_select] = virtio_pci_vector(vp, val);
        break;
    case 0: vp->dfselect = val; break;
    case 8: vp->gfselect = val; break;
    case 12:
        if (vp->gfselect < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK))
            set_half(&v->driver_features, vp->gfselect * 4, val);
        break;
    case 20:
        if ((uint8_t)val == 0)
            virtio_pci_reset_vectors(vp);
        virtio_set_status_locked(v, (uint8_t)val);
        virtio_pci_doorbell_update(vp);
        break;
    case 22: vp->queue_select = (uint16_t)val; break;
    default: queue_write(vp, off, val); break;
    }
}

static uint64_t bar_read(void *dev, uint64_t off, unsigned size)
{
    struct virtio_pci *vp = dev;
    struct virtio_dev *v = vp->vdev;
    uint8_t buf[COMMON_LEN];
    uint64_t val = 0;
    pthread_mutex_lock(&v->lock);
    if (off < VIRTIO_PCI_COMMON + COMMON_LEN && off + size <= COMMON_LEN) {
        common_image(vp, buf);
        memcpy(&val, buf + off, size);
    } else if (off == VIRTIO_PCI_ISR) {
        val = virtio_pci_read_isr_locked(vp);
    } else if (off >= VIRTIO_PCI_DEVICE && off - VIRTIO_PCI_DEVICE + size <= v->config_len) {
        memcpy(&val, v->config + (off - VIRTIO_PCI_DEVICE), size);
    }
    pthread_mutex_unlock(&v->lock);
    return val;
}

uint8_t virtio_pci_read_isr_locked(struct virtio_pci *vp)
{
    struct virtio_dev *v = vp->vdev;
    uint8_t val = v->isr;              /* reading clears it and lowers the line */
    v->isr = 0;
    v->interrupt(v);
    return val;
}

/* Every queue notified since the last look, for a device that is running. */
static void run_pending(struct virtio_pci *vp)
{
    struct virtio_dev *v = vp->vdev;
    pthread_mutex_lock(&v->lock);
    uint32_t p = atomic_exchange(&vp->pending, 0);
    for (unsigned i = 0; i < v->ops->num_queues; i++)
        if ((p & 1u << i) && virtio_running_locked(v))
            v->ops->queue_notify(v, i);
    pthread_mutex_unlock(&v->lock);
}

void virtio_pci_notify(struct virtio_pci *vp, unsigned q)
{
    atomic_fetch_or(&vp->pending, 1u << q);
    uint64_t one = 1;
    if (vp->notify_fd >= 0 && write(vp->notify_fd, &one, sizeof(one)) == sizeof(one))
        return;
    run_pending(vp);          /* no event loop: process here, on the writer's thread */
}

static void bar_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_pci *vp = dev;
    struct virtio_dev *v = vp->vdev;
    if (off >= VIRTIO_PCI_NOTIFY) {
        unsigned q = (unsigned)(off - VIRTIO_PCI_NOTIFY) / VIRTIO_PCI_NOTIFY_MULT;
        if (q < v->ops->num_queues)
            virtio_pci_notify(vp, q);
        if (atomic_load(&vp->doorbell_offered)) {   /* through the bus: is the doorbell at the modern BAR? */
            pthread_mutex_lock(&v->lock);
            virtio_pci_doorbell_update(vp);
            pthread_mutex_unlock(&v->lock);
        }
        return;
    }
    pthread_mutex_lock(&v->lock);
    if (off + size <= COMMON_LEN && size <= 4)
        common_write(vp, (unsigned)off, (uint32_t)val);
    /* The device config of the types vmon has is read-only (virtio-blk's writeback toggle is
     * not offered). */
    pthread_mutex_unlock(&v->lock);
}

static const struct io_ops bar_ops = { .read = bar_read, .write = bar_write };

/* The event-loop side of a notification: every queue notified since the last wake-up. */
static void notified(void *opaque)
{
    struct virtio_pci *vp = opaque;
    uint64_t n;
    if (read(vp->notify_fd, &n, sizeof(n)) < 0)
        return;
    if (atomic_load(&vp->doorbell_on)) /* the doorbell does not say which queue: look at all */
        atomic_fetch_or(&vp->pending, (1u << vp->vdev->ops->num_queues) - 1);
    run_pending(vp);
}

/* INTx follows the ISR: high while any bit is set (4.1.5.3). Called with v->lock held. */
static void interrupt(struct virtio_dev *v)
{
    struct virtio_pci *vp = v->transport;
    pci_set_irq(&vp->pci, v->isr != 0);
}

/* With MSI-X on, each source has its vector (or none: nothing is sent); otherwise INTx. */
static bool interrupt_vector(struct virtio_dev *v, unsigned src)
{
    struct virtio_pci *vp = v->transport;
    if (!msix_enabled(&vp->msix))
        return false;
    uint16_t vec = src == VIRTIO_IRQ_CONFIG ? vp->config_vector
                   : src < VIRTIO_MAX_QUEUES ? vp->queue_vector[src] : NO_VECTOR;
    if (vec != NO_VECTOR)
        msix_notify(&vp->msix, vec);
    return true;
}

static void add_cap(struct pci_dev *d, uint8_t type, uint32_t offset, uint32_t len)
{
    uint8_t cap_len = type == CAP_NOTIFY ? 20 : 16;
    uint8_t at = pci_add_cap(d, 0x09, cap_len);   /* vendor-specific */
    d->cfg[at + 2] = cap_len;
    d->cfg[at + 3] = type;
    d->cfg[at + 4] = VIRTIO_PCI_MODERN_BAR;
    put_le(d->cfg + at + 8, offset, 4);
    put_le(d->cfg + at + 12, len, 4);
    if (type == CAP_NOTIFY)
        put_le(d->cfg + at + 16, VIRTIO_PCI_NOTIFY_MULT, 4);
}

struct virtio_pci *virtio_pci_new(struct virtio_dev *vdev, struct evloop *loop)
{
    struct virtio_pci *vp = calloc(1, sizeof(*vp));
    if (!vp)
        return NULL;
    vp->vdev = vdev;
    vp->notify_fd = -1;
    vdev->transport = vp;
    vdev->interrupt = interrupt;
    vdev->interrupt_vector = interrupt_vector;
    virtio_pci_reset_vectors(vp);
    const struct virtio_dev_ops *ops = vdev->ops;
    uint32_t class_code = ops->device_id == 2 ? 0x010000 : ops->device_id == 1 ? 0x020000 : 0xff0000;
    uint16_t legacy = virtio_pci_legacy_id(ops->device_id);
    vp->transitional = legacy != 0;
    if (vp->transitional)
        pci_dev_init(&vp->pci, ops->name, 0x1af4, legacy, class_code, 0);
    else
        pci_dev_init(&vp->pci, ops->name, 0x1af4, (uint16_t)(0x1040 + ops->device_id), class_code, 1);
    put_le(vp->pci.cfg + PCI_SUBSYSTEM_VENDOR_ID, 0x1af4, 2);
    put_le(vp->pci.cfg + PCI_SUBSYSTEM_ID, ops->device_id, 2);
    pci_dev_set_bar(&vp->pci, VIRTIO_PCI_MODERN_BAR, VIRTIO_PCI_BAR_SIZE, false, &bar_ops, vp);
    if (vp->transitional)
        virtio_pci_legacy_init(vp);
    if (msix_init(&vp->msix, &vp->pci, ops->num_queues + 1u, VIRTIO_PCI_MSIX_BAR) < 0) {
        free(vp);
        return NULL;
    }
    add_cap(&vp->pci, CAP_COMMON, VIRTIO_PCI_COMMON, COMMON_LEN);
    add_cap(&vp->pci, CAP_ISR, VIRTIO_PCI_ISR, 4);
    add_cap(&vp->pci, CAP_DEVICE, VIRTIO_PCI_DEVICE, vdev->config_len);
    add_cap(&vp->pci, CAP_NOTIFY, VIRTIO_PCI_NOTIFY, VIRTIO_PCI_NOTIFY_MULT * ops->num_queues);
    virtio_pci_cfgcap_init(vp);
    if (loop) {
        vp->loop = loop;
        vp->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vp->notify_fd < 0 || evloop_add_fd(loop, vp->notify_fd, notified, vp) < 0) {
            vp->loop = NULL;
            virtio_pci_free(vp);
            return NULL;
        }
    }
    return vp;
}

void virtio_pci_free(struct virtio_pci *vp)
{
    if (!vp)
        return;
    if (vp->doorbell_at)
        doorbell_set(vp, vp->doorbell_at, false);
    if (vp->loop)
        evloop_remove_fd(vp->loop, vp->notify_fd);
    if (vp->notify_fd >= 0)
        close(vp->notify_fd);
    msix_destroy(&vp->msix);
    free(vp);
}
