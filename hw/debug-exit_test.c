/* isa-debug-exit: the status mapping and the stop it requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "hw/debug-exit.h"
#include "machine/vm.h"

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
    static struct vm vm;
    memset(&vm, 0, sizeof(vm));
    pthread_mutex_init(&vm.stop_lock, NULL);
    pthread_cond_init(&vm.stop_cond, NULL);
    assert_false(vm_should_stop(&vm));
    /* Writing 2 to port 0xf4: status (2 << 1) | 1. */
    debug_exit_io_ops.write(&vm, 0, 0x02, 1);
    assert_true(vm_should_stop(&vm));
    assert_int_equal(vm.stop_reason, VCPU_DEBUG_EXIT);
    assert_int_equal(vm.exit_code, 5);
    debug_exit_io_ops.write(&vm, 0, 0x07, 1);           /* the first stop reason wins */
    assert_int_equal(vm.exit_code, 5);
    memset(&vm, 0, sizeof(vm));
    pthread_mutex_init(&vm.stop_lock, NULL);
    pthread_cond_init(&vm.stop_cond, NULL);
    debug_exit_io_ops.write(&vm, 2, 0x1ff, 1);          /* a byte write sees only the low byte */
    assert_int_equal(vm.exit_code, 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_status),
                                        cmocka_unit_test(test_write_stops_vm) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
