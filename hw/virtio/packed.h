/* Packed virtqueues (virtio 1.2, 2.8): the walker behind virtq_pop/push/should_notify when
 * VIRTIO_F_RING_PACKED was negotiated. Internal to hw/virtio/queue*.c and packed.c. */
#ifndef VMON_HW_VIRTIO_PACKED_H
#define VMON_HW_VIRTIO_PACKED_H

#include "hw/virtio/queue.h"

#define VIRTQ_PACKED_F_AVAIL (1u << 7)
#define VIRTQ_PACKED_F_USED  (1u << 15)

/* Event suppression flags (2.8.10): in the driver and device event areas. */
#define VIRTQ_EVENT_F_ENABLE  0
#define VIRTQ_EVENT_F_DISABLE 1
#define VIRTQ_EVENT_F_DESC    2

int virtq_packed_enable(struct virtq *q);
int virtq_packed_pop(struct virtq *q, struct virtq_chain *c, const char **why);
/* n used descriptors; the first one's flags are written last, so the driver sees all or none. */
void virtq_packed_push_n(struct virtq *q, const uint16_t *id, const uint32_t *len, unsigned n);
bool virtq_packed_should_notify(struct virtq *q);

#endif
