/* 5-level paging (SDM vol. 3, 4.5; CR4.LA57): the depth changes only outside IA-32e mode (#GP
 * otherwise); a PML5 indexed by bits 56:48 on top of the 4-level tables; canonical addresses are
 * 57 bits wide (bits 63:57 equal bit 56), so an address a 4-level CPU refuses with #GP now walks
 * and faults with #PF, and one past bit 56 is #GP; PS is reserved in a PML5 entry; base MSRs take
 * 57-bit addresses. Back to 4 levels at the end. */
#include "guest.h"

#define CR4_LA57 (1ul << 12)
#define PF_P    0x01
#define PF_RSVD 0x08

extern uint64_t boot_pml4[512];
void switch_paging(ulong cr3, ulong cr4);
static uint64_t pml5[512] __attribute__((aligned(4096)));
static volatile uint64_t var = 0x1122334455667788ull;
static volatile uint64_t pending;

static void read_fn(ulong a) { pending = *(volatile uint64_t *)a; }
static void write_cr4(ulong v) { WRITE_CR(4, v); }
static void do_wrmsr(ulong msr) { wrmsr((uint32_t)msr, pending); }

static void expect_pf(const char *name, int vector, ulong error, ulong cr2)
{
    check_eq(cat(name, ": #PF"), (ulong)vector, 14);
    check_eq(cat(name, ": error code"), vector == 14 ? last_exc.error : ~0ul, error);
    check_eq(cat(name, ": cr2"), vector == 14 ? last_exc.cr2 : ~0ul, cr2);
}

void guest_main(void)
{
    uint32_t r[4];
    puts_uart("la57: 5-level paging: CR4.LA57 outside IA-32e mode, the PML5 walk, 57-bit canonical addresses\n");
    cpuid(7, 0, r);
    if (!((r[2] >> 16) & 1)) {
        opt_skip("5-level paging", "LA57 not advertised");
        return;
    }
    /* Linux's canonical checks take this width (x86_virt_bits): 48 breaks its 5-level direct map. */
    cpuid(0x80000008, 0, r);
    check_eq("CPUID 0x80000008: linear-address bits with LA57", (r[0] >> 8) & 0xff, 57);
    ulong cr4 = READ_CR(4), cr3 = READ_CR(3);
    check_eq("CR4.LA57 set in IA-32e mode: #GP", (ulong)run_catch(write_cr4, cr4 | CR4_LA57), 13);
    check_eq("CR4.LA57 still clear", READ_CR(4) & CR4_LA57, 0);
    ulong alias = (1ul << 48) + (ulong)&var;
    check_eq("4-level: bit 48 address is non-canonical: #GP", (ulong)run_catch(read_fn, alias), 13);

    pml5[0] = (ulong)boot_pml4 | 7;
    pml5[1] = (ulong)boot_pml4 | 7;           /* 1 << 48 aliases the identity map */
    pml5[2] = (ulong)boot_pml4 | 0x87;        /* PS: reserved in a PML5 entry */
    switch_paging((ulong)pml5, cr4 | CR4_LA57);
    check_eq("5-level: CR4.LA57 set", READ_CR(4) & CR4_LA57, CR4_LA57);
    check_eq("5-level: EFER.LMA back", rdmsr(MSR_EFER) & EFER_LMA, EFER_LMA);
    check_eq("read through PML5 entry 1", *(volatile uint64_t *)alias, 0x1122334455667788ull);
    *(volatile uint64_t *)alias = 0x99;
    check_eq("write through PML5 entry 1 reaches the page", var, 0x99);
    check_eq("PML5 entry 1: accessed bit set", pml5[1] & 0x20, 0x20);
    expect_pf("bit 47 address, canonical now: walks, PML4 entry 256 not present",
              run_catch(read_fn, 0x0000800000000040ul), 0, 0x0000800000000040ul);
    expect_pf("upper-half address: PML5 entry 256 not present",
              run_catch(read_fn, 0xff00000000000040ul), 0, 0xff00000000000040ul);
    check_eq("bit 56 set, bits 63:57 clear: #GP", (ulong)run_catch(read_fn, 0x0100000000000040ul), 13);
    expect_pf("PS in a PML5 entry: reserved-bit fault", run_catch(read_fn, (2ul << 48) + 0x40),
              PF_P | PF_RSVD, (2ul << 48) + 0x40);
    pending = 0x0000800000000000ul;
    check_eq("wrmsr FS_BASE, 57-bit canonical: taken", (ulong)run_catch(do_wrmsr, MSR_FS_BASE), ~0ul);
    check_eq("FS_BASE reads back", rdmsr(MSR_FS_BASE), 0x0000800000000000ul);
    pending = 0x0100000000000000ul;
    check_eq("wrmsr FS_BASE, non-canonical in 57 bits: #GP", (ulong)run_catch(do_wrmsr, MSR_FS_BASE), 13);
    wrmsr(MSR_FS_BASE, 0);
    check_eq("CR4.LA57 cleared in IA-32e mode: #GP", (ulong)run_catch(write_cr4, READ_CR(4) & ~CR4_LA57), 13);

    switch_paging(cr3, cr4);
    check_eq("back to 4 levels: CR4.LA57 clear", READ_CR(4) & CR4_LA57, 0);
    check_eq("4-level again: the alias is non-canonical: #GP", (ulong)run_catch(read_fn, alias), 13);
}
