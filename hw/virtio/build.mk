# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk, virtio-net.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/blk_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/blk.c
VMON_SRCS += hw/virtio/net.c hw/virtio/net-rxtx.c hw/virtio/net-offload.c
