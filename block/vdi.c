/*
 * VDI (VirtualBox) images, read-only: the pre-header signature 0xbeda107f, the version 1.1 header
 * (VirtualBox's VDIHEADER1 in src/VBox/Storage/VDICore.h: image type, block map and data offsets,
 * disk size, block size) and the block map of 32-bit entries (free: ~0, zero: ~1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/fmtutil.h"

#define VDI_SIGNATURE 0xbeda107fu
#define VDI_FREE 0xffffffffu
#define VDI_ZERO 0xfffffffeu

struct vdi {
    uint32_t type, block_size, blocks;
    uint64_t data_off;
    uint32_t *map;
    uint32_t allocated;            /* the header's blocks_allocated */
    bool check;                    /* opened for check: bad map entries are reported there, not refused */
};

static int vdi_probe(const uint8_t *buf, size_t len, const char *filename)
{
    (void)filename;
    return len >= 0x48 && get_le32(buf + 0x40) == VDI_SIGNATURE ? 100 : 0;
}

static int vdi_header(struct blk *bs, struct vdi *s, const uint8_t *h, int64_t fsz, char *err)
{
    uint32_t version = get_le32(h + 0x44);
    if (version != 0x00010001)
        return blk_error(err, ENOTSUP, "Could not open '%s': unsupported VDI image (version %u.%u)", bs->filename,
                         version >> 16, version & 0xffff);
    s->type = get_le32(h + 0x4c);
    if (s->type != 1 && s->type != 2)
        return blk_error(err, ENOTSUP, "Could not open '%s': unsupported VDI image type %u", bs->filename, s->type);
    uint64_t map_off = get_le32(h + 0x154);
    s->data_off = get_le32(h + 0x158);
    uint32_t sector = get_le32(h + 0x168);
    bs->size = get_le64(h + 0x170);
    s->block_size = get_le32(h + 0x178);
    uint32_t extra = get_le32(h + 0x17c);
    s->blocks = get_le32(h + 0x180);
    s->allocated = get_le32(h + 0x184);
    if (sector != 512 || extra != 0 || s->block_size != (1u << 20))
        return blk_error(err, ENOTSUP, "Could not open '%s': unsupported VDI image (sector size %u, block size %u, "
                         "block extra %u)", bs->filename, sector, s->block_size, extra);
    if (map_off % 512 || s->data_off % 512 || map_off < 0x200)
        return blk_error(err, EINVAL, "Could not open '%s': VDI block map or data is not sector aligned", bs->filename);
    if (s->blocks > (1u << 22) || (uint64_t)s->blocks * s->block_size < bs->size)
        return blk_error(err, EINVAL, "Could not open '%s': VDI disk size %llu does not fit its %u blocks",
                         bs->filename, (unsigned long long)bs->size, s->blocks);
    uint64_t map_len = (uint64_t)s->blocks * 4;
    if (map_off + map_len > (uint64_t)fsz || map_off + map_len > s->data_off)
        return blk_error(err, EINVAL, "Could not open '%s': VDI block map lies outside the header area", bs->filename);
    s->map = malloc(map_len ? map_len : 1);
    if (!s->map)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = bs->file->ops->pread(bs->file, s->map, map_len, map_off);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    for (uint32_t i = 0; i < s->blocks; i++) {
        s->map[i] = get_le32((uint8_t *)&s->map[i]);
        if (s->map[i] < VDI_ZERO && s->map[i] >= s->blocks && !s->check)
            return blk_error(err, EINVAL, "Could not open '%s': VDI block %u maps to %u, past the %u blocks",
                             bs->filename, i, s->map[i], s->blocks);
    }
    return 0;
}

static int vdi_open_state(struct blk *bs, int flags, char *err)
{
    if (flags & BLK_O_RDWR)
        return blk_error(err, EROFS, "Could not open '%s': vmon reads vdi images but does not write them",
                         bs->filename);
    struct vdi *s = calloc(1, sizeof(*s));
    if (!s)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    bs->opaque = s;
    s->check = (flags & BLK_O_CHECK) != 0;
    int64_t fsz = bs->file->ops->size(bs->file);
    uint8_t h[0x200];
    if (fsz < (int64_t)sizeof(h))
        return blk_error(err, EINVAL, "Could not open '%s': file is too small to be a VDI image", bs->filename);
    int r = bs->file->ops->pread(bs->file, h, sizeof(h), 0);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    if (get_le32(h + 0x40) != VDI_SIGNATURE)
        return blk_error(err, EINVAL, "Could not open '%s': not a VDI image", bs->filename);
    return vdi_header(bs, s, h, fsz, err);
}

/* Where [off, off + m->n) lies: a free or zero block reads as zeros. */
static int vdi_map(struct blk *bs, uint64_t off, uint64_t len, struct fu_extent *m)
{
    struct vdi *s = bs->opaque;
    uint64_t in = off % s->block_size;
    m->n = s->block_size - in < len ? s->block_size - in : len;
    uint32_t e = s->map[off / s->block_size];
    if (e < VDI_ZERO)
        *m = (struct fu_extent){ .kind = FU_HOST, .n = m->n, .file = bs->file,
                                 .host = s->data_off + (uint64_t)e * s->block_size + in };
    return 0;
}

static const struct fu_fmt vdi_fmt = { .map = vdi_map };

static int vdi_read(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    return fu_read(bs, &vdi_fmt, off, buf, len);
}

static int vdi_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    return fu_block_status(bs, &vdi_fmt, off, len, pnum, map);
}

static int vdi_get_info(struct blk *bs, struct blk_info *bi)
{
    struct vdi *s = bs->opaque;
    bi->cluster_size = s->block_size;
    bi->dirty = false;
    return 0;
}

static int vdi_write(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    (void)bs; (void)off; (void)buf; (void)len;
    return -EROFS;
}

static int vdi_create(struct blk_file *f, const struct blk_create_opts *o, char *err)
{
    (void)f; (void)o;
    return blk_error(err, ENOTSUP, "vmon reads vdi images but does not create them");
}

static int vdi_flush(struct blk *bs)
{
    (void)bs;
    return 0;
}

static void vdi_close(struct blk *bs)
{
    struct vdi *s = bs->opaque;
    if (s)
        free(s->map);
    free(s);
}

/*
 * qemu-img check for vdi (QEMU block/vdi.c's check): every allocated map entry must name a block below
 * the header's blocks_allocated and no block may serve two entries; the count of allocated entries
 * must match the header. Nothing is repaired (vmon opens vdi read-only).
 */
static int vdi_check(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *), void *opq)
{
    struct vdi *s = bs->opaque;
    char line[160];
    (void)fix;
    *res = (struct blk_check){ 0 };
    uint8_t *used = calloc((size_t)s->allocated / 8 + 1, 1);
    if (!used)
        return -ENOMEM;
    uint32_t count = 0;
    for (uint32_t i = 0; i < s->blocks; i++) {
        uint32_t e = s->map[i];
        if (e >= VDI_ZERO)
            continue;
        if (e >= s->allocated) {
            snprintf(line, sizeof(line), "ERROR: block index %u too large, is %u\n", i, e);
        } else {
            count++;                       /* a shared block still counts, as QEMU counts it */
            if (!(used[e / 8] & (1u << (e % 8)))) {
                used[e / 8] |= (uint8_t)(1u << (e % 8));
                continue;
            }
            snprintf(line, sizeof(line), "ERROR: block index %u also used by %u\n", e, e);
        }
        res->corruptions++;
        if (report)
            report(opq, line);
    }
    free(used);
    if (count != s->allocated) {
        snprintf(line, sizeof(line), "ERROR: allocated blocks mismatch, is %u, should be %u\n", count, s->allocated);
        res->corruptions++;
        if (report)
            report(opq, line);
    }
    return 0;
}

/* A failed open leaves nothing behind (blk_open_file does not call close then). */
static int vdi_open(struct blk *bs, int flags, char *err)
{
    int r = vdi_open_state(bs, flags, err);
    if (r < 0) {
        vdi_close(bs);
        bs->opaque = NULL;
    }
    return r;
}

const struct blk_driver blk_vdi_driver = {
    .name = "vdi",
    .probe = vdi_probe,
    .create = vdi_create,
    .open = vdi_open,
    .read = vdi_read,
    .write = vdi_write,
    .flush = vdi_flush,
    .block_status = vdi_block_status,
    .close = vdi_close,
    .check = vdi_check,
    .get_info = vdi_get_info,
};
