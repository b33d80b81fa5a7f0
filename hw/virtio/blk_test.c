/* virtio-blk over the modern PCI transport, driven as Linux's virtio_pci does, on a fake queue in
 * fake guest memory and a raw image in a temporary file: capabilities, feature negotiation,
 * read/write/get-id/flush requests, INTx through the ISR, and NEEDS_RESET after a hostile chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hw/virtio/blk.h"
#include "hw/virtio/packed.h"
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

static void on_irq(void *opaque, int level)
{
    struct rig *r = opaque;
    r->level = level;
    r->raises += level;
}

static uint64_t rd(struct rig *r, uint64_t off, unsigned size)
{
    return r->vp->pci.bars[0].ops->read(r->vp, off, size);
}

static void wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    r->vp->pci.bars[0].ops->write(r->vp, off, val, size);
}

static void rig_init_opts(struct rig *r, const struct virtio_blk_opts *o);

static void rig_init(struct rig *r, bool readonly)
{
    struct virtio_blk_opts o = { .id = "vmon-test", .readonly = readonly };
    rig_init_opts(r, &o);
}

static void rig_init_opts(struct rig *r, const struct virtio_blk_opts *o)
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

static void rig_free(struct rig *r)
{
    virtio_pci_free(r->vp);
    virtio_blk_free(r->b);
    unlink(r->path);
    guest_mem_destroy(&r->mem);
}

/* Queue q's rings: 0x1000 apart per queue from DESC/AVAIL/USED's pages upward. */
static uint64_t qdesc(unsigned q)  { return DESC + 0x10000ull * q; }
static uint64_t qavail(unsigned q) { return AVAIL + 0x10000ull * q; }
static uint64_t qused(unsigned q)  { return USED + 0x10000ull * q; }

/* Linux's virtio_pci_modern probe and virtio_dev_probe, in order (3.1.1), accepting the
 * features given (besides VERSION_1) and setting up nq queues of 8 entries. */
static void driver_init_features(struct rig *r, uint64_t features, unsigned nq)
{
    wr(r, 20, 0, 1);
    wr(r, 20, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    wr(r, 8, 1, 4);
    wr(r, 12, 1 | (uint32_t)(features >> 32), 4);   /* VERSION_1 */
    wr(r, 8, 0, 4);
    wr(r, 12, (uint32_t)features, 4);
    wr(r, 20, 0x0b, 1);
    assert_int_equal(rd(r, 20, 1), 0x0b);
    for (unsigned q = 0; q < nq; q++) {
        wr(r, 22, q, 2);
        assert_int_equal(rd(r, 24, 2), VIRTQ_MAX_SIZE);
        wr(r, 24, 8, 2);
        wr(r, 32, (uint32_t)qdesc(q), 4);
        wr(r, 36, 0, 4);
        wr(r, 40, (uint32_t)qavail(q), 4);
        wr(r, 48, (uint32_t)qused(q), 4);
        wr(r, 28, 1, 2);
        assert_int_equal(rd(r, 28, 2), 1);
    }
    wr(r, 20, 0x0f, 1);
}

static void driver_init(struct rig *r)
{
    driver_init_features(r, 1u << 9, 1);   /* FLUSH */
}

static void set_desc(struct rig *r, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
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
static uint8_t request(struct rig *r, uint32_t type, uint64_t sector, uint32_t len, bool din)
{
    uint8_t hdr[16] = { 0 };
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    guest_mem_write(&r->mem, HDR, hdr, 16);
    uint8_t status = 0xee;
    guest_mem_write(&r->mem, STATUS, &status, 1);
    set_desc(r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(r, 1, DATA, len, VIRTQ_DESC_F_NEXT | (din ? VIRTQ_DESC_F_WRITE : 0), 2);
    set_desc(r, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    uint16_t head = 0;
    guest_mem_write(&r->mem, AVAIL + 4 + 2ull * (r->avail_idx % 8), &head, 2);
    r->avail_idx++;
    guest_mem_write(&r->mem, AVAIL + 2, &r->avail_idx, 2);
    wr(r, VIRTIO_PCI_NOTIFY, 0, 2);
    guest_mem_read(&r->mem, STATUS, &status, 1);
    return status;
}

static void test_pci_identity(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    struct pci_dev *d = &r.vp->pci;
    assert_int_equal(pci_cfg_read(d, 0, 4), 0x10421af4);
    assert_int_equal(pci_cfg_read(d, 0x2e, 2), 2);
    assert_true(pci_cfg_read(d, 0x08, 1) >= 1);
    /* The vendor capabilities: common, ISR, device, notify, each in BAR 0. */
    int seen = 0;
    for (unsigned at = pci_cfg_read(d, 0x34, 1); at; at = pci_cfg_read(d, at + 1, 1)) {
        assert_int_equal(pci_cfg_read(d, at, 1), 0x09);
        assert_int_equal(pci_cfg_read(d, at + 4, 1), 0);
        seen |= 1 << pci_cfg_read(d, at + 3, 1);
        if (pci_cfg_read(d, at + 3, 1) == 2)
            assert_int_equal(pci_cfg_read(d, at + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
    }
    assert_int_equal(seen, 0x1e);
    /* Device config: capacity 128 sectors, seg_max, blk_size 512. */
    assert_int_equal(rd(&r, VIRTIO_PCI_DEVICE, 4), 128);
    assert_int_equal(rd(&r, VIRTIO_PCI_DEVICE + 4, 4), 0);
    assert_int_equal(rd(&r, VIRTIO_PCI_DEVICE + 20, 4), 512);
    rig_free(&r);
}

/* 3.1.1 step 5: a driver without VERSION_1 does not get FEATURES_OK. */
static void test_features(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    wr(&r, 0, 1, 4);
    assert_int_equal(rd(&r, 4, 4), 1);      /* VERSION_1 in the high word */
    wr(&r, 20, 3, 1);
    wr(&r, 8, 0, 4);
    wr(&r, 12, 1u << 9, 4);
    wr(&r, 20, 0x0b, 1);
    assert_int_equal(rd(&r, 20, 1), 0x03);
    wr(&r, 20, 0, 1);
    wr(&r, 20, 3, 1);
    wr(&r, 8, 1, 4);
    wr(&r, 12, 1 | 1u << 20, 4);           /* a bit not offered */
    wr(&r, 20, 0x0b, 1);
    assert_int_equal(rd(&r, 20, 1), 0x03);
    rig_free(&r);
}

static void test_requests(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    driver_init(&r);
    uint8_t buf[1024];
    assert_int_equal(request(&r, 0, 3, 1024, true), 0);     /* read sectors 3-4 */
    guest_mem_read(&r.mem, DATA, buf, sizeof(buf));
    assert_int_equal(buf[0], 3);
    assert_int_equal(buf[1023], 4);
    uint32_t used[2];
    guest_mem_read(&r.mem, USED + 4, used, 8);
    assert_int_equal(used[1], 1025);
    assert_int_equal(r.level, 1);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
    assert_int_equal(r.level, 0);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), 0);
    memset(buf, 0xab, 512);
    guest_mem_write(&r.mem, DATA, buf, 512);
    assert_int_equal(request(&r, 1, 7, 512, false), 0);     /* write sector 7 */
    assert_int_equal(request(&r, 4, 0, 0, false), 0);       /* flush (an empty data buffer) */
    assert_int_equal(request(&r, 0, 7, 512, true), 0);
    guest_mem_read(&r.mem, DATA, buf, 512);
    assert_int_equal(buf[0], 0xab);
    assert_int_equal(request(&r, 8, 0, 20, true), 0);       /* get-id */
    guest_mem_read(&r.mem, DATA, buf, 20);
    assert_memory_equal(buf, "vmon-test\0", 10);
    assert_int_equal(request(&r, 0, 127, 1024, true), 1);   /* past the end: IOERR */
    assert_int_equal(request(&r, 0, ~0ull, 512, true), 1);
    assert_int_equal(request(&r, 0, 0, 100, true), 1);      /* not whole sectors */
    assert_int_equal(request(&r, 99, 0, 512, true), 2);     /* unsupported */
    assert_false(rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    rig_free(&r);
}

static void test_readonly(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    driver_init(&r);
    wr(&r, 0, 0, 4);
    assert_true(rd(&r, 4, 4) & 1u << 5);                    /* VIRTIO_BLK_F_RO offered */
    assert_int_equal(request(&r, 1, 0, 512, false), 1);
    assert_int_equal(request(&r, 0, 0, 512, true), 0);
    rig_free(&r);
}

/* A chain that loops: NEEDS_RESET, a config interrupt, no more processing until a reset. */
static void test_hostile_chain(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    driver_init(&r);
    set_desc(&r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    set_desc(&r, 1, DATA, 512, VIRTQ_DESC_F_NEXT, 0);
    uint16_t head = 0, idx = 1;
    guest_mem_write(&r.mem, AVAIL + 4, &head, 2);
    guest_mem_write(&r.mem, AVAIL + 2, &idx, 2);
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    assert_true(rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), 0);
    /* A chain with no status byte is as bad. */
    wr(&r, 20, 0, 1);
    assert_int_equal(rd(&r, 20, 1), 0);
    r.avail_idx = 0;
    memset(guest_mem_hva(&r.mem, AVAIL, 64), 0, 64);
    driver_init(&r);
    set_desc(&r, 0, HDR, 16, 0, 0);
    idx = 1;
    guest_mem_write(&r.mem, AVAIL + 4, &head, 2);
    guest_mem_write(&r.mem, AVAIL + 2, &idx, 2);
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    assert_true(rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    /* Rings outside RAM: enabling the queue fails into NEEDS_RESET too. */
    wr(&r, 20, 0, 1);
    wr(&r, 20, 0x0b, 1);
    wr(&r, 32, RAM - 16, 4);
    wr(&r, 28, 1, 2);
    assert_int_equal(rd(&r, 28, 2), 0);
    assert_true(rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    rig_free(&r);
}

/* A request on split queue q whose status the device may write later (an I/O thread): the same
 * three-descriptor chain as request(), in q's own table; returns the status once written. */
static uint8_t request_q(struct rig *r, unsigned q, uint32_t type, uint64_t sector, uint32_t len,
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
    guest_mem_write(&r->mem, qdesc(q), d, sizeof(d));
    uint16_t idx, head = 0;
    guest_mem_read(&r->mem, qavail(q) + 2, &idx, 2);
    guest_mem_write(&r->mem, qavail(q) + 4 + 2ull * (idx % 8), &head, 2);
    idx++;
    guest_mem_write(&r->mem, qavail(q) + 2, &idx, 2);
    wr(r, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT * q, q, 2);
    for (int i = 0; i < 5000; i++) {           /* up to 5 s for an I/O thread */
        uint16_t used;
        guest_mem_read(&r->mem, qused(q) + 2, &used, 2);
        if (used == idx)
            break;
        usleep(1000);
    }
    guest_mem_read(&r->mem, STATUS, &status, 1);
    return status;
}

/* Discard / write-zeroes segments {sector, num_sectors, flags} at DATA, then the request. */
static uint8_t zero_req(struct rig *r, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
    uint8_t seg[16];
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &n, 4);
    memcpy(seg + 12, &flags, 4);
    guest_mem_write(&r->mem, DATA, seg, 16);
    return request(r, type, 0, 16, false);
}

static uint8_t sector_byte(struct rig *r, uint64_t sector)
{
    uint8_t b;
    assert_int_equal(request(r, 0, sector, 512, true), 0);
    guest_mem_read(&r->mem, DATA + 100, &b, 1);
    return b;
}

/* VIRTIO_BLK_F_DISCARD / WRITE_ZEROES (5.2.6.2): offered on a writable disk with their limits;
 * write-zeroes zeroes; discard reaches the image only with discard=unmap; bad segments fail. */
static void test_discard_write_zeroes(void **state)
{
    (void)state;
    struct rig r;
    struct virtio_blk_opts o = { .id = "d", .discard = true };
    rig_init_opts(&r, &o);
    wr(&r, 0, 0, 4);
    assert_true(rd(&r, 4, 4) & 1u << 13);
    assert_true(rd(&r, 4, 4) & 1u << 14);
    assert_int_equal(rd(&r, VIRTIO_PCI_DEVICE + 40, 4), VIRTIO_BLK_DISCARD_SEGS);
    assert_int_equal(rd(&r, VIRTIO_PCI_DEVICE + 44, 4), 8);     /* 4 KiB granules on raw */
    driver_init_features(&r, 1u << 9 | 1u << 13 | 1u << 14, 1);
    assert_int_equal(sector_byte(&r, 9), 9);
    assert_int_equal(zero_req(&r, 13, 8, 8, 0), 0);              /* write-zeroes 8..15 */
    assert_int_equal(sector_byte(&r, 9), 0);
    assert_int_equal(sector_byte(&r, 16), 16);
    assert_int_equal(zero_req(&r, 11, 16, 16, 0), 0);            /* discard 16..31 */
    assert_int_equal(sector_byte(&r, 20), 0);
    assert_int_equal(sector_byte(&r, 32), 32);
    assert_int_equal(zero_req(&r, 11, 32, 8, 1), 2);             /* unmap on a discard */
    assert_int_equal(zero_req(&r, 13, 32, 8, 2), 2);             /* reserved flag */
    assert_int_equal(zero_req(&r, 13, 120, 16, 0), 1);           /* past the end */
    assert_int_equal(request(&r, 13, 0, 20, false), 2);          /* not whole segments */
    assert_int_equal(sector_byte(&r, 32), 32);
    assert_false(rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    rig_free(&r);
    /* discard=ignore (the default): the request succeeds, the data stays. */
    o.discard = false;
    rig_init_opts(&r, &o);
    driver_init_features(&r, 1u << 13, 1);
    assert_int_equal(zero_req(&r, 11, 16, 16, 0), 0);
    assert_int_equal(sector_byte(&r, 20), 20);
    rig_free(&r);
    /* read-only: neither is offered, and both fail */
    o.readonly = true;
    rig_init_opts(&r, &o);
    wr(&r, 0, 0, 4);
    assert_false(rd(&r, 4, 4) & (1u << 13 | 1u << 14));
    driver_init(&r);
    assert_int_equal(zero_req(&r, 13, 8, 8, 0), 1);
    rig_free(&r);
}

/* VIRTIO_BLK_F_MQ with I/O threads: num_queues in the config, requests on either queue complete
 * from the queue's thread, with the interrupt raised there. */
static void test_multiqueue_iothreads(void **state)
{
    (void)state;
    struct rig r;
    struct virtio_blk_opts o = { .id = "mq", .num_queues = 2, .iothreads = true };
    rig_init_opts(&r, &o);
    wr(&r, 0, 0, 4);
    assert_true(rd(&r, 4, 4) & 1u << 12);
    assert_int_equal(rd(&r, 18, 2), 2);                          /* common cfg num_queues */
    assert_int_equal(rd(&r, VIRTIO_PCI_DEVICE + 34, 2), 2);
    driver_init_features(&r, 1u << 9 | 1u << 12, 2);
    for (int round = 0; round < 20; round++) {
        unsigned q = (unsigned)round % 2;
        assert_int_equal(request_q(&r, q, 0, (uint64_t)round, 512, true), 0);
        uint8_t b;
        guest_mem_read(&r.mem, DATA + 7, &b, 1);
        assert_int_equal(b, round);
    }
    assert_true(r.raises > 0);
    /* A reset with requests possibly in flight, then the queues work again. */
    wr(&r, 20, 0, 1);
    memset(guest_mem_hva(&r.mem, AVAIL, 64), 0, 64);
    memset(guest_mem_hva(&r.mem, qavail(1), 64), 0, 64);
    driver_init_features(&r, 1u << 12, 2);
    assert_int_equal(request_q(&r, 1, 0, 5, 512, true), 0);
    virtio_blk_stop(r.b);
    rig_free(&r);
    o.num_queues = VIRTIO_MAX_QUEUES + 1;
    assert_null(virtio_blk_create(NULL, &o, &r.mem));
}

/* VIRTIO_F_RING_PACKED offered with packed=on, negotiated, and a read served on a packed ring. */
static void test_packed(void **state)
{
    (void)state;
    struct rig r;
    struct virtio_blk_opts o = { .id = "p", .packed = true };
    rig_init_opts(&r, &o);
    wr(&r, 0, 1, 4);
    assert_true(rd(&r, 4, 4) & 1u << 2);                         /* bit 34 */
    driver_init_features(&r, 1ull << VIRTIO_F_RING_PACKED, 1);
    uint8_t hdr[16] = { 0 };
    uint64_t sector = 6;
    memcpy(hdr + 8, &sector, 8);
    guest_mem_write(&r.mem, HDR, hdr, 16);
    uint16_t avail = VIRTQ_PACKED_F_AVAIL;
    uint64_t d[6] = { HDR, 16 | (uint64_t)(VIRTQ_DESC_F_NEXT | avail) << 48,
                      DATA, 512 | (uint64_t)(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | avail) << 48,
                      STATUS, 1 | 7ull << 32 | (uint64_t)(VIRTQ_DESC_F_WRITE | avail) << 48 };
    guest_mem_write(&r.mem, DESC, d, sizeof(d));
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    uint8_t status, b;
    guest_mem_read(&r.mem, STATUS, &status, 1);
    assert_int_equal(status, 0);
    guest_mem_read(&r.mem, DATA, &b, 1);
    assert_int_equal(b, 6);
    uint16_t id, flags;
    uint32_t len;
    guest_mem_read(&r.mem, DESC + 8, &len, 4);
    guest_mem_read(&r.mem, DESC + 12, &id, 2);
    guest_mem_read(&r.mem, DESC + 14, &flags, 2);
    assert_int_equal(id, 7);
    assert_int_equal(len, 513);
    assert_int_equal(flags & (VIRTQ_PACKED_F_AVAIL | VIRTQ_PACKED_F_USED),
                     VIRTQ_PACKED_F_AVAIL | VIRTQ_PACKED_F_USED);
    assert_int_equal(r.level, 1);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pci_identity), cmocka_unit_test(test_features),
        cmocka_unit_test(test_requests), cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_hostile_chain), cmocka_unit_test(test_discard_write_zeroes),
        cmocka_unit_test(test_multiqueue_iothreads), cmocka_unit_test(test_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
