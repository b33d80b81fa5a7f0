/* A virtio-blk-pci test rig for the unit tests (blk_test.c, blk-features_test.c): fake guest
 * RAM, a 64 KiB raw image in a temporary file (sector s filled with byte s), the modern PCI
 * transport driven through BAR 0 as Linux's virtio_pci does, and requests on split queues. */
#ifndef VMON_HW_VIRTIO_BLK_RIG_H
#define VMON_HW_VIRTIO_BLK_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/virtio/blk.h"
#include "hw/virtio/pci.h"

#define RAM (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define HDR 0x8000
#define DATA 0x9000
#define STATUS 0xa000

struct rig {
    struct guest_mem mem;
    char path[64];
    struct virtio_blk *b;
    struct virtio_pci *vp;
    int level, raises;
    uint16_t avail_idx;
};

uint64_t rig_rd(struct rig *r, uint64_t off, unsigned size);
void rig_wr(struct rig *r, uint64_t off, uint64_t val, unsigned size);
void rig_init(struct rig *r, bool readonly);
void rig_init_opts(struct rig *r, const struct virtio_blk_opts *o);
void rig_free(struct rig *r);
/* Queue q's rings: 64 KiB apart per queue from DESC/AVAIL/USED upward. */
uint64_t rig_qdesc(unsigned q);
uint64_t rig_qavail(unsigned q);
uint64_t rig_qused(unsigned q);
/* Linux's virtio_pci_modern probe and virtio_dev_probe, in order (3.1.1), accepting the
 * features given (besides VERSION_1) and setting up nq queues of 8 entries. */
void rig_driver_init_features(struct rig *r, uint64_t features, unsigned nq);
void rig_driver_init(struct rig *r);               /* FLUSH, one queue */
void rig_set_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
              uint16_t next);
/* One request on queue 0: header, data of len bytes (device-writable for reads), status; then
 * the notify. Returns the status byte. */
uint8_t rig_request(struct rig *r, uint32_t type, uint64_t sector, uint32_t len, bool din);
/* The same on queue q, waiting (up to 5 s) for an I/O thread to complete it. */
uint8_t rig_request_q(struct rig *r, unsigned q, uint32_t type, uint64_t sector, uint32_t len,
                  bool din);
/* A discard / write-zeroes request of one segment {sector, n, flags}. */
uint8_t rig_zero_req(struct rig *r, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags);
/* Reads sector and returns one of its bytes. */
uint8_t rig_sector_byte(struct rig *r, uint64_t sector);

#endif
