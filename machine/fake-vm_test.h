/* A bare struct vm for platform unit tests: empty PIO and MMIO buses, a fake accelerator and vCPUs
 * that know their VM and id, none started. The test adds the platform (pc_soft_new) and
 * frees the VM with free(). Header-only, included by *_test.c files after cmocka.h. */
#ifndef VMON_MACHINE_FAKE_VM_TEST_H
#define VMON_MACHINE_FAKE_VM_TEST_H

#include <stdlib.h>
#include "machine/vm.h"

static inline struct vm *fake_vm_new(const struct accel_ops *accel, int ncpus)
{
    struct vm *vm = calloc(1, sizeof(*vm));
    assert_non_null(vm);
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");
    vm->accel = accel;
    vm->ncpus = ncpus;
    for (int i = 0; i < ncpus; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].id = i;
    }
    return vm;
}

#endif
