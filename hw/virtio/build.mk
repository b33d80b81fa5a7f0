# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/blk_test.c hw/virtio/pci_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/pci-legacy.c hw/virtio/mmio.c hw/virtio/blk.c
