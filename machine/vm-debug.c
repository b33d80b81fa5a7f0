/* What the host debugger (gdbstub/) asks of the machine: a vCPU that stops for it pauses the whole VM
 * (as QEMU's gdbstub stops every CPU: all-stop mode, GDB manual "All-Stop Mode"), registers and FPU
 * state of parked vCPUs, the accelerator's guest-debug controls, and guest RAM by physical address
 * (writes tell the accelerator, whose translated code may come from the bytes written). */
#include "machine/vm.h"

#include <errno.h>
#include <string.h>

void vm_debug_stop(struct vcpu *v)
{
    struct vm *vm = v->vm;
    bool first = false;
    pthread_mutex_lock(&vm->pause_lock);
    if (!vm_ended(vm) && atomic_load(&vm->run_state) == VM_STATE_RUNNING) {
        atomic_store(&vm->run_state, VM_STATE_PAUSED);
        atomic_store(&vm->leave, 1);
        vm_kick_all(vm);
        first = true;
    }
    pthread_mutex_unlock(&vm->pause_lock);
    /* A second vCPU stopping in the same moment finds the VM paused: only the first is reported
     * (a breakpoint the other sat on is hit again when it resumes). */
    if (first && vm->debugger.stopped)
        vm->debugger.stopped(vm->debugger.opaque, v->id);
}

bool vm_wait_parked(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    while (vm->parked < vm_started_cpus(vm) && !vm_ended(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    bool ok = !vm_ended(vm);
    pthread_mutex_unlock(&vm->pause_lock);
    return ok;
}

static struct vcpu *vcpu_at(struct vm *vm, int idx)
{
    return idx >= 0 && idx < vm->ncpus ? &vm->vcpus[idx] : NULL;
}

int vm_set_cpu_state(struct vm *vm, int idx, const struct cpu_state *s)
{
    struct vcpu *v = vcpu_at(vm, idx);
    if (!v)
        return -EINVAL;
    return vm->accel->set_state ? vm->accel->set_state(v, s) : -ENOTSUP;
}

int vm_get_fpu(struct vm *vm, int idx, struct fpu_state *f)
{
    struct vcpu *v = vcpu_at(vm, idx);
    if (!v)
        return -EINVAL;
    memset(f, 0, sizeof(*f));
    return vm->accel->get_fpu ? vm->accel->get_fpu(v, f) : -ENOTSUP;
}

int vm_set_fpu(struct vm *vm, int idx, const struct fpu_state *f)
{
    struct vcpu *v = vcpu_at(vm, idx);
    if (!v)
        return -EINVAL;
    return vm->accel->set_fpu ? vm->accel->set_fpu(v, f) : -ENOTSUP;
}

int vm_set_debug(struct vm *vm, int idx, const struct vcpu_debug *d)
{
    struct vcpu *v = vcpu_at(vm, idx);
    if (!v)
        return -EINVAL;
    return vm->accel->set_debug ? vm->accel->set_debug(v, d) : -ENOTSUP;
}

int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, uint64_t len)
{
    return guest_mem_read(&vm->mem, gpa, buf, len);
}

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, uint64_t len)
{
    int r = guest_mem_write(&vm->mem, gpa, buf, len);
    if (r == 0 && vm->accel->mem_written)
        vm->accel->mem_written(vm, gpa, len);
    return r;
}
