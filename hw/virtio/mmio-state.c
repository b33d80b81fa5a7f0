/* A virtio-mmio device in a snapshot (issue 18): the virtio device (virtio-state.c), then the
 * transport's own registers (virtio 1.2, 4.2.2: DeviceFeaturesSel, DriverFeaturesSel, QueueSel), in
 * one section. The window's place and interrupt line are the board's. After a load the line follows
 * InterruptStatus, as after the guest's own accesses. */
#include <errno.h>

#include "hw/virtio/mmio.h"
#include "migration/vmstate.h"

void virtio_mmio_save(struct virtio_mmio *m, struct vms_writer *w)
{
    struct virtio_dev *v = m->vdev;
    pthread_mutex_lock(&v->lock);
    virtio_dev_save_locked(v, w);
    vms_put_u32(w, m->dfselect);
    vms_put_u32(w, m->gfselect);
    vms_put_u32(w, m->queue_select);
    pthread_mutex_unlock(&v->lock);
}

int virtio_mmio_load(struct virtio_mmio *m, struct vms_reader *r)
{
    struct virtio_dev *v = m->vdev;
    pthread_mutex_lock(&v->lock);
    int e = virtio_dev_load_locked(v, r);
    uint32_t dfs = vms_get_u32(r), gfs = vms_get_u32(r), qsel = vms_get_u32(r);
    if (e == 0 && vms_reader_done(r) == 0) {
        m->dfselect = dfs;
        m->gfselect = gfs;
        m->queue_select = qsel;        /* any value: an unknown queue reads as absent */
        if (v->interrupt)
            v->interrupt(v);
    } else {
        e = -EINVAL;
    }
    pthread_mutex_unlock(&v->lock);
    return e;
}
