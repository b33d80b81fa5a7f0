/* The board's irqfd lines and doorbell link (machine/eventfd.c) over a fake accelerator: raising
 * writes the irqfd, lowering does not, a resample re-raises only while the line is held, the
 * accelerator is asked to assign and deassign; no irqfd without the capability. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "machine/eventfd.h"
#include "machine/fake-vm_test.h"
#include "util/eventloop.h"

static int assigned, deassigned, irq_fd = -1, resample_fd = -1, bells;

static int fake_irqfd(struct vm *vm, unsigned gsi, int fd, int rfd, bool on)
{
    (void)vm;
    assert_int_equal(gsi, 11);
    if (on) {
        assigned++;
        irq_fd = fd;
        resample_fd = rfd;
    } else {
        deassigned++;
    }
    return 0;
}

static int fake_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, int fd, bool on)
{
    (void)vm;
    (void)fd;
    (void)on;
    bells++;
    return addr == 0xc0003000 && len == 2 ? 0 : -EINVAL;
}

static const struct accel_ops with = {
    .name = "fake", .irqchip_in_kernel = true, .irqfd = fake_irqfd, .ioeventfd = fake_ioeventfd,
};
static const struct accel_ops without = { .name = "fake", .irqchip_in_kernel = true };

/* Counts the irqfd's pending writes (0 when none), waiting up to ms for one. */
static uint64_t raised(int ms)
{
    struct pollfd p = { .fd = irq_fd, .events = POLLIN };
    uint64_t n = 0;
    if (poll(&p, 1, ms) == 1)
        assert_int_equal(read(irq_fd, &n, sizeof(n)), sizeof(n));
    return n;
}

static void resample(void)
{
    uint64_t one = 1;
    assert_int_equal(write(resample_fd, &one, sizeof(one)), sizeof(one));
}

static void test_irqfd_line(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&with, 1);
    vm->loop = evloop_new();
    assert_int_equal(evloop_start(vm->loop), 0);
    struct irqfd_line *f = irqfd_line_new(vm, 11);
    assert_non_null(f);
    assert_int_equal(assigned, 1);
    struct irq_line l = irqfd_line_get(f);
    irq_line_set(&l, 1);
    assert_int_equal(raised(0), 1);
    resample();                                /* EOI while held: raised again */
    assert_int_equal(raised(2000), 1);
    irq_line_set(&l, 0);
    assert_int_equal(raised(0), 0);
    resample();                                /* EOI after lowering: stays low */
    assert_int_equal(raised(200), 0);
    irqfd_line_free(f);
    assert_int_equal(deassigned, 1);
    evloop_stop(vm->loop);
    evloop_free(vm->loop);
    free(vm);
}

static void test_not_offered(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&without, 1);
    vm->loop = evloop_new();
    assert_null(irqfd_line_new(vm, 11));
    assert_null(vm_doorbell_link(vm).watch);
    evloop_free(vm->loop);
    free(vm);
}

static void test_doorbell_link(void **state)
{
    (void)state;
    struct vm *vm = fake_vm_new(&with, 1);
    struct doorbell_link d = vm_doorbell_link(vm);
    assert_non_null(d.watch);
    assert_int_equal(d.watch(d.opaque, 0xc0003000, 2, 5, true), 0);
    assert_int_equal(d.watch(d.opaque, 0xc0003004, 4, 5, true), -EINVAL);
    assert_int_equal(bells, 2);
    free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_irqfd_line),
        cmocka_unit_test(test_not_offered),
        cmocka_unit_test(test_doorbell_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
