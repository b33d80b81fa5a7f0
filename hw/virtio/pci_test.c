/* The modern virtio-pci transport's interrupts, on a fake two-queue device: msix_config and
 * queue_msix_vector (4.1.4.3) with NO_VECTOR for vectors the device lacks, queue and configuration
 * interrupts over MSI-X once the driver enables it (the ISR's queue bit left alone, INTx low),
 * INTx and the ISR while it is off, and vectors forgotten on reset; the legacy I/O interface of
 * the transitional device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/pci.h"

#define NO_VEC VIRTIO_PCI_NO_VECTOR
/* The ring features every device offers: indirect descriptors and event idx (hw/virtio/virtio.c). */
#define RING_FEATURES (1u << VIRTIO_F_INDIRECT_DESC | 1u << VIRTIO_RING_F_EVENT_IDX)

struct rig {
    struct guest_mem mem;
    struct virtio_dev v;
    uint8_t config[8];
    struct virtio_pci *vp;
    int level, sent;
    uint32_t data;
};

/* The fake device completes nothing: a notify of queue q is "buffers used" on q. */
static void fake_notify(struct virtio_dev *v, unsigned q)
{
    virtio_notify_used_locked(v, q);
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake", .device_id = 4, .num_queues = 2, .queue_notify = fake_notify,
};

static void on_irq(void *opaque, int level)
{
    ((struct rig *)opaque)->level = level;
}

static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
    struct rig *r = opaque;
    assert_int_equal(addr, 0xfee00000);
    r->sent++;
    r->data = data;
}

static uint64_t rd(struct rig *r, uint64_t off, unsigned size)
{
    return r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->read(r->vp, off, size);
}

static void wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    r->vp->pci.bars[VIRTIO_PCI_MODERN_BAR].ops->write(r->vp, off, val, size);
}

static void table_wr(struct rig *r, uint64_t off, uint32_t val)
{
    struct pci_bar *b = &r->vp->pci.bars[VIRTIO_PCI_MSIX_BAR];
    b->ops->write(b->dev, off, val, 4);
}

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(guest_mem_init(&r->mem, 1u << 20), 0);
    virtio_dev_init(&r->v, &fake_ops, r, &r->mem, r->config, sizeof(r->config));
    r->vp = virtio_pci_new(&r->v, NULL);
    assert_non_null(r->vp);
    pci_dev_set_intx(&r->vp->pci, (struct irq_line){ on_irq, r }, 11);
    pci_dev_set_msi(&r->vp->pci, (struct msi_link){ .send = on_msi, .opaque = r });
    wr(r, 20, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK, 1);
}

static void rig_free(struct rig *r)
{
    virtio_pci_free(r->vp);
    guest_mem_destroy(&r->mem);
}

static void enable_msix(struct rig *r)
{
    unsigned cap = r->vp->msix.cap;
    pci_cfg_write(&r->vp->pci, cap + 2, MSIX_CTRL_ENABLE, 2);
    for (unsigned v = 0; v < 3; v++) {             /* vector v: data 0x40 + v, unmasked */
        table_wr(r, v * 16, 0xfee00000);
        table_wr(r, v * 16 + 8, 0x40 + v);
        table_wr(r, v * 16 + 12, 0);
    }
}

/* VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): the capability is in the list, and its window reads and writes
 * the common configuration as a BAR access would; a window past the BAR or of a bad length does
 * nothing and reads 0. */
static void test_cfg_window(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    struct pci_dev *d = &r.vp->pci;
    unsigned at = 0;
    for (unsigned p = pci_cfg_read(d, 0x34, 1); p; p = pci_cfg_read(d, p + 1, 1))
        if (pci_cfg_read(d, p, 1) == 0x09 && pci_cfg_read(d, p + 3, 1) == 5)
            at = p;
    assert_int_not_equal(at, 0);
    assert_int_equal(at, r.vp->cfgcap);
    pci_cfg_write(d, at + 4, VIRTIO_PCI_MODERN_BAR, 1);
    pci_cfg_write(d, at + 8, VIRTIO_PCI_COMMON + 18, 4);     /* num_queues */
    pci_cfg_write(d, at + 12, 2, 4);
    assert_int_equal(pci_cfg_read(d, at + 16, 2), 2);
    pci_cfg_write(d, at + 8, VIRTIO_PCI_COMMON + 22, 4);     /* queue_select := 1 through the window */
    pci_cfg_write(d, at + 16, 1, 2);
    assert_int_equal(rd(&r, 22, 2), 1);
    pci_cfg_write(d, at + 8, VIRTIO_PCI_BAR_SIZE - 2, 4);    /* 4 bytes past the BAR's end */
    pci_cfg_write(d, at + 12, 4, 4);
    assert_int_equal(pci_cfg_read(d, at + 16, 4), 0);
    pci_cfg_write(d, at + 8, VIRTIO_PCI_COMMON + 22, 4);
    pci_cfg_write(d, at + 12, 3, 4);                         /* no such length */
    pci_cfg_write(d, at + 16, 0, 2);
    assert_int_equal(rd(&r, 22, 2), 1);
    pci_cfg_write(d, at + 4, 5, 1);                          /* a BAR the function lacks */
    pci_cfg_write(d, at + 12, 2, 4);
    assert_int_equal(pci_cfg_read(d, at + 16, 2), 0);
    rig_free(&r);
}

static void test_vectors(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    struct pci_dev *d = &r.vp->pci;
    unsigned cap = r.vp->msix.cap;
    assert_int_equal(pci_cfg_read(d, cap, 1), PCI_CAP_ID_MSIX);
    assert_int_equal(pci_cfg_read(d, cap + 2, 2) & 0x7ff, 2);   /* 3 vectors: queues + config */
    assert_int_equal(rd(&r, 16, 2), NO_VEC);
    wr(&r, 16, 0, 2);
    assert_int_equal(rd(&r, 16, 2), 0);
    wr(&r, 16, 3, 2);                                /* no such vector: reads back NO_VECTOR */
    assert_int_equal(rd(&r, 16, 2), NO_VEC);
    wr(&r, 22, 1, 2);
    wr(&r, 26, 2, 2);
    assert_int_equal(rd(&r, 26, 2), 2);
    wr(&r, 22, 0, 2);
    assert_int_equal(rd(&r, 26, 2), NO_VEC);
    wr(&r, 22, 7, 2);                                /* a queue that does not exist */
    wr(&r, 26, 1, 2);
    assert_int_equal(rd(&r, 26, 2), NO_VEC);
    wr(&r, 20, 0, 1);                                /* reset forgets them */
    wr(&r, 22, 1, 2);
    assert_int_equal(rd(&r, 26, 2), NO_VEC);
    rig_free(&r);
}

static void test_intx_until_msix(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    wr(&r, 22, 1, 2);
    wr(&r, 26, 2, 2);
    wr(&r, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, 0, 2);   /* queue 1 */
    assert_int_equal(r.level, 1);
    assert_int_equal(r.sent, 0);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_QUEUE);
    assert_int_equal(r.level, 0);
    rig_free(&r);
}

static void test_msix_delivery(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    wr(&r, 16, 0, 2);                                /* config: vector 0 */
    wr(&r, 22, 1, 2);
    wr(&r, 26, 2, 2);                                /* queue 1: vector 2; queue 0: none */
    enable_msix(&r);
    wr(&r, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, 0, 2);
    assert_int_equal(r.sent, 1);
    assert_int_equal(r.data, 0x42);
    assert_int_equal(r.level, 0);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), 0);  /* the queue bit is INTx's */
    wr(&r, VIRTIO_PCI_NOTIFY, 0, 2);                 /* queue 0 has NO_VECTOR: nothing */
    assert_int_equal(r.sent, 1);
    assert_int_equal(r.level, 0);
    pthread_mutex_lock(&r.v.lock);
    virtio_needs_reset_locked(&r.v, "test");
    pthread_mutex_unlock(&r.v.lock);
    assert_int_equal(r.sent, 2);
    assert_int_equal(r.data, 0x40);
    assert_int_equal(rd(&r, VIRTIO_PCI_ISR, 1), VIRTIO_ISR_CONFIG);
    /* A masked vector pends and fires on unmask. */
    wr(&r, 20, 0, 1);
    wr(&r, 20, VIRTIO_STATUS_DRIVER_OK, 1);
    wr(&r, 22, 1, 2);
    wr(&r, 26, 1, 2);
    table_wr(&r, 16 + 12, 1);
    wr(&r, VIRTIO_PCI_NOTIFY + VIRTIO_PCI_NOTIFY_MULT, 0, 2);
    assert_int_equal(r.sent, 2);
    table_wr(&r, 16 + 12, 0);
    assert_int_equal(r.sent, 3);
    assert_int_equal(r.data, 0x41);
    rig_free(&r);
}

static uint64_t io_rd(struct rig *r, uint64_t off, unsigned size)
{
    struct pci_bar *b = &r->vp->pci.bars[VIRTIO_PCI_LEGACY_BAR];
    return b->ops->read(b->dev, off, size);
}

static void io_wr(struct rig *r, uint64_t off, uint64_t val, unsigned size)
{
    struct pci_bar *b = &r->vp->pci.bars[VIRTIO_PCI_LEGACY_BAR];
    b->ops->write(b->dev, off, val, size);
}

/* The legacy interface of the transitional device (4.1.4.8), as Linux's virtio_pci_legacy uses
 * it: features, a queue at a page frame, status, ISR, vectors, device config after them. */
static void test_legacy(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    struct pci_dev *d = &r.vp->pci;
    assert_int_equal(pci_cfg_read(d, 0, 4), 0x10051af4);        /* 0x1005: entropy, transitional */
    assert_int_equal(pci_cfg_read(d, PCI_REVISION_ID, 1), 0);
    assert_int_equal(pci_cfg_read(d, PCI_SUBSYSTEM_ID, 2), 4);
    assert_true(d->bars[VIRTIO_PCI_LEGACY_BAR].io);
    r.config[0] = 0x5a;
    io_wr(&r, 0x12, 0, 1);                                       /* reset */
    assert_int_equal(io_rd(&r, 0x00, 4), RING_FEATURES);   /* no VERSION_1 */
    io_wr(&r, 0x04, 0xffffffff, 4);
    assert_int_equal(io_rd(&r, 0x04, 4), RING_FEATURES);   /* only what is offered */
    io_wr(&r, 0x12, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
    io_wr(&r, 0x0e, 1, 2);
    assert_int_equal(io_rd(&r, 0x0c, 2), VIRTQ_MAX_SIZE);
    assert_int_equal(io_rd(&r, 0x08, 4), 0);
    io_wr(&r, 0x08, 0x10, 4);                                    /* rings at 0x10000 */
    struct virtq *q = &r.v.queues[1];
    assert_true(q->ready);
    assert_int_equal(q->desc, 0x10000);
    assert_int_equal(q->avail, 0x10000 + 16 * VIRTQ_MAX_SIZE);
    assert_int_equal(q->used, 0x10000 + 0x2000);                 /* 4096-aligned after avail */
    assert_int_equal(io_rd(&r, 0x08, 4), 0x10);
    io_wr(&r, 0x0e, 0, 2);
    io_wr(&r, 0x08, 0xfffff, 4);                                 /* outside RAM: NEEDS_RESET */
    assert_true(io_rd(&r, 0x12, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(io_rd(&r, 0x13, 1), VIRTIO_ISR_CONFIG);     /* read clears */
    assert_int_equal(io_rd(&r, 0x13, 1), 0);
    io_wr(&r, 0x12, 0, 1);
    io_wr(&r, 0x12, VIRTIO_STATUS_DRIVER_OK, 1);
    io_wr(&r, 0x10, 1, 2);                                       /* queue 1 notify: INTx */
    assert_int_equal(r.level, 1);
    assert_int_equal(io_rd(&r, 0x13, 1), VIRTIO_ISR_QUEUE);
    assert_int_equal(r.level, 0);
    /* Device config at 0x14 without MSI-X, 0x18 with it; then the vector registers exist. */
    assert_int_equal(io_rd(&r, 0x14, 1), 0x5a);
    enable_msix(&r);
    assert_int_equal(io_rd(&r, 0x18, 1), 0x5a);
    io_wr(&r, 0x14, 0, 2);
    assert_int_equal(io_rd(&r, 0x14, 2), 0);
    io_wr(&r, 0x0e, 1, 2);
    io_wr(&r, 0x16, 2, 2);
    assert_int_equal(io_rd(&r, 0x16, 2), 2);
    io_wr(&r, 0x16, 9, 2);
    assert_int_equal(io_rd(&r, 0x16, 2), NO_VEC);
    io_wr(&r, 0x16, 1, 2);
    io_wr(&r, 0x10, 1, 2);
    assert_int_equal(r.sent, 1);
    assert_int_equal(r.data, 0x41);
    /* Wrong widths and offsets: nothing. */
    assert_int_equal(io_rd(&r, 0x00, 2), 0);
    assert_int_equal(io_rd(&r, 0x01, 4), 0);
    io_wr(&r, 0x12, 0, 4);
    assert_int_equal(io_rd(&r, 0x12, 1), VIRTIO_STATUS_DRIVER_OK);
    io_wr(&r, 0x10, 7, 2);                                       /* no queue 7 */
    assert_int_equal(io_rd(&r, 0xff, 1), 0);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors), cmocka_unit_test(test_cfg_window), cmocka_unit_test(test_intx_until_msix),
        cmocka_unit_test(test_msix_delivery), cmocka_unit_test(test_legacy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
