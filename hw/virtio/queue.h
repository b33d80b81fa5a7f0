/* Split virtqueues (virtio 1.2, 2.7): the driver's descriptor table and available ring, the
 * device's used ring, all in guest RAM. Every address and length the guest wrote is checked
 * against guest RAM before vmon touches it; a malformed chain is an error the device answers
 * by going into NEEDS_RESET (2.1.2), never a crash or an endless walk. */
#ifndef VMON_HW_VIRTIO_QUEUE_H
#define VMON_HW_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/memory.h"

#define VIRTQ_MAX_SIZE   256            /* entries vmon offers per queue */
#define VIRTQ_MAX_SEGS   130            /* buffers one chain may hold (seg_max 128 + 2) */

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* One queue as the driver configured it (4.1.4.3: queue_size, queue_desc/driver/device). */
struct virtq {
    uint16_t size;                      /* entries: a power of two, <= VIRTQ_MAX_SIZE */
    bool ready;
    uint64_t desc, avail, used;         /* guest physical addresses */
    uint16_t last_avail;                /* next available ring entry to take */
    uint16_t used_idx;                  /* next used ring entry to fill */
    const struct guest_mem *mem;
};

/* One buffer of a chain, already translated: len bytes at hva. */
struct virtq_buf {
    uint8_t *hva;
    uint32_t len;
    bool write;                         /* device-writable */
};

struct virtq_chain {
    uint16_t head;                      /* what goes back in the used ring */
    int n;
    struct virtq_buf bufs[VIRTQ_MAX_SEGS];
    uint64_t readable, writable;        /* total bytes of each kind */
};

/* Put q back to its reset state (2.7: a reset queue has no rings). */
void virtq_reset(struct virtq *q, const struct guest_mem *mem);
/* Checks the rings of a queue the driver enables lie in RAM; -EINVAL when not. */
int virtq_enable(struct virtq *q);
/* Takes the next available chain: 1 with *c filled, 0 when none is pending, -EINVAL (with a
 * reason in *why) when the driver broke the rules. */
int virtq_pop(struct virtq *q, struct virtq_chain *c, const char **why);
/* Returns a chain to the driver with len bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt now (no VIRTQ_AVAIL_F_NO_INTERRUPT; EVENT_IDX not
 * offered). */
bool virtq_should_notify(const struct virtq *q);

#endif
