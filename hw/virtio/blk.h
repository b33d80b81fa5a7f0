/* virtio-blk (virtio 1.2, 5.2): one request queue over an image opened by the block layer. */
#ifndef VMON_HW_VIRTIO_BLK_H
#define VMON_HW_VIRTIO_BLK_H

#include <stdbool.h>

#include "block/block.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk {
    struct virtio_dev vdev;
    struct blk *bs;                    /* owned: closed with the device */
    bool readonly;
    char id[VIRTIO_BLK_ID_BYTES];      /* what GET_ID answers (not NUL-terminated when full) */
    uint8_t config[40];
};

/* A device over bs (already opened, with its image locks); id names it to the guest. */
struct virtio_blk *virtio_blk_new(struct blk *bs, bool readonly, const char *id,
                                  const struct guest_mem *mem);
void virtio_blk_free(struct virtio_blk *b);

#endif
