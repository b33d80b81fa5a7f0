/* HPET: the main counter is computed from the host clock while enabled; each comparator keeps the
 * main-counter value of its next match, and one event-loop timer is armed at the earliest. Registers
 * are 64 bits wide and Linux accesses them as 32-bit halves, so every access is a masked update of
 * the 64-bit register. */
#include <errno.h>
#include <string.h>

#include "hw/hpet.h"
#include "migration/vmstate.h"

#define CAP_LOW (0x8086ull << 16 | 1ull << 15 /* LEG_RT_CAP */ | 1ull << 13 /* 64-bit counter */ | \
                 (uint64_t)(HPET_TIMERS - 1) << 8 | 1 /* revision */)
#define TN_WRITABLE (HPET_TN_LEVEL | HPET_TN_INT_ENABLE | HPET_TN_PERIODIC | HPET_TN_VAL_SET | \
                     HPET_TN_32BIT | 0x1full << HPET_TN_ROUTE_SHIFT)
#define TN_FIXED (HPET_TN_ROUTE_CAPS << 32 | HPET_TN_PERIODIC_CAP | HPET_TN_SIZE_CAP)

/* Line changes decided under the lock and made after it is dropped. */
struct irq_edge {
    unsigned irq;
    int level;
};

struct irq_change {
    int count;
    struct irq_edge e[4 * HPET_TIMERS];
};

static uint64_t counter_at(const struct hpet *h, uint64_t now)
{
    if (!(h->config & HPET_CFG_ENABLE) || now <= h->enable_ns)
        return h->counter_base;
    return h->counter_base + (now - h->enable_ns) / (1000000000ull / HPET_HZ);
}

static unsigned timer_irq(const struct hpet *h, unsigned n)
{
    if ((h->config & HPET_CFG_LEGACY) && n < 2)
        return n == 0 ? 0 : 8;  /* legacy replacement routing (spec 2.3.9) */
    return (h->timer[n].config >> HPET_TN_ROUTE_SHIFT) & 0x1f;
}

static void push_irq(struct irq_change *c, unsigned irq, int level)
{
    if (c->count < (int)(sizeof(c->e) / sizeof(c->e[0])))
        c->e[c->count++] = (struct irq_edge){ irq, level };
}

/* Where the next match of timer n is, from the counter value now (spec 2.3.9.2). A comparator behind
 * a 64-bit counter matches only after a wrap, i.e. never; a 32-bit one matches after 2^32 ticks. */
static void timer_compute_match(struct hpet *h, unsigned n, uint64_t counter)
{
    struct hpet_timer *t = &h->timer[n];
    if (t->config & HPET_TN_32BIT) {
        uint32_t d = (uint32_t)t->cmp - (uint32_t)counter;
        t->match = counter + (d ? d : 1ull << 32);
    } else {
        t->match = t->cmp > counter ? t->cmp : UINT64_MAX;
    }
}

static void rearm_locked(struct hpet *h, uint64_t now)
{
    uint64_t deadline = 0;
    if (h->config & HPET_CFG_ENABLE) {
        uint64_t counter = counter_at(h, now), first = UINT64_MAX;
        for (unsigned n = 0; n < HPET_TIMERS; n++)
            if (h->timer[n].match < first)
                first = h->timer[n].match;
        if (first != UINT64_MAX) {
            uint64_t ticks = first > counter ? first - counter : 0;
            uint64_t ns = ticks > UINT64_MAX / 20 ? UINT64_MAX / 2 : ticks * (1000000000ull / HPET_HZ);
            deadline = now + (ns ? ns : 1);
        }
    }
    clk_timer_arm(h->clk, h->expiry, deadline);
}

/* Timer n has matched: raise its interrupt and find its next match. */
static void timer_fire_locked(struct hpet *h, unsigned n, uint64_t counter, struct irq_change *c)
{
    struct hpet_timer *t = &h->timer[n];
    if (t->config & HPET_TN_INT_ENABLE) {
        unsigned irq = timer_irq(h, n);
        if (t->config & HPET_TN_LEVEL) {
            h->status |= 1ull << n;
            if (!t->line) {
                t->line = true;
                push_irq(c, irq, 1);
            }
        } else {
            push_irq(c, irq, 1);
            push_irq(c, irq, 0);
        }
    }
    if ((t->config & HPET_TN_PERIODIC) && t->period) {
        /* Add the period until the comparator is ahead again; missed periods are coalesced, and so
         * are periods shorter than HPET_MIN_PERIOD_TICKS, so a guest cannot flood the event loop. */
        uint64_t behind = counter + HPET_MIN_PERIOD_TICKS - t->match;
        uint64_t k = behind / t->period + 1;
        t->match += k * t->period;
        t->cmp += k * t->period;
        if (t->config & HPET_TN_32BIT)
            t->cmp = (uint32_t)t->cmp;
    } else {
        timer_compute_match(h, n, counter);   /* 32-bit: again after a wrap; 64-bit: never */
    }
}

static void run_irqs(struct hpet *h, const struct irq_change *c)
{
    for (int i = 0; i < c->count; i++)
        h->set_irq(h->opaque, c->e[i].irq, c->e[i].level);
}

static void hpet_expiry(void *opaque)
{
    struct hpet *h = opaque;
    struct irq_change c = { 0 };
    pthread_mutex_lock(&h->lock);
    uint64_t now = clk_now(h->clk);
    if (h->config & HPET_CFG_ENABLE) {
        uint64_t counter = counter_at(h, now);
        for (unsigned n = 0; n < HPET_TIMERS; n++)
            if (h->timer[n].match <= counter)
                timer_fire_locked(h, n, counter, &c);
    }
    rearm_locked(h, now);
    pthread_mutex_unlock(&h->lock);
    run_irqs(h, &c);
}

static uint64_t reg_read_locked(struct hpet *h, unsigned reg, uint64_t now)
{
    switch (reg) {
    case HPET_REG_CAP:
        return HPET_PERIOD_FS << 32 | CAP_LOW;
    case HPET_REG_CONFIG:
        return h->config;
    case HPET_REG_STATUS:
        return h->status;
    case HPET_REG_COUNTER:
        return counter_at(h, now);
    default:
        break;
    }
    if (reg >= HPET_REG_TIMER(0) && reg < HPET_REG_TIMER(HPET_TIMERS)) {
        const struct hpet_timer *t = &h->timer[(reg - HPET_REG_TIMER(0)) / 0x20];
        switch (reg & 0x1f) {
        case 0x00:
            return t->config;
        case 0x08:
            return t->cmp;
        default:
            return 0;          /* FSB route: FSB delivery is not offered */
        }
    }
    return 0;
}

static void timer_write_locked(struct hpet *h, unsigned n, unsigned field, uint64_t val,
                               uint64_t mask, uint64_t now, struct irq_change *c)
{
    struct hpet_timer *t = &h->timer[n];
    uint64_t counter = counter_at(h, now);
    if (field == 0x00) {
        uint64_t old = t->config;
        unsigned old_irq = timer_irq(h, n);
        t->config = ((old & ~mask) | (val & mask)) & TN_WRITABLE;
        if (((t->config >> HPET_TN_ROUTE_SHIFT) & 0x1f) < 16)  /* only the routes in the caps */
            t->config = (t->config & ~(0x1full << HPET_TN_ROUTE_SHIFT)) |
                        (old & (0x1full << HPET_TN_ROUTE_SHIFT));
        t->config |= TN_FIXED;
        if (t->config & HPET_TN_32BIT) {
            t->cmp = (uint32_t)t->cmp;
            t->period = (uint32_t)t->period;
        }
        /* A level-triggered line drops when its interrupt is disabled or it becomes edge. */
        if (t->line && (!(t->config & HPET_TN_INT_ENABLE) || !(t->config & HPET_TN_LEVEL) ||
                        timer_irq(h, n) != old_irq)) {
            t->line = false;
            push_irq(c, old_irq, 0);
        }
        timer_compute_match(h, n, counter);
    } else if (field == 0x08) {
        if (t->config & HPET_TN_32BIT) {
            val = (uint32_t)val;
            mask = 0xffffffff;
        }
        /* Periodic mode: a write sets the period, and also the comparator when VAL_SET is on
         * (which each write clears): Linux writes first the start, then the period. */
        bool periodic = t->config & HPET_TN_PERIODIC;
        if (!periodic || (t->config & HPET_TN_VAL_SET))
            t->cmp = (t->cmp & ~mask) | (val & mask);
        if (periodic)
            t->period = (t->period & ~mask) | (val & mask);
        t->config &= ~HPET_TN_VAL_SET;
        timer_compute_match(h, n, counter);
    }
}

static void reg_write_locked(struct hpet *h, unsigned reg, uint64_t val, uint64_t mask, uint64_t now,
                             struct irq_change *c)
{
    switch (reg) {
    case HPET_REG_CONFIG: {
        uint64_t old = h->config;
        uint64_t counter = counter_at(h, now);
        bool old_legacy = old & HPET_CFG_LEGACY;
        h->config = ((old & ~mask) | (val & mask)) & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);
        if ((old ^ h->config) & HPET_CFG_ENABLE) {
            h->counter_base = counter;     /* halting freezes the counter; enabling resumes it */
            h->enable_ns = now;
        }
        if (old_legacy != !!(h->config & HPET_CFG_LEGACY)) {
            for (unsigned n = 0; n < 2; n++) {
                if (h->timer[n].line) {    /* the level line moves: drop it on the old route */
                    h->timer[n].line = false;
                    h->config ^= HPET_CFG_LEGACY;
                    push_irq(c, timer_irq(h, n), 0);
                    h->config ^= HPET_CFG_LEGACY;
                }
            }
        }
        break;
    }
    case HPET_REG_STATUS:
        /* Write 1 to clear; a level-triggered line is released with its status bit. */
        for (unsigned n = 0; n < HPET_TIMERS; n++) {
            if (val & mask & h->status & (1ull << n)) {
                h->status &= ~(1ull << n);
                if (h->timer[n].line) {
                    h->timer[n].line = false;
                    push_irq(c, timer_irq(h, n), 0);
                }
            }
        }
        break;
    case HPET_REG_COUNTER:
        /* Software may write the counter while halted (spec 2.3.6); running, it is rebased. */
        h->counter_base = (counter_at(h, now) & ~mask) | (val & mask);
        h->enable_ns = now;
        for (unsigned n = 0; n < HPET_TIMERS; n++)
            timer_compute_match(h, n, h->counter_base);
        break;
    default:
        if (reg >= HPET_REG_TIMER(0) && reg < HPET_REG_TIMER(HPET_TIMERS))
            timer_write_locked(h, (reg - HPET_REG_TIMER(0)) / 0x20, reg & 0x18, val, mask, now, c);
        break;
    }
}

uint64_t hpet_mmio_read(void *dev, uint64_t off, unsigned size)
{
    struct hpet *h = dev;
    if (off >= 0x400 || (size != 4 && size != 8) || (off & (size - 1)))
        return 0;
    pthread_mutex_lock(&h->lock);
    uint64_t v = reg_read_locked(h, off & ~7ull, clk_now(h->clk));
    pthread_mutex_unlock(&h->lock);
    if (size == 4)
        v = (off & 4) ? v >> 32 : (uint32_t)v;
    return v;
}

void hpet_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct hpet *h = dev;
    if (off >= 0x400 || (size != 4 && size != 8) || (off & (size - 1)))
        return;
    uint64_t mask = size == 8 ? UINT64_MAX : (off & 4) ? 0xffffffff00000000ull : 0xffffffffull;
    if (size == 4 && (off & 4))
        val <<= 32;
    struct irq_change c = { 0 };
    pthread_mutex_lock(&h->lock);
    uint64_t now = clk_now(h->clk);
    reg_write_locked(h, off & ~7ull, val, mask, now, &c);
    rearm_locked(h, now);
    pthread_mutex_unlock(&h->lock);
    run_irqs(h, &c);
}

bool hpet_legacy_mode(struct hpet *h)
{
    pthread_mutex_lock(&h->lock);
    bool on = (h->config & HPET_CFG_ENABLE) && (h->config & HPET_CFG_LEGACY);
    pthread_mutex_unlock(&h->lock);
    return on;
}

static const struct io_ops hpet_ops = { hpet_mmio_read, hpet_mmio_write };

int hpet_init(struct hpet *h, const struct plat_clock *clk,
              void (*set_irq)(void *opaque, unsigned irq, int level), void *opaque)
{
    memset(h, 0, sizeof(*h));
    h->clk = clk;
    h->set_irq = set_irq;
    h->opaque = opaque;
    h->expiry = clk_timer_new(clk, hpet_expiry, h);
    if (!h->expiry)
        return -ENOMEM;
    pthread_mutex_init(&h->lock, NULL);
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        h->timer[n].config = TN_FIXED | (16ull + n) << HPET_TN_ROUTE_SHIFT;
        h->timer[n].cmp = UINT64_MAX;   /* reset value of the comparators (spec 2.3.9.2) */
        h->timer[n].match = UINT64_MAX;
    }
    return 0;
}

void hpet_reset(struct hpet *h)
{
    pthread_mutex_lock(&h->lock);
    h->config = h->status = h->counter_base = 0;
    for (unsigned n = 0; n < HPET_TIMERS; n++)
        h->timer[n] = (struct hpet_timer){ .config = TN_FIXED | (16ull + n) << HPET_TN_ROUTE_SHIFT,
                                           .cmp = UINT64_MAX, .match = UINT64_MAX };
    rearm_locked(h, clk_now(h->clk));
    pthread_mutex_unlock(&h->lock);
}

void hpet_destroy(struct hpet *h)
{
    clk_timer_free(h->clk, h->expiry);
    h->expiry = NULL;
    pthread_mutex_destroy(&h->lock);
}

int hpet_map(struct hpet *h, struct bus *mmio, uint64_t base)
{
    return bus_map(mmio, base, 0x400, &hpet_ops, h, "hpet");
}

/* ---- snapshots: the general registers and each timer's (HPET spec 2.3), the counter as its base and
 * the platform-clock time it was enabled, which a restore carries on from the save ---- */

void hpet_save(struct hpet *h, struct vms_writer *w)
{
    pthread_mutex_lock(&h->lock);
    vms_put_u64(w, h->config);
    vms_put_u64(w, h->status);
    vms_put_u64(w, h->counter_base);
    vms_put_u64(w, h->enable_ns);
    vms_put_u32(w, HPET_TIMERS);
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        const struct hpet_timer *t = &h->timer[n];
        vms_put_u64(w, t->config);
        vms_put_u64(w, t->cmp);
        vms_put_u64(w, t->period);
        vms_put_u64(w, t->match);
        vms_put_u8(w, t->line);
    }
    pthread_mutex_unlock(&h->lock);
}

int hpet_load(struct hpet *h, struct vms_reader *r)
{
    uint64_t config = vms_get_u64(r), status = vms_get_u64(r), base = vms_get_u64(r);
    uint64_t enable_ns = vms_get_u64(r);
    if (vms_get_u32(r) != HPET_TIMERS)
        return -EINVAL;
    struct hpet_timer t[HPET_TIMERS];
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        t[n].config = vms_get_u64(r);
        t[n].cmp = vms_get_u64(r);
        t[n].period = vms_get_u64(r);
        t[n].match = vms_get_u64(r);
        t[n].line = vms_get_u8(r) & 1;
        unsigned route = (t[n].config >> HPET_TN_ROUTE_SHIFT) & 0x1f;
        if (route < 16 || route > 23)            /* only the routes the capabilities offer */
            return -EINVAL;
        t[n].config = (t[n].config & TN_WRITABLE) | TN_FIXED;
    }
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&h->lock);
    h->config = config & (HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    h->status = status & ((1u << HPET_TIMERS) - 1);
    h->counter_base = base;
    h->enable_ns = enable_ns;
    memcpy(h->timer, t, sizeof(t));
    rearm_locked(h, clk_now(h->clk));
    pthread_mutex_unlock(&h->lock);
    return 0;
}
