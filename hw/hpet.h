/* High Precision Event Timer at 0xfed00000: a 64-bit main counter at 100 MHz and three comparators,
 * with legacy replacement routing (timer 0 -> IRQ0, timer 1 -> IRQ8) that Linux uses for its tick
 * once the ACPI HPET table names the block. IA-PC HPET specification 1.0a (Intel, 2004). */
#ifndef VMON_HW_HPET_H
#define VMON_HW_HPET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h"
#include "mm/bus.h"

#define HPET_DEFAULT_BASE   0xfed00000ull
#define HPET_TIMERS         3
#define HPET_HZ             100000000ull       /* main counter: 100 MHz, a 10 ns period */
#define HPET_PERIOD_FS      10000000ull        /* the same in femtoseconds (capabilities register) */
#define HPET_MIN_PERIOD_TICKS 5000ull          /* periodic interrupts at most every 50 us */

/* Register offsets (spec 2.3.1) and bits. */
#define HPET_REG_CAP        0x000
#define HPET_REG_CONFIG     0x010
#define HPET_REG_STATUS     0x020
#define HPET_REG_COUNTER    0x0f0
#define HPET_REG_TIMER(n)   (0x100 + 0x20 * (n))   /* + 0: config/caps, + 8: comparator, + 0x10: FSB */
#define HPET_CFG_ENABLE     (1ull << 0)
#define HPET_CFG_LEGACY     (1ull << 1)
#define HPET_TN_LEVEL       (1ull << 1)
#define HPET_TN_INT_ENABLE  (1ull << 2)
#define HPET_TN_PERIODIC    (1ull << 3)
#define HPET_TN_PERIODIC_CAP (1ull << 4)
#define HPET_TN_SIZE_CAP    (1ull << 5)
#define HPET_TN_VAL_SET     (1ull << 6)
#define HPET_TN_32BIT       (1ull << 8)
#define HPET_TN_ROUTE_SHIFT 9
#define HPET_TN_ROUTE_CAPS  0x00ff0000ull      /* IOAPIC pins 16-23: GSIs no ISA device uses */

struct hpet_timer {
    uint64_t config;           /* Tn configuration (the writable bits and the fixed capabilities) */
    uint64_t cmp;              /* comparator as software reads it */
    uint64_t period;           /* periodic mode: added to cmp at each match */
    uint64_t match;            /* main-counter value of the next match, UINT64_MAX for none */
    bool line;                 /* level mode: the interrupt line is asserted */
};

/* Thread safety: one lock; MMIO from vCPU threads, expiry on the event loop. set_irq is called
 * with no HPET lock held. */
struct hpet {
    pthread_mutex_t lock;
    const struct plat_clock *clk;
    uint64_t config;           /* general configuration: ENABLE, LEGACY */
    uint64_t status;           /* general interrupt status (level-triggered timers) */
    uint64_t counter_base;     /* main counter at enable_ns, or its value while halted */
    uint64_t enable_ns;
    struct hpet_timer timer[HPET_TIMERS];
    struct plat_timer *expiry;
    /* irq: an ISA IRQ (legacy replacement: 0 or 8) or a GSI (16-23): what pc_soft_set_irq takes. */
    void (*set_irq)(void *opaque, unsigned irq, int level);
    void *opaque;
};

int hpet_init(struct hpet *h, const struct plat_clock *clk,
              void (*set_irq)(void *opaque, unsigned irq, int level), void *opaque);
void hpet_destroy(struct hpet *h);
struct vms_writer;
struct vms_reader;
/* Snapshots (migration/vmstate.h): save the state into the open section; load: 0, or -EINVAL for a
 * section that is short, long or holds values the device cannot have (the device then unchanged). */
void hpet_save(struct hpet *d, struct vms_writer *w);
int hpet_load(struct hpet *d, struct vms_reader *r);

void hpet_reset(struct hpet *h);   /* a machine reset: halted, legacy mode off, comparators all ones */
int hpet_map(struct hpet *h, struct bus *mmio, uint64_t base);

/* Legacy replacement on: the PIT's and RTC's lines are disconnected (spec 2.3.9). Lock-free read. */
bool hpet_legacy_mode(struct hpet *h);

uint64_t hpet_mmio_read(void *dev, uint64_t off, unsigned size);
void hpet_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size);

#endif
