/* A virtio device in a snapshot (virtio 1.2, 2.1-2.8): device status, ISR, the negotiated features and
 * each queue's size, ring addresses and the device's positions in them (next available entry, next
 * used entry, the event-index and packed-ring wrap state). Taken with no request in flight (a device
 * with I/O threads is quiesced first: its owner's job); a queue that is enabled must have its rings in
 * guest RAM, else the section is refused. */
#include <errno.h>
#include <string.h>

#include "hw/virtio/virtio.h"
#include "migration/vmstate.h"

static void put_queue(struct vms_writer *w, const struct virtq *q)
{
    vms_put_u16(w, q->size);
    vms_put_u8(w, q->ready);
    vms_put_u64(w, q->desc);
    vms_put_u64(w, q->avail);
    vms_put_u64(w, q->used);
    vms_put_u16(w, q->last_avail);
    vms_put_u16(w, q->used_idx);
    uint8_t b[] = { q->packed, q->event_idx, q->signalled_valid, q->avail_wrap, q->used_wrap };
    vms_put_bytes(w, b, sizeof(b));
    vms_put_u16(w, q->signalled_used);
    vms_put_u64(w, q->used_slots);
    vms_put_u64(w, q->signalled_slots);
}

static int get_queue(struct vms_reader *r, struct virtq *q)
{
    q->size = vms_get_u16(r);
    q->ready = vms_get_u8(r) & 1;
    q->desc = vms_get_u64(r);
    q->avail = vms_get_u64(r);
    q->used = vms_get_u64(r);
    q->last_avail = vms_get_u16(r);
    q->used_idx = vms_get_u16(r);
    uint8_t b[5];
    vms_get_bytes(r, b, sizeof(b));
    q->packed = b[0] & 1;
    q->event_idx = b[1] & 1;
    q->signalled_valid = b[2] & 1;
    q->avail_wrap = b[3] & 1;
    q->used_wrap = b[4] & 1;
    q->signalled_used = vms_get_u16(r);
    q->used_slots = vms_get_u64(r);
    q->signalled_slots = vms_get_u64(r);
    q->inflight_first = q->inflight_n = 0;
    if (q->size == 0 || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1)))
        return -EINVAL;
    if (q->packed && (q->last_avail >= q->size || q->used_idx >= q->size))
        return -EINVAL;
    return q->ready && virtq_enable(q) < 0 ? -EINVAL : 0;
}

void virtio_dev_save_locked(struct virtio_dev *v, struct vms_writer *w)
{
    vms_put_u8(w, v->status);
    vms_put_u8(w, v->isr);
    vms_put_u8(w, v->config_generation);
    vms_put_u64(w, v->driver_features);
    vms_put_u32(w, v->ops->num_queues);
    for (unsigned i = 0; i < v->ops->num_queues; i++)
        put_queue(w, &v->queues[i]);
}

int virtio_dev_load_locked(struct virtio_dev *v, struct vms_reader *r)
{
    uint8_t status = vms_get_u8(r), isr = vms_get_u8(r), gen = vms_get_u8(r);
    uint64_t features = vms_get_u64(r);
    if (vms_get_u32(r) != v->ops->num_queues || (features & ~virtio_dev_features(v)))
        return -EINVAL;
    struct virtq q[VIRTIO_MAX_QUEUES];
    for (unsigned i = 0; i < v->ops->num_queues; i++) {
        q[i] = v->queues[i];
        if (get_queue(r, &q[i]) < 0)
            return -EINVAL;
    }
    if (r->err || (isr & ~3u))     /* the transport's state follows in the same section */
        return -EINVAL;
    v->status = status;
    v->isr = isr;
    v->config_generation = gen;
    v->driver_features = features;
    for (unsigned i = 0; i < v->ops->num_queues; i++)
        v->queues[i] = q[i];
    return 0;
}
