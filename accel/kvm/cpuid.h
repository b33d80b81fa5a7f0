/* The CPU model, topology and --cpu-features edits applied to KVM's supported CPUID table. */
#ifndef VMON_ACCEL_KVM_CPUID_H
#define VMON_ACCEL_KVM_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "accel/cpu-model.h"
#include "accel/cpuid.h"

struct kvm_cpuid_entry2;
struct kvm_cpuid2;

/* The feature words a table holds. */
void cpuid_words_of(const struct kvm_cpuid_entry2 *e, int n, uint32_t have[CPU_WORDS]);
/* A new table (calloc'd; the caller frees both): KVM's filtered by src->model (for max and host,
 * src->model->vendor is the host's and only the topology changes), with the topology leaves of
 * src->topo: 0xB, 0x1F (Intel), 0x8000001E (AMD with TopoExt), leaf 4 for a named Intel model and
 * 0x8000001D for a named AMD one. src->have is not used. NULL when out of memory. */
#define CPUID_MODEL_EXTRA 32
struct kvm_cpuid2 *cpuid_apply_model(const struct kvm_cpuid2 *kvm, const struct cpuid_src *src);

/* Apply edits to a CPUID table; -ENOTSUP with err set when an enabled feature is not in the table
 * (KVM cannot offer it). */
int cpuid_apply(struct kvm_cpuid_entry2 *e, int n, const struct cpuid_edit *edits, int nedits,
                char *err, size_t errlen);
/* Per-vCPU fields for src->apic_id: the initial APIC id in leaf 1, leaves 0xB/0x1F/0x8000001E. */
void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, int n, const struct cpuid_src *src);

#endif
