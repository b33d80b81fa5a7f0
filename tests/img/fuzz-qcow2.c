/*
 * libFuzzer target: the qcow2 opener, read path (the VM state area savevm uses included), block
 * status and check over arbitrary bytes, then a few writes, a savevm-style VM state write and
 * snapshot, its apply and a flush on a copy (an in-memory file that may grow to a bound), then a
 * repairing check (check -r all) on another copy.
 * Build and run: make fuzz-qcow2 [FUZZ_TIME=seconds].
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "tests/img/fuzz-mem.h"

static void noreport(void *o, const char *l) { (void)o; (void)l; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1 << 20];
    struct blk *bs = open_mem(data, size, "fuzz.qcow2", "qcow2", 0);
    if (bs) {
        uint64_t n = bs->size < sizeof(buf) ? bs->size : sizeof(buf);
        blk_pread(bs, 0, buf, n);
        /* Sample the disk where the first L1 entries map, wherever that is in a huge disk. */
        uint64_t stride = bs->cluster_size ? (uint64_t)bs->cluster_size * (bs->cluster_size / 8) : 1;
        for (uint64_t i = 1; i < 16 && i * stride < bs->size; i++)
            blk_pread(bs, i * stride, buf, bs->size - i * stride < 65536 ? bs->size - i * stride : 65536);
        if (bs->drv->vmstate_read)              /* what loadvm reads past the disk's end */
            bs->drv->vmstate_read(bs, 0, buf, 65536);
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
    bs = open_mem(data, size, "fuzz.qcow2", "qcow2", BLK_O_RDWR);
    if (bs) {
        memset(buf, 0x5a, 65536);
        for (uint64_t i = 0; i < 4 && bs->size; i++) {
            uint64_t off = (i * 0x9e3779b97f4a7c15ull) % bs->size;
            uint64_t len = bs->size - off < 65536 ? bs->size - off : 65536;
            if (blk_pwrite(bs, off, buf, len) < 0)
                break;
        }
        blk_discard(bs, 0, bs->size < 65536 ? bs->size : 65536);
        char err[BLK_ERR_LEN];
        if (bs->drv->vmstate_write && bs->drv->vmstate_write(bs, 0, buf, 3 * 4096) == 0 &&
            bs->drv->snapshot_save(bs, "fuzz", 3 * 4096, 0, err) == 0 &&
            bs->drv->snapshot_apply(bs, "fuzz", err) == 0)
            bs->drv->vmstate_read(bs, 0, buf, 3 * 4096);
        blk_flush(bs);
        blk_close(bs);
    }
    /* check -r all: repairs, refcount rebuilds, COPIED fixes on whatever the input is. */
    bs = open_mem(data, size, "fuzz.qcow2", "qcow2", BLK_O_RDWR | BLK_O_CHECK);
    if (bs) {
        struct blk_check res;
        if (bs->drv->check)
            bs->drv->check(bs, &res, BLK_FIX_LEAKS | BLK_FIX_ERRORS, noreport, NULL);
        blk_close(bs);
    }
    return 0;
}
