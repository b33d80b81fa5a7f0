/* The Internet checksum (RFC 1071), shared by virtio-net's offloads (hw/virtio/net-offload.c) and
 * user networking's segment coalescing (net/coalesce.c). */
#ifndef VMON_UTIL_INET_CSUM_H
#define VMON_UTIL_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* The one's-complement sum of n bytes (big-endian 16-bit words, an odd last byte padded with
 * zero) added to sum, not yet folded: sums of parts add up. */
uint32_t inet_sum(uint32_t sum, const uint8_t *p, size_t n);
/* The checksum field for a sum: folded to 16 bits and complemented (0 when a sum over data that
 * holds its own correct checksum is folded). */
uint16_t inet_fold(uint32_t sum);

#endif
