/* Starting a second CPU the way firmware and Linux do (SDM vol. 3, 9.4.4; MP spec B.4): INIT, then
 * two SIPIs with vector 0x09 through the local APIC ICR; the AP starts in real mode at 0x9000 (see
 * smp-asm.S). Run with two CPUs (vmon --cpus 2, QEMU -smp 2). */
#include "guest.h"

#define APIC_BASE 0xfee00000ul
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)
#define TRAMP 0x9000

extern uint64_t boot_pdpt[512];
static uint64_t apic_pd[512] __attribute__((aligned(4096)));
extern char tramp_start[], tramp_end[], tramp_arrived[], tramp_cr0[], tramp_apic_id[], tramp_count[], tramp_cs[];

static uint32_t apic_read(unsigned reg) { return *(volatile uint32_t *)(APIC_BASE + reg); }
static void apic_write(unsigned reg, uint32_t v) { *(volatile uint32_t *)(APIC_BASE + reg) = v; }

/* The AP's copy of a trampoline variable. */
static volatile uint32_t *tramp_var(const char *sym)
{
    return (volatile uint32_t *)(TRAMP + (sym - tramp_start));
}

static void send_ipi(uint32_t dest, uint32_t lo)
{
    apic_write(APIC_ICR_HI, dest << 24);
    apic_write(APIC_ICR_LO, lo);
    for (long i = 0; i < 1000000 && (apic_read(APIC_ICR_LO) & ICR_BUSY); i++)
        ;
}

static void delay(long n)
{
    for (volatile long i = 0; i < n; i++)
        ;
}

void guest_main(void)
{
    puts_uart("smp: INIT-SIPI-SIPI, the AP starting in real mode at the SIPI vector\n");
    boot_pdpt[3] = (ulong)apic_pd | 3;
    apic_pd[(APIC_BASE >> 21) & 511] = (APIC_BASE & ~0x1ffffful) | 0x9b;
    WRITE_CR(3, READ_CR(3));
    apic_write(0xf0, 0x1ff);
    memcpy((void *)TRAMP, tramp_start, (size_t)(tramp_end - tramp_start));
    check_eq("BSP: local APIC ID", apic_read(0x20) >> 24, 0);

    send_ipi(1, 0x4500);                 /* INIT, assert, to APIC ID 1 */
    delay(1000000);
    send_ipi(1, 0x4600 | (TRAMP >> 12)); /* SIPI */
    delay(100000);
    if (*tramp_var(tramp_count) == 0)
        send_ipi(1, 0x4600 | (TRAMP >> 12));
    for (long i = 0; i < 200000000 && *tramp_var(tramp_count) == 0; i++)
        ;
    check_eq("AP ran its real-mode code", *tramp_var(tramp_arrived), 0x52454131);
    check_eq("AP started with CS = SIPI vector << 8", *(volatile uint16_t *)tramp_var(tramp_cs), TRAMP >> 4);
    check_eq("AP started with CR0.PE = 0 and PG = 0", *tramp_var(tramp_cr0) & 0x80000001u, 0);
    check_eq("AP reached protected mode and counted itself once", *tramp_var(tramp_count), 1);
    check_eq("AP's local APIC ID", *tramp_var(tramp_apic_id), 1);
}
