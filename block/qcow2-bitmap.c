/*
 * qcow2 persistent dirty bitmaps (qcow2.txt "Bitmaps extension", "Bitmap directory", "Bitmap table"):
 * the directory is read at open so that check counts the clusters bitmaps own, info lists them and
 * convert --bitmaps copies them. vmon does not track writes in them: before its first change of
 * guest data, the enabled ("auto") bitmaps are marked in use, which QEMU reads as inconsistent
 * (it shows them so and lets them be removed); disabled bitmaps stay valid.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

#define BME_MAX_BITMAPS   65535
#define BME_MAX_DIR_SIZE  (64u << 20)
#define BME_MAX_NAME      1023
#define BME_ENTRY_FIXED   24

void qcow2_free_bitmaps(struct qcow2 *s)
{
    for (uint32_t i = 0; s->bitmaps && i < s->nb_bitmaps; i++)
        free(s->bitmaps[i].name);
    free(s->bitmaps);
    s->bitmaps = NULL;
    s->nb_bitmaps = 0;
}

/* One directory entry at d[p..end): fills bm, returns the next entry's position or 0 if invalid. */
static size_t parse_entry(const struct qcow2 *s, const uint8_t *d, size_t p, size_t end, struct qcow2_bitmap *bm)
{
    if (end - p < BME_ENTRY_FIXED)
        return 0;
    const uint8_t *e = d + p;
    bm->table_offset = get_be64(e);
    bm->table_size = get_be32(e + 8);
    bm->flags = get_be32(e + 12);
    bm->type = e[16];
    bm->granularity_bits = e[17];
    uint32_t name_size = get_be16(e + 18), extra = get_be32(e + 20);
    uint64_t len = (uint64_t)BME_ENTRY_FIXED + extra + name_size;
    if (len > end - p || !name_size || name_size > BME_MAX_NAME || bm->type != 1 ||
        bm->granularity_bits < 9 || bm->granularity_bits > 31 || bm->table_offset % s->cluster_size ||
        (uint64_t)bm->table_size * 8 > QCOW2_MAX_L1_BYTES)
        return 0;
    uint64_t bits = (s->size + (1ull << bm->granularity_bits) - 1) >> bm->granularity_bits;
    uint64_t bytes = (bits + 7) / 8;
    if (bm->table_size < (bytes + s->cluster_size - 1) / s->cluster_size)
        return 0;
    if (!(bm->name = strndup((const char *)e + BME_ENTRY_FIXED + extra, name_size)))
        return 0;
    return (size_t)qcow2_align_up(p + len, 8);
}

int qcow2_read_bitmaps(struct qcow2 *s, char *err)
{
    struct blk *bs = s->bs;
    if (!s->bm_ext_present || !(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS) || s->version < 3)
        return 0;
    if (!s->bm_nb || s->bm_nb > BME_MAX_BITMAPS || !s->bm_dir_size || s->bm_dir_size > BME_MAX_DIR_SIZE ||
        s->bm_dir_offset % s->cluster_size || !s->bm_dir_offset ||
        s->bm_dir_offset + s->bm_dir_size > qcow2_align_up(s->file_size, s->cluster_size))
        goto bad;
    uint8_t *d = malloc(s->bm_dir_size);
    s->bitmaps = calloc(s->bm_nb, sizeof(*s->bitmaps));
    if (!d || !s->bitmaps) {
        free(d);
        return -ENOMEM;
    }
    int r = bs->file->ops->pread(bs->file, d, s->bm_dir_size, s->bm_dir_offset);
    size_t p = 0;
    for (uint32_t i = 0; r == 0 && i < s->bm_nb; i++) {
        s->bitmaps[i].dir_pos = (uint32_t)p;
        p = parse_entry(s, d, p, s->bm_dir_size, &s->bitmaps[i]);
        if (!p)
            break;
        s->nb_bitmaps = i + 1;
    }
    free(d);
    if (r < 0)
        return blk_error(err, r, "Could not read '%s': %s", bs->filename, strerror(-r));
    if (s->nb_bitmaps == s->bm_nb)
        return 0;
bad:
    qcow2_free_bitmaps(s);
    if (bs->flags & BLK_O_CHECK) {
        s->bm_corrupt = true;        /* check reports it */
        return 0;
    }
    return blk_error(err, EINVAL, "Could not open '%s': the bitmap directory is invalid", bs->filename);
}

int qcow2_bitmap_size(const struct qcow2 *s, const struct qcow2_bitmap *bm, uint64_t *bytes)
{
    uint64_t bits = (s->size + (1ull << bm->granularity_bits) - 1) >> bm->granularity_bits;
    *bytes = (bits + 7) / 8;
    return 0;
}

/* The bitmap's bits, bytes long (qcow2_bitmap_size): table entries 0 read as zeros, 1 as ones. */
int qcow2_bitmap_read(struct qcow2 *s, const struct qcow2_bitmap *bm, uint8_t *out, uint64_t bytes)
{
    uint64_t cs = s->cluster_size;
    uint64_t n = (bytes + cs - 1) / cs;
    uint8_t *t = malloc(n * 8 + 1);
    if (!t)
        return -ENOMEM;
    int r = s->bs->file->ops->pread(s->bs->file, t, n * 8, bm->table_offset);
    for (uint64_t i = 0; i < n && r == 0; i++) {
        uint64_t e = get_be64(t + 8 * i), off = e & QCOW2_OFFSET_MASK;
        uint64_t len = bytes - i * cs < cs ? bytes - i * cs : cs;
        if (off)
            r = off % cs ? -EIO : s->bs->file->ops->pread(s->bs->file, out + i * cs, len, off);
        else
            memset(out + i * cs, e & 1 ? 0xff : 0, len);
    }
    free(t);
    return r;
}

/* Writes clusters of data (len bytes) at newly allocated places; returns the offset or -errno. */
int64_t qcow2_bitmap_write_new(struct qcow2 *s, const uint8_t *data, uint64_t len)
{
    uint64_t n = (len + s->cluster_size - 1) / s->cluster_size;
    int64_t off = qcow2_alloc_clusters(s, n);
    if (off < 0)
        return off;
    uint8_t *buf = calloc(n, s->cluster_size);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, data, len);
    int r = s->bs->file->ops->pwrite(s->bs->file, buf, n * s->cluster_size, (uint64_t)off);
    free(buf);
    s->data_unflushed = true;
    return r < 0 ? r : off;
}

/* One bitmap's data and table into dst: all-zero clusters stay unallocated (entry 0). */
int64_t qcow2_bitmap_store(struct qcow2 *dst, const uint8_t *bits, uint64_t bytes, uint32_t *table_size)
{
    uint64_t cs = dst->cluster_size, n = (bytes + cs - 1) / cs;
    uint8_t *t = calloc(n ? n : 1, 8);
    if (!t)
        return -ENOMEM;
    int64_t r = 0;
    for (uint64_t i = 0; i < n && r >= 0; i++) {
        uint64_t len = bytes - i * cs < cs ? bytes - i * cs : cs;
        if (blk_is_zero(bits + i * cs, len))
            continue;
        r = qcow2_bitmap_write_new(dst, bits + i * cs, len);
        if (r >= 0)
            put_be64(t + 8 * i, (uint64_t)r);
    }
    if (r >= 0)
        r = qcow2_bitmap_write_new(dst, t, n * 8);
    free(t);
    *table_size = (uint32_t)n;
    return r;
}

int qcow2_bitmap_add_ext(struct qcow2 *s, uint32_t nb, uint64_t dir_off, uint64_t dir_size)
{
    struct qcow2_extra *x = s->extra;
    uint8_t *e = realloc(x->ext, x->len + 32);
    if (!e)
        return -ENOMEM;
    x->ext = e;
    e += x->len;
    memset(e, 0, 32);
    put_be32(e, QCOW2_EXT_BITMAPS);
    put_be32(e + 4, 24);
    put_be32(e + 8, nb);
    put_be64(e + 16, dir_size);
    put_be64(e + 24, dir_off);
    x->len += 32;
    return 0;
}

int qcow2_bitmaps_copy(struct blk *dst_bs, struct blk *src_bs, char *err)
{
    if (src_bs->drv != &blk_qcow2_driver)
        return blk_error(err, ENOTSUP, "Source lacks bitmap support");
    struct qcow2 *dst = dst_bs->opaque, *src = src_bs->opaque;
    if (!src->nb_bitmaps)
        return 0;
    if (dst->version < 3 || dst->bm_ext_present)
        return blk_error(err, ENOTSUP, "Cannot store persistent bitmaps in this qcow2 image");
    size_t dcap = 0, dlen = 0;
    uint8_t *dir = NULL;
    int r = 0;
    for (uint32_t i = 0; i < src->nb_bitmaps && r == 0; i++) {
        const struct qcow2_bitmap *bm = &src->bitmaps[i];
        if (bm->flags & QCOW2_BME_IN_USE) {
            r = blk_error(err, EINVAL, "Cannot copy inconsistent bitmap '%s'", bm->name);
            break;
        }
        uint64_t bytes;
        qcow2_bitmap_size(dst, bm, &bytes);
        uint8_t *bits = calloc(1, bytes + 1);
        uint32_t tsize = 0;
        int64_t toff = bits ? qcow2_bitmap_read(src, bm, bits, bytes) : -ENOMEM;
        if (toff == 0)
            toff = qcow2_bitmap_store(dst, bits, bytes, &tsize);
        free(bits);
        size_t nl = strlen(bm->name), el = (size_t)qcow2_align_up(BME_ENTRY_FIXED + nl, 8);
        uint8_t *nd = toff < 0 ? NULL : realloc(dir, dcap = dlen + el);
        if (!nd) {
            r = toff < 0 ? (int)toff : -ENOMEM;
            break;
        }
        dir = nd;
        memset(dir + dlen, 0, el);
        put_be64(dir + dlen, (uint64_t)toff);
        put_be32(dir + dlen + 8, tsize);
        put_be32(dir + dlen + 12, bm->flags & QCOW2_BME_AUTO);
        dir[dlen + 16] = 1;
        dir[dlen + 17] = bm->granularity_bits;
        put_be16(dir + dlen + 18, (uint16_t)nl);
        memcpy(dir + dlen + BME_ENTRY_FIXED, bm->name, nl);
        dlen += el;
    }
    int64_t doff = r == 0 ? qcow2_bitmap_write_new(dst, dir, dlen) : r;
    free(dir);
    (void)dcap;
    if (doff < 0)
        return err[0] ? (int)doff : blk_error(err, (int)doff, "Could not write bitmaps: %s", strerror((int)-doff));
    /* Data, tables and directory reach the disk before the header names them. */
    r = qcow2_flush_metadata(dst);
    if (r == 0)
        r = qcow2_bitmap_add_ext(dst, src->nb_bitmaps, (uint64_t)doff, dlen);
    if (r == 0) {
        dst->autoclear |= QCOW2_AUTOCLEAR_BITMAPS;
        dst->bm_ext_present = true;
        r = qcow2_update_header(dst);
    }
    if (r == 0)
        r = qcow2_file_flush(dst);
    return r < 0 ? blk_error(err, r, "Could not write bitmaps: %s", strerror(-r)) : 0;
}

/* Before vmon's first change of guest data: enabled bitmaps no longer match it (qcow2.txt "in_use"). */
int qcow2_bitmaps_invalidate(struct qcow2 *s)
{
    int r = 0;
    if (!s->writable)
        return 0;
    for (uint32_t i = 0; i < s->nb_bitmaps && r == 0; i++) {
        struct qcow2_bitmap *bm = &s->bitmaps[i];
        if (!(bm->flags & QCOW2_BME_AUTO) || (bm->flags & QCOW2_BME_IN_USE))
            continue;
        uint8_t f[4];
        put_be32(f, bm->flags | QCOW2_BME_IN_USE);
        r = s->bs->file->ops->pwrite(s->bs->file, f, 4, s->bm_dir_offset + bm->dir_pos + 12);
        if (r == 0)
            r = qcow2_file_flush(s);     /* marked before any data changes */
        if (r == 0)
            bm->flags |= QCOW2_BME_IN_USE;
    }
    return r;
}
