# hw/virtio/: split virtqueues, the modern PCI transport, virtio-blk.
VMON_SRCS += hw/virtio/queue.c
UNIT_TESTS += hw/virtio/queue_test.c hw/virtio/blk_test.c hw/virtio/rng_test.c hw/virtio/console_test.c \
              hw/virtio/vsock_test.c
VMON_SRCS += hw/virtio/virtio.c hw/virtio/pci.c hw/virtio/blk.c
# issue 14: virtio-rng, virtio-console (virtio-serial, multiport), virtio-vsock (Unix-socket host side)
VMON_SRCS += hw/virtio/rng.c hw/virtio/console.c hw/virtio/console-ctrl.c hw/virtio/vsock.c \
             hw/virtio/vsock-conn.c
