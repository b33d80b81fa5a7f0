/* CPUID: one consistent CPU model that advertises only what the software CPU implements (SDM vol. 2,
 * CPUID): x86-64 with SSE..SSE4.2, POPCNT, CX16, NX, RDTSCP, FXSR, 1 GiB pages, FSGSBASE, an invariant TSC at
 * a stated frequency (leaves 0x15/0x16), and the hypervisor bit. The vendor setting (c->vendor) picks
 * the vendor string and family/model/stepping: an Intel family 6 model 0x5e part, or an AMD family
 * 0x19 model 1 part whose 0x80000001 EDX repeats leaf 1's bits as AMD's do (AMD APM vol. 3,
 * appendix E.3.6). */
#include "accel/cpu-model.h"
#include "accel/soft/cpu.h"
#include "util/tsc.h"

#include <errno.h>
#include <stdio.h>

/* Leaf 1 EDX: FPU PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2. */
#define L1_EDX ((1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 9) | \
                (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 17) | (1u << 19) |       \
                (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26))
/* Leaf 1 ECX: SSE3 SSSE3 CX16 SSE4.1 SSE4.2 POPCNT TSC-deadline (the LAPIC has it), hypervisor. */
#define L1_ECX ((1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23) | \
                (1u << 24) | (1u << 31))
/* 0x80000001 EDX: SYSCALL NX Page1GB RDTSCP LM; ECX: LAHF/SAHF in 64-bit mode, ABM (lzcnt). */
#define X1_EDX ((1u << 11) | (1u << 20) | (1u << 26) | (1u << 27) | (1u << 29))
#define X1_ECX ((1u << 0) | (1u << 5))
/* AMD's 0x80000001 EDX repeats leaf 1 EDX bits 0-9, 12-17, 23 and 24. */
#define AMD_X1_MIRROR (0x3ffu | (0x3fu << 12) | (3u << 23))

static void cpuid_model(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4]);

void cpuid_query(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    cpuid_model(c, leaf, sub, out);
    /* --cpu-features: hide (or keep) the named bits, as the KVM accelerator does. */
    for (int k = 0; k < c->ncpuid_edits; k++) {
        const struct cpu_feature *f = c->cpuid_edits[k].feature;
        if (f->leaf != leaf || (f->leaf == 7 && f->subleaf != sub))
            continue;
        if (c->cpuid_edits[k].enable)
            out[f->reg] |= 1u << f->bit;
        else
            out[f->reg] &= ~(1u << f->bit);
    }
}

/* Is every feature the edits enable one this CPU implements? */
int cpuid_check_edits(const struct cpuid_edit *edits, int n, char *err, size_t errlen)
{
    struct cpu probe;
    memset(&probe, 0, sizeof(probe));
    for (int k = 0; k < n; k++) {
        const struct cpu_feature *f = edits[k].feature;
        if (!edits[k].enable)
            continue;
        uint32_t out[4];
        cpuid_model(&probe, f->leaf, f->subleaf, out);
        if (!(out[f->reg] & (1u << f->bit))) {
            snprintf(err, errlen, "--cpu-features: the software CPU does not implement '%s'", f->name);
            return -ENOTSUP;
        }
    }
    return 0;
}

static void cpuid_model(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 16);
    switch (leaf) {
    case 0: {
        const char *v = cpu_vendor_name(c->vendor);
        out[0] = c->vendor == CPU_VENDOR_AMD ? 0x10 : 0x16;
        memcpy(&out[1], v, 4);
        memcpy(&out[3], v + 4, 4);
        memcpy(&out[2], v + 8, 4);
        break;
    }
    case 1:
        /* Intel: family 6, model 0x5e, stepping 3; AMD: family 0xf + 0xa, model 1, stepping 1 */
        out[0] = c->vendor == CPU_VENDOR_AMD ? 0x00a00f11 : 0x000506e3;
        out[1] = ((uint32_t)c->id << 24) | (1u << 16) | (8u << 8);
        out[2] = L1_ECX;
        out[3] = L1_EDX;
        break;
    case 7:
        if (sub == 0) {
            out[1] = 1u << 0;                 /* FSGSBASE */
            /* IBRS/IBPB (SPEC_CTRL, PRED_CMD), STIBP, ARCH_CAPABILITIES (msr.c) */
            out[3] = (1u << 26) | (1u << 27) | (1u << 29);
        }
        break;
    case 0x15:   /* TSC = crystal * ebx / eax; the crystal also clocks the LAPIC timer */
        if (c->vendor == CPU_VENDOR_AMD)
            break;                            /* Intel's leaves, past AMD's maximum */
        out[0] = 1;
        out[1] = (uint32_t)(TSC_DEFAULT_HZ / TSC_CRYSTAL_HZ);
        out[2] = (uint32_t)TSC_CRYSTAL_HZ;
        break;
    case 0x16:
        if (c->vendor == CPU_VENDOR_AMD)
            break;
        out[0] = out[1] = (uint32_t)(TSC_DEFAULT_HZ / 1000000);
        out[2] = (uint32_t)(TSC_CRYSTAL_HZ / 1000000);
        break;
    case 0x40000000:
        out[0] = 0x40000000;
        memcpy(&out[1], "vmon", 4);
        memcpy(&out[2], "soft", 4);
        memcpy(&out[3], "cpu ", 4);
        break;
    case 0x80000000:
        out[0] = 0x80000008;
        break;
    case 0x80000001:
        out[2] = X1_ECX;
        out[3] = X1_EDX | (c->vendor == CPU_VENDOR_AMD ? L1_EDX & AMD_X1_MIRROR : 0);
        if (c->vendor == CPU_VENDOR_AMD)
            out[0] = 0x00a00f11;
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        static const char brand[48] = "vmon software CPU";
        memcpy(out, brand + 16 * (leaf - 0x80000002), 16);
        break;
    }
    case 0x80000007:
        out[3] = 1u << 8;                     /* invariant TSC */
        break;
    case 0x80000008:
        out[0] = 0x3028;                      /* 40 physical, 48 linear address bits */
        break;
    default:
        break;
    }
}
