/* The 64-bit guest's C side: the bzImage (or plain ELF64) entry (boot_params in rsi), and the tests that need long
 * mode and an IDT: ring3 (iretq to user mode through a TSS, compute, back by syscall, or with
 * via=int by int 0x80, or with via=fault by the #GP of a privileged instruction), smp (INIT/SIPI
 * through the local APIC; each AP prints its APIC id), hlt (sleep on the LAPIC timer) and rep (one
 * rep string instruction with op=outsb|insb|movsb|stosb|lodsb|cmpsb|scasb and a count of 2^32 - 1,
 * warmed up first so that translated code runs it: the host must stop it mid-way); virtio-blk and
 * virtio-hostile (virtio-blk.c, virtio-hostile.c over the driver in virtio.c). */
#include "guest.h"
#include "fnv.h"
#include "boot/bootparam.h"
#include "virtio.h"

#define LAPIC 0xfee00000ul
#define LAPIC_SVR   0x0f0
#define LAPIC_EOI   0x0b0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV 0x3e0
#define TRAMPOLINE 0x10000ul           /* SIPI vector 0x10 */

struct frame {                          /* what isr_common pushed, then the CPU's frame */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t vec, err, rip, cs, rflags, rsp, ss;
};

struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp0, rsp1, rsp2;
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
};

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type_attr;
    uint16_t off1;
    uint32_t off2, reserved;
};

extern const uint64_t isr_table[34];
extern const uint8_t tramp_start[], tramp_end[];
void enter_user(uint64_t rip, uint64_t rsp) __attribute__((noreturn));
void main64(const struct boot_params *bp);
void isr_dispatch(struct frame *f);
void syscall_entry(void);
void syscall_dispatch(uint64_t cpl, uint64_t result) __attribute__((noreturn));

/* Selectors: 0x08 kernel code, 0x10 kernel data, 0x18|3 user data, 0x20|3 user code, 0x28 TSS. */
static uint64_t gdt[7] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ustack[16384] __attribute__((aligned(16)));
static volatile uint64_t ticks;
void (*volatile guest_irq_hook)(void);   /* virtio.c: its device interrupt shares vector 0x40 */
static uint64_t ring3_n;
enum { VIA_SYSCALL, VIA_INT, VIA_FAULT };
static int ring3_via;                    /* how ring 3 comes back: syscall, int 0x80, or a #GP (hlt) */

static uint32_t lapic_rd(uint32_t reg) { return mmio_read32(LAPIC + reg); }
static void lapic_wr(uint32_t reg, uint32_t v) { mmio_write32(LAPIC + reg, v); }

static void set_gate(int vec, uint64_t handler, int dpl)
{
    idt[vec] = (struct idt_gate){ .off0 = (uint16_t)handler, .sel = 0x08, .ist = 0,
                                  .type_attr = (uint8_t)(0x8e | (dpl << 5)),   /* interrupt gate */
                                  .off1 = (uint16_t)(handler >> 16), .off2 = (uint32_t)(handler >> 32) };
}

/* Our own GDT (with user segments and a TSS) and IDT, replacing the loader's. */
static void cpu_tables(void)
{
    gdt[1] = 0x00af9b000000ffffull;   /* kernel code64 */
    gdt[2] = 0x00cf93000000ffffull;   /* kernel data */
    gdt[3] = 0x00cff3000000ffffull;   /* user data, DPL 3 */
    gdt[4] = 0x00affb000000ffffull;   /* user code64, DPL 3 */
    uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
    gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |   /* available TSS */
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[6] = base >> 32;
    tss.rsp0 = (uint64_t)(kstack + sizeof(kstack));
    tss.iomap_base = sizeof(tss);     /* no I/O bitmap: ring 3 may not touch ports */
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = { sizeof(gdt) - 1, (uint64_t)gdt },
        idtr = { sizeof(idt) - 1, (uint64_t)idt };
    for (int v = 0; v < 32; v++)
        set_gate(v, isr_table[v], 0);
    set_gate(0x40, isr_table[32], 0);
    set_gate(0x80, isr_table[33], 3);
    __asm__ volatile("lgdt %0\n\t"
                     "pushq $0x08\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1: movw $0x10, %%ax\n\t"
                     "movw %%ax, %%ds\n\t movw %%ax, %%es\n\t movw %%ax, %%ss\n\t"
                     "movw $0x28, %%ax\n\t ltr %%ax\n\t"
                     "lidt %1"
                     : : "m"(gdtr), "m"(idtr) : "rax", "memory");
}

/* The loader's identity map is supervisor-only: open the first 4 GiB to ring 3 (U/S at every level). */
static void user_pages(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t *pml4 = (uint64_t *)(cr3 & ~0xfffull);
    pml4[0] |= 4;
    uint64_t *pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000ull);
    for (int i = 0; i < 4; i++) {
        if (!(pdpt[i] & 1))
            continue;
        pdpt[i] |= 4;
        uint64_t *pd = (uint64_t *)(pdpt[i] & 0x000ffffffffff000ull);
        for (int j = 0; j < 512; j++)
            pd[j] |= 4;
    }
    __asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

/* Back from ring 3 with its result and the CPL it saw. (Ring 0 does not recompute the value: under
 * a KVM that emulates ring 0 that would take long; the host computes it instead.) */
static void __attribute__((noreturn)) ring3_done(const char *how, uint64_t cpl, uint64_t cs, uint64_t result)
{
    puts_("vmon-guest: ring3 back by ");
    puts_(how);
    puts_(" cpl=");
    putdec((unsigned long)cpl);
    puts_(" from cs=0x");
    puthex(cs, 2);
    puts_(" result=");
    puthex(result, 16);
    puts_("\n");
    acpi_poweroff();   /* the test script compares result with the host's lcg_mix(n) */
}

void syscall_dispatch(uint64_t cpl, uint64_t result)
{
    ring3_done("syscall", cpl, 0x23, result);
}

void isr_dispatch(struct frame *f)
{
    if (f->vec == 0x40) {
        ticks++;
        if (guest_irq_hook)
            guest_irq_hook();
        lapic_wr(LAPIC_EOI, 0);
        return;
    }
    if (f->vec == 0x80)
        ring3_done("int 0x80", f->rdi, f->cs, f->rax);
    if (f->vec == 13 && ring3_via == VIA_FAULT && (f->cs & 3) == 3)
        ring3_done("#GP", f->rdi, f->cs, f->rax);
    puts_("vmon-guest: exception ");
    putdec(f->vec);
    puts_(" err=0x");
    puthex(f->err, 4);
    puts_(" rip=0x");
    puthex(f->rip, 16);
    puts_(" cs=0x");
    puthex(f->cs, 2);
    puts_(" cr2=0x");
    puthex(read_cr2(), 16);
    puts_("\n");
    debug_exit(0x7e);
}

void guest_cpu_tables(void)
{
    cpu_tables();
}

/* Runs in ring 3: no port I/O, no privileged instructions; the result goes back through int 0x80. */
static void __attribute__((noreturn, noinline)) user_main(void)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    uint64_t r = lcg_mix(ring3_n);
    if (ring3_via == VIA_INT)
        __asm__ volatile("int $0x80" : : "a"(r), "D"((uint64_t)(cs & 3)) : "memory");
    else if (ring3_via == VIA_FAULT)
        __asm__ volatile("hlt" : : "a"(r), "D"((uint64_t)(cs & 3)) : "memory");   /* #GP at CPL 3 */
    else
        __asm__ volatile("syscall" : : "a"(r), "D"((uint64_t)(cs & 3)) : "rcx", "r11", "memory");
    for (;;)
        ;
}

static void ring3_test(const char *cmdline)
{
    char arg[24];
    ring3_n = cmdline_get(cmdline, "n", arg, sizeof(arg)) ? parse_dec(arg) : 1000000;
    ring3_via = VIA_SYSCALL;
    if (cmdline_get(cmdline, "via", arg, sizeof(arg)))
        ring3_via = !strncmp_(arg, "int", 4) ? VIA_INT : !strncmp_(arg, "fault", 6) ? VIA_FAULT : VIA_SYSCALL;
    cpu_tables();
    user_pages();
    /* syscall (AMD64 APM vol. 2, 6.1.1): EFER.SCE on, LSTAR the entry, STAR[47:32] the kernel CS
     * (SS = CS + 8), SFMASK clears IF. */
    wrmsr(0xc0000080, rdmsr(0xc0000080) | 1);
    wrmsr(0xc0000081, (uint64_t)0x08 << 32);
    wrmsr(0xc0000082, (uint64_t)syscall_entry);
    wrmsr(0xc0000084, 0x200);
    puts_("vmon-guest: ring3 entering user mode, n=");
    putdec(ring3_n);
    puts_("\n");
    enter_user((uint64_t)user_main, (uint64_t)(ustack + sizeof(ustack)));
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void spin(unsigned n)
{
    for (volatile unsigned i = 0; i < n; i++)
        __asm__ volatile("pause");
}

static void smp_test(void)
{
    int ncpus = acpi_count_cpus();
    puts_("vmon-guest: smp bsp apic id ");
    putdec(lapic_rd(0x20) >> 24);
    puts_(", MADT lists ");
    putdec((unsigned long)ncpus);
    puts_(" cpus\n");
    volatile uint32_t *lock = (volatile uint32_t *)(TRAMPOLINE + 0xf00);
    volatile uint32_t *count = (volatile uint32_t *)(TRAMPOLINE + 0xf04);
    memcpy((void *)TRAMPOLINE, tramp_start, (size_t)(tramp_end - tramp_start));
    *lock = 0;
    *count = 0;
    lapic_wr(LAPIC_SVR, 0x1ff);
    /* MP spec B.4: INIT, then two STARTUPs with the trampoline's page number, to all but self. */
    lapic_wr(LAPIC_ICR_HI, 0);
    lapic_wr(LAPIC_ICR_LO, 0x000c4500);
    spin(10000);
    for (int i = 0; i < 2; i++) {
        lapic_wr(LAPIC_ICR_LO, 0x000c4600 | (TRAMPOLINE >> 12));
        spin(2000);
    }
    /* Up to 100e9 TSC ticks (50 s of the soft CPU's 2 GHz, under check.sh's 120 s): APs on a busy
     * host may take their time to be scheduled, and the bound only turns a hang into a report. */
    uint64_t t0 = rdtsc();
    while (*count < (uint32_t)(ncpus - 1) && rdtsc() - t0 < 100000000000ull)
        __asm__ volatile("pause");
    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
        ;
    puts_("vmon-guest: smp ");
    putdec(*count + 1);
    puts_(" of ");
    putdec((unsigned long)ncpus);
    puts_(" cpus up\n");
    acpi_poweroff();
}

static void hlt_test(void)
{
    cpu_tables();
    lapic_wr(LAPIC_SVR, 0x1ff);
    lapic_wr(LAPIC_TIMER_DIV, 0xb);                 /* divide by 1 */
    lapic_wr(LAPIC_LVT_TIMER, 0x40 | (1u << 17));  /* vector 0x40, periodic */
    lapic_wr(LAPIC_TIMER_INIT, 1000000);
    unsigned halts = 0;
    while (ticks < 3) {
        __asm__ volatile("sti; hlt; cli");        /* sti's shadow: the interrupt lands in hlt */
        halts++;
    }
    lapic_wr(LAPIC_LVT_TIMER, 1u << 16);           /* masked */
    puts_("vmon-guest: hlt woke on ");
    putdec(ticks);
    puts_(" LAPIC timer interrupts after ");
    putdec(halts);
    puts_(" hlt\n");
    acpi_poweroff();
}

/* 32-bit addressing: rSI/rDI wrap within the identity-mapped 4 GiB and never fault. They start above
 * RAM, where reads give all-ones and writes are dropped, so repe cmps and repe scas (al = 0xff) go on. */
#define REP_ADDR 0x10000000u
static const char *const rep_ops[] = { "outsb", "insb", "movsb", "stosb", "lodsb", "cmpsb", "scasb" };

static void __attribute__((noinline)) rep_run(unsigned op, uint32_t n)
{
    uint64_t s = REP_ADDR, d = REP_ADDR, cnt = n, ax = 0xff;
    switch (op) {
    case 0: __asm__ volatile("addr32 rep outsb" : "+S"(s), "+c"(cnt) : "d"(0x80) : "memory"); break;
    case 1: __asm__ volatile("addr32 rep insb" : "+D"(d), "+c"(cnt) : "d"(0x80) : "memory"); break;
    case 2: __asm__ volatile("addr32 rep movsb" : "+S"(s), "+D"(d), "+c"(cnt) : : "memory"); break;
    case 3: __asm__ volatile("addr32 rep stosb" : "+D"(d), "+c"(cnt) : "a"(ax) : "memory"); break;
    case 4: __asm__ volatile("addr32 rep lodsb" : "+S"(s), "+c"(cnt), "+a"(ax) : : "memory"); break;
    case 5: __asm__ volatile("addr32 repe cmpsb" : "+S"(s), "+D"(d), "+c"(cnt) : : "cc", "memory"); break;
    default: __asm__ volatile("addr32 repe scasb" : "+D"(d), "+c"(cnt) : "a"(ax) : "cc", "memory"); break;
    }
}

static void rep_test(const char *cmdline)
{
    char arg[16];
    unsigned op = 0;
    if (cmdline_get(cmdline, "op", arg, sizeof(arg)))
        while (op < 6 && strncmp_(arg, rep_ops[op], 6))
            op++;
    for (int k = 0; k < 100; k++)   /* hot: the translator takes the block */
        rep_run(op, 16);
    puts_("vmon-guest: rep ");
    puts_(rep_ops[op]);
    puts_(" running\n");
    rep_run(op, 0xffffffffu);
    puts_("vmon-guest: rep ended\n");
    acpi_poweroff();
}

void guest_main64(const char *test, const char *cmdline)
{
    if (!strncmp_(test, "rep", 4))
        rep_test(cmdline);
    if (!strncmp_(test, "ring3", 6))
        ring3_test(cmdline);
    if (!strncmp_(test, "smp", 4))
        smp_test();
    if (!strncmp_(test, "hlt", 4))
        hlt_test();
    if (!strncmp_(test, "virtio-blk", 11))
        virtio_blk_test(cmdline);
    if (!strncmp_(test, "virtio-hostile", 15))
        virtio_hostile_test(cmdline);
}

void main64(const struct boot_params *bp)
{
    /* A bzImage's header, copied into boot_params by the loader, says how many setup sectors the
     * image has; an ELF kernel has none, and the loader writes a header of its own. */
    const char *entry = bp->hdr.setup_sects ? "bzImage-64" : "elf64";
    puts_("vmon-guest: ");
    puts_(entry);
    puts_(" e820 entries=");
    putdec(bp->e820_entries);
    puts_(" type_of_loader=0x");
    puthex(bp->hdr.type_of_loader, 2);
    puts_(" rsdp=0x");
    puthex(bp->acpi_rsdp_addr, 8);
    puts_("\n");
    guest_main(entry, (const char *)(uintptr_t)bp->hdr.cmd_line_ptr);
}
