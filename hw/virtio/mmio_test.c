/* virtio-mmio version 2 on a fake two-queue device, as Linux's virtio_mmio probes and drives it:
 * identification, 64 feature bits through the select registers, queue set-up and ready, a notify
 * raising InterruptStatus and the level line until the driver acknowledges it, rings outside RAM
 * (NEEDS_RESET with a configuration interrupt), and accesses of the wrong width. A snapshot
 * (mmio-state.c) carries status, queues, InterruptStatus with its line, and QueueSel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/mmio.h"
#include "migration/vmstate.h"
#include "migration/vms-rig_test.h"

struct rig {
    struct guest_mem mem;
    struct virtio_dev v;
    uint8_t config[8];
    struct virtio_mmio *m;
    int level;
};

static void fake_notify(struct virtio_dev *v, unsigned q)
{
    virtio_notify_used_locked(v, q);
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake", .device_id = 2, .num_queues = 2, .features = 1ull << 9,
    .queue_notify = fake_notify,
};

static void on_irq(void *opaque, int level)
{
    ((struct rig *)opaque)->level = level;
}

static uint64_t rd(struct rig *r, uint64_t off, unsigned size)
{
    return virtio_mmio_ops.read(r->m, off, size);
}

static void wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    virtio_mmio_ops.write(r->m, off, val, size);
}

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(guest_mem_init(&r->mem, 1u << 20), 0);
    virtio_dev_init(&r->v, &fake_ops, r, &r->mem, r->config, sizeof(r->config));
    r->m = virtio_mmio_new(&r->v, (struct irq_line){ on_irq, r }, NULL);
    assert_non_null(r->m);
}

static void rig_free(struct rig *r)
{
    virtio_mmio_free(r->m);
    guest_mem_destroy(&r->mem);
}

/* 3.1.1 through FEATURES_OK, then queue q at 0x1000/0x2000/0x3000 with 8 entries. */
static void driver_init(struct rig *r, unsigned q)
{
    wr(r, 0x070, 0, 4);
    wr(r, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 4);
    wr(r, 0x024, 1, 4);
    wr(r, 0x020, 1, 4);                          /* VERSION_1 */
    wr(r, 0x024, 0, 4);
    wr(r, 0x020, 1u << 9, 4);
    wr(r, 0x070, 0x0b, 4);
    assert_int_equal(rd(r, 0x070, 4), 0x0b);
    wr(r, 0x030, q, 4);
    assert_int_equal(rd(r, 0x034, 4), VIRTQ_MAX_SIZE);
    assert_int_equal(rd(r, 0x044, 4), 0);
    wr(r, 0x038, 8, 4);
    wr(r, 0x080, 0x1000, 4);
    wr(r, 0x084, 0, 4);
    wr(r, 0x090, 0x2000, 4);
    wr(r, 0x0a0, 0x3000, 4);
    wr(r, 0x044, 1, 4);
    assert_int_equal(rd(r, 0x044, 4), 1);
    wr(r, 0x070, 0x0f, 4);
}

static void test_identity_and_features(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(rd(&r, 0x000, 4), VIRTIO_MMIO_MAGIC);
    assert_int_equal(rd(&r, 0x004, 4), 2);
    assert_int_equal(rd(&r, 0x008, 4), 2);
    assert_int_equal(rd(&r, 0x00c, 4), VIRTIO_MMIO_VENDOR);
    wr(&r, 0x014, 0, 4);
    assert_int_equal(rd(&r, 0x010, 4), 1u << 9 | 1u << VIRTIO_F_INDIRECT_DESC | 1u << VIRTIO_RING_F_EVENT_IDX);
    wr(&r, 0x014, 1, 4);
    assert_int_equal(rd(&r, 0x010, 4), 1);       /* VERSION_1 */
    wr(&r, 0x014, 7, 4);
    assert_int_equal(rd(&r, 0x010, 4), 0);
    r.config[3] = 0x77;
    assert_int_equal(rd(&r, 0x103, 1), 0x77);
    assert_int_equal(rd(&r, 0x100 + 8, 1), 0);   /* past the config */
    /* Without VERSION_1 the device refuses FEATURES_OK. */
    wr(&r, 0x070, 3, 4);
    wr(&r, 0x024, 0, 4);
    wr(&r, 0x020, 1u << 9, 4);
    wr(&r, 0x070, 0x0b, 4);
    assert_int_equal(rd(&r, 0x070, 4), 0x03);
    rig_free(&r);
}

static void test_queue_and_interrupt(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    driver_init(&r, 1);
    assert_true(r.v.queues[1].ready);
    assert_int_equal(r.v.queues[1].size, 8);
    wr(&r, 0x038, 16, 4);                        /* ignored while ready */
    assert_int_equal(r.v.queues[1].size, 8);
    wr(&r, 0x050, 1, 4);
    assert_int_equal(rd(&r, 0x060, 4), VIRTIO_ISR_QUEUE);
    assert_int_equal(r.level, 1);
    assert_int_equal(rd(&r, 0x060, 4), VIRTIO_ISR_QUEUE);   /* not read-to-clear */
    wr(&r, 0x064, VIRTIO_ISR_QUEUE, 4);
    assert_int_equal(rd(&r, 0x060, 4), 0);
    assert_int_equal(r.level, 0);
    wr(&r, 0x050, 5, 4);                         /* no such queue */
    assert_int_equal(r.level, 0);
    wr(&r, 0x070, 0, 4);                         /* reset: queues gone */
    assert_false(r.v.queues[1].ready);
    rig_free(&r);
}

static void test_hostile(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(rd(&r, 0x000, 2), 0);       /* registers are 32-bit only */
    assert_int_equal(rd(&r, 0x002, 4), 0);
    wr(&r, 0x070, 3, 1);
    assert_int_equal(rd(&r, 0x070, 4), 0);
    wr(&r, 0x030, 0, 4);
    wr(&r, 0x038, 8, 4);
    wr(&r, 0x080, 0xfffff000, 4);                /* rings outside RAM */
    wr(&r, 0x084, 0xffffffff, 4);
    wr(&r, 0x070, 0x0f, 4);
    wr(&r, 0x044, 1, 4);
    assert_int_equal(rd(&r, 0x044, 4), 0);
    assert_true(rd(&r, 0x070, 4) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(rd(&r, 0x060, 4), VIRTIO_ISR_CONFIG);
    assert_int_equal(r.level, 1);
    assert_int_equal(rd(&r, 0x0fc, 4), 1);       /* the config generation moved */
    wr(&r, 0x050, 0, 4);                         /* a notify to a broken device: nothing */
    assert_int_equal(rd(&r, 0x060, 4), VIRTIO_ISR_CONFIG);
    wr(&r, 0x100, 0xffffffff, 4);                /* the config is read-only */
    assert_int_equal(rd(&r, 0x100, 4), 0);
    rig_free(&r);
}

static void test_state(void **state)
{
    (void)state;
    struct rig a, b;
    rig_init(&a);
    rig_init(&b);
    driver_init(&a, 1);
    wr(&a, 0x050, 1, 4);                         /* InterruptStatus and the line up */
    struct vms_writer w;
    vms_writer_init(&w);
    vms_begin(&w, VMS_TAG('V', 'B', 'L', 'M'), 0);
    virtio_mmio_save(a.m, &w);
    vms_end(&w);
    assert_int_equal(vms_finish(&w), 0);
    static struct vms_index idx;
    struct vms_reader r;
    vms_test_reader(&w, &idx, &r);
    r.len -= 1;                                  /* cut short: refused */
    assert_int_not_equal(virtio_mmio_load(b.m, &r), 0);
    assert_int_equal(b.level, 0);
    vms_reader_init(&r, &idx.s[0]);
    assert_int_equal(virtio_mmio_load(b.m, &r), 0);
    assert_int_equal(rd(&b, 0x070, 4), 0x0f);
    assert_int_equal(rd(&b, 0x044, 4), 1);       /* QueueSel 1, ready */
    assert_int_equal(rd(&b, 0x060, 4), VIRTIO_ISR_QUEUE);
    assert_int_equal(b.level, 1);
    assert_int_equal(b.v.queues[1].desc, 0x1000);
    vms_writer_free(&w);
    rig_free(&a);
    rig_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_features), cmocka_unit_test(test_queue_and_interrupt),
        cmocka_unit_test(test_hostile), cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
