/* 5-level paging (SDM vol. 3, 4.5; CR4.LA57): the depth changes only outside IA-32e mode (#GP
 * otherwise); a PML5 indexed by bits 56:48 on top of the 4-level tables; canonical addresses are
 * 57 bits wide (bits 63:57 equal bit 56), so an address a 4-level CPU refuses with #GP now walks
 * and faults with #PF, and one past bit 56 is #GP; PS is reserved in a PML5 entry; base MSRs take
 * 57-bit addresses. Back to 4 levels at the end. */
#include "guest.h"

#define CR4_LA57 (1ul << 12)
#define PF_P    0x01
#define PF_W    0x02
#define PF_U    0x04
#define PF_RSVD 0x08
#define PF_I    0x10

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

static void write_fn(ulong a) { *(volatile uint8_t *)a = 0x55; }
static void exec_fn(ulong a) { probe_exec(a); }
static const uint8_t ret_insn[16] __attribute__((aligned(16))) = { 0xc3 };

/* Reserved-bit faults: the error code on a line of its own, which an oracle leaving P out is excused. */
static void expect_rsvd(const char *name, int vector, ulong error, ulong cr2)
{
    check_eq(cat(name, ": #PF"), (ulong)vector, 14);
    check_eq(cat("RSVD error code: ", name), vector == 14 ? last_exc.error : ~0ul, error);
    check_eq(cat(name, ": cr2"), vector == 14 ? last_exc.cr2 : ~0ul, cr2);
}

/* The PML5 level's share of the error codes (SDM 4.7): entries 3.. of the PML5 alias the identity
 * map with one thing wrong each, reached through the same low address. */
static void test_pml5_rights(unsigned pbits)
{
    ulong off = (ulong)&var, code = (ulong)ret_insn;
    if (pbits < 52) {
        pml5[3] = (ulong)boot_pml4 | 7 | (1ul << pbits);
        WRITE_CR(3, READ_CR(3));
        expect_rsvd("PML5E bit above MAXPHYADDR: read", run_catch(read_fn, (3ul << 48) + off), PF_P | PF_RSVD,
                    (3ul << 48) + off);
        expect_rsvd("PML5E bit above MAXPHYADDR: ring 3 write", run_user(write_fn, (3ul << 48) + off, 0),
                    PF_P | PF_W | PF_U | PF_RSVD, (3ul << 48) + off);
    }
    pml5[4] = (ulong)boot_pml4 | 7 | (1ul << 63);
    WRITE_CR(3, READ_CR(3));
    check_no_fault("PML5E with XD: read", run_catch(read_fn, (4ul << 48) + off));
    expect_pf("PML5E with XD: fetch", run_catch(exec_fn, (4ul << 48) + code), PF_P | PF_I, (4ul << 48) + code);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
    expect_rsvd("PML5E with XD while NXE=0: fetch (no I/D)", run_catch(exec_fn, (4ul << 48) + code),
                PF_P | PF_RSVD, (4ul << 48) + code);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    pml5[5] = (ulong)boot_pml4 | 3;           /* supervisor */
    pml5[6] = (ulong)boot_pml4 | 5;           /* read-only */
    WRITE_CR(3, READ_CR(3));
    expect_pf("supervisor PML5E: ring 3 read", run_user(read_fn, (5ul << 48) + off, 0), PF_P | PF_U,
              (5ul << 48) + off);
    expect_pf("supervisor PML5E: ring 3 fetch", run_user(exec_fn, (5ul << 48) + code, 0), PF_P | PF_U | PF_I,
              (5ul << 48) + code);
    ulong cr0 = READ_CR(0);
    WRITE_CR(0, cr0 | CR0_WP);
    expect_pf("read-only PML5E, CR0.WP=1: ring 0 write", run_catch(write_fn, (6ul << 48) + off), PF_P | PF_W,
              (6ul << 48) + off);
    WRITE_CR(0, cr0);
    expect_pf("not-present PML5E: ring 3 fetch", run_user(exec_fn, (7ul << 48) + code, 0), PF_U | PF_I,
              (7ul << 48) + code);
    for (unsigned k = 3; k < 7; k++)
        pml5[k] = 0;
    WRITE_CR(3, READ_CR(3));
}

/* The bases a guest loads take 57-bit canonical addresses under 5-level paging and refuse the rest
 * with #GP (as canon.c checks for 4 levels): the base MSRs, GDTR/IDTR, an LDT descriptor. */
#define CANON57 0x0000800000001000ul   /* bit 47 set: canonical with 57 bits only */
#define NONCANON57 0x0100000000001000ul
struct __attribute__((packed)) dtr { uint16_t limit; uint64_t base; };
static volatile struct dtr want, saved;
static void do_lgdt(ulong unused)
{
    (void)unused;
    __asm__ volatile("sgdt %0" : "=m"(saved));
    __asm__ volatile("lgdt %0" :: "m"(want));
    __asm__ volatile("lgdt %0" :: "m"(saved));   /* back at once, taken or not */
}
static void do_lldt(ulong sel) { __asm__ volatile("lldt %w0" :: "r"(sel)); }

static void ldt_desc(uint64_t base)
{
    gdt[SEL_SPARE0 >> 3] = 0x67 | (base & 0xffffff) << 16 | 2ull << 40 | 1ull << 47 | ((base >> 24) & 0xff) << 56;
    gdt[(SEL_SPARE0 >> 3) + 1] = base >> 32;
}

static void test_bases57(void)
{
    static const uint32_t msrs[] = { MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_LSTAR, MSR_CSTAR };
    static const char *const names[] = { "GS_BASE", "KERNEL_GS_BASE", "LSTAR", "CSTAR" };
    for (unsigned k = 0; k < 4; k++) {
        uint64_t old = rdmsr(msrs[k]);
        pending = CANON57;
        check_eq(cat("57-bit canonical taken: wrmsr ", names[k]), (ulong)run_catch(do_wrmsr, msrs[k]), ~0ul);
        check_eq(cat("57-bit canonical reads back: ", names[k]), rdmsr(msrs[k]), CANON57);
        pending = NONCANON57;
        check_eq(cat("57-bit non-canonical #GP: wrmsr ", names[k]), (ulong)run_catch(do_wrmsr, msrs[k]), 13);
        wrmsr(msrs[k], old);
    }
    struct dtr g;
    __asm__ volatile("sgdt %0" : "=m"(g));
    want.limit = g.limit;
    want.base = CANON57;
    check_eq("57-bit canonical taken: lgdt", (ulong)run_catch(do_lgdt, 0), ~0ul);
    want.base = NONCANON57;
    check_eq("57-bit non-canonical #GP: lgdt", (ulong)run_catch(do_lgdt, 0), 13);
    ldt_desc(CANON57);
    check_eq("57-bit canonical taken: lldt", (ulong)run_catch(do_lldt, SEL_SPARE0), ~0ul);
    do_lldt(0);
    ldt_desc(NONCANON57);
    check_eq("57-bit non-canonical #GP: lldt", (ulong)run_catch(do_lldt, SEL_SPARE0), 13);
    do_lldt(0);
    gdt[SEL_SPARE0 >> 3] = gdt[(SEL_SPARE0 >> 3) + 1] = 0;
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
    cpuid(0x80000008, 0, r);
    test_pml5_rights(r[0] & 0xff);
    pending = 0x0000800000000000ul;
    check_eq("wrmsr FS_BASE, 57-bit canonical: taken", (ulong)run_catch(do_wrmsr, MSR_FS_BASE), ~0ul);
    check_eq("FS_BASE reads back", rdmsr(MSR_FS_BASE), 0x0000800000000000ul);
    pending = 0x0100000000000000ul;
    check_eq("wrmsr FS_BASE, non-canonical in 57 bits: #GP", (ulong)run_catch(do_wrmsr, MSR_FS_BASE), 13);
    wrmsr(MSR_FS_BASE, 0);
    test_bases57();
    check_eq("CR4.LA57 cleared in IA-32e mode: #GP", (ulong)run_catch(write_cr4, READ_CR(4) & ~CR4_LA57), 13);

    switch_paging(cr3, cr4);
    check_eq("back to 4 levels: CR4.LA57 clear", READ_CR(4) & CR4_LA57, 0);
    check_eq("4-level again: the alias is non-canonical: #GP", (ulong)run_catch(read_fn, alias), 13);
}
