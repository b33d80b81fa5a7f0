/* raw format: the virtual disk is the file, byte for byte. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

static int raw_probe(const uint8_t *buf, size_t len, const char *filename)
{
    (void)buf; (void)len; (void)filename;
    return 1;                      /* anything is a raw image, the weakest claim */
}

static int raw_create(struct blk_file *f, const struct blk_create_opts *o, char *err)
{
    if (o->backing_file)
        return blk_error(err, ENOTSUP, "Driver 'raw' does not support backing files");
    if (o->preallocation == BLK_PREALLOC_METADATA)
        return blk_error(err, EINVAL, "Unsupported preallocation mode 'metadata'");
    int r = f->ops->truncate(f, o->size);
    if (r == 0 && o->preallocation == BLK_PREALLOC_FALLOC && o->size)
        r = f->ops->allocate ? f->ops->allocate(f, 0, o->size) : -ENOTSUP;
    static const uint8_t zeros[1 << 16];
    for (uint64_t off = 0; r == 0 && o->preallocation == BLK_PREALLOC_FULL && off < o->size; off += sizeof(zeros))
        r = f->ops->pwrite(f, zeros, o->size - off < sizeof(zeros) ? o->size - off : sizeof(zeros), off);
    return r < 0 ? blk_error(err, r, "Could not preallocate the image: %s", strerror(-r)) : 0;
}

static int raw_open(struct blk *bs, int flags, char *err)
{
    (void)flags;
    int64_t sz = bs->file->ops->size(bs->file);
    if (sz < 0)
        return blk_error(err, (int)sz, "Could not open '%s': %s", bs->filename, strerror((int)-sz));
    bs->size = (uint64_t)sz;
    return 0;
}

static int raw_read(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    return bs->file->ops->pread(bs->file, buf, len, off);
}

static int raw_write(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    return bs->file->ops->pwrite(bs->file, buf, len, off);
}

/* The disk is the file: every write can go straight there. */
static int raw_map_write(struct blk *bs, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum)
{
    (void)bs;
    *host = off;
    *pnum = len;
    return 1;
}

static int raw_write_zeroes(struct blk *bs, uint64_t off, uint64_t len)
{
    if (bs->file->ops->discard && bs->file->ops->discard(bs->file, off, len) == 0)
        return 0;
    static const uint8_t zeros[65536];
    for (uint64_t o = 0; o < len; o += sizeof(zeros)) {
        uint64_t n = len - o < sizeof(zeros) ? len - o : sizeof(zeros);
        int r = bs->file->ops->pwrite(bs->file, zeros, n, off + o);
        if (r < 0)
            return r;
    }
    return 0;
}

static int raw_flush(struct blk *bs)
{
    return bs->file->ops->flush(bs->file);
}

static int raw_discard(struct blk *bs, uint64_t off, uint64_t len)
{
    return bs->file->ops->discard ? bs->file->ops->discard(bs->file, off, len) : 0;
}

/* Holes in the host file read as zeros: reported as such, like QEMU's file-posix. */
static int raw_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    *pnum = len;
    *map = off;
    int data = 1;
    if (bs->file->ops->data_status) {
        data = bs->file->ops->data_status(bs->file, off, len, pnum);
        if (!*pnum)
            *pnum = len;
    }
    return (data ? BLK_STATUS_DATA : BLK_STATUS_ZERO) | BLK_STATUS_ALLOCATED | BLK_STATUS_OFFSET;
}

static int raw_truncate(struct blk *bs, uint64_t size)
{
    int r = bs->file->ops->truncate(bs->file, size);
    if (r == 0)
        bs->size = size;
    return r;
}

static const struct blk_opt_help raw_create_help[] = {
    { "preallocation", "str", "Preallocation mode (allowed values: off, falloc, full)" },
    { "size", "size", "Virtual disk size" },
    { NULL, NULL, NULL },
};

/* qemu-img counts a raw target as fully allocated (QEMU block/raw-format.c raw_measure). */
static int raw_measure(const struct blk_create_opts *o, struct blk *in, struct blk_measure *m, char *err)
{
    (void)err;
    m->required = m->fully_allocated = in ? in->size : o->size;
    m->has_bitmaps = false;
    m->bitmaps = 0;
    return 0;
}

static void raw_close(struct blk *bs)
{
    (void)bs;
}

const struct blk_driver blk_raw_driver = {
    .name = "raw",
    .probe = raw_probe,
    .create = raw_create,
    .open = raw_open,
    .read = raw_read,
    .write = raw_write,
    .map_write = raw_map_write,
    .write_zeroes = raw_write_zeroes,
    .flush = raw_flush,
    .discard = raw_discard,
    .block_status = raw_block_status,
    .truncate = raw_truncate,
    .close = raw_close,
    .create_help = raw_create_help,
    .measure = raw_measure,
};
