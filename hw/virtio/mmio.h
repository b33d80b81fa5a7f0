/* The virtio-mmio transport, version 2 (virtio 1.2, 4.2): one 512-byte register window per device
 * and a level-triggered interrupt line, as QEMU's microvm machine has them. The board describes
 * each in the ACPI DSDT (_HID "LNRO0005", boot/aml.c), where Linux's virtio_mmio driver finds it. */
#ifndef VMON_HW_VIRTIO_MMIO_H
#define VMON_HW_VIRTIO_MMIO_H

#include "hw/link.h"
#include "hw/virtio/virtio.h"
#include "mm/bus.h"
#include "util/eventloop.h"

#define VIRTIO_MMIO_SIZE    0x200
#define VIRTIO_MMIO_MAGIC   0x74726976   /* "virt" */
#define VIRTIO_MMIO_VENDOR  0x4e4f4d56   /* "VMON" */

struct virtio_mmio {
    struct virtio_dev *vdev;
    struct irq_line irq;
    uint32_t dfselect, gfselect;       /* v->lock */
    uint32_t queue_select;
    int notify_fd;                     /* eventfd to the event loop, -1 without one */
    _Atomic uint32_t pending;          /* queues notified and not yet processed */
    struct evloop *loop;
};

/* Wraps vdev; with a loop, notifications are processed on the event-loop thread. NULL on error. */
struct virtio_mmio *virtio_mmio_new(struct virtio_dev *vdev, struct irq_line irq,
                                    struct evloop *loop);
void virtio_mmio_free(struct virtio_mmio *vm);
extern const struct io_ops virtio_mmio_ops;

/* mmio-state.c, snapshots with nothing in flight (the device quiesced): the device and the
 * transport's registers in one section; load: 0 or -EINVAL (the device part may stay loaded). */
struct vms_writer;
struct vms_reader;
void virtio_mmio_save(struct virtio_mmio *m, struct vms_writer *w);
int virtio_mmio_load(struct virtio_mmio *m, struct vms_reader *r);

#endif
