/* virtio-blk's optional features over the PCI transport, on the test rig (blk-rig.h): discard and
 * write-zeroes (5.2.6.2), multiple queues served by I/O threads (VIRTIO_BLK_F_MQ), and a request
 * on a packed ring (VIRTIO_F_RING_PACKED). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/blk-rig.h"
#include "hw/virtio/packed.h"

/* VIRTIO_BLK_F_DISCARD / WRITE_ZEROES (5.2.6.2): offered on a writable disk with their limits;
 * write-zeroes zeroes; discard reaches the image only with discard=unmap; bad segments fail. */
static void test_discard_write_zeroes(void **state)
{
    (void)state;
    struct rig r;
    struct virtio_blk_opts o = { .id = "d", .discard = true };
    rig_init_opts(&r, &o);
    rig_wr(&r, 0, 0, 4);
    assert_true(rig_rd(&r, 4, 4) & 1u << 13);
    assert_true(rig_rd(&r, 4, 4) & 1u << 14);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_DEVICE + 40, 4), VIRTIO_BLK_DISCARD_SEGS);
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_DEVICE + 44, 4), 8);     /* 4 KiB granules on raw */
    rig_driver_init_features(&r, 1u << 9 | 1u << 13 | 1u << 14, 1);
    assert_int_equal(rig_sector_byte(&r, 9), 9);
    assert_int_equal(rig_zero_req(&r, 13, 8, 8, 0), 0);              /* write-zeroes 8..15 */
    assert_int_equal(rig_sector_byte(&r, 9), 0);
    assert_int_equal(rig_sector_byte(&r, 16), 16);
    assert_int_equal(rig_zero_req(&r, 11, 16, 16, 0), 0);            /* discard 16..31 */
    assert_int_equal(rig_sector_byte(&r, 20), 0);
    assert_int_equal(rig_sector_byte(&r, 32), 32);
    assert_int_equal(rig_zero_req(&r, 11, 32, 8, 1), 2);             /* unmap on a discard */
    assert_int_equal(rig_zero_req(&r, 13, 32, 8, 2), 2);             /* reserved flag */
    assert_int_equal(rig_zero_req(&r, 13, 120, 16, 0), 1);           /* past the end */
    assert_int_equal(rig_request(&r, 13, 0, 20, false), 2);          /* not whole segments */
    assert_int_equal(rig_sector_byte(&r, 32), 32);
    assert_false(rig_rd(&r, 20, 1) & VIRTIO_STATUS_NEEDS_RESET);
    rig_free(&r);
    /* discard=ignore (the default): the request succeeds, the data stays. */
    o.discard = false;
    rig_init_opts(&r, &o);
    rig_driver_init_features(&r, 1u << 13, 1);
    assert_int_equal(rig_zero_req(&r, 11, 16, 16, 0), 0);
    assert_int_equal(rig_sector_byte(&r, 20), 20);
    rig_free(&r);
    /* read-only: neither is offered, and both fail */
    o.readonly = true;
    rig_init_opts(&r, &o);
    rig_wr(&r, 0, 0, 4);
    assert_false(rig_rd(&r, 4, 4) & (1u << 13 | 1u << 14));
    rig_driver_init(&r);
    assert_int_equal(rig_zero_req(&r, 13, 8, 8, 0), 1);
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
    rig_wr(&r, 0, 0, 4);
    assert_true(rig_rd(&r, 4, 4) & 1u << 12);
    assert_int_equal(rig_rd(&r, 18, 2), 2);                          /* common cfg num_queues */
    assert_int_equal(rig_rd(&r, VIRTIO_PCI_DEVICE + 34, 2), 2);
    rig_driver_init_features(&r, 1u << 9 | 1u << 12, 2);
    for (int round = 0; round < 20; round++) {
        unsigned q = (unsigned)round % 2;
        assert_int_equal(rig_request_q(&r, q, 0, (uint64_t)round, 512, true), 0);
        uint8_t b;
        guest_mem_read(&r.mem, DATA + 7, &b, 1);
        assert_int_equal(b, round);
    }
    assert_true(r.raises > 0);
    /* A reset with requests possibly in flight, then the queues work again. */
    rig_wr(&r, 20, 0, 1);
    memset(guest_mem_hva(&r.mem, AVAIL, 64), 0, 64);
    memset(guest_mem_hva(&r.mem, rig_qavail(1), 64), 0, 64);
    rig_driver_init_features(&r, 1u << 12, 2);
    assert_int_equal(rig_request_q(&r, 1, 0, 5, 512, true), 0);
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
    rig_wr(&r, 0, 1, 4);
    assert_true(rig_rd(&r, 4, 4) & 1u << 2);                         /* bit 34 */
    rig_driver_init_features(&r, 1ull << VIRTIO_F_RING_PACKED, 1);
    uint8_t hdr[16] = { 0 };
    uint64_t sector = 6;
    memcpy(hdr + 8, &sector, 8);
    guest_mem_write(&r.mem, HDR, hdr, 16);
    uint16_t avail = VIRTQ_PACKED_F_AVAIL;
    uint64_t d[6] = { HDR, 16 | (uint64_t)(VIRTQ_DESC_F_NEXT | avail) << 48,
                      DATA, 512 | (uint64_t)(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | avail) << 48,
                      STATUS, 1 | 7ull << 32 | (uint64_t)(VIRTQ_DESC_F_WRITE | avail) << 48 };
    guest_mem_write(&r.mem, DESC, d, sizeof(d));
    rig_wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);
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
        cmocka_unit_test(test_discard_write_zeroes), cmocka_unit_test(test_multiqueue_iothreads),
        cmocka_unit_test(test_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
