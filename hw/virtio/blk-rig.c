/* The virtio-blk-pci test rig (blk-rig.h): test-only code, in libvmon-test.a. */
#include "hw/virtio/blk-rig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void on_irq(void *opaque, int level)
{
    struct rig *r = opaque;
    r->level = level;
    r->raises += level;
}

uint64_t rig_rd(struct rig *r, uint64_t off, unsigned size)
{
    return r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->read(r->vp, off, size);
}

void rig_wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->write(r->vp, off, val, size);
}

void rig_init(struct rig *r, bool readonly)
{
    struct virtio_blk_opts o = { .id = "vmon-test", .readonly = readonly };
    rig_init_opts(r, &o);
}

void rig_init_opts(struct rig *r, const struct virtio_blk_opts *o)
{
    bool readonly = o->readonly;
    memset(r, 0, sizeof(*r));
    assert_int_equal(guest_mem_init(&r->mem, RAM), 0);
    strcpy(r->path, "/tmp/vmon-blk-test-XXXXXX");
    int fd = mkstemp(r->path);
    assert_true(fd >= 0);
    uint8_t sector[512];
    for (int s = 0; s < 128; s++) {         /* 64 KiB: sector s filled with byte s */
        memset(sector, s, sizeof(sector));
        assert_int_equal(write(fd, sector, sizeof(sector)), sizeof(sector));
    }
    close(fd);
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open(r->path, "raw", readonly ? 0 : BLK_O_RDWR, err);
    assert_non_null(bs);
    r->b = virtio_blk_create(bs, o, &r->mem);
    assert_non_null(r->b);
    r->vp = virtio_pci_new(&r->b->vdev, NULL);
    assert_non_null(r->vp);
    r->vp->pci.intx = (struct irq_line){ on_irq, r };
}

void rig_free(struct rig *r)
{
    virtio_pci_free(r->vp);
    virtio_blk_free(r->b);
    unlink(r->path);
    guest_mem_destroy(&r->mem);
}

/* Queue q's rings: 0x1000 apart per queue from DESC/AVAIL/USED's pages upward. */
uint64_t rig_qdesc(unsigned q)  { return DESC + 0x10000ull * q; }
uint64_t rig_qavail(unsigned q) { return AVAIL + 0x10000ull * q; }
uint64_t rig_qused(unsigned q)  { return USED + 0x10000ull * q; }

/* Linux's virtio_pci_modern probe and virtio_dev_probe, in order (3.1.1), accepting the
 * features given (besides VERSION_1) and setting up nq queues of 8 entries. */
void rig_driver_init_features(struct rig *r, uint64_t features, unsigned nq)
{
    rig_wr(r, 20, 0, 1);
    rig_wr(r, 20, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    rig_wr(r, 8, 1, 4);
    rig_wr(r, 12, 1 | (uint32_t)(features >> 32), 4);   /* VERSION_1 */
    rig_wr(r, 8, 0, 4);
    rig_wr(r, 12, (uint32_t)features, 4);
    rig_wr(r, 20, 0x0b, 1);
    assert_int_equal(rig_rd(r, 20, 1), 0x0b);
    for (unsigned q = 0; q < nq; q++) {
        rig_wr(r, 22, q, 2);
        assert_int_equal(rig_rd(r, 24, 2), VIRTQ_MAX_SIZE);
        rig_wr(r, 24, 8, 2);
        rig_wr(r, 32, (uint32_t)rig_qdesc(q), 4);
        rig_wr(r, 36, 0, 4);
        rig_wr(r, 40, (uint32_t)rig_qavail(q), 4);
        rig_wr(r, 48, (uint32_t)rig_qused(q), 4);
        rig_wr(r, 28, 1, 2);
        assert_int_equal(rig_rd(r, 28, 2), 1);
    }
    rig_wr(r, 20, 0x0f, 1);
}

void rig_driver_init(struct rig *r)
{
    rig_driver_init_features(r, 1u << 9, 1);   /* FLUSH */
}

void rig_set_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t d[16];
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
    guest_mem_write(&r->mem, DESC + 16ull * i, d, 16);
}

/* One request: header, data of len bytes (device-writable for reads), status; then the notify. */
uint8_t rig_request(struct rig *r, uint32_t type, uint64_t sector, uint32_t len, bool din)
{
    uint8_t hdr[16] = { 0 };
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    guest_mem_write(&r->mem, HDR, hdr, 16);
    uint8_t status = 0xee;
    guest_mem_write(&r->mem, STATUS, &status, 1);
    rig_set_desc(r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    rig_set_desc(r, 1, DATA, len, VIRTQ_DESC_F_NEXT | (din ? VIRTQ_DESC_F_WRITE : 0), 2);
    rig_set_desc(r, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    uint16_t head = 0;
    guest_mem_write(&r->mem, AVAIL + 4 + 2ull * (r->avail_idx % 8), &head, 2);
    r->avail_idx++;
    guest_mem_write(&r->mem, AVAIL + 2, &r->avail_idx, 2);
    rig_wr(r, VIRTIO_PCI_NOTIFY, 0, 2);
    guest_mem_read(&r->mem, STATUS, &status, 1);
    return status;
}

/* A request on split queue q whose status the device may write later (an I/O thread): the same
 * three-descriptor chain as rig_request(), in q's own table; returns the status once written. */
uint8_t rig_request_q(struct rig *r, unsigned q, uint32_t type, uint64_t sector, uint32_t len,
                         bool din)
{
    uint8_t hdr[16] = { 0 };
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    guest_mem_write(&r->mem, HDR, hdr, 16);
    uint8_t status = 0xee;
    guest_mem_write(&r->mem, STATUS, &status, 1);
    uint64_t d[6] = { HDR, 16 | (uint64_t)VIRTQ_DESC_F_NEXT << 32 | 1ull << 48,
                      DATA, len | (uint64_t)(VIRTQ_DESC_F_NEXT | (din ? VIRTQ_DESC_F_WRITE : 0)) << 32 |
                      2ull << 48, STATUS, 1 | (uint64_t)VIRTQ_DESC_F_WRITE << 32 };
    guest_mem_write(&r->mem, rig_qdesc(q), d, sizeof(d));
    uint16_t idx, head = 0;
    guest_mem_read(&r->mem, rig_qavail(q) + 2, &idx, 2);
    guest_mem_write(&r->mem, rig_qavail(q) + 4 + 2ull * (idx % 8), &head, 2);
    idx++;
    guest_mem_write(&r->mem, rig_qavail(q) + 2, &idx, 2);
    rig_wr(r, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT * q, q, 2);
    for (int i = 0; i < 5000; i++) {           /* up to 5 s for an I/O thread */
        uint16_t used;
        guest_mem_read(&r->mem, rig_qused(q) + 2, &used, 2);
        if (used == idx)
            break;
        usleep(1000);
    }
    guest_mem_read(&r->mem, STATUS, &status, 1);
    return status;
}

/* Discard / write-zeroes segments {sector, num_sectors, flags} at DATA, then the request. */
uint8_t rig_zero_req(struct rig *r, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
    uint8_t seg[16];
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &n, 4);
    memcpy(seg + 12, &flags, 4);
    guest_mem_write(&r->mem, DATA, seg, 16);
    return rig_request(r, type, 0, 16, false);
}

uint8_t rig_sector_byte(struct rig *r, uint64_t sector)
{
    uint8_t b;
    assert_int_equal(rig_request(r, 0, sector, 512, true), 0);
    guest_mem_read(&r->mem, DATA + 100, &b, 1);
    return b;
}
