/*
 * libFuzzer target: the qcow2 opener, read path, block status and check over arbitrary bytes,
 * then a few writes and a flush on a copy (an in-memory file that may grow to a bound).
 * Build and run: make fuzz-qcow2 [FUZZ_TIME=seconds].
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

#define MAX_FILE (64u << 20)

struct mem_file {
    struct blk_file base;
    uint8_t *data;
    size_t size;
};

static int mf_pread(struct blk_file *f, void *buf, size_t len, uint64_t off)
{
    struct mem_file *m = (struct mem_file *)f;
    memset(buf, 0, len);
    if (off < m->size)
        memcpy(buf, m->data + off, len < m->size - off ? len : m->size - off);
    return 0;
}

static int mf_pwrite(struct blk_file *f, const void *buf, size_t len, uint64_t off)
{
    struct mem_file *m = (struct mem_file *)f;
    if (off > MAX_FILE || len > MAX_FILE - off)
        return -ENOSPC;
    if (off + len > m->size) {
        uint8_t *d = realloc(m->data, off + len);
        if (!d)
            return -ENOMEM;
        memset(d + m->size, 0, off + len - m->size);
        m->data = d;
        m->size = off + len;
    }
    memcpy(m->data + off, buf, len);
    return 0;
}

static int mf_flush(struct blk_file *f) { (void)f; return 0; }
static int64_t mf_size(struct blk_file *f) { return (int64_t)((struct mem_file *)f)->size; }
static int mf_truncate(struct blk_file *f, uint64_t size)
{
    struct mem_file *m = (struct mem_file *)f;
    if (size > m->size)
        return mf_pwrite(f, "", 0, size) ? -ENOSPC : (mf_pwrite(f, "\0", 1, size - 1));
    m->size = size;
    return 0;
}
static void mf_close(struct blk_file *f)
{
    free(((struct mem_file *)f)->data);
    free(f);
}

static const struct blk_file_ops mf_ops = {
    .pread = mf_pread, .pwrite = mf_pwrite, .flush = mf_flush, .size = mf_size,
    .truncate = mf_truncate, .close = mf_close,
};

static struct blk *open_mem(const uint8_t *data, size_t size, int flags)
{
    struct mem_file *m = calloc(1, sizeof(*m));
    m->base.ops = &mf_ops;
    m->data = malloc(size ? size : 1);
    memcpy(m->data, data, size);
    m->size = size;
    char err[BLK_ERR_LEN];
    return blk_open_file(&m->base, "fuzz.qcow2", "qcow2", flags | BLK_O_NO_BACKING, 0, err);
}

static void noreport(void *o, const char *l) { (void)o; (void)l; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1 << 20];
    struct blk *bs = open_mem(data, size, 0);
    if (bs) {
        uint64_t n = bs->size < sizeof(buf) ? bs->size : sizeof(buf);
        blk_pread(bs, 0, buf, n);
        /* Sample the disk where the first L1 entries map, wherever that is in a huge disk. */
        uint64_t stride = bs->cluster_size ? (uint64_t)bs->cluster_size * (bs->cluster_size / 8) : 1;
        for (uint64_t i = 1; i < 16 && i * stride < bs->size; i++)
            blk_pread(bs, i * stride, buf, bs->size - i * stride < 65536 ? bs->size - i * stride : 65536);
        uint64_t pnum, map;
        for (uint64_t off = 0, k = 0; off < bs->size && k < 256; off += pnum, k++)
            if (blk_block_status(bs, off, bs->size - off, &pnum, &map) < 0 || !pnum)
                break;
        if (bs->drv->check) {
            struct blk_check res;
            bs->drv->check(bs, &res, 0, noreport, NULL);
        }
        blk_close(bs);
    }
    bs = open_mem(data, size, BLK_O_RDWR);
    if (bs) {
        memset(buf, 0x5a, 65536);
        for (uint64_t i = 0; i < 4 && bs->size; i++) {
            uint64_t off = (i * 0x9e3779b97f4a7c15ull) % bs->size;
            uint64_t len = bs->size - off < 65536 ? bs->size - off : 65536;
            if (blk_pwrite(bs, off, buf, len) < 0)
                break;
        }
        blk_discard(bs, 0, bs->size < 65536 ? bs->size : 65536);
        blk_flush(bs);
        blk_close(bs);
    }
    return 0;
}
