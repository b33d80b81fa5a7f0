/* virtio-blk (virtio 1.2, 5.2): request queues over an image opened by the block layer, served
 * on I/O threads (one per queue) or, without them, where the transport calls queue_notify. */
#ifndef VMON_HW_VIRTIO_BLK_H
#define VMON_HW_VIRTIO_BLK_H

#include <stdbool.h>

#include "block/block.h"
#include "hw/virtio/virtio.h"
#include "mm/dirty.h"

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_CONFIG   60         /* through write_zeroes_may_unmap and its padding */
#define VIRTIO_BLK_DISCARD_SEGS 32     /* segments one discard / write-zeroes request may hold */

#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

struct virtio_blk_opts {
    const char *id;                    /* what GET_ID answers */
    bool readonly;
    bool discard;                      /* discard=unmap: discards reach the image (else ignored) */
    bool packed;                       /* offer VIRTIO_F_RING_PACKED */
    unsigned num_queues;               /* 1..VIRTIO_MAX_QUEUES (0: 1) */
    bool iothreads;                    /* requests run on one thread per queue, not the caller */
};

struct virtio_blk;
struct virtio_blk_worker {
    struct virtio_blk *b;
    unsigned qi;
    pthread_t thread;
};

struct virtio_blk {
    struct virtio_dev vdev;
    struct blk *bs;                    /* owned: closed with the device */
    struct virtio_blk_opts opts;
    char id[VIRTIO_BLK_ID_BYTES];      /* what GET_ID answers (not NUL-terminated when full) */
    uint8_t config[VIRTIO_BLK_CONFIG];
    struct virtio_dev_ops ops;         /* num_queues and features of this instance */
    pthread_mutex_t io_lock;           /* the block layer takes one request at a time */
    /* I/O threads (blk-io.c), under wlock: which queues were kicked, stop. */
    pthread_mutex_t wlock;
    pthread_cond_t wcond;
    uint32_t kicked;
    bool stopping;
    unsigned nthreads;
    struct virtio_blk_worker workers[VIRTIO_MAX_QUEUES];
    unsigned generation;               /* v->lock: bumped by a reset; older requests are dropped */
    unsigned inflight;                 /* v->lock: requests taken from a ring and not yet returned */
    bool frozen;                       /* v->lock: a snapshot is being taken: take no new request */
    struct dirty_log *track;           /* io_lock: a block migration's log of written chunks, or NULL */
};

/* A live migration that copies the disk (migrate -b): while log is set, every write, discard and
 * write-zeroes marks the VIRTIO_BLK_CHUNK-byte chunks it touched (bit i: bytes i * CHUNK on), after
 * the image has them; NULL stops it. */
#define VIRTIO_BLK_CHUNK 65536u
void virtio_blk_track(struct virtio_blk *b, struct dirty_log *log);
/* Read (the source) or write (the destination, before it runs) len bytes of the image at off, between
 * the device's own requests; 0, -EINVAL outside the disk or -errno. */
int virtio_blk_image_io(struct virtio_blk *b, bool write, uint64_t off, void *buf, size_t len);

/* A live migration's disk hand-over (machine/pc-migrate.c), the device quiesced or not yet run: put bs
 * (NULL: none; the device must then stay quiesced) in place of its image, returned to be closed. */
struct blk *virtio_blk_swap_image(struct virtio_blk *b, struct blk *bs);
/* A device over bs (already opened, with its image locks). */
struct virtio_blk *virtio_blk_create(struct blk *bs, const struct virtio_blk_opts *o,
                                     const struct guest_mem *mem);
/* The first form: one queue, no I/O thread. */
struct virtio_blk *virtio_blk_new(struct blk *bs, bool readonly, const char *id,
                                  const struct guest_mem *mem);
/* Ends the I/O threads (before the transport goes away); idempotent. */
void virtio_blk_stop(struct virtio_blk *b);
void virtio_blk_free(struct virtio_blk *b);

/* blk-req.c: serves queue qi until it is empty; called with v->lock held, which is dropped
 * around each request's I/O when unlock_io. */
void virtio_blk_serve_locked(struct virtio_blk *b, unsigned qi, bool unlock_io);
/* Snapshots (blk-req.c): quiesce waits until no request is in flight and takes no new one until
 * thaw, which looks at every queue again. */
void virtio_blk_quiesce(struct virtio_blk *b);
void virtio_blk_thaw(struct virtio_blk *b);
/* blk-io.c */
int virtio_blk_start_threads(struct virtio_blk *b);
void virtio_blk_kick_locked(struct virtio_blk *b, unsigned qi);

#endif
