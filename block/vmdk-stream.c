/*
 * Writing streamOptimized VMDK (VMware "Virtual Disk Format 1.1", sec. "Stream-Optimized Compressed
 * Sparse Extents"), the disk inside OVA files: deflated grains appended in increasing order, each
 * behind its (lba, size) marker; on flush the grain tables, grain directory, footer and end-of-stream
 * marker follow the last grain. A new (empty) image only, written forward: a write behind the last
 * grain written is refused, as qemu-img's vmdk driver does for this subformat.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vmdk.h"

#define STREAM_GRAIN_SECTORS 128
#define STREAM_GTES 512
#define STREAM_OVERHEAD 128          /* sectors before the first grain: header and descriptor */

struct vmdk_stream {
    uint8_t *gbuf, *cbuf;
    uint64_t gidx;                   /* the grain in gbuf, UINT64_MAX: none */
    uint64_t next;                   /* the first grain still writable */
    uint64_t data_end;               /* where the next grain goes */
    bool dirty;                      /* the tables after the grains are stale */
};

static int put_marker(struct blk_file *f, uint64_t pos, uint64_t val, uint32_t type)
{
    uint8_t m[512] = { 0 };
    put_le64(m, val);
    put_le32(m + 12, type);
    return f->ops->pwrite(f, m, sizeof(m), pos);
}

/* Grain tables, directory, footer and end-of-stream from pos on; e->gd and e->header are updated. */
static int write_tables(struct blk_file *f, struct vmdk_extent *e, uint64_t pos)
{
    uint64_t gt_bytes = ((uint64_t)e->gtes * 4 + 511) & ~511ull, gd_bytes = ((uint64_t)e->gd_entries * 4 + 511) & ~511ull;
    uint8_t *t = calloc(1, gt_bytes > gd_bytes ? gt_bytes : gd_bytes);
    if (!t)
        return -ENOMEM;
    int r = 0;
    for (uint32_t i = 0; i < e->gd_entries && !r; i++) {
        e->gd[i] = 0;
        if (!e->gt || !e->gt[i])
            continue;
        r = put_marker(f, pos, gt_bytes / 512, VMDK_MARKER_GT);
        pos += 512;
        e->gd[i] = (uint32_t)(pos / 512);
        for (uint32_t k = 0; k < e->gtes; k++)
            put_le32(t + 4 * k, e->gt[i][k]);
        if (!r)
            r = f->ops->pwrite(f, t, gt_bytes, pos);
        pos += gt_bytes;
    }
    memset(t, 0, gd_bytes);
    for (uint32_t i = 0; i < e->gd_entries; i++)
        put_le32(t + 4 * i, e->gd[i]);
    if (!r)
        r = put_marker(f, pos, gd_bytes / 512, VMDK_MARKER_GD);
    put_le64(e->header + 56, pos / 512 + 1);
    if (!r)
        r = f->ops->pwrite(f, t, gd_bytes, pos + 512);
    pos += 512 + gd_bytes;
    if (!r)
        r = put_marker(f, pos, 1, VMDK_MARKER_FOOTER);
    if (!r)
        r = f->ops->pwrite(f, e->header, 512, pos + 512);
    if (!r)
        r = put_marker(f, pos + 1024, 0, VMDK_MARKER_EOS);
    if (!r)
        r = f->ops->truncate(f, pos + 1536);
    free(t);
    return r;
}

int vmdk_stream_create(struct blk_file *f, const struct blk_create_opts *o, char *err)
{
    if (o->backing_file)
        return blk_error(err, ENOTSUP, "vmon does not write vmdk images with a backing file");
    if (!o->subformat)
        return blk_error(err, ENOTSUP, "vmon writes vmdk only as -o subformat=streamOptimized");
    uint64_t sectors = (o->size + 511) / 512;
    if (sectors > (1ull << 41))
        return blk_error(err, EFBIG, "Image size too large");
    struct vmdk_extent e = { .gtes = STREAM_GTES };
    uint64_t per_gt = (uint64_t)STREAM_GRAIN_SECTORS * STREAM_GTES;
    e.gd_entries = (uint32_t)((sectors + per_gt - 1) / per_gt);
    uint8_t *h = e.header;
    memcpy(h, "KDMV", 4);
    put_le32(h + 4, 3);
    put_le32(h + 8, VMDK_FLAG_NL_DETECT | VMDK_FLAG_COMPRESS | VMDK_FLAG_MARKER);
    put_le64(h + 12, sectors);
    put_le64(h + 20, STREAM_GRAIN_SECTORS);
    put_le64(h + 28, 1);
    put_le64(h + 36, 20);
    put_le32(h + 44, STREAM_GTES);
    put_le64(h + 56, VMDK_GD_AT_END);
    put_le64(h + 64, STREAM_OVERHEAD);
    memcpy(h + 73, "\n \r\n", 4);
    put_le16(h + 77, 1);
    char desc[20 * 512] = { 0 };
    char *name = strdup(o->filename ? o->filename : "disk.vmdk");
    if (!name)
        return blk_error(err, ENOMEM, "out of memory");
    vmdk_make_descriptor(desc, sizeof(desc), "streamOptimized", sectors, basename(name));
    free(name);
    e.gd = calloc(e.gd_entries + 1, 4);
    if (!e.gd)
        return blk_error(err, ENOMEM, "out of memory");
    int r = f->ops->pwrite(f, h, 512, 0);
    if (!r)
        r = f->ops->pwrite(f, desc, sizeof(desc), 512);
    if (!r)
        r = write_tables(f, &e, STREAM_OVERHEAD * 512);
    free(e.gd);
    return r < 0 ? blk_error(err, r, "Could not write the VMDK image: %s", strerror(-r)) : 0;
}

/* Starts writing an image: only one with no grain yet, whose tables are then rewritten at the end. */
static int stream_begin(struct blk *bs, struct vmdk *s)
{
    struct vmdk_extent *e = &s->ext[0];
    for (uint32_t i = 0; i < e->gd_entries; i++)
        if (e->gd[i]) {
            snprintf(bs->errmsg, sizeof(bs->errmsg), "a streamOptimized image with data cannot be written again");
            return -ENOTSUP;
        }
    uint64_t start = get_le64(e->header + 64) * 512, desc_end = (get_le64(e->header + 28) + get_le64(e->header + 36)) * 512;
    if (start < desc_end)
        start = desc_end;
    if (start < 512 || start > e->file_size)
        start = e->file_size;
    struct vmdk_stream *st = calloc(1, sizeof(*st));
    if (!st || !(st->gbuf = malloc(e->grain)) || !(st->cbuf = malloc(compressBound(e->grain) + 1024))) {
        if (st)
            free(st->gbuf);
        free(st);
        return -ENOMEM;
    }
    st->gidx = UINT64_MAX;
    st->data_end = (start + 511) & ~511ull;
    st->dirty = true;
    s->stream = st;
    e->writing = true;
    return 0;
}

/* Deflates the buffered grain to the end of the data (an all-zero grain stays unallocated). */
static int emit_grain(struct blk *bs, struct vmdk_extent *e, struct vmdk_stream *st)
{
    uint64_t g = st->gidx;
    if (g == UINT64_MAX)
        return 0;
    st->gidx = UINT64_MAX;
    st->next = g + 1;
    if (blk_is_zero(st->gbuf, e->grain))
        return 0;
    uLongf clen = compressBound(e->grain);
    if (compress2(st->cbuf + 12, &clen, st->gbuf, e->grain, Z_DEFAULT_COMPRESSION) != Z_OK)
        return -EIO;
    put_le64(st->cbuf, g * (e->grain / 512));
    put_le32(st->cbuf + 8, (uint32_t)clen);
    uint64_t n = (12 + clen + 511) & ~511ull;
    memset(st->cbuf + 12 + clen, 0, n - 12 - clen);
    uint32_t d = (uint32_t)(g / e->gtes);
    if (!e->gt[d] && !(e->gt[d] = calloc(e->gtes, 4)))
        return -ENOMEM;
    if (st->data_end / 512 > UINT32_MAX - 1)
        return -EFBIG;
    int r = bs->file->ops->pwrite(bs->file, st->cbuf, n, st->data_end);
    if (r < 0)
        return r;
    e->gt[d][g % e->gtes] = (uint32_t)(st->data_end / 512);
    st->data_end += n;
    st->dirty = true;
    return 0;
}

int vmdk_stream_write(struct blk *bs, const uint8_t *buf, uint64_t off, uint64_t len)
{
    struct vmdk *s = bs->opaque;
    struct vmdk_extent *e = &s->ext[0];
    int r = s->stream ? 0 : stream_begin(bs, s);
    struct vmdk_stream *st = s->stream;
    while (!r && len) {
        uint64_t g = off / e->grain, in = off % e->grain, n = e->grain - in < len ? e->grain - in : len;
        if (g < st->next || (st->gidx != UINT64_MAX && g < st->gidx)) {
            snprintf(bs->errmsg, sizeof(bs->errmsg), "streamOptimized images are written in order, once");
            return -ENOTSUP;
        }
        if (g != st->gidx && (r = emit_grain(bs, e, st)) < 0)
            return r;
        if (buf && g != st->gidx) {
            st->gidx = g;
            memset(st->gbuf, 0, e->grain);
        }
        if (g == st->gidx) {
            if (buf)
                memcpy(st->gbuf + in, buf, n);
            else
                memset(st->gbuf + in, 0, n);
        }
        st->dirty = true;
        off += n, len -= n;
        if (buf)
            buf += n;
    }
    return r;
}

int vmdk_stream_flush(struct blk *bs)
{
    struct vmdk *s = bs->opaque;
    struct vmdk_stream *st = s->stream;
    if (!st || !st->dirty)
        return 0;
    int r = emit_grain(bs, &s->ext[0], st);
    if (!r)
        r = write_tables(bs->file, &s->ext[0], st->data_end);
    if (!r)
        st->dirty = false;
    return r;
}

void vmdk_stream_free(struct vmdk *s)
{
    if (!s->stream)
        return;
    free(s->stream->gbuf);
    free(s->stream->cbuf);
    free(s->stream);
    s->stream = NULL;
}
