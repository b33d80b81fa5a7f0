/* virtio-net's own part of a snapshot (issue 18), before its transport's (virtio_pci_save, which ends
 * the NIC's section): the queue pairs the driver enabled (virtio 1.2, 5.1.6.5.5), the configuration space the
 * driver read (5.1.4: its MAC stays the one the guest knows), then the backend's own state as opaque
 * bytes with their format version (net/net.h save/load: libslirp's for user networking; tap has none,
 * its kernel interface being the host's). Taken with the device held (virtio_dev_hold): the backend
 * delivers no frame meanwhile, so the rings in RAM and the queue positions agree. */
#include "hw/virtio/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vmstate.h"

#define NET_STATE_VERSION 1u
#define NET_BACKEND_STATE_MAX 65536u

int virtio_net_save(struct virtio_net *n, struct vms_writer *w)
{
    uint8_t *bs = NULL;
    size_t blen = 0;
    uint32_t bver = 0;
    int r = n->nb->ops->save ? n->nb->ops->save(n->nb, &bs, &blen, &bver) : 0;   /* not under v->lock:
                                                          the backend's thread may be waiting on it */
    if (r < 0)
        return r;
    if (blen > NET_BACKEND_STATE_MAX) {
        free(bs);
        return -EFBIG;
    }
    pthread_mutex_lock(&n->vdev.lock);
    vms_put_u8(w, NET_STATE_VERSION);
    vms_put_u16(w, (uint16_t)n->active_pairs);
    vms_put_bytes(w, n->config, sizeof(n->config));
    pthread_mutex_unlock(&n->vdev.lock);
    vms_put_u32(w, bver);
    vms_put_u32(w, (uint32_t)blen);
    vms_put_bytes(w, bs, blen);
    free(bs);
    return 0;
}

int virtio_net_load(struct virtio_net *n, struct vms_reader *r)
{
    uint8_t version = vms_get_u8(r), config[sizeof(n->config)];
    uint16_t pairs = vms_get_u16(r);
    vms_get_bytes(r, config, sizeof(config));
    uint32_t bver = vms_get_u32(r), blen = vms_get_u32(r);
    /* status, max_virtqueue_pairs and mtu are this device's, from its command line: they must match */
    if (r->err || version != NET_STATE_VERSION || pairs < 1 || pairs > n->pairs ||
        memcmp(config + 6, n->config + 6, sizeof(config) - 6) || blen > r->len - r->pos)
        return -EINVAL;
    const uint8_t *bs = r->p + r->pos;
    r->pos += blen;                    /* the transport's part follows, to the section's end */
    if (blen && (!n->nb->ops->load || n->nb->ops->load(n->nb, bver, bs, blen) < 0))
        return -EINVAL;    /* another backend's state, or bytes this backend would not have written */
    pthread_mutex_lock(&n->vdev.lock);
    n->active_pairs = pairs;
    memcpy(n->config, config, 6);
    n->offload_features = 0;           /* the backend is told the driver's offloads afresh, once the
                                          transport's part has the driver's features */
    pthread_mutex_unlock(&n->vdev.lock);
    return 0;
}
