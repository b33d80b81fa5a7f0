/* Test-only (unit tests and libFuzzer targets): a virtio device driven as a driver would, without a
 * transport: guest RAM, every queue at a fixed place (16 entries), DRIVER_OK, chains added to the
 * available ring and read back from the used ring. Queue q: descriptors at q * 0x4000, available
 * ring at + 0x1000, used ring at + 0x2000; buffers from RIG_BUFS on. */
#ifndef VMON_HW_VIRTIO_VQ_RIG_H
#define VMON_HW_VIRTIO_VQ_RIG_H

#include <string.h>

#include "hw/virtio/virtio.h"

#define RIG_RAM   (1u << 20)
#define RIG_QSIZE 16
#define RIG_BUFS  0x40000u

struct rig_buf {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

struct vq_rig {
    struct guest_mem *mem;
    struct virtio_dev *v;
    uint16_t avail_idx[VIRTIO_MAX_QUEUES], used_seen[VIRTIO_MAX_QUEUES];
};

static inline uint64_t rig_desc(unsigned q) { return (uint64_t)q * 0x4000; }
static inline uint64_t rig_avail(unsigned q) { return rig_desc(q) + 0x1000; }
static inline uint64_t rig_used(unsigned q) { return rig_desc(q) + 0x2000; }

/* Rings placed and enabled, features accepted, DRIVER_OK. */
static inline void rig_start(struct vq_rig *r, struct guest_mem *mem, struct virtio_dev *v)
{
    memset(r, 0, sizeof(*r));
    r->mem = mem;
    r->v = v;
    for (unsigned i = 0; i < v->ops->num_queues; i++) {
        struct virtq *q = &v->queues[i];
        q->size = RIG_QSIZE;
        q->desc = rig_desc(i);
        q->avail = rig_avail(i);
        q->used = rig_used(i);
        virtq_enable(q);
    }
    v->driver_features = virtio_dev_features(v);
    v->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                VIRTIO_STATUS_DRIVER_OK;
}

static inline void rig_put16(struct vq_rig *r, uint64_t gpa, uint16_t val)
{
    guest_mem_write(r->mem, gpa, &val, 2);
}

/* A chain of n (<= 4) buffers made available on queue q (not yet notified). */
static inline void rig_chain(struct vq_rig *r, unsigned q, const struct rig_buf *b, int n)
{
    uint16_t head = (uint16_t)((r->avail_idx[q] * 4) % RIG_QSIZE);
    for (int i = 0; i < n; i++) {
        uint8_t d[16] = { 0 };
        uint16_t flags = (uint16_t)((b[i].write ? 2 : 0) | (i + 1 < n ? 1 : 0));
        uint16_t next = (uint16_t)(head + i + 1);
        memcpy(d, &b[i].gpa, 8);
        memcpy(d + 8, &b[i].len, 4);
        memcpy(d + 12, &flags, 2);
        memcpy(d + 14, &next, 2);
        guest_mem_write(r->mem, rig_desc(q) + 16u * (head + (unsigned)i), d, 16);
    }
    rig_put16(r, rig_avail(q) + 4 + 2u * (r->avail_idx[q] % RIG_QSIZE), head);
    r->avail_idx[q]++;
    rig_put16(r, rig_avail(q) + 2, r->avail_idx[q]);
}

static inline void rig_notify(struct vq_rig *r, unsigned q)
{
    pthread_mutex_lock(&r->v->lock);
    r->v->ops->queue_notify(r->v, q);
    pthread_mutex_unlock(&r->v->lock);
}

/* The next used element of queue q: 1 with its length, 0 when none is new. */
static inline int rig_used_next(struct vq_rig *r, unsigned q, uint32_t *len)
{
    uint16_t idx;
    guest_mem_read(r->mem, rig_used(q) + 2, &idx, 2);
    if (idx == r->used_seen[q])
        return 0;
    uint32_t e[2];
    guest_mem_read(r->mem, rig_used(q) + 4 + 8u * (r->used_seen[q] % RIG_QSIZE), e, 8);
    r->used_seen[q]++;
    *len = e[1];
    return 1;
}

#endif
