/* The PC platform vmon provides itself when the accelerator has no in-kernel irqchip (KVM has):
 * local APIC per vCPU, IOAPIC, 8259 PIC pair, 8254 PIT, HPET, and the guest TSC.
 *
 * Wiring, as on a PC: ISA IRQ n goes to PIC input n and IOAPIC pin n, except IRQ0 (the PIT), which
 * goes to IOAPIC pin 2 (the MADT's interrupt source override), pin 0 being the PIC's INTR output.
 * The PIC's INTR also reaches every LAPIC's LINT0 (the BSP's is in ExtINT mode at reset). GSIs 16-23
 * are IOAPIC pins only. In the HPET's legacy replacement mode its timers 0 and 1 own IRQ0 and IRQ8,
 * and what the PIT and the RTC drive there is cut off; otherwise its timers use GSIs 16-23. Lock order: pit, hpet (released first) -> pic -> ioapic -> lapic
 * (see hw/apic.h). */
#ifndef VMON_MACHINE_PC_SOFT_H
#define VMON_MACHINE_PC_SOFT_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct pc_soft;

/* Create and map the interrupt controllers and timers, and give each vCPU its LAPIC and the TSC
 * (struct vcpu's lapic and tsc). Device timers run on vm->loop, which must exist (it need not be
 * started yet). NULL with errno set. */
struct pc_soft *pc_soft_new(struct vm *vm);
/* After the vCPUs and the event loop have stopped. */
void pc_soft_free(struct pc_soft *ps);
void pc_soft_reset(struct pc_soft *ps);   /* a machine reset, vCPUs parked */
/* Drive an ISA IRQ (0-15) or GSI (16-23) line. Any thread. */
void pc_soft_set_irq(struct pc_soft *ps, unsigned gsi, int level);

/* Deliver an MSI (address 0xfeexxxxx, data: vector, delivery and trigger mode; Intel SDM vol. 3A
 * 10.11) to the LAPICs it addresses: fixed, lowest-priority and NMI messages (what OSes program);
 * SMI, INIT and ExtINT ones, and writes outside the window, are dropped. Any thread. */
void pc_soft_msi(struct pc_soft *ps, uint64_t addr, uint32_t data);

/* Snapshots (machine/pc-state.c): the platform clock, PIC, IOAPIC, PIT, HPET and every LAPIC, each in
 * its own section. pc_soft_load before the VM runs: 0, or -EINVAL with err naming the device. */
struct vms_writer;
struct vms_index;
void pc_soft_save(struct pc_soft *ps, struct vms_writer *w);
int pc_soft_load(struct pc_soft *ps, struct vms_index *idx, char *err, size_t errlen);

#endif
