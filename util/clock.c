/* The device clock on top of the event loop: CLOCK_MONOTONIC and evtimers. */
#include "util/clock.h"
#include "util/eventloop.h"

static uint64_t evclock_now(void *ctx)
{
    (void)ctx;
    return clock_now_ns();
}

static struct plat_timer *evclock_timer_new(void *ctx, void (*cb)(void *), void *opaque)
{
    return (struct plat_timer *)evtimer_new(ctx, cb, opaque);
}

static void evclock_timer_arm(void *ctx, struct plat_timer *t, uint64_t deadline)
{
    (void)ctx;
    evtimer_arm((struct evtimer *)t, deadline);
}

static void evclock_timer_free(void *ctx, struct plat_timer *t)
{
    (void)ctx;
    evtimer_free((struct evtimer *)t);
}

const struct plat_clock_ops evloop_clock_ops = {
    .now_ns = evclock_now,
    .timer_new = evclock_timer_new,
    .timer_arm = evclock_timer_arm,
    .timer_free = evclock_timer_free,
};
