/* virtio-net's data path (virtio 1.2, 5.1.6): receive (a backend frame into the next receive
 * chain, behind a virtio_net_hdr), transmit (each transmit chain linearised and handed to the
 * backend, finished in software when the backend takes no header), and the control queue
 * (5.1.6.5: VIRTIO_NET_CTRL_MQ; anything else is answered VIRTIO_NET_ERR). Receive runs on the
 * backend's thread and takes v->lock; transmit and control run where the transport notifies,
 * with v->lock held. A chain the driver got wrong costs the frame, never more; only a broken
 * ring (queue.c's errors) puts the device in NEEDS_RESET. */
#include "hw/virtio/net.h"

#include <errno.h>
#include <string.h>

#include "hw/virtio/net-offload.h"

#define CTRL_MQ            4
#define CTRL_MQ_PAIRS_SET  0
#define CTRL_OK            0
#define CTRL_ERR           1

static bool has(const struct virtio_net *n, unsigned bit)
{
    return n->vdev.driver_features & 1ull << bit;
}

/* Copies len bytes from src into the chain's device-writable buffers from byte at on. */
static void chain_write(const struct virtq_chain *c, uint64_t at, const uint8_t *src, size_t len)
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
    if (!n->nb->ops->set_offload || n->vdev.driver_features == n->offload_features ||
        !(n->vdev.status & VIRTIO_STATUS_FEATURES_OK))
        return;
    n->offload_features = n->vdev.driver_features;
    n->nb->ops->set_offload(n->nb, has(n, VIRTIO_NET_F_GUEST_CSUM), has(n, VIRTIO_NET_F_GUEST_TSO4),
                            has(n, VIRTIO_NET_F_GUEST_TSO6));
}

/* The header a received frame gets when the backend gave none. */
static void rx_header(const struct virtio_net *n, uint8_t *hdr)
{
    struct vnet_hdr h = { .num_buffers = 1 };
    if (n->nb->csum_valid && has(n, VIRTIO_NET_F_GUEST_CSUM))
        h.flags = VNET_HDR_F_DATA_VALID;   /* 5.1.6.4.1: slirp's checksums are right */
    vnet_hdr_encode(&h, hdr);
}

/* One frame into receive queue pair q; -EAGAIN when no chain is posted. v->lock held. */
static int receive_locked(struct virtio_net *n, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct virtio_dev *v = &n->vdev;
    struct virtq *rq = &v->queues[2 * (q % n->active_pairs)];
    if (!virtio_running_locked(v) || !rq->ready)
        return 0;                      /* no driver: the frame is lost, as on a wire */
    virtio_net_apply_offloads_locked(n);
    struct virtq_chain c;
    const char *why = NULL;
    int r = virtq_pop(rq, &c, &why);
    if (r == 0)
        return -EAGAIN;
    if (r < 0) {
        virtio_needs_reset_locked(v, why);
        return 0;
    }
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++)
        total += iov[i].iov_len;
    size_t skip = n->nb->vnet_hdr ? NET_HDR_LEN : 0;
    if (total < skip || c.writable < NET_HDR_LEN + (total - skip)) {
        n->rx_dropped++;               /* the driver sees a used buffer of length 0 */
        virtq_push(rq, c.head, 0);
        virtio_notify_used_locked(v, 2 * (q % n->active_pairs));
        return 0;
    }
    uint8_t hdr[NET_HDR_LEN];
    rx_header(n, hdr);
    size_t at = NET_HDR_LEN;
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t len = iov[i].iov_len, hk = 0;
        if (skip) {                    /* the backend's header, with num_buffers = 1 (5.1.6.4) */
            hk = len < skip ? len : skip;
            memcpy(hdr + (NET_HDR_LEN - skip), p, hk);
            skip -= hk;
        }
        chain_write(&c, at, p + hk, len - hk);
        at += len - hk;
    }
    hdr[10] = 1;
    hdr[11] = 0;
    chain_write(&c, 0, hdr, NET_HDR_LEN);
    virtq_push(rq, c.head, (uint32_t)at);
    virtio_notify_used_locked(v, 2 * (q % n->active_pairs));
    return 0;
}

int virtio_net_receive(void *opaque, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct virtio_net *n = opaque;
    pthread_mutex_lock(&n->vdev.lock);
    int r = receive_locked(n, q, iov, iovcnt);
    pthread_mutex_unlock(&n->vdev.lock);
    return r;
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
    while ((r = virtq_pop(q, &c, &why)) > 0) {
        /* 5.1.6.2: header then frame, device-readable; a frame beyond 64 KiB is dropped. */
        if (c.readable >= NET_HDR_LEN + 14 && c.readable <= NET_HDR_LEN + NET_MAX_FRAME)
            transmit(n, qi / 2, n->txbuf, chain_read(&c, n->txbuf, NET_HDR_LEN + NET_MAX_FRAME));
        else
            n->tx_dropped++;
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
    if (cmd[0] == CTRL_MQ && cmd[1] == CTRL_MQ_PAIRS_SET && len >= 4 && has(n, VIRTIO_NET_F_MQ)) {
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
            chain_write(&c, c.writable - 1, &ack, 1);
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
