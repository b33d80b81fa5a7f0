/* qcow2 header: serializing it with its extensions, and creating a new image (qcow2.txt "Header"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

static const struct { uint8_t type, bit; const char *name; } feature_names[] = {
    { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
    { 0, 3, "compression type" }, { 0, 4, "extended L2 entries" }, { 1, 0, "lazy refcounts" },
    { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
};

/* Serializes the header cluster: fixed fields, extensions, backing file name (qcow2.txt "Header"). */
static int build_header(struct qcow2 *s, struct blk *bs, const struct qcow2_extra *extra, uint8_t *h)
{
    uint32_t cs = s->cluster_size;
    memset(h, 0, cs);
    put_be32(h, QCOW2_MAGIC);
    put_be32(h + 4, s->version);
    put_be32(h + 20, s->cluster_bits);
    put_be64(h + 24, s->size);
    put_be32(h + 32, s->crypt_method);
    put_be32(h + 36, s->l1_size);
    put_be64(h + 40, s->l1_offset);
    put_be64(h + 48, s->rt_offset);
    put_be32(h + 56, s->rt_clusters);
    put_be32(h + 60, s->nb_snapshots);
    put_be64(h + 64, s->snapshots_offset);
    size_t p = 72;
    if (s->version >= 3) {
        put_be64(h + 72, s->incompat);
        put_be64(h + 80, s->compat);
        put_be64(h + 88, s->autoclear);
        put_be32(h + 96, s->refcount_order);
        uint32_t hl = s->header_length > QCOW2_HEADER_V3_LEN ? s->header_length : QCOW2_HEADER_V3_LEN;
        put_be32(h + 100, hl);
        h[104] = s->compression_type;
        p = hl;
    }
    if (bs->backing_fmt && bs->backing_file) {
        size_t n = strlen(bs->backing_fmt);
        if (p + 8 + qcow2_align_up(n, 8) > cs)
            return -ENOSPC;
        put_be32(h + p, QCOW2_EXT_BACKING_FMT);
        put_be32(h + p + 4, (uint32_t)n);
        memcpy(h + p + 8, bs->backing_fmt, n);
        p += 8 + qcow2_align_up(n, 8);
    }
    if (s->version >= 3) {
        size_t n = sizeof(feature_names) / sizeof(feature_names[0]) * 48;
        if (p + 8 + n <= cs / 2) {       /* optional: leave room for the backing name */
            put_be32(h + p, QCOW2_EXT_FEATURE_TABLE);
            put_be32(h + p + 4, (uint32_t)n);
            for (size_t i = 0; i < n / 48; i++) {
                h[p + 8 + i * 48] = feature_names[i].type;
                h[p + 9 + i * 48] = feature_names[i].bit;
                strncpy((char *)h + p + 10 + i * 48, feature_names[i].name, 46);
            }
            p += 8 + n;
        }
    }
    if (extra && extra->len) {
        if (p + extra->len > cs)
            return -ENOSPC;
        memcpy(h + p, extra->ext, extra->len);
        p += extra->len;
    }
    p += 8;                              /* end-of-extensions marker: 8 zero bytes */
    if (bs->backing_file) {
        size_t n = strlen(bs->backing_file);
        if (n > 1023 || p + n > cs)
            return -ENAMETOOLONG;
        put_be64(h + 8, p);
        put_be32(h + 16, (uint32_t)n);
        memcpy(h + p, bs->backing_file, n);
    }
    return 0;
}

int qcow2_update_header(struct qcow2 *s)
{
    uint8_t *h = malloc(s->cluster_size);
    if (!h)
        return -ENOMEM;
    int r = build_header(s, s->bs, s->extra, h);
    if (r == 0)
        r = s->bs->file->ops->pwrite(s->bs->file, h, s->cluster_size, 0);
    free(h);
    return r;
}

int qcow2_create(struct blk_file *f, const struct blk_create_opts *o, char *err)
{
    struct qcow2 s = { 0 };
    struct blk bs = { .file = f };
    uint32_t cs = o->cluster_size ? o->cluster_size : 65536;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1)))
        return blk_error(err, EINVAL, "Cluster size must be a power of two between 512 and 2048k");
    s.version = o->compat ? (uint32_t)o->compat : 3;
    s.cluster_bits = (uint32_t)__builtin_ctz(cs);
    int rb = o->refcount_bits ? o->refcount_bits : 16;
    if (rb > 64 || (rb & (rb - 1)))
        return blk_error(err, EINVAL, "Refcount width must be a power of two and may not exceed 64 bits");
    s.refcount_order = (uint32_t)__builtin_ctz((unsigned)rb);
    if (s.version < 3 && (rb != 16 || o->lazy_refcounts || o->extended_l2 || o->compression_type))
        return blk_error(err, EINVAL, "%s requires compat=1.1 or later",
                         rb != 16 ? "Different refcount widths than 16 bits" :
                         o->lazy_refcounts ? "Lazy refcounts" : o->extended_l2 ? "Extended L2 entries" :
                         "Compression type");
    if (o->extended_l2) {
        if (cs < 16384)
            return blk_error(err, EINVAL, "Extended L2 entries are only supported with cluster sizes of at "
                                          "least 16384 bytes");
        s.incompat |= QCOW2_INCOMPAT_EXTL2;
    }
    if (o->compression_type) {
        s.incompat |= QCOW2_INCOMPAT_COMPRESSION;
        s.compression_type = (uint8_t)o->compression_type;
    }
    if (o->lazy_refcounts)
        s.compat |= QCOW2_COMPAT_LAZY_REFCOUNTS;
    s.size = o->size;
    s.header_length = s.version >= 3 ? QCOW2_HEADER_V3_LEN : 72;
    qcow2_derive(&s);
    uint64_t per_l1 = (uint64_t)s.l2_entries << s.cluster_bits;
    uint64_t l1_entries = (o->size + per_l1 - 1) / per_l1;
    if (l1_entries * 8 > QCOW2_MAX_L1_BYTES || o->size > (1ull << 62))
        return blk_error(err, EFBIG, "The image size is too large for file format 'qcow2' (try using a larger "
                                     "cluster size)");
    uint64_t l1_clusters = qcow2_align_up(l1_entries * 8, cs) / cs;
    /* Layout: header, refcount table, one refcount block, L1 table; as QEMU lays it out. */
    if (3 + l1_clusters > s.rb_entries)
        return blk_error(err, EFBIG, "Image too large for a single initial refcount block; use a larger "
                                     "cluster_size or refcount_bits");
    s.rt_offset = cs;
    s.rt_clusters = 1;
    s.l1_offset = l1_entries ? 3ull * cs : 0;
    s.l1_size = (uint32_t)l1_entries;
    bs.backing_file = (char *)o->backing_file;
    bs.backing_fmt = (char *)o->backing_fmt;
    uint8_t *buf = calloc(1, cs);
    if (!buf)
        return -ENOMEM;
    int r = build_header(&s, &bs, NULL, buf);
    if (r < 0) {
        free(buf);
        return blk_error(err, r, "Could not write the header: %s", strerror(-r));
    }
    r = f->ops->pwrite(f, buf, cs, 0);
    memset(buf, 0, cs);
    put_be64(buf, 2ull * cs);
    if (r == 0)
        r = f->ops->pwrite(f, buf, cs, cs);
    memset(buf, 0, cs);
    for (uint64_t c = 0; c < 3 + l1_clusters; c++)
        qcow2_rb_set(&s, buf, c, 1);
    if (r == 0)
        r = f->ops->pwrite(f, buf, cs, 2ull * cs);
    memset(buf, 0, cs);
    for (uint64_t c = 0; c < l1_clusters && r == 0; c++)
        r = f->ops->pwrite(f, buf, cs, (3 + c) * cs);
    free(buf);
    if (r < 0)
        return blk_error(err, r, "Could not write the image: %s", strerror(-r));
    return 0;
}

