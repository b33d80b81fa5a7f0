/* virtio-pci's doorbell (the board's ioeventfd link): watched at BAR 0's notify area for every
 * queue once the driver sets DRIVER_OK with memory decode on, dropped at reset, moved with the BAR
 * at the next notify, never set without an event loop, and given up (notify writes keep coming
 * through the bus) when the link refuses it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/pci.h"

#define BAR_A 0xc0000000u
#define BAR_B 0xc0010000u

struct watch { uint64_t addr; unsigned len; int fd; bool on; };

struct rig {
    struct guest_mem mem;
    struct virtio_dev vdev;
    struct virtio_pci *vp;
    struct evloop *loop;
    struct bus pio, mmio;
    struct watch calls[16];
    int ncalls, refuse, notified;
};

static int watch(void *opaque, uint64_t addr, unsigned len, int fd, bool on)
{
    struct rig *r = opaque;
    if (r->ncalls < 16)
        r->calls[r->ncalls++] = (struct watch){ addr, len, fd, on };
    return on && r->refuse ? -ENOTSUP : 0;
}

static void queue_notify(struct virtio_dev *v, unsigned q)
{
    struct rig *r = v->opaque;
    (void)q;
    r->notified++;
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake", .device_id = 4, .num_queues = 2, .queue_notify = queue_notify,
};

static void bar_at(struct rig *r, uint32_t addr)
{
    pci_cfg_write(&r->vp->pci, PCI_BAR0 + 4 * VIRTIO_PCI_MODERN_BAR, addr, 4);
    pci_cfg_write(&r->vp->pci, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

static void rig_init(struct rig *r, bool with_loop)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(guest_mem_init(&r->mem, 1u << 20), 0);
    virtio_dev_init(&r->vdev, &fake_ops, r, &r->mem, NULL, 0);
    r->loop = with_loop ? evloop_new() : NULL;
    r->vp = virtio_pci_new(&r->vdev, r->loop);
    assert_non_null(r->vp);
    bus_init(&r->pio, "pio");
    bus_init(&r->mmio, "mmio");
    r->vp->pci.pio = &r->pio;
    r->vp->pci.mmio = &r->mmio;
    virtio_pci_set_doorbell(r->vp, (struct doorbell_link){ watch, r });
    bar_at(r, BAR_A);
}

static void rig_free(struct rig *r)
{
    virtio_pci_free(r->vp);
    if (r->loop)
        evloop_free(r->loop);
    guest_mem_destroy(&r->mem);
}

static void wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->write(r->vp, off, val, size);
}

static void driver_ok(struct rig *r)
{
    wr(r, 20, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    wr(r, 8, 1, 4);
    wr(r, 12, 1, 4);                                    /* VERSION_1 */
    wr(r, 20, 0x0b, 1);
    assert_int_equal(r->ncalls, 0);                     /* nothing before DRIVER_OK */
    wr(r, 20, 0x0f, 1);
}

static void expect(const struct rig *r, int i, uint64_t addr, bool on)
{
    assert_true(i < r->ncalls);
    assert_int_equal(r->calls[i].addr, addr);
    assert_int_equal(r->calls[i].len, 2);
    assert_int_equal(r->calls[i].fd, r->vp->notify_fd);
    assert_int_equal(r->calls[i].on, on);
}

static void test_follows_driver_ok(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    driver_ok(&r);
    assert_int_equal(r.ncalls, 2);                      /* one per queue */
    expect(&r, 0, BAR_A + VIRTIO_PCI_NOTIFY, true);
    expect(&r, 1, BAR_A + VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, true);
    wr(&r, 20, 0, 1);                                   /* reset: both dropped */
    assert_int_equal(r.ncalls, 4);
    expect(&r, 2, BAR_A + VIRTIO_PCI_NOTIFY, false);
    expect(&r, 3, BAR_A + VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, false);
    rig_free(&r);
}

static void test_moves_with_the_bar(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    driver_ok(&r);
    bar_at(&r, BAR_B);
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);                    /* the first notify at the new place */
    assert_int_equal(r.ncalls, 6);
    expect(&r, 2, BAR_A + VIRTIO_PCI_NOTIFY, false);
    expect(&r, 4, BAR_B + VIRTIO_PCI_NOTIFY, true);
    expect(&r, 5, BAR_B + VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, true);
    rig_free(&r);                                       /* freeing drops it */
    assert_int_equal(r.ncalls, 8);
    assert_false(r.calls[7].on);
}

static void test_refused(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true);
    r.refuse = 1;
    driver_ok(&r);
    assert_int_equal(r.ncalls, 1);                      /* the first refusal ends it */
    assert_int_equal(r.vp->doorbell_at, 0);
    assert_false(r.vp->doorbell_offered);
    wr(&r, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, 1, 2);
    assert_int_equal(r.vp->pending, 2);                 /* through the bus: queue 1 pending */
    wr(&r, 20, 0, 1);
    assert_int_equal(r.ncalls, 1);
    rig_free(&r);
}

static void test_no_loop_no_doorbell(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false);
    driver_ok(&r);
    assert_int_equal(r.ncalls, 0);
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);                    /* processed on the writer's thread */
    assert_int_equal(r.notified, 1);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_driver_ok),
        cmocka_unit_test(test_moves_with_the_bar),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_no_loop_no_doorbell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
