/* x2APIC mode (SDM vol. 3A, 10.12): with EN and EXTD set in IA32_APIC_BASE the local APIC's
 * registers are MSRs 0x800 + offset / 16 instead of the MMIO page. What changes with it: the APIC
 * ID is a 32-bit read-only register, the LDR is derived from it (cluster id << 16 | one bit of 16),
 * DFR, APR and the ICR's high half are gone, the ICR is one 64-bit register with a 32-bit
 * destination, a SELF IPI register sends a fixed interrupt to this LAPIC, and writes that would be
 * ignored or flagged in xAPIC mode (read-only registers, reserved bits, a non-zero EOI or ESR
 * value) raise #GP (10.12.1.2, 10.12.1.3, 10.12.9). */
#include <errno.h>

#include "hw/apic-int.h"

#define X2_REG(msr)   (((msr) - X2APIC_MSR_FIRST) << 4)
#define X2_SELF_IPI   0x3f0
/* ICR bits that are reserved in x2APIC mode: delivery status (12), 13, 16-17, 20-31. */
#define X2_ICR_RESERVED 0xfff33000u

bool lapic_x2apic_mode(const struct lapic *l)
{
    uint64_t both = APIC_BASE_ENABLE | APIC_BASE_X2APIC;
    return (l->apic_base & both) == both;
}

uint32_t lapic_x2apic_ldr(uint32_t id)
{
    return (id >> 4) << 16 | 1u << (id & 0xf);
}

static bool in_range(unsigned reg, unsigned first, unsigned count)
{
    return reg >= first && reg < first + 0x10 * count;
}

int lapic_x2apic_read_locked(struct lapic *l, uint32_t msr, uint64_t *val)
{
    if (!lapic_x2apic_mode(l))
        return -EINVAL;
    unsigned reg = X2_REG(msr);
    switch (reg) {
    case APIC_REG_ID:     *val = l->id; return 0;
    case APIC_REG_LDR:    *val = lapic_x2apic_ldr(l->id); return 0;
    case APIC_REG_ICR_LO: *val = (uint64_t)l->icr_hi << 32 | l->icr_lo; return 0;
    case APIC_REG_VERSION: case APIC_REG_TPR: case APIC_REG_PPR: case APIC_REG_SVR:
    case APIC_REG_ESR: case APIC_REG_TIMER_INITIAL: case APIC_REG_TIMER_CURRENT:
    case APIC_REG_TIMER_DCR:
        break;
    default:
        if (!in_range(reg, APIC_REG_ISR, 8) && !in_range(reg, APIC_REG_TMR, 8) &&
            !in_range(reg, APIC_REG_IRR, 8) && !in_range(reg, APIC_REG_LVT, LVT_COUNT))
            return -EINVAL;    /* EOI and SELF IPI are write-only; DFR, APR, RRD, ICR2 are gone */
        break;
    }
    *val = lapic_reg_read_locked(l, reg);
    return 0;
}

/* The 64-bit ICR: the message goes out after the lock is dropped, as from the xAPIC ICR. */
static int write_icr(struct lapic *l, uint64_t val, struct lapic_after *after)
{
    uint32_t lo = (uint32_t)val;
    if (lo & X2_ICR_RESERVED)
        return -EINVAL;
    l->icr_lo = lo;
    l->icr_hi = (uint32_t)(val >> 32);
    after->send = true;
    after->msg = (struct apic_msg){
        .vector = lo & 0xff, .delivery = (lo >> 8) & 7, .logical = lo & (1u << 11),
        .assert = lo & (1u << 14), .level = lo & (1u << 15), .shorthand = (lo >> 18) & 3,
        .x2apic_dest = true, .dest = l->icr_hi,
    };
    return 0;
}

int lapic_x2apic_write_locked(struct lapic *l, uint32_t msr, uint64_t val, struct lapic_after *after)
{
    if (!lapic_x2apic_mode(l))
        return -EINVAL;
    unsigned reg = X2_REG(msr);
    switch (reg) {
    case APIC_REG_TPR:
        if (val & ~0xffull)
            return -EINVAL;
        break;
    case APIC_REG_EOI:
    case APIC_REG_ESR:
        if (val)
            return -EINVAL;
        break;
    case APIC_REG_SVR:
        if (val & ~0x3ffull)   /* EOI-broadcast suppression (bit 12) is not offered */
            return -EINVAL;
        break;
    case APIC_REG_ICR_LO:
        return write_icr(l, val, after);
    case X2_SELF_IPI:
        if (val & ~0xffull)
            return -EINVAL;
        after->send = true;
        after->msg = (struct apic_msg){ .vector = (uint8_t)val, .delivery = APIC_DM_FIXED,
                                        .assert = true, .shorthand = APIC_SH_SELF };
        return 0;
    case APIC_REG_TIMER_INITIAL:
    case APIC_REG_TIMER_DCR:
        if (val >> 32)
            return -EINVAL;
        break;
    default:
        if (!in_range(reg, APIC_REG_LVT, LVT_COUNT) || (val >> 32))
            return -EINVAL;    /* read-only (ID, version, LDR, PPR, ISR/TMR/IRR, count) or absent */
        break;
    }
    lapic_reg_write_locked(l, reg, (uint32_t)val, after);
    return 0;
}
