# hw/virtio/: split and packed virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c hw/virtio/packed.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/packed_test.c hw/virtio/blk_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/blk.c hw/virtio/blk-req.c hw/virtio/blk-io.c
