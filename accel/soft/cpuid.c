/* CPUID: one consistent CPU model that advertises only what the software CPU implements (SDM vol. 2,
 * CPUID): x86-64 with SSE..SSE4.2, POPCNT, CX16, NX, RDTSCP, FXSR, 1 GiB pages, FSGSBASE, an invariant TSC at
 * a stated frequency (leaves 0x15/0x16), and the hypervisor bit. */
#include "accel/soft/cpu.h"
#include "hw/tsc.h"

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

void cpuid_query(struct cpu *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 16);
    switch (leaf) {
    case 0:
        out[0] = 0x16;
        memcpy(&out[1], "Genu", 4);
        memcpy(&out[3], "ineI", 4);
        memcpy(&out[2], "ntel", 4);
        break;
    case 1:
        out[0] = 0x000506e3;                  /* family 6, model 0x5e, stepping 3 */
        out[1] = ((uint32_t)c->id << 24) | (1u << 16) | (8u << 8);
        out[2] = L1_ECX;
        out[3] = L1_EDX;
        break;
    case 7:
        if (sub == 0)
            out[1] = 1u << 0;                 /* FSGSBASE */
        break;
    case 0x15:   /* TSC = crystal * ebx / eax; the crystal also clocks the LAPIC timer */
        out[0] = 1;
        out[1] = (uint32_t)(TSC_DEFAULT_HZ / TSC_CRYSTAL_HZ);
        out[2] = (uint32_t)TSC_CRYSTAL_HZ;
        break;
    case 0x16:
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
        out[3] = X1_EDX;
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
