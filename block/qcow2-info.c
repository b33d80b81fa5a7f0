/*
 * What qemu-img info and snapshot -l show of a qcow2 image: the cluster size and dirty flag, the
 * snapshot table, and the format-specific data in QEMU's ImageInfoSpecificQCow2 field order
 * (QEMU block/qcow2.c qcow2_get_specific_info, qapi/block-core.json; qcow2.txt "Header").
 */
#include <errno.h>
#include <stdlib.h>

#include "block/qcow2.h"

int qcow2_get_info(struct blk *bs, struct blk_info *bi)
{
    struct qcow2 *s = bs->opaque;
    bi->cluster_size = s->cluster_size;
    bi->dirty = (s->incompat & QCOW2_INCOMPAT_DIRTY) != 0;
    return 0;
}

int qcow2_snapshot_list(struct blk *bs, struct blk_snapshot **out)
{
    struct qcow2 *s = bs->opaque;
    *out = NULL;
    if (!s->nb_snapshots)
        return 0;
    struct blk_snapshot *l = calloc(s->nb_snapshots, sizeof(*l));
    if (!l)
        return -ENOMEM;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        const struct qcow2_snapshot *sn = &s->snaps[i];
        l[i] = (struct blk_snapshot){ .id = sn->id, .name = sn->name, .date_sec = sn->date_sec,
                                      .date_nsec = sn->date_nsec, .vm_clock_nsec = sn->vm_clock_nsec,
                                      .vm_state_size = sn->vm_state_size, .icount = UINT64_MAX };
        if (sn->has_icount)
            l[i].icount = ((uint64_t)sn->icount_hi_lo[0] << 32) | sn->icount_hi_lo[1];
    }
    *out = l;
    return (int)s->nb_snapshots;
}

static void item(struct blk_info_item *it, int *n, int depth, const char *key, enum blk_info_type type,
                 const char *str, uint64_t num)
{
    it[(*n)++] = (struct blk_info_item){ .depth = depth, .key = key, .type = type, .str = str, .num = num };
}

/* Persistent bitmaps: a list of {flags: [in-use, auto], name, granularity} (Qcow2BitmapInfo). */
static void bitmap_items(const struct qcow2 *s, struct blk_info_item *it, int *n)
{
    item(it, n, 0, "bitmaps", BLK_INFO_LIST, NULL, 0);
    for (uint32_t i = 0; i < s->nb_bitmaps; i++) {
        const struct qcow2_bitmap *bm = &s->bitmaps[i];
        item(it, n, 1, NULL, BLK_INFO_DICT, NULL, 0);
        item(it, n, 2, "flags", BLK_INFO_LIST, NULL, 0);
        if (bm->flags & QCOW2_BME_IN_USE)
            item(it, n, 3, NULL, BLK_INFO_STR, "in-use", 0);
        if (bm->flags & QCOW2_BME_AUTO)
            item(it, n, 3, NULL, BLK_INFO_STR, "auto", 0);
        item(it, n, 2, "name", BLK_INFO_STR, bm->name, 0);
        item(it, n, 2, "granularity", BLK_INFO_INT, NULL, 1ull << bm->granularity_bits);
    }
}

struct blk_info_item *qcow2_get_specific_info(struct blk *bs, int *n)
{
    const struct qcow2 *s = bs->opaque;
    struct blk_info_item *it = calloc(8 + 6 * (size_t)s->nb_bitmaps, sizeof(*it));
    *n = 0;
    if (!it)
        return NULL;
    bool v3 = s->version >= 3;
    item(it, n, 0, "compat", BLK_INFO_STR, v3 ? "1.1" : "0.10", 0);
    item(it, n, 0, "compression-type", BLK_INFO_STR, s->compression_type ? "zstd" : "zlib", 0);
    if (v3)
        item(it, n, 0, "lazy-refcounts", BLK_INFO_BOOL, NULL, (s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0);
    if (v3 && s->nb_bitmaps)
        bitmap_items(s, it, n);
    item(it, n, 0, "refcount-bits", BLK_INFO_INT, NULL, s->refcount_bits);
    if (v3) {
        item(it, n, 0, "corrupt", BLK_INFO_BOOL, NULL, (s->incompat & QCOW2_INCOMPAT_CORRUPT) != 0);
        item(it, n, 0, "extended-l2", BLK_INFO_BOOL, NULL, s->ext_l2);
    }
    return it;
}
