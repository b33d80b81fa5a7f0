/* External interrupts through the local APIC (SDM vol. 3 ch. 11 and 6.8.3): the APIC base MSR, the
 * timer raising a fixed interrupt, IF=0 keeping it pending in IRR, the one-instruction interrupt
 * shadow of sti, hlt woken by an interrupt, ISR/EOI, CR8 as the task-priority register, periodic
 * and TSC-deadline timer modes, and self NMIs with NMI blocking until iret. */
#include "guest.h"

#define APIC_BASE   0xfee00000ul
#define APIC_ID     0x020
#define APIC_TPR    0x080
#define APIC_EOI    0x0b0
#define APIC_SVR    0x0f0
#define APIC_ISR    0x100
#define APIC_IRR    0x200
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR  0x390
#define APIC_TIMER_DIV  0x3e0
#define APIC_ICR_LO     0x300
#define ICR_SELF_NMI    (1u << 18 | 1u << 14 | 4u << 8)   /* shorthand self, assert, delivery NMI */
#define VEC 0x40
#define MSR_APIC_BASE 0x1b

extern uint64_t boot_pdpt[512];
static uint64_t apic_pd[512] __attribute__((aligned(4096)));
static volatile int irq_count;
static volatile ulong irq_ip, irq_isr, irq_flags;

static uint32_t apic_read(unsigned reg) { return *(volatile uint32_t *)(APIC_BASE + reg); }
static void apic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(APIC_BASE + reg) = v; }
static int irr_set(void) { return (apic_read(APIC_IRR + 0x10 * (VEC / 32)) >> (VEC % 32)) & 1; }
static int isr_set(void) { return (apic_read(APIC_ISR + 0x10 * (VEC / 32)) >> (VEC % 32)) & 1; }

static void timer_hook(struct frame *f)
{
    irq_count++;
    irq_ip = f->ip;
    irq_flags = f->flags;
    irq_isr = isr_set();
    apic_write(APIC_EOI, 0);
}

/* Start the one-shot timer and wait (IF=0) until it has counted down and its interrupt is pending
 * in IRR. A VMM may raise the interrupt a little after the count reads 0 (QEMU does it from a host
 * timer), so IRR is polled too. Returns 0 if either never happened. */
static int fire_and_wait(void)
{
    long i;
    apic_write(APIC_TIMER_INIT, 20000);
    for (i = 0; i < 200000000 && apic_read(APIC_TIMER_CUR) != 0; i++)
        ;
    for (; i < 200000000; i++)
        if (irr_set())
            return 1;
    return 0;
}

/* NMIs: the second one, sent from inside the handler, must wait for the iretq (SDM vol. 3, 6.7.1). */
static volatile int nmi_count, nmi_depth, nmi_nested, nmi_resend;
static void nmi_hook(struct frame *f)
{
    (void)f;
    if (nmi_depth)
        nmi_nested = 1;
    nmi_depth++;
    nmi_count++;
    if (nmi_resend) {
        nmi_resend = 0;
        apic_write(APIC_ICR_LO, ICR_SELF_NMI);
        for (volatile int i = 0; i < 100000; i++)   /* time for a wrong CPU to nest it */
            ;
    }
    nmi_depth--;
}

static void test_nmi(void)
{
    exc_set_hook(2, nmi_hook);
    apic_write(APIC_ICR_LO, ICR_SELF_NMI);
    for (volatile long i = 0; i < 100000000 && !nmi_count; i++)
        ;
    check_eq("self NMI through the ICR, IF=0: delivered", nmi_count, 1);
    nmi_count = 0;
    nmi_resend = 1;
    apic_write(APIC_ICR_LO, ICR_SELF_NMI);
    for (volatile long i = 0; i < 100000000 && nmi_count < 2; i++)
        ;
    check_eq("NMI sent from the NMI handler: delivered after its iretq", nmi_count, 2);
    check_eq("NMI sent from the NMI handler: not nested", nmi_nested, 0);
    exc_set_hook(2, 0);
}

static inline uint64_t rdtsc_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Periodic mode reloads the initial count; TSC-deadline mode (where advertised) fires once the TSC
 * passes IA32_TSC_DEADLINE, then disarms and clears it (SDM vol. 3, 11.5.4.1). */
static void test_timer_modes(void)
{
    irq_count = 0;
    apic_write(APIC_LVT_TIMER, VEC | 1u << 17);   /* periodic */
    apic_write(APIC_TIMER_INIT, 50000);
    /* IF=1 across the whole loop: this checks the timer, not how soon a CPU looks at IF. */
    __asm__ volatile("sti" ::: "memory");
    for (long i = 0; i < 100000000 && irq_count < 3; i++)
        barrier();
    __asm__ volatile("cli" ::: "memory");
    apic_write(APIC_LVT_TIMER, VEC | 1u << 16);   /* masked */
    apic_write(APIC_TIMER_INIT, 0);
    /* A tick accepted before the mask may still be pending in the IRR: let it in now, so that the
     * hlt below can only be woken by the deadline. */
    __asm__ volatile("sti; nop; cli" ::: "memory");
    check("periodic timer: three interrupts from one initial count", irq_count >= 3);

    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 24))) {
        opt_skip("TSC-deadline timer", "not advertised");
        return;
    }
    opt_mode = 1;
    apic_write(APIC_LVT_TIMER, VEC | 2u << 17);   /* TSC-deadline */
    irq_count = 0;
    wrmsr(0x6e0, rdtsc_now() + 200000);
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    check_eq("TSC deadline: sti; hlt woken by the timer", irq_count, 1);
    check_eq("TSC deadline: MSR cleared once it fired", rdmsr(0x6e0), 0);
    irq_count = 0;
    wrmsr(0x6e0, 1);                              /* already past: fires at once */
    __asm__ volatile("sti" ::: "memory");
    for (long i = 0; i < 10000000 && !irq_count; i++)
        barrier();
    __asm__ volatile("cli" ::: "memory");
    check_eq("TSC deadline in the past: fires", irq_count, 1);
    irq_count = 0;
    wrmsr(0x6e0, rdtsc_now() + 2000000);
    wrmsr(0x6e0, 0);                              /* disarm */
    uint64_t until = rdtsc_now() + 20000000;
    __asm__ volatile("sti" ::: "memory");
    while (rdtsc_now() < until)
        barrier();
    __asm__ volatile("cli" ::: "memory");
    check_eq("TSC deadline disarmed by writing 0: no interrupt", irq_count, 0);
    apic_write(APIC_LVT_TIMER, VEC | 1u << 16);
    opt_mode = 0;
}

extern char shadow_nop[], shadow_after[], hlt_after[], cr8_after[];

void guest_main(void)
{
    puts_uart("irq: local APIC timer, IRR/ISR/EOI, sti shadow, hlt wake-up, CR8 priority\n");
    /* The APIC page, uncached, through a 2 MiB page at 0xfee00000. */
    boot_pdpt[3] = (ulong)apic_pd | 3;
    apic_pd[(APIC_BASE >> 21) & 511] = (APIC_BASE & ~0x1ffffful) | 0x9b;   /* P RW PWT PCD PS */
    WRITE_CR(3, READ_CR(3));
    uint64_t base = rdmsr(MSR_APIC_BASE);
    check_eq("APIC base MSR: base address", base & ~0xfffull & 0xffffffffull, APIC_BASE);
    check_eq("APIC base MSR: enabled, BSP", base & 0x900, 0x900);
    check_eq("APIC ID register of CPU 0", apic_read(APIC_ID) >> 24, 0);
    /* Firmware may leave the 8259s unmasked with the PIT running (SeaBIOS does, at vector 8): mask
     * them, so that the local APIC timer is the only interrupt source. */
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    exc_set_hook(VEC, timer_hook);
    apic_write(APIC_SVR, 0x1ff);              /* software enable, spurious vector 0xff */
    apic_write(APIC_TIMER_DIV, 0xb);          /* divide by 1 */
    apic_write(APIC_LVT_TIMER, VEC);          /* one-shot, not masked */
    WRITE_CR(8, 0);

    /* IF=0: the interrupt waits in IRR. */
    check("timer counts down to 0 and raises its interrupt", fire_and_wait());
    check_eq("IF=0: interrupt pending in IRR", irr_set(), 1);
    check_eq("IF=0: handler not run", irq_count, 0);
    /* sti: interrupts are recognized after the next instruction, so the frame's RIP is past the nop. */
    __asm__ volatile("sti\n shadow_nop: nop\n shadow_after: cli" ::: "memory");
    check_eq("sti; nop: one interrupt", irq_count, 1);
    check_eq("sti; nop: delivered after the nop (interrupt shadow)", irq_ip - (ulong)shadow_after, 0);
    check_eq("in the handler: vector in ISR", irq_isr, 1);
    check_eq("frame rflags: IF set", irq_flags & FL_IF, FL_IF);
    check_eq("after EOI: ISR clear", isr_set(), 0);
    check_eq("after delivery: IRR clear", irr_set(), 0);

    /* Each step below counts its own interrupts, so that one failure does not spill into the next. */
    if (irr_set()) {   /* the interrupt was not taken above: take it now (irq_count tells) */
        __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
        apic_write(APIC_EOI, 0);
    }
    /* sti; hlt: the interrupt wakes the CPU, the frame's RIP is past the hlt. */
    irq_count = 0;
    apic_write(APIC_TIMER_INIT, 200000);
    __asm__ volatile("sti\n hlt\n hlt_after: cli" ::: "memory");
    check_eq("sti; hlt: woken by the timer interrupt", irq_count, 1);
    check_eq("sti; hlt: frame rip after the hlt", irq_ip - (ulong)hlt_after, 0);

    /* CR8 is TPR[7:4]: priority class 4 masks vector 0x40 (class 4) even with IF=1. */
    WRITE_CR(8, 4);
    check_eq("CR8 = 4: APIC TPR = 0x40", apic_read(APIC_TPR) & 0xf0, 0x40);
    irq_count = 0;
    check("timer counts down with CR8 = 4 and raises its interrupt", fire_and_wait());
    __asm__ volatile("sti; nop; nop; cli" ::: "memory");
    check_eq("CR8 = 4, IF=1: vector 0x40 held back", irq_count, 0);
    check_eq("CR8 = 4: interrupt pending in IRR", irr_set(), 1);
    /* Lowering CR8 unmasks it: it is delivered right after the mov to CR8 completes. */
    __asm__ volatile("sti\n nop\n mov %0, %%cr8\n cr8_after: nop\n nop\n cli" :: "r"(3ul) : "memory");
    check_eq("CR8 lowered to 3 with IF=1: delivered", irq_count, 1);
    check_eq("CR8 lowered to 3: delivered right after the mov to CR8", irq_ip - (ulong)cr8_after, 0);
    check_eq("APIC TPR write 0x20: CR8 reads 2", (apic_write(APIC_TPR, 0x20), READ_CR(8)), 2);
    WRITE_CR(8, 0);
    apic_write(APIC_LVT_TIMER, 1u << 16);     /* masked */
    test_timer_modes();
    test_nmi();
}
