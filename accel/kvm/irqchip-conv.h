/* accel/kvm/irqchip-conv.c: the kernel's irqchip state as the device models' (hw/), for snapshots. */
#ifndef VMON_ACCEL_KVM_IRQCHIP_CONV_H
#define VMON_ACCEL_KVM_IRQCHIP_CONV_H

#include <linux/kvm.h>

#include "hw/apic.h"
#include "hw/ioapic.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "util/tsc.h"

/* A clock whose timers never fire, and what scratch models hang on it. */
struct kvm_scratch {
    int dummy;                 /* what idle_new hands out as a timer */
    struct plat_clock clk;
    struct tsc tsc;
    struct apic_bus bus;
};
void kvm_scratch_init(struct kvm_scratch *s);
/* A LAPIC not on any bus's list, its timer the scratch clock's. */
void kvm_scratch_lapic(struct lapic *l, struct kvm_scratch *s);

void kvm_pic_from_kvm(struct pic_chip *c, const struct kvm_pic_state *k);
void kvm_pic_to_kvm(const struct pic_chip *c, struct kvm_pic_state *k);
void kvm_ioapic_from_kvm(struct ioapic *io, const struct kvm_ioapic_state *k);
void kvm_ioapic_to_kvm(const struct ioapic *io, struct kvm_ioapic_state *k);
/* The programmed state; a channel's count restarts at KVM_SET_PIT2. */
void kvm_pit_from_kvm(struct pit *p, const struct kvm_pit_state2 *k);
void kvm_pit_to_kvm(const struct pit *p, struct kvm_pit_state2 *k);
/* apic_base from the vCPU's sregs; the timer's progress from its current count (KVM's 1 GHz bus). */
void kvm_lapic_from_kvm(struct lapic *l, const struct kvm_lapic_state *k, uint64_t apic_base, uint64_t now);
void kvm_lapic_to_kvm(const struct lapic *l, struct kvm_lapic_state *k);

#endif
