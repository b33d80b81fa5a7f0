/* virtio-mmio version 2 registers (virtio 1.2, 4.2.2) and device operation (4.2.3): 32-bit
 * register accesses only (4.2.2.2; others read as zeroes and write nothing), the device
 * configuration from 0x100 in any width, the interrupt line high while InterruptStatus is not 0. */
#include "hw/virtio/mmio.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
    DEV_FEATURES = 0x010, DEV_FEATURES_SEL = 0x014, DRV_FEATURES = 0x020, DRV_FEATURES_SEL = 0x024,
    QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_READY = 0x044,
    QUEUE_NOTIFY = 0x050, INT_STATUS = 0x060, INT_ACK = 0x064, STATUS = 0x070,
    QUEUE_DESC_LO = 0x080, QUEUE_DESC_HI = 0x084, QUEUE_DRIVER_LO = 0x090,
    QUEUE_DRIVER_HI = 0x094, QUEUE_DEVICE_LO = 0x0a0, QUEUE_DEVICE_HI = 0x0a4,
    SHM_LEN_LO = 0x0b0, SHM_LEN_HI = 0x0b4, CONFIG_GEN = 0x0fc, CONFIG = 0x100,
};

static struct virtq *selected(struct virtio_mmio *m)
{
    return m->queue_select < m->vdev->ops->num_queues ? &m->vdev->queues[m->queue_select] : NULL;
}

static uint32_t reg_read_locked(struct virtio_mmio *m, unsigned off)
{
    struct virtio_dev *v = m->vdev;
    struct virtq *q = selected(m);
    uint64_t f = virtio_dev_features(v);
    switch (off) {
    case MAGIC: return VIRTIO_MMIO_MAGIC;
    case VERSION: return 2;
    case DEVICE_ID: return v->ops->device_id;
    case VENDOR_ID: return VIRTIO_MMIO_VENDOR;
    case DEV_FEATURES: return m->dfselect < 2 ? (uint32_t)(f >> (32 * m->dfselect)) : 0;
    case QUEUE_NUM_MAX: return q ? VIRTQ_MAX_SIZE : 0;
    case QUEUE_READY: return q && q->ready;
    case INT_STATUS: return v->isr;
    case STATUS: return v->status;
    case SHM_LEN_LO: case SHM_LEN_HI: return 0xffffffff;   /* no shared memory regions */
    case CONFIG_GEN: return v->config_generation;
    default: return 0;
    }
}

static void set_half(uint64_t *field, bool high, uint32_t val)
{
    *field = high ? (*field & 0xffffffffu) | (uint64_t)val << 32 : (*field & ~0xffffffffull) | val;
}

/* Queue registers: changed only while the queue is not ready (4.2.3.2). */
static void queue_write_locked(struct virtio_mmio *m, unsigned off, uint32_t val)
{
    struct virtq *q = selected(m);
    if (!q)
        return;
    if (off == QUEUE_READY) {
        if (val == 0)
            q->ready = false;
        else if (!q->ready && virtq_enable(q) < 0)
            virtio_needs_reset_locked(m->vdev, "queue rings outside guest RAM or misaligned");
        return;
    }
    if (q->ready)
        return;
    switch (off) {
    case QUEUE_NUM: q->size = (uint16_t)val; break;
    case QUEUE_DESC_LO: case QUEUE_DESC_HI: set_half(&q->desc, off & 4, val); break;
    case QUEUE_DRIVER_LO: case QUEUE_DRIVER_HI: set_half(&q->avail, off & 4, val); break;
    case QUEUE_DEVICE_LO: case QUEUE_DEVICE_HI: set_half(&q->used, off & 4, val); break;
    default: break;
    }
}

static void reg_write_locked(struct virtio_mmio *m, unsigned off, uint32_t val)
{
    struct virtio_dev *v = m->vdev;
    switch (off) {
    case DEV_FEATURES_SEL: m->dfselect = val; break;
    case DRV_FEATURES_SEL: m->gfselect = val; break;
    case DRV_FEATURES:
        if (m->gfselect < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK))
            set_half(&v->driver_features, m->gfselect, val);
        break;
    case QUEUE_SEL: m->queue_select = val; break;
    case INT_ACK:
        v->isr &= (uint8_t)~val;
        v->interrupt(v);
        break;
    case STATUS: virtio_set_status_locked(v, (uint8_t)val); break;
    default: queue_write_locked(m, off, val); break;
    }
}

static uint64_t mmio_read(void *dev, uint64_t off, unsigned size)
{
    struct virtio_mmio *m = dev;
    struct virtio_dev *v = m->vdev;
    uint64_t val = 0;
    pthread_mutex_lock(&v->lock);
    if (off >= CONFIG) {
        if (off - CONFIG + size <= v->config_len)
            memcpy(&val, v->config + (off - CONFIG), size);
    } else if (size == 4 && !(off & 3)) {
        val = reg_read_locked(m, (unsigned)off);
    }
    pthread_mutex_unlock(&v->lock);
    return val;
}

/* Every queue notified since the last look, for a running device. */
static void run_pending(struct virtio_mmio *m)
{
    struct virtio_dev *v = m->vdev;
    pthread_mutex_lock(&v->lock);
    uint32_t p = atomic_exchange(&m->pending, 0);
    for (unsigned i = 0; i < v->ops->num_queues; i++)
        if ((p & 1u << i) && virtio_running_locked(v))
            v->ops->queue_notify(v, i);
    pthread_mutex_unlock(&v->lock);
}

static void mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct virtio_mmio *m = dev;
    struct virtio_dev *v = m->vdev;
    if (size != 4 || (off & 3) || off >= CONFIG)
        return;                        /* the device configuration is read-only (see pci.c) */
    if (off == QUEUE_NOTIFY) {
        if (val >= v->ops->num_queues)
            return;
        atomic_fetch_or(&m->pending, 1u << val);
        uint64_t one = 1;
        if (m->notify_fd < 0 || write(m->notify_fd, &one, sizeof(one)) != sizeof(one))
            run_pending(m);
        return;
    }
    pthread_mutex_lock(&v->lock);
    reg_write_locked(m, (unsigned)off, (uint32_t)val);
    pthread_mutex_unlock(&v->lock);
}

const struct io_ops virtio_mmio_ops = { .read = mmio_read, .write = mmio_write };

static void notified(void *opaque)
{
    struct virtio_mmio *m = opaque;
    uint64_t n;
    if (read(m->notify_fd, &n, sizeof(n)) < 0)
        return;
    run_pending(m);
}

/* The line follows InterruptStatus (4.2.3.4). v->lock held. */
static void interrupt(struct virtio_dev *v)
{
    struct virtio_mmio *m = v->transport;
    irq_line_set(&m->irq, v->isr != 0);
}

struct virtio_mmio *virtio_mmio_new(struct virtio_dev *vdev, struct irq_line irq,
                                    struct evloop *loop)
{
    struct virtio_mmio *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->vdev = vdev;
    m->irq = irq;
    m->notify_fd = -1;
    vdev->transport = m;
    vdev->interrupt = interrupt;
    if (loop) {
        m->loop = loop;
        m->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (m->notify_fd < 0 || evloop_add_fd(loop, m->notify_fd, notified, m) < 0) {
            m->loop = NULL;
            virtio_mmio_free(m);
            return NULL;
        }
    }
    return m;
}

void virtio_mmio_free(struct virtio_mmio *m)
{
    if (!m)
        return;
    if (m->loop)
        evloop_remove_fd(m->loop, m->notify_fd);
    if (m->notify_fd >= 0)
        close(m->notify_fd);
    free(m);
}
