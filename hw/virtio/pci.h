/* The virtio PCI transport (virtio 1.2, 4.1): vendor 0x1af4; vendor capabilities point into one
 * memory BAR (4) holding the common configuration, the ISR, the device configuration and the
 * notification area; BAR 1 holds the MSI-X table and PBA (one vector per queue, one for
 * configuration changes). Device types that had a legacy id are transitional devices, as QEMU's
 * on a PCI bus: device 0x1000 + legacy id, revision 0, and the legacy registers in I/O BAR 0
 * (pci-legacy.c) for a driver that asks for them; the others are modern only (0x1040 + type). */
#ifndef VMON_HW_VIRTIO_PCI_H
#define VMON_HW_VIRTIO_PCI_H

#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"
#include "util/eventloop.h"

#define VIRTIO_PCI_BAR_SIZE   0x4000
#define VIRTIO_PCI_COMMON     0x0000
#define VIRTIO_PCI_ISR        0x1000
#define VIRTIO_PCI_DEVICE     0x2000
#define VIRTIO_PCI_NOTIFY     0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4       /* bytes between two queues' notify addresses */
#define VIRTIO_PCI_MSIX_BAR   1
#define VIRTIO_PCI_MODERN_BAR 4
#define VIRTIO_PCI_LEGACY_BAR 0
#define VIRTIO_PCI_NO_VECTOR  0xffff

struct virtio_pci {
    struct pci_dev pci;
    struct virtio_dev *vdev;
    uint32_t dfselect, gfselect;       /* feature words the driver selected (v->lock) */
    uint16_t queue_select;
    bool transitional;                 /* the legacy interface is offered in BAR 0 */
    struct msix msix;
    uint16_t config_vector;            /* msix_config (4.1.4.3), v->lock */
    uint16_t queue_vector[VIRTIO_MAX_QUEUES];   /* queue_msix_vector of each queue */
    int notify_fd;                     /* eventfd: notify writes wake the event loop, -1 without */
    _Atomic uint32_t pending;          /* queues notified and not yet processed */
    struct evloop *loop;
    struct doorbell_link doorbell;     /* the board's ioeventfd, or none */
    _Atomic bool doorbell_offered;     /* a doorbell link that has not refused yet */
    uint64_t doorbell_at;              /* where the notify area is watched now; 0: not watched */
    _Atomic bool doorbell_on;          /* doorbell_at != 0, for the event loop */
    uint8_t cfgcap;                    /* where VIRTIO_PCI_CAP_PCI_CFG sits in config space */
};

/* Builds the PCI function around vdev. With a loop, queue notifications are processed on the
 * event-loop thread (the vCPU's write only wakes it); without one, on the writing thread. */
struct virtio_pci *virtio_pci_new(struct virtio_dev *vdev, struct evloop *loop);
void virtio_pci_free(struct virtio_pci *vp);
/* pci-cfgcap.c: the PCI configuration access capability (virtio 1.2, 4.1.4.9), added by
 * virtio_pci_new. */
void virtio_pci_cfgcap_init(struct virtio_pci *vp);
/* Offer a doorbell fast path (needs the loop): while the driver has DRIVER_OK and BAR 0 decodes,
 * notify writes (16-bit, as drivers write them) signal the event loop without a bus access. */
void virtio_pci_set_doorbell(struct virtio_pci *vp, struct doorbell_link link);

/* pci-state.c, snapshots with nothing in flight (the device quiesced): the device, the transport's
 * registers, MSI-X and PCI configuration in one section; load: 0 or -EINVAL (the section's parts
 * loaded before the fault stay). */
struct vms_writer;
struct vms_reader;
void virtio_pci_save(struct virtio_pci *vp, struct vms_writer *w);
int virtio_pci_load(struct virtio_pci *vp, struct vms_reader *r);

#endif
