/* virtio-net on a fake backend and fake virtqueues in fake guest memory, driven as Linux's
 * virtio_net does: features for each kind of backend, config space, transmit (header stripped
 * and TSO cut for a backend without the vnet header, passed through for one with it), receive
 * (held back without buffers, DATA_VALID, too-small buffers), the MQ control command, and a
 * hostile descriptor chain that puts the device in NEEDS_RESET without harm; the device's snapshot
 * part and its hold around a snapshot. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/virtio/net-offload.h"
#include "hw/virtio/net.h"
#include "migration/vmstate.h"
#include "migration/vms-rig_test.h"

#define RAM   (1u << 20)
#define QSPAN 0x4000u
#define DATA  0x40000u

struct fake {
    struct net_backend nb;
    int sent;
    size_t len[8];
    uint8_t frame[8][2048];
    int rx_ready;
};

static int f_start(struct net_backend *nb, const struct net_peer *p) { (void)nb; (void)p; return 0; }
static void f_free(struct net_backend *nb) { (void)nb; }
static void f_rx_ready(struct net_backend *nb, unsigned q) { (void)q; ((struct fake *)nb)->rx_ready++; }

static int f_send(struct net_backend *nb, unsigned q, const struct iovec *iov, int iovcnt)
{
    struct fake *f = (struct fake *)nb;
    (void)q;
    assert_int_equal(iovcnt, 1);
    assert_true(f->sent < 8 && iov[0].iov_len <= sizeof(f->frame[0]));
    memcpy(f->frame[f->sent], iov[0].iov_base, iov[0].iov_len);
    f->len[f->sent++] = iov[0].iov_len;
    return 0;
}

static const struct net_backend_ops fake_ops = {
    .name = "fake", .start = f_start, .send = f_send, .rx_ready = f_rx_ready, .free = f_free,
};

struct rig {
    struct guest_mem mem;
    struct fake fb;
    struct virtio_net *n;
    uint16_t avail[9];
};

static void rig_init(struct rig *r, bool vnet, unsigned pairs, uint64_t features, unsigned mtu)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(guest_mem_init(&r->mem, RAM), 0);
    r->fb.nb = (struct net_backend){ .ops = &fake_ops, .vnet_hdr = vnet, .csum_valid = !vnet, .pairs = pairs,
                                  .mtu = mtu, .rx_coalesce = !vnet };   /* !vnet: as slirp */
    uint8_t mac[6] = { 0x52, 0x54, 0, 1, 2, 3 };
    r->n = virtio_net_new(&r->fb.nb, mac, &r->mem);
    assert_non_null(r->n);
    struct virtio_dev *v = &r->n->vdev;
    for (unsigned i = 0; i < v->ops->num_queues; i++) {
        struct virtq *q = &v->queues[i];
        q->size = 16;
        q->desc = i * QSPAN;
        q->avail = i * QSPAN + 0x1000;
        q->used = i * QSPAN + 0x2000;
        assert_int_equal(virtq_enable(q), 0);
    }
    v->driver_features = features & virtio_dev_features(v);
    virtio_set_status_locked(v, 1 | 2 | 8 | 4);
    assert_true(virtio_running_locked(v));
}

static void rig_free(struct rig *r)
{
    virtio_net_free(r->n);
    guest_mem_destroy(&r->mem);
}

/* Puts a chain of (addr, len, write) buffers at descriptors from d0 on queue qi and makes it
 * available. */
static void post_at(struct rig *r, unsigned qi, uint16_t d0, int n, const uint64_t *addr,
                    const uint32_t *len, const bool *wr)
{
    uint8_t *m = r->mem.base;
    for (int i = 0; i < n; i++) {
        uint8_t *d = m + qi * QSPAN + 16 * (d0 + (unsigned)i);
        uint16_t flags = (uint16_t)((i + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | (wr[i] ? VIRTQ_DESC_F_WRITE : 0));
        uint16_t next = (uint16_t)(d0 + i + 1);
        memcpy(d, &addr[i], 8);
        memcpy(d + 8, &len[i], 4);
        memcpy(d + 12, &flags, 2);
        memcpy(d + 14, &next, 2);
    }
    uint8_t *av = m + qi * QSPAN + 0x1000;
    memcpy(av + 4 + 2 * (r->avail[qi] % 16), &d0, 2);
    r->avail[qi]++;
    memcpy(av + 2, &r->avail[qi], 2);
}

static void post(struct rig *r, unsigned qi, int n, const uint64_t *addr, const uint32_t *len, const bool *wr)
{
    post_at(r, qi, 0, n, addr, len, wr);
}

static uint32_t used_id(struct rig *r, unsigned qi, unsigned idx)
{
    uint32_t id;
    memcpy(&id, r->mem.base + qi * QSPAN + 0x2000 + 4 + 8 * idx, 4);
    return id;
}

static uint16_t used_idx(struct rig *r, unsigned qi)
{
    uint16_t idx;
    memcpy(&idx, r->mem.base + qi * QSPAN + 0x2000 + 2, 2);
    return idx;
}

static uint32_t used_len(struct rig *r, unsigned qi, unsigned idx)
{
    uint32_t len;
    memcpy(&len, r->mem.base + qi * QSPAN + 0x2000 + 4 + 8 * idx + 4, 4);
    return len;
}

static void notify(struct rig *r, unsigned qi)
{
    pthread_mutex_lock(&r->n->vdev.lock);
    r->n->vdev.ops->queue_notify(&r->n->vdev, qi);
    pthread_mutex_unlock(&r->n->vdev.lock);
}

static void features_and_config(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~0ull, 0);
    uint64_t f = virtio_dev_features(&r.n->vdev);
    assert_true(f & 1ull << VIRTIO_NET_F_MAC && f & 1ull << VIRTIO_NET_F_CSUM &&
                f & 1ull << VIRTIO_NET_F_HOST_TSO4 && f & 1ull << VIRTIO_NET_F_GUEST_CSUM);
    assert_true(f & 1ull << VIRTIO_NET_F_GUEST_TSO4);    /* slirp's segments, coalesced */
    assert_true(f & 1ull << VIRTIO_NET_F_GUEST_TSO6);
    assert_false(f & 1ull << VIRTIO_NET_F_MQ);
    assert_int_equal(r.n->vdev.ops->num_queues, 3);
    assert_memory_equal(r.n->config, "\x52\x54\x00\x01\x02\x03", 6);
    rig_free(&r);
    rig_init(&r, true, 2, ~0ull, 0);
    f = virtio_dev_features(&r.n->vdev);
    assert_true(f & 1ull << VIRTIO_NET_F_GUEST_TSO4 && f & 1ull << VIRTIO_NET_F_MQ);
    assert_true(f & 1ull << VIRTIO_NET_F_GUEST_TSO6);
    assert_int_equal(r.n->vdev.ops->num_queues, 5);
    assert_int_equal(r.n->config[8], 2);                 /* max_virtqueue_pairs */
    assert_true(f & 1ull << VIRTIO_NET_F_MRG_RXBUF);     /* TSO frames outgrow one buffer */
    assert_false(f & 1ull << VIRTIO_NET_F_MTU);
    rig_free(&r);
}

/* GUEST_TSO4/6 withdrawn one by one (guest_tso4=off, guest_tso6=off) and given back by on, but
 * only where the backend can send them: a backend that neither passes the vnet header nor
 * coalesces gets neither. */
static void features_guest_tso(void **state)
{
    (void)state;
    uint64_t tso4 = 1ull << VIRTIO_NET_F_GUEST_TSO4, tso6 = 1ull << VIRTIO_NET_F_GUEST_TSO6;
    struct rig r;
    for (int vnet = 0; vnet < 2; vnet++) {
        rig_init(&r, vnet, 1, ~0ull, 0);
        virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_GUEST_TSO4, false);
        assert_int_equal(virtio_dev_features(&r.n->vdev) & (tso4 | tso6), tso6);
        virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_GUEST_TSO6, false);
        assert_false(virtio_dev_features(&r.n->vdev) & (tso4 | tso6));
        assert_true(virtio_dev_features(&r.n->vdev) & 1ull << VIRTIO_NET_F_GUEST_CSUM);
        virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_GUEST_TSO4, true);
        assert_int_equal(virtio_dev_features(&r.n->vdev) & (tso4 | tso6), tso4);
        virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_GUEST_TSO6, true);
        virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_MRG_RXBUF, false);   /* not a TSO bit: ignored */
        assert_int_equal(virtio_dev_features(&r.n->vdev) & (tso4 | tso6 | 1ull << VIRTIO_NET_F_MRG_RXBUF),
                         tso4 | tso6 | 1ull << VIRTIO_NET_F_MRG_RXBUF);
        rig_free(&r);
    }
    rig_init(&r, false, 1, ~0ull, 0);
    r.fb.nb.rx_coalesce = false;
    virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_GUEST_TSO4, true);
    virtio_net_set_guest_tso(r.n, VIRTIO_NET_F_GUEST_TSO6, true);
    assert_false(virtio_dev_features(&r.n->vdev) & (tso4 | tso6));
    rig_free(&r);
}

/* A frame the backend hands with its header apart (slirp's coalesced GSO frames): the header as
 * given goes to the driver that took GUEST_TSO4 (TCPV4) or GUEST_TSO6 (TCPV6); without the one
 * it needs (the other taken) the frame is dropped. */
static void receive_with_header(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        bool took = k & 1, v6 = k & 2;
        struct rig r;
        uint64_t feat = ~(1ull << VIRTIO_NET_F_MRG_RXBUF);
        unsigned need = v6 ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_GUEST_TSO4;
        rig_init(&r, false, 1, took ? feat : feat & ~(1ull << need), 0);
        uint8_t frame[3000], hdr[NET_HDR_LEN];
        memset(frame, 0x3c, sizeof(frame));
        uint8_t gso = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
        struct vnet_hdr h = { .flags = VNET_HDR_F_DATA_VALID, .gso_type = gso,
                              .hdr_len = 54, .gso_size = 1448 };
        vnet_hdr_encode(&h, hdr);
        struct iovec iov = { frame, sizeof(frame) };
        uint64_t a[1] = { DATA };
        uint32_t l[1] = { 4096 };
        bool w[1] = { true };
        post(&r, 0, 1, a, l, w);
        assert_int_equal(virtio_net_receive_hdr(r.n, 0, hdr, &iov, 1), 0);
        assert_int_equal(used_idx(&r, 0), took);             /* dropped: the buffer stays posted */
        assert_int_equal(r.n->rx_dropped, took ? 0 : 1);
        if (took) {
            assert_int_equal(used_len(&r, 0, 0), NET_HDR_LEN + sizeof(frame));
            struct vnet_hdr got;
            vnet_hdr_decode(r.mem.base + DATA, &got);
            assert_int_equal(got.gso_type, gso);
            assert_int_equal(got.gso_size, 1448);
            assert_int_equal(got.hdr_len, 54);
            assert_int_equal(got.flags, VNET_HDR_F_DATA_VALID);
            assert_int_equal(got.num_buffers, 1);
            assert_memory_equal(r.mem.base + DATA + NET_HDR_LEN, frame, sizeof(frame));
        }
        rig_free(&r);
    }
}

/* MRG_RXBUF offered by default (also at MTU 1500, without the vnet header), withdrawn when asked;
 * MTU announced in config when the backend says one. */
static void features_mrg_and_mtu(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~0ull, 0);
    assert_true(virtio_dev_features(&r.n->vdev) & 1ull << VIRTIO_NET_F_MRG_RXBUF);
    assert_false(virtio_dev_features(&r.n->vdev) & 1ull << VIRTIO_NET_F_MTU);
    virtio_net_set_mrg_rxbuf(r.n, false);
    assert_false(virtio_dev_features(&r.n->vdev) & 1ull << VIRTIO_NET_F_MRG_RXBUF);
    virtio_net_set_mrg_rxbuf(r.n, true);
    assert_true(virtio_dev_features(&r.n->vdev) & 1ull << VIRTIO_NET_F_MRG_RXBUF);
    rig_free(&r);
    rig_init(&r, false, 1, ~0ull, 9000);
    uint64_t f = virtio_dev_features(&r.n->vdev);
    assert_true(f & 1ull << VIRTIO_NET_F_MRG_RXBUF && f & 1ull << VIRTIO_NET_F_MTU);
    assert_int_equal(r.n->config[10] | r.n->config[11] << 8, 9000);
    virtio_net_set_mrg_rxbuf(r.n, false);
    assert_false(virtio_dev_features(&r.n->vdev) & 1ull << VIRTIO_NET_F_MRG_RXBUF);
    rig_free(&r);
}

/* A TSO frame from the guest: header + Ethernet/IPv4/TCP with 3000 bytes, MSS 1448. */
static size_t tso_frame(uint8_t *p)
{
    struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .hdr_len = 54,
                          .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
    vnet_hdr_encode(&h, p);
    uint8_t *f = p + NET_HDR_LEN;
    memset(f, 0, 54);
    f[12] = 0x08;
    f[14] = 0x45;
    f[23] = 6;
    f[34 + 12] = 0x50;
    f[34 + 13] = 0x18;
    memset(f + 54, 0xab, 3000);
    return NET_HDR_LEN + 54 + 3000;
}

static void transmit_segments_for_slirp(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~0ull, 0);
    size_t len = tso_frame(r.mem.base + DATA);
    /* The header in its own buffer, the frame split across two (2.6.4: any layout). */
    uint64_t a[3] = { DATA, DATA + NET_HDR_LEN, DATA + 100 };
    uint32_t l[3] = { NET_HDR_LEN, 100 - NET_HDR_LEN, (uint32_t)(len - 100) };
    bool w[3] = { false, false, false };
    post(&r, 1, 3, a, l, w);
    notify(&r, 1);
    assert_int_equal(r.fb.sent, 3);                      /* 1448 + 1448 + 104 */
    assert_int_equal(r.fb.len[0], 54 + 1448);
    assert_int_equal(r.fb.len[2], 54 + 104);
    assert_int_equal(r.n->vdev.queues[1].used_idx, 1);
    rig_free(&r);
}

static void transmit_passes_header_to_tap(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true, 1, ~0ull, 0);
    uint8_t *p = r.mem.base + DATA;
    memset(p, 0, NET_HDR_LEN);
    memset(p + NET_HDR_LEN, 0x11, 60);
    uint64_t a[1] = { DATA };
    uint32_t l[1] = { NET_HDR_LEN + 60 };
    bool w[1] = { false };
    post(&r, 1, 1, a, l, w);
    notify(&r, 1);
    assert_int_equal(r.fb.sent, 1);
    assert_int_equal(r.fb.len[0], NET_HDR_LEN + 60);
    rig_free(&r);
}

/* A legacy driver (no VERSION_1, no MRG_RXBUF) uses the 10-byte header: its frames go out whole
 * (widened to the backend's 12 bytes) and frames it receives start at byte 10. */
static void legacy_header(void **state)
{
    (void)state;
    struct rig r;
    uint64_t legacy = ~(1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MRG_RXBUF);
    rig_init(&r, true, 1, legacy, 0);
    assert_int_equal(virtio_net_hdr_len(r.n), NET_HDR_LEN - 2);
    uint8_t *p = r.mem.base + DATA;
    memset(p, 0, 10);
    memset(p + 10, 0x11, 60);
    uint64_t a[1] = { DATA };
    uint32_t l[1] = { 10 + 60 };
    bool w[1] = { false };
    post(&r, 1, 1, a, l, w);
    notify(&r, 1);
    assert_int_equal(r.fb.sent, 1);
    assert_int_equal(r.fb.len[0], NET_HDR_LEN + 60);       /* the backend's header, then 60 bytes */
    rig_free(&r);
    rig_init(&r, false, 1, legacy, 0);
    uint8_t frame[100];
    memset(frame, 0x5a, sizeof(frame));
    struct iovec iov = { frame, sizeof(frame) };
    uint64_t ra[1] = { DATA };
    uint32_t rl[1] = { 2000 };
    bool rw[1] = { true };
    post(&r, 0, 1, ra, rl, rw);
    notify(&r, 0);
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), 0);
    assert_int_equal(used_len(&r, 0, 0), 10 + 100);
    assert_memory_equal(r.mem.base + DATA + 10, frame, 100);
    rig_free(&r);
}

static void receive(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~(1ull << VIRTIO_NET_F_MRG_RXBUF), 0);
    uint8_t frame[100];
    memset(frame, 0x5a, sizeof(frame));
    struct iovec iov = { frame, sizeof(frame) };
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), -EAGAIN);   /* no buffer yet */
    uint64_t a[2] = { DATA, DATA + 8 };
    uint32_t l[2] = { 8, 2000 };
    bool w[2] = { true, true };
    post(&r, 0, 2, a, l, w);
    notify(&r, 0);
    assert_int_equal(r.fb.rx_ready, 1);
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), 0);
    assert_int_equal(used_len(&r, 0, 0), NET_HDR_LEN + 100);
    struct vnet_hdr h;
    vnet_hdr_decode(r.mem.base + DATA, &h);
    assert_int_equal(h.flags, VNET_HDR_F_DATA_VALID);
    assert_int_equal(h.num_buffers, 1);
    assert_memory_equal(r.mem.base + DATA + NET_HDR_LEN, frame, 100);
    l[1] = 50;                                           /* too small: the frame is dropped */
    post(&r, 0, 2, a, l, w);
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), 0);
    assert_int_equal(used_len(&r, 0, 1), 0);
    rig_free(&r);
}

/* Posts n one-buffer receive chains of size bytes each, at DATA + 0x1000 * i. */
static void post_rx(struct rig *r, unsigned from, unsigned n, uint32_t size)
{
    for (unsigned i = from; i < from + n; i++) {
        uint64_t a[1] = { DATA + 0x1000 * i };
        uint32_t l[1] = { size };
        bool w[1] = { true };
        post_at(r, 0, (uint16_t)i, 1, a, l, w);
    }
}

/* MRG_RXBUF: a frame bigger than one chain spreads over as many as it needs, num_buffers says
 * how many, and all of them are used at once. */
static void receive_mergeable(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~0ull, 9000);
    assert_true(virtio_net_has(r.n, VIRTIO_NET_F_MRG_RXBUF));
    uint8_t frame[1400];
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7);
    struct iovec iov[2] = { { frame, 500 }, { frame + 500, 900 } };
    post_rx(&r, 0, 1, 600);
    assert_int_equal(virtio_net_receive(r.n, 0, iov, 2), -EAGAIN);   /* one chain: too little */
    assert_int_equal(used_idx(&r, 0), 0);
    assert_int_equal(r.n->vdev.queues[0].last_avail, 0);             /* taken back */
    post_rx(&r, 1, 2, 600);
    assert_int_equal(virtio_net_receive(r.n, 0, iov, 2), 0);
    assert_int_equal(used_idx(&r, 0), 3);
    assert_int_equal(used_len(&r, 0, 0), 600);
    assert_int_equal(used_len(&r, 0, 1), 600);
    assert_int_equal(used_len(&r, 0, 2), NET_HDR_LEN + 1400 - 1200);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(used_id(&r, 0, i), i);
    struct vnet_hdr h;
    vnet_hdr_decode(r.mem.base + DATA, &h);
    assert_int_equal(h.num_buffers, 3);
    assert_int_equal(h.flags, VNET_HDR_F_DATA_VALID);
    assert_memory_equal(r.mem.base + DATA + NET_HDR_LEN, frame, 600 - NET_HDR_LEN);
    assert_memory_equal(r.mem.base + DATA + 0x1000, frame + 588, 600);
    assert_memory_equal(r.mem.base + DATA + 0x2000, frame + 1188, 212);
    /* A small frame takes one chain. */
    post_rx(&r, 3, 1, 2048);
    iov[0].iov_len = 60;
    assert_int_equal(virtio_net_receive(r.n, 0, iov, 1), 0);
    assert_int_equal(used_len(&r, 0, 3), NET_HDR_LEN + 60);
    vnet_hdr_decode(r.mem.base + DATA + 0x3000, &h);
    assert_int_equal(h.num_buffers, 1);
    rig_free(&r);
}

/* MRG_RXBUF with a chain smaller than the header (5.1.6.3.1 forbids it): the frame is lost and
 * the chains it took are used with length 0; the next frame goes normally. */
static void receive_mergeable_bad_chain(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~0ull, 9000);
    uint8_t frame[300];
    memset(frame, 0x33, sizeof(frame));
    struct iovec iov = { frame, sizeof(frame) };
    post_rx(&r, 0, 1, 200);
    post_rx(&r, 1, 1, 8);
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), 0);
    assert_int_equal(used_idx(&r, 0), 2);
    assert_int_equal(used_len(&r, 0, 0), 0);
    assert_int_equal(used_len(&r, 0, 1), 0);
    assert_int_equal(r.n->rx_dropped, 1);
    assert_false(r.n->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    post_rx(&r, 2, 2, 200);
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), 0);
    assert_int_equal(used_idx(&r, 0), 4);
    assert_int_equal(used_len(&r, 0, 3), NET_HDR_LEN + 300 - 200);
    rig_free(&r);
}

/* From a backend with the vnet header (tap), split anywhere: its header reaches the driver with
 * num_buffers set, the frame after it. */
static void receive_mergeable_vnet(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true, 1, ~0ull, 0);
    uint8_t buf[NET_HDR_LEN + 1000];
    struct vnet_hdr h = { .flags = VNET_HDR_F_NEEDS_CSUM, .gso_type = VNET_GSO_TCPV4, .hdr_len = 54,
                          .gso_size = 900, .csum_start = 34, .csum_offset = 16 };
    vnet_hdr_encode(&h, buf);
    for (unsigned i = 0; i < 1000; i++)
        buf[NET_HDR_LEN + i] = (uint8_t)(i * 3 + 1);
    struct iovec iov[3] = { { buf, 5 }, { buf + 5, 100 }, { buf + 105, sizeof(buf) - 105 } };
    post_rx(&r, 0, 2, 512);
    assert_int_equal(virtio_net_receive(r.n, 0, iov, 3), 0);
    assert_int_equal(used_len(&r, 0, 0), 512);
    assert_int_equal(used_len(&r, 0, 1), NET_HDR_LEN + 1000 - 512);
    struct vnet_hdr g;
    vnet_hdr_decode(r.mem.base + DATA, &g);
    assert_int_equal(g.gso_size, 900);
    assert_int_equal(g.csum_start, 34);
    assert_int_equal(g.num_buffers, 2);
    assert_memory_equal(r.mem.base + DATA + NET_HDR_LEN, buf + NET_HDR_LEN, 500);
    assert_memory_equal(r.mem.base + DATA + 0x1000, buf + NET_HDR_LEN + 500, 500);
    rig_free(&r);
}

static void ctrl_mq(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, true, 2, ~0ull, 0);
    unsigned cq = 4;
    uint8_t *cmd = r.mem.base + DATA;
    uint8_t set2[4] = { 4, 0, 2, 0 }, set5[4] = { 4, 0, 5, 0 };
    uint64_t a[2] = { DATA, DATA + 16 };
    uint32_t l[2] = { 4, 1 };
    bool w[2] = { false, true };
    memcpy(cmd, set2, 4);
    post(&r, cq, 2, a, l, w);
    notify(&r, cq);
    assert_int_equal(r.mem.base[DATA + 16], 0);          /* VIRTIO_NET_OK */
    assert_int_equal(r.n->active_pairs, 2);
    memcpy(cmd, set5, 4);
    post(&r, cq, 2, a, l, w);
    notify(&r, cq);
    assert_int_equal(r.mem.base[DATA + 16], 1);          /* VIRTIO_NET_ERR: more than offered */
    assert_int_equal(r.n->active_pairs, 2);
    rig_free(&r);
}

static void hostile_chain(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, false, 1, ~0ull, 0);
    uint64_t a[2] = { DATA, RAM - 4 };                   /* the second runs past RAM */
    uint32_t l[2] = { NET_HDR_LEN, 4096 };
    bool w[2] = { false, false };
    post(&r, 1, 2, a, l, w);
    notify(&r, 1);
    assert_true(r.n->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(r.fb.sent, 0);
    uint8_t frame[60] = { 0 };
    struct iovec iov = { frame, sizeof(frame) };
    assert_int_equal(virtio_net_receive(r.n, 0, &iov, 1), 0);   /* dropped, no crash */
    rig_free(&r);
}

/* The device's part of a snapshot (net-state.c): the enabled pairs and the MAC the driver knows carry
 * over; a device with other pairs, or a cut section, refuses it. While held (virtio_dev_hold) a frame
 * waits (-EAGAIN, the backend keeps it); the release looks at the queues (rx_ready) and it goes in. */
static int load_net(struct virtio_net *n, const struct vms_writer *w, size_t cut)
{
    static struct vms_index idx;
    struct vms_reader r;
    vms_test_reader(w, &idx, &r);
    r.len -= cut;
    return virtio_net_load(n, &r);
}

static void state_and_hold(void **state)
{
    (void)state;
    struct rig a, b, one;
    rig_init(&a, true, 2, ~0ull, 0);
    rig_init(&b, true, 2, ~0ull, 0);
    rig_init(&one, true, 1, ~0ull, 0);
    a.n->active_pairs = 2;
    a.n->config[5] = 0x77;                               /* the MAC the guest read */
    struct vms_writer w;
    vms_writer_init(&w);
    vms_begin(&w, VMS_TAG('V', 'N', 'E', 'T'), 0);
    assert_int_equal(virtio_net_save(a.n, &w), 0);
    vms_end(&w);
    assert_int_equal(vms_finish(&w), 0);
    assert_int_equal(load_net(one.n, &w, 0), -EINVAL);     /* max_virtqueue_pairs differs */
    assert_int_equal(load_net(b.n, &w, 1), -EINVAL);       /* cut short */
    assert_int_equal(b.n->active_pairs, 1);
    assert_int_equal(load_net(b.n, &w, 0), 0);
    assert_int_equal(b.n->active_pairs, 2);
    assert_int_equal(b.n->config[5], 0x77);
    uint8_t frame[60] = { 0 };
    struct iovec iov = { frame, sizeof(frame) };
    uint64_t addr[1] = { DATA };
    uint32_t len[1] = { 2048 };
    bool wr[1] = { true };
    post(&b, 0, 1, addr, len, wr);
    virtio_dev_hold(&b.n->vdev, true);
    assert_int_equal(virtio_net_receive(b.n, 0, &iov, 1), -EAGAIN);
    assert_int_equal(used_idx(&b, 0), 0);                 /* RAM untouched */
    int before = b.fb.rx_ready;
    virtio_dev_hold(&b.n->vdev, false);
    assert_true(b.fb.rx_ready > before);                 /* the backend is told to offer it again */
    assert_int_equal(virtio_net_receive(b.n, 0, &iov, 1), 0);
    assert_int_equal(used_idx(&b, 0), 1);
    vms_writer_free(&w);
    rig_free(&a);
    rig_free(&b);
    rig_free(&one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(features_and_config),
        cmocka_unit_test(features_mrg_and_mtu),
        cmocka_unit_test(features_guest_tso),
        cmocka_unit_test(receive_with_header),
        cmocka_unit_test(transmit_segments_for_slirp),
        cmocka_unit_test(transmit_passes_header_to_tap),
        cmocka_unit_test(receive),
        cmocka_unit_test(legacy_header),
        cmocka_unit_test(receive_mergeable),
        cmocka_unit_test(receive_mergeable_bad_chain),
        cmocka_unit_test(receive_mergeable_vnet),
        cmocka_unit_test(ctrl_mq),
        cmocka_unit_test(hostile_chain),
        cmocka_unit_test(state_and_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
