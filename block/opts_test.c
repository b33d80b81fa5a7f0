/* Unit tests for block/opts.c and the drivers' create_opt hooks: sizes, -o parsing, qemu-img's messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "block/block.h"

static void test_sizes(void **st)
{
    (void)st;
    uint64_t v;
    assert_int_equal(blk_parse_size("1M", &v), 0);
    assert_int_equal(v, 1u << 20);
    assert_int_equal(blk_parse_size("1.5k", &v), 0);
    assert_int_equal(v, 1536);
    assert_int_equal(blk_parse_size("512", &v), 0);
    assert_int_equal(v, 512);
    assert_int_equal(blk_parse_size("1.5", &v), -EINVAL);     /* a fraction needs a suffix */
    assert_int_equal(blk_parse_size("-1", &v), -EINVAL);
    assert_int_equal(blk_parse_size("16E", &v), -EINVAL);     /* 2^64 */
    assert_int_equal(blk_parse_size("1X", &v), -EINVAL);
}

static void test_qcow2_opts(void **st)
{
    (void)st;
    struct blk_create_opts o = { 0 };
    char err[BLK_ERR_LEN] = "";
    assert_int_equal(blk_parse_create_opts(&blk_qcow2_driver, "cluster_size=4k,compat=0.10,refcount_bits=8,"
                                           "lazy_refcounts=on,size=1M,preallocation=off", &o, err), 0);
    assert_int_equal(o.cluster_size, 4096);
    assert_int_equal(o.compat, 2);
    assert_int_equal(o.refcount_bits, 8);
    assert_true(o.lazy_refcounts);
    assert_int_equal(o.size, 1u << 20);
    char d[256];
    blk_create_describe(&blk_qcow2_driver, &o, d, sizeof(d));
    assert_string_equal(d, "cluster_size=4096 extended_l2=off compression_type=zlib size=1048576 compat=0.10 "
                           "lazy_refcounts=on refcount_bits=8");
}

static void expect_error(const struct blk_driver *drv, const char *opts, const char *msg)
{
    struct blk_create_opts o = { 0 };
    char err[BLK_ERR_LEN] = "";
    assert_int_equal(blk_parse_create_opts(drv, opts, &o, err), -EINVAL);
    assert_string_equal(err, msg);
    free((void *)o.backing_file);
}

static void test_errors(void **st)
{
    (void)st;
    expect_error(&blk_qcow2_driver, "nosuch=1", "Invalid parameter 'nosuch'");
    expect_error(&blk_qcow2_driver, "help", "Invalid parameter 'help'");
    expect_error(&blk_qcow2_driver, "compat=9", "Invalid parameter '9'");
    expect_error(&blk_qcow2_driver, "refcount_bits=3", "Invalid parameter 'refcount_bits'");
    expect_error(&blk_qcow2_driver, "cluster_size=3000", "Cluster size must be a power of two between 512 and 2048k");
    expect_error(&blk_qcow2_driver, "backing_file=x,size=big", "Invalid parameter 'size'");
    expect_error(&blk_raw_driver, "cluster_size=4k", "Invalid parameter 'cluster_size'");
    expect_error(&blk_raw_driver, "preallocation=bogus", "Invalid parameter 'preallocation'");
}

static void test_raw(void **st)
{
    (void)st;
    struct blk_create_opts o = { .size = 4096 };
    char d[64];
    blk_create_describe(&blk_raw_driver, &o, d, sizeof(d));
    assert_string_equal(d, "size=4096");
    assert_null(blk_raw_driver.snapshot_list);        /* qemu-img lists no snapshots for raw */
    assert_non_null(blk_raw_driver.measure);
    assert_string_equal(blk_raw_driver.create_help[0].name, "preallocation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_qcow2_opts),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
