/* CPUID of the software CPU (SDM vol. 2, CPUID): the named model (accel/cpu-model.h) and -smp
 * topology (accel/cpuid.c), restricted to what this CPU implements: x86-64 with SSE..SSE4.2,
 * POPCNT, CX16, NX, RDTSCP, FXSR, 1 GiB pages, 5-level paging, FSGSBASE, protection keys (PKU), LAHF/SAHF and LZCNT in 64-bit mode, the
 * speculation-control MSRs, TSC-deadline (the LAPIC has it) and the hypervisor bit. Around the model:
 * an invariant TSC at a stated frequency (leaves 0x15/0x16 on Intel models, 0x80000007) and vmon's
 * hypervisor signature leaf. A model feature outside that set is left out (soft.c says which, once);
 * +feat asking for one is refused (cpuid_check_edits). */
#include "accel/cpu-model.h"
#include "accel/cpuid.h"
#include "accel/soft/cpu.h"
#include "util/tsc.h"

#include <errno.h>
#include <stdio.h>

/* What the software CPU implements, per accel/cpu-model.h word. Leaf 1 EDX: FPU PSE TSC MSR PAE
 * CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2; ECX: SSE3 SSSE3 CX16 SSE4.1 SSE4.2
 * x2APIC POPCNT TSC-deadline hypervisor (x2APIC: the userspace LAPIC's, hw/apic-x2.c). Leaf 7 EBX: FSGSBASE; ECX: PKU (OSPKE follows CR4.PKE), LA57; EDX: IBRS/IBPB, STIBP, ARCH_CAPABILITIES
 * (msr.c). 0x80000001 EDX: SYSCALL NX Page1GB RDTSCP LM; ECX: LAHF/SAHF, ABM (lzcnt), and TopoExt
 * on AMD models (its leaves are accel/cpuid.c's). */
static const uint32_t soft_have[CPU_WORDS] = {
    [CPU_W1_EDX] = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) |
                   (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 17) | (1u << 19) |
                   (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26),
    [CPU_W1_ECX] = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | CPUID_1_ECX_X2APIC |
                   (1u << 23) | (1u << 24) | (1u << 31),
    [CPU_W7_EBX] = 1u << 0,
    [CPU_W7_ECX] = CPUID_7_ECX_PKU | CPUID_7_ECX_LA57,
    [CPU_W7_EDX] = (1u << 26) | (1u << 27) | (1u << 29),
    [CPU_WX1_EDX] = (1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29),
    [CPU_WX1_ECX] = (1u << 0) | (1u << 5),
};
#define TOPOEXT_BIT (1u << 22)

void cpuid_soft_have(enum cpu_vendor v, uint32_t have[CPU_WORDS])
{
    memcpy(have, soft_have, sizeof(soft_have));
    if (v == CPU_VENDOR_AMD)
        have[CPU_WX1_ECX] |= TOPOEXT_BIT;
}

static void cpuid_model(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

void cpuid_query(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    cpuid_model(c, leaf, sub, out);
    /* --cpu-features: hide (or keep) the named bits, as the KVM accelerator does. */
    for (int k = 0; k < c->ncpuid_edits; k++) {
        const struct cpu_feature *f = c->cpuid_edits[k].feature;
        if (f->leaf != leaf || ((leaf == 7 || leaf == 0xd) && f->subleaf != sub))
            continue;
        if (c->cpuid_edits[k].enable)
            out[f->reg] |= 1u << f->bit;
        else
            out[f->reg] &= ~(1u << f->bit);
    }
    /* The linear-address width follows 5-level paging as the guest sees it, edits included: a CPU
     * with LA57 reports 57 bits (SDM vol. 2A, CPUID 80000008H EAX[15:8]). Linux takes its canonical
     * form from this width (x86_virt_bits): at 48 its own 5-level direct map at 0xff11... fails
     * copy_from_kernel_nofault, and d_path() then writes names as 'x's. */
    if (leaf == 0x80000008) {
        uint32_t l7[4];
        cpuid_query(c, 7, 0, l7);
        out[0] = (out[0] & ~0xff00u) | ((l7[2] & CPUID_7_ECX_LA57) ? 57u : 48u) << 8;
    }
}

/* Is every feature the edits enable one this CPU implements? */
int cpuid_check_edits(const struct cpuid_edit *edits, int n, char *err, size_t errlen)
{
    uint32_t have[CPU_WORDS];
    cpuid_soft_have(CPU_VENDOR_AMD, have);
    for (int k = 0; k < n; k++) {
        const struct cpu_feature *f = edits[k].feature;
        int w = cpu_word_of(f->leaf, f->subleaf, f->reg);
        if (edits[k].enable && (w < 0 || !(have[w] & (1u << f->bit)))) {
            snprintf(err, errlen, "--cpu-features: the software CPU does not implement '%s'", f->name);
            return -ENOTSUP;
        }
    }
    return 0;
}

static void cpuid_model(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    struct cpu_model def;
    const struct cpu_model *m = c->model;
    if (!m) {
        cpu_model_default(c->vendor, &def);
        m = &def;
    }
    static const struct cpu_topology one = { 1, 1, 1 };
    uint32_t have[CPU_WORDS];
    cpuid_soft_have(m->vendor, have);
    struct cpuid_src src = { m, c->topo ? c->topo : &one, c->apic_id, have };
    cpuid_model_leaf(&src, leaf, sub, out);
    bool intel_tsc = m->vendor == CPU_VENDOR_INTEL && leaf <= m->level;
    switch (leaf) {
    case 0x15:   /* TSC = crystal * ebx / eax; the crystal also clocks the LAPIC timer */
        if (intel_tsc) {
            out[0] = 1;
            out[1] = (uint32_t)(TSC_DEFAULT_HZ / TSC_CRYSTAL_HZ);
            out[2] = (uint32_t)TSC_CRYSTAL_HZ;
        }
        break;
    case 0x16:
        if (intel_tsc) {
            out[0] = out[1] = (uint32_t)(TSC_DEFAULT_HZ / 1000000);
            out[2] = (uint32_t)(TSC_CRYSTAL_HZ / 1000000);
        }
        break;
    case 7:   /* OSPKE mirrors CR4.PKE */
        if (sub == 0 && (c->cr4 & CR4_PKE))
            out[2] |= CPUID_7_ECX_OSPKE;
        break;
    case 0x40000000:
        if (pv_cpuid(c, leaf, out))
            break;
        out[0] = 0x40000000;
        memcpy(&out[1], "vmon", 4);
        memcpy(&out[2], "soft", 4);
        memcpy(&out[3], "cpu ", 4);
        break;
    case 0x40000001:
        pv_cpuid(c, leaf, out);
        break;
    case 0x80000007:
        out[3] = 1u << 8;                     /* invariant TSC */
        break;
    default:
        break;
    }
}
