/* Local APIC: the register page, interrupt acceptance and priority (IRR/ISR/TMR, TPR/PPR), EOI,
 * IPIs through the ICR, INIT/SIPI, and the APIC bus that routes messages between LAPICs.
 * The timer is in apic-timer.c. SDM vol. 3A chapter 10. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/apic-int.h"

/* --- 256-bit vectors ---------------------------------------------------------------------------- */

static int vec_highest(const uint32_t v[8])
{
    for (int i = 7; i >= 0; i--)
        if (v[i])
            return i * 32 + 31 - __builtin_clz(v[i]);
    return -1;
}

static void vec_set(uint32_t v[8], unsigned n)   { v[n >> 5] |= 1u << (n & 31); }
static void vec_clear(uint32_t v[8], unsigned n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool vec_test(const uint32_t v[8], unsigned n) { return v[n >> 5] & (1u << (n & 31)); }

/* --- priority (SDM 10.8.3) ---------------------------------------------------------------------- */

static bool hw_enabled(const struct lapic *l) { return l->apic_base & APIC_BASE_ENABLE; }
static bool sw_enabled(const struct lapic *l) { return l->svr & APIC_SVR_ENABLE; }

/* PPR: the TPR, or the class of the highest vector in service if that is higher. */
static uint8_t ppr_locked(const struct lapic *l)
{
    int isrv = vec_highest(l->isr);
    uint8_t cls = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    return (l->tpr & 0xf0) >= cls ? l->tpr : cls;
}

/* The highest requested vector whose priority class is above the PPR's, or -1. */
static int deliverable_locked(const struct lapic *l)
{
    if (!hw_enabled(l) || !sw_enabled(l))
        return -1;
    int v = vec_highest(l->irr);
    if (v < 0 || (v & 0xf0) <= (ppr_locked(l) & 0xf0))
        return -1;
    return v;
}

/* Does the PIC's INTR reach this CPU? Through LINT0 in ExtINT mode, or straight to the CPU's INTR
 * pin when the LAPIC is hardware-disabled (SDM 10.4.3). */
static bool lint0_extint_locked(const struct lapic *l)
{
    uint32_t lvt = l->lvt[LVT_LINT0];
    if (!hw_enabled(l))
        return true;
    return !(lvt & APIC_LVT_MASKED) && ((lvt >> 8) & 7) == APIC_DM_EXTINT;
}

void lapic_hint_locked(struct lapic *l)
{
    atomic_store_explicit(&l->irq_hint, true, memory_order_release);
}

/* --- reset and acceptance ----------------------------------------------------------------------- */

/* INIT (SDM 10.4.7.3): every register to its power-up value except the APIC id and IA32_APIC_BASE. */
static void reset_locked(struct lapic *l)
{
    l->tpr = 0;
    l->ldr = 0;
    l->dfr = 0xffffffff;
    l->svr = 0xff;
    l->esr = l->esr_pending = 0;
    l->icr_lo = l->icr_hi = 0;
    for (int i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = APIC_LVT_MASKED;
    memset(l->irr, 0, sizeof(l->irr));
    memset(l->isr, 0, sizeof(l->isr));
    memset(l->tmr, 0, sizeof(l->tmr));
    l->extint = false;
    l->timer_initial = l->timer_dcr = 0;
    l->timer_periods_done = 0;
    l->tsc_deadline = 0;
    lapic_timer_rearm_locked(l, clk_now(l->bus->clk));
}

static void set_error_locked(struct lapic *l, uint32_t bit)
{
    l->esr_pending |= bit;
    lapic_lvt_fire_locked(l, LVT_ERROR);
}

/* A fixed-mode request for vector from a local source or a message. Returns whether to kick. */
static bool request_locked(struct lapic *l, uint8_t vector, bool level)
{
    if (vector < 16) {         /* vectors 0-15 are illegal (SDM 10.5.2) */
        set_error_locked(l, APIC_ESR_RECV_ILLEGAL);
        return false;
    }
    vec_set(l->irr, vector);
    if (level)
        vec_set(l->tmr, vector);
    else
        vec_clear(l->tmr, vector);
    lapic_hint_locked(l);
    return true;
}

static bool post_event_locked(struct lapic *l, unsigned ev)
{
    atomic_fetch_or_explicit(&l->events, ev, memory_order_release);
    return true;
}

/* Accept an interrupt message addressed to this LAPIC. Returns whether the vCPU needs a kick. */
static bool accept_locked(struct lapic *l, const struct apic_msg *m)
{
    if (!hw_enabled(l))
        return false;
    switch (m->delivery) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        return request_locked(l, m->vector, m->level);
    case APIC_DM_NMI:
        return post_event_locked(l, LAPIC_EVENT_NMI);
    case APIC_DM_INIT:
        /* "INIT level de-assert" (level-triggered, level 0) only resynchronises arbitration ids. */
        if (m->level && !m->assert)
            return false;
        reset_locked(l);
        l->wait_for_sipi = true;
        return post_event_locked(l, LAPIC_EVENT_INIT);
    case APIC_DM_STARTUP:
        if (!l->wait_for_sipi)
            return false;      /* a SIPI outside wait-for-SIPI is ignored (SDM 8.4.4.1) */
        l->wait_for_sipi = false;
        l->sipi_vector = m->vector;
        return post_event_locked(l, LAPIC_EVENT_SIPI);
    case APIC_DM_EXTINT:
        l->extint = true;
        lapic_hint_locked(l);
        return true;
    default:                   /* SMI: vmon has no SMM */
        return false;
    }
}

/* Raise the interrupt an LVT entry describes (timer, error). Returns whether to kick. */
bool lapic_lvt_fire_locked(struct lapic *l, enum lapic_lvt which)
{
    uint32_t lvt = l->lvt[which];
    if (lvt & APIC_LVT_MASKED)
        return false;
    struct apic_msg m = { .vector = lvt & 0xff, .delivery = (lvt >> 8) & 7, .assert = true };
    if (which == LVT_TIMER || which == LVT_ERROR)
        m.delivery = APIC_DM_FIXED;    /* these two have no delivery-mode field */
    return accept_locked(l, &m);
}

/* --- the APIC bus ------------------------------------------------------------------------------- */

/* A LAPIC in x2APIC mode (SDM 10.12.10): physical ids are 32 bits (all ones: everyone), logical
 * destinations name a cluster and members in it. Messages in xAPIC form (the IOAPIC's, an xAPIC
 * sender's) reach it by physical id or their broadcast: without interrupt remapping there is no
 * xAPIC logical form for x2APIC clusters. */
static bool x2apic_matches(const struct lapic *t, const struct apic_msg *m)
{
    uint32_t all = m->x2apic_dest ? 0xffffffffu : 0xffu;
    if (m->dest == all)
        return true;
    if (!m->logical)
        return m->dest == t->id;
    if (!m->x2apic_dest)
        return false;
    uint32_t ldr = lapic_x2apic_ldr(t->id);
    return (m->dest >> 16) == (ldr >> 16) && (m->dest & ldr & 0xffff) != 0;
}

static bool matches_locked(const struct lapic *t, const struct apic_msg *m, const struct lapic *from)
{
    switch (m->shorthand) {
    case APIC_SH_SELF:
        return t == from;
    case APIC_SH_ALL:
        return true;
    case APIC_SH_OTHERS:
        return t != from;
    default:
        break;
    }
    if (lapic_x2apic_mode(t))
        return x2apic_matches(t, m);
    if (m->x2apic_dest)        /* from an x2APIC-mode sender: its broadcast, or our physical id */
        return m->dest == 0xffffffffu || (!m->logical && m->dest == t->id);
    if (!m->logical)
        return m->dest == 0xff || m->dest == t->id;
    uint8_t logical_id = t->ldr >> 24;
    if ((t->dfr >> 28) == 0xf)         /* flat model: a bit per LAPIC */
        return (logical_id & m->dest) != 0;
    if (m->dest == 0xff)               /* cluster model (SDM 10.6.2.2) */
        return true;
    return (logical_id >> 4) == (m->dest >> 4) && (logical_id & m->dest & 0x0f) != 0;
}

static void kick(struct lapic *l)
{
    if (l->kick)
        l->kick(l->kick_opaque);
}

/* After the vCPU's own write to its LAPIC (EOI, TPR, SVR, LINT0, APIC base): is an interrupt now
 * deliverable? Then the vCPU is kicked too, so an accelerator that keeps its own pending flag and
 * sets it from the kick never misses a request that the write uncovered. */
bool lapic_uncovered_locked(const struct lapic *l)
{
    const struct apic_bus *b = l->bus;
    if (deliverable_locked(l) >= 0 || l->extint)
        return true;
    return lint0_extint_locked(l) && b->extint_pending && b->extint_pending(b->extint_opaque);
}

static bool deliver_one(struct lapic *t, const struct apic_msg *m, const struct lapic *from,
                        bool match_only)
{
    pthread_mutex_lock(&t->lock);
    bool match = matches_locked(t, m, from);
    bool need_kick = match && !match_only && accept_locked(t, m);
    pthread_mutex_unlock(&t->lock);
    if (need_kick)
        kick(t);
    return match;
}

int apic_bus_deliver(struct apic_bus *b, const struct apic_msg *m, struct lapic *from)
{
    int accepted = 0;
    if (m->delivery == APIC_DM_LOWEST) {
        /* Lowest priority, simplified: the addressed LAPIC with the lowest index takes it. */
        for (int i = 0; i < b->n; i++) {
            if (deliver_one(b->cpu[i], m, from, true)) {
                struct apic_msg fixed = *m;
                fixed.shorthand = APIC_SH_SELF;
                deliver_one(b->cpu[i], &fixed, b->cpu[i], false);
                return 1;
            }
        }
        return 0;
    }
    for (int i = 0; i < b->n; i++)
        accepted += deliver_one(b->cpu[i], m, from, false);
    return accepted;
}

void apic_bus_extint_raised(struct apic_bus *b)
{
    for (int i = 0; i < b->n; i++) {
        struct lapic *l = b->cpu[i];
        pthread_mutex_lock(&l->lock);
        bool takes = lint0_extint_locked(l);
        if (takes)
            lapic_hint_locked(l);
        pthread_mutex_unlock(&l->lock);
        if (takes)
            kick(l);
    }
}

void apic_bus_init(struct apic_bus *b, const struct plat_clock *clk, const struct tsc *tsc)
{
    memset(b, 0, sizeof(*b));
    b->clk = clk;
    b->tsc = tsc;
}

/* --- the vCPU's side ---------------------------------------------------------------------------- */

bool lapic_has_interrupt(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    bool yes = deliverable_locked(l) >= 0 || l->extint;
    bool via_lint0 = lint0_extint_locked(l);
    pthread_mutex_unlock(&l->lock);
    struct apic_bus *b = l->bus;
    if (!yes && via_lint0 && b->extint_pending)
        yes = b->extint_pending(b->extint_opaque);
    return yes;
}

int lapic_get_interrupt(struct lapic *l)
{
    struct apic_bus *b = l->bus;
    /* Clear the hint before looking, so a request that lands while we look sets it again. */
    atomic_store_explicit(&l->irq_hint, false, memory_order_seq_cst);
    pthread_mutex_lock(&l->lock);
    int v = deliverable_locked(l);
    if (v >= 0) {
        vec_clear(l->irr, v);
        vec_set(l->isr, v);
        if (vec_highest(l->irr) >= 0)
            lapic_hint_locked(l);      /* look again after the next EOI or TPR change */
        pthread_mutex_unlock(&l->lock);
        return v;
    }
    bool ext = l->extint;
    l->extint = false;
    bool via_lint0 = lint0_extint_locked(l);
    pthread_mutex_unlock(&l->lock);
    /* The PIC is asked with no LAPIC lock held (lock order: pic before lapic). */
    if (b->extint_ack && (ext || (via_lint0 && b->extint_pending(b->extint_opaque)))) {
        v = b->extint_ack(b->extint_opaque);
        if (b->extint_pending(b->extint_opaque))
            atomic_store_explicit(&l->irq_hint, true, memory_order_release);
        return v;
    }
    return -1;
}

unsigned lapic_take_events(struct lapic *l, uint8_t *sipi_vector)
{
    pthread_mutex_lock(&l->lock);
    unsigned ev = atomic_exchange_explicit(&l->events, 0, memory_order_acq_rel);
    if (ev & LAPIC_EVENT_SIPI)
        *sipi_vector = l->sipi_vector;
    pthread_mutex_unlock(&l->lock);
    return ev;
}

bool lapic_waiting_for_sipi(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    bool w = l->wait_for_sipi;
    pthread_mutex_unlock(&l->lock);
    return w;
}

uint8_t lapic_get_tpr(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    uint8_t v = l->tpr >> 4;
    pthread_mutex_unlock(&l->lock);
    return v;
}

void lapic_set_tpr(struct lapic *l, uint8_t cr8)
{
    pthread_mutex_lock(&l->lock);
    l->tpr = (cr8 & 0x0f) << 4;
    lapic_hint_locked(l);
    bool need_kick = lapic_uncovered_locked(l);
    pthread_mutex_unlock(&l->lock);
    if (need_kick)
        kick(l);
}

/* --- registers (SDM table 10-1) ----------------------------------------------------------------- */

uint32_t lapic_reg_read_locked(struct lapic *l, unsigned reg)
{
    switch (reg) {
    case APIC_REG_ID:      return (uint32_t)l->id << 24;
    case APIC_REG_VERSION: return APIC_VERSION | (LVT_COUNT - 1) << 16;
    case APIC_REG_TPR:     return l->tpr;
    case APIC_REG_PPR:     return ppr_locked(l);
    case APIC_REG_LDR:     return l->ldr;
    case APIC_REG_DFR:     return l->dfr;
    case APIC_REG_SVR:     return l->svr;
    case APIC_REG_ESR:     return l->esr;
    case APIC_REG_ICR_LO:  return l->icr_lo;
    case APIC_REG_ICR_HI:  return l->icr_hi;
    case APIC_REG_TIMER_INITIAL: return l->timer_initial;
    case APIC_REG_TIMER_CURRENT: return lapic_timer_current_locked(l, clk_now(l->bus->clk));
    case APIC_REG_TIMER_DCR:     return l->timer_dcr;
    default:
        break;
    }
    if (reg >= APIC_REG_ISR && reg < APIC_REG_ISR + 0x80)
        return l->isr[(reg - APIC_REG_ISR) >> 4];
    if (reg >= APIC_REG_TMR && reg < APIC_REG_TMR + 0x80)
        return l->tmr[(reg - APIC_REG_TMR) >> 4];
    if (reg >= APIC_REG_IRR && reg < APIC_REG_IRR + 0x80)
        return l->irr[(reg - APIC_REG_IRR) >> 4];
    if (reg >= APIC_REG_LVT && reg < APIC_REG_LVT + 0x10 * LVT_COUNT)
        return l->lvt[(reg - APIC_REG_LVT) >> 4];
    return 0;                  /* APR, RRD, EOI and reserved slots read 0 */
}

/* Writable bits of each LVT entry (SDM figure 10-8). */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x700ff, [LVT_THERMAL] = 0x107ff, [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff, [LVT_LINT1] = 0x1a7ff, [LVT_ERROR] = 0x100ff,
};

static void eoi_locked(struct lapic *l, struct lapic_after *after)
{
    int v = vec_highest(l->isr);
    if (v < 0)
        return;
    vec_clear(l->isr, v);
    if (vec_test(l->tmr, v))
        after->eoi_vector = v;
    lapic_hint_locked(l);      /* a lower-priority request may be deliverable now */
}

void lapic_reg_write_locked(struct lapic *l, unsigned reg, uint32_t val, struct lapic_after *after)
{
    uint64_t now = clk_now(l->bus->clk);
    switch (reg) {
    case APIC_REG_ID:
        l->id = val >> 24;
        return;
    case APIC_REG_TPR:
        l->tpr = val & 0xff;
        lapic_hint_locked(l);
        return;
    case APIC_REG_EOI:
        eoi_locked(l, after);
        return;
    case APIC_REG_LDR:
        l->ldr = val & 0xff000000;
        return;
    case APIC_REG_DFR:
        l->dfr = val | 0x0fffffff;
        return;
    case APIC_REG_SVR:
        /* Bits 7:0 vector, 8 enable, 9 focus checking (kept, not modelled). EOI-broadcast
         * suppression (bit 12) is not offered by the version register, so it stays clear. */
        l->svr = val & 0x3ff;
        if (!sw_enabled(l))    /* software disable masks every LVT entry (SDM 10.4.7.2) */
            for (int i = 0; i < LVT_COUNT; i++)
                l->lvt[i] |= APIC_LVT_MASKED;
        lapic_hint_locked(l);
        return;
    case APIC_REG_ESR:
        l->esr = l->esr_pending;   /* a write latches the errors seen since the last write */
        l->esr_pending = 0;
        return;
    case APIC_REG_ICR_LO:
        l->icr_lo = val & ~APIC_ICR_BUSY;   /* delivery is immediate: never "send pending" */
        after->send = true;
        after->msg = (struct apic_msg){
            .vector = val & 0xff,
            .delivery = (val >> 8) & 7,
            .logical = val & (1u << 11),
            .assert = val & (1u << 14),
            .level = val & (1u << 15),
            .shorthand = (val >> 18) & 3,
            .dest = l->icr_hi >> 24,
        };
        return;
    case APIC_REG_ICR_HI:
        l->icr_hi = val & 0xff000000;
        return;
    case APIC_REG_TIMER_INITIAL:
        lapic_timer_set_initial_locked(l, val, now);
        return;
    case APIC_REG_TIMER_DCR:
        lapic_timer_set_dcr_locked(l, val, now);
        return;
    default:
        break;
    }
    if (reg >= APIC_REG_LVT && reg < APIC_REG_LVT + 0x10 * LVT_COUNT) {
        unsigned i = (reg - APIC_REG_LVT) >> 4;
        uint32_t v = val & lvt_writable[i];
        if (!sw_enabled(l))
            v |= APIC_LVT_MASKED;
        if (i == LVT_TIMER)
            lapic_timer_set_lvt_locked(l, v, now);
        else
            l->lvt[i] = v;
        if (i == LVT_LINT0)
            lapic_hint_locked(l);  /* the PIC may be reachable now */
        return;
    }
    /* Read-only (ISR, TMR, IRR, PPR, version, current count) or reserved: ignored, and a write
     * to a reserved slot sets "illegal register address". */
    bool read_only = reg == APIC_REG_VERSION || reg == APIC_REG_PPR ||
                     reg == APIC_REG_TIMER_CURRENT || (reg >= APIC_REG_ISR && reg < APIC_REG_ISR + 0x180);
    if (!read_only)
        set_error_locked(l, APIC_ESR_ILLEGAL_REG);
}

void lapic_run_after(struct lapic *l, const struct lapic_after *after, bool need_kick)
{
    struct apic_bus *b = l->bus;
    if (need_kick)
        kick(l);
    if (after->eoi_vector >= 0 && b->eoi)
        b->eoi(b->eoi_opaque, (uint8_t)after->eoi_vector);
    if (after->send)
        apic_bus_deliver(b, &after->msg, l);
}

uint64_t lapic_mmio_read(struct lapic *l, uint64_t off, unsigned size)
{
    unsigned reg = off & 0xff0, byte = off & 0xf;
    if (byte >= 4 || off >= 0x1000)
        return 0;
    pthread_mutex_lock(&l->lock);
    uint32_t v = lapic_reg_read_locked(l, reg);
    pthread_mutex_unlock(&l->lock);
    v >>= byte * 8;
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

void lapic_mmio_write(struct lapic *l, uint64_t off, uint64_t val, unsigned size)
{
    if ((off & 0xf) || size < 4 || off >= 0x1000)
        return;                /* registers are written 32 bits at a time */
    struct lapic_after after = { .eoi_vector = -1 };
    pthread_mutex_lock(&l->lock);
    lapic_reg_write_locked(l, off & 0xff0, (uint32_t)val, &after);
    bool need_kick = lapic_uncovered_locked(l);
    pthread_mutex_unlock(&l->lock);
    lapic_run_after(l, &after, need_kick);
}

/* Asked on every soft-TLB fill (is this page the APIC's?): one atomic load, no lock. In x2APIC
 * mode the page is not decoded: 1 is no page address. */
uint64_t lapic_mmio_base(struct lapic *l)
{
    uint64_t base = __atomic_load_n(&l->apic_base, __ATOMIC_RELAXED);
    if ((base & (APIC_BASE_ENABLE | APIC_BASE_X2APIC)) == (APIC_BASE_ENABLE | APIC_BASE_X2APIC))
        return 1;
    return base & APIC_BASE_ADDR_MASK;
}

int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val)
{
    int r = 0;
    pthread_mutex_lock(&l->lock);
    if (msr == MSR_IA32_APIC_BASE)
        *val = l->apic_base;
    else if (msr == MSR_IA32_TSC_DEADLINE)
        *val = l->tsc_deadline;
    else if (msr >= X2APIC_MSR_FIRST && msr <= X2APIC_MSR_LAST)
        r = lapic_x2apic_read_locked(l, msr, val);
    else
        r = -EINVAL;
    pthread_mutex_unlock(&l->lock);
    return r;
}

/* IA32_APIC_BASE (SDM 10.4.4, 10.12.5): reserved bits #GP, BSP is read-only; of the modes
 * disabled, xAPIC (EN) and x2APIC (EN + EXTD), EXTD without EN is invalid, and so are x2APIC ->
 * xAPIC and disabled -> x2APIC. A hardware disable returns the LAPIC to its power-up state. */
static int write_apic_base_locked(struct lapic *l, uint64_t val)
{
    uint64_t mode = APIC_BASE_ENABLE | APIC_BASE_X2APIC, old = l->apic_base & mode, new = val & mode;
    if (val & ~(APIC_BASE_ADDR_MASK | mode | APIC_BASE_BSP) || new == APIC_BASE_X2APIC)
        return -EINVAL;
    if ((old == mode && new == APIC_BASE_ENABLE) || (old == 0 && new == mode))
        return -EINVAL;
    __atomic_store_n(&l->apic_base, (val & ~APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP),
                     __ATOMIC_RELAXED);
    if (old && !new)
        reset_locked(l);
    else if (new == mode && old != mode)
        l->icr_hi = 0;         /* the ICR's destination is 32 bits from now on */
    lapic_hint_locked(l);
    return 0;
}

int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val)
{
    int r = 0;
    struct lapic_after after = { .eoi_vector = -1 };
    pthread_mutex_lock(&l->lock);
    if (msr == MSR_IA32_APIC_BASE)
        r = write_apic_base_locked(l, val);
    else if (msr == MSR_IA32_TSC_DEADLINE)
        lapic_timer_set_deadline_locked(l, val, clk_now(l->bus->clk));
    else if (msr >= X2APIC_MSR_FIRST && msr <= X2APIC_MSR_LAST)
        r = lapic_x2apic_write_locked(l, msr, val, &after);
    else
        r = -EINVAL;
    bool need_kick = lapic_uncovered_locked(l);
    pthread_mutex_unlock(&l->lock);
    lapic_run_after(l, &after, need_kick);
    return r;
}

/* --- lifetime ----------------------------------------------------------------------------------- */

/* What a PC BIOS leaves on the BSP, since vmon boots kernels directly: the LAPIC enabled and LINT0 in
 * ExtINT mode so the PIC's interrupts arrive (virtual wire mode, MP spec 3.6.2.2), LINT1 as NMI. The
 * other processors wait for INIT/SIPI. */
static void power_on_locked(struct lapic *l)
{
    l->apic_base = APIC_DEFAULT_BASE | APIC_BASE_ENABLE | (l->index == 0 ? APIC_BASE_BSP : 0);
    reset_locked(l);
    if (l->index == 0) {
        l->svr = 0x1ff;
        l->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
        l->lvt[LVT_LINT1] = APIC_DM_NMI << 8;
    } else {
        l->wait_for_sipi = true;
    }
}

void lapic_reset(struct lapic *l)
{
    pthread_mutex_lock(&l->lock);
    l->wait_for_sipi = false;
    l->sipi_vector = 0;
    atomic_store(&l->events, 0);
    atomic_store(&l->irq_hint, false);
    power_on_locked(l);
    pthread_mutex_unlock(&l->lock);
}

struct lapic *lapic_create(struct apic_bus *b, int index, uint8_t apic_id, void (*kick_fn)(void *opaque),
                           void *opaque)
{
    if (index < 0 || index >= APIC_MAX || index != b->n || apic_id == 0xff) {
        errno = EINVAL;
        return NULL;
    }
    struct lapic *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->bus = b;
    l->index = index;
    l->kick = kick_fn;
    l->kick_opaque = opaque;
    l->timer = clk_timer_new(b->clk, lapic_timer_cb, l);
    if (!l->timer) {
        free(l);
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    l->id = apic_id;
    pthread_mutex_lock(&l->lock);
    power_on_locked(l);
    pthread_mutex_unlock(&l->lock);
    b->cpu[b->n++] = l;
    return l;
}

void lapic_free(struct lapic *l)
{
    if (!l)
        return;
    clk_timer_free(l->bus->clk, l->timer);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
