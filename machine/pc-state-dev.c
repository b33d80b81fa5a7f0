/* The board's devices added to snapshots by issue 18's second round (machine/pc-state.c has the rest):
 * each virtio-net-pci NIC (the device and its backend: hw/virtio/net-state.c, then its transport),
 * virtio-rng-pci and the PIIX3 IDE function (hw/ide/ide-state.c), each in one section. A NIC's backend delivers frames and virtio-rng's rate timer
 * refills its queue on their own threads: both are held (hw/virtio/virtio.h virtio_dev_hold) from before
 * their sections are taken until RAM is saved too, and from a load until RAM is in place, so that the
 * rings in RAM and the devices' places in them agree. */
#include "machine/pc-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/ide/ide.h"
#include "hw/virtio/net.h"
#include "hw/virtio/pci.h"
#include "machine/pc-ide.h"
#include "machine/pc-vdev.h"
#include "migration/vmstate.h"

#define TAG_VIRTIO_NET VMS_TAG('V', 'N', 'E', 'T')   /* instance: the NIC's index */
#define TAG_VIRTIO_RNG VMS_TAG('V', 'R', 'N', 'G')
#define TAG_IDE VMS_TAG('I', 'D', 'E', ' ')

void pc_hold_devs(struct pc *pc, bool on)
{
    for (int i = 0; i < VM_MAX_NICS; i++)
        if (pc->nets[i])
            virtio_dev_hold(&pc->nets[i]->vdev, on);
    struct virtio_pci *rng = pc_vdevs_rng(pc->vdevs);
    if (rng)
        virtio_dev_hold(rng->vdev, on);
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
    struct virtio_pci *rng = pc_vdevs_rng(pc->vdevs);
    if (rng) {
        vms_begin(w, TAG_VIRTIO_RNG, 0);
        virtio_pci_save(rng, w);
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
    struct virtio_pci *rng = pc_vdevs_rng(pc->vdevs);
    if (rng && pc_state_load_one(idx, TAG_VIRTIO_RNG, 0, "virtio-rng", load_vpci, rng, err, errlen) < 0)
        return -EINVAL;
    /* A file from before IDE was saved has no section: fine while no drive has media (as it had to) */
    bool ide = pc->ide && (pc_ide_has_media(pc->ide) || vms_index_has(idx, TAG_IDE, 0));
    if (ide && pc_state_load_one(idx, TAG_IDE, 0, "IDE controller", load_ide, pc_ide_ctrl(pc->ide), err,
                                 errlen) < 0)
        return -EINVAL;
    return 0;
}
