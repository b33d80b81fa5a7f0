/* timers: interrupt delivery on the PC platform, checked from inside a guest: the PIT through the 8259
 * and through the IOAPIC (ISA IRQ0 -> pin 2), PIT channel 2 on port 0x61, the local APIC timer
 * (one-shot, periodic, masked, TSC-deadline where offered), CR8/TPR and priority order with self-IPIs, a level-triggered IOAPIC
 * pin with remote IRR (driven through pc-testdev's IRQ lines), and the HPET where there is one.
 * Only counts and register bits are printed, never rates, so QEMU TCG, KVM's in-kernel irqchip and
 * vmon's userspace platform under the software CPU print the same lines. */
#include "guest.h"

#define LAPIC       0xfee00000ul
#define IOAPIC      0xfec00000ul
#define HPET        0xfed00000ul
#define TESTDEV_IRQ 0x2000      /* pc-testdev: a byte write to 0x2000 + n sets ISA IRQ n's level */

#define APIC_TPR    0x080
#define APIC_PPR    0x0a0
#define APIC_EOI    0x0b0
#define APIC_SVR    0x0f0
#define APIC_ISR    0x100
#define APIC_IRR    0x200
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define APIC_LVTT   0x320
#define APIC_TICR   0x380
#define APIC_TCCR   0x390
#define APIC_TDCR   0x3e0

static inline uint32_t lapic_read(unsigned reg) { return *(volatile uint32_t *)(LAPIC + reg); }
static inline void lapic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(LAPIC + reg) = v; }

static uint32_t ioapic_read(unsigned reg)
{
    *(volatile uint32_t *)IOAPIC = reg;
    return *(volatile uint32_t *)(IOAPIC + 0x10);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)IOAPIC = reg;
    *(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static void ioapic_route(unsigned pin, uint32_t low)
{
    ioapic_write(0x11 + 2 * pin, 0);           /* destination: APIC id 0 */
    ioapic_write(0x10 + 2 * pin, low);
}

static int vec_bit(unsigned base, unsigned v)   /* bit v of the 256-bit ISR/IRR/TMR at base */
{
    return (lapic_read(base + 0x10 * (v / 32)) >> (v % 32)) & 1;
}

/* ---- interrupt handlers ---- */

static volatile int count[256];
static volatile uint32_t isr_seen, ppr_seen, rirr_seen;
static volatile int order[8], norder;
static volatile int level_limit;

static void pic_handler(struct frame *f)
{
    count[f->vector]++;
    outb(0x20, 0x0b);                          /* OCW3: read ISR */
    isr_seen = inb(0x20);
    outb(0x20, 0x20);                          /* non-specific EOI */
}

static void lapic_handler(struct frame *f)
{
    count[f->vector]++;
    isr_seen = vec_bit(APIC_ISR, f->vector);
    ppr_seen = lapic_read(APIC_PPR);
    if (norder < 8)
        order[norder++] = f->vector;
    lapic_write(APIC_EOI, 0);
}

/* IRQ 10 held high by pc-testdev: let it fire level_limit times, then drop the line before the EOI. */
static void level_handler(struct frame *f)
{
    count[f->vector]++;
    rirr_seen = (ioapic_read(0x10 + 2 * 10) >> 14) & 1;
    if (count[f->vector] >= level_limit)
        outb(TESTDEV_IRQ + 10, 0);
    lapic_write(APIC_EOI, 0);
}

/* Sleep until count[v] reaches n. sti;hlt cannot lose a wakeup: sti's shadow covers the hlt. */
static void wait_for(int v, int n)
{
    while (count[v] < n)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Let pending interrupts in: one instruction after sti is the whole window (SDM vol. 2B, STI), so
 * this also checks that the CPU takes an interrupt inside "sti; nop; cli". */
static void window(void)
{
    __asm__ volatile("sti; nop; cli" ::: "memory");
}

/* Busy-wait about ms milliseconds on PIT channel 2 (mode 0, OUT polled on port 0x61 bit 5).
 * Returns 0, or -1 if OUT never went high (a bound on the polls keeps a broken PIT from hanging). */
static int pit_delay_ms(unsigned ms)
{
    for (unsigned i = 0; i < ms; i++) {
        outb(0x61, (inb(0x61) & ~0x02) | 0x01);    /* gate on, speaker off */
        outb(0x43, 0xb0);                          /* channel 2, LSB then MSB, mode 0 */
        outb(0x42, 1193 & 0xff);
        outb(0x42, 1193 >> 8);
        unsigned long polls = 0;
        while (!(inb(0x61) & 0x20))
            if (++polls > 100000000ul)
                return -1;
    }
    return 0;
}

static void pit_ch0(uint8_t mode_cmd, uint16_t cnt)
{
    outb(0x43, mode_cmd);
    outb(0x40, cnt & 0xff);
    outb(0x40, cnt >> 8);
}

static void pit_ch0_stop(void)
{
    outb(0x43, 0x30);                          /* mode 0 with no count written: OUT stays low */
}

/* ---- the tests ---- */

/* Map the IOAPIC, HPET and LAPIC pages: the library's identity map covers only the first GiB. */
static uint64_t pd_high[512] __attribute__((aligned(4096)));

static void map_chipset(void)
{
    extern uint64_t boot_pdpt[512];
    for (unsigned i = 0x1f6; i <= 0x1f7; i++)      /* 0xfec00000 and 0xfee00000, 2 MiB each */
        pd_high[i] = (0xc0000000ull + (uint64_t)i * 0x200000) | 0x9b;   /* P RW PWT PCD PS */
    boot_pdpt[3] = (uint64_t)(ulong)pd_high | 0x03;
    WRITE_CR(3, READ_CR(3));
}

static void pic_init(void)
{
    static const uint8_t icw[2][4] = { { 0x11, 0x20, 0x04, 0x01 }, { 0x11, 0x28, 0x02, 0x01 } };
    for (int c = 0; c < 2; c++) {
        uint16_t base = c ? 0xa0 : 0x20;
        outb(base, icw[c][0]);
        for (int i = 1; i < 4; i++)
            outb(base + 1, icw[c][i]);
    }
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static void test_pic(void)
{
    pic_init();
    exc_set_hook(0x20, pic_handler);
    outb(0x21, 0xfe);                          /* only IRQ0 */
    pit_ch0(0x34, 11932);                      /* mode 2, 100 Hz */
    wait_for(0x20, 3);
    pit_ch0_stop();
    outb(0x21, 0xff);
    check_eq("pic: IRQ0 in service inside its handler", isr_seen, 0x01);
    outb(0x20, 0x0b);
    check_eq("pic: nothing in service after EOI", inb(0x20), 0);
    check_eq("pic: IMR reads back", inb(0x21), 0xff);
    int others = 0;
    for (int v = 0x21; v < 0x30; v++)
        others += count[v];
    check_eq("pic: no other IRQ fired", others, 0);
}

static void test_pit_ch2(void)
{
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 0x00);
    outb(0x42, 0x10);                          /* 4096 ticks, 3.4 ms */
    check_eq("pit ch2: OUT low while counting", inb(0x61) & 0x20, 0);
    unsigned long polls = 0;
    while (!(inb(0x61) & 0x20) && ++polls < 100000000ul)
        ;
    check_eq("pit ch2: OUT high at terminal count", (inb(0x61) >> 5) & 1, 1);
    outb(0x43, 0x80);                          /* latch channel 2 */
    uint8_t lo = inb(0x42);
    uint8_t hi = inb(0x42);
    check("pit ch2: the count wraps past zero", (lo | hi << 8) > 0x1000);
    /* Gate low: mode 0 holds its count. */
    outb(0x61, inb(0x61) & ~0x03);
    outb(0x43, 0xb0);
    outb(0x42, 0x34);
    outb(0x42, 0x12);
    for (volatile int i = 0; i < 20000; i++)   /* time passes; the count must not */
        ;
    outb(0x43, 0xe8);                          /* read-back: status of channel 2 */
    check_eq("pit ch2: status OUT low, LSB/MSB, mode 0", inb(0x42) & 0xbf, 0x30);
    outb(0x43, 0x80);
    lo = inb(0x42);
    hi = inb(0x42);
    check_eq("pit ch2: gate low holds the count", lo | hi << 8, 0x1234);
    check_eq("pit ch2: delays end", pit_delay_ms(2), 0);
}

static void test_lapic_timer(void)
{
    lapic_write(APIC_SVR, 0x1ff);
    exc_set_hook(0x40, lapic_handler);
    lapic_write(APIC_TDCR, 0x3);               /* divide by 16 */
    lapic_write(APIC_LVTT, 0x40);              /* one-shot */
    lapic_write(APIC_TICR, 100000);
    wait_for(0x40, 1);
    check_eq("lapic: timer vector in ISR inside its handler", isr_seen, 1);
    check_eq("lapic: PPR is the vector's class inside its handler", ppr_seen & 0xf0, 0x40);
    check_eq("lapic: one-shot count reads 0 after expiry", lapic_read(APIC_TCCR), 0);
    pit_delay_ms(5);
    window();
    check_eq("lapic: one-shot fires once", count[0x40], 1);
    lapic_write(APIC_LVTT, 0x40 | 1u << 17);   /* periodic */
    lapic_write(APIC_TICR, 50000);
    wait_for(0x40, 5);
    check("lapic: periodic count reloads", lapic_read(APIC_TCCR) <= 50000);
    lapic_write(APIC_LVTT, 0x10040 | 1u << 17);    /* masked: counts, raises nothing */
    window();                                  /* a tick already pending may still come */
    int before = count[0x40];
    pit_delay_ms(5);
    window();
    check_eq("lapic: a masked timer raises nothing", count[0x40] - before, 0);
    lapic_write(APIC_TICR, 0);
    check_eq("lapic: initial count 0 stops the timer", lapic_read(APIC_TCCR), 0);
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* TSC-deadline mode (SDM 10.5.4.1), where CPUID.1:ECX[24] offers it. */
static void test_tsc_deadline(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 24))) {
        opt_skip("lapic tsc-deadline", "not offered by CPUID");
        return;
    }
    exc_set_hook(0x42, lapic_handler);
    lapic_write(APIC_LVTT, 0x42 | 2u << 17);
    wrmsr(0x6e0, rdtsc() + 1000000);
    wait_for(0x42, 1);
    opt_check_eq("lapic tsc-deadline: fires", count[0x42], 1);
    opt_check_eq("lapic tsc-deadline: the MSR reads 0 once fired", rdmsr(0x6e0), 0);
    wrmsr(0x6e0, 1);                           /* already past: fires at once */
    window();
    opt_check_eq("lapic tsc-deadline: a past deadline fires at once", count[0x42], 2);
    wrmsr(0x6e0, rdtsc() + 1000000);
    wrmsr(0x6e0, 0);                           /* 0 disarms */
    pit_delay_ms(5);
    window();
    opt_check_eq("lapic tsc-deadline: writing 0 disarms", count[0x42], 2);
    /* The deadline is on this CPU's TSC as written (IA32_TIME_STAMP_COUNTER moved 4e9 ahead, as a
     * restore or a guest may move it): due ~1 ms on, not 4e9 ticks later. */
    wrmsr(0x10, rdtsc() + 4000000000ull);
    wrmsr(0x6e0, rdtsc() + 2000000);
    pit_delay_ms(20);
    window();
    opt_check_eq("lapic tsc-deadline: on the TSC as written", count[0x42], 3);
    wrmsr(0x10, rdtsc() - 4000000000ull);
    lapic_write(APIC_LVTT, 0x10000);
}

static void self_ipi(uint8_t vector)
{
    lapic_write(APIC_ICR_HI, 0);
    lapic_write(APIC_ICR_LO, 1u << 18 | vector);   /* shorthand self, fixed, edge */
}

static void test_tpr_and_priority(void)
{
    exc_set_hook(0x51, lapic_handler);
    exc_set_hook(0x61, lapic_handler);
    exc_set_hook(0x71, lapic_handler);
    exc_set_hook(0x91, lapic_handler);
    WRITE_CR(8, 5);
    check_eq("tpr: CR8 is TPR[7:4]", lapic_read(APIC_TPR), 0x50);
    self_ipi(0x51);
    window();
    check_eq("tpr: a vector in the TPR's class waits", count[0x51], 0);
    check_eq("tpr: and stays in IRR", vec_bit(APIC_IRR, 0x51), 1);
    lapic_write(APIC_TPR, 0x40);
    check_eq("tpr: TPR writes show in CR8", READ_CR(8), 4);
    window();
    check_eq("tpr: lowering the TPR lets it in", count[0x51], 1);
    WRITE_CR(8, 0);
    norder = 0;
    self_ipi(0x61);
    self_ipi(0x91);
    self_ipi(0x71);
    window();
    check_eq("priority: highest first", order[0], 0x91);
    check_eq("priority: then the next", order[1], 0x71);
    check_eq("priority: lowest last", order[2], 0x61);
    check_eq("priority: nothing left in service", vec_bit(APIC_ISR, 0x61), 0);
}

static void test_ioapic_pit(void)
{
    uint32_t ver = ioapic_read(0x01);
    check_eq("ioapic: 24 pins", (ver >> 16) & 0xff, 23);
    exc_set_hook(0x50, lapic_handler);
    ioapic_route(2, 0x50);                     /* ISA IRQ0 -> pin 2 (MADT override), edge */
    int pic_before = count[0x20];
    pit_ch0(0x34, 11932);
    wait_for(0x50, 3);
    pit_ch0_stop();
    ioapic_route(2, 0x10000 | 0x50);           /* masked */
    check_eq("ioapic: the PIT through pin 2, not the masked PIC", count[0x20] - pic_before, 0);
}

static void test_ioapic_level(void)
{
    exc_set_hook(0x70, level_handler);
    ioapic_route(10, 1u << 15 | 0x70);         /* ISA IRQ 10, level, active high */
    level_limit = 3;
    outb(TESTDEV_IRQ + 10, 1);
    window();
    window();
    window();
    window();
    check_eq("ioapic level: re-delivered on EOI while the line is high", count[0x70], 3);
    check_eq("ioapic level: remote IRR set while in service", rirr_seen, 1);
    check_eq("ioapic level: remote IRR clear after EOI", (ioapic_read(0x10 + 20) >> 14) & 1, 0);
    /* The TMR says how the vector was last accepted; EOI leaves it (SDM 10.8.4). */
    check_eq("ioapic level: TMR set for a level-triggered vector", vec_bit(0x180, 0x70), 1);
    ioapic_route(10, 0x10000 | 1u << 15 | 0x70);
}

static void test_hpet(void)
{
    volatile uint32_t *h = (volatile uint32_t *)HPET;
    if (h[0] != 0x8086a201) {
        opt_skip("hpet", "no HPET at 0xfed00000");
        return;
    }
    h[0x10 / 4] = 0;                           /* halt, no legacy routing */
    h[0xf0 / 4] = 0;
    h[0xf4 / 4] = 0;
    uint32_t cfg = h[0x100 / 4];
    cfg |= 1u << 2 | 1u << 3 | 1u << 6 | 1u << 8;  /* interrupt, periodic, value set, 32-bit */
    h[0x100 / 4] = cfg;
    h[0x108 / 4] = 1000000;                    /* first match at 10 ms */
    h[0x108 / 4] = 1000000;                    /* then every 10 ms */
    int before = count[0x50];
    ioapic_route(2, 0x50);
    h[0x10 / 4] = 3;                           /* enable, legacy replacement: timer 0 -> IRQ0/pin 2 */
    wait_for(0x50, before + 3);
    h[0x10 / 4] = 0;
    ioapic_route(2, 0x10000 | 0x50);
    opt_check_eq("hpet: legacy timer 0 ticks through pin 2", count[0x50] - before >= 3, 1);
}

void guest_main(void)
{
    gprintf("timers: PIC, PIT, LAPIC timer, TPR, IPIs, IOAPIC edge and level, HPET\n");
    map_chipset();
    test_pic();
    test_pit_ch2();
    test_lapic_timer();
    test_tsc_deadline();
    test_tpr_and_priority();
    test_ioapic_pit();
    test_ioapic_level();
    test_hpet();
    finish();
}
