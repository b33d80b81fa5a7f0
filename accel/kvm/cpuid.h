/* CPUID feature names for --cpu-features, and their edits to KVM's supported CPUID table. */
#ifndef VMON_ACCEL_KVM_CPUID_H
#define VMON_ACCEL_KVM_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid_entry2;

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpu_feature {
    const char *name;          /* Linux /proc/cpuinfo spelling; '-', '_' and '.' compare equal */
    uint32_t leaf, subleaf;
    enum cpuid_reg reg;
    uint8_t bit;
};

#define CPUID_MAX_EDITS 64

struct cpuid_edit {
    const struct cpu_feature *feature;
    bool enable;               /* "+name" or "name": require it; "-name": hide it */
};

/* Parse "-cx16,-xsave,+x2apic"; returns the number of edits, or -EINVAL with err set
 * ("unknown CPU feature 'foo'"). A NULL or empty spec has no edits. */
int cpuid_parse_features(const char *spec, struct cpuid_edit *edits, int max, char *err, size_t errlen);
/* Apply edits to a CPUID table; -ENOTSUP with err set when an enabled feature is not in the table
 * (KVM cannot offer it). */
int cpuid_apply(struct kvm_cpuid_entry2 *e, int n, const struct cpuid_edit *edits, int nedits,
                char *err, size_t errlen);
/* Per-vCPU fields: the initial APIC id in leaf 1 and the x2APIC id in leaves 0xB/0x1F. */
void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, int n, uint32_t apic_id);

#endif
