/* qcow2 internal snapshots: the snapshot table, create / apply / delete (qcow2.txt "Snapshots"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/qcow2.h"

void qcow2_free_snapshots(struct qcow2 *s)
{
    for (uint32_t i = 0; s->snaps && i < s->nb_snapshots; i++) {
        free(s->snaps[i].id);
        free(s->snaps[i].name);
    }
    free(s->snaps);
    s->snaps = NULL;
}

int qcow2_read_snapshots(struct qcow2 *s, char *err)
{
    struct blk *bs = s->bs;
    s->snapshots_size = 0;
    if (!s->nb_snapshots)
        return 0;
    s->snaps = calloc(s->nb_snapshots, sizeof(*s->snaps));
    if (!s->snaps)
        return -ENOMEM;
    uint64_t off = s->snapshots_offset;
    /* An entry may end in the last, partial cluster: reads past the end of the file are zeros. */
    uint64_t fend = qcow2_align_up(s->file_size, s->cluster_size);
    uint32_t i;
    for (i = 0; i < s->nb_snapshots; i++) {
        uint8_t h[40];
        if (off + sizeof(h) > fend)
            goto bad;
        int r = bs->file->ops->pread(bs->file, h, sizeof(h), off);
        if (r < 0)
            return r;
        struct qcow2_snapshot *sn = &s->snaps[i];
        sn->l1_offset = get_be64(h);
        sn->l1_size = get_be32(h + 8);
        uint16_t idlen = get_be16(h + 12), namelen = get_be16(h + 14);
        sn->date_sec = get_be32(h + 16);
        sn->date_nsec = get_be32(h + 20);
        sn->vm_clock_nsec = get_be64(h + 24);
        sn->vm_state_size = get_be32(h + 32);
        sn->extra_size = get_be32(h + 36);
        sn->disk_size = s->size;
        if (sn->extra_size > 1024 || off + 40 + sn->extra_size + idlen + namelen > fend)
            goto bad;
        uint8_t extra[1024] = { 0 };
        r = bs->file->ops->pread(bs->file, extra, sn->extra_size, off + 40);
        if (r < 0)
            return r;
        if (sn->extra_size >= 8)
            sn->vm_state_size = get_be64(extra);
        if (sn->extra_size >= 16)
            sn->disk_size = get_be64(extra + 8);
        if (sn->extra_size >= 24) {
            sn->has_icount = true;
            sn->icount_hi_lo[0] = get_be32(extra + 16);
            sn->icount_hi_lo[1] = get_be32(extra + 20);
        }
        sn->id = calloc(1, idlen + 1u);
        sn->name = calloc(1, namelen + 1u);
        if (!sn->id || !sn->name)
            return -ENOMEM;
        r = bs->file->ops->pread(bs->file, sn->id, idlen, off + 40 + sn->extra_size);
        if (r == 0)
            r = bs->file->ops->pread(bs->file, sn->name, namelen, off + 40 + sn->extra_size + idlen);
        if (r < 0)
            return r;
        if ((uint64_t)sn->l1_size * 8 > QCOW2_MAX_L1_BYTES || sn->l1_offset % s->cluster_size ||
            sn->l1_offset + (uint64_t)sn->l1_size * 8 > fend)
            goto bad;
        off = qcow2_align_up(off + 40 + sn->extra_size + idlen + namelen, 8);
    }
    s->snapshots_size = off - s->snapshots_offset;
    return 0;
bad:
    if (bs->flags & BLK_O_CHECK) {
        /* check opens it, as qemu-img check does, and counts the entries it could not read. */
        if (i < s->nb_snapshots) {
            free(s->snaps[i].id);
            free(s->snaps[i].name);
        }
        s->snaps_dropped = s->nb_snapshots - i;
        s->nb_snapshots = i;
        s->snapshots_size = off - s->snapshots_offset;
        return 0;
    }
    return blk_error(err, EINVAL, "Could not open '%s': snapshot table is corrupt or past the end of the file",
                     bs->filename);
}

/*
 * Adds delta to the refcount of everything an L1 table reaches (its L2 tables, their data and
 * compressed clusters). delta +1 counts a new sharer now; delta -1 queues the drops in s->frees so
 * that they happen only once no table on disk points there any more. With clear_copied the
 * tables are the active ones and lose their COPIED flags (they are shared from now on).
 */
int qcow2_l1_refcounts(struct qcow2 *s, const uint64_t *l1, uint32_t l1_size, int delta, bool clear_copied)
{
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2off = l1[i] & QCOW2_OFFSET_MASK;
        if (!l2off)
            continue;
        if (l2off % s->cluster_size || l2off + s->cluster_size > (s->file_size > s->alloc_end ? s->file_size : s->alloc_end))
            return -EIO;
        int r = delta > 0 ? qcow2_update_refcount(s, l2off, s->cluster_size, 1)
                          : qcow2_free_later(s, l2off, s->cluster_size);
        if (r < 0)
            return r;
        uint8_t *l2;
        r = qcow2_cache_get(s, &s->l2_cache, l2off, true, &l2);
        if (r < 0)
            return r;
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint8_t *p = l2 + (size_t)j * s->l2_entry_size;
            uint64_t e = get_be64(p), off = 0, len = 0;
            switch (qcow2_l2e_type(s, e)) {
            case QCOW2_CT_COMPRESSED:
                off = qcow2_compressed_range(s, e, &len);
                break;
            case QCOW2_CT_NORMAL:
            case QCOW2_CT_ZERO:
                off = e & QCOW2_OFFSET_MASK;
                len = off ? s->cluster_size : 0;
                break;
            default:
                break;
            }
            if (len) {
                r = delta > 0 ? qcow2_update_refcount(s, off, len, 1) : qcow2_free_later(s, off, len);
                if (r < 0)
                    return r;
            }
            if (clear_copied && (e & QCOW2_OFLAG_COPIED)) {
                put_be64(p, e & ~QCOW2_OFLAG_COPIED);
                qcow2_cache_mark_dirty(&s->l2_cache, l2);
            }
        }
    }
    return 0;
}

/* After refcounts dropped (a snapshot deleted), COPIED must again say "refcount is one". */
int qcow2_update_copied_flags(struct qcow2 *s)
{
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2off = s->l1[i] & QCOW2_OFFSET_MASK;
        if (!l2off)
            continue;
        uint64_t rc;
        int r = qcow2_get_refcount(s, l2off >> s->cluster_bits, &rc);
        if (r < 0)
            return r;
        uint64_t ne = rc == 1 ? s->l1[i] | QCOW2_OFLAG_COPIED : s->l1[i] & ~QCOW2_OFLAG_COPIED;
        if (ne != s->l1[i]) {
            s->l1[i] = ne;
            if (s->l1_dirty_lo == UINT32_MAX || s->l1_dirty_lo > i)
                s->l1_dirty_lo = i;
            if (s->l1_dirty_hi == UINT32_MAX || s->l1_dirty_hi < i)
                s->l1_dirty_hi = i;
        }
        for (uint32_t j = 0; j < s->l2_entries; j++) {
            uint8_t *l2;
            r = qcow2_cache_get(s, &s->l2_cache, l2off, true, &l2);
            if (r < 0)
                return r;
            uint8_t *p = l2 + (size_t)j * s->l2_entry_size;
            uint64_t e = get_be64(p);
            enum qcow2_ctype t = qcow2_l2e_type(s, e);
            if ((t != QCOW2_CT_NORMAL && t != QCOW2_CT_ZERO) || !(e & QCOW2_OFFSET_MASK))
                continue;
            r = qcow2_get_refcount(s, (e & QCOW2_OFFSET_MASK) >> s->cluster_bits, &rc);
            if (r < 0)
                return r;
            uint64_t n = rc == 1 ? e | QCOW2_OFLAG_COPIED : e & ~QCOW2_OFLAG_COPIED;
            if (n != e) {
                r = qcow2_cache_get(s, &s->l2_cache, l2off, true, &l2);
                if (r < 0)
                    return r;
                put_be64(l2 + (size_t)j * s->l2_entry_size, n);
                qcow2_cache_mark_dirty(&s->l2_cache, l2);
            }
        }
    }
    return qcow2_flush_metadata(s);
}

static struct qcow2_snapshot *find_snapshot(struct qcow2 *s, const char *name)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        if (!strcmp(s->snaps[i].id, name))
            return &s->snaps[i];
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        if (!strcmp(s->snaps[i].name, name))
            return &s->snaps[i];
    return NULL;
}

/* Writes the snapshot table to new clusters and points the header at it; the old one is freed. */
static int write_snapshot_table(struct qcow2 *s)
{
    size_t size = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        size = qcow2_align_up(size + 40 + 24 + strlen(s->snaps[i].id) + strlen(s->snaps[i].name), 8);
    uint64_t old_off = s->snapshots_offset, old_size = s->snapshots_size;
    uint64_t new_off = 0;
    uint8_t *t = calloc(1, size ? size : 1);
    if (!t)
        return -ENOMEM;
    size_t p = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        struct qcow2_snapshot *sn = &s->snaps[i];
        size_t il = strlen(sn->id), nl = strlen(sn->name);
        put_be64(t + p, sn->l1_offset);
        put_be32(t + p + 8, sn->l1_size);
        put_be16(t + p + 12, (uint16_t)il);
        put_be16(t + p + 14, (uint16_t)nl);
        put_be32(t + p + 16, sn->date_sec);
        put_be32(t + p + 20, sn->date_nsec);
        put_be64(t + p + 24, sn->vm_clock_nsec);
        put_be32(t + p + 32, (uint32_t)(sn->vm_state_size > UINT32_MAX ? 0 : sn->vm_state_size));
        put_be32(t + p + 36, 24);
        put_be64(t + p + 40, sn->vm_state_size);
        put_be64(t + p + 48, sn->disk_size);
        put_be32(t + p + 56, sn->has_icount ? sn->icount_hi_lo[0] : UINT32_MAX);
        put_be32(t + p + 60, sn->has_icount ? sn->icount_hi_lo[1] : UINT32_MAX);
        memcpy(t + p + 64, sn->id, il);
        memcpy(t + p + 64 + il, sn->name, nl);
        p = qcow2_align_up(p + 64 + il + nl, 8);
    }
    int r = 0;
    if (size) {
        int64_t off = qcow2_alloc_clusters(s, qcow2_align_up(size, s->cluster_size) >> s->cluster_bits);
        if (off < 0) {
            free(t);
            return (int)off;
        }
        new_off = (uint64_t)off;
        r = s->bs->file->ops->pwrite(s->bs->file, t, size, new_off);
    }
    free(t);
    /* Table and every refcount it needs are durable before the header names it. */
    if (r == 0)
        r = qcow2_flush_metadata(s);
    if (r < 0) {
        if (new_off)                   /* nothing names the new table: give its clusters back */
            qcow2_free_later(s, new_off, qcow2_align_up(size, s->cluster_size));
        return r;
    }
    s->snapshots_offset = new_off;
    s->snapshots_size = size;
    r = qcow2_update_header(s);
    if (r == 0)
        r = qcow2_file_flush(s);
    if (r == 0 && old_size)
        r = qcow2_free_later(s, old_off, qcow2_align_up(old_size, s->cluster_size));
    return r;
}

/*
 * Undoes a snapshot creation that failed before the header named the snapshot: the active tree
 * loses the extra reference and gets its COPIED flags back, the L1 copy is freed. Only overwrites
 * of allocated clusters, so it works on a full file system and the image ends up as it was.
 */
static int create_fail(struct qcow2 *s, const char *name, int r, bool counted, int64_t l1_off, uint64_t l1_bytes,
                       uint32_t old_nb, char *err)
{
    while (s->nb_snapshots > old_nb) {
        s->nb_snapshots--;
        free(s->snaps[s->nb_snapshots].id);
        free(s->snaps[s->nb_snapshots].name);
    }
    int u = counted ? qcow2_l1_refcounts(s, s->l1, s->l1_size, -1, false) : 0;
    if (u == 0 && l1_off > 0)
        u = qcow2_free_later(s, (uint64_t)l1_off, l1_bytes);
    if (u == 0)
        u = qcow2_flush_metadata(s);
    if (u == 0 && counted)
        qcow2_update_copied_flags(s);
    /* qemu-img's wording: the errno number and its text. */
    return blk_error(err, r, "Could not create snapshot '%s': %d (%s)", name, r, strerror(-r));
}

int qcow2_snapshot_create(struct blk *bs, const char *name, char *err)
{
    return qcow2_snapshot_create_vm(bs, name, 0, 0, false, err);
}

int qcow2_snapshot_create_vm(struct blk *bs, const char *name, uint64_t vm_state_size, uint64_t vm_clock_nsec,
                             bool no_icount, char *err)
{
    struct qcow2 *s = bs->opaque;
    if (s->refcount_bits < 2)
        return blk_error(err, ENOTSUP, "Snapshots need refcount_bits of at least 2");
    if (strlen(name) > 65535)
        return blk_error(err, EINVAL, "Snapshot name too long");
    /* Like qemu-img, a name may repeat: the unique ID tells snapshots apart. */
    if (s->nb_snapshots >= QCOW2_MAX_SNAPSHOTS)
        return blk_error(err, EFBIG, "Too many snapshots");
    uint32_t old_nb = s->nb_snapshots;
    int r = qcow2_flush_metadata(s);
    if (r < 0)
        return create_fail(s, name, r, false, 0, 0, old_nb, err);
    /* 1. Count the snapshot as a sharer of every cluster and drop COPIED in the active tables. */
    r = qcow2_l1_refcounts(s, s->l1, s->l1_size, 1, true);
    if (r < 0)
        return create_fail(s, name, r, true, 0, 0, old_nb, err);
    for (uint32_t i = 0; i < s->l1_size; i++)
        s->l1[i] &= ~QCOW2_OFLAG_COPIED;
    if (s->l1_size) {
        s->l1_dirty_lo = 0;
        s->l1_dirty_hi = s->l1_size - 1;
    }
    /* 2. A copy of the L1 table for the snapshot. */
    uint64_t l1_bytes = qcow2_align_up((uint64_t)s->l1_size * 8, s->cluster_size);
    int64_t l1_off = s->l1_size ? qcow2_alloc_clusters(s, l1_bytes >> s->cluster_bits) : 0;
    if (l1_off < 0)
        return create_fail(s, name, (int)l1_off, true, 0, 0, old_nb, err);
    uint8_t *copy = calloc(1, l1_bytes ? l1_bytes : 1);
    if (!copy)
        return create_fail(s, name, -ENOMEM, true, l1_off, l1_bytes, old_nb, err);
    for (uint32_t i = 0; i < s->l1_size; i++)
        put_be64(copy + 8 * i, s->l1[i]);
    r = s->l1_size ? s->bs->file->ops->pwrite(s->bs->file, copy, l1_bytes, (uint64_t)l1_off) : 0;
    free(copy);
    if (r < 0)
        return create_fail(s, name, r, true, l1_off, l1_bytes, old_nb, err);
    /* 3. The new table entry; the header switch makes the snapshot exist. */
    struct qcow2_snapshot *ns = realloc(s->snaps, (s->nb_snapshots + 1) * sizeof(*ns));
    if (!ns)
        return create_fail(s, name, -ENOMEM, true, l1_off, l1_bytes, old_nb, err);
    s->snaps = ns;
    unsigned long max_id = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        unsigned long v = strtoul(s->snaps[i].id, NULL, 10);
        if (v > max_id)
            max_id = v;
    }
    struct qcow2_snapshot *sn = &s->snaps[s->nb_snapshots];
    memset(sn, 0, sizeof(*sn));
    char id[24];
    snprintf(id, sizeof(id), "%lu", max_id + 1);
    sn->id = strdup(id);
    sn->name = strdup(name);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sn->date_sec = (uint32_t)now.tv_sec;
    sn->date_nsec = (uint32_t)(now.tv_nsec / 1000 * 1000);
    sn->l1_offset = (uint64_t)l1_off;
    sn->l1_size = s->l1_size;
    sn->disk_size = s->size;
    sn->vm_state_size = vm_state_size;
    sn->vm_clock_nsec = vm_clock_nsec;
    sn->has_icount = !no_icount;       /* QEMU's savevm records none (-1) outside record/replay */
    s->nb_snapshots++;
    uint64_t old_table = s->snapshots_offset;
    r = write_snapshot_table(s);
    if (r < 0 && s->snapshots_offset == old_table)     /* the header does not name it: undo */
        return create_fail(s, name, r, true, l1_off, l1_bytes, old_nb, err);
    if (r == 0)
        r = qcow2_flush_metadata(s);
    return r < 0 ? blk_error(err, r, "Could not create snapshot '%s': %d (%s)", name, r, strerror(-r)) : 0;
}

static int read_l1(struct qcow2 *s, uint64_t off, uint32_t n, uint64_t **out)
{
    uint64_t *l1 = calloc(n ? n : 1, 8);
    if (!l1)
        return -ENOMEM;
    int r = s->bs->file->ops->pread(s->bs->file, l1, (size_t)n * 8, off);
    for (uint32_t i = 0; i < n; i++)
        l1[i] = get_be64(&l1[i]);
    *out = l1;
    return r;
}

int qcow2_snapshot_apply(struct blk *bs, const char *name, char *err)
{
    struct qcow2 *s = bs->opaque;
    struct qcow2_snapshot *sn = find_snapshot(s, name);
    if (!sn)
        return blk_error(err, ENOENT, "Could not apply snapshot '%s': Failed to load snapshot: %s", name,
                         strerror(ENOENT));
    int r = qcow2_bitmaps_invalidate(s);     /* the active data changes */
    if (r == 0)
        r = qcow2_flush_metadata(s);
    if (r == 0 && sn->l1_size > s->l1_size)
        r = qcow2_grow_l1(s, sn->l1_size);
    uint64_t *l1 = NULL;
    if (r == 0)
        r = read_l1(s, sn->l1_offset, sn->l1_size, &l1);
    /* The snapshot's tree gains the active image as a sharer; the old active tree loses it. */
    if (r == 0)
        r = qcow2_l1_refcounts(s, l1, sn->l1_size, 1, false);
    if (r == 0)
        r = qcow2_l1_refcounts(s, s->l1, s->l1_size, -1, false);
    if (r == 0) {
        /* While the snapshot exists everything it reaches is shared: no COPIED flags. */
        for (uint32_t i = 0; i < s->l1_size; i++)
            s->l1[i] = i < sn->l1_size ? l1[i] & ~QCOW2_OFLAG_COPIED : 0;
        s->l1_dirty_lo = 0;
        s->l1_dirty_hi = s->l1_size ? s->l1_size - 1 : 0;
        r = qcow2_flush_metadata(s);
    }
    free(l1);
    if (r == 0 && sn->disk_size != s->size) {
        s->size = bs->size = sn->disk_size;
        r = qcow2_update_header(s);
    }
    return r < 0 ? blk_error(err, r, "Could not apply snapshot '%s': %s", name, strerror(-r)) : 0;
}

int qcow2_snapshot_delete(struct blk *bs, const char *name, char *err)
{
    struct qcow2 *s = bs->opaque;
    struct qcow2_snapshot *sn = find_snapshot(s, name);
    if (!sn)
        return blk_error(err, ENOENT, "Could not delete snapshot '%s': snapshot not found", name);
    int r = qcow2_flush_metadata(s);
    uint64_t *l1 = NULL;
    struct qcow2_snapshot gone = *sn;
    if (r == 0)
        r = read_l1(s, gone.l1_offset, gone.l1_size, &l1);
    if (r < 0) {
        free(l1);
        return blk_error(err, r, "Could not delete snapshot '%s': %s", name, strerror(-r));
    }
    /* First the table without it (durable), then its references go, then COPIED is recomputed. */
    size_t idx = (size_t)(sn - s->snaps);
    memmove(sn, sn + 1, (s->nb_snapshots - idx - 1) * sizeof(*sn));
    s->nb_snapshots--;
    r = write_snapshot_table(s);
    if (r == 0)
        r = qcow2_l1_refcounts(s, l1, gone.l1_size, -1, false);
    if (r == 0 && gone.l1_size)
        r = qcow2_free_later(s, gone.l1_offset, qcow2_align_up((uint64_t)gone.l1_size * 8, s->cluster_size));
    if (r == 0)
        r = qcow2_flush_metadata(s);
    if (r == 0)
        r = qcow2_update_copied_flags(s);
    free(l1);
    free(gone.id);
    free(gone.name);
    return r < 0 ? blk_error(err, r, "Could not delete snapshot '%s': %s", name, strerror(-r)) : 0;
}

/*
 * Drops every data cluster of the active image, so that it reads from the backing file again
 * (qemu-img commit's "make empty"); zero clusters go too, their zeros now live below.
 */
int qcow2_make_empty(struct blk *bs)
{
    struct qcow2 *s = bs->opaque;
    if (s->nb_snapshots)
        return -ENOTSUP;
    int br = qcow2_bitmaps_invalidate(s);
    if (br < 0)
        return br;
    uint64_t n = (s->size + s->cluster_size - 1) >> s->cluster_bits;
    for (uint64_t vc = 0; vc < n; vc++) {
        uint64_t l1i = vc >> s->l2_bits;
        if (l1i >= s->l1_size || !(s->l1[l1i] & QCOW2_OFFSET_MASK)) {
            vc = ((l1i + 1) << s->l2_bits) - 1;
            continue;
        }
        uint64_t e, bm;
        int r = qcow2_get_l2e(s, vc, &e, &bm);
        if (r < 0)
            return r;
        enum qcow2_ctype t = qcow2_l2e_type(s, e);
        if (t == QCOW2_CT_UNALLOC && !bm)
            continue;

        r = qcow2_set_l2e(s, vc, 0, 0);
        if (r == 0 && t == QCOW2_CT_COMPRESSED) {
            uint64_t len, off = qcow2_compressed_range(s, e, &len);
            r = qcow2_free_later(s, off, len);
        } else if (r == 0 && (e & QCOW2_OFFSET_MASK)) {
            r = qcow2_free_later(s, e & QCOW2_OFFSET_MASK, s->cluster_size);
        }
        if (r < 0)
            return r;
    }
    return qcow2_flush_metadata(s);
}
