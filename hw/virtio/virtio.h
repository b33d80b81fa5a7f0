/* A virtio device as its transport sees it (virtio 1.2, chapters 2-3): status, feature
 * negotiation, queues and config space, independent of PCI or MMIO. A device (blk.c) fills a
 * struct virtio_dev_ops; the transport (pci.c) owns register decoding and the interrupt. */
#ifndef VMON_HW_VIRTIO_VIRTIO_H
#define VMON_HW_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/virtio/queue.h"

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_VERSION_1     32

#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_ISR_QUEUE  0x1
#define VIRTIO_ISR_CONFIG 0x2

#define VIRTIO_MAX_QUEUES 16                /* virtio-console: 2 per port + control; net: 4 pairs + control */
#define VIRTIO_IRQ_CONFIG 0xffffu      /* interrupt_vector's source for a configuration change */

struct virtio_dev;

struct virtio_dev_ops {
    const char *name;
    uint16_t device_id;                /* 5: device types (2: block) */
    uint16_t num_queues;
    uint64_t features;                 /* device-type bits offered, besides the transport's */
    /* A queue was notified: called with v->lock held, on the thread the transport picks. */
    void (*queue_notify)(struct virtio_dev *v, unsigned q);
    /* The driver reset the device (status 0): drop in-flight state. v->lock held. */
    void (*reset)(struct virtio_dev *v);
};

/* Lock order: v->lock, then the bus locks (never the reverse); the transport's interrupt
 * callback is called with v->lock held. */
struct virtio_dev {
    const struct virtio_dev_ops *ops;
    void *opaque;                      /* the device's own state */
    pthread_mutex_t lock;
    uint8_t status;
    uint8_t isr;                       /* read-to-clear (4.1.4.5) */
    uint8_t config_generation;
    uint64_t driver_features;
    struct virtq queues[VIRTIO_MAX_QUEUES];
    uint8_t *config;                   /* device-specific config space, config_len bytes */
    uint32_t config_len;
    bool warned;                       /* NEEDS_RESET was logged once */
    unsigned held;                     /* virtio_dev_hold depth: no queue is processed while > 0 */
    /* Bits offered besides ops->features and the transport's: options of this instance (e.g.
     * VIRTIO_F_RING_PACKED with packed=on). */
    uint64_t extra_features;
    void (*interrupt)(struct virtio_dev *v);   /* the transport: follow v->isr */
    /* Optional, the transport's per-source interrupt (MSI-X): src is a queue index or
     * VIRTIO_IRQ_CONFIG. True when the transport signalled (or, with no vector, dropped) it
     * itself; false to fall back to the ISR and interrupt(). v->lock held. */
    bool (*interrupt_vector)(struct virtio_dev *v, unsigned src);
    void *transport;
};

void virtio_dev_init(struct virtio_dev *v, const struct virtio_dev_ops *ops, void *opaque,
                     const struct guest_mem *mem, uint8_t *config, uint32_t config_len);
uint64_t virtio_dev_features(const struct virtio_dev *v);   /* everything offered */
/* A driver status write (2.1, 3.1.1): 0 resets; FEATURES_OK is refused (left clear) when the
 * driver accepted bits not offered or not VERSION_1. v->lock held. */
void virtio_set_status_locked(struct virtio_dev *v, uint8_t status);
/* After the device used buffers of queue q: interrupt the driver unless it asked not to. */
void virtio_notify_used_locked(struct virtio_dev *v, unsigned q);
/* The driver broke the rules (why: one line): NEEDS_RESET, a config interrupt, one log line. */
void virtio_needs_reset_locked(struct virtio_dev *v, const char *why);
/* Whether queues may be processed: DRIVER_OK, not NEEDS_RESET and not held. */
bool virtio_running_locked(const struct virtio_dev *v);
/* Around a snapshot of a device whose host side acts on its own (a backend's thread delivering
 * frames, a timer): while held nothing touches its queues or guest RAM; the last release processes
 * every enabled queue (a notification meanwhile is not lost). Nests; takes v->lock. */
void virtio_dev_hold(struct virtio_dev *v, bool on);

/* virtio-state.c, snapshots with v->lock held and nothing in flight: status, ISR, features, queues.
 * load: 0, or -EINVAL for a bad section (features not offered, a queue size that is no power of
 * two, an enabled queue whose rings are not in RAM); the device is then unchanged. */
struct vms_writer;
struct vms_reader;
void virtio_dev_save_locked(struct virtio_dev *v, struct vms_writer *w);
int virtio_dev_load_locked(struct virtio_dev *v, struct vms_reader *r);
/* Process every enabled queue as if the driver had notified it (after a restore, or a thaw: a
 * notification the snapshot did not see is not lost). */
void virtio_dev_kick_all_locked(struct virtio_dev *v);

#endif
