/* Unit tests for QEMU's guard on probed raw images (block/block.c, guard_sector0): an image opened
 * writable without a format and probed as raw takes only whole-sector writes to sector 0 that
 * still probe as raw; an explicit format, a read-only open or a write past sector 0 is not guarded. */
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

static int setup(void **st) { return tmpimg_setup(st, "guard0", 1 << 20); }

static struct blk *open_img(const char *path, const char *fmt, int flags)
{
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open(path, fmt, flags, err);
    assert_non_null(bs);
    return bs;
}

static void sector(uint8_t *s, const char *magic)
{
    memset(s, 0, 512);
    memcpy(s, magic, 8);
}

static void test_probed_raw_guarded(void **st)
{
    uint8_t s[512];
    struct blk *bs = open_img(*st, NULL, BLK_O_RDWR);
    assert_true(bs->probed_raw);
    sector(s, "QFI\xfb\0\0\0\3");                            /* a qcow2 header */
    assert_int_equal(blk_pwrite(bs, 0, s, 512), -EPERM);
    sector(s, "KDMV\1\0\0\0");                               /* a foreign format's magic */
    assert_int_equal(blk_pwrite(bs, 0, s, 512), -EPERM);
    assert_int_equal(blk_pwrite(bs, 100, s, 8), -EINVAL);  /* part of sector 0: QEMU asks for all */
    sector(s, "vmon-ok\0");
    assert_int_equal(blk_pwrite(bs, 0, s, 512), 0);         /* still raw: written */
    assert_int_equal(blk_pwrite(bs, 4096, "QFI\xfb\0\0\0\3", 8), 0);   /* past sector 0: free */
    uint8_t back[8];
    assert_int_equal(blk_pread(bs, 0, back, 8), 0);
    assert_memory_equal(back, "vmon-ok", 8);
    blk_close(bs);
}

static void test_explicit_or_readonly_not_guarded(void **st)
{
    struct blk *bs = open_img(*st, NULL, 0);
    assert_false(bs->probed_raw);
    blk_close(bs);
    bs = open_img(*st, "raw", BLK_O_RDWR);
    assert_false(bs->probed_raw);
    uint8_t s[512];
    sector(s, "QFI\xfb\0\0\0\3");
    assert_int_equal(blk_pwrite(bs, 0, s, 512), 0);          /* format=raw: the user said so */
    blk_close(bs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probed_raw_guarded), cmocka_unit_test(test_explicit_or_readonly_not_guarded),
    };
    return cmocka_run_group_tests(tests, setup, tmpimg_teardown);
}
