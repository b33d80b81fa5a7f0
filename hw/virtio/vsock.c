/* virtio-vsock's queues (virtio 1.2, 5.10.2): 0 receive (device to driver), 1 transmit, 2 events
 * (the transport reset after a restore: vsock-state.c). Every packet the guest transmits is checked:
 * a header of 44 bytes, a payload no longer than the chain holds nor VSOCK_MAX_PAYLOAD; anything else
 * is answered with RST (5.10.6.2) and vmon goes on. Replies wait in a bounded list for receive
 * buffers; host data is read only when the guest has both buffers and credit for it. */
#include "hw/virtio/vsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int vsock_hdr_parse(const uint8_t *b, size_t n, struct vsock_hdr *h)
{
    if (n < VSOCK_HDR_LEN)
        return -EINVAL;
    h->src_cid = get_le(b, 8);
    h->dst_cid = get_le(b + 8, 8);
    h->src_port = (uint32_t)get_le(b + 16, 4);
    h->dst_port = (uint32_t)get_le(b + 20, 4);
    h->len = (uint32_t)get_le(b + 24, 4);
    h->type = (uint16_t)get_le(b + 28, 2);
    h->op = (uint16_t)get_le(b + 30, 2);
    h->flags = (uint32_t)get_le(b + 32, 4);
    h->buf_alloc = (uint32_t)get_le(b + 36, 4);
    h->fwd_cnt = (uint32_t)get_le(b + 40, 4);
    return 0;
}

void vsock_hdr_put(uint8_t *b, const struct vsock_hdr *h)
{
    put_le(b, h->src_cid, 8);
    put_le(b + 8, h->dst_cid, 8);
    put_le(b + 16, h->src_port, 4);
    put_le(b + 20, h->dst_port, 4);
    put_le(b + 24, h->len, 4);
    put_le(b + 28, h->type, 2);
    put_le(b + 30, h->op, 2);
    put_le(b + 32, h->flags, 4);
    put_le(b + 36, h->buf_alloc, 4);
    put_le(b + 40, h->fwd_cnt, 4);
}

/* Writes hdr then len payload bytes over the chain's writable buffers; returns bytes written. */
static uint32_t scatter(const struct virtq_chain *ch, const struct vsock_hdr *h, const uint8_t *data,
                        uint32_t len)
{
    uint8_t hb[VSOCK_HDR_LEN];
    vsock_hdr_put(hb, h);
    uint32_t total = VSOCK_HDR_LEN + len, at = 0;
    for (int i = 0; i < ch->n && at < total; i++) {
        const struct virtq_buf *b = &ch->bufs[i];
        for (uint32_t k = 0; b->write && k < b->len && at < total; ) {
            const uint8_t *src = at < VSOCK_HDR_LEN ? hb + at : data + (at - VSOCK_HDR_LEN);
            uint32_t left = at < VSOCK_HDR_LEN ? VSOCK_HDR_LEN - at : total - at;
            uint32_t n = left < b->len - k ? left : b->len - k;
            memcpy(b->hva + k, src, n);
            k += n;
            at += n;
        }
    }
    return at;
}

/* The next receive chain with room for at least a header: 1, 0 when none, -1 (NEEDS_RESET). */
static int rx_chain(struct virtio_vsock *s, struct virtq_chain *ch)
{
    struct virtio_dev *v = &s->vdev;
    const char *why = NULL;
    if (!virtio_running_locked(v) || !v->queues[0].ready)
        return 0;
    int r = virtq_pop(&v->queues[0], ch, &why);
    if (r > 0 && ch->writable < VSOCK_HDR_LEN) {
        why = "a receive buffer shorter than a packet header";
        r = -1;
    }
    if (r < 0)
        virtio_needs_reset_locked(v, why);
    if (r == 0)
        s->rx_starved = true;
    return r;
}

static void fill_hdr(const struct virtio_vsock *s, const struct vsock_conn *c, struct vsock_hdr *h,
                     uint16_t op, uint32_t flags, uint32_t len)
{
    *h = (struct vsock_hdr){ .src_cid = VSOCK_HOST_CID, .dst_cid = s->cid, .src_port = c->host_port,
                             .dst_port = c->guest_port, .len = len, .type = VSOCK_TYPE_STREAM,
                             .op = op, .flags = flags, .buf_alloc = VSOCK_BUF_ALLOC,
                             .fwd_cnt = c->fwd_cnt };
}

void vsock_rx_locked(struct virtio_vsock *s)
{
    struct virtq_chain ch;
    unsigned done = 0;
    while (done < s->npending && rx_chain(s, &ch) > 0) {
        virtq_push(&s->vdev.queues[0], ch.head, scatter(&ch, &s->pending[done], NULL, 0));
        done++;
    }
    memmove(s->pending, s->pending + done, (s->npending - done) * sizeof(s->pending[0]));
    s->npending -= done;
    if (done)
        virtio_notify_used_locked(&s->vdev, 0);
}

static void queue_ctl(struct virtio_vsock *s, const struct vsock_hdr *h)
{
    if (s->npending == VSOCK_PENDING) {
        if (!s->dropped++)
            fprintf(stderr, "vmon: virtio-vsock: the driver takes no packets; dropping replies\n");
        return;
    }
    s->pending[s->npending++] = *h;
    vsock_rx_locked(s);
}

void vsock_send_ctl_locked(struct virtio_vsock *s, struct vsock_conn *c, uint16_t op, uint32_t flags)
{
    struct vsock_hdr h;
    fill_hdr(s, c, &h, op, flags, 0);
    if (op == VSOCK_OP_REQUEST || op == VSOCK_OP_RESPONSE || op == VSOCK_OP_CREDIT_UPDATE ||
        op == VSOCK_OP_RW)
        c->fwd_reported = c->fwd_cnt;
    queue_ctl(s, &h);
}

void vsock_send_rst_for_locked(struct virtio_vsock *s, const struct vsock_hdr *in)
{
    if (in->op == VSOCK_OP_RST)        /* never answer a reset with one */
        return;
    struct vsock_hdr h = { .src_cid = VSOCK_HOST_CID, .dst_cid = s->cid, .src_port = in->dst_port,
                           .dst_port = in->src_port, .type = VSOCK_TYPE_STREAM,
                           .op = VSOCK_OP_RST, .buf_alloc = VSOCK_BUF_ALLOC };
    queue_ctl(s, &h);
}

/* Host bytes for an established connection: as many as the guest's credit and one receive chain
 * allow. Stops watching the socket while the guest has no credit or buffers. */
void vsock_conn_input_locked(struct virtio_vsock *s, struct vsock_conn *c)
{
    uint32_t credit = vsock_conn_credit(c);
    struct virtq_chain ch;
    if (s->npending || !credit || rx_chain(s, &ch) <= 0) {
        vsock_conn_watch(s, c, false);
        return;
    }
    uint64_t room = ch.writable - VSOCK_HDR_LEN;
    if (room > credit)
        room = credit;
    if (room > sizeof(s->buf))
        room = sizeof(s->buf);
    long n = room ? vsock_conn_read(s, c, s->buf, (uint32_t)room) : 0;
    struct vsock_hdr h;
    if (n > 0) {
        fill_hdr(s, c, &h, VSOCK_OP_RW, 0, (uint32_t)n);
        c->tx_cnt += (uint32_t)n;
        c->fwd_reported = c->fwd_cnt;
    } else if (n < 0) {                /* the host closed: no more in either direction */
        fill_hdr(s, c, &h, VSOCK_OP_SHUTDOWN, 3, 0);
        vsock_conn_watch(s, c, false);
        c->state = VC_CLOSING;
    } else {                           /* nothing after all: the chain carries a credit update */
        fill_hdr(s, c, &h, VSOCK_OP_CREDIT_UPDATE, 0, 0);
    }
    virtq_push(&s->vdev.queues[0], ch.head, scatter(&ch, &h, s->buf, n > 0 ? (uint32_t)n : 0));
    virtio_notify_used_locked(&s->vdev, 0);
}

/* Transmit queue: one packet per chain, header and payload gathered from its readable bytes. */
static int tx_locked(struct virtio_vsock *s, const char **why)
{
    struct virtq *q = &s->vdev.queues[1];
    struct virtq_chain ch;
    bool used = false;
    int r;
    while ((r = virtq_pop(q, &ch, why)) > 0) {
        uint8_t hb[VSOCK_HDR_LEN];
        uint64_t at = 0, want = VSOCK_HDR_LEN + sizeof(s->buf);
        for (int i = 0; i < ch.n && at < want; i++) {
            const struct virtq_buf *b = &ch.bufs[i];
            for (uint32_t k = 0; !b->write && k < b->len && at < want; ) {
                uint8_t *dst = at < VSOCK_HDR_LEN ? hb + at : s->buf + (at - VSOCK_HDR_LEN);
                uint64_t left = at < VSOCK_HDR_LEN ? VSOCK_HDR_LEN - at : want - at;
                uint32_t n = left < b->len - k ? (uint32_t)left : b->len - k;
                memcpy(dst, b->hva + k, n);
                k += n;
                at += n;
            }
        }
        virtq_push(q, ch.head, 0);
        used = true;
        struct vsock_hdr h;
        if (vsock_hdr_parse(hb, at, &h) < 0)
            continue;                  /* not even a header: nobody to answer */
        if (h.len > at - VSOCK_HDR_LEN)
            vsock_send_rst_for_locked(s, &h);   /* the payload is not in the chain */
        else
            vsock_handle_locked(s, &h, s->buf);
    }
    if (used)
        virtio_notify_used_locked(&s->vdev, 1);
    return r;
}

static void queue_notify(struct virtio_dev *v, unsigned qi)
{
    struct virtio_vsock *s = v->opaque;
    const char *why = NULL;
    if (qi == 1 && tx_locked(s, &why) < 0) {
        virtio_needs_reset_locked(v, why);
        return;
    }
    if (qi == 2)
        vsock_events_locked(s);
    if (qi != 0)
        return;
    s->rx_starved = false;             /* new buffers: replies first, then host data */
    vsock_rx_locked(s);
    for (unsigned i = 0; i < VSOCK_MAX_CONNS && !s->rx_starved; i++)
        if (s->conns[i].state == VC_ESTABLISHED && vsock_conn_credit(&s->conns[i]))
            vsock_conn_watch(s, &s->conns[i], true);
}

static void reset(struct virtio_dev *v)
{
    struct virtio_vsock *s = v->opaque;
    for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
        if (s->conns[i].state != VC_FREE && s->conns[i].state != VC_HANDSHAKE)
            vsock_conn_close(s, &s->conns[i]);
    s->npending = 0;
    s->rx_starved = false;
    s->reset_event = false;
}

const struct virtio_dev_ops vsock_ops = {
    .name = "virtio-vsock",
    .device_id = 19,
    .num_queues = 3,
    .queue_notify = queue_notify,
    .reset = reset,
};
