/* Local APIC (xAPIC and x2APIC modes), one per vCPU, and the APIC "bus" that carries interrupt messages between
 * them and from the IOAPIC. Intel SDM vol. 3A, chapter 10 (Advanced Programmable Interrupt Controller).
 *
 * How the software CPU uses it (all functions take the vCPU's own struct lapic unless noted):
 *
 *   Memory: guest accesses to the 4 KiB page at lapic_mmio_base(l) (0xfee00000) go to
 *   lapic_mmio_read/write on that vCPU's own LAPIC; the page is not on the shared MMIO bus.
 *   MSRs: IA32_APIC_BASE (0x1b), IA32_TSC_DEADLINE (0x6e0) and, in x2APIC mode, the register MSRs
 *   0x800-0x8ff go to lapic_msr_read/write; -EINVAL means #GP. In x2APIC mode the page is not
 *   decoded (lapic_mmio_base gives no page address). Whether the CPU offers x2APIC (CPUID) is the
 *   accelerator's to check before it lets EXTD through. Deadlines are in the platform TSC's count (tsc_read, util/tsc.h): a vCPU that keeps an
 *   IA32_TSC offset subtracts it before writing and adds it after reading. CR8 reads/writes are
 *   lapic_get_tpr/lapic_set_tpr.
 *
 *   Interrupts, at each instruction boundary:
 *     if (lapic_take_events would be non-zero)   NMI, INIT, SIPI: see below, taken whatever IF says
 *     if (lapic_irq_hint(l) && IF && !interrupt shadow) {
 *         int v = lapic_get_interrupt(l);   // acknowledges: the vector is now in service
 *         if (v >= 0) deliver vector v through the IDT;
 *     }
 *   lapic_irq_hint is a lock-free flag: it is set whenever a maskable interrupt may have become
 *   deliverable (a new request, an EOI, a TPR drop, the PIC's INTR) and cleared by
 *   lapic_get_interrupt when it finds nothing; checking it costs one load. An interrupt pending
 *   when sti sets IF is due right after the next instruction (SDM vol. 2B, STI), so a CPU that
 *   looks only between blocks must end the block there: guests open windows as short as
 *   "sti; nop; cli".
 *
 *   Sleeping: hlt waits until lapic_irq_hint (with IF=1) or lapic_events_pending becomes true. The
 *   platform calls the kick callback given to lapic_create (vmon passes vm->accel->vcpu_kick), after
 *   setting the flag, whenever a request or event arrives from anywhere (devices, timers, IPIs, the
 *   PIC) and also when the vCPU's own write (EOI, TPR/CR8, SVR, LINT0, APIC base, TSC deadline)
 *   leaves an interrupt deliverable. So an accelerator may keep its own "interrupt may be pending"
 *   flag and set it from the kick instead of reading lapic_irq_hint. A kick must be sticky
 *   (remembered if it arrives before the vCPU sleeps): the vCPU re-checks under its sleep lock.
 *
 *   INIT and SIPI: application processors start in wait-for-SIPI (lapic_waiting_for_sipi). An INIT
 *   IPI resets the LAPIC and posts LAPIC_EVENT_INIT: the vCPU resets its CPU state to the INIT state
 *   and waits. A start-up IPI to a waiting LAPIC posts LAPIC_EVENT_SIPI with its vector: the vCPU
 *   starts in real mode at CS = vector << 8, IP = 0 (address vector << 12). When both are pending,
 *   handle INIT first. Once a SIPI is taken, further SIPIs are ignored until the next INIT.
 *
 * Threads and locks: every struct lapic has its own lock. Lock order across the platform:
 *   pit, hpet (released before raising lines)  ->  pic  ->  ioapic  ->  lapic
 * A LAPIC never holds its lock while calling out (EOI broadcast to the IOAPIC, IPIs to other
 * LAPICs, the PIC's INTA, kicks), so two vCPUs can IPI each other at once. */
#ifndef VMON_HW_APIC_H
#define VMON_HW_APIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h"
#include "util/tsc.h"

#define APIC_DEFAULT_BASE   0xfee00000ull
#define APIC_MAX            64        /* xAPIC physical ids 0..254; vmon has at most VM_MAX_CPUS */

#define MSR_IA32_APIC_BASE  0x1b
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define APIC_BASE_BSP       (1ull << 8)
#define APIC_BASE_X2APIC    (1ull << 10)
#define APIC_BASE_ENABLE    (1ull << 11)

/* Events a vCPU takes regardless of RFLAGS.IF. */
#define LAPIC_EVENT_NMI     (1u << 0)
#define LAPIC_EVENT_INIT    (1u << 1)
#define LAPIC_EVENT_SIPI    (1u << 2)

/* Delivery modes (ICR bits 10:8, IOAPIC redirection entries and LVTs use the same encoding). */
enum apic_delivery {
    APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
    APIC_DM_INIT = 5, APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18). */
enum apic_shorthand { APIC_SH_NONE, APIC_SH_SELF, APIC_SH_ALL, APIC_SH_OTHERS };

/* One interrupt message on the APIC bus. */
struct apic_msg {
    uint8_t vector;
    uint8_t delivery;          /* enum apic_delivery */
    bool logical;              /* destination mode: logical (LDR/DFR match) or physical (APIC id) */
    bool level;                /* trigger mode: level (TMR set, EOI goes back to the IOAPIC) */
    bool assert;               /* ICR level bit: an INIT with this clear is "INIT level de-assert" */
    uint8_t shorthand;         /* enum apic_shorthand; IOAPIC messages use APIC_SH_NONE */
    bool x2apic_dest;          /* dest in x2APIC form (from an x2APIC-mode ICR): a 32-bit id
                                  (~0: all), or logical cluster << 16 | member bits */
    uint32_t dest;             /* physical id, or logical destination set */
};

enum lapic_lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

struct apic_bus;

struct lapic {
    pthread_mutex_t lock;
    struct apic_bus *bus;
    int index;                 /* vCPU index */
    void (*kick)(void *opaque);
    void *kick_opaque;

    /* Registers, under lock. */
    uint64_t apic_base;        /* IA32_APIC_BASE */
    uint8_t id;
    uint8_t tpr;
    uint32_t ldr, dfr, svr;
    uint32_t esr, esr_pending;
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_COUNT];
    uint32_t irr[8], isr[8], tmr[8];   /* 256-bit vectors, bit v%32 of word v/32 */
    bool extint;               /* an ExtINT message from the IOAPIC awaits the PIC's INTA */

    /* Timer (SDM 10.5.4): counts at crystal_hz / divide from start_ns. */
    uint32_t timer_initial, timer_dcr;
    uint64_t timer_start_ns;
    uint64_t timer_periods_done;   /* periodic: periods already signalled; one-shot: 1 once fired */
    uint64_t tsc_deadline;
    struct plat_timer *timer;

    /* INIT/SIPI state. */
    bool wait_for_sipi;
    uint8_t sipi_vector;

    /* Lock-free flags for the vCPU's instruction-boundary check. */
    _Atomic bool irq_hint;
    _Atomic unsigned events;
};

/* What connects the LAPICs: message delivery, and the wires to the PIC (ExtINT) and IOAPIC (EOI). */
struct apic_bus {
    int n;
    struct lapic *cpu[APIC_MAX];
    const struct plat_clock *clk;
    const struct tsc *tsc;     /* its crystal_hz drives the APIC timer; TSC-deadline mode reads it */
    /* The 8259's INTR and INTA (NULL when there is no PIC). extint_pending must be lock-free (it
     * is read with a LAPIC lock held); extint_ack is called with no LAPIC lock held. */
    bool (*extint_pending)(void *opaque);
    int (*extint_ack)(void *opaque);
    void *extint_opaque;
    /* EOI of a level-triggered vector, broadcast to the IOAPIC. Called with no LAPIC lock held. */
    void (*eoi)(void *opaque, uint8_t vector);
    void *eoi_opaque;
};

void apic_bus_init(struct apic_bus *b, const struct plat_clock *clk, const struct tsc *tsc);

/* Create the LAPIC of vCPU index with its initial APIC id (the -smp topology's packing, not 0xff), in
 * its reset state; the BSP (index 0) gets what the
 * firmware would have set: software-enabled, LINT0 ExtINT (the PIC), LINT1 NMI. APs wait for SIPI.
 * LAPICs are created in index order (index = how many exist). Returns NULL with errno set. */
struct lapic *lapic_create(struct apic_bus *b, int index, uint8_t apic_id, void (*kick)(void *opaque),
                           void *opaque);
/* After the vCPUs and the clock's timers have stopped (the event loop joined). */
void lapic_free(struct lapic *l);
struct vms_writer;
struct vms_reader;
/* Snapshots (migration/vmstate.h): save the state into the open section; load: 0, or -EINVAL for a
 * section that is short, long or holds values the device cannot have (the device then unchanged). */
void lapic_save(struct lapic *d, struct vms_writer *w);
int lapic_load(struct lapic *d, struct vms_reader *r);

/* A machine reset: the state lapic_create gave (IA32_APIC_BASE too; the APIC id stays), no events. */
void lapic_reset(struct lapic *l);

/* Deliver a message to every LAPIC it addresses (from the IOAPIC: from = NULL; from an ICR: the
 * sender, for the shorthands). Lowest-priority delivery goes to the addressed LAPIC with the lowest
 * index. Returns how many LAPICs accepted it. Any thread, no LAPIC lock held. */
int apic_bus_deliver(struct apic_bus *b, const struct apic_msg *m, struct lapic *from);

/* The PIC's INTR rose: kick the vCPUs whose LINT0 takes ExtINT (or whose LAPIC is disabled). */
void apic_bus_extint_raised(struct apic_bus *b);

/* The 4 KiB register page. off is the offset in the page; registers are 32 bits wide and 16-byte
 * aligned; other accesses read the covered bytes of the register and writes are ignored. */
uint64_t lapic_mmio_read(struct lapic *l, uint64_t off, unsigned size);
void lapic_mmio_write(struct lapic *l, uint64_t off, uint64_t val, unsigned size);
uint64_t lapic_mmio_base(struct lapic *l);

int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val);
int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val);

/* CR8: the TPR's priority class (TPR[7:4]). */
uint8_t lapic_get_tpr(struct lapic *l);
void lapic_set_tpr(struct lapic *l, uint8_t cr8);

static inline bool lapic_irq_hint(struct lapic *l)
{
    return atomic_load_explicit(&l->irq_hint, memory_order_acquire);
}

static inline bool lapic_events_pending(struct lapic *l)
{
    return atomic_load_explicit(&l->events, memory_order_acquire) != 0;
}

/* Is a maskable interrupt deliverable now (above the processor priority, or the PIC's INTR)?
 * Does not acknowledge anything. */
bool lapic_has_interrupt(struct lapic *l);
/* INTA: the vector to deliver, now in service (the PIC's when it comes through LINT0 ExtINT), or -1. */
int lapic_get_interrupt(struct lapic *l);

/* Take the pending NMI/INIT/SIPI events (LAPIC_EVENT_*); *sipi_vector is set when SIPI is among them. */
unsigned lapic_take_events(struct lapic *l, uint8_t *sipi_vector);
bool lapic_waiting_for_sipi(struct lapic *l);

#endif
