/* A machine reset in place (QEMU's qemu_system_reset_request / qemu_system_reset): any thread asks
 * (vm_reset), every vCPU is parked at once, the main thread (vm_run) resets the devices, loads the
 * kernel again and takes each vCPU to its reset state, then sends RESET and lets them go. Under
 * -no-reboot the request ends the VM instead, with SHUTDOWN and the reset's cause.
 * Locks: pause_lock (with pause_cond) for the run state, then stop_lock to wake the main thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"
#include "machine/vm-int.h"

int vm_reset(struct vm *vm, enum vm_cause cause)
{
    if (vm->cfg.no_reboot) {   /* QEMU's -no-reboot: the reset request becomes the shutdown */
        if (vm_ended(vm))
            return -ESHUTDOWN;
        vm_shutdown(vm, VCPU_RESET, 0, cause);
        return 0;
    }
    pthread_mutex_lock(&vm->pause_lock);
    int r = 0;
    if (vm_ended(vm)) {
        r = -ESHUTDOWN;
    } else if (!atomic_load(&vm->reset_cause)) {   /* a second request joins the pending one */
        vm->resume_after_reset = atomic_load(&vm->run_state) == VM_STATE_RUNNING;
        atomic_store(&vm->run_state, VM_STATE_PAUSED);
        atomic_store(&vm->leave, 1);
        atomic_store(&vm->reset_cause, (int)cause);
        vm_kick_all(vm);
    }
    pthread_mutex_unlock(&vm->pause_lock);
    if (r == 0) {
        pthread_mutex_lock(&vm->stop_lock);
        pthread_cond_broadcast(&vm->stop_cond);
        pthread_mutex_unlock(&vm->stop_lock);
    }
    return r;
}

/* The machine back to its reset state, vCPUs parked (QEMU's qemu_system_reset): the accelerator's
 * own devices, the board's, the kernel and tables loaded again from their files (direct boot has no
 * firmware to do it; RAM is otherwise kept, as on QEMU), then every vCPU. */
static int vm_reset_machine(struct vm *vm, char *err, size_t errlen)
{
    int r = vm->accel->vm_reset ? vm->accel->vm_reset(vm) : 0;
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", vm->accel->name, strerror(-r));
        return r;
    }
    if (vm->board && vm->board->reset)
        vm->board->reset(vm);
    if (vm->cfg.kernel && boot_load(vm, err, errlen) < 0)
        return -EIO;
    if (!vm->cfg.kernel && vm->mem.rom.size && firmware_reset(vm, err, errlen) < 0)
        return -EIO;
    for (int i = 0; i < vm->ncpus && vm->accel->vcpu_reset; i++) {
        if ((r = vm->accel->vcpu_reset(&vm->vcpus[i])) < 0) {
            snprintf(err, errlen, "%s: vCPU %d: %s", vm->accel->name, i, strerror(-r));
            return r;
        }
    }
    return 0;
}

/* On the main thread, for vm_reset: wait until every vCPU is parked, reset, let them go. */
void vm_do_reset(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    while (vm->parked < vm_started_cpus(vm) && !vm_ended(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    int cause = atomic_load(&vm->reset_cause);
    char err[512] = "";
    int r = vm_ended(vm) ? 0 : vm_reset_machine(vm, err, sizeof(err));
    if (r == 0 && !vm_ended(vm) && vm->resume_after_reset) {
        atomic_store(&vm->run_state, VM_STATE_RUNNING);
        atomic_store(&vm->leave, 0);
    }
    atomic_store(&vm->reset_cause, 0);
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->pause_lock);
    if (r < 0) {
        fprintf(stderr, "vmon: reset: %s\n", err);
        vm_shutdown(vm, VCPU_CRASH, 1, VM_CAUSE_HOST_ERROR);
    } else if (!vm_ended(vm)) {
        vm_emit(vm, VM_EVENT_RESET, cause);
    }
}

