/*
 * Helpers shared by the foreign image formats (vmdk, vpc, vdi, vhdx): byte order (util/bytes.h), CRC-32C, GUIDs, and
 * the read loop and block status every one of them runs around its own map of guest to host offsets.
 */
#ifndef VMON_BLOCK_FMTUTIL_H
#define VMON_BLOCK_FMTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/bytes.h"

struct blk;
struct blk_file;

/* CRC-32C (Castagnoli), as VHDX checksums its headers, region tables and log entries. */
uint32_t fu_crc32c(uint32_t crc, const void *buf, size_t len);

/* A GUID in its text form ("CAA16737-FA36-...") as the 16 bytes Microsoft stores (first 3 fields LE). */
void fu_guid(const char *text, uint8_t out[16]);

/* Random bytes for identifiers (UUIDs, CIDs); never fails (falls back to time and pid). */
void fu_random(void *buf, size_t len);

/* What a format's map says of guest bytes [off, off + n). */
enum fu_kind {
    FU_UNALLOC,   /* not in this image: reads as zeros, status unallocated */
    FU_ZERO,      /* reads as zeros and this image says so (a VMDK ZERO extent) */
    FU_HOST,      /* at host offset `host` of `file` */
    FU_OWN,       /* the format reads it itself (compressed grains, backing): fu_fmt's own_* */
};

struct fu_extent {
    enum fu_kind kind;
    uint64_t n;               /* bytes from off this answer covers: 1..len */
    struct blk_file *file;    /* FU_HOST */
    uint64_t host;            /* FU_HOST */
    bool holes;               /* FU_HOST: the file's holes read as zeros; status asks data_status */
    void *ext;                /* FU_OWN: the format's extent, passed back to own_read/own_status */
    uint64_t in;              /* FU_OWN: offset of off inside that extent */
};

struct fu_fmt {
    /* Fills *m for [off, off + len), len > 0; a negative errno for a corrupt map. */
    int (*map)(struct blk *bs, uint64_t off, uint64_t len, struct fu_extent *m);
    int (*own_read)(struct blk *bs, const struct fu_extent *m, uint8_t *buf);
    int (*own_status)(struct blk *bs, const struct fu_extent *m, uint64_t *pnum, uint64_t *map);
};

/* blk_driver.read and .block_status for a format that fills struct fu_fmt. */
int fu_read(struct blk *bs, const struct fu_fmt *f, uint64_t off, void *buf, size_t len);
int fu_block_status(struct blk *bs, const struct fu_fmt *f, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map);

#endif
