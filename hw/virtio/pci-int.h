/* What the modern virtio-pci transport (pci.c) shares with the legacy interface (pci-legacy.c) of
 * a transitional device: vectors, notifications, queue enabling and the ISR. Private to them. */
#ifndef VMON_HW_VIRTIO_PCI_INT_H
#define VMON_HW_VIRTIO_PCI_INT_H

#include "hw/virtio/pci.h"

/* val when the device has that MSI-X vector, else VIRTIO_PCI_NO_VECTOR. */
uint16_t virtio_pci_vector(struct virtio_pci *vp, uint32_t val);
void virtio_pci_reset_vectors(struct virtio_pci *vp);
/* Queue q was notified: processed now or on the event loop. No lock held. */
void virtio_pci_notify(struct virtio_pci *vp, unsigned q);
/* The driver enabled q with its rings set: NEEDS_RESET when they are not in RAM. v->lock held. */
void virtio_pci_enable_queue(struct virtio_pci *vp, struct virtq *q);
/* The doorbell (ioeventfd) follows DRIVER_OK and the modern BAR's address. v->lock held. */
void virtio_pci_doorbell_update(struct virtio_pci *vp);
/* Read-to-clear ISR; lowers INTx. v->lock held. */
uint8_t virtio_pci_read_isr_locked(struct virtio_pci *vp);

/* The legacy PCI device id of virtio type (0x1000 + n, virtio 1.2 4.1.2.3), 0 when it has none. */
uint16_t virtio_pci_legacy_id(uint16_t type);
/* Adds the legacy registers as I/O BAR 0. */
void virtio_pci_legacy_init(struct virtio_pci *vp);

#endif
