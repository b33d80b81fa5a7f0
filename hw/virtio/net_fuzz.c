/* libFuzzer target over virtio-net's data path (hw/virtio/net-rxtx.c, net-offload.c) on fake
 * guest memory: the input picks the backend's kind (with or without the vnet header), the queue
 * pairs, the driver's features and queue size, a list of operations (transmit, control and
 * receive-queue notifications; frames from the backend) and the guest RAM image the rings,
 * descriptors and frames are read from (split or packed rings). With MRG_RXBUF among the
 * features, frames spread over several receive chains; some frames come with their header apart
 * (net_peer.receive_hdr, the user backend's coalesced GSO frames). Whatever the guest wrote, the
 * device must neither crash nor touch memory outside RAM; sanitizers check.
 * make fuzz-net [FUZZ_TIME=600]. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/net.h"

#define RAM      (256u << 10)
#define QSPAN    0x4000u               /* one queue's desc/avail/used area */

struct fake_nb {
    struct net_backend nb;
    uint64_t sum;                      /* every byte sent, so each one is read */
};

static int fb_start(struct net_backend *nb, const struct net_peer *peer)
{
    (void)nb;
    (void)peer;
    return 0;
}

static int fb_send(struct net_backend *nb, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct fake_nb *f = (struct fake_nb *)nb;
    for (int i = 0; i < iovcnt; i++)
        for (size_t k = 0; k < iov[i].iov_len; k++)
            f->sum += ((const uint8_t *)iov[i].iov_base)[k] + q;
    return 0;
}

static void fb_free(struct net_backend *nb)
{
    (void)nb;
}

static const struct net_backend_ops fake_ops = {
    .name = "fuzz", .start = fb_start, .send = fb_send, .free = fb_free,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    static struct guest_mem mem;
    static int inited;
    if (!inited && guest_mem_init(&mem, RAM) == 0)
        inited = 1;
    if (!inited)
        return 0;
    struct fake_nb f = { .nb = { .ops = &fake_ops, .vnet_hdr = data[0] & 1, .csum_valid = data[0] & 2,
                                 .pairs = 1 + ((data[0] >> 2) & 3),
                                 .mtu = data[0] & 0x10 ? 9000 : 0, .rx_coalesce = data[0] & 0x40 } };
    uint64_t features;
    memcpy(&features, data + 1, 8);
    unsigned qsize = 1u << (data[9] % 9);
    unsigned nops = data[10] % 64;
    const uint8_t *ops = data + 11;
    size -= 11;
    if (nops > size)
        nops = (unsigned)size;
    const uint8_t *rest = ops + nops;
    size_t rest_len = size - nops;
    size_t frames_len = rest_len / 4;              /* a quarter feeds received frames */
    const uint8_t *frames = rest;
    memset(mem.base, 0, RAM);
    memcpy(mem.base, rest + frames_len, rest_len - frames_len > RAM ? RAM : rest_len - frames_len);

    uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    struct virtio_net *n = virtio_net_new(&f.nb, mac, &mem);
    if (!n)
        return 0;
    struct virtio_dev *v = &n->vdev;
    pthread_mutex_lock(&v->lock);
    if (data[0] & 0x20)                /* packed rings offered: the features may take them */
        v->extra_features = 1ull << VIRTIO_F_RING_PACKED;
    v->driver_features = features & virtio_dev_features(v);
    virtio_set_status_locked(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                VIRTIO_STATUS_FEATURES_OK);
    for (unsigned i = 0; i < v->ops->num_queues; i++) {
        struct virtq *q = &v->queues[i];
        q->size = (uint16_t)qsize;
        q->desc = i * QSPAN;
        q->avail = i * QSPAN + 0x1000;
        q->used = i * QSPAN + 0x2000;
        virtq_enable(q);
    }
    virtio_set_status_locked(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
    pthread_mutex_unlock(&v->lock);

    size_t fat = 0;
    for (unsigned i = 0; i < nops; i++) {
        unsigned op = ops[i] & 3, arg = ops[i] >> 2;
        if (op == 3) {                 /* a frame of up to arg*64 bytes from the backend */
            size_t len = (size_t)arg * 64;
            if (len > frames_len - fat)
                len = frames_len - fat;
            struct iovec iov = { (void *)(frames + fat), len };
            if ((arg & 0x20) && len >= NET_HDR_LEN) {   /* its header apart, as slirp's GSO frames */
                iov = (struct iovec){ (void *)(frames + fat + NET_HDR_LEN), len - NET_HDR_LEN };
                virtio_net_receive_hdr(n, arg & 3, frames + fat, &iov, 1);
            } else {
                virtio_net_receive(n, arg & 3, &iov, 1);
            }
            fat += len;
            continue;
        }
        pthread_mutex_lock(&v->lock);
        unsigned qi = op == 2 ? v->ops->num_queues - 1u : 2 * (arg % n->pairs) + (op == 1);
        if (virtio_running_locked(v))
            v->ops->queue_notify(v, qi);
        pthread_mutex_unlock(&v->lock);
    }
    n->nb = NULL;                      /* the fake backend lives on the stack */
    pthread_mutex_destroy(&v->lock);
    free(n->txbuf);
    free(n->segbuf);
    free(n);
    return 0;
}
