/* virtio-rng (virtio 1.2, 5.4): one request queue the device fills with host entropy
 * (getrandom), optionally limited to max_bytes per period_ms as QEMU's rng options are. */
#ifndef VMON_HW_VIRTIO_RNG_H
#define VMON_HW_VIRTIO_RNG_H

#include "hw/virtio/virtio.h"

struct evloop;
struct evtimer;

struct virtio_rng {
    struct virtio_dev vdev;
    uint64_t max_bytes;                /* per period; 0: no limit */
    uint64_t period_ms;
    uint64_t window_start_ns, used;    /* the current period and the bytes given in it */
    struct evtimer *timer;             /* refills a throttled queue at the next period */
    uint64_t (*now_ns)(void);          /* the clock (tests replace it) */
    /* No config fields (5.4.4), but Linux refuses a device capability of length 0. */
    uint8_t config[4];
};

/* max_bytes 0: unlimited. With a loop, a throttled queue is served again when the period ends;
 * without, at the driver's next notify. */
struct virtio_rng *virtio_rng_new(const struct guest_mem *mem, struct evloop *loop,
                                  uint64_t max_bytes, uint64_t period_ms);
void virtio_rng_free(struct virtio_rng *r);

#endif
