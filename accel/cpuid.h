/* CPUID as a model and a topology define it, for either accelerator (accel/cpu-model.h). */
#ifndef VMON_ACCEL_CPUID_H
#define VMON_ACCEL_CPUID_H

#include <stdint.h>

#include "accel/cpu-model.h"

struct cpuid_src {
    const struct cpu_model *model;
    const struct cpu_topology *topo;
    uint32_t apic_id;          /* of the CPU that asks */
    const uint32_t *have;      /* the accelerator's features, one word per enum cpu_word */
};

/* Feature word w as the guest sees it: the model's features the accelerator has (all it has for
 * max and host). The topology bits (HT, CmpLegacy) are cpuid_model_leaf's. */
uint32_t cpuid_model_word(const struct cpuid_src *s, enum cpu_word w);
/* One leaf: vendor, signature, features, caches (leaves 4, 0x80000005/6, 0x8000001D), topology
 * (leaves 1 EBX, 0xB, 0x1F, 0x8000001E, 0x80000008 ECX) and brand. Leaves the model does not define
 * read as zeros. */
void cpuid_model_leaf(const struct cpuid_src *s, uint32_t leaf, uint32_t sub, uint32_t out[4]);

#endif
