/* The board's devices added to snapshots by issue 18's second round (machine/pc-state.c has the rest):
 * each virtio-net-pci NIC (the device and its backend: hw/virtio/net-state.c, then its transport),
 * virtio-rng-pci, virtio-serial-pci (hw/virtio/console-state.c), vhost-vsock-pci (hw/virtio/vsock-state.c:
 * its connections reset) and the PIIX3 IDE function (hw/ide/ide-state.c), each in one section. The
 * virtio devices act on their own threads too (a NIC's backend delivers frames, virtio-rng's rate timer
 * refills its queue, chardevs and vsock's host sockets bring input): they are held (hw/virtio/virtio.h
 * virtio_dev_hold) from before their sections are taken until RAM is saved too, and from a load until
 * RAM is in place, so that the rings in RAM and the devices' places in them agree. pc_load_devs runs
 * before the soft platform's clock is loaded: a NIC's load pauses its backend's thread, and time spent
 * between that clock and the vCPUs' TSCs would put the guest's TSC behind its timers'. */
#include "machine/pc-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/ide/ide.h"
#include "hw/virtio/console.h"
#include "hw/virtio/net.h"
#include "hw/virtio/pci.h"
#include "hw/virtio/vsock.h"
#include "machine/pc-ide.h"
#include "machine/pc-vdev.h"
#include "migration/vmstate.h"

#define TAG_VIRTIO_NET VMS_TAG('V', 'N', 'E', 'T')   /* instance: the NIC's index */
#define TAG_VIRTIO_RNG VMS_TAG('V', 'R', 'N', 'G')
#define TAG_VIRTIO_CONSOLE VMS_TAG('V', 'C', 'O', 'N')
#define TAG_VIRTIO_VSOCK VMS_TAG('V', 'S', 'C', 'K')
#define TAG_IDE VMS_TAG('I', 'D', 'E', ' ')

void pc_hold_devs(struct pc *pc, bool on)
{
    for (int i = 0; i < VM_MAX_NICS; i++)
        if (pc->nets[i])
            virtio_dev_hold(&pc->nets[i]->vdev, on);
    struct pc_vdev_parts d;
    pc_vdevs_parts(pc->vdevs, &d);
    struct virtio_pci *vp[] = { d.rng_pci, d.con_pci, d.vsock_pci };
    for (unsigned i = 0; i < 3; i++)
        if (vp[i])
            virtio_dev_hold(vp[i]->vdev, on);
}

int pc_save_devs(struct pc *pc, struct vms_writer *w, char *err, size_t errlen)
{
    for (int i = 0; i < VM_MAX_NICS; i++) {
        if (!pc->nets[i])
            continue;
        vms_begin(w, TAG_VIRTIO_NET, (uint32_t)i);
        int r = virtio_net_save(pc->nets[i], w);
        virtio_pci_save(pc->net_pcis[i], w);
        vms_end(w);
        if (r < 0)
            return snprintf(err, errlen, "virtio-net %d: saving its backend: %s", i, strerror(-r)), r;
    }
    struct pc_vdev_parts d;
    pc_vdevs_parts(pc->vdevs, &d);
    if (d.rng_pci) {
        vms_begin(w, TAG_VIRTIO_RNG, 0);
        virtio_pci_save(d.rng_pci, w);
        vms_end(w);
    }
    if (d.con_pci) {
        vms_begin(w, TAG_VIRTIO_CONSOLE, 0);
        virtio_console_save(d.con, w);
        virtio_pci_save(d.con_pci, w);
        vms_end(w);
    }
    if (d.vsock_pci) {
        vms_begin(w, TAG_VIRTIO_VSOCK, 0);
        virtio_vsock_save(d.vsock, w);
        virtio_pci_save(d.vsock_pci, w);
        vms_end(w);
    }
    if (pc->ide) {
        vms_begin(w, TAG_IDE, 0);
        ide_save(pc_ide_ctrl(pc->ide), w);
        vms_end(w);
    }
    return 0;
}

static int load_vpci(void *dev, struct vms_reader *r)
{
    return virtio_pci_load(dev, r);    /* its PCI part ends the section */
}

/* The NIC's device part, then its transport's from the same reader; then the backend learns the
 * driver's offloads. */
static int load_net(void *dev, struct vms_reader *r)
{
    struct virtio_net *n = dev;
    if (virtio_net_load(n, r) < 0 || virtio_pci_load(n->vdev.transport, r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&n->vdev.lock);
    virtio_net_apply_offloads_locked(n);
    pthread_mutex_unlock(&n->vdev.lock);
    return 0;
}

static int load_console(void *dev, struct vms_reader *r)
{
    struct virtio_console *c = dev;
    return virtio_console_load(c, r) < 0 ? -EINVAL : virtio_pci_load(c->vdev.transport, r);
}

static int load_vsock(void *dev, struct vms_reader *r)
{
    struct virtio_vsock *s = dev;
    return virtio_vsock_load(s, r) < 0 ? -EINVAL : virtio_pci_load(s->vdev.transport, r);
}

static int load_ide(void *dev, struct vms_reader *r)
{
    return ide_load(dev, r);
}

int pc_load_devs(struct pc *pc, struct vms_index *idx, char *err, size_t errlen)
{
    for (int i = 0; i < VM_MAX_NICS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "virtio-net %d", i);
        if (pc->nets[i] && pc_state_load_one(idx, TAG_VIRTIO_NET, (uint32_t)i, name, load_net, pc->nets[i],
                                             err, errlen) < 0)
            return -EINVAL;
    }
    struct pc_vdev_parts d;
    pc_vdevs_parts(pc->vdevs, &d);
    if ((d.rng_pci && pc_state_load_one(idx, TAG_VIRTIO_RNG, 0, "virtio-rng", load_vpci, d.rng_pci, err,
                                        errlen) < 0) ||
        (d.con_pci && pc_state_load_one(idx, TAG_VIRTIO_CONSOLE, 0, "virtio-serial", load_console, d.con, err,
                                        errlen) < 0) ||
        (d.vsock_pci && pc_state_load_one(idx, TAG_VIRTIO_VSOCK, 0, "vsock", load_vsock, d.vsock, err,
                                          errlen) < 0))
        return -EINVAL;
    /* A file from before IDE was saved has no section: fine while no drive has media (as it had to) */
    bool ide = pc->ide && (pc_ide_has_media(pc->ide) || vms_index_has(idx, TAG_IDE, 0));
    if (ide && pc_state_load_one(idx, TAG_IDE, 0, "IDE controller", load_ide, pc_ide_ctrl(pc->ide), err,
                                 errlen) < 0)
        return -EINVAL;
    return 0;
}
