/* virtio-net's receive path (virtio 1.2, 5.1.6.3-5.1.6.4): a frame from the backend, behind a
 * virtio_net_hdr, into receive chains: one chain that must hold it all, or with
 * VIRTIO_NET_F_MRG_RXBUF as many chains as it fills, their count in num_buffers (5.1.6.4.2),
 * returned to the driver together. While the driver has posted too little room the chains go
 * back (virtq_rewind) and the frame waits (-EAGAIN); a chain the driver got wrong (too small
 * without MRG_RXBUF, smaller than the header with it: 5.1.6.3.1) costs the frame, used with
 * length 0. Runs on the backend's thread and takes v->lock. */
#include "hw/virtio/net.h"

#include <errno.h>
#include <string.h>

#include "hw/virtio/net-offload.h"

/* A read position in the backend's frame. */
struct src {
    const struct iovec *iov;
    int iovcnt, i;
    size_t off;
};

/* The next contiguous piece of at most max bytes; 0 at the end. */
static size_t src_next(struct src *s, const uint8_t **p, size_t max)
{
    while (s->i < s->iovcnt && s->off == s->iov[s->i].iov_len) {
        s->i++;
        s->off = 0;
    }
    if (s->i == s->iovcnt)
        return 0;
    size_t k = s->iov[s->i].iov_len - s->off;
    k = k < max ? k : max;
    *p = (const uint8_t *)s->iov[s->i].iov_base + s->off;
    s->off += k;
    return k;
}

/* Copies len bytes of the frame into the chain from byte at on. */
static void src_to_chain(struct src *s, const struct virtq_chain *c, uint64_t at, size_t len)
{
    const uint8_t *p;
    size_t k;
    while (len && (k = src_next(s, &p, len))) {
        virtio_net_chain_write(c, at, p, k);
        at += k;
        len -= k;
    }
}

/* The header the driver gets: the backend's when it gives one (in the frame, or apart: given),
 * else DATA_VALID where the backend's checksums are right (5.1.6.4.1: slirp's are). */
static void rx_header(const struct virtio_net *n, struct src *s, const uint8_t *given, uint8_t *hdr)
{
    if (given) {
        memcpy(hdr, given, NET_HDR_LEN);
        return;
    }
    if (n->nb->vnet_hdr) {
        const uint8_t *p;
        size_t got = 0, k;
        while (got < NET_HDR_LEN && (k = src_next(s, &p, NET_HDR_LEN - got))) {
            memcpy(hdr + got, p, k);
            got += k;
        }
        return;
    }
    struct vnet_hdr h = { 0 };
    if (n->nb->csum_valid && virtio_net_has(n, VIRTIO_NET_F_GUEST_CSUM))
        h.flags = VNET_HDR_F_DATA_VALID;
    vnet_hdr_encode(&h, hdr);
}

/* The chains popped for one frame. */
struct rx {
    uint16_t head[VIRTQ_MAX_SIZE];
    uint32_t len[VIRTQ_MAX_SIZE];
    unsigned n;
};

/* Takes the next chain and fills it from the frame (left bytes remain; the first chain starts
 * with the header's room). 1: taken; 0: none posted; -1: the frame cannot go (*bad: the
 * driver's fault, the chain is in rx); -EINVAL: a broken ring. */
static int fill_one(struct virtio_net *n, struct virtq *rq, struct rx *rx, struct virtq_chain *c,
                    struct src *s, size_t *left, const char **why)
{
    if (rx->n == VIRTQ_MAX_SIZE)
        return -1;
    int r = virtq_pop(rq, c, why);
    if (r <= 0)
        return r;
    size_t glen = virtio_net_hdr_len(n);
    uint64_t at = rx->n ? 0 : glen;
    rx->head[rx->n] = c->head;
    rx->len[rx->n++] = 0;
    bool mrg = virtio_net_has(n, VIRTIO_NET_F_MRG_RXBUF);
    if (c->writable < glen || (!mrg && c->writable - at < *left))
        return -1;
    size_t k = c->writable - at < *left ? (size_t)(c->writable - at) : *left;
    src_to_chain(s, c, at, k);
    rx->len[rx->n - 1] = (uint32_t)(at + k);
    *left -= k;
    return 1;
}

/* Whether a header the backend gave apart asks for no offload the driver did not accept: a
 * frame coalesced before a reset that withdrew GUEST_TSO4/6 (5.1.6.4: the device must not). */
static bool given_ok(const struct virtio_net *n, const uint8_t *given)
{
    if (!given)
        return true;
    if (given[1] == VNET_GSO_NONE)
        return !(given[0] & VNET_HDR_F_DATA_VALID) || virtio_net_has(n, VIRTIO_NET_F_GUEST_CSUM);
    bool gso = (given[1] == VNET_GSO_TCPV4 && virtio_net_has(n, VIRTIO_NET_F_GUEST_TSO4)) ||
               (given[1] == VNET_GSO_TCPV6 && virtio_net_has(n, VIRTIO_NET_F_GUEST_TSO6));
    return gso && !(given[0] & VNET_HDR_F_NEEDS_CSUM);
}

/* One frame into receive queue pair q; -EAGAIN when the driver has not posted room. */
static int receive_locked(struct virtio_net *n, unsigned q, const uint8_t *given,
                          const struct iovec *iov, int iovcnt)
{
    struct virtio_dev *v = &n->vdev;
    unsigned qi = 2 * (q % n->active_pairs);
    struct virtq *rq = &v->queues[qi];
    if (v->held)
        return -EAGAIN;                /* a snapshot is being taken: the frame waits for the release */
    if (!virtio_running_locked(v) || !rq->ready)
        return 0;                      /* no driver: the frame is lost, as on a wire */
    virtio_net_apply_offloads_locked(n);
    size_t left = 0, skip = n->nb->vnet_hdr && !given ? NET_HDR_LEN : 0;
    for (int i = 0; i < iovcnt; i++)
        left += iov[i].iov_len;
    if (left < skip || !given_ok(n, given)) {
        n->rx_dropped++;
        return 0;
    }
    left -= skip;
    struct src s = { .iov = iov, .iovcnt = iovcnt };
    uint8_t hdr[NET_HDR_LEN];
    rx_header(n, &s, given, hdr);
    struct virtq_mark mark;
    virtq_mark(rq, &mark);
    struct rx rx = { .n = 0 };
    struct virtq_chain first, c;
    const char *why = NULL;
    int r;
    do
        r = fill_one(n, rq, &rx, rx.n ? &c : &first, &s, &left, &why);
    while (r == 1 && left);
    if (r == -EINVAL) {
        virtio_needs_reset_locked(v, why);
        return 0;
    }
    if (r == 0 && rx.n < rq->size) {   /* room may come: the chains go back, the frame waits */
        virtq_rewind(rq, &mark);
        return -EAGAIN;
    }
    if (r != 1) {                      /* the driver's chains cannot take it: lost */
        n->rx_dropped++;
        memset(rx.len, 0, rx.n * sizeof(rx.len[0]));
    } else {
        hdr[10] = (uint8_t)rx.n;       /* num_buffers, little-endian (1 without MRG_RXBUF) */
        hdr[11] = (uint8_t)(rx.n >> 8);
        virtio_net_chain_write(&first, 0, hdr, virtio_net_hdr_len(n));   /* legacy: the first 10 */
    }
    virtq_push_n(rq, rx.head, rx.len, rx.n);
    virtio_notify_used_locked(v, qi);
    return 0;
}

int virtio_net_receive(void *opaque, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct virtio_net *n = opaque;
    pthread_mutex_lock(&n->vdev.lock);
    int r = receive_locked(n, q, NULL, iov, iovcnt);
    pthread_mutex_unlock(&n->vdev.lock);
    return r;
}

int virtio_net_receive_hdr(void *opaque, unsigned q, const uint8_t *hdr, const struct iovec *iov,
                           int iovcnt)
{
    struct virtio_net *n = opaque;
    pthread_mutex_lock(&n->vdev.lock);
    int r = receive_locked(n, q, hdr, iov, iovcnt);
    pthread_mutex_unlock(&n->vdev.lock);
    return r;
}
