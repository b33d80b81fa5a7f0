/*
 * VHDX (Hyper-V, Azure) images, read-only, after Microsoft's [MS-VHDX] 2.0: the file identifier, the two
 * headers at 64 and 128 KiB (CRC-32C, highest sequence number wins, sec. 2.2.2), the region table
 * (sec. 2.2.3) naming the BAT and metadata regions, the metadata items (sec. 2.6.2) and the BAT with
 * its payload/sector-bitmap interleave (sec. 2.5). A non-empty log (sec. 2.3) is refused: replaying it
 * means writing the image, which vmon does not do for VHDX. The BAT's consistency: vhdx-check.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vhdx.h"

#define MIB VHDX_MIB

static int vhdx_probe(const uint8_t *buf, size_t len, const char *filename)
{
    (void)filename;
    return len >= 8 && !memcmp(buf, "vhdxfile", 8) ? 100 : 0;
}

static bool crc_ok(uint8_t *buf, size_t len)
{
    uint32_t want = get_le32(buf + 4);
    uint8_t save[4];
    memcpy(save, buf + 4, 4);
    memset(buf + 4, 0, 4);
    uint32_t got = fu_crc32c(0, buf, len);
    memcpy(buf + 4, save, 4);
    return want == got;
}

/* The current header (sec. 2.2.2.1): its log must be empty for a read-only open. */
static int vhdx_headers(struct blk *bs, char *err)
{
    static uint8_t zero_guid[16];
    uint8_t h[2][4096];
    int best = -1;
    for (int i = 0; i < 2; i++) {
        int r = bs->file->ops->pread(bs->file, h[i], 4096, (uint64_t)(i + 1) * 64 * 1024);
        if (r < 0)
            return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
        if (memcmp(h[i], "head", 4) || !crc_ok(h[i], 4096) || get_le16(h[i] + 66) != 1)
            continue;
        if (best < 0 || get_le64(h[i] + 8) > get_le64(h[best] + 8))
            best = i;
    }
    if (best < 0)
        return blk_error(err, EINVAL, "Could not open '%s': No valid VHDX header found", bs->filename);
    if (memcmp(h[best] + 48, zero_guid, 16))
        return blk_error(err, ENOTSUP, "Could not open '%s': VHDX log is not empty (the image was not closed "
                         "cleanly); replay it with Hyper-V or qemu-img check -r all first", bs->filename);
    struct vhdx *s = bs->opaque;
    uint64_t log_off = get_le64(h[best] + 72), log_len = get_le32(h[best] + 68);
    s->region[VHDX_R_HEAD][1] = MIB;
    s->region[VHDX_R_LOG][0] = log_off;
    s->region[VHDX_R_LOG][1] = log_off + log_len < log_off ? UINT64_MAX : log_off + log_len;
    return 0;
}

/* The BAT and metadata regions from the first valid region table (sec. 2.2.3). */
static int vhdx_regions(struct blk *bs, uint64_t *bat_off, uint32_t *bat_len, uint64_t *meta_off, uint32_t *meta_len,
                        char *err)
{
    uint8_t bat_guid[16], meta_guid[16];
    fu_guid("2DC27766-F623-4200-9D64-115E9BFD4A08", bat_guid);
    fu_guid("8B7CA206-4790-4B9A-B8FE-575F050F886E", meta_guid);
    uint8_t *t = malloc(64 * 1024);
    if (!t)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = -EINVAL;
    for (int i = 0; i < 2 && r < 0; i++) {
        int e = bs->file->ops->pread(bs->file, t, 64 * 1024, (uint64_t)(192 + 64 * i) * 1024);
        if (e < 0) {
            free(t);
            return blk_error(err, e, "Could not open '%s': %s", bs->filename, strerror(-e));
        }
        uint32_t n = get_le32(t + 8);
        if (memcmp(t, "regi", 4) || !crc_ok(t, 64 * 1024) || n > 2047)
            continue;
        *bat_off = *meta_off = 0;
        for (uint32_t k = 0; k < n; k++) {
            const uint8_t *en = t + 16 + 32 * k;
            if (!memcmp(en, bat_guid, 16))
                *bat_off = get_le64(en + 16), *bat_len = get_le32(en + 24);
            else if (!memcmp(en, meta_guid, 16))
                *meta_off = get_le64(en + 16), *meta_len = get_le32(en + 24);
            else if (get_le32(en + 28) & 1)
                *bat_off = 0, k = n;         /* a required region vmon does not know */
        }
        if (*bat_off && *meta_off)
            r = 0;
    }
    free(t);
    if (r < 0)
        return blk_error(err, EINVAL, "Could not open '%s': No valid VHDX region table found", bs->filename);
    return 0;
}

/* Metadata items (sec. 2.6.2): block size, virtual disk size, logical sector size, no parent. */
static int vhdx_metadata(struct blk *bs, struct vhdx *s, uint64_t off, uint32_t len, uint32_t *lss, char *err)
{
    if (len < 65536 || len > 16 * MIB || off % MIB || off > s->file_size || len > s->file_size - off)
        return blk_error(err, EINVAL, "Could not open '%s': VHDX metadata region lies outside the file", bs->filename);
    uint8_t *m = malloc(len);
    if (!m)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = bs->file->ops->pread(bs->file, m, len, off);
    if (r < 0)
        blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    static const char *const ids[] = { "CAA16737-FA36-4D43-B3B6-33F0AA44E76B", "2FA54224-CD1B-4876-B211-5DBED83BF4B8",
                                       "8141BF1D-A96F-4709-BA47-F233A8FAAB5F",
                                       /* known, not needed for reading: disk id, physical sector size */
                                       "BECA12AB-B2E6-4523-93EF-C309E000C746", "CDA348C7-445D-4471-9CC9-E9885251C556" };
    uint8_t guid[5][16];
    const uint8_t *item[3] = { NULL, NULL, NULL };
    for (int i = 0; i < 5; i++)
        fu_guid(ids[i], guid[i]);
    if (r == 0 && (memcmp(m, "metadata", 8) || get_le16(m + 10) > 2047))
        r = blk_error(err, EINVAL, "Could not open '%s': VHDX metadata table is invalid", bs->filename);
    for (uint32_t k = 0; r == 0 && k < get_le16(m + 10); k++) {
        const uint8_t *en = m + 32 + 32 * k;
        uint32_t io = get_le32(en + 16), il = get_le32(en + 20);
        int which = -1;
        for (int i = 0; i < 5; i++)
            if (!memcmp(en, guid[i], 16))
                which = i;
        if (which >= 3)
            continue;
        if (which < 0 && (get_le32(en + 24) & 4))
            r = blk_error(err, ENOTSUP, "Could not open '%s': VHDX metadata item required but unknown "
                          "(a differencing disk?)", bs->filename);
        else if (which >= 0 && (io < 65536 || il < (which == 1 ? 8u : 4u) || io > len || il > len - io))
            r = blk_error(err, EINVAL, "Could not open '%s': VHDX metadata item lies outside its region", bs->filename);
        else if (which >= 0)
            item[which] = m + io;
    }
    if (r == 0 && (!item[0] || !item[1] || !item[2]))
        r = blk_error(err, EINVAL, "Could not open '%s': VHDX metadata lacks a required item", bs->filename);
    if (r == 0) {
        s->block_size = get_le32(item[0]);
        if (get_le32(item[0] + 4) & 2)
            r = blk_error(err, ENOTSUP, "Could not open '%s': differencing VHDX images are not supported", bs->filename);
        bs->size = get_le64(item[1]);
        *lss = get_le32(item[2]);
    }
    free(m);
    if (r == 0 && (s->block_size < MIB || s->block_size > 256 * MIB || (s->block_size & (s->block_size - 1))))
        r = blk_error(err, EINVAL, "Could not open '%s': VHDX block size %u is invalid", bs->filename, s->block_size);
    if (r == 0 && *lss != 512 && *lss != 4096)
        r = blk_error(err, EINVAL, "Could not open '%s': VHDX logical sector size %u is invalid", bs->filename, *lss);
    if (r == 0 && (bs->size > (64ull << 40) || bs->size % *lss))
        r = blk_error(err, EINVAL, "Could not open '%s': VHDX virtual disk size is invalid", bs->filename);
    return r;
}

static int vhdx_bat(struct blk *bs, struct vhdx *s, uint64_t off, uint32_t len, uint32_t lss, char *err)
{
    s->chunk_ratio = (uint32_t)((1ull << 23) * lss / s->block_size);
    uint64_t blocks = (bs->size + s->block_size - 1) / s->block_size;
    s->bat_entries = blocks + (blocks ? (blocks - 1) / s->chunk_ratio : 0);
    if (off % MIB || off > s->file_size || len > s->file_size - off || len < s->bat_entries * 8)
        return blk_error(err, EINVAL, "Could not open '%s': VHDX BAT region is invalid", bs->filename);
    s->bat = malloc(s->bat_entries * 8 + 8);
    if (!s->bat)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = bs->file->ops->pread(bs->file, s->bat, s->bat_entries * 8, off);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    for (uint64_t i = 0; i < s->bat_entries; i++) {
        s->bat[i] = get_le64((uint8_t *)&s->bat[i]);
        unsigned st = s->bat[i] & 7;
        bool bitmap = (i + 1) % (s->chunk_ratio + 1) == 0;
        if (!bitmap && st == PB_PARTIALLY_PRESENT)
            return blk_error(err, ENOTSUP, "Could not open '%s': VHDX block %llu is partially present (differencing)",
                             bs->filename, (unsigned long long)i);
        if (!bitmap && st != PB_FULLY_PRESENT && st != PB_NOT_PRESENT && st != PB_ZERO && st != PB_UNMAPPED &&
            st != PB_UNDEFINED)
            return blk_error(err, EINVAL, "Could not open '%s': VHDX BAT entry %llu has state %u", bs->filename,
                             (unsigned long long)i, st);
    }
    return 0;
}

struct refusal {
    struct blk *bs;
    char *err;
    bool said;
};

/* The first BAT complaint becomes the open's error (the later ones are dropped). */
static void open_refusal(void *opq, const char *line)
{
    struct refusal *f = opq;
    line += strlen(BLK_CHECK_MSG);
    if (!f->said)
        blk_error(f->err, EINVAL, "Could not open '%s': %.*s", f->bs->filename, (int)strcspn(line, "\n"), line);
    f->said = true;
}

static int vhdx_open_state(struct blk *bs, int flags, char *err)
{
    if (flags & BLK_O_RDWR)
        return blk_error(err, EROFS, "Could not open '%s': vmon reads vhdx images but does not write them",
                         bs->filename);
    struct vhdx *s = calloc(1, sizeof(*s));
    if (!s)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    bs->opaque = s;
    int64_t fsz = bs->file->ops->size(bs->file);
    uint8_t id[8];
    if (fsz < (int64_t)(1 * MIB) || bs->file->ops->pread(bs->file, id, 8, 0) < 0 || memcmp(id, "vhdxfile", 8))
        return blk_error(err, EINVAL, "Could not open '%s': not a VHDX image", bs->filename);
    s->file_size = (uint64_t)fsz;
    uint64_t bat_off = 0, meta_off = 0;
    uint32_t bat_len = 0, meta_len = 0, lss = 0;
    s->check = (flags & BLK_O_CHECK) != 0;
    int r = vhdx_headers(bs, err);
    if (!r)
        r = vhdx_regions(bs, &bat_off, &bat_len, &meta_off, &meta_len, err);
    if (!r) {
        s->region[VHDX_R_BAT][0] = bat_off, s->region[VHDX_R_BAT][1] = bat_off + bat_len;
        s->region[VHDX_R_META][0] = meta_off, s->region[VHDX_R_META][1] = meta_off + meta_len;
        r = vhdx_metadata(bs, s, meta_off, meta_len, &lss, err);
    }
    if (!r)
        r = vhdx_bat(bs, s, bat_off, bat_len, lss, err);
    /* A block past the end or over a region is refused here, and reported by check (vhdx-check.c). */
    struct refusal f = { bs, err, false };
    if (!r && !s->check && vhdx_check_bat(bs, open_refusal, &f))
        r = -EINVAL;
    return r;
}

/* Where [off, off + m->n) lies: a block not fully present reads as zeros. */
static int vhdx_map(struct blk *bs, uint64_t off, uint64_t len, struct fu_extent *m)
{
    struct vhdx *s = bs->opaque;
    uint64_t blk = off / s->block_size, in = off % s->block_size;
    m->n = s->block_size - in < len ? s->block_size - in : len;
    uint64_t e = s->bat[blk + blk / s->chunk_ratio];
    if ((e & 7) == PB_FULLY_PRESENT)
        *m = (struct fu_extent){ .kind = FU_HOST, .n = m->n, .file = bs->file, .host = (e >> 20) * MIB + in };
    return 0;
}

static const struct fu_fmt vhdx_fmt = { .map = vhdx_map };

static int vhdx_read(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    return fu_read(bs, &vhdx_fmt, off, buf, len);
}

static int vhdx_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    return fu_block_status(bs, &vhdx_fmt, off, len, pnum, map);
}

static int vhdx_get_info(struct blk *bs, struct blk_info *bi)
{
    bi->cluster_size = ((struct vhdx *)bs->opaque)->block_size;
    bi->dirty = false;
    return 0;
}

static int vhdx_write(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    (void)bs; (void)off; (void)buf; (void)len;
    return -EROFS;
}

static int vhdx_create(struct blk_file *f, const struct blk_create_opts *o, char *err)
{
    (void)f; (void)o;
    return blk_error(err, ENOTSUP, "vmon reads vhdx images but does not create them");
}

static int vhdx_flush(struct blk *bs)
{
    (void)bs;
    return 0;
}

static void vhdx_close(struct blk *bs)
{
    struct vhdx *s = bs->opaque;
    if (s)
        free(s->bat);
    free(s);
}

/* A failed open leaves nothing behind (blk_open_file does not call close then). */
static int vhdx_open(struct blk *bs, int flags, char *err)
{
    int r = vhdx_open_state(bs, flags, err);
    if (r < 0) {
        vhdx_close(bs);
        bs->opaque = NULL;
    }
    return r;
}

const struct blk_driver blk_vhdx_driver = {
    .name = "vhdx",
    .probe = vhdx_probe,
    .create = vhdx_create,
    .open = vhdx_open,
    .read = vhdx_read,
    .write = vhdx_write,
    .flush = vhdx_flush,
    .block_status = vhdx_block_status,
    .close = vhdx_close,
    .get_info = vhdx_get_info,
    .check = vhdx_check,
};
