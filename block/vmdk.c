/*
 * VMDK images (VMware "Virtual Disk Format 1.1"): a monolithic sparse file ("KDMV" header with an
 * embedded descriptor, streamOptimized included) or a text descriptor naming FLAT/SPARSE/ZERO extents
 * (monolithicFlat, twoGbMaxExtentSparse/Flat). Read everywhere; written only as a new streamOptimized
 * image (vmdk-stream.c). A parentFileNameHint becomes the backing file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vmdk.h"

static int vmdk_probe(const uint8_t *buf, size_t len, const char *filename)
{
    (void)filename;
    if (len >= 4 && !memcmp(buf, "KDMV", 4))
        return 100;
    return len >= 21 && !memcmp(buf, "# Disk DescriptorFile", 21) ? 100 : 0;
}

/* The descriptor embedded in a monolithic sparse file: createType and parent hint only. */
static int embedded_descriptor(struct blk *bs, struct vmdk *s, struct vmdk_extent *e, char *err)
{
    uint64_t off = get_le64(e->header + 28), n = get_le64(e->header + 36);
    if (!off || !n)
        return 0;
    if (n > VMDK_MAX_DESC / 512 || off > e->file_size / 512 || (off + n) * 512 > e->file_size)
        return blk_error(err, EINVAL, "Could not open '%s': VMDK descriptor lies outside the file", bs->filename);
    char *text = calloc(1, n * 512 + 1);
    if (!text)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = e->file->ops->pread(e->file, text, n * 512, off * 512);
    if (r == 0)
        r = vmdk_parse_descriptor(bs, s, text, false, err);
    else
        blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    free(text);
    return r;
}

static int open_monolithic(struct blk *bs, struct vmdk *s, const uint8_t *hdr, char *err)
{
    s->ext = calloc(1, sizeof(*s->ext));
    if (!s->ext)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    s->n = 1;
    struct vmdk_extent *e = s->ext;
    e->type = VMDK_EXT_SPARSE;
    e->file = bs->file;
    int r = vmdk_sparse_open(bs, e, hdr, err);
    if (r < 0)
        return r;
    e->len = get_le64(e->header + 12) * 512;
    return embedded_descriptor(bs, s, e, err);
}

static int open_descriptor(struct blk *bs, struct vmdk *s, char *err)
{
    int64_t sz = bs->file->ops->size(bs->file);
    if (sz < 0 || sz > VMDK_MAX_DESC)
        return blk_error(err, EFBIG, "Could not open '%s': VMDK descriptor file too large", bs->filename);
    char *text = calloc(1, (size_t)sz + 1);
    if (!text)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = bs->file->ops->pread(bs->file, text, (size_t)sz, 0);
    if (r == 0)
        r = vmdk_parse_descriptor(bs, s, text, true, err);
    else
        blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    free(text);
    return r;
}

static int vmdk_open_state(struct blk *bs, int flags, char *err)
{
    struct vmdk *s = calloc(1, sizeof(*s));
    if (!s)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    bs->opaque = s;
    s->cid = s->parent_cid = UINT32_MAX;
    uint8_t hdr[512];
    int r = bs->file->ops->pread(bs->file, hdr, sizeof(hdr), 0);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", bs->filename, strerror(-r));
    if (!memcmp(hdr, "KDMV", 4))
        r = open_monolithic(bs, s, hdr, err);
    else if (!memcmp(hdr, "# Disk DescriptorFile", 21))
        r = open_descriptor(bs, s, err);
    else if (!memcmp(hdr, "COWD", 4))
        r = blk_error(err, ENOTSUP, "Could not open '%s': VMware 3 / ESX (COWD) sparse extents are not supported",
                      bs->filename);
    else
        r = blk_error(err, EINVAL, "Could not open '%s': not a VMDK image", bs->filename);
    if (r < 0)
        return r;
    bs->size = s->ext[s->n - 1].start + s->ext[s->n - 1].len;
    bs->cluster_size = s->ext[0].type == VMDK_EXT_SPARSE ? (uint32_t)s->ext[0].grain : 0;
    if (s->parent_hint) {
        bs->backing_file = strdup(s->parent_hint);
        bs->full_backing = blk_path_join_dir(bs->filename, s->parent_hint);
        if (!bs->backing_file || !bs->full_backing)
            return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    }
    bool stream = s->n == 1 && s->ext[0].type == VMDK_EXT_SPARSE && s->ext[0].compressed && s->ext[0].markers;
    if ((flags & BLK_O_RDWR) && !stream)
        return blk_error(err, EROFS, "Could not open '%s': vmon writes vmdk images only as new streamOptimized ones",
                         bs->filename);
    return 0;
}

/* The extent holding off (binary search over their start offsets). */
static struct vmdk_extent *find_extent(struct vmdk *s, uint64_t off)
{
    int lo = 0, hi = s->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->ext[mid].start <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    return &s->ext[lo];
}

/* Lends e the shared grain buffer (its cached grain is dropped if another extent had it). */
static int vmdk_zbuf(struct vmdk *s, struct vmdk_extent *e)
{
    size_t need = e->grain * 3 + 4096;
    if (s->zcap < need) {
        /* Page-aligned: compressed grains are read into it, and the kernel copies into an aligned
         * buffer faster (see convert-run.c). The grain it held is dropped. */
        void *p;
        if (posix_memalign(&p, 4096, need))
            return -ENOMEM;
        free(s->zbuf);
        s->zbuf = p;
        s->zcap = need;
        if (s->zowner)
            s->zowner->cached_grain = UINT64_MAX;
    }
    if (s->zowner != e) {
        if (s->zowner)
            s->zowner->cached_grain = UINT64_MAX;
        s->zowner = e;
        e->cached_grain = UINT64_MAX;
    }
    e->zbuf = s->zbuf;
    return 0;
}

/* Where [off, off + m->n) lies: one extent at most; a sparse extent reads and answers for itself. */
static int vmdk_map(struct blk *bs, uint64_t off, uint64_t len, struct fu_extent *m)
{
    struct vmdk_extent *e = find_extent(bs->opaque, off);
    uint64_t in = off - e->start;
    m->n = e->len - in < len ? e->len - in : len;
    if (e->type == VMDK_EXT_ZERO)
        m->kind = FU_ZERO;
    else if (e->type == VMDK_EXT_FLAT)
        *m = (struct fu_extent){ .kind = FU_HOST, .n = m->n, .file = e->file, .host = e->flat_off + in, .holes = true };
    else
        *m = (struct fu_extent){ .kind = FU_OWN, .n = m->n, .ext = e, .in = in };
    return 0;
}

static int vmdk_own_read(struct blk *bs, const struct fu_extent *m, uint8_t *buf)
{
    struct vmdk_extent *e = m->ext;
    int r = e->compressed ? vmdk_zbuf(bs->opaque, e) : 0;
    return r < 0 ? r : vmdk_sparse_read(bs, e, m->in, buf, m->n);
}

static int vmdk_own_status(struct blk *bs, const struct fu_extent *m, uint64_t *pnum, uint64_t *map)
{
    return vmdk_sparse_status(bs, m->ext, m->in, m->n, pnum, map);
}

static const struct fu_fmt vmdk_fmt = { .map = vmdk_map, .own_read = vmdk_own_read, .own_status = vmdk_own_status };

static int vmdk_read(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    return fu_read(bs, &vmdk_fmt, off, buf, len);
}

static int vmdk_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    return fu_block_status(bs, &vmdk_fmt, off, len, pnum, map);
}

/*
 * qemu-img check for vmdk (QEMU block/vmdk.c's check): every allocated grain of the sparse extents must
 * start inside its extent file; the walk stops at the first grain that does not (reported, then the
 * check fails as QEMU's does: exit 1) or whose grain table cannot be read (a check error, exit 1; QEMU
 * reads a table past the end of the file as zeros and reports nothing). Nothing is repaired.
 */
static int vmdk_check(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *), void *opq)
{
    struct vmdk *s = bs->opaque;
    char line[160];
    (void)fix;
    *res = (struct blk_check){ 0 };
    for (int x = 0; x < s->n; x++) {
        struct vmdk_extent *e = &s->ext[x];
        if (e->type != VMDK_EXT_SPARSE)
            continue;
        int64_t fsz = e->file->ops->size(e->file);
        uint64_t span = e->grain * e->gtes;
        for (uint32_t i = 0; i < e->gd_entries && (uint64_t)i * span < e->len; i++) {
            uint64_t bad;
            int r = fsz < 0 ? (int)fsz : vmdk_sparse_check_gt(bs, e, i, (uint64_t)fsz, &bad);
            if (r < 0) {
                snprintf(line, sizeof(line), "ERROR: could not get cluster_offset for sector %" PRIu64 "\n",
                         (e->start + (uint64_t)i * span) / 512);
                res->check_errors++;
            } else if (bad != UINT64_MAX) {
                snprintf(line, sizeof(line), "ERROR: cluster offset for sector %" PRIu64 " points after EOF\n",
                         (e->start + bad * e->grain) / 512);
                res->corruptions++;
            } else {
                continue;
            }
            if (report)
                report(opq, line);
            /* As QEMU: a grain past the end also fails the check itself ("Check failed", exit 1). */
            return res->corruptions ? -EINVAL : 0;
        }
    }
    return 0;
}

static int vmdk_write(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    return vmdk_stream_write(bs, buf, off, len);
}

static int vmdk_write_zeroes(struct blk *bs, uint64_t off, uint64_t len)
{
    return vmdk_stream_write(bs, NULL, off, len);
}

static int vmdk_flush(struct blk *bs)
{
    int r = vmdk_stream_flush(bs);
    return r < 0 ? r : bs->file->ops->flush(bs->file);
}

static int vmdk_get_info(struct blk *bs, struct blk_info *bi)
{
    bi->cluster_size = bs->cluster_size;
    bi->dirty = false;
    return 0;
}

static void vmdk_close(struct blk *bs)
{
    struct vmdk *s = bs->opaque;
    if (!s)
        return;
    vmdk_stream_free(s);
    for (int i = 0; i < s->n; i++)
        vmdk_extent_free(&s->ext[i]);
    free(s->ext);
    free(s->zbuf);
    free(s->parent_hint);
    free(s);
}

/* A failed open leaves nothing behind (blk_open_file does not call close then). */
static int vmdk_open(struct blk *bs, int flags, char *err)
{
    int r = vmdk_open_state(bs, flags, err);
    if (r < 0) {
        vmdk_close(bs);
        bs->opaque = NULL;
    }
    return r;
}

static const struct blk_opt_help vmdk_create_help[] = {
    { "size", "size", "Virtual disk size" },
    { "subformat", "str", "VMDK flat extent format, vmon writes: streamOptimized" },
    { NULL, NULL, NULL },
};

static int vmdk_create_opt(struct blk_create_opts *o, const char *key, const char *val, char *err)
{
    if (strcmp(key, "subformat"))
        return -ENOENT;
    if (strcmp(val, "streamOptimized"))
        return blk_error(err, ENOTSUP, "vmon writes vmdk only with subformat=streamOptimized (not '%s')", val);
    o->subformat = "streamOptimized";
    return 0;
}

const struct blk_driver blk_vmdk_driver = {
    .name = "vmdk",
    .probe = vmdk_probe,
    .create = vmdk_stream_create,
    .open = vmdk_open,
    .read = vmdk_read,
    .write = vmdk_write,
    .write_zeroes = vmdk_write_zeroes,
    .flush = vmdk_flush,
    .block_status = vmdk_block_status,
    .close = vmdk_close,
    .check = vmdk_check,
    .create_help = vmdk_create_help,
    .create_opt = vmdk_create_opt,
    .get_info = vmdk_get_info,
    .get_specific_info = vmdk_specific_info,
    .allocated = vmdk_allocated,
};
