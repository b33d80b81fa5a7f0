/* Run user-level code on the software CPU in a flat 64-bit space where guest address == host address.
 * Used by the differential ISA tests (tests/isa/): the same bytes run natively and here, and the
 * resulting states are compared. */
#ifndef VMON_ACCEL_SOFT_FLAT_H
#define VMON_ACCEL_SOFT_FLAT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/cpu-model.h"

struct flat_state {
    uint64_t gpr[16];          /* x86 register numbers: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
    uint64_t rip, rflags;
    uint64_t fs_base, gs_base;
    uint8_t xmm[16][16];
    uint32_t mxcsr;
    uint16_t fcw, fsw;         /* x87 control and status (status's TOP included) */
    uint8_t ftw;               /* abridged tag word as fxsave stores it */
    uint8_t st[8][10];         /* x87 registers ST(0)..ST(7), 80-bit */
};

struct flat_region {
    void *host;                /* host address, also the guest linear address */
    size_t len;
    int writable;
};

enum flat_result {
    FLAT_DONE = 0,             /* reached stop_rip */
    FLAT_FAULT,                /* an exception: *vector set (e.g. 6 #UD, 13 #GP, 14 #PF, 0 #DE) */
    FLAT_LIMIT,                /* max_insns executed without reaching stop_rip */
};

/* The CPU that runs: its vendor behaviours (accel/cpu-model.h) and whether every block is translated
 * to host code before it first runs (jit.c), so the differential tests check the translator too. */
struct flat_cpu {
    enum cpu_vendor vendor;
    bool jit;
    bool warm_tlb;             /* the regions' whole pages in the soft TLB before the first access,
                                * so translated memory operands take their inline paths */
    uint32_t cr0_set;          /* CR0 bits set beyond the runner's (TS, EM: the #NM/#UD checks) */
    uint32_t cr4_clear;        /* CR4 bits cleared (OSFXSR) */
    bool fixed_tsc;            /* rdtsc reads 0 (plus what the code wrote to the TSC): two runs of
                                * the same code read the same, as fuzz-jit compares them */
};

/* stop_rip for a run that ends only at a fault or the instruction limit: translated blocks then jump
 * straight into each other (jit-chain.c) as they do in a VM, where a stop address keeps them apart. */
#define FLAT_NO_STOP (~0ull)

/* Execute from st->rip in 64-bit ring-3 mode until rip == stop_rip. Only the given regions are
 * accessible (anything else faults with #PF, writes to non-writable regions too). cpu NULL: the
 * default model, interpreted.
 * On FLAT_FAULT, st holds the state at the faulting instruction (rip at its start). */
int soft_flat_run(struct flat_state *st, const struct flat_region *regions, int nregions,
                  uint64_t stop_rip, uint64_t max_insns, int *vector, const struct flat_cpu *cpu);

#endif
