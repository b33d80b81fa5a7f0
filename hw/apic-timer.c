/* The local APIC timer (SDM 10.5.4): one-shot and periodic modes counting the crystal clock divided
 * by the divide configuration, and TSC-deadline mode (10.5.4.1). Like the PIT, nothing ticks: the
 * current count is computed from the host clock, and one event-loop timer is armed for the next
 * expiry. */
#include "hw/apic-int.h"

static unsigned timer_mode(const struct lapic *l)
{
    return (l->lvt[LVT_TIMER] >> 17) & 3;
}

/* Divide configuration: bits 0, 1 and 3 encode 2, 4, ..., 128, and 0b111 is divide by 1. */
static uint64_t timer_divide(const struct lapic *l)
{
    unsigned v = (l->timer_dcr & 3) | ((l->timer_dcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

static uint64_t counts_elapsed(const struct lapic *l, uint64_t now)
{
    if (now <= l->timer_start_ns)
        return 0;
    return muldiv64(now - l->timer_start_ns, l->bus->tsc->crystal_hz,
                    timer_divide(l) * 1000000000ull);
}

/* Host ns for a number of timer counts, rounded up so the timer never fires early. */
static uint64_t counts_ns(const struct lapic *l, uint64_t counts)
{
    unsigned __int128 ns = (unsigned __int128)counts * timer_divide(l) * 1000000000ull;
    uint64_t hz = l->bus->tsc->crystal_hz;
    return (uint64_t)((ns + hz - 1) / hz);
}

static uint64_t period_ns(const struct lapic *l)
{
    uint64_t ns = counts_ns(l, l->timer_initial);
    return ns < APIC_TIMER_MIN_PERIOD_NS ? APIC_TIMER_MIN_PERIOD_NS : ns;
}

uint32_t lapic_timer_current_locked(struct lapic *l, uint64_t now)
{
    if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE || !l->timer_initial)
        return 0;
    uint64_t e = counts_elapsed(l, now);
    if (timer_mode(l) == APIC_TIMER_PERIODIC)
        return l->timer_initial - (uint32_t)(e % l->timer_initial);
    return e >= l->timer_initial ? 0 : l->timer_initial - (uint32_t)e;
}

void lapic_timer_rearm_locked(struct lapic *l, uint64_t now)
{
    uint64_t deadline = 0;
    switch (timer_mode(l)) {
    case APIC_TIMER_TSC_DEADLINE:
        if (l->tsc_deadline)
            deadline = tsc_to_host_ns(l->bus->tsc, l->tsc_deadline);
        break;
    case APIC_TIMER_PERIODIC:
        if (l->timer_initial)
            deadline = l->timer_start_ns + (l->timer_periods_done + 1) * period_ns(l);
        break;
    case APIC_TIMER_ONESHOT:
        if (l->timer_initial && !l->timer_periods_done)
            deadline = l->timer_start_ns + counts_ns(l, l->timer_initial);
        break;
    default:                   /* mode 3 is reserved: the timer does not run */
        break;
    }
    if (deadline && deadline <= now)
        deadline = now ? now : 1;
    clk_timer_arm(l->bus->clk, l->timer, deadline);
}

/* Expiry, on the event-loop thread. Recomputes from the clock: a late or stale callback is harmless,
 * and periods missed while the host was busy are coalesced into one interrupt. */
void lapic_timer_cb(void *opaque)
{
    struct lapic *l = opaque;
    bool need_kick = false;
    pthread_mutex_lock(&l->lock);
    uint64_t now = clk_now(l->bus->clk);
    switch (timer_mode(l)) {
    case APIC_TIMER_TSC_DEADLINE:
        if (l->tsc_deadline && tsc_from_host_ns(l->bus->tsc, now) >= l->tsc_deadline) {
            l->tsc_deadline = 0;   /* the MSR reads 0 once the timer has fired */
            need_kick = lapic_lvt_fire_locked(l, LVT_TIMER);
        }
        break;
    case APIC_TIMER_PERIODIC:
        if (l->timer_initial && now > l->timer_start_ns) {
            uint64_t k = (now - l->timer_start_ns) / period_ns(l);
            if (k > l->timer_periods_done) {
                l->timer_periods_done = k;
                need_kick = lapic_lvt_fire_locked(l, LVT_TIMER);
            }
        }
        break;
    case APIC_TIMER_ONESHOT:
        if (l->timer_initial && !l->timer_periods_done &&
            counts_elapsed(l, now) >= l->timer_initial) {
            l->timer_periods_done = 1;
            need_kick = lapic_lvt_fire_locked(l, LVT_TIMER);
        }
        break;
    default:
        break;
    }
    lapic_timer_rearm_locked(l, now);
    pthread_mutex_unlock(&l->lock);
    if (need_kick && l->kick)
        l->kick(l->kick_opaque);
}

void lapic_timer_set_initial_locked(struct lapic *l, uint32_t val, uint64_t now)
{
    if (timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
        return;                /* ignored in TSC-deadline mode */
    l->timer_initial = val;    /* 0 stops the timer */
    l->timer_start_ns = now;
    l->timer_periods_done = 0;
    lapic_timer_rearm_locked(l, now);
}

/* A new divisor applies from now on: the count already reached is kept. */
void lapic_timer_set_dcr_locked(struct lapic *l, uint32_t val, uint64_t now)
{
    uint32_t cur = lapic_timer_current_locked(l, now);
    l->timer_dcr = val & 0xb;
    if (!l->timer_initial || timer_mode(l) == APIC_TIMER_TSC_DEADLINE)
        return;
    if (timer_mode(l) == APIC_TIMER_ONESHOT && l->timer_periods_done)
        return;                /* already expired: stays at 0 */
    uint64_t done = l->timer_initial - cur, back = counts_ns(l, done);
    l->timer_start_ns = now > back ? now - back : 0;
    l->timer_periods_done = 0;
    lapic_timer_rearm_locked(l, now);
}

void lapic_timer_set_lvt_locked(struct lapic *l, uint32_t lvt, uint64_t now)
{
    unsigned old = timer_mode(l);
    l->lvt[LVT_TIMER] = lvt;
    if (timer_mode(l) != old) {
        /* Switching into or out of TSC-deadline mode disarms the timer (SDM 10.5.4.1). */
        l->timer_initial = 0;
        l->timer_periods_done = 0;
        l->tsc_deadline = 0;
        lapic_timer_rearm_locked(l, now);
    }
}

void lapic_timer_set_deadline_locked(struct lapic *l, uint64_t tsc, uint64_t now)
{
    if (timer_mode(l) != APIC_TIMER_TSC_DEADLINE)
        return;                /* writes are ignored outside TSC-deadline mode */
    l->tsc_deadline = tsc;     /* 0 disarms */
    if (tsc && tsc_from_host_ns(l->bus->tsc, now) >= tsc) {
        /* Already due: fire now rather than through the event loop (the MSR write kicks). */
        l->tsc_deadline = 0;
        lapic_lvt_fire_locked(l, LVT_TIMER);
    }
    lapic_timer_rearm_locked(l, now);
}
