/* 4-level paging: A/D bits at every level, not-present / R/W / U/S / WP / NX / reserved-bit faults
 * with exact error codes and CR2, invlpg, CR3 reloads and global pages, 2 MiB and (where advertised)
 * 1 GiB pages. The boot identity map covers the first GiB; the tests use 0x40000000 and up. */
#include <stdint.h>
typedef uint64_t pte_t;
#include "paging_tests.h"

extern uint64_t boot_pml4[512], boot_pdpt[512];
static pte_t test_pdpt[512] __attribute__((aligned(4096))), test_pd[512] __attribute__((aligned(4096))), test_pt[512] __attribute__((aligned(4096)));

void guest_main(void)
{
    uint32_t r[4];
    puts_uart("paging64: 4-level paging, A/D, protection faults, NX, TLB, 2M and 1G pages\n");
    cpuid(0x80000008, 0, r);
    unsigned pbits = r[0] & 0xff;
    cpuid(0x80000001, 0, r);
    int has_1g = (r[3] >> 26) & 1;
    /* The test pages sit under PML4 entry 1 (0x8040000000), whose levels can all be changed. */
    boot_pml4[1] = (ulong)test_pdpt | PG_P | PG_RW | PG_US;
    test_pdpt[1] = (ulong)test_pd | PG_P | PG_RW | PG_US;
    test_pd[0] = (ulong)test_pt | PG_P | PG_RW | PG_US;
    WRITE_CR(3, READ_CR(3));
    struct paging_env e = {
        .pt = test_pt, .pde = &test_pd[0], .upper = { &boot_pml4[1], &test_pdpt[1] }, .large = &test_pd[1],
        .tva = 0x8040000000ul, .large_va = 0x8040200000ul, .large_size = 2ul << 20,
        .has_nx = (rdmsr(MSR_EFER) & EFER_NXE) != 0, .rsvd_bit = pbits < 52 ? (int)pbits : 0,
        .id_on_fetch = 1, .lvl = { &boot_pml4[1], &test_pdpt[1], &test_pd[0] },
        .lvl_name = { "PML4E", "PDPTE", "PDE" }, .nlvl = 3, .ign_bit = 1ull << 55,
        .large_rsvd = 0x1fe000ull | (pbits < 52 ? 1ull << pbits : 0),
    };
    check_eq("EFER.NXE set (NX advertised)", e.has_nx, 1);
    paging_tests(&e, "2M");

    /* PS is reserved in a PML4 entry. */
    boot_pml4[2] = (ulong)test_pd | PG_P | PG_RW | PG_PS;
    WRITE_CR(3, READ_CR(3));
    expect_pf("PML4E with PS set: reserved-bit fault", run_catch(read_fn, 0x10000000000ul + 0x40), PF_P | PF_RSVD,
              0x10000000000ul + 0x40, (ulong)probe_read8_insn);
    boot_pml4[2] = 0;
    WRITE_CR(3, READ_CR(3));

    if (has_1g) {
        struct paging_env g = e;
        g.large = &test_pdpt[2];
        g.large_va = 0x8080000000ul;
        g.large_size = 1ul << 30;
        g.large_rsvd = 0x3fffe000ull | (pbits < 52 ? 1ull << pbits : 0);
        opt_mode = 1;
        test_large(&g, "1G");
        test_large_reserved(&g, "1G");
        opt_mode = 0;
    } else {
        /* Without 1 GiB pages, PS is reserved in a PDPTE (SDM table 4-16 note). */
        opt_skip("1G pages", "pdpe1gb not advertised");
        test_pdpt[2] = PG_P | PG_RW | PG_PS;
        invlpg(0x8080000040ul);
        opt_mode = 1;
        int got = run_catch(read_fn, 0x8080000040ul);
        check_eq("PS in a PDPTE without 1G pages: vector", (ulong)got, 14);
        check_eq("RSVD error code: PS in a PDPTE without 1G pages", last_exc.error, PF_P | PF_RSVD);
        check_eq("PS in a PDPTE without 1G pages: cr2 - address", last_exc.cr2 - 0x8080000040ul, 0);
        opt_mode = 0;
        test_pdpt[2] = 0;
        invlpg(0x8080000040ul);
    }
}
