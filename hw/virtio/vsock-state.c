/* virtio-vsock's own part of a snapshot (issue 18), before its transport's (virtio_pci_save, which
 * ends the section). Connections are host sockets a state file cannot hold, so none is saved: as
 * Firecracker does, the restored device closes whatever connections it has, drops the packets waiting
 * for the guest and puts a VIRTIO_VSOCK_EVENT_TRANSPORT_RESET in the event queue (virtio 1.2,
 * 5.10.6.6): the driver resets its connected sockets (they see ECONNRESET), keeps its listeners and
 * reads guest_cid again. The section holds the format's version and the guest CID the driver knew. */
#include "hw/virtio/vsock.h"

#include <errno.h>
#include <string.h>

#include "migration/vmstate.h"

#define VSOCK_STATE_VERSION 1u
#define VSOCK_EVENT_TRANSPORT_RESET 0u

void virtio_vsock_save(struct virtio_vsock *s, struct vms_writer *w)
{
    pthread_mutex_lock(&s->vdev.lock);
    vms_put_u8(w, VSOCK_STATE_VERSION);
    vms_put_u64(w, s->cid);
    pthread_mutex_unlock(&s->vdev.lock);
}

int virtio_vsock_load(struct virtio_vsock *s, struct vms_reader *r)
{
    uint8_t version = vms_get_u8(r);
    uint64_t cid = vms_get_u64(r);
    (void)cid;                         /* the driver reads this device's guest_cid after the reset */
    if (r->err || version != VSOCK_STATE_VERSION)
        return -EINVAL;
    pthread_mutex_lock(&s->vdev.lock);
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        if (s->conns[i].state != VC_FREE && s->conns[i].state != VC_HANDSHAKE)   /* as a reset: a host
                                                       client still saying CONNECT is the host's */
            vsock_conn_close(s, &s->conns[i]);
    s->npending = 0;
    s->rx_starved = false;
    s->reset_event = true;             /* sent once the device runs (vsock_events_locked) */
    pthread_mutex_unlock(&s->vdev.lock);
    return 0;
}

void vsock_events_locked(struct virtio_vsock *s)
{
    struct virtio_dev *v = &s->vdev;
    struct virtq *q = &v->queues[2];
    struct virtq_chain ch;
    const char *why = NULL;
    if (!s->reset_event || !virtio_running_locked(v) || !q->ready)
        return;
    int r = virtq_pop(q, &ch, &why);
    if (r <= 0) {                      /* no buffer yet: the next notify of queue 2 sends it */
        if (r < 0)
            virtio_needs_reset_locked(v, why);
        return;
    }
    uint8_t ev[4] = { VSOCK_EVENT_TRANSPORT_RESET, 0, 0, 0 };   /* struct virtio_vsock_event: le32 id */
    uint32_t at = 0;
    for (int i = 0; i < ch.n && at < sizeof(ev); i++) {
        if (!ch.bufs[i].write || !ch.bufs[i].len)
            continue;
        uint32_t n = sizeof(ev) - at < ch.bufs[i].len ? (uint32_t)sizeof(ev) - at : ch.bufs[i].len;
        memcpy(ch.bufs[i].hva, ev + at, n);
        at += n;
    }
    virtq_push(q, ch.head, at);
    virtio_notify_used_locked(v, 2);
    s->reset_event = false;
}
