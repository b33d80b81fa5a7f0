/* Unit tests of the VM state file's encoding (migration/vmstate.c): sections round-trip; a reader past
 * its section's end reads zeros and reports it; truncated lists, duplicates, a missing END, a bad
 * magic or version and RAM past the end of the file are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "migration/vmstate.h"

static void build(struct vms_writer *w)
{
    vms_writer_init(w);
    vms_begin(w, VMS_TAG('A', 'A', 'A', 'A'), 0);
    vms_put_u8(w, 0x12);
    vms_put_u16(w, 0x3456);
    vms_put_u32(w, 0x789abcde);
    vms_put_u64(w, 0x1122334455667788ull);
    vms_end(w);
    vms_begin(w, VMS_TAG('B', 'B', 'B', 'B'), 7);
    vms_put_bytes(w, "hello", 5);
    vms_end(w);
    assert_int_equal(vms_finish(w), 0);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct vms_writer w;
    build(&w);
    static struct vms_index idx;
    const char *why = NULL;
    assert_int_equal(vms_index_build(w.buf, w.len, &idx, &why), 0);
    assert_int_equal(idx.n, 2);
    struct vms_section *s = vms_index_take(&idx, VMS_TAG('A', 'A', 'A', 'A'), 0);
    assert_non_null(s);
    struct vms_reader r;
    vms_reader_init(&r, s);
    assert_int_equal(vms_get_u8(&r), 0x12);
    assert_int_equal(vms_get_u16(&r), 0x3456);
    assert_int_equal(vms_get_u32(&r), 0x789abcde);
    assert_true(vms_get_u64(&r) == 0x1122334455667788ull);
    assert_int_equal(vms_reader_done(&r), 0);
    assert_null(vms_index_take(&idx, VMS_TAG('B', 'B', 'B', 'B'), 0));
    s = vms_index_take(&idx, VMS_TAG('B', 'B', 'B', 'B'), 7);
    assert_non_null(s);
    vms_reader_init(&r, s);
    char buf[8] = { 0 };
    vms_get_bytes(&r, buf, 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(vms_reader_done(&r), 0);
    vms_writer_free(&w);
}

static void test_reader_bounds(void **state)
{
    (void)state;
    uint8_t data[3] = { 1, 2, 3 };
    struct vms_section s = { .data = data, .len = 3 };
    struct vms_reader r;
    vms_reader_init(&r, &s);
    assert_int_equal(vms_get_u16(&r), 0x0201);
    assert_int_equal(vms_get_u32(&r), 0);       /* past the end: zero, and the error sticks */
    assert_int_equal(vms_get_u8(&r), 0);
    assert_int_equal(vms_reader_done(&r), -EINVAL);
    vms_reader_init(&r, &s);
    vms_get_u8(&r);
    assert_int_equal(vms_reader_done(&r), -EINVAL);   /* bytes left over */
}

static void test_bad_lists(void **state)
{
    (void)state;
    struct vms_writer w;
    build(&w);
    static struct vms_index idx;
    const char *why = NULL;
    for (size_t cut = 0; cut < w.len; cut++)    /* every truncation is refused */
        assert_int_equal(vms_index_build(w.buf, cut, &idx, &why), -EINVAL);
    w.buf[8] = 0xff;                             /* the first section's length past the end */
    assert_int_equal(vms_index_build(w.buf, w.len, &idx, &why), -EINVAL);
    vms_writer_free(&w);
    vms_writer_init(&w);                         /* a section twice */
    for (int i = 0; i < 2; i++) {
        vms_begin(&w, VMS_TAG('A', 'A', 'A', 'A'), 0);
        vms_end(&w);
    }
    vms_finish(&w);
    assert_int_equal(vms_index_build(w.buf, w.len, &idx, &why), -EINVAL);
    vms_writer_free(&w);
}

static void test_header(void **state)
{
    (void)state;
    uint8_t *buf = calloc(1, VMS_HEADER_SIZE);
    struct vms_header h = { .version = VMS_VERSION, .cpu_model = "max", .ram_size = 1 << 20, .ncpus = 2,
                            .sect_off = VMS_HEADER_SIZE, .sect_len = 100, .ram_off = 8192,
                            .ram_len = 1 << 20 }, d;
    const char *why = NULL;
    vms_header_encode(&h, buf);
    uint64_t size = 8192 + (1 << 20);
    assert_int_equal(vms_header_decode(buf, VMS_HEADER_SIZE, size, &d, &why), 0);
    assert_string_equal(d.cpu_model, "max");
    assert_int_equal(d.ncpus, 2);
    assert_int_equal(vms_header_decode(buf, VMS_HEADER_SIZE, size - 1, &d, &why), -EINVAL);  /* RAM cut */
    buf[8] = 2;                                  /* version 2 */
    assert_int_equal(vms_header_decode(buf, VMS_HEADER_SIZE, size, &d, &why), -EINVAL);
    buf[8] = 1;
    buf[0] = 'X';
    assert_int_equal(vms_header_decode(buf, VMS_HEADER_SIZE, size, &d, &why), -EINVAL);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_reader_bounds),
        cmocka_unit_test(test_bad_lists),
        cmocka_unit_test(test_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
