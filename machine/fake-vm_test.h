/* A bare struct vm for platform unit tests: empty PIO and MMIO buses, a fake accelerator and vCPUs
 * that know their VM, id and APIC id (one socket each), none started. The test adds the platform
 * (pc_soft_new) and frees the VM with free(). Header-only, included by *_test.c files after cmocka.h. */
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
    vm->topo = (struct cpu_topology){ (unsigned)ncpus, 1, 1 };
    vm->ioapic_id = (uint8_t)ncpus;   /* after the CPUs' APIC ids 0..ncpus-1 */
    for (int i = 0; i < ncpus; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].id = i;
        vm->vcpus[i].apic_id = (uint32_t)i;
    }
    return vm;
}

#endif
