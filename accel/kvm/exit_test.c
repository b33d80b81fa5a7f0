/* kvm_handle_exit with fake struct kvm_run values: no /dev/kvm needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/kvm/kvm.h"

/* A fake device remembering the last access; reads return a pattern derived from the offset. */
struct fake_dev {
    uint64_t last_off, last_val;
    unsigned last_size;
    int writes, reads;
};

static uint64_t fake_read(void *dev, uint64_t off, unsigned size)
{
    struct fake_dev *d = dev;
    d->reads++;
    d->last_off = off;
    d->last_size = size;
    return 0x11223344u + off;
}

static void fake_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct fake_dev *d = dev;
    d->writes++;
    d->last_off = off;
    d->last_val = val;
    d->last_size = size;
}

static const struct io_ops fake_ops = { .read = fake_read, .write = fake_write };

struct fixture {
    struct vm vm;
    struct vcpu *v;
    struct fake_dev pio_dev, mmio_dev;
    union {
        struct kvm_run run;
        uint8_t page[4096];
    } r;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    bus_init(&f->vm.pio, "pio");
    bus_init(&f->vm.mmio, "mmio");
    bus_map(&f->vm.pio, 0x100, 8, &fake_ops, &f->pio_dev, "fake");
    bus_map(&f->vm.mmio, 0xd0000000, 0x1000, &fake_ops, &f->mmio_dev, "fake");
    f->vm.cfg.exit_stats = true;
    pthread_mutex_init(&f->vm.stop_lock, NULL);
    pthread_cond_init(&f->vm.stop_cond, NULL);
    f->v = &f->vm.vcpus[0];
    f->v->vm = &f->vm;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void test_io_out(void **state)
{
    struct fixture *f = *state;
    struct kvm_run *run = &f->r.run;
    run->exit_reason = KVM_EXIT_IO;
    run->io.direction = KVM_EXIT_IO_OUT;
    run->io.size = 2;
    run->io.port = 0x102;
    run->io.count = 1;
    run->io.data_offset = 1024;
    f->r.page[1024] = 0x34;
    f->r.page[1025] = 0x12;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    assert_int_equal(f->pio_dev.writes, 1);
    assert_int_equal(f->pio_dev.last_off, 2);
    assert_int_equal(f->pio_dev.last_val, 0x1234);
    assert_int_equal(f->pio_dev.last_size, 2);
    assert_int_equal(f->vm.stats.by_reason[EXIT_IO], 1);
}

static void test_io_string_in(void **state)
{
    struct fixture *f = *state;
    struct kvm_run *run = &f->r.run;
    run->exit_reason = KVM_EXIT_IO;
    run->io.direction = KVM_EXIT_IO_IN;
    run->io.size = 1;
    run->io.port = 0x101;
    run->io.count = 3;         /* rep insb, three elements */
    run->io.data_offset = 2048;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    assert_int_equal(f->pio_dev.reads, 3);
    assert_int_equal(f->r.page[2048], 0x45);
    assert_int_equal(f->r.page[2049], 0x45);
    assert_int_equal(f->r.page[2050], 0x45);
}

static void test_io_unmapped_in_reads_ones(void **state)
{
    struct fixture *f = *state;
    struct kvm_run *run = &f->r.run;
    run->exit_reason = KVM_EXIT_IO;
    run->io.direction = KVM_EXIT_IO_IN;
    run->io.size = 4;
    run->io.port = 0x300;
    run->io.count = 1;
    run->io.data_offset = 1024;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    uint32_t v;
    memcpy(&v, &f->r.page[1024], 4);
    assert_int_equal(v, 0xffffffffu);
}

static void test_mmio(void **state)
{
    struct fixture *f = *state;
    struct kvm_run *run = &f->r.run;
    run->exit_reason = KVM_EXIT_MMIO;
    run->mmio.phys_addr = 0xd0000010;
    run->mmio.len = 4;
    run->mmio.is_write = 0;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    uint32_t v;
    memcpy(&v, run->mmio.data, 4);
    assert_int_equal(v, 0x11223354u);
    run->mmio.is_write = 1;
    run->mmio.len = 8;
    uint64_t w = 0x0102030405060708ull;
    memcpy(run->mmio.data, &w, 8);
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    assert_int_equal(f->mmio_dev.last_val, w);
    assert_int_equal(f->mmio_dev.last_off, 0x10);
    assert_int_equal(f->vm.stats.by_reason[EXIT_MMIO], 2);
}

static void test_mmio_unmapped(void **state)
{
    struct fixture *f = *state;
    struct kvm_run *run = &f->r.run;
    run->exit_reason = KVM_EXIT_MMIO;
    run->mmio.phys_addr = 0xe0000000;
    run->mmio.len = 2;
    run->mmio.is_write = 0;
    memset(run->mmio.data, 0, 8);
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    assert_int_equal(run->mmio.data[0], 0xff);
    assert_int_equal(run->mmio.data[1], 0xff);
    assert_int_equal(run->mmio.data[2], 0);
}

static void test_ends(void **state)
{
    struct fixture *f = *state;
    struct kvm_run *run = &f->r.run;
    run->exit_reason = KVM_EXIT_HLT;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CONTINUE);
    run->exit_reason = KVM_EXIT_SHUTDOWN;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CRASH);
    run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
    run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_POWEROFF);
    run->system_event.type = KVM_SYSTEM_EVENT_RESET;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_RESET);
    run->system_event.type = KVM_SYSTEM_EVENT_CRASH;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CRASH);
    run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
    run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
    run->internal.ndata = 2;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CRASH);
    run->exit_reason = KVM_EXIT_FAIL_ENTRY;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CRASH);
    run->exit_reason = 9999;
    assert_int_equal(kvm_handle_exit(f->v, run), VCPU_CRASH);
    assert_int_equal(f->vm.stats.by_reason[EXIT_HLT], 1);
    assert_int_equal(f->vm.stats.by_reason[EXIT_SHUTDOWN], 1);
    assert_int_equal(f->vm.stats.by_reason[EXIT_SYSTEM_EVENT], 3);
    assert_int_equal(f->vm.stats.by_reason[EXIT_INTERNAL_ERROR], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_io_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_string_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_unmapped_in_reads_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_unmapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ends, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
