/*
 * -o preallocation for formats with clusters (qcow2), as QEMU's qcow2 preallocate_co: after the image
 * is made, every cluster is allocated by writing zeros through the format. "metadata" then punches
 * the data ranges out of the host file (the tables stay, reads are zeros, the file stays sparse);
 * "falloc" and "full" keep the written space.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

#define PREALLOC_CHUNK (1u << 20)

static int punch_data(struct blk *bs)
{
    if (!bs->file->ops->discard)
        return 0;
    uint64_t pnum, map;
    for (uint64_t off = 0; off < bs->size; off += pnum) {
        int st = blk_block_status(bs, off, bs->size - off, &pnum, &map);
        if (st < 0)
            return st;
        if (!pnum)
            return -EIO;
        if ((st & BLK_STATUS_DATA) && (st & BLK_STATUS_OFFSET))
            bs->file->ops->discard(bs->file, map, pnum);
    }
    return 0;
}

int blk_preallocate(const char *filename, const char *fmt, int mode, char *err)
{
    struct blk *bs = blk_open(filename, fmt, BLK_O_RDWR | BLK_O_NO_BACKING, err);
    if (!bs)
        return -EIO;
    uint8_t *zeros = calloc(1, PREALLOC_CHUNK);
    int r = zeros ? 0 : -ENOMEM;
    for (uint64_t off = 0; r == 0 && off < bs->size; off += PREALLOC_CHUNK)
        r = blk_pwrite(bs, off, zeros, bs->size - off < PREALLOC_CHUNK ? bs->size - off : PREALLOC_CHUNK);
    if (r == 0)
        r = blk_flush(bs);
    if (r == 0 && mode == BLK_PREALLOC_METADATA)
        r = punch_data(bs);
    free(zeros);
    if (r < 0) {
        char e[BLK_ERR_LEN];
        blk_error(err, r, "Could not preallocate '%s': %.400s", filename, blk_strerror(bs, r, e, sizeof(e)));
    }
    blk_close(bs);
    return r;
}
