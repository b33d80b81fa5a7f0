/* The PC platform vmon provides itself when the software CPU runs the guest (KVM has it in-kernel):
 * local APIC per vCPU, IOAPIC, 8259 PIC pair, 8254 PIT, HPET. */
#ifndef VMON_HW_PC_SOFT_H
#define VMON_HW_PC_SOFT_H

struct vm;

/* Create and map the interrupt controllers and timers; sets vm->vcpus[i].lapic. 0 or -errno. */
int pc_soft_platform_init(struct vm *vm);
void pc_soft_platform_destroy(struct vm *vm);
/* Drive an ISA/GSI line (routed to both the PIC and the IOAPIC, as on a PC). */
void pc_soft_set_irq(struct vm *vm, unsigned gsi, int level);

#endif
