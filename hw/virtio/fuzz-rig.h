/* libFuzzer targets' guest (test-only): the input becomes the first bytes of guest RAM, where every
 * queue's descriptor table and rings lie packed (queue q at q * 0x200: 16 descriptors, the
 * available ring at +0x100, the used ring at +0x140), so the fuzzer writes descriptors, flags,
 * ring indexes and the buffers they point at directly. */
#ifndef VMON_HW_VIRTIO_FUZZ_RIG_H
#define VMON_HW_VIRTIO_FUZZ_RIG_H

#include <string.h>

#include "hw/virtio/virtio.h"

#define FUZZ_RAM (1u << 20)
#define FUZZ_MAX_INPUT 65536

static inline void fuzz_start(struct guest_mem *mem, struct virtio_dev *v, const uint8_t *data,
                              size_t size)
{
    memset(mem->base, 0, FUZZ_MAX_INPUT);
    memcpy(mem->base, data, size < FUZZ_MAX_INPUT ? size : FUZZ_MAX_INPUT);
    for (unsigned i = 0; i < v->ops->num_queues; i++) {
        struct virtq *q = &v->queues[i];
        q->size = 16;
        q->desc = 0x200u * i;
        q->avail = q->desc + 0x100;
        q->used = q->desc + 0x140;
        virtq_enable(q);
    }
    v->driver_features = virtio_dev_features(v);
    v->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                VIRTIO_STATUS_DRIVER_OK;
}

static inline void fuzz_notify(struct virtio_dev *v, unsigned q)
{
    pthread_mutex_lock(&v->lock);
    v->ops->queue_notify(v, q);
    pthread_mutex_unlock(&v->lock);
}

#endif
