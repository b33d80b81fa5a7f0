/* Device status and feature negotiation (virtio 1.2, 2.1-2.2, 3.1), shared by the transports. */
#include "hw/virtio/virtio.h"

#include <stdio.h>
#include <string.h>

void virtio_dev_init(struct virtio_dev *v, const struct virtio_dev_ops *ops, void *opaque,
                     const struct guest_mem *mem, uint8_t *config, uint32_t config_len)
{
    memset(v, 0, sizeof(*v));
    pthread_mutex_init(&v->lock, NULL);
    v->ops = ops;
    v->opaque = opaque;
    v->config = config;
    v->config_len = config_len;
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        virtq_reset(&v->queues[i], mem);
}

uint64_t virtio_dev_features(const struct virtio_dev *v)
{
    uint64_t transport = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
                         1ull << VIRTIO_RING_F_EVENT_IDX;
    return v->ops->features | v->extra_features | transport;
}

static void raise_locked(struct virtio_dev *v)
{
    if (v->interrupt)
        v->interrupt(v);
}

static void reset_locked(struct virtio_dev *v)
{
    if (v->ops->reset)
        v->ops->reset(v);
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
        virtq_reset(&v->queues[i], v->queues[i].mem);
    v->status = 0;
    v->isr = 0;
    v->driver_features = 0;
    v->warned = false;
    raise_locked(v);                   /* the line goes low with the ISR */
}

void virtio_set_status_locked(struct virtio_dev *v, uint8_t status)
{
    if (status == 0) {
        reset_locked(v);
        return;
    }
    uint8_t keep = v->status & VIRTIO_STATUS_NEEDS_RESET;   /* only a reset clears it */
    if ((status & VIRTIO_STATUS_FEATURES_OK) && !(v->status & VIRTIO_STATUS_FEATURES_OK)) {
        uint64_t bad = v->driver_features & ~virtio_dev_features(v);
        if (bad || !(v->driver_features & 1ull << VIRTIO_F_VERSION_1))
            status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;   /* 2.2.2: the driver re-reads */
    }
    v->status = status | keep;
    if (status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK))
        for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
            virtq_set_features(&v->queues[i], v->driver_features);
}

void virtio_notify_used_locked(struct virtio_dev *v, unsigned q)
{
    if (!virtq_should_notify(&v->queues[q]))
        return;
    if (v->interrupt_vector && v->interrupt_vector(v, q))
        return;                        /* 4.1.4.5: the ISR's queue bit is for INTx only */
    v->isr |= VIRTIO_ISR_QUEUE;
    raise_locked(v);
}

void virtio_needs_reset_locked(struct virtio_dev *v, const char *why)
{
    if (!v->warned)
        fprintf(stderr, "vmon: %s: %s: device needs reset\n", v->ops->name, why);
    v->warned = true;
    v->status |= VIRTIO_STATUS_NEEDS_RESET;
    v->config_generation++;
    v->isr |= VIRTIO_ISR_CONFIG;       /* set whichever way the interrupt goes (4.1.4.5) */
    if (v->interrupt_vector && v->interrupt_vector(v, VIRTIO_IRQ_CONFIG))
        return;
    raise_locked(v);
}

bool virtio_running_locked(const struct virtio_dev *v)
{
    return (v->status & VIRTIO_STATUS_DRIVER_OK) && !(v->status & VIRTIO_STATUS_NEEDS_RESET) && !v->held;
}

void virtio_dev_kick_all_locked(struct virtio_dev *v)
{
    for (unsigned i = 0; i < v->ops->num_queues && virtio_running_locked(v); i++)
        if (v->queues[i].ready && v->ops->queue_notify)
            v->ops->queue_notify(v, i);
}

void virtio_dev_hold(struct virtio_dev *v, bool on)
{
    pthread_mutex_lock(&v->lock);
    if (on)
        v->held++;
    else if (v->held && --v->held == 0)
        virtio_dev_kick_all_locked(v);
    pthread_mutex_unlock(&v->lock);
}
