/* cpuid, rdtsc/rdtscp, rdmsr/wrmsr (EFER, TSC, TSC_AUX, FS/GS base, KERNEL_GS_BASE with swapgs),
 * rd/wrfsbase where advertised, and CR8, in 64-bit mode. Values that differ between CPUs (vendor,
 * feature words) are printed on "opt: info" lines only. */
#include "guest.h"

static uint32_t r[4];
static uint64_t fs_area[2] = { 0x1111222233334444ull, 0 }, gs_area[2] = { 0x5555666677778888ull, 0 },
                kgs_area[2] = { 0x99990000aaaabbbbull, 0 };

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void do_wrmsr(ulong msr_and_val)
{
    /* arg packs the MSR in the low 32 bits; the value comes from pending_val. */
    extern volatile uint64_t pending_val;
    wrmsr((uint32_t)msr_and_val, pending_val);
}
volatile uint64_t pending_val;

static void do_rdmsr(ulong msr)
{
    pending_val = rdmsr((uint32_t)msr);
}

static void do_wrfsbase(ulong v)
{
    __asm__ volatile("wrfsbase %0" :: "r"(v));
}

static void do_write_cr8(ulong v)
{
    WRITE_CR(8, v);
}

static void test_cpuid(void)
{
    cpuid(0, 0, r);
    uint32_t max_basic = r[0];
    char vendor[13];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    gprintf("opt: info vendor %s, max basic leaf 0x%x\n", vendor, max_basic);
    check("cpuid max basic leaf >= 1", max_basic >= 1);
    cpuid(1, 0, r);
    gprintf("opt: info leaf 1: eax %08x ebx %08x ecx %08x edx %08x\n", r[0], r[1], r[2], r[3]);
    /* The x86-64 baseline: FPU TSC MSR PAE CX8 APIC SEP PGE CMOV FXSR SSE SSE2 (and PSE). */
    uint32_t base = 1u << 0 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 | 1u << 11 | 1u << 13 |
                    1u << 15 | 1u << 24 | 1u << 25 | 1u << 26;
    check_eq("cpuid 1 edx baseline bits", r[3] & base, base);
    check_eq("cpuid 1 initial apic id of cpu 0", r[1] >> 24, 0);
    cpuid(0x80000000, 0, r);
    check("cpuid max extended leaf >= 0x80000008", r[0] >= 0x80000008);
    cpuid(0x80000001, 0, r);
    gprintf("opt: info leaf 0x80000001: ecx %08x edx %08x\n", r[2], r[3]);
    uint32_t ext = 1u << 11 | 1u << 20 | 1u << 29;   /* SYSCALL, NX, LM */
    check_eq("cpuid 0x80000001 edx syscall/nx/lm", r[3] & ext, ext);
    cpuid(0x80000008, 0, r);
    uint32_t pbits = r[0] & 0xff, vbits = (r[0] >> 8) & 0xff;
    gprintf("opt: info physical address bits %u, virtual %u\n", pbits, vbits);
    check("cpuid 0x80000008 physical bits in [36,52]", pbits >= 36 && pbits <= 52);
    check("cpuid 0x80000008 virtual bits 48 or 57", vbits == 48 || vbits == 57);
}

static void test_tsc(void)
{
    uint64_t t1 = rdtsc();
    for (volatile int i = 0; i < 1000; i++)
        ;
    uint64_t m = rdmsr(MSR_TSC);
    uint64_t t2 = rdtsc();
    check("rdtsc advances", t2 > t1);
    if (!check("rdmsr TSC between two rdtsc", t1 <= m && m <= t2))
        gprintf("opt: info rdtsc 0x%llx, rdmsr 0x%llx, rdtsc 0x%llx\n", (unsigned long long)t1, (unsigned long long)m,
                (unsigned long long)t2);
    wrmsr(MSR_TSC, 0x100000000000ull);
    uint64_t t3 = rdtsc();
    if (!check("wrmsr TSC then rdtsc continues from the written value",
               t3 >= 0x100000000000ull && t3 < 0x100000000000ull + (1ull << 40)))
        gprintf("opt: info wrote 0x100000000000, rdtsc 0x%llx\n", (unsigned long long)t3);
    cpuid(0x80000001, 0, r);
    if (r[3] & (1u << 27)) {
        wrmsr(MSR_TSC_AUX, 0x1234);
        uint32_t lo, hi, aux;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        opt_check_eq("rdtscp ecx = TSC_AUX", aux, 0x1234);
        opt_check_eq("rdtscp tsc after the last rdtsc", (((uint64_t)hi << 32 | lo) >= t3), 1);
    } else {
        opt_skip("rdtscp", "not advertised");
    }
}

static void test_efer(void)
{
    uint64_t efer = rdmsr(MSR_EFER);
    check_eq("EFER.LME|LMA|NXE in long mode", efer & (EFER_LME | EFER_LMA | EFER_NXE),
             EFER_LME | EFER_LMA | EFER_NXE);
    wrmsr(MSR_EFER, efer | EFER_SCE);
    check_eq("EFER.SCE set by wrmsr", rdmsr(MSR_EFER) & EFER_SCE, EFER_SCE);
    wrmsr(MSR_EFER, efer & ~(uint64_t)EFER_SCE);
    check_eq("EFER.SCE cleared by wrmsr", rdmsr(MSR_EFER) & EFER_SCE, 0);
    pending_val = efer | (1ull << 63);
    check_eq("wrmsr EFER reserved bit 63: #GP", run_catch(do_wrmsr, MSR_EFER), 13);
    check_eq("wrmsr EFER reserved bit 63: error code", last_exc.error, 0);
    check_eq("EFER unchanged after the faulting wrmsr", rdmsr(MSR_EFER), efer);
    check_eq("rdmsr of an undefined MSR (0xc0001000): #GP", run_catch(do_rdmsr, 0xc0001000), 13);
}

static void test_segment_bases(void)
{
    uint64_t v;
    wrmsr(MSR_FS_BASE, (ulong)fs_area);
    wrmsr(MSR_GS_BASE, (ulong)gs_area);
    wrmsr(MSR_KERNEL_GS_BASE, (ulong)kgs_area);
    __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
    check_eq("%fs:0 through FS_BASE", v, fs_area[0]);
    __asm__ volatile("movq %%gs:0, %0" : "=r"(v));
    check_eq("%gs:0 through GS_BASE", v, gs_area[0]);
    __asm__ volatile("swapgs");
    __asm__ volatile("movq %%gs:0, %0" : "=r"(v));
    check_eq("%gs:0 after swapgs", v, kgs_area[0]);
    check("GS_BASE after swapgs = the old KERNEL_GS_BASE", rdmsr(MSR_GS_BASE) == (ulong)kgs_area);
    check("KERNEL_GS_BASE after swapgs = the old GS_BASE", rdmsr(MSR_KERNEL_GS_BASE) == (ulong)gs_area);
    __asm__ volatile("swapgs");
    check("GS_BASE after a second swapgs", rdmsr(MSR_GS_BASE) == (ulong)gs_area);
    /* Loading a null selector into FS in 64-bit mode leaves... the base is implementation specific,
     * so only the MSR write path is checked: a non-canonical base faults. */
    pending_val = 0x0000800000000000ull;
    check_eq("wrmsr FS_BASE non-canonical: #GP", run_catch(do_wrmsr, MSR_FS_BASE), 13);
    check("FS_BASE unchanged after the faulting wrmsr", rdmsr(MSR_FS_BASE) == (ulong)fs_area);

    cpuid(7, 0, r);
    if (r[1] & 1) {
        WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_FSGSBASE);
        opt_check_eq("wrfsbase with CR4.FSGSBASE=0: #UD", run_catch(do_wrfsbase, 0), 6);
        WRITE_CR(4, READ_CR(4) | CR4_FSGSBASE);
        __asm__ volatile("wrfsbase %0" :: "r"((ulong)gs_area));
        opt_check_eq("wrfsbase then rdmsr FS_BASE", rdmsr(MSR_FS_BASE) == (ulong)gs_area, 1);
        __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
        opt_check_eq("%fs:0 after wrfsbase", v, gs_area[0]);
        ulong g;
        __asm__ volatile("rdgsbase %0" : "=r"(g));
        opt_check_eq("rdgsbase = GS_BASE", g == rdmsr(MSR_GS_BASE), 1);
        WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_FSGSBASE);
    } else {
        WRITE_CR(4, READ_CR(4) & ~(ulong)CR4_FSGSBASE);
        check_eq("wrfsbase not advertised: #UD", run_catch(do_wrfsbase, 0), 6);
        opt_skip("fsgsbase", "not advertised");
    }
}

static void test_rdrand(void)
{
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 30))) {
        opt_skip("rdrand", "not advertised");
        return;
    }
    /* CF=1 means a random value was delivered; a CPU may say CF=0 now and then, so retry. */
    uint64_t a = 0, b = 0;
    uint8_t ok_a = 0, ok_b = 0;
    for (int i = 0; i < 100 && !ok_a; i++)
        __asm__ volatile("rdrand %0; setc %1" : "=r"(a), "=qm"(ok_a) :: "cc");
    for (int i = 0; i < 100 && !ok_b; i++)
        __asm__ volatile("rdrand %0; setc %1" : "=r"(b), "=qm"(ok_b) :: "cc");
    opt_check_eq("rdrand delivers values (CF=1)", ok_a && ok_b, 1);
    opt_check_eq("two rdrand values differ", a != b, 1);
}

static void test_cr8(void)
{
    WRITE_CR(8, 5);
    check_eq("cr8 reads back 5", READ_CR(8), 5);
    WRITE_CR(8, 15);
    check_eq("cr8 reads back 15", READ_CR(8), 15);
    check_eq("cr8 write with reserved bit 4: #GP", run_catch(do_write_cr8, 0x10), 13);
    check_eq("cr8 unchanged after the fault", READ_CR(8), 15);
    WRITE_CR(8, 0);
    check_eq("cr8 back to 0", READ_CR(8), 0);
}

void guest_main(void)
{
    puts_uart("cpuinfo: cpuid, tsc, msrs, segment bases, cr8\n");
    test_cpuid();
    test_tsc();
    test_efer();
    test_segment_bases();
    test_rdrand();
    test_cr8();
}
