/* The configuration of the issue-14 devices besides virtio-net: -chardev backends, virtio-rng,
 * virtio-serial with its ports, virtio-vsock. Filled by tools/run-vdev-args.c, built by
 * machine/pc-vdev.c. */
#ifndef VMON_MACHINE_VDEV_CONFIG_H
#define VMON_MACHINE_VDEV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "chardev/chardev.h"

#define VM_MAX_CHARDEVS 8
#define VM_MAX_VPORTS   4              /* virtio-console's VCON_MAX_PORTS */

struct vm_vport {
    char chardev[32];                  /* a -chardev id */
    char name[64];                     /* the guest's /dev/virtio-ports/NAME; may be empty */
    bool console;                      /* virtconsole: the guest's hvcN */
};

struct vm_vdev_config {
    struct chardev_spec chardevs[VM_MAX_CHARDEVS];
    int nchardevs;
    bool rng;
    uint64_t rng_max_bytes, rng_period_ms;   /* 0 bytes: unlimited */
    bool serial;                       /* virtio-serial-pci */
    struct vm_vport ports[VM_MAX_VPORTS];
    int nports;
    bool vsock;
    uint64_t vsock_cid;
    char vsock_uds[108];               /* the Unix-socket host side; empty: none */
};

#endif
