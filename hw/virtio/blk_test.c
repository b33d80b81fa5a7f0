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
    return r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->read(r->vp, off, size);
}

static void wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->write(r->vp, off, val, size);
}

static void rig_init(struct rig *r, bool readonly)
{
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
    r->b = virtio_blk_new(bs, readonly, "vmon-test", &r->mem);
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

/* Linux's virtio_pci_modern probe and virtio_dev_probe, in order (3.1.1). */
static void driver_init(struct rig *r)
{
    wr(r, 20, 0, 1);
    wr(r, 20, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    wr(r, 8, 1, 4);
    wr(r, 12, 1, 4);                        /* VERSION_1 */
    wr(r, 8, 0, 4);
    wr(r, 12, 1u << 9, 4);                  /* FLUSH */
    wr(r, 20, 0x0b, 1);
    assert_int_equal(rd(r, 20, 1), 0x0b);
    wr(r, 22, 0, 2);
    assert_int_equal(rd(r, 24, 2), VIRTQ_MAX_SIZE);
    wr(r, 24, 8, 2);
    wr(r, 32, DESC, 4);
    wr(r, 36, 0, 4);
    wr(r, 40, AVAIL, 4);
    wr(r, 48, USED, 4);
    wr(r, 28, 1, 2);
    assert_int_equal(rd(r, 28, 2), 1);
    wr(r, 20, 0x0f, 1);
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
    assert_int_equal(pci_cfg_read(d, 0, 4), 0x10011af4);    /* transitional virtio-blk */
    assert_int_equal(pci_cfg_read(d, 0x2e, 2), 2);
    assert_int_equal(pci_cfg_read(d, 0x08, 1), 0);           /* revision 0: transitional */
    /* The vendor capabilities: common, ISR, device, notify, each in BAR 4; and MSI-X. */
    int seen = 0;
    for (unsigned at = pci_cfg_read(d, 0x34, 1); at; at = pci_cfg_read(d, at + 1, 1)) {
        if (pci_cfg_read(d, at, 1) == PCI_CAP_ID_MSIX)
            continue;                       /* hw/virtio/pci_test.c */
        assert_int_equal(pci_cfg_read(d, at, 1), 0x09);
        assert_int_equal(pci_cfg_read(d, at + 4, 1), VIRTIO_PCI_MODERN_BAR);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pci_identity), cmocka_unit_test(test_features),
        cmocka_unit_test(test_requests), cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_hostile_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
