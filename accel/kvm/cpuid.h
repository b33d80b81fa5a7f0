/* --cpu-features' edits to KVM's supported CPUID table (the names: accel/cpu-model.h). */
#ifndef VMON_ACCEL_KVM_CPUID_H
#define VMON_ACCEL_KVM_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/cpu-model.h"

struct kvm_cpuid_entry2;

/* Apply edits to a CPUID table; -ENOTSUP with err set when an enabled feature is not in the table
 * (KVM cannot offer it). */
int cpuid_apply(struct kvm_cpuid_entry2 *e, int n, const struct cpuid_edit *edits, int nedits,
                char *err, size_t errlen);
/* Per-vCPU fields: the initial APIC id in leaf 1 and the x2APIC id in leaves 0xB/0x1F. */
void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, int n, uint32_t apic_id);

#endif
