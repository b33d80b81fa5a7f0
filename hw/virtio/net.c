/* virtio-net's device side (virtio 1.2, 5.1): configuration space, the features it offers for
 * the backend it sits on, queue numbering (receiveq N = 2N, transmitq N = 2N+1, controlq last:
 * 5.1.2), and the queue notifications that start transmit, refill receive, or run a command. */
#include "hw/virtio/net.h"

#include <stdlib.h>
#include <string.h>

static void queue_notify(struct virtio_dev *v, unsigned qi)
{
    struct virtio_net *n = v->opaque;
    virtio_net_apply_offloads_locked(n);
    if (qi == 2 * n->pairs)
        virtio_net_ctrl_locked(n, qi);
    else if (qi & 1)
        virtio_net_tx_locked(n, qi);
    else if (n->nb->ops->rx_ready)
        n->nb->ops->rx_ready(n->nb, qi / 2);   /* buffers posted: held frames may go */
}

static void reset(struct virtio_dev *v)
{
    struct virtio_net *n = v->opaque;
    n->active_pairs = 1;
}

static uint64_t offered(const struct net_backend *nb, unsigned pairs)
{
    uint64_t f = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_CTRL_VQ |
                 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_HOST_TSO4 |
                 1ull << VIRTIO_NET_F_HOST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_CSUM |
                 1ull << VIRTIO_NET_F_MRG_RXBUF;   /* see virtio_net_set_mrg_rxbuf */
    /* The host kernel hands us TSO frames it need not cut (vnet_hdr), or the backend merges TCP
     * segments itself (rx_coalesce: net/coalesce.c). */
    if (nb->vnet_hdr || nb->rx_coalesce)
        f |= 1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6;
    if (pairs > 1)
        f |= 1ull << VIRTIO_NET_F_MQ;
    if (nb->mtu)                       /* 5.1.4.1: the driver takes its MTU from config */
        f |= 1ull << VIRTIO_NET_F_MTU;
    return f;
}

struct virtio_net *virtio_net_new(struct net_backend *nb, const uint8_t mac[6],
                                  const struct guest_mem *mem)
{
    struct virtio_net *n = calloc(1, sizeof(*n));
    if (!n || !(n->txbuf = malloc(NET_HDR_LEN + NET_MAX_FRAME)) || !(n->segbuf = malloc(NET_MAX_FRAME))) {
        if (n)
            free(n->txbuf);
        free(n);
        return NULL;
    }
    n->nb = nb;
    n->pairs = nb->pairs >= 1 && nb->pairs <= NET_MAX_PAIRS ? nb->pairs : 1;
    n->active_pairs = 1;
    n->ops = (struct virtio_dev_ops){
        .name = "virtio-net",
        .device_id = 1,
        .num_queues = (uint16_t)(2 * n->pairs + 1),
        .features = offered(nb, n->pairs),
        .queue_notify = queue_notify,
        .reset = reset,
    };
    memcpy(n->config, mac, 6);
    n->config[6] = 1;                  /* status: VIRTIO_NET_S_LINK_UP (read only with F_STATUS) */
    n->config[8] = (uint8_t)n->pairs;  /* max_virtqueue_pairs, little-endian */
    n->config[10] = (uint8_t)nb->mtu;  /* mtu, little-endian (read only with F_MTU) */
    n->config[11] = (uint8_t)(nb->mtu >> 8);
    virtio_dev_init(&n->vdev, &n->ops, n, mem, n->config, sizeof(n->config));
    return n;
}

void virtio_net_set_mrg_rxbuf(struct virtio_net *n, bool on)
{
    n->ops.features &= ~(1ull << VIRTIO_NET_F_MRG_RXBUF);
    n->ops.features |= (uint64_t)on << VIRTIO_NET_F_MRG_RXBUF;
}

void virtio_net_set_guest_tso(struct virtio_net *n, unsigned bit, bool on)
{
    uint64_t tso = 1ull << bit;
    if (bit != VIRTIO_NET_F_GUEST_TSO4 && bit != VIRTIO_NET_F_GUEST_TSO6)
        return;
    n->ops.features &= ~tso;
    if (on)
        n->ops.features |= offered(n->nb, n->pairs) & tso;
}

int virtio_net_start(struct virtio_net *n)
{
    struct net_peer peer = { .receive = virtio_net_receive, .receive_hdr = virtio_net_receive_hdr,
                             .opaque = n };
    return n->nb->ops->start(n->nb, &peer);
}

void virtio_net_free(struct virtio_net *n)
{
    if (!n)
        return;
    net_backend_free(n->nb);           /* first: its thread may be delivering */
    pthread_mutex_destroy(&n->vdev.lock);
    free(n->txbuf);
    free(n->segbuf);
    free(n);
}
