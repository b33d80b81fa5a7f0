/* PAE paging from 32-bit protected mode: 64-bit entries under a 4-entry PDPT (whose entries have no
 * A, R/W or U/S bits), NX through EFER.NXE, 2 MiB pages, and the checks of paging_tests.h. */
#include <stdint.h>
typedef uint64_t pte_t;
#include "paging_tests.h"

static pte_t pdpt[4] __attribute__((aligned(32)));
static pte_t pd0[512] __attribute__((aligned(4096))), test_pd[512] __attribute__((aligned(4096))),
    test_pt[512] __attribute__((aligned(4096)));
static pte_t pdpt_b[4] __attribute__((aligned(32)));

static void load_cr3(ulong v) { WRITE_CR(3, v); }
static void load_cr0(ulong v) { WRITE_CR(0, v); }

static const char *bit_name(const char *pre, unsigned b)
{
    char num[4] = { (char)('0' + b / 10), (char)('0' + b % 10), 0 };
    return cat(pre, b >= 10 ? num : num + 1);
}

/* SDM 4.4.1: in PAE mode a mov to CR3, or to CR0 setting PG, loads the four PDPTEs; one with P and a
 * reserved bit (2:1, 8:5, 63:MAXPHYADDR; no XD) makes it #GP(0) and nothing changes. */
static void test_pdpte_reserved(unsigned pbits)
{
    static const unsigned bits[] = { 1, 2, 5, 6, 7, 8, 55, 63, 0 };
    for (unsigned k = 0; k < sizeof(bits) / sizeof(bits[0]); k++) {
        unsigned b = bits[k] ? bits[k] : pbits;
        if (b >= 64)
            continue;
        for (unsigned j = 0; j < 4; j++)
            pdpt_b[j] = pdpt[j] & ~(pte_t)PG_A;
        pdpt_b[1] |= (pte_t)1 << b;
        const char *n = bits[k] ? bit_name("PDPTE reserved bit ", b) : "PDPTE reserved bit MAXPHYADDR";
        check_eq(cat(n, ": mov to CR3 #GP"), (ulong)run_catch(load_cr3, (ulong)pdpt_b), 13);
        check_eq(cat(n, ": error code"), last_exc.error, 0);
        check_eq(cat(n, ": CR3 unchanged"), READ_CR(3) - (ulong)pdpt, 0);
        WRITE_CR(3, (ulong)pdpt);   /* where a CPU took it */
    }
    /* Reserved bits of a not-present PDPTE do not matter. */
    for (unsigned j = 0; j < 4; j++)
        pdpt_b[j] = pdpt[j] & ~(pte_t)PG_A;
    pdpt_b[1] = 0x1e6;
    check_no_fault("not-present PDPTE with reserved bits: mov to CR3", run_catch(load_cr3, (ulong)pdpt_b));
    int got = run_catch(read_fn, 0x40000040);
    check_eq("not-present PDPTE: read: vector", (ulong)got, 14);
    check_eq("not-present PDPTE: read: error code", last_exc.error, 0);
    check_eq("not-present PDPTE: read: cr2 - address", last_exc.cr2 - 0x40000040, 0);
    WRITE_CR(3, (ulong)pdpt);
    /* Setting CR0.PG loads them too (CR3 written while paging was off loads nothing). */
    ulong cr0 = READ_CR(0);
    pdpt_b[1] = pdpt[1] | 2;
    WRITE_CR(0, cr0 & ~(ulong)CR0_PG);
    WRITE_CR(3, (ulong)pdpt_b);
    check_eq("PDPTE reserved bit 1: mov to CR0 setting PG #GP", (ulong)run_catch(load_cr0, cr0), 13);
    check_eq("PDPTE reserved bit 1: CR0.PG still clear", READ_CR(0) & CR0_PG, 0);
    WRITE_CR(3, (ulong)pdpt);
    WRITE_CR(0, cr0);
    check_eq("paging back on: CR0.PG", READ_CR(0) >> 31, 1);
}

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
        .id_on_fetch = has_nx, .lvl = { &test_pd[0] }, .lvl_name = { "PDE" }, .nlvl = 1,
        .hi_rsvd = 1ull << 55, .large_rsvd = 0x1fe000ull | (pbits < 52 ? 1ull << pbits : 0) | 1ull << 55,
    };
    paging_tests(&e, "2M");
    /* PDPTEs are loaded with CR3 in PAE mode and have no accessed bit. */
    check_eq("PDPTE has no A bit set", pdpt[1] & PG_A, 0);
    test_pdpte_reserved(pbits);
}
