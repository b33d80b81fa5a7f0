/* Control registers and the MSRs beside them, in 64-bit mode (SDM vol. 3, 2.5 and vol. 2, MOV CR):
 * invalid CR0/CR3/CR4 values and mode-breaking writes are #GP(0) and change nothing; PAT accepts only
 * valid memory types; XCR0 through xsetbv where XSAVE is advertised. */
#include "guest.h"

#define MSR_PAT 0x277
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR4_OSXSAVE (1u << 18)

volatile uint64_t wr_val;
static void write_cr0(ulong v) { WRITE_CR(0, v); }
static void write_cr3(ulong v) { WRITE_CR(3, v); }
static void write_cr4(ulong v) { WRITE_CR(4, v); }
static void write_msr(ulong msr) { wrmsr((uint32_t)msr, wr_val); }
static void do_xsetbv(ulong v)
{
    __asm__ volatile("xsetbv" :: "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void expect_gp(const char *what, int got)
{
    check_eq(cat(what, ": #GP"), (ulong)got, 13);
    check_eq(cat(what, ": error code"), last_exc.error, 0);
}

void guest_main(void)
{
    uint32_t r[4];
    puts_uart("crs: CR0/CR3/CR4 validity, EFER in long mode, PAT, XCR0\n");
    ulong cr0 = READ_CR(0), cr3 = READ_CR(3), cr4 = READ_CR(4);
    uint64_t efer = rdmsr(MSR_EFER);
    cpuid(0x80000008, 0, r);
    unsigned pbits = r[0] & 0xff;

    /* Writes a CPU may wrongly accept without losing its footing: undone right after. */
    expect_gp("CR0 with NW=1, CD=0", run_catch(write_cr0, (cr0 | CR0_NW) & ~(ulong)CR0_CD));
    write_cr0(cr0);
    expect_gp("CR0 with bit 32 set", run_catch(write_cr0, cr0 | (1ul << 32)));
    write_cr0(cr0);
    write_cr0(cr0 | CR0_CD);
    check_eq("CR0.CD set and read back", READ_CR(0) & CR0_CD, CR0_CD);
    write_cr0(cr0);
    write_cr4(cr4 | CR4_PGE);
    check_eq("CR4.PGE set and read back", READ_CR(4) & CR4_PGE, CR4_PGE);
    write_cr4(cr4);
    wr_val = efer & ~(uint64_t)EFER_LMA;
    check_no_fault("EFER.LMA is read-only: writing 0 is ignored", run_catch(write_msr, MSR_EFER));
    check_eq("EFER after the write", rdmsr(MSR_EFER), efer);

    /* PAT: eight 3-bit types; 2 and 3 are reserved, as is anything above 7 in a byte. */
    uint64_t pat = rdmsr(MSR_PAT);
    check_eq("PAT after reset (SDM 11.12.4: WB WT UC- UC, twice)", pat, 0x0007040600070406ull);
    wr_val = 0x0000000100000406ull;
    check_no_fault("PAT written with valid types", run_catch(write_msr, MSR_PAT));
    check_eq("PAT reads back", rdmsr(MSR_PAT), 0x0000000100000406ull);
    wr_val = 0x0007040600070402ull;
    expect_gp("PAT entry 0 = 2 (reserved type)", run_catch(write_msr, MSR_PAT));
    wr_val = 0x0007040600070408ull;
    expect_gp("PAT entry 0 = 8 (reserved bits)", run_catch(write_msr, MSR_PAT));
    wrmsr(MSR_PAT, pat);

    cpuid(1, 0, r);
    if (r[2] & (1u << 26)) {   /* XSAVE */
        opt_mode = 1;
        write_cr4(cr4 | CR4_OSXSAVE);
        check_no_fault("xsetbv XCR0 = x87|SSE", run_catch(do_xsetbv, 3));
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        check_eq("xgetbv XCR0", lo, 3);
        expect_gp("xsetbv XCR0 without x87", run_catch(do_xsetbv, 2));
        write_cr4(cr4);
        opt_mode = 0;
        check_eq("xsetbv with CR4.OSXSAVE=0 or without XSAVE: #UD", (ulong)run_catch(do_xsetbv, 3), 6);
    } else {
        opt_skip("XCR0", "XSAVE not advertised");
        check_eq("xsetbv with CR4.OSXSAVE=0 or without XSAVE: #UD", (ulong)run_catch(do_xsetbv, 3), 6);
    }

    /* Writes that leave the CPU unable to go on if they are wrongly accepted (no paging in 64-bit
     * mode, page tables above RAM): last, so that such a CPU has printed everything else. */
    expect_gp("last checks, a CPU that fails one may stop here: CR4.PAE=0 in long mode",
              run_catch(write_cr4, cr4 & ~(ulong)CR4_PAE));
    wr_val = efer & ~(uint64_t)EFER_LME;
    expect_gp("EFER.LME cleared while paging is on", run_catch(write_msr, MSR_EFER));
    expect_gp("CR0.PE=0 with PG=1", run_catch(write_cr0, cr0 & ~(ulong)CR0_PE));
    expect_gp("CR0.PG=0 in 64-bit mode", run_catch(write_cr0, cr0 & ~(ulong)CR0_PG));
    expect_gp("CR4 with reserved bit 15 set", run_catch(write_cr4, cr4 | (1ul << 15)));
    if (pbits < 52)
        expect_gp("CR3 with a bit above MAXPHYADDR", run_catch(write_cr3, cr3 | (1ul << pbits)));
    else
        opt_skip("CR3 reserved bits", "MAXPHYADDR is 52");
    check("CR0, CR3, CR4 and EFER unchanged", READ_CR(0) == cr0 && READ_CR(3) == cr3 && READ_CR(4) == cr4 &&
          rdmsr(MSR_EFER) == efer);
}
