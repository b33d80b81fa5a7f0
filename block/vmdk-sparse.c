/*
 * Hosted sparse VMDK extents (VMware "Virtual Disk Format 1.1", sec. "Hosted Sparse Extents" and
 * "Stream-Optimized Compressed Sparse Extents"): the 512-byte "KDMV" header, the footer a stream keeps
 * at its end (gdOffset = -1), the grain directory and its grain tables, and grains stored plain or
 * deflated behind a 12-byte (lba, size) marker. Every offset is checked against the file size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vmdk.h"

/* The header in force for a stream: the copy after the footer marker, before the end-of-stream marker. */
static int read_footer(struct blk *bs, struct vmdk_extent *e, char *err)
{
    uint8_t f[1536];
    if (e->file_size < 1536 + 512)
        return blk_error(err, EINVAL, "Could not open '%s': VMDK stream has no footer", bs->filename);
    int r = e->file->ops->pread(e->file, f, sizeof(f), e->file_size - 1536);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    if (get_le32(f + 12) != VMDK_MARKER_FOOTER || get_le32(f + 8) || memcmp(f + 512, "KDMV", 4) ||
        get_le32(f + 1024 + 12) != VMDK_MARKER_EOS || get_le32(f + 1024 + 8) || get_le64(f + 1024))
        return blk_error(err, EINVAL, "Could not open '%s': VMDK stream footer is missing or invalid", bs->filename);
    memcpy(e->header, f + 512, 512);
    return 0;
}

static int load_gd(struct blk *bs, struct vmdk_extent *e, uint64_t gd_sector, char *err)
{
    uint64_t len = (uint64_t)e->gd_entries * 4;
    if (gd_sector > e->file_size / 512 || gd_sector * 512 + len > e->file_size)
        return blk_error(err, EINVAL, "Could not open '%s': VMDK grain directory lies outside the file", bs->filename);
    e->gd = malloc(len + 4);
    e->gt = calloc(e->gd_entries + 1, sizeof(*e->gt));
    if (!e->gd || !e->gt)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = e->file->ops->pread(e->file, e->gd, len, gd_sector * 512);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    for (uint32_t i = 0; i < e->gd_entries; i++)
        e->gd[i] = get_le32((uint8_t *)&e->gd[i]);
    return 0;
}

int vmdk_sparse_open(struct blk *bs, struct vmdk_extent *e, const uint8_t *hdr, char *err)
{
    int64_t fsz = e->file->ops->size(e->file);
    if (fsz < 512 || memcmp(hdr, "KDMV", 4))
        return blk_error(err, EINVAL, "Could not open '%s': not a VMDK sparse extent", bs->filename);
    e->file_size = (uint64_t)fsz;
    e->cached_grain = UINT64_MAX;
    memcpy(e->header, hdr, 512);
    uint32_t version = get_le32(hdr + 4);
    if (version < 1 || version > 3)
        return blk_error(err, ENOTSUP, "Could not open '%s': unsupported VMDK version %u", bs->filename, version);
    if (get_le64(hdr + 56) == VMDK_GD_AT_END) {
        int r = read_footer(bs, e, err);
        if (r < 0)
            return r;
    }
    const uint8_t *h = e->header;
    uint32_t flags = get_le32(h + 8);
    uint64_t capacity = get_le64(h + 12), grain = get_le64(h + 20), gd = get_le64(h + 56);
    e->gtes = get_le32(h + 44);
    if (!grain || grain > 16384 || (grain & (grain - 1)))
        return blk_error(err, EINVAL, "Could not open '%s': invalid VMDK grain size %llu", bs->filename,
                         (unsigned long long)grain);
    if (!e->gtes || e->gtes > 4096)
        return blk_error(err, EINVAL, "Could not open '%s': invalid VMDK grain table size %u", bs->filename, e->gtes);
    if (capacity > (1ull << 41) || gd == VMDK_GD_AT_END)
        return blk_error(err, EINVAL, "Could not open '%s': invalid VMDK capacity or grain directory", bs->filename);
    e->grain = grain * 512;
    e->compressed = flags & VMDK_FLAG_COMPRESS;
    e->markers = flags & VMDK_FLAG_MARKER;
    e->zero_grains = flags & VMDK_FLAG_ZERO_GRAIN;
    if (e->compressed && get_le16(h + 77) != 1)
        return blk_error(err, ENOTSUP, "Could not open '%s': unknown VMDK compression %u", bs->filename,
                         get_le16(h + 77));
    uint64_t per_gt = grain * e->gtes;
    uint64_t entries = (capacity + per_gt - 1) / per_gt;
    if (entries > e->file_size / 4)
        return blk_error(err, EINVAL, "Could not open '%s': VMDK grain directory lies outside the file", bs->filename);
    e->gd_entries = (uint32_t)entries;
    return load_gd(bs, e, gd, err);
}

int vmdk_load_gt(struct blk *bs, struct vmdk_extent *e, uint32_t i)
{
    if (e->gt[i] || !e->gd[i])
        return 0;
    if (e->loaded_gts >= VMDK_MAX_CACHED_GTS && !e->writing) {
        for (uint32_t k = 0; k < e->gd_entries; k++) {
            free(e->gt[k]);
            e->gt[k] = NULL;
        }
        e->loaded_gts = 0;
    }
    uint64_t len = (uint64_t)e->gtes * 4, at = (uint64_t)e->gd[i] * 512;
    if (at > e->file_size || len > e->file_size - at) {
        snprintf(bs->errmsg, sizeof(bs->errmsg), "VMDK grain table %u lies outside the file", i);
        return -EIO;
    }
    uint32_t *t = malloc(len);
    if (!t)
        return -ENOMEM;
    int r = e->file->ops->pread(e->file, t, len, at);
    if (r < 0) {
        free(t);
        return r;
    }
    for (uint32_t k = 0; k < e->gtes; k++)
        t[k] = get_le32((uint8_t *)&t[k]);
    e->gt[i] = t;
    e->loaded_gts++;
    return 0;
}

/* The grain table entry for off (0: unallocated, 1: zero with the zero-grain flag), or -errno. */
static int64_t grain_entry(struct blk *bs, struct vmdk_extent *e, uint64_t off)
{
    uint64_t gi = off / e->grain;
    uint32_t d = (uint32_t)(gi / e->gtes);
    int r = vmdk_load_gt(bs, e, d);
    if (r < 0)
        return r;
    return e->gt[d] ? e->gt[d][gi % e->gtes] : 0;
}

enum { G_UNALLOC, G_ZERO, G_DATA };

static int grain_kind(struct vmdk_extent *e, int64_t gte)
{
    return !gte ? G_UNALLOC : gte == 1 && e->zero_grains ? G_ZERO : G_DATA;
}

int vmdk_sparse_check_gt(struct blk *bs, struct vmdk_extent *e, uint32_t i, uint64_t fsz, uint64_t *bad)
{
    *bad = UINT64_MAX;
    int r = vmdk_load_gt(bs, e, i);
    if (r < 0 || !e->gt[i])
        return r;
    uint64_t first = (uint64_t)i * e->gtes;
    for (uint32_t k = 0; k < e->gtes && (first + k) * e->grain < e->len; k++) {
        uint32_t v = e->gt[i][k];
        if (grain_kind(e, v) == G_DATA && (uint64_t)v * 512 >= fsz) {
            *bad = first + k;
            break;
        }
    }
    return 0;
}

int vmdk_sparse_status(struct blk *bs, struct vmdk_extent *e, uint64_t off, uint64_t len, uint64_t *pnum,
                       uint64_t *map)
{
    int64_t g0 = grain_entry(bs, e, off);
    if (g0 < 0)
        return (int)g0;
    int k0 = grain_kind(e, g0);
    uint64_t in = off % e->grain, n = e->grain - in < len ? e->grain - in : len;
    /* At most 4096 grains per answer: a huge disk of tiny grains costs the caller more calls, not one
     * unbounded loop. */
    for (unsigned steps = 0; n < len && steps < 4096; steps++) {
        int64_t g = grain_entry(bs, e, off + n);
        if (g < 0)
            return (int)g;
        if (grain_kind(e, g) != k0 || (k0 == G_DATA && (e->compressed || (uint64_t)g * 512 != (uint64_t)g0 * 512 + in + n)))
            break;
        n += e->grain < len - n ? e->grain : len - n;
    }
    *pnum = n;
    if (k0 == G_UNALLOC)
        return 0;
    if (k0 == G_ZERO)
        return BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED;
    if (e->compressed)
        return BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_COMPRESSED;
    *map = (uint64_t)g0 * 512 + in;
    return BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET;
}

/* Inflates the grain at sector gte into e->zbuf (kept until another grain is needed). */
static int inflate_grain(struct blk *bs, struct vmdk_extent *e, uint64_t gte)
{
    uint64_t at = gte * 512;
    if (e->cached_grain == at)
        return 0;
    e->cached_grain = UINT64_MAX;
    uint8_t *in = e->zbuf + e->grain;
    uint64_t max = e->grain * 2 + 4096, n = max;
    if (at >= e->file_size)
        goto bad;
    if (e->markers) {
        uint8_t m[12];
        int r = e->file->ops->pread(e->file, m, sizeof(m), at);
        if (r < 0)
            return r;
        n = get_le32(m + 8);
        at += 12;
        if (!n || n > max || n > e->file_size - at)
            goto bad;
    } else if (n > e->file_size - at) {
        n = e->file_size - at;
    }
    int r = e->file->ops->pread(e->file, in, n, at);
    if (r < 0)
        return r;
    uLongf out = e->grain;
    if (uncompress(e->zbuf, &out, in, n) != Z_OK || out != e->grain)
        goto bad;
    e->cached_grain = gte * 512;
    return 0;
bad:
    snprintf(bs->errmsg, sizeof(bs->errmsg), "VMDK compressed grain at sector %llu is corrupt",
             (unsigned long long)gte);
    return -EIO;
}

/* Plain grains: one read over as many following grains as lie next to each other in the file. */
static int read_plain(struct blk *bs, struct vmdk_extent *e, uint64_t off, uint64_t host, uint8_t *buf, uint64_t len,
                      uint64_t *n)
{
    while (*n < len) {
        int64_t g = grain_entry(bs, e, off + *n);
        if (g < 0)
            return (int)g;
        if (grain_kind(e, g) != G_DATA || (uint64_t)g * 512 != host + *n)
            break;
        *n += e->grain < len - *n ? e->grain : len - *n;
    }
    return e->file->ops->pread(e->file, buf, *n, host);
}

int vmdk_sparse_read(struct blk *bs, struct vmdk_extent *e, uint64_t off, uint8_t *buf, uint64_t len)
{
    while (len) {
        uint64_t in = off % e->grain, n = e->grain - in < len ? e->grain - in : len;
        int64_t g = grain_entry(bs, e, off);
        int r = g < 0 ? (int)g : 0;
        if (r == 0 && grain_kind(e, g) == G_UNALLOC)
            r = blk_read_backing(bs, e->start + off, buf, n);
        else if (r == 0 && grain_kind(e, g) == G_ZERO)
            memset(buf, 0, n);
        else if (r == 0 && !e->compressed)
            r = read_plain(bs, e, off, (uint64_t)g * 512 + in, buf, len, &n);
        else if (r == 0 && (r = inflate_grain(bs, e, (uint64_t)g)) == 0)
            memcpy(buf, e->zbuf + in, n);
        if (r < 0)
            return r;
        off += n, buf += n, len -= n;
    }
    return 0;
}

void vmdk_extent_free(struct vmdk_extent *e)
{
    if (e->gt)
        for (uint32_t i = 0; i < e->gd_entries; i++)
            free(e->gt[i]);
    free(e->gt);
    free(e->gd);
    free(e->path);
    if (e->own_file && e->file)
        e->file->ops->close(e->file);
}
