/* The CPU model under KVM: the table KVM reports in KVM_GET_SUPPORTED_CPUID filtered by the named model
 * (vendor, signature, brand, caches, features KVM has), the -smp topology's leaves (accel/cpuid.c),
 * and --cpu-features edits (accel/cpu-model.h names them), before it is given to each vCPU with
 * KVM_SET_CPUID2 with that vCPU's APIC id (Intel SDM vol. 2A, CPUID; QEMU target/i386/kvm/kvm.c). */
#include "accel/kvm/cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
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

void cpuid_words_of(const struct kvm_cpuid_entry2 *e, int n, uint32_t have[CPU_WORDS])
{
    for (int w = 0; w < CPU_WORDS; w++) {
        const struct kvm_cpuid_entry2 *ent = entry((struct kvm_cpuid_entry2 *)e, n, cpu_words[w].leaf,
                                                   cpu_words[w].subleaf);
        have[w] = ent ? *reg_of((struct kvm_cpuid_entry2 *)ent, cpu_words[w].reg) : 0;
    }
}

/* Leaves whose every subleaf the model and topology define: KVM's entries give way to ours. */
static bool replaced(const struct cpuid_src *s, uint32_t fn)
{
    if (fn == 0xb || fn == 0x1f || fn == 0x8000001e)
        return true;
    return !s->model->all && (fn == 4 || fn == 0x8000001d);
}

/* A named model: the vendor, signature, brand and caches are the model's, its features those KVM
 * has too, the highest leaves no higher than KVM's. */
static void model_entry(const struct cpuid_src *s, struct kvm_cpuid_entry2 *e)
{
    const struct cpu_model *m = s->model;
    uint32_t out[4];
    for (int w = 0; w < CPU_WORDS; w++)
        if (cpu_words[w].leaf == e->function && cpu_words[w].subleaf == e->index)
            *reg_of(e, cpu_words[w].reg) &= m->words[w];
    cpuid_model_leaf(s, e->function, e->index, out);
    switch (e->function) {
    case 0: case 0x80000000: {
        uint32_t max = e->eax;
        e->eax = max < out[0] ? max : out[0];
        e->ebx = out[1], e->ecx = out[2], e->edx = out[3];
        break;
    }
    case 1:
        e->eax = out[0];
        break;
    case 0x80000001:
        e->eax = out[0];
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: case 0x80000005: case 0x80000006:
        e->eax = out[0], e->ebx = out[1], e->ecx = out[2], e->edx = out[3];
        break;
    default:
        break;
    }
}

/* The topology fields of leaves KVM keeps (SDM vol. 2A, leaves 01H and 04H; APM Fn8000_0008). */
static void topology_entry(const struct cpuid_src *s, struct kvm_cpuid_entry2 *e)
{
    unsigned tb = cpu_topo_thread_bits(s->topo), cb = cpu_topo_core_bits(s->topo);
    uint32_t logical = s->topo->cores * s->topo->threads, out[4];
    if (e->function == 1) {
        e->ebx = (e->ebx & ~0x00ff0000u) | (logical & 0xff) << 16;
        e->edx = logical > 1 ? e->edx | (1u << 28) : e->edx & ~(1u << 28);
    } else if (e->function == 4 && (e->eax & 0x1f)) {
        uint32_t share = ((e->eax >> 5) & 7) == 3 ? (1u << (tb + cb)) - 1 : (1u << tb) - 1;
        e->eax = (e->eax & 0x3fffu) | share << 14 | ((1u << cb) - 1) << 26;
    } else if (e->function == 0x80000008 && s->model->vendor == CPU_VENDOR_AMD) {
        cpuid_model_leaf(s, e->function, 0, out);
        e->ecx = out[2];
    }
}

static void append(struct kvm_cpuid2 *t, const struct cpuid_src *s, uint32_t fn, uint32_t nsub)
{
    for (uint32_t sub = 0; sub < nsub; sub++) {
        struct kvm_cpuid_entry2 *e = &t->entries[t->nent++];
        uint32_t out[4];
        cpuid_model_leaf(s, fn, sub, out);
        *e = (struct kvm_cpuid_entry2){ .function = fn, .index = sub,
                                        .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
                                        .eax = out[0], .ebx = out[1], .ecx = out[2], .edx = out[3] };
    }
}

struct kvm_cpuid2 *cpuid_apply_model(const struct kvm_cpuid2 *kvm, const struct cpuid_src *src)
{
    struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + (kvm->nent + CPUID_MODEL_EXTRA) * sizeof(t->entries[0]));
    if (!t)
        return NULL;
    uint32_t have[CPU_WORDS];
    cpuid_words_of(kvm->entries, (int)kvm->nent, have);
    struct cpuid_src s = *src;
    s.have = have;
    for (uint32_t i = 0; i < kvm->nent; i++) {
        if (replaced(&s, kvm->entries[i].function))
            continue;
        if (s.model->kvm_pv == CPU_PV_OFF && (kvm->entries[i].function >> 8) == 0x400000)
            continue;          /* kvm=off: no KVM signature, so the guest takes no paravirt path */
        struct kvm_cpuid_entry2 *e = &t->entries[t->nent++];
        *e = kvm->entries[i];
        if (!s.model->all)
            model_entry(&s, e);
        topology_entry(&s, e);
    }
    cpuid_words_of(t->entries, (int)t->nent, have);   /* what the guest gets, for the topoext check */
    const struct kvm_cpuid_entry2 *l0 = entry(t->entries, (int)t->nent, 0, 0);
    const struct kvm_cpuid_entry2 *x0 = entry(t->entries, (int)t->nent, 0x80000000, 0);
    uint32_t level = l0 ? l0->eax : 0, xlevel = x0 ? x0->eax : 0;
    bool intel = s.model->vendor == CPU_VENDOR_INTEL;
    bool topoext = !intel && (have[CPU_WX1_ECX] & (1u << 22)) && xlevel >= 0x8000001e;
    if (!s.model->all && intel && level >= 4)
        append(t, &s, 4, 5);
    if (!s.model->all && topoext)
        append(t, &s, 0x8000001d, 5);
    if (level >= 0xb)
        append(t, &s, 0xb, 3);
    if (intel && level >= 0x1f)
        append(t, &s, 0x1f, 3);
    if (topoext)
        append(t, &s, 0x8000001e, 1);
    return t;
}

void cpuid_set_apic_id(struct kvm_cpuid_entry2 *e, int n, const struct cpuid_src *s)
{
    uint32_t have[CPU_WORDS], out[4];
    cpuid_words_of(e, n, have);
    struct cpuid_src x = *s;
    x.have = have;
    for (int i = 0; i < n; i++) {
        if (e[i].function == 1) {
            e[i].ebx = (e[i].ebx & 0x00ffffffu) | (s->apic_id << 24);
        } else if (e[i].function == 0xb || e[i].function == 0x1f || e[i].function == 0x8000001e) {
            cpuid_model_leaf(&x, e[i].function, e[i].index, out);
            e[i].eax = out[0], e[i].ebx = out[1], e[i].ecx = out[2], e[i].edx = out[3];
        }
    }
}
