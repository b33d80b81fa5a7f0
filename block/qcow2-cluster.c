/*
 * qcow2 guest-to-host mapping: L1/L2 lookups, reads, allocating writes with copy-on-write,
 * zero clusters, extended L2 entries (subclusters) and compressed clusters.
 * (qcow2.txt "Cluster mapping", "Extended L2 Entries".)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

enum qcow2_ctype qcow2_l2e_type(const struct qcow2 *s, uint64_t l2e)
{
    if (l2e & QCOW2_OFLAG_COMPRESSED)
        return QCOW2_CT_COMPRESSED;
    if (!s->ext_l2 && (l2e & QCOW2_OFLAG_ZERO))
        return QCOW2_CT_ZERO;
    /* Offset 0 is unallocated whatever the flags say (QEMU's qcow2_get_cluster_type). */
    if (l2e & QCOW2_OFFSET_MASK)
        return QCOW2_CT_NORMAL;
    return QCOW2_CT_UNALLOC;
}

/* Host byte range of a compressed cluster: from its offset to the end of its last sector. */
uint64_t qcow2_compressed_range(const struct qcow2 *s, uint64_t l2e, uint64_t *len)
{
    uint64_t off = l2e & s->coffset_mask;
    uint64_t nsect = ((l2e >> s->csize_shift) & s->csize_mask) + 1;
    *len = (off & ~511ull) + nsect * 512 - off;
    return off;
}

static int corrupt(struct qcow2 *s, const char *fmt, uint64_t a, uint64_t b)
{
    snprintf(s->bs->errmsg, sizeof(s->bs->errmsg), fmt, (unsigned long long)a, (unsigned long long)b);
    s->corrupt = true;
    return -EIO;
}

static uint64_t host_end(const struct qcow2 *s)
{
    return s->file_size > s->alloc_end ? s->file_size : s->alloc_end;
}

/* The L2 table holding vcluster's entry; *l2 NULL when the L1 entry is empty. */
static int get_l2(struct qcow2 *s, uint64_t vcluster, uint8_t **l2, uint32_t *idx)
{
    uint64_t l1i = vcluster >> s->l2_bits;
    *l2 = NULL;
    *idx = (uint32_t)(vcluster & (s->l2_entries - 1));
    if (l1i >= s->l1_size)
        return 0;
    uint64_t l2off = s->l1[l1i] & QCOW2_OFFSET_MASK;
    if (!l2off)
        return 0;
    if (l2off & (s->cluster_size - 1))
        return corrupt(s, "L2 table offset %#llx unaligned (L1 index %#llx)", l2off, l1i);
    if (l2off + s->cluster_size > host_end(s))
        return corrupt(s, "L2 table offset %#llx past the end of the file (L1 index %#llx)", l2off, l1i);
    if (l2off < s->cluster_size)
        return corrupt(s, "L2 table offset %#llx overlaps the header (L1 index %#llx)", l2off, l1i);
    return qcow2_cache_get(s, &s->l2_cache, l2off, true, l2);
}

int qcow2_get_l2e(struct qcow2 *s, uint64_t vcluster, uint64_t *l2e, uint64_t *bitmap)
{
    uint8_t *l2;
    uint32_t i;
    int r = get_l2(s, vcluster, &l2, &i);
    *l2e = 0;
    *bitmap = 0;
    if (r < 0 || !l2)
        return r;
    *l2e = get_be64(l2 + (size_t)i * s->l2_entry_size);
    if (s->ext_l2)
        *bitmap = get_be64(l2 + (size_t)i * s->l2_entry_size + 8);
    if (qcow2_l2e_type(s, *l2e) == QCOW2_CT_NORMAL) {
        uint64_t h = *l2e & QCOW2_OFFSET_MASK;
        if (h & (s->cluster_size - 1))
            return corrupt(s, "data cluster offset %#llx unaligned (guest offset %#llx)", h,
                           vcluster << s->cluster_bits);
        if (h + s->cluster_size > host_end(s) + s->cluster_size - 1 || h < s->cluster_size)
            return corrupt(s, "data cluster offset %#llx outside the image data (guest offset %#llx)", h,
                           vcluster << s->cluster_bits);
    } else if (qcow2_l2e_type(s, *l2e) == QCOW2_CT_COMPRESSED) {
        uint64_t len, off = qcow2_compressed_range(s, *l2e, &len);
        if (off + len > host_end(s) + 511 || off < s->cluster_size)
            return corrupt(s, "compressed cluster at %#llx outside the file (guest offset %#llx)", off,
                           vcluster << s->cluster_bits);
    }
    return 0;
}

/* Points the L1 entry at an L2 table this image owns alone, allocating or copying one (COW). */
static int l2_for_write(struct qcow2 *s, uint64_t vcluster, uint8_t **l2, uint32_t *idx)
{
    uint64_t l1i = vcluster >> s->l2_bits;
    if (l1i >= s->l1_size) {
        int r = qcow2_grow_l1(s, l1i + 1);
        if (r < 0)
            return r;
    }
    uint64_t e = s->l1[l1i];
    if ((e & QCOW2_OFLAG_COPIED) && (e & QCOW2_OFFSET_MASK))
        return get_l2(s, vcluster, l2, idx);
    uint64_t old = e & QCOW2_OFFSET_MASK;
    if (old) {
        int r = get_l2(s, vcluster, l2, idx);
        if (r < 0)
            return r;
        memcpy(s->tmp, *l2, s->cluster_size);
    }
    int64_t n = qcow2_alloc_clusters(s, 1);
    if (n < 0)
        return (int)n;
    int r = qcow2_cache_get(s, &s->l2_cache, (uint64_t)n, false, l2);
    if (r < 0)
        return r;
    if (old) {
        /* A table shared with a snapshot: the copy's entries are shared too, so none is COPIED. */
        memcpy(*l2, s->tmp, s->cluster_size);
        r = qcow2_free_later(s, old, s->cluster_size);
        if (r < 0)
            return r;
    }
    qcow2_cache_mark_dirty(&s->l2_cache, *l2);
    s->l1[l1i] = (uint64_t)n | QCOW2_OFLAG_COPIED;
    if (s->l1_dirty_lo > l1i)
        s->l1_dirty_lo = (uint32_t)l1i;
    if (s->l1_dirty_hi < l1i || s->l1_dirty_hi == UINT32_MAX)
        s->l1_dirty_hi = (uint32_t)l1i;
    *idx = (uint32_t)(vcluster & (s->l2_entries - 1));
    return 0;
}

int qcow2_set_l2e(struct qcow2 *s, uint64_t vcluster, uint64_t l2e, uint64_t bitmap)
{
    uint8_t *l2;
    uint32_t i;
    int r = l2_for_write(s, vcluster, &l2, &i);
    if (r < 0)
        return r;
    put_be64(l2 + (size_t)i * s->l2_entry_size, l2e);
    if (s->ext_l2)
        put_be64(l2 + (size_t)i * s->l2_entry_size + 8, bitmap);
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    return 0;
}

static int host_read(struct qcow2 *s, uint64_t host, uint8_t *buf, size_t len)
{
    return s->bs->file->ops->pread(s->bs->file, buf, len, host);
}

static int host_write(struct qcow2 *s, uint64_t host, const uint8_t *buf, size_t len)
{
    if (host < s->cluster_size ||
        (host < s->l1_offset + (uint64_t)s->l1_size * 8 && host + len > s->l1_offset) ||
        (host < s->rt_offset + ((uint64_t)s->rt_clusters << s->cluster_bits) && host + len > s->rt_offset))
        return corrupt(s, "data write at %#llx would overwrite metadata (length %#llx)", host, len);
    s->data_unflushed = true;
    int r = s->bs->file->ops->pwrite(s->bs->file, buf, len, host);
    if (r == 0 && host + len > s->file_size)
        s->file_size = host + len;
    return r;
}

/* Subcluster state inside one cluster with extended L2 entries: 0 unallocated, 1 zero, 2 data. */
static int sc_state(uint64_t l2e, uint64_t bitmap, unsigned sc)
{
    if ((bitmap >> sc) & 1)
        return (l2e & QCOW2_OFFSET_MASK) ? 2 : 0;
    return ((bitmap >> (32 + sc)) & 1) ? 1 : 0;
}

static int read_ext_cluster(struct qcow2 *s, uint64_t off, uint64_t l2e, uint64_t bitmap, uint8_t *buf,
                            size_t n)
{
    uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
    uint64_t host = l2e & QCOW2_OFFSET_MASK;
    while (n) {
        unsigned sc = in / s->subcluster_size;
        int st = sc_state(l2e, bitmap, sc);
        /* Extend over following subclusters in the same state. */
        uint32_t end = (sc + 1) * s->subcluster_size;
        while (end < s->cluster_size && sc_state(l2e, bitmap, end / s->subcluster_size) == st)
            end += s->subcluster_size;
        size_t k = end - in < n ? end - in : n;
        int r = 0;
        if (st == 2)
            r = host_read(s, host + in, buf, k);
        else if (st == 1)
            memset(buf, 0, k);
        else
            r = blk_read_backing(s->bs, off, buf, k);
        if (r < 0)
            return r;
        buf += k; off += k; in += (uint32_t)k; n -= k;
    }
    return 0;
}

int qcow2_co_read(struct qcow2 *s, uint64_t off, uint8_t *buf, size_t len)
{
    while (len) {
        uint64_t vc = off >> s->cluster_bits;
        uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
        size_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        uint64_t l2e, bm;
        int r = qcow2_get_l2e(s, vc, &l2e, &bm);
        if (r < 0)
            return r;
        enum qcow2_ctype t = qcow2_l2e_type(s, l2e);
        if (s->ext_l2 && t != QCOW2_CT_COMPRESSED) {
            r = read_ext_cluster(s, off, l2e, bm, buf, n);
        } else if (t == QCOW2_CT_NORMAL) {
            /* Merge clusters that follow each other on the host into one read. */
            uint64_t host = (l2e & QCOW2_OFFSET_MASK) + in;
            while (n < len && (vc + 1) % s->l2_entries) {
                uint64_t e2, b2;
                r = qcow2_get_l2e(s, vc + 1, &e2, &b2);
                if (r < 0 || qcow2_l2e_type(s, e2) != QCOW2_CT_NORMAL ||
                    (e2 & QCOW2_OFFSET_MASK) != host - in + (n + in))
                    break;
                vc++;
                n += len - n < s->cluster_size ? len - n : s->cluster_size;
            }
            r = host_read(s, host, buf, n);
        } else if (t == QCOW2_CT_ZERO) {
            memset(buf, 0, n);
        } else if (t == QCOW2_CT_UNALLOC) {
            r = blk_read_backing(s->bs, off, buf, n);
        } else {
            r = qcow2_decompress(s, l2e, s->cbuf);
            if (r == 0)
                memcpy(buf, s->cbuf + in, n);
        }
        if (r < 0)
            return r;
        buf += n; off += n; len -= n;
    }
    return 0;
}

/* The guest's current view of one whole cluster (for copy-on-write), zero past the disk's end. */
static int read_whole_cluster(struct qcow2 *s, uint64_t vc, uint8_t *dst)
{
    uint64_t off = vc << s->cluster_bits;
    size_t n = s->cluster_size;
    if (off + n > s->size) {
        n = s->size > off ? s->size - off : 0;
        memset(dst + n, 0, s->cluster_size - n);
    }
    return n ? qcow2_co_read(s, off, dst, n) : 0;
}

int qcow2_free_old(struct qcow2 *s, uint64_t l2e)
{
    enum qcow2_ctype t = qcow2_l2e_type(s, l2e);
    if (t == QCOW2_CT_COMPRESSED) {
        uint64_t len, off = qcow2_compressed_range(s, l2e, &len);
        return qcow2_free_later(s, off, len);
    }
    if ((t == QCOW2_CT_NORMAL || t == QCOW2_CT_ZERO) && (l2e & QCOW2_OFFSET_MASK))
        return qcow2_free_later(s, l2e & QCOW2_OFFSET_MASK, s->cluster_size);
    return 0;
}

/* Extended L2: write [in, in+n) of a cluster at host, widened to whole subclusters. */
static int write_subclusters(struct qcow2 *s, uint64_t vc, uint64_t host, uint32_t in, const uint8_t *buf,
                             size_t n, uint64_t *bitmap)
{
    uint32_t scs = s->subcluster_size;
    uint32_t a = in / scs * scs, b = (uint32_t)qcow2_align_up(in + n, scs);
    if (a != in || b != in + n) {
        int r = read_whole_cluster(s, vc, s->tmp);
        if (r < 0)
            return r;
    }
    memcpy(s->tmp + in, buf, n);
    int r = host_write(s, host + a, s->tmp + a, b - a);
    if (r < 0)
        return r;
    for (uint32_t sc = a / scs; sc < b / scs; sc++)
        *bitmap = (*bitmap | (1ull << sc)) & ~(1ull << (32 + sc));
    return 0;
}

static int write_cluster(struct qcow2 *s, uint64_t off, const uint8_t *buf, size_t n)
{
    uint64_t vc = off >> s->cluster_bits;
    uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
    uint64_t l2e, bm;
    int r = qcow2_get_l2e(s, vc, &l2e, &bm);
    if (r < 0)
        return r;
    enum qcow2_ctype t = qcow2_l2e_type(s, l2e);
    if (t == QCOW2_CT_NORMAL && (l2e & QCOW2_OFLAG_COPIED)) {
        uint64_t host = l2e & QCOW2_OFFSET_MASK;
        if (!s->ext_l2)
            return host_write(s, host + in, buf, n);
        uint64_t nbm = bm;
        r = write_subclusters(s, vc, host, in, buf, n, &nbm);
        if (r < 0 || nbm == bm)
            return r;
        return qcow2_set_l2e(s, vc, l2e, nbm);
    }
    /* The L2 table first (as QEMU orders it, so both tools lay out a converted image alike). */
    uint8_t *l2;
    uint32_t idx;
    r = l2_for_write(s, vc, &l2, &idx);
    if (r < 0)
        return r;
    int64_t host = qcow2_alloc_clusters(s, 1);
    if (host < 0)
        return (int)host;
    if (s->ext_l2 && t == QCOW2_CT_UNALLOC) {
        /* Only the touched subclusters become allocated; the others keep reading as before. */
        uint64_t nbm = bm & ~0xffffffffull;
        r = write_subclusters(s, vc, (uint64_t)host, in, buf, n, &nbm);
        if (r == 0)
            r = qcow2_set_l2e(s, vc, (uint64_t)host | QCOW2_OFLAG_COPIED, nbm);
        return r;
    }
    const uint8_t *src = buf;
    /*
     * A new cluster past the end of the file already reads as zeros there: when the rest of the
     * cluster would be zeros anyway (no backing data, zero cluster), write only the guest's bytes.
     */
    bool zeros_below = t == QCOW2_CT_ZERO || (t == QCOW2_CT_UNALLOC && !s->bs->backing);
    if (n != s->cluster_size && zeros_below &&
        (int64_t)host >= s->bs->file->ops->size(s->bs->file)) {
        r = host_write(s, (uint64_t)host + in, buf, n);
        if (r == 0)
            r = qcow2_set_l2e(s, vc, (uint64_t)host | QCOW2_OFLAG_COPIED, s->ext_l2 ? 0xffffffffull : 0);
        if (r == 0)
            r = qcow2_free_old(s, l2e);
        return r;
    }
    if (n != s->cluster_size) {
        r = read_whole_cluster(s, vc, s->tmp);
        if (r < 0)
            return r;
        memcpy(s->tmp + in, buf, n);
        src = s->tmp;
    }
    r = host_write(s, (uint64_t)host, src, s->cluster_size);
    if (r == 0)
        r = qcow2_set_l2e(s, vc, (uint64_t)host | QCOW2_OFLAG_COPIED, s->ext_l2 ? 0xffffffffull : 0);
    if (r == 0)
        r = qcow2_free_old(s, l2e);
    return r;
}

/* How many whole clusters from vc on (at most max, within vc's L2 table) are unallocated or zero
 * without a host cluster: the ones a write may allocate afresh, in one contiguous piece. */
static int fresh_run(struct qcow2 *s, uint64_t vc, uint64_t max, uint64_t *k)
{
    uint64_t l2e, bm;
    for (*k = 0; *k < max && (*k == 0 || (vc + *k) % s->l2_entries); (*k)++) {
        int r = qcow2_get_l2e(s, vc + *k, &l2e, &bm);
        if (r < 0)
            return r;
        enum qcow2_ctype t = qcow2_l2e_type(s, l2e);
        if (t != QCOW2_CT_UNALLOC && !(t == QCOW2_CT_ZERO && !(l2e & QCOW2_OFFSET_MASK)))
            break;
    }
    return 0;
}

/* Allocates k contiguous host clusters for the fresh clusters from vc on and points their L2
 * entries at them (the L2 table first, as QEMU orders it, so both tools lay out an image alike). */
static int64_t alloc_run(struct qcow2 *s, uint64_t vc, uint64_t k, const uint8_t *data)
{
    uint8_t *l2;
    uint32_t idx;
    int r = l2_for_write(s, vc, &l2, &idx);
    if (r < 0)
        return r;
    int64_t host = qcow2_alloc_clusters(s, k);
    if (host < 0)
        return host;
    if (data)                      /* the data before the entries that point at it */
        r = host_write(s, (uint64_t)host, data, k << s->cluster_bits);
    for (uint64_t i = 0; i < k && r == 0; i++)
        r = qcow2_set_l2e(s, vc + i, ((uint64_t)host + (i << s->cluster_bits)) | QCOW2_OFLAG_COPIED,
                          s->ext_l2 ? 0xffffffffull : 0);
    return r < 0 ? r : host;
}

/*
 * A run of whole clusters that are all unallocated (or zero) gets one contiguous allocation and one
 * host write: the common case of convert and of sequential guest writes.
 */
static int write_run(struct qcow2 *s, uint64_t off, const uint8_t *buf, size_t len, size_t *done)
{
    uint64_t vc = off >> s->cluster_bits, k;
    *done = 0;
    int r = fresh_run(s, vc, len >> s->cluster_bits, &k);
    if (r < 0 || k < 2)
        return r;
    int64_t host = alloc_run(s, vc, k, buf);
    if (host < 0)
        return (int)host;
    *done = k << s->cluster_bits;
    return 0;
}

/*
 * blk_map_write for qcow2: a run of fresh whole clusters is allocated and its L2 entries set now;
 * the caller writes the data after. Until it does, the entries point at clusters that hold
 * nothing yet: that is for a copy whose target means nothing until it completes (convert), not
 * for a guest's disk, whose writes keep the data-first order of write_run.
 */
int qcow2_co_map_write(struct qcow2 *s, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum)
{
    uint64_t in = off & (s->cluster_size - 1), k = 0;
    int r = in || len < s->cluster_size ? 0 : fresh_run(s, off >> s->cluster_bits, len >> s->cluster_bits, &k);
    if (r < 0)
        return r;
    if (k == 0) {                  /* up to the next cluster boundary: the format's own write */
        *pnum = s->cluster_size - in < len ? s->cluster_size - in : len;
        return 0;
    }
    int64_t h = alloc_run(s, off >> s->cluster_bits, k, NULL);
    if (h < 0)
        return (int)h;
    *host = (uint64_t)h;
    *pnum = k << s->cluster_bits;
    return 1;
}

int qcow2_co_write(struct qcow2 *s, uint64_t off, const uint8_t *buf, size_t len)
{
    while (len) {
        uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
        size_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        int r;
        if (in == 0 && len >= 2ull * s->cluster_size) {
            size_t done;
            r = write_run(s, off, buf, len, &done);
            if (r < 0)
                return r;
            if (done) {
                buf += done; off += done; len -= done;
                continue;
            }
        }
        r = write_cluster(s, off, buf, n);
        if (r < 0)
            return r;
        buf += n; off += n; len -= n;
    }
    return 0;
}

/*
 * Zero or discard whole clusters by metadata alone: v3 marks them zero, v2 without a backing file
 * leaves them unallocated (which reads as zeros). Partial clusters are written with zeros (or
 * left alone for a discard).
 */
int qcow2_co_zero_or_discard(struct qcow2 *s, uint64_t off, uint64_t len, bool discard)
{
    static const uint8_t zeros[4096];
    while (len) {
        uint64_t vc = off >> s->cluster_bits;
        uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
        uint64_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        bool whole = in == 0 && (n == s->cluster_size || off + n == s->size);
        int r = 0;
        if (!whole || (s->version < 3 && s->bs->backing)) {
            for (uint64_t o = 0; !discard && o < n && r == 0; o += sizeof(zeros))
                r = qcow2_co_write(s, off + o, zeros, n - o < sizeof(zeros) ? n - o : sizeof(zeros));
        } else {
            uint64_t l2e, bm;
            r = qcow2_get_l2e(s, vc, &l2e, &bm);
            uint64_t ne = 0, nbm = 0;
            if (s->ext_l2)
                nbm = 0xffffffffull << 32;
            else if (s->version >= 3)
                ne = QCOW2_OFLAG_ZERO;
            /* Unallocated with nothing below already reads as zeros: leave the tables alone. */
            bool reads_zero = discard && l2e == 0 && bm == 0 && !s->bs->backing;
            if (r == 0 && (l2e != ne || bm != nbm) && !reads_zero) {
                r = qcow2_set_l2e(s, vc, ne, nbm);
                if (r == 0)
                    r = qcow2_free_old(s, l2e);
            }
        }
        if (r < 0)
            return r;
        off += n; len -= n;
    }
    return 0;
}

int qcow2_co_block_status(struct qcow2 *s, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    int status = -1;
    uint64_t start = off, expect_host = 0;
    *map = 0;
    while (len) {
        uint64_t vc = off >> s->cluster_bits;
        uint32_t in = (uint32_t)(off & (s->cluster_size - 1));
        uint64_t n = s->cluster_size - in < len ? s->cluster_size - in : len;
        uint64_t l2e, bm, host = 0;
        uint64_t l1i = vc >> s->l2_bits;
        if (l1i >= s->l1_size || !(s->l1[l1i] & QCOW2_OFFSET_MASK)) {
            /* No L2 table: the whole range it would map is unallocated, in one step. */
            uint64_t end = (l1i + 1) << (s->l2_bits + s->cluster_bits);
            n = end - off < len ? end - off : len;
            if (status < 0)
                status = 0;
            else if (status != 0)
                break;
            off += n; len -= n;
            continue;
        }
        int r = qcow2_get_l2e(s, vc, &l2e, &bm);
        if (r < 0)
            return r;
        enum qcow2_ctype t = qcow2_l2e_type(s, l2e);
        int st;
        if (s->ext_l2 && t != QCOW2_CT_COMPRESSED) {
            unsigned sc = in / s->subcluster_size;
            int ss = sc_state(l2e, bm, sc);
            n = (sc + 1) * (uint64_t)s->subcluster_size - in < len ? (sc + 1) * (uint64_t)s->subcluster_size - in
                                                                   : len;
            st = ss == 2 ? BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET
               : ss == 1 ? BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED : 0;
            host = (l2e & QCOW2_OFFSET_MASK) + in;
        } else if (t == QCOW2_CT_NORMAL) {
            st = BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET;
            host = (l2e & QCOW2_OFFSET_MASK) + in;
        } else if (t == QCOW2_CT_ZERO) {
            st = BLK_STATUS_ZERO | BLK_STATUS_ALLOCATED;
        } else if (t == QCOW2_CT_COMPRESSED) {
            st = BLK_STATUS_DATA | BLK_STATUS_ALLOCATED | BLK_STATUS_COMPRESSED;
        } else {
            st = 0;
        }
        if (status < 0) {
            status = st;
            *map = host;
            expect_host = host;
        } else if (st != status || ((st & BLK_STATUS_OFFSET) && host != expect_host) ||
                   (st & BLK_STATUS_COMPRESSED)) {
            break;
        }
        expect_host += n;
        off += n; len -= n;
    }
    *pnum = off - start;
    return status < 0 ? 0 : status;
}

int qcow2_grow_l1(struct qcow2 *s, uint64_t min_size)
{
    if (min_size <= s->l1_size)
        return 0;
    if (min_size * 8 > QCOW2_MAX_L1_BYTES)
        return -EFBIG;
    uint64_t bytes = qcow2_align_up(min_size * 8, s->cluster_size);
    uint64_t *nl1 = calloc(bytes / 8, 8);
    uint8_t *raw = calloc(1, bytes);
    if (!nl1 || !raw) {
        free(nl1);
        free(raw);
        return -ENOMEM;
    }
    memcpy(nl1, s->l1, (size_t)s->l1_size * 8);
    /* The new table must be complete on disk, L2 tables included, before the header points at it. */
    int r = qcow2_flush_metadata(s);
    int64_t off = r < 0 ? r : qcow2_alloc_clusters(s, bytes >> s->cluster_bits);
    if (off < 0) {
        free(nl1);
        free(raw);
        return (int)off;
    }
    for (uint64_t i = 0; i < min_size; i++)
        put_be64(raw + i * 8, nl1[i]);
    r = qcow2_cache_flush(s, &s->rb_cache);
    if (r == 0)
        r = s->bs->file->ops->pwrite(s->bs->file, raw, bytes, (uint64_t)off);
    if (r == 0)
        r = s->bs->file->ops->flush(s->bs->file);
    free(raw);
    if (r < 0) {
        free(nl1);
        return r;
    }
    uint64_t old_off = s->l1_offset, old_len = qcow2_align_up((uint64_t)s->l1_size * 8, s->cluster_size);
    uint32_t old_size = s->l1_size;
    free(s->l1);
    s->l1 = nl1;
    s->l1_size = (uint32_t)min_size;
    s->l1_offset = (uint64_t)off;
    r = qcow2_update_header(s);
    if (r == 0)
        r = s->bs->file->ops->flush(s->bs->file);
    if (r == 0 && old_size)
        r = qcow2_free_later(s, old_off, old_len);
    return r;
}
