/* Local APIC internals shared by apic.c (registers, delivery) and apic-timer.c. Not for devices. */
#ifndef VMON_HW_APIC_INT_H
#define VMON_HW_APIC_INT_H

#include "hw/apic.h"

/* Register offsets in the 4 KiB page (SDM table 10-1). */
enum {
    APIC_REG_ID = 0x020, APIC_REG_VERSION = 0x030, APIC_REG_TPR = 0x080, APIC_REG_APR = 0x090,
    APIC_REG_PPR = 0x0a0, APIC_REG_EOI = 0x0b0, APIC_REG_RRD = 0x0c0, APIC_REG_LDR = 0x0d0,
    APIC_REG_DFR = 0x0e0, APIC_REG_SVR = 0x0f0, APIC_REG_ISR = 0x100, APIC_REG_TMR = 0x180,
    APIC_REG_IRR = 0x200, APIC_REG_ESR = 0x280, APIC_REG_ICR_LO = 0x300, APIC_REG_ICR_HI = 0x310,
    APIC_REG_LVT = 0x320,      /* timer, thermal, perf, LINT0, LINT1, error: 0x320..0x370 */
    APIC_REG_TIMER_INITIAL = 0x380, APIC_REG_TIMER_CURRENT = 0x390, APIC_REG_TIMER_DCR = 0x3e0,
};

#define APIC_VERSION         0x14          /* an integrated xAPIC; no EOI-broadcast suppression */
#define APIC_SVR_ENABLE      (1u << 8)
#define APIC_LVT_MASKED      (1u << 16)
#define APIC_ICR_BUSY        (1u << 12)
#define APIC_ESR_RECV_ILLEGAL (1u << 6)
#define APIC_ESR_ILLEGAL_REG (1u << 7)
#define APIC_BASE_ADDR_MASK  0x0000000ffffff000ull   /* 36 physical address bits */

/* LVT timer modes (bits 18:17). */
enum { APIC_TIMER_ONESHOT = 0, APIC_TIMER_PERIODIC = 1, APIC_TIMER_TSC_DEADLINE = 2 };

/* A periodic timer never fires more often than this, so a guest cannot flood the event loop
 * (KVM has the same guard, min_timer_period_us). */
#define APIC_TIMER_MIN_PERIOD_NS 50000ull

void lapic_hint_locked(struct lapic *l);
bool lapic_uncovered_locked(const struct lapic *l);

/* Work a register write leaves for after the lock is dropped (lapic_run_after). */
struct lapic_after {
    bool send;
    struct apic_msg msg;
    int eoi_vector;            /* level-triggered vector to broadcast, or -1 */
};
/* The register file by xAPIC page offset; the x2APIC MSRs (apic-x2.c) reach it through these. */
uint32_t lapic_reg_read_locked(struct lapic *l, unsigned reg);
void lapic_reg_write_locked(struct lapic *l, unsigned reg, uint32_t val, struct lapic_after *after);
void lapic_run_after(struct lapic *l, const struct lapic_after *after, bool need_kick);

/* apic-x2.c: x2APIC mode (EN and EXTD in IA32_APIC_BASE) and its MSRs 0x800-0x8ff, with l->lock
 * held; -EINVAL means #GP. */
#define X2APIC_MSR_FIRST 0x800
#define X2APIC_MSR_LAST  0x8ff
bool lapic_x2apic_mode(const struct lapic *l);
uint32_t lapic_x2apic_ldr(uint32_t id);   /* cluster (id >> 4) << 16 | bit (id & 15) */
int lapic_x2apic_read_locked(struct lapic *l, uint32_t msr, uint64_t *val);
int lapic_x2apic_write_locked(struct lapic *l, uint32_t msr, uint64_t val, struct lapic_after *after);
bool lapic_lvt_fire_locked(struct lapic *l, enum lapic_lvt which);

/* apic-timer.c; all with l->lock held except the callback. */
void lapic_timer_cb(void *opaque);
void lapic_timer_rearm_locked(struct lapic *l, uint64_t now);
uint32_t lapic_timer_current_locked(struct lapic *l, uint64_t now);
void lapic_timer_set_initial_locked(struct lapic *l, uint32_t val, uint64_t now);
void lapic_timer_set_dcr_locked(struct lapic *l, uint32_t val, uint64_t now);
void lapic_timer_set_lvt_locked(struct lapic *l, uint32_t lvt, uint64_t now);
void lapic_timer_set_deadline_locked(struct lapic *l, uint64_t tsc, uint64_t now);

#endif
