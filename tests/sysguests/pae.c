/* PAE paging from 32-bit protected mode: 64-bit entries under a 4-entry PDPT (whose entries have no
 * A, R/W or U/S bits), NX through EFER.NXE, 2 MiB pages, and the checks of paging_tests.h. */
#include <stdint.h>
typedef uint64_t pte_t;
#include "paging_tests.h"

static pte_t pdpt[4] __attribute__((aligned(32)));
static pte_t pd0[512] __attribute__((aligned(4096))), test_pd[512] __attribute__((aligned(4096))),
    test_pt[512] __attribute__((aligned(4096)));

void guest_main(void)
{
    uint32_t r[4];
    puts_uart("pae: PAE paging, A/D, protection faults, NX, TLB, 2M pages\n");
    cpuid(0x80000008, 0, r);
    unsigned pbits = r[0] & 0xff;
    cpuid(0x80000001, 0, r);
    int has_nx = (r[3] >> 20) & 1;
    for (unsigned i = 0; i < 512; i++)   /* identity map of the first GiB, 2 MiB user pages */
        pd0[i] = ((pte_t)i << 21) | PG_P | PG_RW | PG_US | PG_PS;
    test_pd[0] = (ulong)test_pt | PG_P | PG_RW | PG_US;
    pdpt[0] = (ulong)pd0 | PG_P;
    pdpt[1] = (ulong)test_pd | PG_P;
    if (has_nx)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    WRITE_CR(4, READ_CR(4) | CR4_PAE);
    WRITE_CR(3, (ulong)pdpt);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
    check_eq("paging on: CR0.PG", READ_CR(0) >> 31, 1);
    check_eq("PAE: EFER.LMA stays clear", rdmsr(MSR_EFER) & EFER_LMA, 0);
    check_eq("NX advertised", has_nx, 1);
    struct paging_env e = {
        .pt = test_pt, .pde = &test_pd[0], .upper = { 0, 0 }, .large = &test_pd[1],
        .tva = 0x40000000, .large_va = 0x40200000, .large_size = 2ul << 20,
        .has_nx = has_nx, .rsvd_bit = pbits < 52 ? (int)pbits : 0,
    };
    paging_tests(&e, "2M");
    /* PDPTEs are loaded with CR3 in PAE mode and have no accessed bit. */
    check_eq("PDPTE has no A bit set", pdpt[1] & PG_A, 0);
}
