/* isa-debug-exit: the status mapping and the stop it requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hw/debug-exit.h"

/* The stop link's requests, as the board would get them. */
struct stops {
    int n;
    enum stop_request what;
    int status;
};

static void record_stop(void *opaque, enum stop_request what, int status)
{
    struct stops *s = opaque;
    s->n++;
    s->what = what;
    s->status = status;
}

static void test_status(void **state)
{
    (void)state;
    assert_int_equal(debug_exit_status(0), 1);
    assert_int_equal(debug_exit_status(1), 3);
    assert_int_equal(debug_exit_status(0x10), 0x21);
    assert_int_equal(debug_exit_status(0x7f), 0xff);
    assert_int_equal(debug_exit_status(0x80), 1);      /* what the shell sees of 0x101 */
}

static void test_write_stops_vm(void **state)
{
    (void)state;
    struct stops got = { 0 };
    struct stop_link link = { .request = record_stop, .opaque = &got };
    /* Writing 2 to port 0xf4: status (2 << 1) | 1. */
    debug_exit_io_ops.write(&link, 0, 0x02, 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.what, STOP_REQ_DEBUG_EXIT);
    assert_int_equal(got.status, 5);
    debug_exit_io_ops.write(&link, 2, 0x1ff, 1);        /* a byte write sees only the low byte */
    assert_int_equal(got.n, 2);
    assert_int_equal(got.status, 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_status),
                                        cmocka_unit_test(test_write_stops_vm) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
