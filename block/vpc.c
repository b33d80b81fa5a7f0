/*
 * VHD (Virtual PC / Hyper-V "vpc") images, fixed and dynamic, after Microsoft's "Virtual Hard Disk
 * Image Format Specification" 1.0: the 512-byte footer (sec. "Hard Disk Footer Format"), the dynamic
 * disk header, the Block Allocation Table and per-block sector bitmaps. Differencing disks are refused.
 * Creation is in vpc-create.c. Every offset read from the file is checked before use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vpc.h"

int vpc_probe(const uint8_t *buf, size_t len, const char *filename)
{
    (void)filename;
    return len >= 8 && !memcmp(buf, "conectix", 8) ? 100 : 0;
}

uint32_t vpc_checksum(const uint8_t *buf, size_t len, size_t csum_off)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i++)
        if (i < csum_off || i >= csum_off + 4)
            sum += buf[i];
    return ~sum;
}

/* Hyper-V and friends take the footer's size, Virtual PC the CHS geometry (see the spec's appendix). */
static uint64_t vpc_virtual_size(const uint8_t *ft)
{
    uint64_t chs = (uint64_t)get_be16(ft + 56) * ft[58] * ft[59];
    static const char *const by_size[] = { "win ", "qem2", "d2v ", "CTXS", "tap\0" };
    for (size_t i = 0; i < sizeof(by_size) / sizeof(by_size[0]); i++)
        if (!memcmp(ft + 28, by_size[i], 4))
            return get_be64(ft + 48);
    if (chs == VPC_MAX_CHS)
        return get_be64(ft + 48);
    return chs * 512;
}

static int vpc_open_dynamic(struct blk *bs, struct vpc *s, int64_t fsz, char *err)
{
    uint64_t hoff = get_be64(s->footer + 16);
    uint8_t h[1024];
    if (hoff > (uint64_t)fsz || (uint64_t)fsz - hoff < sizeof(h))
        return blk_error(err, EINVAL, "Could not open '%s': VHD dynamic header lies outside the file", bs->filename);
    int r = bs->file->ops->pread(bs->file, h, sizeof(h), hoff);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    if (memcmp(h, "cxsparse", 8))
        return blk_error(err, EINVAL, "Could not open '%s': VHD dynamic header has no cxsparse cookie", bs->filename);
    s->bat_off = get_be64(h + 16);
    s->entries = get_be32(h + 28);
    s->block_size = get_be32(h + 32);
    if (s->block_size < 512 || s->block_size > (256u << 20) || (s->block_size & (s->block_size - 1)))
        return blk_error(err, EINVAL, "Could not open '%s': Invalid VHD block size %u", bs->filename, s->block_size);
    if (s->entries > (1u << 28) || (uint64_t)s->entries * s->block_size < bs->size)
        return blk_error(err, EINVAL, "Could not open '%s': VHD block table does not cover the disk size", bs->filename);
    uint64_t bat_len = (uint64_t)s->entries * 4;
    if (s->bat_off > (uint64_t)fsz || (uint64_t)fsz - s->bat_off < bat_len)
        return blk_error(err, EINVAL, "Could not open '%s': VHD block table lies outside the file", bs->filename);
    s->bitmap_size = ((s->block_size / 512 / 8) + 511) & ~511u;
    s->bat = malloc(bat_len ? bat_len : 1);
    if (!s->bat)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    r = bs->file->ops->pread(bs->file, s->bat, bat_len, s->bat_off);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    s->free_off = (s->bat_off + bat_len + 511) & ~511ull;
    for (uint32_t i = 0; i < s->entries; i++) {
        s->bat[i] = get_be32((uint8_t *)&s->bat[i]);
        if (s->bat[i] != VPC_UNALLOC) {
            uint64_t end = (uint64_t)s->bat[i] * 512 + s->bitmap_size + s->block_size;
            if (end > s->free_off)
                s->free_off = end;
        }
    }
    return 0;
}

static int vpc_open_state(struct blk *bs, int flags, char *err)
{
    (void)flags;
    struct vpc *s = calloc(1, sizeof(*s));
    if (!s)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    bs->opaque = s;
    int64_t fsz = bs->file->ops->size(bs->file);
    if (fsz < 512)
        return blk_error(err, EINVAL, "Could not open '%s': file is too small to be a VHD image", bs->filename);
    int r = bs->file->ops->pread(bs->file, s->footer, 512, (uint64_t)fsz - 512);
    if (r == 0 && memcmp(s->footer, "conectix", 8))
        r = bs->file->ops->pread(bs->file, s->footer, 512, 0);     /* the dynamic disk's copy */
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    if (memcmp(s->footer, "conectix", 8))
        return blk_error(err, EINVAL, "Could not open '%s': VHD footer not found", bs->filename);
    uint32_t type = get_be32(s->footer + 60);
    bs->size = vpc_virtual_size(s->footer);
    if (bs->size > VPC_MAX_SIZE)
        return blk_error(err, EFBIG, "Could not open '%s': VHD virtual size is too large", bs->filename);
    if (type == VPC_FIXED) {
        if (bs->size > (uint64_t)fsz - 512)
            return blk_error(err, EINVAL, "Could not open '%s': fixed VHD is shorter than its virtual size",
                             bs->filename);
        return 0;
    }
    if (type == VPC_DIFF)
        return blk_error(err, ENOTSUP, "Could not open '%s': differencing VHD images are not supported", bs->filename);
    if (type != VPC_DYNAMIC)
        return blk_error(err, EINVAL, "Could not open '%s': unknown VHD disk type %u", bs->filename, type);
    s->dynamic = true;
    return vpc_open_dynamic(bs, s, fsz, err);
}

/* Where [off, off + m->n) lives: a fixed image maps 1:1 (its holes read as zeros); a dynamic one by BAT. */
static int vpc_map(struct blk *bs, uint64_t off, uint64_t len, struct fu_extent *m)
{
    struct vpc *s = bs->opaque;
    if (!s->dynamic) {
        *m = (struct fu_extent){ .kind = FU_HOST, .n = len, .file = bs->file, .host = off, .holes = true };
        return 0;
    }
    uint64_t in = off % s->block_size;
    m->n = s->block_size - in < len ? s->block_size - in : len;
    uint32_t e = s->bat[off / s->block_size];
    if (e != VPC_UNALLOC)
        *m = (struct fu_extent){ .kind = FU_HOST, .n = m->n, .file = bs->file,
                                 .host = (uint64_t)e * 512 + s->bitmap_size + in };
    return 0;
}

static const struct fu_fmt vpc_fmt = { .map = vpc_map };

static int vpc_read(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    return fu_read(bs, &vpc_fmt, off, buf, len);
}

static int vpc_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    return fu_block_status(bs, &vpc_fmt, off, len, pnum, map);
}

static int vpc_get_info(struct blk *bs, struct blk_info *bi)
{
    struct vpc *s = bs->opaque;
    bi->cluster_size = s->dynamic ? s->block_size : 0;
    bi->dirty = false;
    return 0;
}

static int vpc_flush(struct blk *bs)
{
    return bs->file->ops->flush(bs->file);
}

static void vpc_close(struct blk *bs)
{
    struct vpc *s = bs->opaque;
    if (s)
        free(s->bat);
    free(s);
}

/* A failed open leaves nothing behind (blk_open_file does not call close then). */
static int vpc_open(struct blk *bs, int flags, char *err)
{
    int r = vpc_open_state(bs, flags, err);
    if (r < 0) {
        vpc_close(bs);
        bs->opaque = NULL;
    }
    return r;
}

const struct blk_driver blk_vpc_driver = {
    .name = "vpc",
    .probe = vpc_probe,
    .create = vpc_create,
    .open = vpc_open,
    .read = vpc_read,
    .write = vpc_write,
    .write_zeroes = vpc_write_zeroes,
    .flush = vpc_flush,
    .block_status = vpc_block_status,
    .close = vpc_close,
    .create_help = vpc_create_help,
    .create_opt = vpc_create_opt,
    .create_describe = vpc_create_describe,
    .get_info = vpc_get_info,
};
