/* Unit tests for block/probe.c: each foreign format's magic, near misses, and raw/qcow2 left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "block/probe.h"

static const char *probe(const void *magic, size_t n, size_t at, const char *name)
{
    static uint8_t buf[512];
    memset(buf, 0, sizeof(buf));
    memcpy(buf + at, magic, n);
    int score;
    return blk_probe_foreign(buf, sizeof(buf), name, &score);
}

static void test_magics(void **st)
{
    (void)st;
    assert_string_equal(probe("QFI\xfb\0\0\0\1", 8, 0, "a"), "qcow");
    assert_null(probe("QFI\xfb\0\0\0\3", 8, 0, "a"));                   /* qcow2 is vmon's */
    assert_string_equal(probe("QED\0", 4, 0, "a"), "qed");
    assert_string_equal(probe("KDMV", 4, 0, "a"), "vmdk");
    assert_string_equal(probe("# Disk DescriptorFile\n", 22, 0, "a"), "vmdk");
    assert_string_equal(probe("\x7f\x10\xda\xbe", 4, 0x40, "a"), "vdi");
    assert_string_equal(probe("conectix", 8, 0, "a"), "vpc");
    assert_string_equal(probe("vhdxfile", 8, 0, "a"), "vhdx");
    assert_string_equal(probe("WithoutFreeSpace\2\0\0\0", 20, 0, "a"), "parallels");
    assert_null(probe("WithoutFreeSpace\3\0\0\0", 20, 0, "a"));
    assert_string_equal(probe("LUKS\xba\xbe\0\1", 8, 0, "a"), "luks");
    assert_null(probe("LUKS\xba\xbe\0\2", 8, 0, "a"));                  /* LUKS2: not probed by 7.2 */
    assert_string_equal(probe("", 0, 0, "disk.dmg"), "dmg");
    assert_null(probe("", 0, 0, "dmg"));
}

static void test_bochs_cloop(void **st)
{
    (void)st;
    uint8_t h[72] = { 0 };
    memcpy(h, "Bochs Virtual HD Image", 23);
    memcpy(h + 32, "Redolog", 8);
    memcpy(h + 48, "Growing", 8);
    h[66] = 2;                                                           /* version 0x20000 */
    assert_string_equal(probe(h, sizeof(h), 0, "a"), "bochs");
    h[66] = 3;
    assert_null(probe(h, sizeof(h), 0, "a"));
    static const char cl[] = "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";
    assert_string_equal(probe(cl, sizeof(cl) - 1, 0, "a"), "cloop");
}

static void test_short(void **st)
{
    (void)st;
    int score;
    assert_null(blk_probe_foreign((const uint8_t *)"KDM", 3, "a", &score));
    assert_int_equal(score, 0);
    assert_null(blk_probe_foreign((const uint8_t *)"", 0, NULL, &score));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_magics), cmocka_unit_test(test_bochs_cloop), cmocka_unit_test(test_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
