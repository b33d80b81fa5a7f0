/* The board's issue-14 devices besides virtio-net: chardev backends, virtio-rng-pci,
 * virtio-serial-pci with its ports, vhost-vsock-pci (served in userspace). */
#ifndef VMON_MACHINE_PC_VDEV_H
#define VMON_MACHINE_PC_VDEV_H

#include <stddef.h>

#include "hw/pci/pci.h"
#include "machine/vm.h"

struct pc_vdevs;

/* Open vm->cfg.vdev's chardevs and create its devices, each plugged with plug(board, dev).
 * 0, or -errno with err set. *out is set even on failure (pc_vdevs_free it). */
int pc_vdevs_add(struct vm *vm, int (*plug)(void *board, struct pci_dev *d), void *board,
                 struct pc_vdevs **out, char *err, size_t errlen);
void pc_vdevs_free(struct pc_vdevs *d);
/* For a snapshot: each device and its PCI function, NULL where absent. */
struct pc_vdev_parts {
    struct virtio_rng *rng;
    struct virtio_console *con;
    struct virtio_vsock *vsock;
    struct virtio_pci *rng_pci, *con_pci, *vsock_pci;
};
void pc_vdevs_parts(const struct pc_vdevs *d, struct pc_vdev_parts *out);

#endif
