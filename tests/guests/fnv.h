/* The checkable computation of vmon's C test guest: the same source runs in the guest and on the host. */
#ifndef VMON_GUEST_FNV_H
#define VMON_GUEST_FNV_H
#include <stdint.h>
/* FNV-1a, 32 bits, over a NUL-terminated string. */
uint32_t fnv1a32(const char *s);
/* A longer checkable computation: a CRC-32 (IEEE, reflected) of the string, iterated `rounds` times
 * (each round hashes the previous CRC's four bytes after the string). */
uint32_t crc32_rounds(const char *s, uint32_t rounds);
/* The ring-3 compute loop: an LCG folded into a rotating xor, n steps. */
uint64_t lcg_mix(uint64_t n);
#endif
