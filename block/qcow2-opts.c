/*
 * qcow2 creation options as qemu-img takes them (-o parsing, help, create's "Formatting" line),
 * and what uses them on an existing image: amend, measure, a new backing file (rebase).
 * Option names and messages follow QEMU block/qcow2.c (qcow2_create_opts, qcow2_amend_options,
 * qcow2_measure); sizes follow qcow2.txt's layout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

const struct blk_opt_help qcow2_create_help[] = {
    { "backing_file", "str", "File name of a base image" },
    { "backing_fmt", "str", "Image format of the base image" },
    { "cluster_size", "size", "qcow2 cluster size" },
    { "compat", "str", "Compatibility level (v2 [0.10] or v3 [1.1])" },
    { "compression_type", "str", "Compression method used for image cluster compression" },
    { "extended_l2", "bool (on/off)", "Extended L2 tables" },
    { "lazy_refcounts", "bool (on/off)", "Postpone refcount updates" },
    { "preallocation", "str", "Preallocation mode (allowed values: off, metadata, falloc, full)" },
    { "refcount_bits", "num", "Width of a reference count entry in bits" },
    { "size", "size", "Virtual disk size" },
    { NULL, NULL, NULL },
};

int qcow2_create_opt(struct blk_create_opts *o, const char *key, const char *val, char *err)
{
    uint64_t n;
    bool b;
    if (!strcmp(key, "cluster_size") && blk_parse_size(val, &n) == 0) {
        o->cluster_size = (uint32_t)n;
        if (n < 512 || n > (2u << 20) || (n & (n - 1)))
            return blk_error(err, EINVAL, "Cluster size must be a power of two between 512 and 2048k");
    } else if (!strcmp(key, "compat")) {
        if (!strcmp(val, "0.10") || !strcmp(val, "v2"))
            o->compat = 2;
        else if (!strcmp(val, "1.1") || !strcmp(val, "v3"))
            o->compat = 3;
        else
            return blk_error(err, EINVAL, "Invalid parameter '%s'", val);
    } else if (!strcmp(key, "refcount_bits") && blk_parse_size(val, &n) == 0 && n && n <= 64 && !(n & (n - 1))) {
        o->refcount_bits = (int)n;
    } else if (!strcmp(key, "compression_type") && (!strcmp(val, "zlib") || !strcmp(val, "zstd"))) {
        o->compression_type = !strcmp(val, "zstd");
    } else if (!strcmp(key, "lazy_refcounts") && blk_parse_bool(val, &b)) {
        o->lazy_refcounts = b;
    } else if (!strcmp(key, "extended_l2") && blk_parse_bool(val, &b)) {
        o->extended_l2 = b;
    } else {
        return -ENOENT;
    }
    return 0;
}

/* qemu-img prints the options in its QemuOpts order: the format's first, then size and backing. */
void qcow2_create_describe(const struct blk_create_opts *o, char *buf, size_t len)
{
    int n = snprintf(buf, len, "cluster_size=%u extended_l2=%s compression_type=%s size=%" PRIu64,
                     o->cluster_size ? o->cluster_size : 65536, o->extended_l2 ? "on" : "off",
                     o->compression_type ? "zstd" : "zlib", o->size);
    if (o->backing_file && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " backing_file=%s", o->backing_file);
    if (o->backing_fmt && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " backing_fmt=%s", o->backing_fmt);
    if (o->compat == 2 && n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " compat=0.10");
    if (n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " lazy_refcounts=%s refcount_bits=%d", o->lazy_refcounts ? "on" : "off",
                 o->refcount_bits ? o->refcount_bits : 16);
}

/* Writes the header as the fields now say, then makes it durable. */
static int rewrite_header(struct qcow2 *s)
{
    int r = qcow2_flush_metadata(s);
    if (r == 0)
        r = qcow2_update_header(s);
    return r < 0 ? r : qcow2_file_flush(s);
}

int qcow2_change_backing_file(struct blk *bs, const char *file, const char *fmt)
{
    free(bs->backing_file);
    free(bs->backing_fmt);
    bs->backing_file = file ? strdup(file) : NULL;
    bs->backing_fmt = file && fmt ? strdup(fmt) : NULL;
    return rewrite_header(bs->opaque);
}

/* Version 2 cannot express zero clusters, lazy refcounts or any incompatible feature. */
static int check_downgrade(struct qcow2 *s, const struct blk_create_opts *o, char *err)
{
    for (uint64_t vc = 0; vc < (s->size + s->cluster_size - 1) >> s->cluster_bits; vc++) {
        uint64_t e, bm;
        if (qcow2_get_l2e(s, vc, &e, &bm) < 0 || qcow2_l2e_type(s, e) == QCOW2_CT_ZERO)
            return blk_error(err, ENOTSUP, "Cannot downgrade an image with zero clusters to compat=0.10");
    }
    if ((s->incompat & ~QCOW2_INCOMPAT_DIRTY) || o->lazy_refcounts || s->refcount_order != 4)
        return blk_error(err, ENOTSUP, "Cannot downgrade an image with compat=1.1-only features");
    return 0;
}

/* Only what can change in place: compat up/down (without zero clusters), lazy_refcounts, backing. */
int qcow2_amend(struct blk *bs, const char *opts, char *err)
{
    struct qcow2 *s = bs->opaque;
    /* Parse against the image's current settings so that unchanged values are accepted. */
    struct blk_create_opts o = { .cluster_size = s->cluster_size, .compat = (int)s->version,
                                 .refcount_bits = (int)s->refcount_bits, .compression_type = s->compression_type,
                                 .lazy_refcounts = (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0,
                                 .extended_l2 = s->ext_l2, .size = s->size };
    int r = blk_parse_create_opts(bs->drv, opts, &o, err);
    if (r < 0)
        return r;
    if (o.cluster_size != s->cluster_size || o.refcount_bits != (int)s->refcount_bits ||
        o.compression_type != s->compression_type || o.extended_l2 != s->ext_l2)
        return blk_error(err, ENOTSUP, "Changing cluster_size, refcount_bits, compression_type or extended_l2 is "
                                       "not supported");
    if (o.size != s->size)
        return blk_error(err, ENOTSUP, "Changing the image size with amend is not supported; use resize");
    if (o.compat == 2 && s->version == 3 && (r = check_downgrade(s, &o, err)) < 0)
        return r;
    if (o.lazy_refcounts && o.compat == 2)
        return blk_error(err, EINVAL, "Lazy refcounts only supported with compatibility level 1.1 and above");
    r = qcow2_flush_metadata(s);
    s->version = (uint32_t)o.compat;
    s->compat = o.lazy_refcounts ? s->compat | QCOW2_COMPAT_LAZY_REFCOUNTS : s->compat & ~QCOW2_COMPAT_LAZY_REFCOUNTS;
    if (s->version == 3 && s->header_length < 104)
        s->header_length = 112;
    if (o.backing_file) {
        free(bs->backing_file);
        bs->backing_file = strdup(o.backing_file);
    }
    if (o.backing_fmt) {
        free(bs->backing_fmt);
        bs->backing_fmt = strdup(o.backing_fmt);
    }
    if (r == 0)
        r = qcow2_update_header(s);
    if (r == 0)
        r = qcow2_file_flush(s);
    if (r < 0)
        return blk_error(err, r, "Error while amending options: %s", strerror(-r));
    return 0;
}

/* ---- measure ----------------------------------------------------------------------------------- */

/* Refcount table and blocks for `clusters` clusters, themselves included: the fixed point. */
static uint64_t refcount_meta_clusters(uint64_t clusters, uint64_t cs, unsigned order)
{
    uint64_t per_block = cs * 8 >> order, per_table = cs / 8;
    uint64_t blocks = 0, table = 0, prev;
    do {
        prev = blocks + table;
        blocks = (clusters + blocks + table + per_block - 1) / per_block;
        table = (blocks + per_table - 1) / per_table;
    } while (blocks + table != prev);
    return blocks + table;
}

/* Bytes a fully allocated qcow2 image of this size takes: data plus all of its metadata. */
static uint64_t full_size(uint64_t size, uint64_t cs, unsigned order, bool ext_l2)
{
    uint64_t data = qcow2_align_up(size, cs), esz = ext_l2 ? 16 : 8;
    uint64_t l2e = qcow2_align_up(data / cs, cs / esz);
    uint64_t l1e = qcow2_align_up(l2e * esz / cs, cs / 8);
    uint64_t meta = cs + l2e * esz + l1e * 8;
    meta += refcount_meta_clusters((meta + data) / cs, cs, order) * cs;
    return meta + data;
}

/* Bytes of in's chain that hold data, counted in whole clusters of the target (zeros need none). */
static int data_bytes(struct blk *in, uint64_t cs, uint64_t *data, char *err)
{
    *data = 0;
    for (uint64_t pos = 0, pnum; pos < in->size; pos += pnum) {
        int st = blk_chain_status(in, pos, in->size - pos, &pnum, NULL);
        if (st < 0) {
            char e[BLK_ERR_LEN];
            return blk_error(err, st, "%s", blk_strerror(in, st, e, sizeof(e)));
        }
        if (!(st & BLK_STATUS_ZERO) && (st & BLK_STATUS_DATA)) {
            uint64_t end = qcow2_align_up(pos + pnum, cs);
            *data += pos % cs + (end - pos);
            pnum = end - pos;
        }
    }
    return 0;
}

int qcow2_measure(const struct blk_create_opts *o, struct blk *in, struct blk_measure *m, char *err)
{
    uint64_t cs = o->cluster_size ? o->cluster_size : 65536;
    if (o->extended_l2 && cs < 16384)
        return blk_error(err, EINVAL, "Extended L2 entries are only supported with cluster sizes of at least "
                                      "16384 bytes");
    unsigned order = (unsigned)__builtin_ctz((unsigned)(o->refcount_bits ? o->refcount_bits : 16));
    uint64_t size = in ? in->size : o->size, data = 0;
    if (in) {
        int r = data_bytes(in, cs, &data, err);
        if (r < 0)
            return r;
    }
    m->fully_allocated = full_size(size, cs, order, o->extended_l2);
    m->required = (m->fully_allocated - qcow2_align_up(size, cs)) + data;
    m->has_bitmaps = in && in->drv->bitmaps_copy;   /* vmon copies none unasked: 0 bytes */
    m->bitmaps = 0;
    return 0;
}
