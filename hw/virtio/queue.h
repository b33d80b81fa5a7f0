/* Virtqueues (virtio 1.2, 2.7 split, 2.8 packed): the driver's descriptors and available entries,
 * the device's used entries, all in guest RAM; notification suppression with or without
 * VIRTIO_F_EVENT_IDX (2.7.7, 2.7.10, 2.8.10). Every address and length the guest wrote is checked
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

#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_RING_PACKED    34

/* One queue as the driver configured it (4.1.4.3: queue_size, queue_desc/driver/device). */
struct virtq {
    uint16_t size;                      /* entries: a power of two, <= VIRTQ_MAX_SIZE */
    bool ready;
    uint64_t desc, avail, used;         /* guest physical addresses */
    uint16_t last_avail;                /* next available ring entry to take */
    uint16_t used_idx;                  /* next used ring entry to fill */
    const struct guest_mem *mem;
    bool packed;                        /* VIRTIO_F_RING_PACKED negotiated: desc/avail/used are
                                         * the descriptor ring and the driver/device event areas */
    bool event_idx;                     /* VIRTIO_RING_F_EVENT_IDX negotiated */
    bool signalled_valid;               /* signalled_* holds the state at the last interrupt */
    uint16_t signalled_used;            /* split: used_idx when the driver was last interrupted */
    bool avail_wrap, used_wrap;         /* packed: the wrap counters (2.8.1) */
    uint64_t used_slots, signalled_slots;   /* packed: descriptors used since enable, and then */
    /* packed: how many ring descriptors each chain in flight took, oldest first (a used entry
     * skips that many, 2.8.7) */
    uint16_t inflight[VIRTQ_MAX_SIZE];
    uint16_t inflight_first, inflight_n;
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

/* The device wrote c's device-writable buffers: mark them dirty again for a live migration's log
 * (mm/dirty.h). Looking them up marked them already, but a migration pass may have taken that mark
 * and copied the page before the device's write landed. Call before pushing c. */
void virtq_chain_written(const struct virtq *q, const struct virtq_chain *c);
/* Put q back to its reset state (2.7: a reset queue has no rings). */
void virtq_reset(struct virtq *q, const struct guest_mem *mem);
/* The negotiated ring features (at FEATURES_OK / DRIVER_OK); the layout only changes before the
 * queue is enabled. */
void virtq_set_features(struct virtq *q, uint64_t driver_features);
/* Checks the rings of a queue the driver enables lie in RAM; -EINVAL when not. */
int virtq_enable(struct virtq *q);
/* Takes the next available chain: 1 with *c filled, 0 when none is pending, -EINVAL (with a
 * reason in *why) when the driver broke the rules. */
int virtq_pop(struct virtq *q, struct virtq_chain *c, const char **why);
/* Returns a chain to the driver with len bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Several chains back to the driver together (len[i] bytes written into head[i]): the driver
 * can see none of them before it can see all (a mergeable receive frame, 5.1.6.4.2). */
void virtq_push_n(struct virtq *q, const uint16_t *head, const uint32_t *len, unsigned n);

/* A place in the available ring: chains popped after virtq_mark and not pushed go back to the
 * driver's side with virtq_rewind (a frame that needs more buffers than are posted waits). */
struct virtq_mark {
    uint16_t last_avail, inflight_n;
    bool avail_wrap;
};
void virtq_mark(const struct virtq *q, struct virtq_mark *m);
void virtq_rewind(struct virtq *q, const struct virtq_mark *m);

/* Whether the driver wants an interrupt for the entries used since the last one it got:
 * VIRTQ_AVAIL_F_NO_INTERRUPT / the packed event flags, or the used-event index under EVENT_IDX.
 * Records that it is interrupted now when it answers true. */
bool virtq_should_notify(struct virtq *q);

/* For the walkers (queue.c, packed.c): appends a buffer to c, checked against RAM and the
 * chain's limits; -EINVAL with *why when it breaks them. */
int virtq_add_buf(struct virtq_chain *c, const struct virtq *q, uint64_t addr, uint32_t len,
                  bool write, const char **why);

#endif
