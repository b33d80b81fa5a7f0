/* The I/O APIC as a guest programs it (82093AA datasheet, sections 3.2 and 3.2.4; ICH9 datasheet
 * 13.5 for the version 0x20 EOI register): the ID register with only bits 24-27 writable, version
 * and redirection-entry read-only bits, and what level-triggered lines do: remote IRR set when the
 * local APIC accepts the interrupt, cleared by its EOI, a line still asserted at EOI delivered again,
 * a masked line delivered when unmasked; an edge line never sets remote IRR. The line is ISA IRQ 14
 * driven through pc-testdev's IRQ ports (0x2000 + n, as QEMU's -device pc-testdev and
 * kvm-unit-tests use them). Also System Control Port A (0x92): its A20 bit reads back set. */
#include "guest.h"

#define APIC_BASE   0xfee00000ul
#define APIC_EOI    0x0b0
#define APIC_SVR    0x0f0
#define APIC_IRR    0x200
#define IOAPIC_BASE 0xfec00000ul
#define IO_REGSEL   0x00
#define IO_WIN      0x10
#define IO_EOI      0x40
#define RTE_LEVEL   (1u << 15)
#define RTE_REMOTE  (1u << 14)
#define RTE_DELIVS  (1u << 12)
#define RTE_MASKED  (1u << 16)
#define LINE        14
#define TESTDEV_IRQ 0x2000
#define VEC         0x50

extern uint64_t boot_pdpt[512];
static uint64_t hole_pd[512] __attribute__((aligned(4096)));
static volatile int irq_count, deassert_on;   /* deassert the line in the handler from this count on */
static volatile uint32_t remote_in_handler;

static uint32_t apic_read(unsigned reg) { return *(volatile uint32_t *)(APIC_BASE + reg); }
static void apic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(APIC_BASE + reg) = v; }
static uint32_t io_read(unsigned reg)
{
    *(volatile uint32_t *)(IOAPIC_BASE + IO_REGSEL) = reg;
    return *(volatile uint32_t *)(IOAPIC_BASE + IO_WIN);
}
static void io_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)(IOAPIC_BASE + IO_REGSEL) = reg;
    *(volatile uint32_t *)(IOAPIC_BASE + IO_WIN) = v;
}
static uint32_t rte(void) { return io_read(0x10 + 2 * LINE); }
static void set_rte(uint32_t lo) { io_write(0x11 + 2 * LINE, 0); io_write(0x10 + 2 * LINE, lo); }
static void line(int level) { outb(TESTDEV_IRQ + LINE, (uint8_t)level); }
static int irr_set(void) { return (apic_read(APIC_IRR + 0x10 * (VEC / 32)) >> (VEC % 32)) & 1; }

static int wait_irr(void)
{
    for (long i = 0; i < 10000000; i++)
        if (irr_set())
            return 1;
    return 0;
}

static void hook(struct frame *f)
{
    (void)f;
    irq_count++;
    remote_in_handler = rte() & RTE_REMOTE;
    if (irq_count >= deassert_on)
        line(0);
    apic_write(APIC_EOI, 0);
}

/* Let a pending interrupt in, with a few instructions of IF=1. */
static void take(void)
{
    for (int i = 0; i < 1000; i++)
        __asm__ volatile("sti; nop; nop; cli" ::: "memory");
}

static void test_registers(void)
{
    uint32_t id = io_read(0);
    io_write(0, 0xffffffff);
    check_eq("ID register: only bits 24-27 writable", io_read(0), 0x0f000000);
    io_write(0, id);
    uint32_t ver = io_read(1);
    check_eq("version register: 24 redirection entries", (ver >> 16) & 0xff, 23);
    io_write(1, 0);
    check("version register: read-only", io_read(1) == ver);   /* 0x20 QEMU, vmon; 0x11 KVM */
    set_rte(RTE_MASKED | RTE_LEVEL | RTE_REMOTE | RTE_DELIVS | VEC);
    check_eq("redirection entry: delivery status and remote IRR read-only",
             rte() & (RTE_REMOTE | RTE_DELIVS), 0);
    check_eq("redirection entry: vector, trigger and mask kept", rte() & (RTE_MASKED | RTE_LEVEL | 0xff),
             RTE_MASKED | RTE_LEVEL | VEC);
}

static void test_level(void)
{
    set_rte(RTE_LEVEL | VEC);              /* fixed, physical, active high, to APIC 0 */
    irq_count = 0;
    deassert_on = 1;
    line(1);
    check("level: the asserted line reaches the local APIC (IF=0: IRR)", wait_irr());
    check_eq("level: remote IRR set once the local APIC accepted it", rte() & RTE_REMOTE, RTE_REMOTE);
    take();
    check_eq("level: one interrupt", irq_count, 1);
    check_eq("level: remote IRR set in the handler", remote_in_handler, RTE_REMOTE);
    check_eq("level: remote IRR clear after the EOI", rte() & RTE_REMOTE, 0);

    /* Still asserted at the EOI: delivered again (the handler deasserts the second time). */
    irq_count = 0;
    deassert_on = 2;
    line(1);
    wait_irr();
    take();
    check_eq("level: a line still asserted at EOI is delivered again", irq_count, 2);
    check_eq("level: remote IRR clear at the end", rte() & RTE_REMOTE, 0);

    /* Masked while asserted: nothing; unmasked: delivered. */
    irq_count = 0;
    deassert_on = 1;
    set_rte(RTE_MASKED | RTE_LEVEL | VEC);
    line(1);
    for (volatile int i = 0; i < 100000; i++)
        ;
    check_eq("level, masked: not delivered", irr_set(), 0);
    check_eq("level, masked: remote IRR clear", rte() & RTE_REMOTE, 0);
    set_rte(RTE_LEVEL | VEC);
    check("level, unmasked while asserted: delivered", wait_irr());
    take();
    check_eq("level, unmasked: one interrupt", irq_count, 1);
}

static void test_edge(void)
{
    set_rte(VEC);                          /* edge */
    irq_count = 0;
    deassert_on = 1;
    line(1);
    check("edge: the rising edge reaches the local APIC", wait_irr());
    check_eq("edge: remote IRR stays clear", rte() & RTE_REMOTE, 0);
    take();
    check_eq("edge: one interrupt", irq_count, 1);
    check_eq("edge: remote IRR clear in the handler", remote_in_handler, 0);
}

/* Version 0x20 I/O APICs take an EOI for a vector at offset 0x40 (directed EOI); older ones
 * (KVM's in-kernel one is 0x11) do not have the register. */
static void test_eoi_register(void)
{
    if ((io_read(1) & 0xff) < 0x20) {
        opt_skip("EOI register", "I/O APIC version below 0x20");
        return;
    }
    opt_mode = 1;
    set_rte(RTE_LEVEL | VEC);
    irq_count = 0;
    deassert_on = 1;
    line(1);
    wait_irr();
    line(0);
    check_eq("EOI register: remote IRR set before", rte() & RTE_REMOTE, RTE_REMOTE);
    *(volatile uint32_t *)(IOAPIC_BASE + IO_EOI) = VEC;
    check_eq("EOI register: the vector's EOI clears remote IRR", rte() & RTE_REMOTE, 0);
    take();
    opt_mode = 0;
}

/* Only the set side of A20: this guest runs at 1 MiB, and a VMM that masks address bit 20 (QEMU's
 * TCG does) would take its code away with it. */
static void test_port92(void)
{
    uint8_t v = inb(0x92);
    outb(0x92, (uint8_t)((v & ~1u) | 2));
    check_eq("port 0x92: A20 bit set reads back 1", inb(0x92) & 2, 2);
    check_eq("port 0x92: no reset from writing bit 0 as 0", inb(0x92) & 1, 0);
}

void guest_main(void)
{
    puts_uart("ioapic: ID and read-only bits, level lines with remote IRR and EOI, edge lines, port 0x92\n");
    /* The top 2 MiB pages of the 4th GiB, uncached: the I/O APIC at 0xfec00000, the LAPIC at 0xfee00000. */
    boot_pdpt[3] = (ulong)hole_pd | 3;
    hole_pd[(IOAPIC_BASE >> 21) & 511] = (IOAPIC_BASE & ~0x1ffffful) | 0x9b;
    hole_pd[(APIC_BASE >> 21) & 511] = (APIC_BASE & ~0x1ffffful) | 0x9b;
    WRITE_CR(3, READ_CR(3));
    outb(0x21, 0xff);                      /* the 8259s masked: the I/O APIC is the only path */
    outb(0xa1, 0xff);
    exc_set_hook(VEC, hook);
    apic_write(APIC_SVR, 0x1ff);
    WRITE_CR(8, 0);
    test_registers();
    test_level();
    test_edge();
    test_eoi_register();
    set_rte(RTE_MASKED | VEC);
    test_port92();
}
