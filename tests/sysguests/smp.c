/* Starting a second CPU the way firmware and Linux do (SDM vol. 3, 9.4.4; MP spec B.4): INIT, then
 * two SIPIs with vector 0x09 through the local APIC ICR; the AP starts in real mode at 0x9000 (see
 * smp-asm.S). Then the same to the AP while it runs: a SIPI is ignored outside wait-for-SIPI, an
 * INIT stops it there (SDM vol. 3, 9.4.2 and 11.6.1), and the next SIPI starts it again from its
 * vector in real mode. Run with two CPUs (vmon --cpus 2, QEMU -smp 2). */
#include "guest.h"

#define APIC_BASE 0xfee00000ul
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_BUSY (1u << 12)
#define TRAMP 0x9000

extern uint64_t boot_pdpt[512];
static uint64_t apic_pd[512] __attribute__((aligned(4096)));
extern char tramp_start[], tramp_end[], tramp_arrived[], tramp_cr0[], tramp_apic_id[], tramp_count[], tramp_cs[],
    tramp_spin[];

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

/* Progress of the AP's counter, measured against the AP itself rather than a fixed delay: a VMM
 * whose ring 0 is emulated runs both CPUs many times slower, alike. */
static int spin_advanced(volatile uint32_t *spin, uint32_t by)
{
    uint32_t a = *spin;
    for (long i = 0; i < 400000000; i++)
        if (*spin - a >= by)
            return 1;
    return 0;
}

/* Stopped: one window without a change, within a bounded number of windows (an AP that takes
 * the INIT late, or never, keeps counting). A host that deschedules the AP thread for a whole window
 * could make it look stopped early; the SIPI checks that follow would then catch an INIT never
 * taken (the SIPI would be ignored). */
static int spin_stopped(volatile uint32_t *spin)
{
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t a = *spin;
        delay(100000);
        if (*spin == a)
            return 1;
    }
    return 0;
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
    delay(100000);                      /* the MP spec's 10 ms matter to hardware, not to a VMM */
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

    volatile uint32_t *spin = tramp_var(tramp_spin);
    check("AP running: its counter advances", spin_advanced(spin, 1));
    send_ipi(1, 0x4600 | (TRAMP >> 12)); /* SIPI to a running CPU: ignored */
    check("SIPI to a running AP: it runs on", spin_advanced(spin, 1000));
    check_eq("SIPI to a running AP: ignored (it did not start over)", *tramp_var(tramp_count), 1);

    send_ipi(1, 0x4500);                 /* INIT to the running AP: back to wait-for-SIPI */
    check("INIT to a running AP: it stops", spin_stopped(spin));
    *tramp_var(tramp_arrived) = 0;
    *tramp_var(tramp_cr0) = 0xffffffff;
    *(volatile uint16_t *)tramp_var(tramp_cs) = 0;
    send_ipi(1, 0x4600 | (TRAMP >> 12)); /* SIPI: starts it again at the vector */
    for (long i = 0; i < 200000000 && *tramp_var(tramp_count) == 1; i++)
        ;
    check_eq("after INIT, SIPI: the AP ran its real-mode code again", *tramp_var(tramp_arrived), 0x52454131);
    check_eq("after INIT, SIPI: CS = SIPI vector << 8", *(volatile uint16_t *)tramp_var(tramp_cs), TRAMP >> 4);
    check_eq("after INIT, SIPI: CR0.PE = 0 and PG = 0 (INIT reset it)", *tramp_var(tramp_cr0) & 0x80000001u, 0);
    check_eq("after INIT, SIPI: counted itself a second time", *tramp_var(tramp_count), 2);
}
