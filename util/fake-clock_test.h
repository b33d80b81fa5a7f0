/* A fake device clock for unit tests: time moves only when the test advances it, and due timers
 * fire in deadline order on the test's own thread. Header-only, included by *_test.c files. */
#ifndef VMON_UTIL_FAKE_CLOCK_TEST_H
#define VMON_UTIL_FAKE_CLOCK_TEST_H

#include <stdlib.h>
#include "util/clock.h"

#define FAKE_CLOCK_TIMERS 64

struct plat_timer {
    void (*cb)(void *opaque);
    void *opaque;
    uint64_t deadline;         /* 0: disarmed */
    int used;
};

struct fake_clock {
    uint64_t now;
    struct plat_timer timers[FAKE_CLOCK_TIMERS];
    struct plat_clock clock;   /* what devices are given */
};

static uint64_t fake_now(void *ctx)
{
    return ((struct fake_clock *)ctx)->now;
}

static struct plat_timer *fake_timer_new(void *ctx, void (*cb)(void *), void *opaque)
{
    struct fake_clock *fc = ctx;
    for (int i = 0; i < FAKE_CLOCK_TIMERS; i++) {
        if (!fc->timers[i].used) {
            fc->timers[i] = (struct plat_timer){ cb, opaque, 0, 1 };
            return &fc->timers[i];
        }
    }
    return NULL;
}

static void fake_timer_arm(void *ctx, struct plat_timer *t, uint64_t deadline)
{
    (void)ctx;
    t->deadline = deadline;
}

static void fake_timer_free(void *ctx, struct plat_timer *t)
{
    (void)ctx;
    t->used = 0;
    t->deadline = 0;
}

static const struct plat_clock_ops fake_clock_ops = {
    fake_now, fake_timer_new, fake_timer_arm, fake_timer_free,
};

static inline void fake_clock_init(struct fake_clock *fc, uint64_t start_ns)
{
    *fc = (struct fake_clock){ .now = start_ns };
    fc->clock = (struct plat_clock){ &fake_clock_ops, fc };
}

/* Move time to now + ns, firing every timer that falls due on the way, at its own deadline. */
static inline void fake_clock_advance(struct fake_clock *fc, uint64_t ns)
{
    uint64_t target = fc->now + ns;
    for (;;) {
        struct plat_timer *next = NULL;
        for (int i = 0; i < FAKE_CLOCK_TIMERS; i++) {
            struct plat_timer *t = &fc->timers[i];
            if (t->used && t->deadline && t->deadline <= target &&
                (!next || t->deadline < next->deadline))
                next = t;
        }
        if (!next)
            break;
        if (next->deadline > fc->now)
            fc->now = next->deadline;
        next->deadline = 0;
        next->cb(next->opaque);
    }
    fc->now = target;
}

/* The armed deadline of the only armed timer the test expects, or 0. */
static inline uint64_t fake_clock_next_deadline(const struct fake_clock *fc)
{
    uint64_t best = 0;
    for (int i = 0; i < FAKE_CLOCK_TIMERS; i++)
        if (fc->timers[i].used && fc->timers[i].deadline &&
            (!best || fc->timers[i].deadline < best))
            best = fc->timers[i].deadline;
    return best;
}

#endif
