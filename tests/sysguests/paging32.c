/* 32-bit paging (CR4.PAE=0): 4-byte entries, 4 MiB pages with CR4.PSE, no NX, and the checks of
 * paging_tests.h. The first 64 MiB are identity-mapped with 4 MiB user pages. */
#include <stdint.h>
typedef uint32_t pte_t;
#include "paging_tests.h"

static pte_t pd[1024] __attribute__((aligned(4096))), test_pt[1024] __attribute__((aligned(4096)));

void guest_main(void)
{
    puts_uart("paging32: 32-bit paging, A/D, protection faults, TLB, 4M pages\n");
    for (unsigned i = 0; i < 16; i++)
        pd[i] = (i << 22) | PG_P | PG_RW | PG_US | PG_PS;
    pd[0x100] = (ulong)test_pt | PG_P | PG_RW | PG_US;   /* 0x40000000 */
    uint32_t r[4];
    cpuid(0x80000008, 0, r);
    unsigned pbits = r[0] & 0xff;
    cpuid(1, 0, r);
    int pse36 = (r[3] >> 17) & 1;
    cpuid(0x80000001, 0, r);
    if ((r[3] >> 20) & 1)   /* NXE has no effect without PAE: fetches report no I/D (SDM 4.7) */
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    /* A 4 MiB PDE: bits 20:13 are physical bits 39:32 with PSE-36, up to MAXPHYADDR (at most 40);
     * the rest of 21:13 is reserved (SDM table 4-4). */
    unsigned m = pse36 ? (pbits < 40 ? pbits : 40) : 32;
    uint64_t large_rsvd = 0;
    for (unsigned b = 13 + (m - 32); b <= 21; b++)
        large_rsvd |= 1ull << b;
    WRITE_CR(4, READ_CR(4) | CR4_PSE);
    WRITE_CR(3, (ulong)pd);
    WRITE_CR(0, READ_CR(0) | CR0_PG);
    check_eq("paging on: CR0.PG", READ_CR(0) >> 31, 1);
    struct paging_env e = {
        .pt = test_pt, .pde = &pd[0x100], .upper = { 0, 0 }, .large = &pd[0x101],
        .tva = 0x40000000, .large_va = 0x40400000, .large_size = 4ul << 20, .has_nx = 0, .rsvd_bit = 0,
        .id_on_fetch = 0, .lvl = { &pd[0x100] }, .lvl_name = { "PDE" }, .nlvl = 1, .large_rsvd = large_rsvd,
    };
    paging_tests(&e, "4M");
}
