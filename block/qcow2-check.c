/*
 * qcow2 consistency check and repair: recount every reference from the metadata (header, L1 tables
 * of the image and of its snapshots, L2 tables, data and compressed clusters, refcount structures,
 * snapshot table), then compare with the stored refcounts. A stored count below the references is
 * corruption (a write could free a cluster still in use); above is a leak (wasted space only).
 * The messages and the summary follow qemu-img check's, so scripts can read either.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

#define FIX_AFTER_REBUILD 0x100   /* freeing the old structures: say "Repairing" only, as qemu-img */

struct check_ctx {
    struct qcow2 *s;
    struct blk_check *res;
    uint32_t *refs;               /* references per host cluster, computed */
    uint64_t nclusters;           /* clusters in the file */
    void (*report)(void *, const char *);
    void *opq;
    uint64_t next_contig;
};

static void say(struct check_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct check_ctx *c, const char *fmt, ...)
{
    if (!c->report)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->report(c->opq, line);
}

static void inc(struct check_ctx *c, uint64_t off, uint64_t len)
{
    if (!len)
        return;
    uint64_t first = off >> c->s->cluster_bits, last = (off + len - 1) >> c->s->cluster_bits;
    for (uint64_t k = first; k <= last; k++) {
        if (k >= c->nclusters) {
            say(c, "ERROR: cluster %" PRIu64 " (offset %#" PRIx64 ") lies past the end of the image file\n", k,
                k << c->s->cluster_bits);
            c->res->corruptions++;
            return;
        }
        if (c->refs[k] != UINT32_MAX)
            c->refs[k]++;
    }
}

static int walk_l2(struct check_ctx *c, uint64_t l2off, bool active, uint8_t *l2)
{
    struct qcow2 *s = c->s;
    int r = s->bs->file->ops->pread(s->bs->file, l2, s->cluster_size, l2off);
    if (r < 0)
        return r;
    for (uint32_t i = 0; i < s->l2_entries; i++) {
        uint64_t e = get_be64(l2 + (size_t)i * s->l2_entry_size);
        switch (qcow2_l2e_type(s, e)) {
        case QCOW2_CT_COMPRESSED: {
            uint64_t len, off = qcow2_compressed_range(s, e, &len);
            inc(c, off, len);
            if (active) {
                c->res->allocated_clusters++;
                c->res->compressed_clusters++;
                c->res->fragmented_clusters++;   /* compressed clusters are fragmented by nature */
            }
            break;
        }
        case QCOW2_CT_ZERO:
            if (!(e & QCOW2_OFFSET_MASK))
                break;
            /* a preallocated zero cluster still owns its host cluster */
            __attribute__((fallthrough));
        case QCOW2_CT_NORMAL: {
            uint64_t off = e & QCOW2_OFFSET_MASK;
            if (off & (s->cluster_size - 1)) {
                say(c, "ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 entry corrupted.\n", off);
                c->res->corruptions++;
                break;
            }
            inc(c, off, s->cluster_size);
            if (active) {
                c->res->allocated_clusters++;
                if (c->next_contig && off != c->next_contig)
                    c->res->fragmented_clusters++;
                c->next_contig = off + s->cluster_size;
            }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

static int walk_l1(struct check_ctx *c, uint64_t l1off, uint32_t l1size, bool active)
{
    struct qcow2 *s = c->s;
    uint64_t fend = qcow2_align_up(s->file_size, s->cluster_size);   /* the last cluster may be partial */
    if (l1size && (l1off % s->cluster_size || l1off + (uint64_t)l1size * 8 > fend)) {
        say(c, "ERROR: L1 table at %#" PRIx64 " is invalid\n", l1off);
        c->res->corruptions++;
        return 0;
    }
    inc(c, l1off, (uint64_t)l1size * 8);
    uint64_t *l1 = calloc(l1size ? l1size : 1, 8);
    uint8_t *l2 = malloc(s->cluster_size);
    int r = -ENOMEM;
    if (!l1 || !l2)
        goto out;
    r = s->bs->file->ops->pread(s->bs->file, l1, (size_t)l1size * 8, l1off);
    for (uint32_t i = 0; i < l1size && r == 0; i++) {
        uint64_t e = get_be64(&l1[i]), off = e & QCOW2_OFFSET_MASK;
        if (!off)
            continue;
        if (off % s->cluster_size) {
            say(c, "ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned; L1 entry corrupted\n", off);
            c->res->corruptions++;
            continue;
        }
        if (off + s->cluster_size > fend) {
            inc(c, off, s->cluster_size);      /* reports it */
            continue;
        }
        inc(c, off, s->cluster_size);
        r = walk_l2(c, off, active, l2);
    }
out:
    free(l1);
    free(l2);
    return r;
}

/* Persistent bitmaps: the directory, each bitmap table and the data clusters it names. */
static int walk_bitmaps(struct check_ctx *c)
{
    struct qcow2 *s = c->s;
    if (s->bm_corrupt) {
        say(c, "ERROR the bitmaps extension or directory is invalid\n");
        c->res->corruptions++;
    }
    if (!s->nb_bitmaps)
        return 0;
    inc(c, s->bm_dir_offset, s->bm_dir_size);
    for (uint32_t i = 0; i < s->nb_bitmaps; i++) {
        const struct qcow2_bitmap *bm = &s->bitmaps[i];
        inc(c, bm->table_offset, (uint64_t)bm->table_size * 8);
        uint8_t *t = malloc((size_t)bm->table_size * 8 + 1);
        if (!t)
            return -ENOMEM;
        int r = s->bs->file->ops->pread(s->bs->file, t, (size_t)bm->table_size * 8, bm->table_offset);
        for (uint32_t j = 0; j < bm->table_size && r == 0; j++) {
            uint64_t off = get_be64(t + 8 * (size_t)j) & QCOW2_OFFSET_MASK;
            if (off % s->cluster_size) {
                say(c, "ERROR bitmap '%s' table entry %u is not cluster aligned\n", bm->name, j);
                c->res->corruptions++;
            } else if (off) {
                inc(c, off, s->cluster_size);
            }
        }
        free(t);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Active tables: their COPIED flags must say exactly whether the refcount is one. */
static int check_copied(struct check_ctx *c, int fix)
{
    struct qcow2 *s = c->s;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t off = s->l1[i] & QCOW2_OFFSET_MASK;
        if (!off || off % s->cluster_size || off + s->cluster_size > qcow2_align_up(s->file_size, s->cluster_size))
            continue;
        uint64_t rc;
        int r = qcow2_get_refcount(s, off >> s->cluster_bits, &rc);
        if (r < 0)
            return r;
        if ((rc == 1) != !!(s->l1[i] & QCOW2_OFLAG_COPIED)) {
            say(c, "%s OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                fix & BLK_FIX_ERRORS ? "Repairing" : "ERROR", i, s->l1[i], rc);
            if (fix & BLK_FIX_ERRORS) {
                s->l1[i] = rc == 1 ? s->l1[i] | QCOW2_OFLAG_COPIED : s->l1[i] & ~QCOW2_OFLAG_COPIED;
                r = qcow2_write_l1_entry_range(s, i, i);
                if (r < 0)
                    return r;
                c->res->corruptions_fixed++;
            } else {
                c->res->corruptions++;
            }
        }
        uint8_t *l2;
        r = qcow2_cache_get(s, &s->l2_cache, off, true, &l2);
        if (r < 0)
            return r;
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint64_t e = get_be64(l2 + (size_t)j * s->l2_entry_size);
            enum qcow2_ctype t = qcow2_l2e_type(s, e);
            uint64_t h = e & QCOW2_OFFSET_MASK;
            if ((t != QCOW2_CT_NORMAL && t != QCOW2_CT_ZERO) || !h || h % s->cluster_size)
                continue;
            r = qcow2_get_refcount(s, h >> s->cluster_bits, &rc);
            if (r < 0)
                return r;
            if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
                say(c, "%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                    fix & BLK_FIX_ERRORS ? "Repairing" : "ERROR", e, rc);
                if (fix & BLK_FIX_ERRORS) {
                    e = rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
                    put_be64(l2 + (size_t)j * s->l2_entry_size, e);
                    qcow2_cache_mark_dirty(&s->l2_cache, l2);
                    c->res->corruptions_fixed++;
                } else {
                    c->res->corruptions++;
                }
            }
        }
    }
    return 0;
}

/* First run of n clusters nobody references (refs past the array count as free). */
static uint64_t first_fit(const uint32_t *refs, uint64_t len, uint64_t n)
{
    uint64_t run = 0;
    for (uint64_t k = 0;; k++) {
        if (k < len && refs[k])
            run = 0;
        else if (++run == n)
            return k + 1 - n;
    }
}

/*
 * The refcount structures are not to be trusted: write new refcount blocks and a new table into the
 * first clusters that nothing references (as qemu-img places them), holding exactly the references
 * counted, then switch the header to them. The old structures are then unreferenced: the next pass
 * frees them as leaks.
 */
static int rebuild_refcounts(struct check_ctx *c)
{
    struct qcow2 *s = c->s;
    uint64_t cs = s->cluster_size, end = 0;
    for (uint64_t k = 0; k < c->nclusters; k++)
        if (c->refs[k])
            end = k + 1;
    /* Place blocks and table; if they land past what the blocks cover, cover more and retry. */
    uint64_t cap = c->nclusters + 1024, nb, nt, toff;
    uint32_t *refs = NULL;
    uint64_t *boff = NULL;
    for (;;) {
        nb = (end + s->rb_entries - 1) / s->rb_entries;
        nt = (nb * 8 + cs - 1) / cs;
        cap = c->nclusters + nb + nt + 1;
        free(refs);
        free(boff);
        refs = calloc(cap, sizeof(*refs));
        boff = calloc(nb ? nb : 1, sizeof(*boff));
        if (!refs || !boff) {
            free(refs);
            free(boff);
            return -ENOMEM;
        }
        memcpy(refs, c->refs, c->nclusters * sizeof(*refs));
        uint64_t top = end;
        for (uint64_t g = 0; g < nb; g++) {
            boff[g] = first_fit(refs, cap, 1);
            refs[boff[g]] = 1;
            if (boff[g] + 1 > top)
                top = boff[g] + 1;
        }
        toff = first_fit(refs, cap, nt);
        for (uint64_t k = toff; k < toff + nt; k++)
            refs[k] = 1;
        if (toff + nt > top)
            top = toff + nt;
        if ((top + s->rb_entries - 1) / s->rb_entries <= nb)
            break;
        end = top;
    }
    if (nt * cs > QCOW2_MAX_RT_BYTES) {
        free(refs);
        free(boff);
        return -EFBIG;
    }
    uint8_t *blk = malloc(cs);
    uint64_t *rt = calloc(nt * cs / 8, 8);
    uint8_t *tab = calloc(nt, cs);
    int r = -ENOMEM;
    if (!blk || !rt || !tab)
        goto out;
    for (uint64_t g = 0; g < nb; g++) {
        memset(blk, 0, cs);
        for (uint64_t k = g * s->rb_entries; k < (g + 1) * s->rb_entries && k < cap; k++)
            qcow2_rb_set(s, blk, k & (s->rb_entries - 1), refs[k] > s->refcount_max ? s->refcount_max : refs[k]);
        rt[g] = boff[g] * cs;
        put_be64(tab + g * 8, rt[g]);
        r = s->bs->file->ops->pwrite(s->bs->file, blk, cs, rt[g]);
        if (r < 0)
            goto out;
    }
    r = s->bs->file->ops->pwrite(s->bs->file, tab, nt * cs, toff * cs);
    if (r == 0)
        r = qcow2_file_flush(s);
    uint8_t h[12];
    put_be64(h, toff * cs);
    put_be32(h + 8, (uint32_t)nt);
    if (r == 0)
        r = s->bs->file->ops->pwrite(s->bs->file, h, sizeof(h), 48);
    if (r == 0)
        r = qcow2_file_flush(s);
    if (r < 0)
        goto out;
    /* Whatever the cache holds of the old blocks is obsolete: drop it unwritten. */
    for (int i = 0; i < s->rb_cache.n; i++)
        qcow2_cache_drop(&s->rb_cache, s->rb_cache.e[i].offset);
    free(s->rt);
    s->rt = rt;
    rt = NULL;
    s->rt_size = (uint32_t)(nt * cs / 8);
    s->rt_offset = toff * cs;
    s->rt_clusters = (uint32_t)nt;
    int64_t fsz = s->bs->file->ops->size(s->bs->file);
    s->file_size = fsz > 0 ? (uint64_t)fsz : 0;
    if (s->alloc_end < s->file_size)
        s->alloc_end = qcow2_align_up(s->file_size, cs);
    s->free_hint = 0;
out:
    free(blk);
    free(rt);
    free(tab);
    free(refs);
    free(boff);
    return r;
}

static int check_once(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *),
                      void *opq, bool *rebuilt)
{
    bool rebuild = false;
    struct qcow2 *s = bs->opaque;
    int64_t fsz = bs->file->ops->size(bs->file);
    if (fsz < 0)
        return (int)fsz;
    s->file_size = (uint64_t)fsz;
    struct check_ctx c = { .s = s, .res = res, .report = report, .opq = opq };
    memset(res, 0, sizeof(*res));
    c.nclusters = qcow2_align_up((uint64_t)fsz, s->cluster_size) >> s->cluster_bits;
    c.refs = calloc(c.nclusters ? c.nclusters : 1, sizeof(uint32_t));
    if (!c.refs)
        return -ENOMEM;
    res->total_clusters = (int64_t)((s->size + s->cluster_size - 1) >> s->cluster_bits);

    inc(&c, 0, s->cluster_size);                                   /* header */
    int r = walk_l1(&c, s->l1_offset, s->l1_size, true);
    for (uint32_t i = 0; i < s->nb_snapshots && r == 0; i++)
        r = walk_l1(&c, s->snaps[i].l1_offset, s->snaps[i].l1_size, false);
    if (s->nb_snapshots)
        inc(&c, s->snapshots_offset, s->snapshots_size);
    if (r == 0)
        r = walk_bitmaps(&c);
    if (s->snaps_dropped) {
        say(&c, "ERROR snapshot table entries %u to %u are corrupt or past the end of the file\n", s->nb_snapshots,
            s->nb_snapshots + s->snaps_dropped - 1);
        res->corruptions += s->snaps_dropped;
    }
    inc(&c, s->rt_offset, (uint64_t)s->rt_clusters << s->cluster_bits);
    for (uint32_t i = 0; i < s->rt_size && r == 0; i++) {
        uint64_t off = s->rt[i] & QCOW2_OFFSET_MASK;
        if (!off)
            continue;
        if (off % s->cluster_size) {
            say(&c, "ERROR refcount block %u is not cluster aligned; refcount table entry corrupted\n", i);
            res->corruptions++;
            continue;
        }
        if (off + s->cluster_size > qcow2_align_up(s->file_size, s->cluster_size)) {
            say(&c, "ERROR refcount block %u is outside image\n", i);
            res->corruptions++;
            s->rt[i] = 0;               /* never read it */
            continue;
        }
        inc(&c, off, s->cluster_size);
    }
    if (r < 0) {
        free(c.refs);
        return r;
    }

    /* Compare: every cluster of the file, plus any counted past it. */
    uint64_t highest = 0;
    for (uint64_t k = 0; k < c.nclusters; k++) {
        uint64_t rc;
        r = qcow2_get_refcount(s, k, &rc);
        if (r < 0) {
            say(&c, "Can't get refcount for cluster %" PRIu64 ": %s\n", k, strerror(-r));
            res->check_errors++;
            continue;
        }
        uint64_t ref = c.refs[k];
        if (rc != ref) {
            bool leak = rc > ref;
            bool repair = leak ? (fix & BLK_FIX_LEAKS) : (fix & BLK_FIX_ERRORS);
            if (!(fix & FIX_AFTER_REBUILD))
                say(&c, "%s cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n",
                    leak ? "Leaked" : "ERROR", k, rc, ref);
            if (repair && !leak) {
                /* Raising a count may need a block where none is sane: rebuild them all below. */
                rebuild = true;
                res->corruptions_fixed++;
            } else if (repair) {
                say(&c, "Repairing cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64 "\n", k, rc, ref);
                r = qcow2_update_refcount(s, k << s->cluster_bits, 1, (int64_t)ref - (int64_t)rc);
                if (r < 0) {
                    res->check_errors++;
                    continue;
                }
                if (leak)
                    res->leaks_fixed++;
                else
                    res->corruptions_fixed++;
                rc = ref;
            } else if (leak) {
                res->leaks++;
            } else {
                res->corruptions++;
            }
        }
        if (rc || c.refs[k])
            highest = k + 1;
    }
    res->image_end_offset = (int64_t)(highest << s->cluster_bits);
    if (rebuild) {
        say(&c, "Rebuilding refcount structure\n");
        r = rebuild_refcounts(&c);
        if (r < 0) {
            say(&c, "ERROR rebuilding refcount structure: %s\n", strerror(-r));
            res->check_errors++;
            free(c.refs);
            return 0;
        }
        *rebuilt = true;
    }
    free(c.refs);
    r = check_copied(&c, fix);
    if (r == 0 && fix)
        r = qcow2_flush_metadata(s);
    return r;
}

int qcow2_check_image(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *),
                      void *opq)
{
    struct qcow2 *s = bs->opaque;
    bool was_writable = s->writable;
    if (fix)
        s->writable = true;
    bool rebuilt = false;
    int r = check_once(bs, res, fix, report, opq, &rebuilt);
    if (r == 0 && rebuilt) {
        /* The old refcount structures are garbage now: free them as leaks, as qemu-img does. */
        struct blk_check leaks;
        r = check_once(bs, &leaks, BLK_FIX_LEAKS | FIX_AFTER_REBUILD, report, opq, &rebuilt);
    }
    if (r == 0 && fix && (res->leaks_fixed || res->corruptions_fixed)) {
        /* Count again, quietly, for the verdict. */
        struct blk_check again;
        int64_t lf = res->leaks_fixed, cf = res->corruptions_fixed;
        r = check_once(bs, &again, 0, NULL, NULL, &rebuilt);
        *res = again;
        res->leaks_fixed = lf;
        res->corruptions_fixed = cf;
    }
    s->writable = was_writable;
    return r;
}
