/* Canonical-address checks on the bases a 64-bit guest can load (SDM vol. 2: LGDT/LIDT, LLDT, LTR,
 * WRMSR, WRFSBASE/WRGSBASE; vol. 3, 3.4.5 and 2.2.1): each refuses a non-canonical base with #GP
 * (error code 0, or the selector for LLDT/LTR) and leaves the old value in place, and takes a
 * canonical upper-half one. 4-level paging: canonical means bits 63..47 equal. The SYSENTER MSRs
 * are checked this way on Intel CPUs only (AMD's are 32-bit registers), on opt: lines. */
#include "guest.h"

#define NONCANON 0x0000800000000000ull   /* bit 47 set, bits 63..48 clear */
#define UPPER    0xffff800000001000ull   /* canonical, upper half */

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint64_t base;
};

static volatile struct dtr want, saved;
static volatile uint64_t pending;

static void do_lgdt(ulong unused)
{
    (void)unused;
    __asm__ volatile("sgdt %0" : "=m"(saved));
    __asm__ volatile("lgdt %0" :: "m"(want));
    __asm__ volatile("lgdt %0" :: "m"(saved));   /* reached only if the bad one was taken */
}

static void do_lidt(ulong unused)
{
    (void)unused;
    __asm__ volatile("sidt %0" : "=m"(saved));
    __asm__ volatile("lidt %0" :: "m"(want));
    __asm__ volatile("lidt %0" :: "m"(saved));
}

static void do_lldt(ulong sel) { __asm__ volatile("lldt %w0" :: "r"(sel)); }
static void do_ltr(ulong sel) { __asm__ volatile("ltr %w0" :: "r"(sel)); }
static void do_wrmsr(ulong msr) { wrmsr((uint32_t)msr, pending); }
static void do_wrfsbase(ulong v) { __asm__ volatile("wrfsbase %0" :: "r"(v)); }
static void do_wrgsbase(ulong v) { __asm__ volatile("wrgsbase %0" :: "r"(v)); }
static ulong rdfsbase(void) { ulong v; __asm__ volatile("rdfsbase %0" : "=r"(v)); return v; }
static ulong rdgsbase(void) { ulong v; __asm__ volatile("rdgsbase %0" : "=r"(v)); return v; }

static void expect_gp(const char *name, int vector, ulong error)
{
    check_eq(cat(name, ": #GP"), (uint64_t)vector, 13);
    check_eq(cat(name, ": error code"), vector == 13 ? last_exc.error : ~0ul, error);
}

static void test_tables(void)
{
    struct dtr g, i;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
    want.limit = g.limit;
    want.base = NONCANON;
    expect_gp("lgdt with a non-canonical base", run_catch(do_lgdt, 0), 0);
    __asm__ volatile("sgdt %0" : "=m"(saved));
    check_eq("lgdt refused: GDTR base unchanged", saved.base, g.base);
    want.limit = i.limit;
    expect_gp("lidt with a non-canonical base", run_catch(do_lidt, 0), 0);
    __asm__ volatile("sidt %0" : "=m"(saved));
    check_eq("lidt refused: IDTR base unchanged", saved.base, i.base);
    want.base = UPPER;   /* taken (and put back at once by do_lidt) */
    check_no_fault("lidt with a canonical upper-half base", run_catch(do_lidt, 0));
}

/* A 16-byte system descriptor at SEL_SPARE0: type 2 (LDT) or 9 (available TSS), base as given. */
static void sys_desc(unsigned type, uint64_t base)
{
    gdt[SEL_SPARE0 >> 3] = 0x67 | (base & 0xffffff) << 16 | (uint64_t)type << 40 | 1ull << 47 |
                           ((base >> 24) & 0xff) << 56;
    gdt[(SEL_SPARE0 >> 3) + 1] = base >> 32;
}

static void test_ldt_tr(void)
{
    sys_desc(2, NONCANON);
    expect_gp("lldt of a descriptor with a non-canonical base", run_catch(do_lldt, SEL_SPARE0), SEL_SPARE0);
    sys_desc(2, UPPER);
    check_no_fault("lldt of a descriptor with a canonical base", run_catch(do_lldt, SEL_SPARE0));
    do_lldt(0);
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    sys_desc(9, NONCANON);
    expect_gp("ltr of a TSS with a non-canonical base", run_catch(do_ltr, SEL_SPARE0), SEL_SPARE0);
    check_eq("ltr refused: the TSS is not marked busy", (gdt[SEL_SPARE0 >> 3] >> 40) & 0xf, 9);
    uint16_t now;
    __asm__ volatile("str %0" : "=r"(now));
    check_eq("ltr refused: TR unchanged", now, tr);
    if (now != tr) {   /* taken after all: back to the guest's own TSS */
        gdt[tr >> 3] &= ~(2ull << 40);
        do_ltr(tr);
    }
    gdt[SEL_SPARE0 >> 3] = gdt[(SEL_SPARE0 >> 3) + 1] = 0;
}

struct msr_case {
    uint32_t msr;
    const char *name;
    int intel_only;
};

static void test_msrs(int intel)
{
    static const struct msr_case msrs[] = {
        { MSR_FS_BASE, "FS_BASE", 0 }, { MSR_GS_BASE, "GS_BASE", 0 },
        { MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE", 0 }, { MSR_LSTAR, "LSTAR", 0 },
        { MSR_CSTAR, "CSTAR", 0 }, { MSR_SYSENTER_EIP, "SYSENTER_EIP", 1 },
        { MSR_SYSENTER_ESP, "SYSENTER_ESP", 1 },
    };
    for (unsigned k = 0; k < sizeof(msrs) / sizeof(msrs[0]); k++) {
        const struct msr_case *m = &msrs[k];
        if (m->intel_only && !intel) {
            opt_skip(m->name, "not an Intel CPU: AMD's SYSENTER MSRs hold 32 bits");
            continue;
        }
        opt_mode = m->intel_only;   /* vendor-dependent: opt: lines */
        uint64_t old = rdmsr(m->msr);
        pending = NONCANON;
        expect_gp(cat("wrmsr non-canonical ", m->name), run_catch(do_wrmsr, m->msr), 0);
        check_eq(cat("wrmsr refused: unchanged ", m->name), rdmsr(m->msr), old);
        pending = UPPER;
        check_no_fault(cat("wrmsr canonical upper half ", m->name), run_catch(do_wrmsr, m->msr));
        check_eq(cat("wrmsr canonical reads back ", m->name), rdmsr(m->msr), UPPER);
        wrmsr(m->msr, old);
        opt_mode = 0;
    }
}

static void test_fsgsbase(void)
{
    uint32_t r[4];
    cpuid(7, 0, r);
    if (!(r[1] & 1)) {
        opt_skip("wrfsbase/wrgsbase", "FSGSBASE not advertised");
        return;
    }
    WRITE_CR(4, READ_CR(4) | CR4_FSGSBASE);
    ulong fs = rdfsbase(), gs = rdgsbase();
    expect_gp("wrfsbase non-canonical", run_catch(do_wrfsbase, NONCANON), 0);
    check_eq("wrfsbase refused: FS base unchanged", rdfsbase(), fs);
    expect_gp("wrgsbase non-canonical", run_catch(do_wrgsbase, NONCANON), 0);
    check_eq("wrgsbase refused: GS base unchanged", rdgsbase(), gs);
    check_no_fault("wrfsbase canonical upper half", run_catch(do_wrfsbase, UPPER));
    check_eq("wrfsbase canonical reads back", rdfsbase(), UPPER);
    do_wrfsbase(fs);
    WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_FSGSBASE);
}

void guest_main(void)
{
    puts_uart("canon: non-canonical bases refused by lgdt, lidt, lldt, ltr, wrmsr, wrfsbase, wrgsbase\n");
    uint32_t r[4];
    cpuid(0, 0, r);
    int intel = r[1] == 0x756e6547;   /* "Genu" */
    test_tables();
    test_ldt_tr();
    test_msrs(intel);
    test_fsgsbase();
}
