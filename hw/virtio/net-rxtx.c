/* virtio-net's transmit and control paths (virtio 1.2, 5.1.6; receive is net-rx.c): each
 * transmit chain linearised and handed to the backend, finished in software when the backend
 * takes no header, and the control queue (5.1.6.5: VIRTIO_NET_CTRL_MQ; anything else is answered
 * VIRTIO_NET_ERR). Both run where the transport notifies, with v->lock held. A chain the driver
 * got wrong costs the frame, never more; only a broken ring (queue.c's errors) puts the device in
 * NEEDS_RESET. */
#include "hw/virtio/net.h"

#include <errno.h>
#include <string.h>

#include "hw/virtio/net-offload.h"

#define CTRL_MQ            4
#define CTRL_MQ_PAIRS_SET  0
#define CTRL_OK            0
#define CTRL_ERR           1

bool virtio_net_has(const struct virtio_net *n, unsigned bit)
{
    return n->vdev.driver_features & 1ull << bit;
}

size_t virtio_net_hdr_len(const struct virtio_net *n)
{
    return virtio_net_has(n, VIRTIO_F_VERSION_1) || virtio_net_has(n, VIRTIO_NET_F_MRG_RXBUF) ? NET_HDR_LEN
                                                                                            : NET_HDR_LEN - 2;
}

void virtio_net_chain_write(const struct virtq_chain *c, uint64_t at, const uint8_t *src,
                            size_t len)
{
    for (int i = 0; i < c->n && len; i++) {
        const struct virtq_buf *b = &c->bufs[i];
        if (!b->write)
            continue;
        if (at >= b->len) {
            at -= b->len;
            continue;
        }
        size_t k = b->len - at < len ? b->len - at : len;
        if (k)                         /* a zero-length buffer may have no host address */
            memcpy(b->hva + at, src, k);
        src += k;
        len -= k;
        at = 0;
    }
}

/* Copies the chain's device-readable bytes (at most cap) into dst; returns how many. */
static size_t chain_read(const struct virtq_chain *c, uint8_t *dst, size_t cap)
{
    size_t got = 0;
    for (int i = 0; i < c->n && got < cap; i++) {
        const struct virtq_buf *b = &c->bufs[i];
        if (b->write || !b->len)
            continue;
        size_t k = b->len < cap - got ? b->len : cap - got;
        memcpy(dst + got, b->hva, k);
        got += k;
    }
    return got;
}

void virtio_net_apply_offloads_locked(struct virtio_net *n)
{
    /* Features are final at FEATURES_OK, or for a legacy driver (which never sets it) at DRIVER_OK. */
    if (!n->nb->ops->set_offload || n->vdev.driver_features == n->offload_features ||
        !(n->vdev.status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)))
        return;
    n->offload_features = n->vdev.driver_features;
    n->nb->ops->set_offload(n->nb, virtio_net_has(n, VIRTIO_NET_F_GUEST_CSUM),
                            virtio_net_has(n, VIRTIO_NET_F_GUEST_TSO4),
                            virtio_net_has(n, VIRTIO_NET_F_GUEST_TSO6));
}

struct emit_ctx { struct virtio_net *n; unsigned q; };

static int emit(void *opaque, const uint8_t *frame, size_t len)
{
    struct emit_ctx *e = opaque;
    struct iovec iov = { (void *)frame, len };
    return e->n->nb->ops->send(e->n->nb, e->q, &iov, 1);
}

/* One linearised transmit frame (header + Ethernet frame, len bytes) to the backend. */
static void transmit(struct virtio_net *n, unsigned q, uint8_t *buf, size_t len)
{
    struct emit_ctx e = { n, q };
    if (n->nb->vnet_hdr) {
        buf[10] = buf[11] = 0;         /* num_buffers means nothing on transmit */
        if (emit(&e, buf, len) < 0)
            n->tx_dropped++;
        return;
    }
    struct vnet_hdr h;
    vnet_hdr_decode(buf, &h);
    if (vnet_offload(&h, buf + NET_HDR_LEN, len - NET_HDR_LEN, n->segbuf, NET_MAX_FRAME, emit, &e) < 0)
        n->tx_dropped++;
}

void virtio_net_tx_locked(struct virtio_net *n, unsigned qi)
{
    struct virtio_dev *v = &n->vdev;
    struct virtq *q = &v->queues[qi];
    struct virtq_chain c;
    const char *why = NULL;
    bool used = false;
    int r;
    size_t glen = virtio_net_hdr_len(n);
    while ((r = virtq_pop(q, &c, &why)) > 0) {
        /* 5.1.6.2: header then frame, device-readable; a frame beyond 64 KiB is dropped. A legacy
         * driver's 10-byte header is widened to the 12 bytes the rest of the path reads. */
        if (c.readable >= glen + 14 && c.readable <= glen + NET_MAX_FRAME) {
            size_t got = chain_read(&c, n->txbuf, glen + NET_MAX_FRAME);
            if (glen < NET_HDR_LEN) {
                memmove(n->txbuf + NET_HDR_LEN, n->txbuf + glen, got - glen);
                memset(n->txbuf + glen, 0, NET_HDR_LEN - glen);
                got += NET_HDR_LEN - glen;
            }
            transmit(n, qi / 2, n->txbuf, got);
        } else {
            n->tx_dropped++;
        }
        virtq_push(q, c.head, 0);
        used = true;
    }
    if (used)
        virtio_notify_used_locked(v, qi);
    if (r < 0)
        virtio_needs_reset_locked(v, why);
}

/* One command: class, command, data (device-readable), then the ack byte (5.1.6.5). */
static uint8_t ctrl_command(struct virtio_net *n, const uint8_t *cmd, size_t len)
{
    if (len < 2)
        return CTRL_ERR;
    if (cmd[0] == CTRL_MQ && cmd[1] == CTRL_MQ_PAIRS_SET && len >= 4 && virtio_net_has(n, VIRTIO_NET_F_MQ)) {
        unsigned pairs = (unsigned)(cmd[2] | cmd[3] << 8);
        if (pairs < 1 || pairs > n->pairs)
            return CTRL_ERR;
        n->active_pairs = pairs;
        return CTRL_OK;
    }
    return CTRL_ERR;
}

void virtio_net_ctrl_locked(struct virtio_net *n, unsigned qi)
{
    struct virtio_dev *v = &n->vdev;
    struct virtq *q = &v->queues[qi];
    struct virtq_chain c;
    const char *why = NULL;
    bool used = false;
    int r;
    while ((r = virtq_pop(q, &c, &why)) > 0) {
        uint8_t cmd[64];
        size_t len = chain_read(&c, cmd, sizeof(cmd));
        uint32_t written = 0;
        if (c.writable >= 1) {
            uint8_t ack = ctrl_command(n, cmd, len);
            virtio_net_chain_write(&c, c.writable - 1, &ack, 1);
            written = 1;
        }
        virtq_push(q, c.head, written);
        used = true;
    }
    if (used)
        virtio_notify_used_locked(v, qi);
    if (r < 0)
        virtio_needs_reset_locked(v, why);
}
