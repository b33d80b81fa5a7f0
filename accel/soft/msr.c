/* Model-specific registers the software CPU implements (SDM vol. 4): the ones Linux touches on its
 * way to a shell. Unknown MSRs #GP, which Linux's rdmsr_safe/wrmsr_safe probes expect. */
#include <time.h>

#include "accel/soft/cpu.h"

#define MSR_TSC              0x10
#define MSR_PLATFORM_ID      0x17   /* read-only; OVMF's microcode lookup reads it on Intel */
#define MSR_APIC_BASE        0x1b
#define MSR_FEATURE_CONTROL  0x3a
#define MSR_TSC_ADJUST       0x3b
#define MSR_SPEC_CTRL        0x48
#define MSR_PRED_CMD         0x49
#define MSR_BIOS_SIGN        0x8b
#define MSR_ARCH_CAPABILITIES 0x10a
/* An interpreter does not speculate: it has none of the transient-execution bugs, and says so
 * (SDM vol. 4, IA32_ARCH_CAPABILITIES): RDCL_NO (Meltdown), IBRS_ALL (enhanced IBRS: SPEC_CTRL is
 * kept but has nothing to restrain, so the guest need not use retpolines), SSB_NO, MDS_NO,
 * PSCHANGE_MC_NO, TAA_NO,
 * SBDR/FBSDP/PSDP_NO (MMIO stale data), BHI_NO, GDS_NO, RFDS_NO, ITS_NO (indirect target
 * selection, bit 62). A guest then skips page-table isolation and buffer clearing, which would cost
 * it dearly here; without ITS_NO, Linux 6.1 on the Skylake model this CPU reports patched its ~4000
 * indirect-branch sites at boot through set_memory_rw/ro, two global TLB flushes each (16 K CR4.PGE
 * writes per boot), and every one dropped the translator's chains and jump cache. */
#define ARCH_CAP_NO_BUGS ((1ull << 0) | (1ull << 1) | (1ull << 4) | (1ull << 5) | (1ull << 6) | (1ull << 8) | \
                          (1ull << 13) | (1ull << 14) | (1ull << 15) | (1ull << 20) | (1ull << 26) | \
                          (1ull << 27) | (1ull << 62))
#define MSR_SYSENTER_CS      0x174
#define MSR_SYSENTER_ESP     0x175
#define MSR_SYSENTER_EIP     0x176
#define MSR_MCG_CAP          0x179
#define MSR_MCG_STATUS       0x17a
#define MSR_MISC_ENABLE      0x1a0
#define MSR_PAT              0x277
#define MSR_TSC_DEADLINE     0x6e0
#define MSR_EFER             0xc0000080
#define MSR_STAR             0xc0000081
#define MSR_LSTAR            0xc0000082
#define MSR_CSTAR            0xc0000083
#define MSR_SFMASK           0xc0000084
#define MSR_FS_BASE          0xc0000100
#define MSR_GS_BASE          0xc0000101
#define MSR_KERNEL_GS_BASE   0xc0000102
#define MSR_TSC_AUX          0xc0000103

/* The TSC: the platform's (util/tsc.h), or 2 GHz of host monotonic time; CPUID 0x15/0x16 say so. */
uint64_t cpu_rdtsc(struct cpu *c)
{
    if (c->env->read_tsc)
        return c->env->read_tsc(c) + c->tsc_offset;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return ns * 2 + c->tsc_offset;
}

bool msr_read(struct cpu *c, uint32_t msr, uint64_t *val)
{
    if (c->env->msr_read && c->env->msr_read(c, msr, val))
        return true;
    if (pv_msr_read(c, msr, val))
        return true;
    switch (msr) {
    case MSR_TSC: *val = cpu_rdtsc(c); return true;
    case MSR_PLATFORM_ID: *val = 0; return true;          /* platform 0, as KVM reports */
    case MSR_APIC_BASE: *val = c->apic_base; return true;
    case MSR_FEATURE_CONTROL: *val = 1; return true;       /* locked, VMX off */
    case MSR_BIOS_SIGN: *val = 0; return true;
    case MSR_ARCH_CAPABILITIES: *val = ARCH_CAP_NO_BUGS; return true;
    case MSR_SPEC_CTRL: *val = c->spec_ctrl; return true;
    case MSR_SYSENTER_CS: *val = c->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *val = c->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *val = c->sysenter_eip; return true;
    case MSR_MCG_CAP: *val = 0; return true;
    case MSR_MCG_STATUS: *val = c->mcg_status; return true;
    case MSR_MISC_ENABLE: *val = c->misc_enable; return true;
    case MSR_PAT: *val = c->pat; return true;
    case MSR_TSC_DEADLINE: *val = c->tsc_deadline; return true;
    case MSR_EFER: *val = c->efer; return true;
    case MSR_STAR: *val = c->star; return true;
    case MSR_LSTAR: *val = c->lstar; return true;
    case MSR_CSTAR: *val = c->cstar; return true;
    case MSR_SFMASK: *val = c->sfmask; return true;
    case MSR_FS_BASE: *val = c->seg[SEG_FS].base; return true;
    case MSR_GS_BASE: *val = c->seg[SEG_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *val = c->kernel_gs_base; return true;
    case MSR_TSC_AUX: *val = c->tsc_aux; return true;
    default: return false;
    }
}

bool msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
    if (c->env->msr_write && c->env->msr_write(c, msr, v))
        return true;
    if (pv_msr_write(c, msr, v))
        return true;
    switch (msr) {
    case MSR_TSC: c->tsc_offset += v - cpu_rdtsc(c); return true;
    case MSR_APIC_BASE:
        if (v & 0xffffff00000002ffull)
            return false;
        c->apic_base = v;
        return true;
    case MSR_BIOS_SIGN: return true;
    case MSR_PRED_CMD: return (v & ~1ull) == 0;     /* IBPB: no predictor to flush */
    case MSR_SPEC_CTRL:
        if (v & ~7ull)                                 /* IBRS, STIBP, SSBD */
            return false;
        c->spec_ctrl = v;
        return true;
    case MSR_SYSENTER_CS: c->sysenter_cs = v & 0xffff; return true;
    case MSR_SYSENTER_ESP: if (!cpu_canonical(c, v)) return false; c->sysenter_esp = v; return true;
    case MSR_SYSENTER_EIP: if (!cpu_canonical(c, v)) return false; c->sysenter_eip = v; return true;
    case MSR_MCG_STATUS: c->mcg_status = v; return true;
    case MSR_MISC_ENABLE: c->misc_enable = v; return true;
    case MSR_PAT:
        for (int k = 0; k < 8; k++) {
            unsigned t = (v >> (8 * k)) & 0xff;
            if (t == 2 || t == 3 || t > 7)
                return false;
        }
        c->pat = v;
        tlb_flush(c);
        return true;
    case MSR_TSC_DEADLINE: c->tsc_deadline = v; return true;
    case MSR_EFER: {
        uint64_t ok = EFER_SCE | EFER_LME | EFER_NXE | EFER_LMA;
        if (v & ~ok)
            return false;
        /* LME may not change while paging is on; LMA is read-only. */
        if ((c->cr0 & CR0_PG) && ((v ^ c->efer) & EFER_LME))
            return false;
        c->efer = (v & ~(uint64_t)EFER_LMA) | (c->efer & EFER_LMA);
        tlb_flush(c);
        cpu_update_mode(c);
        return true;
    }
    case MSR_STAR: c->star = v; return true;
    case MSR_LSTAR: if (!cpu_canonical(c, v)) return false; c->lstar = v; return true;
    case MSR_CSTAR: if (!cpu_canonical(c, v)) return false; c->cstar = v; return true;
    case MSR_SFMASK: c->sfmask = v & 0xffffffff; return true;
    case MSR_FS_BASE: if (!cpu_canonical(c, v)) return false; c->seg[SEG_FS].base = v; return true;
    case MSR_GS_BASE: if (!cpu_canonical(c, v)) return false; c->seg[SEG_GS].base = v; return true;
    case MSR_KERNEL_GS_BASE: if (!cpu_canonical(c, v)) return false; c->kernel_gs_base = v; return true;
    case MSR_TSC_AUX: c->tsc_aux = v & 0xffffffff; return true;
    default: return false;
    }
}
