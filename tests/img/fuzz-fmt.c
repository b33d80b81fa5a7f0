/*
 * libFuzzer target for one foreign format parser (FUZZ_FMT: "vmdk", "vpc", "vdi" or "vhdx"): the opener,
 * reads sampled across the disk, block status and check over arbitrary bytes (opened plainly and for
 * check, which tolerates bad map entries); then an open for writing
 * with forward writes and a flush (vmdk streamOptimized, vpc; the others refuse it).
 * Build and run: make fuzz-vmdk|fuzz-vhd|fuzz-vdi|fuzz-vhdx [FUZZ_TIME=seconds].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "tests/img/fuzz-mem.h"

#ifndef FUZZ_FMT
#error "build with -DFUZZ_FMT=\"vmdk\" (or vpc, vdi, vhdx)"
#endif

static void noreport(void *o, const char *l) { (void)o; (void)l; }

static void read_side(struct blk *bs, uint8_t *buf, size_t cap)
{
    blk_pread(bs, 0, buf, bs->size < cap ? bs->size : cap);
    for (uint64_t i = 1; i < 16; i++) {
        uint64_t off = bs->size / 16 * i;
        blk_pread(bs, off, buf, bs->size - off < 65536 ? bs->size - off : 65536);
    }
    uint64_t pnum, map;
    for (uint64_t off = 0, k = 0; off < bs->size && k < 256; off += pnum, k++)
        if (blk_block_status(bs, off, bs->size - off, &pnum, &map) < 0 || !pnum)
            break;
    if (bs->drv->get_specific_info) {
        int n;
        free(bs->drv->get_specific_info(bs, &n));
    }
    if (bs->drv->check) {
        struct blk_check res;
        bs->drv->check(bs, &res, 0, noreport, NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1 << 20];
    struct blk *bs = open_mem(data, size, "fuzz." FUZZ_FMT, FUZZ_FMT, 0);
    if (bs) {
        read_side(bs, buf, sizeof(buf));
        blk_close(bs);
    }
    bs = open_mem(data, size, "fuzz." FUZZ_FMT, FUZZ_FMT, BLK_O_CHECK);   /* bad entries tolerated, reported */
    if (bs) {
        read_side(bs, buf, 65536);
        blk_close(bs);
    }
    bs = open_mem(data, size, "fuzz." FUZZ_FMT, FUZZ_FMT, BLK_O_RDWR);
    if (bs) {
        memset(buf, 0x5a, 65536);
        for (uint64_t i = 0; i < 4 && bs->size; i++) {
            uint64_t off = bs->size / 4 * i;
            uint64_t len = bs->size - off < 65536 ? bs->size - off : 65536;
            if (blk_pwrite(bs, off, buf, len) < 0)
                break;
        }
        blk_flush(bs);
        read_side(bs, buf, 65536);
        blk_close(bs);
    }
    return 0;
}
