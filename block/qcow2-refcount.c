/*
 * qcow2 refcounts: entries of any width (refcount_order 0..6), cluster allocation, deferred frees.
 * (qcow2.txt "Host cluster management".)
 *
 * Order of updates, so that a crash at any moment leaves at worst leaked clusters:
 *   increments reach the disk before anything points at the cluster (qcow2-cache.c enforces it for
 *   L2 tables, qcow2_flush_metadata for L1 and the header); decrements wait in s->frees until the
 *   tables that dropped the reference are on disk (qcow2_apply_frees, the last step of a flush).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

uint64_t qcow2_rb_get(const struct qcow2 *s, const uint8_t *b, uint64_t i)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        /* Sub-byte widths: entry 0 sits in the least significant bits of byte 0. */
        uint32_t bits = s->refcount_bits;
        uint64_t bit = i * bits;
        return (b[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    case 3: return b[i];
    case 4: return get_be16(b + 2 * i);
    case 5: return get_be32(b + 4 * i);
    default: return get_be64(b + 8 * i);
    }
}

void qcow2_rb_set(const struct qcow2 *s, uint8_t *b, uint64_t i, uint64_t v)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        uint32_t bits = s->refcount_bits;
        uint64_t bit = i * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
        b[bit / 8] = (uint8_t)((b[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
        break;
    }
    case 3: b[i] = (uint8_t)v; break;
    case 4: put_be16(b + 2 * i, (uint16_t)v); break;
    case 5: put_be32(b + 4 * i, (uint32_t)v); break;
    default: put_be64(b + 8 * i, v); break;
    }
}

int qcow2_get_refcount(struct qcow2 *s, uint64_t cluster, uint64_t *rc)
{
    uint64_t g = cluster >> s->rb_bits;
    *rc = 0;
    if (g >= s->rt_size)
        return 0;
    uint64_t off = s->rt[g] & QCOW2_OFFSET_MASK;
    if (!off)
        return 0;
    if ((s->rt[g] & ~QCOW2_OFFSET_MASK) || off % s->cluster_size)
        return -EIO;                   /* a corrupt table entry (only check opens such an image) */
    uint8_t *b;
    int r = qcow2_cache_get(s, &s->rb_cache, off, true, &b);
    if (r < 0)
        return r;
    *rc = qcow2_rb_get(s, b, cluster & (s->rb_entries - 1));
    return 0;
}

static uint64_t file_end_clusters(struct qcow2 *s)
{
    int64_t fsz = s->bs->file->ops->size(s->bs->file);
    uint64_t end = s->alloc_end;
    if (fsz > 0 && (uint64_t)fsz > end)
        end = (uint64_t)fsz;
    return qcow2_align_up(end, s->cluster_size) >> s->cluster_bits;
}

static int write_rt_entry(struct qcow2 *s, uint64_t g)
{
    uint8_t e[8];
    put_be64(e, s->rt[g]);
    return s->bs->file->ops->pwrite(s->bs->file, e, 8, s->rt_offset + g * 8);
}

/*
 * The refcount table is full: build a larger one past the end of the image, together with the
 * refcount blocks that cover its own clusters, switch the header to it, then free the old one.
 */
static int grow_refcount_table(struct qcow2 *s, uint64_t min_group)
{
    uint64_t e = file_end_clusters(s);
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t t = 1, nb = 0;
    for (int iter = 0; iter < 64; iter++) {
        uint64_t last = e + nb + t - 1;
        uint64_t need = min_group + 1;
        if ((last >> s->rb_bits) + 1 > need)
            need = (last >> s->rb_bits) + 1;
        if (s->rt_size > need)
            need = s->rt_size;
        need += need / 4 + 1;                       /* headroom so that growth stays rare */
        uint64_t t2 = (need + per_cluster - 1) / per_cluster, nb2 = 0;
        if (t2 > QCOW2_MAX_RT_BYTES / s->cluster_size)   /* need only grows: refuse before counting */
            return -EFBIG;
        for (uint64_t g = e >> s->rb_bits; g <= (e + nb + t2 - 1) >> s->rb_bits; g++)
            if (g >= s->rt_size || !s->rt[g])
                nb2++;
        if (t2 == t && nb2 == nb)
            break;
        t = t2;
        nb = nb2;
    }
    if (t * s->cluster_size > QCOW2_MAX_RT_BYTES)
        return -EFBIG;
    uint64_t new_entries = t * per_cluster;
    uint64_t *nrt = calloc(new_entries, 8);
    uint8_t *blk = calloc(1, s->cluster_size);
    uint8_t *tab = calloc(t, s->cluster_size);
    int r = -ENOMEM;
    if (!nrt || !blk || !tab)
        goto out;
    memcpy(nrt, s->rt, (size_t)s->rt_size * 8);
    /* Area layout: [e, e+nb) new refcount blocks, [e+nb, e+nb+t) the new table. */
    uint64_t area_end = e + nb + t, k = 0;
    for (uint64_t g = e >> s->rb_bits; g <= (area_end - 1) >> s->rb_bits; g++) {
        uint64_t lo = g << s->rb_bits, hi = lo + s->rb_entries;
        if (lo < e)
            lo = e;
        if (hi > area_end)
            hi = area_end;
        if (g < s->rt_size && s->rt[g]) {           /* covered by an existing block */
            r = qcow2_update_refcount(s, lo << s->cluster_bits, (hi - lo) << s->cluster_bits, 1);
            if (r < 0)
                goto out;
            continue;
        }
        memset(blk, 0, s->cluster_size);
        for (uint64_t c = lo; c < hi; c++)
            qcow2_rb_set(s, blk, c & (s->rb_entries - 1), 1);
        nrt[g] = (e + k) << s->cluster_bits;
        r = s->bs->file->ops->pwrite(s->bs->file, blk, s->cluster_size, nrt[g]);
        if (r < 0)
            goto out;
        k++;
    }
    r = qcow2_cache_flush(s, &s->rb_cache);
    if (r < 0)
        goto out;
    for (uint64_t i = 0; i < new_entries; i++)
        put_be64(tab + i * 8, nrt[i]);
    uint64_t new_off = (e + nb) << s->cluster_bits;
    r = s->bs->file->ops->pwrite(s->bs->file, tab, t * s->cluster_size, new_off);
    if (r == 0)
        r = s->bs->file->ops->flush(s->bs->file);
    if (r < 0)
        goto out;
    uint8_t h[12];
    put_be64(h, new_off);
    put_be32(h + 8, (uint32_t)t);
    r = s->bs->file->ops->pwrite(s->bs->file, h, 12, 48);
    if (r == 0)
        r = s->bs->file->ops->flush(s->bs->file);
    if (r < 0)
        goto out;
    uint64_t old_off = s->rt_offset, old_len = (uint64_t)s->rt_clusters << s->cluster_bits;
    free(s->rt);
    s->rt = nrt;
    nrt = NULL;
    s->rt_size = (uint32_t)new_entries;
    s->rt_offset = new_off;
    s->rt_clusters = (uint32_t)t;
    if (area_end << s->cluster_bits > s->alloc_end)
        s->alloc_end = area_end << s->cluster_bits;
    r = qcow2_free_later(s, old_off, old_len);
out:
    free(nrt);
    free(blk);
    free(tab);
    return r;
}

/*
 * First run of n clusters at or after `from` whose refcounts are 0 (missing blocks count as zeros).
 * Clusters skipped before the first free one are in use, so the search hint moves past them.
 */
static int64_t find_free(struct qcow2 *s, uint64_t from, uint64_t n)
{
    uint64_t max = (1ull << 56) >> s->cluster_bits;
    uint64_t run = 0;
    bool seen_free = from != s->free_hint;     /* only a search from the hint may move it */
    for (uint64_t c = from; c < max; c++) {
        if (!seen_free && run == 0)
            s->free_hint = c;
        if (run)
            seen_free = true;
        uint64_t g = c >> s->rb_bits;
        if (g >= s->rt_size || !(s->rt[g] & QCOW2_OFFSET_MASK)) {
            /* A whole uncovered group is free: skip to its end in one step. */
            uint64_t end = (g + 1) << s->rb_bits;
            run += end - c;
            if (run >= n)
                return (int64_t)(end - run);
            c = end - 1;
            continue;
        }
        uint64_t rc;
        int r = qcow2_get_refcount(s, c, &rc);
        if (r < 0)
            return r;
        if (rc) {
            run = 0;
            continue;
        }
        if (++run == n)
            return (int64_t)(c + 1 - n);
    }
    return -ENOSPC;
}

/* Make sure group g has a refcount block, placing a new one at the first free cluster. */
static int ensure_refblock(struct qcow2 *s, uint64_t g)
{
    for (int tries = 0; tries < 1000; tries++) {
        if (g >= s->rt_size) {
            int r = grow_refcount_table(s, g);
            if (r < 0)
                return r;
            continue;
        }
        if (s->rt[g] & QCOW2_OFFSET_MASK)
            return 0;
        int64_t c = find_free(s, s->free_hint, 1);
        if (c < 0)
            return (int)c;
        uint64_t cg = (uint64_t)c >> s->rb_bits;
        if (cg >= s->rt_size) {
            int r = grow_refcount_table(s, cg);
            if (r < 0)
                return r;
            continue;
        }
        uint8_t *b;
        uint64_t boff = (uint64_t)c << s->cluster_bits;
        int r;
        if (!(s->rt[cg] & QCOW2_OFFSET_MASK)) {
            /* c's own group has no block either: the new block describes itself. */
            r = qcow2_cache_get(s, &s->rb_cache, boff, false, &b);
            if (r < 0)
                return r;
            qcow2_rb_set(s, b, (uint64_t)c & (s->rb_entries - 1), 1);
        } else {
            r = qcow2_update_refcount(s, boff, s->cluster_size, 1);
            if (r < 0)
                return r;
            r = qcow2_cache_get(s, &s->rb_cache, boff, false, &b);
            if (r < 0)
                return r;
            cg = g;
        }
        /* The block is on disk (and the blocks holding its own refcount) before the table says so. */
        r = s->bs->file->ops->pwrite(s->bs->file, b, s->cluster_size, boff);
        if (r == 0)
            r = qcow2_cache_flush(s, &s->rb_cache);
        if (r == 0)
            r = s->bs->file->ops->flush(s->bs->file);
        if (r < 0)
            return r;
        s->rt[cg] = boff;
        r = write_rt_entry(s, cg);
        if (r < 0)
            return r;
        if (boff + s->cluster_size > s->alloc_end)
            s->alloc_end = boff + s->cluster_size;
    }
    return -EIO;
}

int qcow2_update_refcount(struct qcow2 *s, uint64_t offset, uint64_t len, int64_t delta)
{
    if (!len)
        return 0;
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + len - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        uint64_t g = c >> s->rb_bits;
        if (g >= s->rt_size || !(s->rt[g] & QCOW2_OFFSET_MASK)) {
            if (delta < 0)
                return -EIO;
            int r = ensure_refblock(s, g);
            if (r < 0)
                return r;
        }
        uint8_t *b;
        int r = qcow2_cache_get(s, &s->rb_cache, s->rt[g] & QCOW2_OFFSET_MASK, true, &b);
        if (r < 0)
            return r;
        uint64_t i = c & (s->rb_entries - 1);
        uint64_t v = qcow2_rb_get(s, b, i);
        if (delta < 0 && v < (uint64_t)-delta)
            return -EIO;                    /* dropping a reference nobody counted: corrupt */
        if (delta > 0 && s->refcount_max - v < (uint64_t)delta)
            return -ERANGE;
        v += (uint64_t)delta;
        qcow2_rb_set(s, b, i, v);
        qcow2_cache_mark_dirty(&s->rb_cache, b);
        if (v == 0) {
            if (c < s->free_hint)
                s->free_hint = c;
            qcow2_cache_drop(&s->l2_cache, c << s->cluster_bits);
        }
    }
    return 0;
}

int64_t qcow2_alloc_clusters(struct qcow2 *s, uint64_t n)
{
    for (int tries = 0; tries < 1000; tries++) {
        int64_t c = find_free(s, s->free_hint, n);
        if (c < 0)
            return c;
        /* Every group of the run needs a block first; creating one may take a cluster of the run. */
        bool missing = false;
        for (uint64_t g = (uint64_t)c >> s->rb_bits; g <= ((uint64_t)c + n - 1) >> s->rb_bits; g++) {
            if (g >= s->rt_size || !(s->rt[g] & QCOW2_OFFSET_MASK)) {
                int r = ensure_refblock(s, g);
                if (r < 0)
                    return r;
                missing = true;
            }
        }
        if (missing)
            continue;
        uint64_t off = (uint64_t)c << s->cluster_bits;
        int r = qcow2_update_refcount(s, off, n << s->cluster_bits, 1);
        if (r < 0)
            return r;
        if ((uint64_t)c == s->free_hint)
            s->free_hint = (uint64_t)c + n;
        if (off + (n << s->cluster_bits) > s->alloc_end)
            s->alloc_end = off + (n << s->cluster_bits);
        return (int64_t)off;
    }
    return -EIO;
}

int qcow2_free_later(struct qcow2 *s, uint64_t offset, uint64_t len)
{
    if (s->nfrees == s->frees_cap) {
        size_t cap = s->frees_cap ? s->frees_cap * 2 : 64;
        struct qcow2_free *f = realloc(s->frees, cap * sizeof(*f));
        if (!f)
            return -ENOMEM;
        s->frees = f;
        s->frees_cap = cap;
    }
    s->frees[s->nfrees++] = (struct qcow2_free){ offset, len };
    return 0;
}

int qcow2_apply_frees(struct qcow2 *s)
{
    int ret = 0;
    for (size_t i = 0; i < s->nfrees; i++) {
        int r = qcow2_update_refcount(s, s->frees[i].offset, s->frees[i].len, -1);
        if (r < 0 && !ret)
            ret = r;
    }
    s->nfrees = 0;
    return ret;
}
