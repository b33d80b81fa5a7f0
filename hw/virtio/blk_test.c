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

#include "hw/virtio/blk-rig.h"

static void test_pci_identity(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    struct pci_dev *d = &r.vp->pci;
    assert_int_equal(pci_cfg_read(d, 0, 4), 0x10011af4);    /* transitional virtio-blk */
    assert_int_equal(pci_cfg_read(d, 0x2e, 2), 2);
    assert_int_equal(pci_cfg_read(d, 0x08, 1), 0);           /* revision 0: transitional */
    /* The vendor capabilities: common, ISR, device, notify, each in BAR 4; the PCI configuration
     * access window (its BAR is the driver's to set); and MSI-X. */
    int seen = 0;
    for (unsigned at = pci_cfg_read(d, 0x34, 1); at; at = pci_cfg_read(d, at + 1, 1)) {
        if (pci_cfg_read(d, at, 1) == PCI_CAP_ID_MSIX)
            continue;                       /* hw/virtio/pci_test.c */
        assert_int_equal(pci_cfg_read(d, at, 1), 0x09);
        if (pci_cfg_read(d, at + 3, 1) != 5)
            assert_int_equal(pci_cfg_read(d, at + 4, 1), VIRTIO_PCI_MODERN_BAR);
        seen |= 1 << pci_cfg_read(d, at + 3, 1);
        if (pci_cfg_read(d, at + 3, 1) == 2)
            assert_int_equal(pci_cfg_read(d, at + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
    }
    assert_int_equal(seen, 0x3e);
    /* Device config: capacity 128 sectors, seg_max, blk_size 512. */
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_DEVICE, 4), 128);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_DEVICE + 4, 4), 0);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_DEVICE + 20, 4), 512);
    rig_free(&r);
}

/* 3.1.1 step 5: a driver without VERSION_1 does not get FEATURES_OK. */
static void test_features(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    rig_wr(&r, 0, 1, 4);
    assert_int_equal(rig_rd(&r, 4, 4), 1);      /* VERSION_1 in the high word */
    rig_wr(&r, 20, 3, 1);
    rig_wr(&r, 8, 0, 4);
    rig_wr(&r, 12, 1u << 9, 4);
    rig_wr(&r, 20, 0x0b, 1);
    assert_int_equal(rig_rd(&r, 20, 1), 0x03);
    rig_wr(&r, 20, 0, 1);
    rig_wr(&r, 20, 3, 1);
    rig_wr(&r, 8, 1, 4);
    rig_wr(&r, 12, 1 | 1u << 20, 4);           /* a bit not offered */
    rig_wr(&r, 20, 0x0b, 1);
    assert_int_equal(rig_rd(&r, 20, 1), 0x03);
    rig_free(&r);
}

static void test_requests(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    rig_driver_init(&r);
    uint8_t buf[1024];
    assert_int_equal(rig_request(&r, 0, 3, 1024, true), 0);     /* read sectors 3-4 */
    guest_mem_read(&r.mem, DATA, buf, sizeof(buf));
    assert_int_equal(buf[0], 3);
    assert_int_equal(buf[1023], 4);
    uint32_t used[2];
    guest_mem_read(&r.mem, USED + 4, used, 8);
    assert_int_equal(used[1], 1025);
    assert_int_equal(r.level, 1);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
    assert_int_equal(r.level, 0);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_ISR, 1), 0);
    memset(buf, 0xab, 512);
    guest_mem_write(&r.mem, DATA, buf, 512);
    assert_int_equal(rig_request(&r, 1, 7, 512, false), 0);     /* write sector 7 */
    assert_int_equal(rig_request(&r, 4, 0, 0, false), 0);       /* flush (an empty data buffer) */
    assert_int_equal(rig_request(&r, 0, 7, 512, true), 0);
    guest_mem_read(&r.mem, DATA, buf, 512);
    assert_int_equal(buf[0], 0xab);
    assert_int_equal(rig_request(&r, 8, 0, 20, true), 0);       /* get-id */
    guest_mem_read(&r.mem, DATA, buf, 20);
    assert_memory_equal(buf, "vmon-test\0", 10);
    assert_int_equal(rig_request(&r, 0, 127, 1024, true), 1);   /* past the end: IOERR */
    assert_int_equal(rig_request(&r, 0, ~0ull, 512, true), 1);
    assert_int_equal(rig_request(&r, 0, 0, 100, true), 1);      /* not whole sectors */
    assert_int_equal(rig_request(&r, 99, 0, 512, true), 2);     /* unsupported */
    assert_false(rig_rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    rig_free(&r);
}

static void test_readonly(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    rig_driver_init(&r);
    rig_wr(&r, 0, 0, 4);
    assert_true(rig_rd(&r, 4, 4) & 1u << 5);                    /* VIRTIO_BLK_F_RO offered */
    assert_int_equal(rig_request(&r, 1, 0, 512, false), 1);
    assert_int_equal(rig_request(&r, 0, 0, 512, true), 0);
    rig_free(&r);
}

/* A chain that loops: NEEDS_RESET, a config interrupt, no more processing until a reset. */
static void test_hostile_chain(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    rig_driver_init(&r);
    rig_set_desc(&r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    rig_set_desc(&r, 1, DATA, 512, VIRTQ_DESC_F_NEXT, 0);
    uint16_t head = 0, idx = 1;
    guest_mem_write(&r.mem, AVAIL + 4, &head, 2);
    guest_mem_write(&r.mem, AVAIL + 2, &idx, 2);
    rig_wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    assert_true(rig_rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
    rig_wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_ISR, 1), 0);
    /* A chain with no status byte is as bad. */
    rig_wr(&r, 20, 0, 1);
    assert_int_equal(rig_rd(&r, 20, 1), 0);
    r.avail_idx = 0;
    memset(guest_mem_hva(&r.mem, AVAIL, 64), 0, 64);
    rig_driver_init(&r);
    rig_set_desc(&r, 0, HDR, 16, 0, 0);
    idx = 1;
    guest_mem_write(&r.mem, AVAIL + 4, &head, 2);
    guest_mem_write(&r.mem, AVAIL + 2, &idx, 2);
    rig_wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
    assert_true(rig_rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    /* Rings outside RAM: enabling the queue fails into NEEDS_RESET too. */
    rig_wr(&r, 20, 0, 1);
    rig_wr(&r, 20, 0x0b, 1);
    rig_wr(&r, 32, RAM - 16, 4);
    rig_wr(&r, 28, 1, 2);
    assert_int_equal(rig_rd(&r, 28, 2), 0);
    assert_true(rig_rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
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
