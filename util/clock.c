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

static uint64_t shifted_now(void *ctx)
{
    const struct shifted_clock *c = ctx;
    return clock_now_ns() + (uint64_t)c->offset_ns;
}

static struct plat_timer *shifted_timer_new(void *ctx, void (*cb)(void *), void *opaque)
{
    const struct shifted_clock *c = ctx;
    return (struct plat_timer *)evtimer_new(c->loop, cb, opaque);
}

/* A deadline of 0 disarms, as evtimer_arm's; any other is moved to host time (at least 1). */
static void shifted_timer_arm(void *ctx, struct plat_timer *t, uint64_t deadline)
{
    const struct shifted_clock *c = ctx;
    uint64_t host = deadline ? deadline - (uint64_t)c->offset_ns : 0;
    if (deadline && (host == 0 || (c->offset_ns > 0 && deadline < (uint64_t)c->offset_ns)))
        host = 1;
    evtimer_arm((struct evtimer *)t, host);
}

const struct plat_clock_ops shifted_clock_ops = {
    .now_ns = shifted_now,
    .timer_new = shifted_timer_new,
    .timer_arm = shifted_timer_arm,
    .timer_free = evclock_timer_free,
};
