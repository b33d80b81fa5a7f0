/* qcow2 format: header, create, open and validation, flush ordering, compression; the driver table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

#define L2_CACHE_TABLES 32
#define RB_CACHE_BLOCKS 8

static int qcow2_probe(const uint8_t *buf, size_t len, const char *filename)
{
    (void)filename;
    return len >= 8 && get_be32(buf) == QCOW2_MAGIC && get_be32(buf + 4) >= 2 ? 100 : 0;   /* 1: qcow */
}

int qcow2_file_flush(struct qcow2 *s)
{
    s->data_unflushed = false;
    return s->bs->file->ops->flush(s->bs->file);
}

int qcow2_set_incompat(struct qcow2 *s, uint64_t bits, bool set)
{
    uint64_t v = set ? s->incompat | bits : s->incompat & ~bits;
    if (v == s->incompat || s->version < 3)
        return 0;
    uint8_t b[8];
    put_be64(b, v);
    int r = s->bs->file->ops->pwrite(s->bs->file, b, 8, 72);
    if (r == 0)
        r = qcow2_file_flush(s);
    if (r == 0)
        s->incompat = v;
    return r;
}

int qcow2_derive(struct qcow2 *s)
{
    s->cluster_size = 1u << s->cluster_bits;
    s->ext_l2 = (s->incompat & QCOW2_INCOMPAT_EXTL2) != 0;
    s->l2_entry_size = s->ext_l2 ? 16 : 8;
    s->l2_entries = s->cluster_size / s->l2_entry_size;
    s->l2_bits = (uint32_t)__builtin_ctz(s->l2_entries);
    s->subcluster_size = s->ext_l2 ? s->cluster_size / QCOW2_SUBCLUSTERS : s->cluster_size;
    s->refcount_bits = 1u << s->refcount_order;
    s->refcount_max = s->refcount_order == 6 ? UINT64_MAX : (1ull << s->refcount_bits) - 1;
    s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
    s->rb_entries = 1u << s->rb_bits;
    s->csize_shift = 62 - (int)(s->cluster_bits - 8);
    s->csize_mask = (1ull << (s->cluster_bits - 8)) - 1;
    s->coffset_mask = (1ull << s->csize_shift) - 1;
    return 0;
}

static int read_extensions(struct qcow2 *s, struct blk *bs, const uint8_t *h, uint64_t end, char *err)
{
    uint64_t p = s->version >= 3 ? s->header_length : 72;
    struct qcow2_extra *x = s->extra;
    while (p + 8 <= end) {
        uint32_t type = get_be32(h + p), len = get_be32(h + p + 4);
        if (type == QCOW2_EXT_END)
            return 0;
        if (len > end - p - 8)
            return blk_error(err, EINVAL, "Could not open '%s': header extension %#x is too long",
                             bs->filename, type);
        const uint8_t *d = h + p + 8;
        uint64_t next = p + 8 + qcow2_align_up(len, 8);
        if (type == QCOW2_EXT_BACKING_FMT) {
            free(bs->backing_fmt);
            bs->backing_fmt = strndup((const char *)d, len);
            if (!bs->backing_fmt)
                return -ENOMEM;
        } else if (type == QCOW2_EXT_DATA_FILE || type == QCOW2_EXT_CRYPTO) {
            return blk_error(err, ENOTSUP, "Could not open '%s': %s is not supported", bs->filename,
                             type == QCOW2_EXT_CRYPTO ? "encryption" : "an external data file");
        } else if (type != QCOW2_EXT_FEATURE_TABLE) {
            if (type == QCOW2_EXT_BITMAPS && len >= 24) {      /* kept verbatim below, parsed here */
                s->bm_ext_present = true;
                s->bm_nb = get_be32(d);
                s->bm_dir_size = get_be64(d + 8);
                s->bm_dir_offset = get_be64(d + 16);
            }
            uint64_t n = next > end ? end - p : next - p;
            uint8_t *e = realloc(x->ext, x->len + n);
            if (!e)
                return -ENOMEM;
            memcpy(e + x->len, h + p, n);
            x->ext = e;
            x->len += n;
        }
        p = next;
    }
    return 0;
}

static int open_fail(struct blk *bs, char *err, const char *what)
{
    return blk_error(err, EINVAL, "Could not open '%s': %s", bs->filename, what);
}

static int read_header(struct qcow2 *s, struct blk *bs, char *err)
{
    uint8_t h[QCOW2_HEADER_V3_LEN];
    int64_t fsz = bs->file->ops->size(bs->file);
    if (fsz < 0)
        return blk_error(err, (int)fsz, "Could not open '%s': %s", bs->filename, strerror((int)-fsz));
    s->file_size = (uint64_t)fsz;
    if (fsz < 72)
        return open_fail(bs, err, "Image is not in qcow2 format (file too short)");
    int r = bs->file->ops->pread(bs->file, h, sizeof(h), 0);
    if (r < 0)
        return blk_error(err, r, "Could not read '%s': %s", bs->filename, strerror(-r));
    if (get_be32(h) != QCOW2_MAGIC)
        return open_fail(bs, err, "Image is not in qcow2 format");
    s->version = get_be32(h + 4);
    if (s->version < 2 || s->version > 3) {
        char m[64];
        snprintf(m, sizeof(m), "Unsupported qcow2 version %u", s->version);
        return open_fail(bs, err, m);
    }
    s->cluster_bits = get_be32(h + 20);
    if (s->cluster_bits < 9 || s->cluster_bits > 21) {
        char m[64];
        snprintf(m, sizeof(m), "Unsupported cluster size: 2^%u", s->cluster_bits);
        return open_fail(bs, err, m);
    }
    s->size = get_be64(h + 24);
    s->crypt_method = get_be32(h + 32);
    s->l1_size = get_be32(h + 36);
    s->l1_offset = get_be64(h + 40);
    s->rt_offset = get_be64(h + 48);
    s->rt_clusters = get_be32(h + 56);
    s->nb_snapshots = get_be32(h + 60);
    s->snapshots_offset = get_be64(h + 64);
    s->refcount_order = 4;
    s->header_length = 72;
    if (s->version >= 3) {
        if (fsz < 104)
            return open_fail(bs, err, "qcow2 header exceeds the end of the file");
        s->incompat = get_be64(h + 72);
        s->compat = get_be64(h + 80);
        s->autoclear = get_be64(h + 88);
        s->refcount_order = get_be32(h + 96);
        s->header_length = get_be32(h + 100);
        if (s->header_length < 104 || s->header_length % 8 || s->header_length > (1u << s->cluster_bits))
            return open_fail(bs, err, "qcow2 header length is invalid");
        if (s->header_length > 104)
            s->compression_type = h[104];
    }
    if (s->incompat & ~QCOW2_INCOMPAT_KNOWN) {
        char m[96];
        snprintf(m, sizeof(m), "Unsupported IMAGE feature(s): %#llx",
                 (unsigned long long)(s->incompat & ~QCOW2_INCOMPAT_KNOWN));
        return open_fail(bs, err, m);
    }
    if (s->incompat & QCOW2_INCOMPAT_DATA_FILE)
        return open_fail(bs, err, "external data files are not supported");
    if (s->refcount_order > 6)
        return open_fail(bs, err, "Refcount width may not exceed 64 bits");
    if (s->crypt_method)
        return open_fail(bs, err, "encrypted images are not supported");
    if (!!(s->incompat & QCOW2_INCOMPAT_COMPRESSION) != (s->compression_type != 0) || s->compression_type > 1)
        return open_fail(bs, err, "Invalid compression type");
    if ((s->incompat & QCOW2_INCOMPAT_EXTL2) && s->cluster_bits < 14)
        return open_fail(bs, err, "Extended L2 entries need a cluster size of at least 16 KiB");
    qcow2_derive(s);
    uint64_t cs = s->cluster_size;
    if (s->size > (1ull << 62))
        return open_fail(bs, err, "Image is too big");
    uint64_t per_l1 = (uint64_t)s->l2_entries << s->cluster_bits;
    if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES)
        return open_fail(bs, err, "Active L1 table too large");
    if (s->l1_size < (s->size + per_l1 - 1) / per_l1)
        return open_fail(bs, err, "L1 table is too small");
    /*
     * Tables may end in the file's last, partial cluster (reads past the end are zeros, as in QEMU:
     * an image whose last byte was cut off still opens). For check, as qemu-img check, tables past
     * the end open too: the check reports them (qcow2-check.c).
     */
    bool chk = (bs->flags & BLK_O_CHECK) != 0;
    uint64_t fend = chk ? UINT64_MAX / 2 : qcow2_align_up(s->file_size, cs);
    if (s->l1_size && (s->l1_offset % cs || s->l1_offset < cs || s->l1_offset + (uint64_t)s->l1_size * 8 > fend))
        return open_fail(bs, err, "Invalid L1 table offset");
    if ((!s->rt_clusters && !chk) || (uint64_t)s->rt_clusters * cs > QCOW2_MAX_RT_BYTES)
        return open_fail(bs, err, "Reference count table too large");
    if (s->rt_offset % cs || s->rt_offset < cs || s->rt_offset + (uint64_t)s->rt_clusters * cs > fend)
        return open_fail(bs, err, "Invalid reference count table offset");
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
        return open_fail(bs, err, "Too many snapshots");
    if (s->nb_snapshots && !chk && (s->snapshots_offset % cs || s->snapshots_offset < cs || s->snapshots_offset >= fend))
        return open_fail(bs, err, "Invalid snapshot table offset");

    uint8_t *hc = calloc(1, cs);
    if (!hc)
        return -ENOMEM;
    r = bs->file->ops->pread(bs->file, hc, cs, 0);
    uint64_t bfo = get_be64(hc + 8);
    uint32_t bfs = get_be32(hc + 16);
    uint64_t ext_end = bfo ? bfo : cs;
    if (r == 0 && bfo) {
        if (bfs > 1023)
            r = open_fail(bs, err, "Backing file name too long");
        else if (bfo > cs || bfo + bfs > cs || bfo < s->header_length)
            r = open_fail(bs, err, "Invalid backing file offset");
        else if (!(bs->backing_file = strndup((char *)hc + bfo, bfs)))
            r = -ENOMEM;
    }
    if (r == 0)
        r = read_extensions(s, bs, hc, ext_end, err);
    free(hc);
    if (r == 0 && bs->backing_file && !(bs->full_backing = blk_path_join_dir(bs->filename, bs->backing_file)))
        r = -ENOMEM;
    return r;
}

static int load_tables(struct qcow2 *s, struct blk *bs, char *err)
{
    s->rt_size = (uint32_t)(((uint64_t)s->rt_clusters << s->cluster_bits) / 8);
    s->rt = calloc(s->rt_size ? s->rt_size : 1, 8);
    s->l1 = calloc(s->l1_size ? s->l1_size : 1, 8);
    if (!s->rt || !s->l1)
        return -ENOMEM;
    int r = bs->file->ops->pread(bs->file, s->rt, (size_t)s->rt_size * 8, s->rt_offset);
    if (r == 0 && s->l1_size)
        r = bs->file->ops->pread(bs->file, s->l1, (size_t)s->l1_size * 8, s->l1_offset);
    if (r < 0)
        return blk_error(err, r, "Could not read '%s': %s", bs->filename, strerror(-r));
    for (uint32_t i = 0; i < s->rt_size; i++) {
        s->rt[i] = get_be64(&s->rt[i]);
        uint64_t o = s->rt[i] & QCOW2_OFFSET_MASK;
        if (o && ((s->rt[i] & ~QCOW2_OFFSET_MASK) || o % s->cluster_size ||
                  o + s->cluster_size > qcow2_align_up(s->file_size, s->cluster_size)) &&
            !(bs->flags & BLK_O_CHECK))
            return open_fail(bs, err, "Refcount block offset is invalid or past the end of the file");
    }
    for (uint32_t i = 0; i < s->l1_size; i++)
        s->l1[i] = get_be64(&s->l1[i]);
    s->l1_dirty_lo = UINT32_MAX;
    s->l1_dirty_hi = UINT32_MAX;
    return 0;
}

static void qcow2_close(struct blk *bs);

static int qcow2_open(struct blk *bs, int flags, char *err)
{
    struct qcow2 *s = calloc(1, sizeof(*s));
    struct qcow2_extra *x = calloc(1, sizeof(*x));
    if (!s || !x) {
        free(s);
        free(x);
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    }
    bs->opaque = s;
    s->bs = bs;
    s->extra = x;
    int r = read_header(s, bs, err);
    if (r == 0)
        r = load_tables(s, bs, err);
    if (r == 0 && (qcow2_cache_init(&s->l2_cache, L2_CACHE_TABLES, s->cluster_size) < 0 ||
                   qcow2_cache_init(&s->rb_cache, RB_CACHE_BLOCKS, s->cluster_size) < 0 ||
                   !(s->cbuf = malloc(s->cluster_size)) || !(s->zbuf = malloc(2 * s->cluster_size + 512)) ||
                   !(s->tmp = malloc(s->cluster_size))))
        r = blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    if (r == 0)
        r = qcow2_read_snapshots(s, err);
    if (r == 0)
        r = qcow2_read_bitmaps(s, err);
    if (r == 0 && (flags & BLK_O_RDWR) && (s->incompat & QCOW2_INCOMPAT_CORRUPT) && !(flags & BLK_O_CHECK))
        r = blk_error(err, EACCES, "Could not open '%s': qcow2: Image is corrupt; cannot be opened read/write",
                      bs->filename);
    if (r < 0) {
        qcow2_close(bs);
        bs->opaque = NULL;
        return r;
    }
    bs->size = s->size;
    bs->cluster_size = s->cluster_size;
    s->alloc_end = qcow2_align_up(s->file_size, s->cluster_size);
    s->free_hint = 0;
    s->writable = (flags & BLK_O_RDWR) != 0;
    if (s->writable) {
        /* Unknown auto-clear features must be cleared before the first write (qcow2.txt). */
        uint64_t keep = s->nb_bitmaps ? QCOW2_AUTOCLEAR_BITMAPS : 0;   /* cleared on the first data write */
        if ((s->autoclear & ~keep) && s->version >= 3) {
            s->autoclear &= keep;
            r = qcow2_update_header(s);
        }
        /* A dirty image (lazy refcounts, then a crash) has its refcounts rebuilt before use. */
        if (r == 0 && (s->incompat & QCOW2_INCOMPAT_DIRTY) && !(flags & BLK_O_CHECK)) {
            struct blk_check res;
            r = qcow2_check_image(bs, &res, BLK_FIX_LEAKS | BLK_FIX_ERRORS, NULL, NULL);
            if (r == 0)
                r = qcow2_flush_metadata(s);
            if (r == 0)
                r = qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, false);
        }
        if (r < 0) {
            blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
            qcow2_close(bs);
            bs->opaque = NULL;
            return r;
        }
    }
    return 0;
}

/* The ordered flush: refcounts, data and L2 tables, then L1, then deferred frees (see qcow2-cache.c). */
int qcow2_flush_metadata(struct qcow2 *s)
{
    if (!s->writable)
        return 0;
    int r = qcow2_cache_flush(s, &s->rb_cache);
    if (r == 0 && s->data_unflushed)
        r = qcow2_file_flush(s);
    if (r == 0)
        r = qcow2_cache_flush(s, &s->l2_cache);
    if (r == 0 && s->l1_dirty_lo != UINT32_MAX) {
        if (s->data_unflushed)
            r = qcow2_file_flush(s);
        if (r == 0)
            r = qcow2_write_l1_entry_range(s, s->l1_dirty_lo, s->l1_dirty_hi);
        if (r == 0) {
            s->l1_dirty_lo = s->l1_dirty_hi = UINT32_MAX;
            s->data_unflushed = true;
        }
    }
    if (r == 0 && s->nfrees) {
        if (s->data_unflushed)
            r = qcow2_file_flush(s);
        if (r == 0)
            r = qcow2_apply_frees(s);
        if (r == 0)
            r = qcow2_cache_flush(s, &s->rb_cache);
    }
    if (r == 0 && s->data_unflushed)
        r = qcow2_file_flush(s);
    return r;
}

int qcow2_write_l1_entry_range(struct qcow2 *s, uint32_t lo, uint32_t hi)
{
    if (lo > hi || hi >= s->l1_size)
        return 0;
    /* Whole 512-byte sectors, so that each write is one atomic unit on the disk. */
    uint32_t a = lo / 64 * 64, b = hi / 64 * 64 + 64;
    if (b > s->l1_size)
        b = s->l1_size;
    uint8_t buf[512];
    for (uint32_t i = a; i < b; i += 64) {
        uint32_t n = b - i < 64 ? b - i : 64;
        for (uint32_t j = 0; j < n; j++)
            put_be64(buf + 8 * j, s->l1[i + j]);
        int r = s->bs->file->ops->pwrite(s->bs->file, buf, n * 8, s->l1_offset + (uint64_t)i * 8);
        if (r < 0)
            return r;
    }
    return 0;
}

static int qcow2_read(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    return qcow2_co_read(bs->opaque, off, buf, len);
}

/* Lazy refcounts: the dirty bit goes on before the first change of a session. */
static int before_write(struct qcow2 *s)
{
    s->cbuf_l2e = 0;
    int r = qcow2_bitmaps_invalidate(s);
    if (r < 0)
        return r;
    if ((s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) && !(s->incompat & QCOW2_INCOMPAT_DIRTY)) {
        s->dirty_marked = true;
        return qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, true);
    }
    return 0;
}

static int qcow2_write(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    int r = before_write(bs->opaque);
    return r < 0 ? r : qcow2_co_write(bs->opaque, off, buf, len);
}

static int qcow2_map_write(struct blk *bs, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum)
{
    int r = before_write(bs->opaque);
    return r < 0 ? r : qcow2_co_map_write(bs->opaque, off, len, host, pnum);
}

static int qcow2_write_zeroes(struct blk *bs, uint64_t off, uint64_t len)
{
    int r = before_write(bs->opaque);
    return r < 0 ? r : qcow2_co_zero_or_discard(bs->opaque, off, len, false);
}

static int qcow2_discard(struct blk *bs, uint64_t off, uint64_t len)
{
    int r = before_write(bs->opaque);
    return r < 0 ? r : qcow2_co_zero_or_discard(bs->opaque, off, len, true);
}

static int qcow2_write_compressed(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    int r = before_write(bs->opaque);
    return r < 0 ? r : qcow2_co_write_compressed(bs->opaque, off, buf, len);
}

static int qcow2_flush(struct blk *bs)
{
    return qcow2_flush_metadata(bs->opaque);
}

static int qcow2_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    return qcow2_co_block_status(bs->opaque, off, len, pnum, map);
}

static int qcow2_truncate(struct blk *bs, uint64_t size)
{
    struct qcow2 *s = bs->opaque;
    int br = qcow2_bitmaps_invalidate(s);
    if (br < 0)
        return br;
    if (size < s->size) {
        if (s->nb_snapshots)
            return -ENOTSUP;
        int r = qcow2_co_zero_or_discard(s, size, s->size - size, true);
        if (r < 0)
            return r;
    }
    uint64_t per_l1 = (uint64_t)s->l2_entries << s->cluster_bits;
    int r = qcow2_grow_l1(s, (size + per_l1 - 1) / per_l1);
    if (r < 0)
        return r;
    r = qcow2_flush_metadata(s);
    if (r < 0)
        return r;
    s->size = size;
    bs->size = size;
    r = qcow2_update_header(s);
    return r < 0 ? r : qcow2_file_flush(s);
}

static int qcow2_check(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *),
                       void *opq)
{
    return qcow2_check_image(bs, res, fix, report, opq);
}

static void qcow2_close(struct blk *bs)
{
    struct qcow2 *s = bs->opaque;
    if (!s)
        return;
    if (s->writable && s->l1) {
        int r = qcow2_flush_metadata(s);
        if (r == 0 && s->dirty_marked)
            qcow2_set_incompat(s, QCOW2_INCOMPAT_DIRTY, false);
    }
    qcow2_cache_destroy(&s->l2_cache);
    qcow2_cache_destroy(&s->rb_cache);
    qcow2_free_snapshots(s);
    qcow2_free_bitmaps(s);
    struct qcow2_extra *x = s->extra;
    if (x)
        free(x->ext);
    free(x);
    free(s->l1);
    free(s->rt);
    free(s->frees);
    free(s->cbuf);
    free(s->zbuf);
    free(s->tmp);
    free(s);
    bs->opaque = NULL;
}

const struct blk_driver blk_qcow2_driver = {
    .name = "qcow2",
    .probe = qcow2_probe,
    .create = qcow2_create,
    .open = qcow2_open,
    .read = qcow2_read,
    .write = qcow2_write,
    .map_write = qcow2_map_write,
    .write_zeroes = qcow2_write_zeroes,
    .write_compressed = qcow2_write_compressed,
    .flush = qcow2_flush,
    .discard = qcow2_discard,
    .block_status = qcow2_block_status,
    .truncate = qcow2_truncate,
    .check = qcow2_check,
    .close = qcow2_close,
    .create_help = qcow2_create_help,
    .create_opt = qcow2_create_opt,
    .create_describe = qcow2_create_describe,
    .get_info = qcow2_get_info,
    .get_specific_info = qcow2_get_specific_info,
    .snapshot_list = qcow2_snapshot_list,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_apply = qcow2_snapshot_apply,
    .snapshot_delete = qcow2_snapshot_delete,
    .snapshot_save = qcow2_snapshot_save,
    .vmstate_write = qcow2_vmstate_write,
    .vmstate_read = qcow2_vmstate_read,
    .amend = qcow2_amend,
    .measure = qcow2_measure,
    .bitmaps_copy = qcow2_bitmaps_copy,
    .bitmap_change = qcow2_bitmap_change,
    .make_empty = qcow2_make_empty,
    .change_backing_file = qcow2_change_backing_file,
};
