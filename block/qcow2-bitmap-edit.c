/*
 * qcow2 persistent dirty bitmaps changed in place, as qemu-img bitmap (--add, --remove, --clear,
 * --enable, --disable, --merge): every bitmap is loaded, the action applied, and the whole set written
 * to new clusters (data, tables, directory; qcow2.txt "Bitmaps extension"); the header then names
 * the new directory and only after that are the old clusters freed, so a crash leaves one whole set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

#define BME_ENTRY_FIXED 24
#define BME_MAX_NAME    1023

struct bm_mem {
    char *name;
    uint32_t flags;
    uint8_t gbits;
    uint8_t *bits;
    uint64_t bytes;
};

static uint64_t bm_bytes(const struct qcow2 *s, uint8_t gbits)
{
    return (((s->size + (1ull << gbits) - 1) >> gbits) + 7) / 8;
}

static void mem_free(struct bm_mem *m, uint32_t n)
{
    for (uint32_t i = 0; m && i < n; i++) {
        free(m[i].name);
        free(m[i].bits);
    }
    free(m);
}

/* Every bitmap of s in memory (n + 1 slots: room for an added one). */
static struct bm_mem *load_all(struct qcow2 *s, int *r)
{
    struct bm_mem *m = calloc(s->nb_bitmaps + 1, sizeof(*m));
    *r = m ? 0 : -ENOMEM;
    for (uint32_t i = 0; *r == 0 && i < s->nb_bitmaps; i++) {
        const struct qcow2_bitmap *bm = &s->bitmaps[i];
        m[i] = (struct bm_mem){ .name = strdup(bm->name), .flags = bm->flags, .gbits = bm->granularity_bits,
                                .bytes = bm_bytes(s, bm->granularity_bits) };
        m[i].bits = calloc(1, m[i].bytes + 1);
        *r = m[i].name && m[i].bits ? qcow2_bitmap_read(s, bm, m[i].bits, m[i].bytes) : -ENOMEM;
    }
    if (*r < 0) {
        mem_free(m, s->nb_bitmaps);
        return NULL;
    }
    return m;
}

static int find(struct bm_mem *m, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(m[i].name, name))
            return (int)i;
    return -1;
}

/* dst |= src, each set source bit covering its granule in dst's granularity. */
static void merge_bits(struct bm_mem *dst, const uint8_t *sbits, uint8_t sgbits, uint64_t size)
{
    uint64_t nbits = (size + (1ull << sgbits) - 1) >> sgbits;
    for (uint64_t b = 0; b < nbits; b++) {
        if (!(sbits[b / 8] & (1u << (b % 8))))
            continue;
        uint64_t start = b << sgbits, end = ((b + 1) << sgbits) - 1;
        if (end >= size)
            end = size - 1;
        for (uint64_t d = start >> dst->gbits; d <= end >> dst->gbits; d++)
            dst->bits[d / 8] |= (uint8_t)(1u << (d % 8));
    }
}

static int apply(struct qcow2 *s, struct bm_mem *m, uint32_t *n, const struct blk_bitmap_op *op, char *err)
{
    int i = find(m, *n, op->name);
    if (op->action == BLK_BITMAP_ADD) {
        uint64_t g = op->granularity ? op->granularity : (s->cluster_size > 4096 ? s->cluster_size : 4096);
        if (i >= 0)
            return blk_error(err, EEXIST, "Bitmap already exists: %s", op->name);
        if (!*op->name || strlen(op->name) > BME_MAX_NAME)
            return blk_error(err, EINVAL, "Bitmap name '%s' is empty or too long", op->name);
        if (g < 512 || g > (1ull << 31) || (g & (g - 1)))
            return blk_error(err, EINVAL, "Granularity must be power of 2 between 512 and 2147483648");
        uint8_t gbits = (uint8_t)__builtin_ctzll(g);
        m[*n] = (struct bm_mem){ .name = strdup(op->name), .flags = QCOW2_BME_AUTO, .gbits = gbits,
                                 .bytes = bm_bytes(s, gbits) };
        m[*n].bits = calloc(1, m[*n].bytes + 1);
        (*n)++;
        return m[*n - 1].name && m[*n - 1].bits ? 0 : -ENOMEM;
    }
    if (i < 0)
        return blk_error(err, ENOENT, "Dirty bitmap '%s' not found", op->name);
    if (op->action == BLK_BITMAP_REMOVE) {
        free(m[i].name);
        free(m[i].bits);
        memmove(&m[i], &m[i + 1], (*n - (uint32_t)i - 1) * sizeof(*m));
        (*n)--;
        m[*n] = (struct bm_mem){ 0 };
        return 0;
    }
    if (m[i].flags & QCOW2_BME_IN_USE)
        return blk_error(err, EINVAL, "Bitmap '%s' is inconsistent and cannot be used", op->name);
    if (op->action == BLK_BITMAP_CLEAR)
        memset(m[i].bits, 0, m[i].bytes);
    else if (op->action == BLK_BITMAP_ENABLE)
        m[i].flags |= QCOW2_BME_AUTO;
    else if (op->action == BLK_BITMAP_DISABLE)
        m[i].flags &= ~QCOW2_BME_AUTO;
    else
        return 1;                     /* MERGE: the caller reads the source */
    return 0;
}

static int merge(struct qcow2 *s, struct bm_mem *dst, const struct blk_bitmap_op *op, char *err)
{
    if (op->src->drv != &blk_qcow2_driver)
        return blk_error(err, ENOTSUP, "Source lacks bitmap support");
    struct qcow2 *ss = op->src->opaque;
    const struct qcow2_bitmap *sb = NULL;
    for (uint32_t i = 0; i < ss->nb_bitmaps && !sb; i++)
        if (!strcmp(ss->bitmaps[i].name, op->src_name))
            sb = &ss->bitmaps[i];
    if (!sb)
        return blk_error(err, ENOENT, "Dirty bitmap '%s' not found", op->src_name);
    if (sb->flags & QCOW2_BME_IN_USE)
        return blk_error(err, EINVAL, "Bitmap '%s' is inconsistent and cannot be used", op->src_name);
    uint64_t bytes = bm_bytes(ss, sb->granularity_bits);
    uint8_t *bits = calloc(1, bytes + 1);
    int r = bits ? qcow2_bitmap_read(ss, sb, bits, bytes) : -ENOMEM;
    if (r == 0)
        merge_bits(dst, bits, sb->granularity_bits, s->size < ss->size ? s->size : ss->size);
    free(bits);
    return r < 0 ? blk_error(err, r, "Could not read bitmap '%s': %s", op->src_name, strerror(-r)) : 0;
}

/* The new directory and its bitmaps in new clusters; returns the directory offset (0: none) or -errno. */
static int64_t store_all(struct qcow2 *s, struct bm_mem *m, uint32_t n, uint64_t *dlen)
{
    uint8_t *dir = NULL;
    *dlen = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t tsize;
        int64_t toff = qcow2_bitmap_store(s, m[i].bits, m[i].bytes, &tsize);
        size_t nl = strlen(m[i].name), el = (size_t)qcow2_align_up(BME_ENTRY_FIXED + nl, 8);
        uint8_t *nd = toff < 0 ? NULL : realloc(dir, *dlen + el);
        if (!nd) {
            free(dir);
            return toff < 0 ? toff : -ENOMEM;
        }
        dir = nd;
        uint8_t *e = dir + *dlen;
        memset(e, 0, el);
        put_be64(e, (uint64_t)toff);
        put_be32(e + 8, tsize);
        put_be32(e + 12, m[i].flags);
        e[16] = 1;
        e[17] = m[i].gbits;
        put_be16(e + 18, (uint16_t)nl);
        memcpy(e + BME_ENTRY_FIXED, m[i].name, nl);
        *dlen += el;
    }
    if (!n)
        return 0;
    int64_t doff = qcow2_bitmap_write_new(s, dir, *dlen);
    free(dir);
    return doff;
}

struct span {
    uint64_t off, len;
};

/* The clusters the current set owns (data, tables, directory), to free once the new set is named. */
static struct span *old_spans(struct qcow2 *s, size_t *n, int *r)
{
    uint64_t cs = s->cluster_size;
    size_t cap = 1;
    for (uint32_t i = 0; i < s->nb_bitmaps; i++)
        cap += 1 + s->bitmaps[i].table_size;
    struct span *sp = calloc(cap, sizeof(*sp));
    *n = 0;
    *r = sp ? 0 : -ENOMEM;
    for (uint32_t i = 0; *r == 0 && i < s->nb_bitmaps; i++) {
        const struct qcow2_bitmap *bm = &s->bitmaps[i];
        uint8_t *t = malloc((size_t)bm->table_size * 8 + 1);
        *r = t ? s->bs->file->ops->pread(s->bs->file, t, (size_t)bm->table_size * 8, bm->table_offset) : -ENOMEM;
        for (uint32_t k = 0; *r == 0 && k < bm->table_size; k++) {
            uint64_t off = get_be64(t + 8 * k) & QCOW2_OFFSET_MASK;
            if (off && off % cs == 0)
                sp[(*n)++] = (struct span){ off, cs };
        }
        free(t);
        sp[(*n)++] = (struct span){ bm->table_offset, qcow2_align_up((uint64_t)bm->table_size * 8, cs) };
    }
    if (s->bm_ext_present && s->bm_dir_offset)
        sp[(*n)++] = (struct span){ s->bm_dir_offset, qcow2_align_up(s->bm_dir_size, cs) };
    return sp;
}

/* Drops the bitmaps extension from the kept header extensions. */
static void drop_ext(struct qcow2 *s)
{
    struct qcow2_extra *x = s->extra;
    size_t p = 0;
    while (p + 8 <= x->len) {
        size_t l = 8 + (size_t)qcow2_align_up(get_be32(x->ext + p + 4), 8);
        if (l > x->len - p)
            l = x->len - p;
        if (get_be32(x->ext + p) == QCOW2_EXT_BITMAPS) {
            memmove(x->ext + p, x->ext + p + l, x->len - p - l);
            x->len -= l;
        } else {
            p += l;
        }
    }
}

/* The new set (n bitmaps, directory at doff) named in the header, then the old clusters freed. */
static int commit(struct qcow2 *s, uint32_t n, int64_t doff, uint64_t dlen, struct span *old, size_t nold)
{
    int r = qcow2_flush_metadata(s);
    if (r == 0) {
        drop_ext(s);
        r = n ? qcow2_bitmap_add_ext(s, n, (uint64_t)doff, dlen) : 0;
    }
    if (r == 0) {
        s->bm_ext_present = n > 0;
        s->bm_nb = n;
        s->bm_dir_offset = n ? (uint64_t)doff : 0;
        s->bm_dir_size = n ? dlen : 0;
        if (n)
            s->autoclear |= QCOW2_AUTOCLEAR_BITMAPS;
        else
            s->autoclear &= ~QCOW2_AUTOCLEAR_BITMAPS;
        r = qcow2_update_header(s);
    }
    if (r == 0)
        r = qcow2_file_flush(s);
    for (size_t i = 0; r == 0 && i < nold; i++)
        r = qcow2_update_refcount(s, old[i].off, old[i].len, -1);
    if (r == 0)
        r = qcow2_flush_metadata(s);
    if (r == 0) {
        char err[BLK_ERR_LEN];
        if (s->alloc_end > s->file_size)
            s->file_size = s->alloc_end;          /* the new directory may lie past the size at open */
        qcow2_free_bitmaps(s);
        r = qcow2_read_bitmaps(s, err);
    }
    return r;
}

int qcow2_bitmap_change(struct blk *bs, const struct blk_bitmap_op *op, char *err)
{
    struct qcow2 *s = bs->opaque;
    err[0] = 0;
    if (!s->writable)
        return blk_error(err, EROFS, "The image is open read-only");
    if (s->version < 3)
        return blk_error(err, ENOTSUP, "Cannot store dirty bitmaps in qcow2 v2 files");
    if (s->bm_corrupt || (s->bm_ext_present && !s->bitmaps && s->bm_nb))
        return blk_error(err, EINVAL, "The image's bitmap directory is invalid");
    int r;
    uint32_t n = s->nb_bitmaps, slots = s->nb_bitmaps + 1;
    struct bm_mem *m = load_all(s, &r);
    if (!m)
        return blk_error(err, r, "Could not read bitmaps: %s", strerror(-r));
    r = apply(s, m, &n, op, err);
    if (r == 1)
        r = merge(s, &m[find(m, n, op->name)], op, err);
    size_t nold = 0;
    struct span *old = NULL;
    if (r == 0)
        old = old_spans(s, &nold, &r);
    uint64_t dlen = 0;
    int64_t doff = r == 0 ? store_all(s, m, n, &dlen) : r;
    if (doff >= 0)
        r = commit(s, n, doff, dlen, old, nold);
    else
        r = (int)doff;
    free(old);
    mem_free(m, slots);
    if (r < 0 && !err[0])
        blk_error(err, r, "Could not write bitmaps: %s", strerror(-r));
    return r < 0 ? r : 0;
}
