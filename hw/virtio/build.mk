# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c
