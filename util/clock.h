/* Time for the device models: a monotonic clock and one-shot timers behind an ops table, so the
 * event loop drives them in vmon and a fake clock drives them in unit tests (no threads there). */
#ifndef VMON_UTIL_CLOCK_H
#define VMON_UTIL_CLOCK_H

#include <stdint.h>

struct plat_timer;

/* Contract, which both the event-loop clock and the tests' fake clock keep:
 * - now_ns is monotonic, in nanoseconds.
 * - timer_arm(t, deadline) replaces any earlier deadline; deadline 0 disarms. It may be called from
 *   any thread, including with a device lock held and from the timer's own callback.
 * - The callback runs with no device lock held (the event loop holds none of its own locks either),
 *   so it may take its device's lock. It can run late, or once more after a re-arm raced with
 *   expiry: device callbacks recompute their state from now_ns and never trust that they are due. */
struct plat_clock_ops {
    uint64_t (*now_ns)(void *ctx);
    struct plat_timer *(*timer_new)(void *ctx, void (*cb)(void *opaque), void *opaque);
    void (*timer_arm)(void *ctx, struct plat_timer *t, uint64_t deadline_ns);
    void (*timer_free)(void *ctx, struct plat_timer *t);
};

struct plat_clock {
    const struct plat_clock_ops *ops;
    void *ctx;
};

static inline uint64_t clk_now(const struct plat_clock *c)
{
    return c->ops->now_ns(c->ctx);
}

static inline struct plat_timer *clk_timer_new(const struct plat_clock *c, void (*cb)(void *),
                                               void *opaque)
{
    return c->ops->timer_new(c->ctx, cb, opaque);
}

static inline void clk_timer_arm(const struct plat_clock *c, struct plat_timer *t, uint64_t deadline)
{
    c->ops->timer_arm(c->ctx, t, deadline);
}

static inline void clk_timer_free(const struct plat_clock *c, struct plat_timer *t)
{
    if (t)
        c->ops->timer_free(c->ctx, t);
}

/* a * b / c without overflowing 64 bits on the way (tick <-> ns conversions). */
static inline uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t c)
{
    return (uint64_t)((unsigned __int128)a * b / c);
}

/* The clock vmon runs devices on: CLOCK_MONOTONIC and the event loop's timers (util/eventloop.h).
 * ctx is the struct evloop. */
extern const struct plat_clock_ops evloop_clock_ops;
/* The event loop's clock moved by offset_ns (ctx: struct shifted_clock *): the soft platform's, so a
 * restored VM's device times (timer starts, counter bases, the TSC) go on from where its save left them
 * (machine/pc-soft.c sets offset_ns before the VM runs). Timers are armed at deadline - offset_ns. */
struct evloop;
struct shifted_clock {
    struct evloop *loop;
    int64_t offset_ns;
};
extern const struct plat_clock_ops shifted_clock_ops;

#endif
