/* Unit tests for tools/img/imgopts.c: --image-opts strings, escapes and qemu-img's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tools/img/imgopts.h"

static void test_forms(void **st)
{
    (void)st;
    struct img_image_opts o;
    char err[256] = "";
    assert_int_equal(img_image_opts_parse("driver=qcow2,file.filename=a.qcow2", &o, err, sizeof(err)), 0);
    assert_string_equal(o.driver, "qcow2");
    assert_string_equal(o.filename, "a.qcow2");
    assert_false(o.read_only);
    img_image_opts_free(&o);
    assert_int_equal(img_image_opts_parse("file.driver=file,file.filename=x,,y.img,read-only=on", &o, err,
                                          sizeof(err)), 0);
    assert_null(o.driver);                        /* probed */
    assert_string_equal(o.filename, "x,y.img");
    assert_true(o.read_only);
    img_image_opts_free(&o);
    assert_int_equal(img_image_opts_parse("driver=file,filename=d.raw,force-share=on", &o, err, sizeof(err)), 0);
    assert_string_equal(o.driver, "raw");
    assert_true(o.force_share);
    img_image_opts_free(&o);
}

static void test_refusals(void **st)
{
    (void)st;
    struct img_image_opts o;
    char err[256] = "";
    assert_int_equal(img_image_opts_parse("a.qcow2", &o, err, sizeof(err)), -1);
    assert_string_equal(err, "Cannot find device='a.qcow2' nor node-name='a.qcow2'");
    err[0] = 0;
    assert_int_equal(img_image_opts_parse("driver=qcow2,file.filename=a,foo=1", &o, err, sizeof(err)), -1);
    assert_string_equal(err, "Block format 'qcow2' does not support the option 'foo'");
    err[0] = 0;
    assert_int_equal(img_image_opts_parse("driver=qcow2", &o, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be specified"));
    err[0] = 0;
    assert_int_equal(img_image_opts_parse("driver=qcow2,file.driver=nbd,file.filename=a", &o, err, sizeof(err)), -1);
    assert_string_equal(err, "Unknown protocol driver 'nbd'");
    err[0] = 0;
    assert_int_equal(img_image_opts_parse("driver=raw,file.filename=a,read-only=maybe", &o, err, sizeof(err)), -1);
    assert_null(o.filename);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_forms), cmocka_unit_test(test_refusals) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
