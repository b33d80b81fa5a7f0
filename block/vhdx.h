/* VHDX state shared by vhdx.c (open, read) and vhdx-check.c (qemu-img check's BAT consistency). */
#ifndef VMON_BLOCK_VHDX_H
#define VMON_BLOCK_VHDX_H

#include <stdbool.h>
#include <stdint.h>

struct blk;
struct blk_check;

#define VHDX_MIB (1ull << 20)

enum { PB_NOT_PRESENT = 0, PB_UNDEFINED = 1, PB_ZERO = 2, PB_UNMAPPED = 3, PB_FULLY_PRESENT = 6,
       PB_PARTIALLY_PRESENT = 7 };

/* The file's regions as QEMU lists them (newest first): metadata, BAT, log, header section. */
enum { VHDX_R_META, VHDX_R_BAT, VHDX_R_LOG, VHDX_R_HEAD, VHDX_NR_REGIONS };

struct vhdx {
    uint32_t block_size, chunk_ratio;
    uint64_t bat_entries;
    uint64_t *bat;
    uint64_t file_size;
    uint64_t region[VHDX_NR_REGIONS][2];   /* [start, end) in the file */
    bool check;                            /* opened for check: bad BAT entries reported there, not refused */
};

/* Payload blocks present past the end of the file or over a region: each one reported; the count. */
int vhdx_check_bat(struct blk *bs, void (*report)(void *, const char *), void *opq);
int vhdx_check(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *), void *opq);

#endif
