/* x2APIC mode (SDM vol. 3A, 10.12): entering it through IA32_APIC_BASE (EXTD with EN; the invalid
 * transitions #GP), the registers as MSRs 0x800+ (the 32-bit ID, the derived LDR, no DFR, EOI
 * write-only and zero), a SELF IPI, a fixed IPI to itself through the 64-bit ICR, and the timer
 * programmed through MSRs. Every check is on an opt: line: CPUs without x2APIC (QEMU 7.2's TCG
 * among them) skip the guest, and an opt: FAIL still fails the run. */
#include "guest.h"

#define MSR_APIC_BASE 0x1b
#define BASE_EN   (1ul << 11)
#define BASE_EXTD (1ul << 10)
#define X2_ID     0x802
#define X2_VER    0x803
#define X2_TPR    0x808
#define X2_EOI    0x80b
#define X2_LDR    0x80d
#define X2_DFR    0x80e
#define X2_SVR    0x80f
#define X2_ICR    0x830
#define X2_LVT_TIMER 0x832
#define X2_TIMER_INIT 0x838
#define X2_TIMER_CUR  0x839
#define X2_TIMER_DIV  0x83e
#define X2_SELF_IPI   0x83f
#define VEC 0x50

static volatile int irq_count;
static volatile uint64_t pending_val;

static void hook(struct frame *f)
{
    (void)f;
    irq_count++;
    wrmsr(X2_EOI, 0);
}

static void do_wrmsr(ulong msr) { wrmsr((uint32_t)msr, pending_val); }
static void do_rdmsr(ulong msr) { pending_val = rdmsr((uint32_t)msr); }

static int wrmsr_gp(uint32_t msr, uint64_t v)
{
    pending_val = v;
    return run_catch(do_wrmsr, msr) == 13;
}

static int rdmsr_gp(uint32_t msr) { return run_catch(do_rdmsr, msr) == 13; }

/* Opens the interrupt window until the interrupt came. The bound is generous: an interrupt the
 * architecture delivers at once may come much later under a paravirtual KVM (kvm_pvm delivered the
 * SELF IPI after more than 100,000 windows in 12 of 40 runs); a delivered one ends the loop early. */
static void take(void)
{
    for (long i = 0; i < 100000000 && !irq_count; i++)
        __asm__ volatile("sti; nop; cli" ::: "memory");
}

void guest_main(void)
{
    uint32_t r[4];
    puts_uart("x2apic: x2APIC mode through IA32_APIC_BASE, registers as MSRs, ICR, SELF IPI, timer\n");
    cpuid(1, 0, r);
    if (!((r[2] >> 21) & 1)) {
        opt_skip("x2APIC", "not advertised");
        return;
    }
    opt_mode = 1;
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    exc_set_hook(VEC, hook);
    uint64_t base = rdmsr(MSR_APIC_BASE);
    check("xAPIC mode at start (EN set, EXTD clear)", (base & (BASE_EN | BASE_EXTD)) == BASE_EN);
    check("xAPIC mode: x2APIC MSRs #GP", rdmsr_gp(X2_ID));
    check("EXTD without EN: #GP", wrmsr_gp(MSR_APIC_BASE, (base & ~BASE_EN) | BASE_EXTD));
    wrmsr(MSR_APIC_BASE, base | BASE_EXTD);
    check_eq("EN + EXTD: x2APIC mode", rdmsr(MSR_APIC_BASE) & (BASE_EN | BASE_EXTD), BASE_EN | BASE_EXTD);
    check("x2APIC -> xAPIC: #GP", wrmsr_gp(MSR_APIC_BASE, base));
    check_eq("x2APIC ID of CPU 0 (32 bits)", rdmsr(X2_ID), 0);
    check_eq("LDR: cluster 0, bit 0", rdmsr(X2_LDR), 1);
    check_eq("version: 6 LVT entries or more", (rdmsr(X2_VER) >> 16 & 0xff) >= 5, 1);
    check("ID is read-only: #GP", wrmsr_gp(X2_ID, 5));
    check("no DFR: #GP", rdmsr_gp(X2_DFR));
    check("EOI is write-only: #GP", rdmsr_gp(X2_EOI));
    check("EOI with a non-zero value: #GP", wrmsr_gp(X2_EOI, 1));
    check("TPR reserved bits: #GP", wrmsr_gp(X2_TPR, 0x100));
    wrmsr(X2_SVR, 0x1ff);
    wrmsr(X2_TPR, 0);

    irq_count = 0;
    wrmsr(X2_SELF_IPI, VEC);
    take();
    check_eq("SELF IPI: delivered", irq_count, 1);
    irq_count = 0;
    wrmsr(X2_ICR, 0ull << 32 | VEC);   /* fixed, physical, destination 0: ourselves */
    take();
    check_eq("ICR, physical destination 0: delivered", irq_count, 1);
    check_eq("ICR reads back as written (no busy bit)", rdmsr(X2_ICR), VEC);
    irq_count = 0;
    wrmsr(X2_ICR, 0x1ull << 32 | 1u << 11 | VEC);   /* logical: cluster 0, member bit 0 */
    take();
    check_eq("ICR, logical cluster 0 bit 0: delivered", irq_count, 1);

    irq_count = 0;
    wrmsr(X2_TIMER_DIV, 0xb);
    wrmsr(X2_LVT_TIMER, VEC);
    wrmsr(X2_TIMER_INIT, 100000);
    for (long i = 0; i < 100000000 && !irq_count; i++)
        __asm__ volatile("sti; nop; cli" ::: "memory");
    check_eq("timer through the MSRs: fired", irq_count, 1);
    check_eq("timer: current count 0 after one shot", rdmsr(X2_TIMER_CUR), 0);

    /* Out through disabled, back to xAPIC mode. */
    wrmsr(MSR_APIC_BASE, base & ~(BASE_EN | BASE_EXTD));
    check("disabled -> x2APIC: #GP", wrmsr_gp(MSR_APIC_BASE, base | BASE_EXTD));
    wrmsr(MSR_APIC_BASE, base);
    check_eq("back in xAPIC mode", rdmsr(MSR_APIC_BASE) & (BASE_EN | BASE_EXTD), BASE_EN);
    opt_mode = 0;
}
