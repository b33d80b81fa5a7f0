/* Unit tests for the split write (block/block.c blk_map_write, blk_file_pwrite; qcow2's
 * qcow2_co_map_write): fresh whole clusters map to one contiguous host range and read back what was
 * written there; partial and already allocated clusters, and read-only images, are the format's
 * own write; raw maps everything to the same offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "block/block.h"
#include "block/tmpimg_test.h"

#define CL 65536u

static int setup(void **st) { return tmpimg_setup(st, "mapwrite", 0); }

static struct blk *create_open(const char *path, const char *fmt, int flags)
{
    char err[BLK_ERR_LEN];
    struct blk_create_opts o = { .size = 64 * CL, .cluster_size = CL };
    assert_int_equal(blk_create(path, fmt, &o, err), 0);
    struct blk *bs = blk_open(path, fmt, flags, err);
    assert_non_null(bs);
    return bs;
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

static void test_qcow2_fresh_clusters(void **st)
{
    struct blk *bs = create_open(*st, "qcow2", BLK_O_RDWR);
    uint64_t host = 0, n = 0;
    assert_int_equal(blk_map_write(bs, 4 * CL, 3 * CL, &host, &n), 1);
    assert_int_equal(n, 3 * CL);
    assert_int_equal(host % CL, 0);
    uint8_t *b = malloc(3 * CL), *back = malloc(3 * CL);
    fill(b, 3 * CL, 1);
    assert_int_equal(blk_file_pwrite(bs, host, b, 3 * CL), 0);
    assert_int_equal(blk_pread(bs, 4 * CL, back, 3 * CL), 0);
    assert_memory_equal(back, b, 3 * CL);
    /* Mapped again: allocated now, so the format writes it (in place), up to the cluster's end. */
    assert_int_equal(blk_map_write(bs, 4 * CL, 3 * CL, &host, &n), 0);
    assert_int_equal(n, CL);
    /* A partial cluster: the format's write, up to the next boundary. */
    assert_int_equal(blk_map_write(bs, 10 * CL + 512, 2 * CL, &host, &n), 0);
    assert_int_equal(n, CL - 512);
    assert_int_equal(blk_map_write(bs, 12 * CL, CL - 1, &host, &n), 0);
    assert_int_equal(n, CL - 1);
    /* A run stops at the first allocated cluster. */
    assert_int_equal(blk_map_write(bs, 2 * CL, 4 * CL, &host, &n), 1);
    assert_int_equal(n, 2 * CL);
    assert_int_equal(blk_file_pwrite(bs, host, b, 2 * CL), 0);     /* the data it owes */
    assert_int_equal(blk_map_write(bs, 63 * CL, 2 * CL, &host, &n), -EINVAL);    /* past the end */
    free(b);
    free(back);
    blk_close(bs);
    char err[BLK_ERR_LEN];
    bs = blk_open(*st, "qcow2", BLK_O_CHECK, err);
    assert_non_null(bs);
    struct blk_check res = { 0 };
    assert_int_equal(bs->drv->check(bs, &res, 0, NULL, NULL), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
    blk_close(bs);
}

static void test_raw_and_readonly(void **st)
{
    struct blk *bs = create_open(*st, "raw", BLK_O_RDWR);
    uint64_t host = 0, n = 0;
    assert_int_equal(blk_map_write(bs, 5 * CL + 3, 100, &host, &n), 1);
    assert_int_equal(host, 5 * CL + 3);
    assert_int_equal(n, 100);
    blk_close(bs);
    bs = create_open(*st, "qcow2", 0);
    assert_int_equal(blk_map_write(bs, 0, CL, &host, &n), -EROFS);
    blk_close(bs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qcow2_fresh_clusters, setup, tmpimg_teardown),
        cmocka_unit_test_setup_teardown(test_raw_and_readonly, setup, tmpimg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
