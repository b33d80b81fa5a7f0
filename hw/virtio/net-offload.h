/* What a NIC does for the guest when the backend cannot (virtio 1.2, 5.1.6.2): finish the
 * checksum the driver left partial (VIRTIO_NET_HDR_F_NEEDS_CSUM) and cut a TSO frame
 * (GSO_TCPV4/TCPV6) into MSS-sized segments with their own IP and TCP headers. Pure functions
 * over one frame; everything in it is the guest's and is checked. */
#ifndef VMON_HW_VIRTIO_NET_OFFLOAD_H
#define VMON_HW_VIRTIO_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_GSO_NONE  0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP   3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN   0x80

/* struct virtio_net_hdr (5.1.6), decoded from its little-endian bytes. */
struct vnet_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};

void vnet_hdr_decode(const uint8_t *p, struct vnet_hdr *h);
void vnet_hdr_encode(const struct vnet_hdr *h, uint8_t *p);

/* Sends the frame (len bytes, no virtio header) as a NIC would put it on the wire: checksum
 * completed, TSO segmented into seg (a buffer of seg_cap bytes), each result through emit.
 * Returns 0, or -EINVAL for a header the frame does not match (nothing emitted). */
int vnet_offload(const struct vnet_hdr *h, uint8_t *frame, size_t len, uint8_t *seg, size_t seg_cap,
                 int (*emit)(void *opaque, const uint8_t *frame, size_t len), void *opaque);

#endif
