/* Unit tests for qcow2's VM state area (block/qcow2-vmstate.c) on a real image in $TMPDIR: the state
 * written before savevm belongs to the snapshot, not to the active image; applying the snapshot
 * brings it back byte for byte; the image checks clean through each step; zero clusters stay
 * metadata; a position past what an L1 table can map is refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "block/block.h"
#include "block/qcow2.h"

#define STATE_LEN (3u * 65536 + 1234)      /* past a cluster boundary, a partial last cluster */

static char path[256];

static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/vmstate-test-%d.qcow2", t ? t : "/tmp", (int)getpid());
    char err[BLK_ERR_LEN];
    struct blk_create_opts o = { .size = 8u << 20 };
    return blk_create(path, "qcow2", &o, err) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 31 + seed + (i >> 9));
    memset(b + 65536, 0, 65536);            /* a whole zero cluster in the middle */
}

static void print_line(void *opq, const char *line)
{
    (void)opq;
    fprintf(stderr, "check: %s\n", line);
}

static void assert_clean(struct blk *bs)
{
    struct blk_check res;
    memset(&res, 0, sizeof(res));
    assert_int_equal(blk_flush(bs), 0);
    int r = bs->drv->check(bs, &res, 0, print_line, NULL);
    if (r != 0)
        fprintf(stderr, "check: %d, %lld corruptions, %lld leaks\n", r, (long long)res.corruptions,
                (long long)res.leaks);
    assert_int_equal(r, 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
}

static void test_save_apply(void **state)
{
    (void)state;
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open(path, "qcow2", BLK_O_RDWR, err);
    assert_non_null(bs);
    uint8_t *a = malloc(STATE_LEN), *b = malloc(STATE_LEN);
    fill(a, STATE_LEN, 7);
    uint8_t disk[512];
    memset(disk, 0x5a, sizeof(disk));
    assert_int_equal(blk_pwrite(bs, 4096, disk, sizeof(disk)), 0);
    assert_int_equal(bs->drv->vmstate_write(bs, 0, a, 4096), 0);         /* a header ... */
    assert_int_equal(bs->drv->vmstate_write(bs, 4096, a + 4096, STATE_LEN - 4096), 0);   /* ... the rest */
    assert_int_equal(bs->drv->vmstate_read(bs, 0, b, STATE_LEN), 0);
    assert_memory_equal(a, b, STATE_LEN);
    assert_int_equal(bs->drv->snapshot_save(bs, "s1", STATE_LEN, 5000000000ull, err), 0);
    /* The active image let go of the area: it reads zeros there now. */
    assert_int_equal(bs->drv->vmstate_read(bs, 0, b, STATE_LEN), 0);
    for (size_t i = 0; i < STATE_LEN; i++)
        assert_int_equal(b[i], 0);
    memset(disk, 0xa5, sizeof(disk));
    assert_int_equal(blk_pwrite(bs, 4096, disk, sizeof(disk)), 0);        /* the guest writes on */
    struct blk_snapshot *l = NULL;
    assert_int_equal(bs->drv->snapshot_list(bs, &l), 1);
    assert_int_equal(l[0].vm_state_size, STATE_LEN);
    assert_int_equal(l[0].vm_clock_nsec, 5000000000ull);
    assert_true(l[0].icount == UINT64_MAX);  /* none, as QEMU's savevm */
    free(l);
    assert_clean(bs);
    blk_close(bs);

    bs = blk_open(path, "qcow2", BLK_O_RDWR, err);                     /* as -loadvm finds it */
    assert_non_null(bs);
    assert_int_equal(bs->drv->snapshot_apply(bs, "1", err), 0);
    assert_int_equal(bs->drv->vmstate_read(bs, 0, b, STATE_LEN), 0);
    assert_memory_equal(a, b, STATE_LEN);
    assert_int_equal(blk_pread(bs, 4096, disk, sizeof(disk)), 0);
    assert_int_equal(disk[0], 0x5a);
    assert_clean(bs);
    assert_int_equal(bs->drv->snapshot_delete(bs, "s1", err), 0);
    assert_clean(bs);
    blk_close(bs);
    free(a);
    free(b);
}

static void test_bounds(void **state)
{
    (void)state;
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open(path, "qcow2", BLK_O_RDWR, err);
    assert_non_null(bs);
    uint8_t x[16] = { 1 };
    assert_int_equal(bs->drv->vmstate_write(bs, UINT64_MAX - 8, x, sizeof(x)), -EFBIG);
    assert_int_equal(bs->drv->vmstate_read(bs, 1ull << 62, x, sizeof(x)), -EFBIG);
    assert_int_equal(blk_find_driver("raw")->vmstate_write, NULL);
    blk_close(bs);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_save_apply), cmocka_unit_test(test_bounds) };
    return cmocka_run_group_tests(tests, setup, teardown);
}
