/* virtio-net (virtio 1.2, 5.1): receive and transmit queue pairs and a control queue, over a
 * network backend (net/net.h). Offloads offered: checksum and TSO both ways where the backend
 * passes the virtio-net header (tap) or coalesces its TCP segments into GSO frames (user: its
 * frames come with their header apart), checksum and TSO from the guest everywhere (completed and
 * segmented in software, hw/virtio/net-offload.c, for backends that need whole frames),
 * mergeable receive buffers (VIRTIO_NET_F_MRG_RXBUF, net-rx.c) and multiqueue (VIRTIO_NET_F_MQ)
 * when the backend has more than one pair. */
#ifndef VMON_HW_VIRTIO_NET_H
#define VMON_HW_VIRTIO_NET_H

#include "hw/virtio/virtio.h"
#include "net/net.h"

#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_MTU        3
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_CTRL_VQ    17
#define VIRTIO_NET_F_MQ         22

struct virtio_net {
    struct virtio_dev vdev;
    struct virtio_dev_ops ops;         /* this device's: queue count and features vary */
    struct net_backend *nb;            /* owned */
    uint8_t config[12];                /* mac, status, max_virtqueue_pairs, mtu (5.1.4) */
    unsigned pairs, active_pairs;      /* pairs offered; pairs the driver enabled (5.1.6.5.5) */
    uint64_t offload_features;         /* driver features last passed to the backend */
    uint8_t *txbuf;                    /* NET_HDR_LEN + NET_MAX_FRAME: one linearised frame */
    uint8_t *segbuf;                   /* NET_MAX_FRAME: one software-TSO segment */
    unsigned long tx_dropped, rx_dropped;
};

/* A device over nb (taken over: freed with the device) with MAC address mac. */
struct virtio_net *virtio_net_new(struct net_backend *nb, const uint8_t mac[6],
                                  const struct guest_mem *mem);
/* Offers VIRTIO_NET_F_MRG_RXBUF or not (mrg_rxbuf=on|off), overriding the default: offered, as
 * QEMU does. At MTU 1500 a frame fits one of Linux's small buffers too, but a small buffer's
 * truesize (about 1.9 KiB a frame) shrinks the TCP window the guest advertises: host -> guest
 * through slirp took 1161 zero-window cycles for 32 MiB without it against 337 with it, so 1.6x
 * the receive interrupts and 2.2x the ACKs per byte (benches/NOTES.md). Before the driver reads
 * features. */
void virtio_net_set_mrg_rxbuf(struct virtio_net *n, bool on);
/* Offers feature bit VIRTIO_NET_F_GUEST_TSO4 or _TSO6 where the backend can send such frames
 * (on: the default) or not (guest_tso4=off, guest_tso6=off): a tap's frames or, with user
 * networking, slirp's segments coalesced into GSO frames (net/coalesce.c). Before the driver
 * reads features. */
void virtio_net_set_guest_tso(struct virtio_net *n, unsigned bit, bool on);
/* Starts the backend delivering frames to the device. */
int virtio_net_start(struct virtio_net *n);
void virtio_net_free(struct virtio_net *n);

/* The data path (net-rxtx.c): a frame from the backend for pair q; a transmit queue's chains
 * to the backend; the control queue. The latter two with v->lock held. */
int virtio_net_receive(void *opaque, unsigned q, const struct iovec *iov, int iovcnt);
/* A frame with its virtio_net_hdr apart (net_peer.receive_hdr: the user backend's coalesced
 * frames); one asking for an offload the driver did not accept is dropped. */
int virtio_net_receive_hdr(void *opaque, unsigned q, const uint8_t *hdr, const struct iovec *iov,
                           int iovcnt);
void virtio_net_tx_locked(struct virtio_net *n, unsigned qi);
void virtio_net_ctrl_locked(struct virtio_net *n, unsigned qi);
/* For net-rx.c and net-rxtx.c: whether the driver accepted feature bit; copies len bytes from
 * src into the chain's device-writable buffers from byte at on. */
bool virtio_net_has(const struct virtio_net *n, unsigned bit);
/* The header the driver puts before each frame: 12 bytes (with num_buffers) once it accepted
 * VIRTIO_F_VERSION_1 or MRG_RXBUF, else the legacy interface's 10 (5.1.6.1, legacy 5.1.6). */
size_t virtio_net_hdr_len(const struct virtio_net *n);
void virtio_net_chain_write(const struct virtq_chain *c, uint64_t at, const uint8_t *src,
                            size_t len);
/* Passes the negotiated receive offloads to the backend when they changed. v->lock held. */
void virtio_net_apply_offloads_locked(struct virtio_net *n);

/* net-state.c, snapshots (issue 18), before the transport's part of the NIC's section and with the
 * device held (virtio_dev_hold): enabled pairs, config space, the backend's state. save: 0 or -errno
 * (the backend could not save); load: 0 or -EINVAL (a bad section, or another backend's state). */
struct vms_writer;
struct vms_reader;
int virtio_net_save(struct virtio_net *n, struct vms_writer *w);
int virtio_net_load(struct virtio_net *n, struct vms_reader *r);

#endif
