/* Receive-segment coalescing for a backend that hands the guest MSS-sized frames (user: libslirp):
 * consecutive in-order TCP segments of one flow become one GSO frame (virtio 1.2, 5.1.6.4:
 * gso_type TCPV4 or TCPV6, gso_size, hdr_len; DATA_VALID), as a tap with vnet_hdr hands the
 * device, so the guest runs its stack once per ~64 KiB instead of once per segment. What merges:
 * ACK (PSH ends a merge) without SYN/FIN/RST/URG/ECE/CWR; IPv4 with a 20-byte header and no
 * fragment (DF allowed), or IPv6 with TCP as its first next header; the same addresses (and IP
 * fields but lengths and IDs), ports, ack, window and TCP options; seq following on; every segment
 * but the last as long as the first; at most 65535 bytes of IPv4 datagram or IPv6 payload, and
 * NET_MAX_FRAME bytes of frame.
 * Anything else goes out as it came, in order. Nothing is held between rounds: the caller flushes
 * at the end of each. */
#ifndef VMON_NET_COALESCE_H
#define VMON_NET_COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One frame out: hdr is NULL for a frame passed as it came, else the 12-byte virtio_net_hdr
 * (num_buffers 0) of a merged one. */
typedef void coalesce_out_fn(void *opaque, const uint8_t *hdr, const uint8_t *frame, size_t len);

#define COALESCE_V4 1u
#define COALESCE_V6 2u

struct coalesce {
    coalesce_out_fn *out;
    void *opaque;
    unsigned allow;                    /* COALESCE_V4 | _V6 (both after init): what may merge */
    uint8_t *buf;                      /* NET_MAX_FRAME bytes: the pending frame */
    size_t len;                        /* its bytes; 0: nothing pending */
    size_t hdrs;                       /* Ethernet + IP + TCP header bytes */
    unsigned nseg;
    uint32_t mss, next_seq;            /* the first segment's payload; the seq that follows on */
    bool v6;                           /* its IP version */
    bool ended;                        /* PSH, or a short segment: nothing more joins */
    unsigned long merged;              /* segments that joined another (statistics) */
};

/* 0, or -ENOMEM. */
int coalesce_init(struct coalesce *c, coalesce_out_fn *out, void *opaque);
void coalesce_destroy(struct coalesce *c);
/* One frame (len bytes, an Ethernet frame; anything at all): merged into what is pending, or
 * what is pending goes out first. */
void coalesce_frame(struct coalesce *c, const uint8_t *frame, size_t len);
/* Sends what is pending. */
void coalesce_flush(struct coalesce *c);

#endif
