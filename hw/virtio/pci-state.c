/* A virtio-pci function in a snapshot: the virtio device (virtio-state.c), then the transport's own
 * registers (virtio 1.2 4.1.4.3: the feature selectors, queue_select, the MSI-X vector of the
 * configuration and of each queue), the MSI-X table and the PCI configuration space, all in one
 * section. After a load the BARs decode where the configuration says, the doorbell follows DRIVER_OK
 * and INTx follows the ISR, as after the guest's own writes. */
#include <errno.h>

#include "hw/pci/msix.h"
#include "hw/virtio/pci-int.h"
#include "migration/vmstate.h"

void virtio_pci_save(struct virtio_pci *vp, struct vms_writer *w)
{
    struct virtio_dev *v = vp->vdev;
    pthread_mutex_lock(&v->lock);
    virtio_dev_save_locked(v, w);
    vms_put_u32(w, vp->dfselect);
    vms_put_u32(w, vp->gfselect);
    vms_put_u16(w, vp->queue_select);
    vms_put_u16(w, vp->config_vector);
    for (unsigned i = 0; i < v->ops->num_queues; i++)
        vms_put_u16(w, vp->queue_vector[i]);
    pthread_mutex_unlock(&v->lock);
    msix_save(&vp->msix, w);
    pci_save(&vp->pci, w);
}

int virtio_pci_load(struct virtio_pci *vp, struct vms_reader *r)
{
    struct virtio_dev *v = vp->vdev;
    pthread_mutex_lock(&v->lock);
    int e = virtio_dev_load_locked(v, r);
    uint32_t dfs = vms_get_u32(r), gfs = vms_get_u32(r);
    uint16_t qsel = vms_get_u16(r), cvec = vms_get_u16(r), qvec[VIRTIO_MAX_QUEUES];
    for (unsigned i = 0; i < v->ops->num_queues; i++)
        qvec[i] = virtio_pci_vector(vp, vms_get_u16(r));
    if (e == 0 && !r->err) {
        vp->dfselect = dfs;
        vp->gfselect = gfs;
        vp->queue_select = qsel;
        vp->config_vector = virtio_pci_vector(vp, cvec);
        for (unsigned i = 0; i < v->ops->num_queues; i++)
            vp->queue_vector[i] = qvec[i];
    }
    pthread_mutex_unlock(&v->lock);
    if (e < 0 || r->err || msix_load(&vp->msix, r) < 0 || pci_load(&vp->pci, r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&v->lock);
    virtio_pci_doorbell_update(vp);
    if (v->interrupt)
        v->interrupt(v);
    pthread_mutex_unlock(&v->lock);
    return 0;
}
