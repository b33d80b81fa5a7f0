/* What machine/vm.c shares with machine/reset.c and machine/snapshot.c only (not for other folders). */
#ifndef VMON_MACHINE_VM_INT_H
#define VMON_MACHINE_VM_INT_H

#include "machine/vm.h"

void vm_emit(struct vm *vm, enum vm_event ev, int reason);   /* to every listener */
void vm_kick_all(struct vm *vm);                             /* every started vCPU leaves its loop */
bool vm_ended(struct vm *vm);                                /* a stop reason is set */
int vm_started_cpus(struct vm *vm);
/* On the main thread (vm_run) after vm_reset: wait for every vCPU to park, reset, resume. */
void vm_do_reset(struct vm *vm);
/* vm_pause / vm_resume without the STOP / RESUME events (a snapshot, a register read). */
int vm_pause_quiet(struct vm *vm);
int vm_resume_quiet(struct vm *vm);

#endif
