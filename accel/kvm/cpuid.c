/* --cpu-features under KVM: the edits (accel/cpu-model.h names them) made to the table KVM reports in
 * KVM_GET_SUPPORTED_CPUID before it is given to each vCPU with KVM_SET_CPUID2 (Intel SDM vol. 2A,
 * CPUID). */
#include "accel/kvm/cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, enum cpuid_reg r)
{
    switch (r) {
    case CPUID_EAX: return &e->eax;
    case CPUID_EBX: return &e->ebx;
    case CPUID_ECX: return &e->ecx;
    default: return &e->edx;
    }
}

static struct kvm_cpuid_entry2 *entry(struct kvm_cpuid_entry2 *e, int n, uint32_t leaf, uint32_t sub)
{
    for (int i = 0; i < n; i++) {
        bool indexed = e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        if (e[i].function == leaf && (!indexed || e[i].index == sub))
            return &e[i];
    }
    return NULL;
}

int cpuid_apply(struct kvm_cpuid_entry2 *e, int n, const struct cpuid_edit *edits, int nedits,
                char *err, size_t errlen)
{
    for (int i = 0; i < nedits; i++) {
        const struct cpu_feature *f = edits[i].feature;
        struct kvm_cpuid_entry2 *ent = entry(e, n, f->leaf, f->subleaf);
        uint32_t *reg = ent ? reg_of(ent, f->reg) : NULL;
        if (edits[i].enable) {
            if (!reg || !(*reg & (1u << f->bit))) {
                snprintf(err, errlen, "CPU feature '%s' is not available under KVM here", f->name);
                return -ENOTSUP;
            }
        } else if (reg) {
            *reg &= ~(1u << f->bit);
        }
    }
    return 0;
}

void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, int n, uint32_t apic_id)
{
    for (int i = 0; i < n; i++) {
        if (e[i].function == 1)
            e[i].ebx = (e[i].ebx & 0x00ffffffu) | (apic_id << 24);
        else if (e[i].function == 0xb || e[i].function == 0x1f)
            e[i].edx = apic_id;
    }
}
