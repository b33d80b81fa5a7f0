/* virtio-vsock (virtio 1.2, 5.10) with Firecracker's host side: the host reaches guest port P by
 * connecting to the Unix socket at uds and writing "CONNECT P\n" (answered "OK <hostport>\n" once
 * the guest accepts); a guest connection to the host (CID 2) port P becomes a connection to the
 * Unix socket "<uds>_P". Stream sockets only; credit-based flow control both ways (5.10.6.3). */
#ifndef VMON_HW_VIRTIO_VSOCK_H
#define VMON_HW_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "hw/virtio/virtio.h"

struct evloop;

#define VSOCK_HOST_CID  2
#define VSOCK_HDR_LEN   44
#define VSOCK_MAX_CONNS 64
#define VSOCK_BUF_ALLOC (256 * 1024)   /* the credit vmon grants the guest per connection */
#define VSOCK_PENDING   128            /* control packets waiting for receive buffers */
#define VSOCK_MAX_PAYLOAD 65536

enum { VSOCK_OP_REQUEST = 1, VSOCK_OP_RESPONSE, VSOCK_OP_RST, VSOCK_OP_SHUTDOWN, VSOCK_OP_RW,
       VSOCK_OP_CREDIT_UPDATE, VSOCK_OP_CREDIT_REQUEST };
#define VSOCK_TYPE_STREAM 1

/* 5.10.6: struct virtio_vsock_hdr, all little-endian. */
struct vsock_hdr {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
};

enum vsock_state { VC_FREE, VC_HANDSHAKE, VC_REQUESTED, VC_ESTABLISHED, VC_CLOSING };

struct vsock_conn {
    enum vsock_state state;
    int fd;
    bool watched;                      /* fd is in the device's epoll set */
    uint32_t host_port, guest_port;
    uint32_t peer_buf_alloc, peer_fwd_cnt;   /* the guest's credit (5.10.6.3) */
    uint32_t tx_cnt;                   /* payload bytes sent to the guest */
    uint32_t fwd_cnt, fwd_reported;    /* guest bytes written to the host socket; last told */
    char line[24];                     /* "CONNECT <port>\n" as it arrives */
    unsigned line_len;
};

struct virtio_vsock {
    struct virtio_dev vdev;
    uint8_t config[8];                 /* guest_cid, le64 */
    uint64_t cid;
    char uds[108];
    int listen_fd, epfd;
    struct evloop *loop;
    struct vsock_conn conns[VSOCK_MAX_CONNS];
    struct vsock_hdr pending[VSOCK_PENDING];
    unsigned npending, dropped;
    bool rx_starved;                   /* data waits for receive buffers */
    bool reset_event;                  /* a TRANSPORT_RESET event waits for an event buffer */
    uint32_t next_host_port;
    uint8_t buf[VSOCK_MAX_PAYLOAD];    /* one payload in flight */
};

/* Listens on uds (removed first; NULL uds: no host side, every connection is refused). NULL with
 * err set. */
struct virtio_vsock *virtio_vsock_new(const struct guest_mem *mem, struct evloop *loop,
                                      uint64_t cid, const char *uds, char *err, size_t errlen);
void virtio_vsock_free(struct virtio_vsock *s);

/* vsock.c: packets. Parse 44 bytes: 0, -EINVAL when shorter. Pure. */
int vsock_hdr_parse(const uint8_t *buf, size_t n, struct vsock_hdr *h);
void vsock_hdr_put(uint8_t *buf, const struct vsock_hdr *h);
/* Queue a control packet for conn (op, flags) to the guest and flush. v->lock held. */
void vsock_send_ctl_locked(struct virtio_vsock *s, struct vsock_conn *c, uint16_t op,
                           uint32_t flags);
void vsock_send_rst_for_locked(struct virtio_vsock *s, const struct vsock_hdr *h);
/* Deliver pending control packets, then connection data, into receive buffers. v->lock held. */
void vsock_rx_locked(struct virtio_vsock *s);

/* Host input for an established conn into one receive chain. v->lock held. */
void vsock_conn_input_locked(struct virtio_vsock *s, struct vsock_conn *c);
extern const struct virtio_dev_ops vsock_ops;

/* vsock-conn.c: a packet from the guest, its payload at data. v->lock held. */
void vsock_handle_locked(struct virtio_vsock *s, const struct vsock_hdr *h, const uint8_t *data);
/* Host socket input for conn into a receive chain's buffer of room bytes: returns the payload
 * length read (0: nothing now), or -1 at EOF/error (the caller sends SHUTDOWN). */
long vsock_conn_read(struct virtio_vsock *s, struct vsock_conn *c, uint8_t *dst, uint32_t room);
uint32_t vsock_conn_credit(const struct vsock_conn *c);
void vsock_conn_watch(struct virtio_vsock *s, struct vsock_conn *c, bool on);
void vsock_conn_close(struct virtio_vsock *s, struct vsock_conn *c);
/* A free slot for fd (zeroed), or NULL when all are in use. */
struct vsock_conn *vsock_conn_new(struct virtio_vsock *s, int fd);

/* vsock-uds.c: the host side. */
/* The device's epoll set became readable: accept, handshakes, input. Loop thread. */
void vsock_on_events(void *opaque);
int vsock_listen(struct virtio_vsock *s, char *err, size_t errlen);

/* vsock-state.c, snapshots (issue 18), before the transport's part of the device's section and with
 * the device held: no connection is saved; a load closes this device's connections and queues a
 * TRANSPORT_RESET event. load: 0 or -EINVAL. events: sends a queued event. v->lock held. */
struct vms_writer;
struct vms_reader;
void virtio_vsock_save(struct virtio_vsock *s, struct vms_writer *w);
int virtio_vsock_load(struct virtio_vsock *s, struct vms_reader *r);
void vsock_events_locked(struct virtio_vsock *s);

#endif
