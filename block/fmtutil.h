/* Helpers shared by the foreign image formats (vmdk, vpc, vdi, vhdx): byte order, CRC-32C, GUIDs. */
#ifndef VMON_BLOCK_FMTUTIL_H
#define VMON_BLOCK_FMTUTIL_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t fu_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fu_le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t fu_le64(const uint8_t *p) { return fu_le32(p) | (uint64_t)fu_le32(p + 4) << 32; }
static inline uint16_t fu_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t fu_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static inline uint64_t fu_be64(const uint8_t *p) { return (uint64_t)fu_be32(p) << 32 | fu_be32(p + 4); }

static inline void fu_put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void fu_put_le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void fu_put_le64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static inline void fu_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void fu_put_be32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i)); }
static inline void fu_put_be64(uint8_t *p, uint64_t v) { fu_put_be32(p, (uint32_t)(v >> 32)); fu_put_be32(p + 4, (uint32_t)v); }

/* CRC-32C (Castagnoli), as VHDX checksums its headers, region tables and log entries. */
uint32_t fu_crc32c(uint32_t crc, const void *buf, size_t len);

/* A GUID in its text form ("CAA16737-FA36-...") as the 16 bytes Microsoft stores (first 3 fields LE). */
void fu_guid(const char *text, uint8_t out[16]);

/* Random bytes for identifiers (UUIDs, CIDs); never fails (falls back to time and pid). */
void fu_random(void *buf, size_t len);

#endif
