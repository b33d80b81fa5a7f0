/* Decoding one KVM exit (api.rst, "kvm_run"): port I/O and MMIO become bus accesses through
 * vm_pio_* / vm_mmio_*, the rest decide whether the VM goes on. Runs on the vCPU's thread. */
#include <inttypes.h>
#include <string.h>

#include "accel/kvm/kvm.h"

static int handle_io(struct vm *vm, struct kvm_run *run)
{
    /* String I/O (rep ins/outs) arrives as one exit with count elements laid out in the page. */
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    unsigned size = run->io.size;
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            uint64_t v = 0;
            memcpy(&v, data, size);
            vm_pio_out(vm, run->io.port, v, size);
        } else {
            uint64_t v = vm_pio_in(vm, run->io.port, size);
            memcpy(data, &v, size);
        }
    }
    return VCPU_CONTINUE;
}

static int handle_mmio(struct vm *vm, struct kvm_run *run)
{
    unsigned len = run->mmio.len;
    if (len == 0 || len > 8)
        return VCPU_CONTINUE;
    if (run->mmio.is_write) {
        uint64_t v = 0;
        memcpy(&v, run->mmio.data, len);
        vm_mmio_write(vm, run->mmio.phys_addr, v, len);
    } else {
        uint64_t v = vm_mmio_read(vm, run->mmio.phys_addr, len);
        memcpy(run->mmio.data, &v, len);
    }
    return VCPU_CONTINUE;
}

static int handle_system_event(struct vcpu *v, struct kvm_run *run)
{
    switch (run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        return VCPU_POWEROFF;
    case KVM_SYSTEM_EVENT_RESET:
        return VCPU_RESET;
    default:
        fprintf(stderr, "vmon: vCPU %d: system event %u (guest crash)\n", v->id,
                run->system_event.type);
        return VCPU_CRASH;
    }
}

static int handle_internal_error(struct vcpu *v, struct kvm_run *run)
{
    static const char *const kinds[] = {
        [KVM_INTERNAL_ERROR_EMULATION] = "instruction emulation failed",
        [KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
        [KVM_INTERNAL_ERROR_DELIVERY_EV] = "exit while delivering an event",
    };
    uint32_t sub = run->internal.suberror;
    const char *what = sub < sizeof(kinds) / sizeof(kinds[0]) && kinds[sub] ? kinds[sub] : "internal error";
    fprintf(stderr, "vmon: vCPU %d: KVM internal error %u: %s", v->id, sub, what);
    for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++)
        fprintf(stderr, "%s%" PRIx64, i ? " " : " (data ", (uint64_t)run->internal.data[i]);
    fprintf(stderr, "%s\n", run->internal.ndata ? ")" : "");
    return VCPU_CRASH;
}

int kvm_handle_exit(struct vcpu *v, struct kvm_run *run)
{
    struct vm *vm = v->vm;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        return handle_io(vm, run);
    case KVM_EXIT_MMIO:
        return handle_mmio(vm, run);
    case KVM_EXIT_HLT:
        /* With the in-kernel LAPIC, HLT sleeps in the kernel; this exit only follows a halt the
         * kernel declined to handle. Resuming continues after the hlt. */
        vm_count_exit(vm, EXIT_HLT, 0);
        return VCPU_CONTINUE;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        vm_count_exit(vm, EXIT_IRQ_WINDOW, 0);
        return VCPU_CONTINUE;
    case KVM_EXIT_INTR:
        vm_count_exit(vm, EXIT_INTR, 0);
        return VCPU_CONTINUE;
    case KVM_EXIT_SHUTDOWN:
        vm_count_exit(vm, EXIT_SHUTDOWN, 0);
        fprintf(stderr, "vmon: vCPU %d: triple fault (guest crash)\n", v->id);
        return VCPU_CRASH;
    case KVM_EXIT_SYSTEM_EVENT:
        vm_count_exit(vm, EXIT_SYSTEM_EVENT, 0);
        return handle_system_event(v, run);
    case KVM_EXIT_DEBUG:       /* the host debugger's (KVM_SET_GUEST_DEBUG): the VM pauses */
        vm_count_exit(vm, EXIT_OTHER, 0);
        return kvm_debug_exit(v, run);
    case KVM_EXIT_INTERNAL_ERROR:
        vm_count_exit(vm, EXIT_INTERNAL_ERROR, 0);
        return handle_internal_error(v, run);
    case KVM_EXIT_FAIL_ENTRY:
        vm_count_exit(vm, EXIT_OTHER, 0);
        fprintf(stderr, "vmon: vCPU %d: VM entry failed, hardware reason 0x%" PRIx64 "\n", v->id,
                (uint64_t)run->fail_entry.hardware_entry_failure_reason);
        return VCPU_CRASH;
    default:
        vm_count_exit(vm, EXIT_OTHER, 0);
        fprintf(stderr, "vmon: vCPU %d: unexpected KVM exit %u\n", v->id, run->exit_reason);
        return VCPU_CRASH;
    }
}
