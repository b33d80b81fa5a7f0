/* Local APIC: priority (TPR/PPR), acknowledge and EOI (with the IOAPIC broadcast for level-triggered
 * vectors), the timer in one-shot/periodic/TSC-deadline modes on a fake clock, IPIs (fixed, logical,
 * shorthands, lowest priority, NMI, INIT/SIPI), ExtINT through LINT0, MSRs, x2APIC mode. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/apic-int.h"
#include "util/fake-clock_test.h"

struct rig {
    struct fake_clock fc;
    struct tsc tsc;
    struct apic_bus bus;
    struct lapic *l[3];
    int kicks[3];
    int eois[256];
    bool pic_intr;
    int pic_acks;
};

static void kick(void *opaque)
{
    (*(int *)opaque)++;
}

static void eoi(void *opaque, uint8_t vector)
{
    ((struct rig *)opaque)->eois[vector]++;
}

static bool pic_pending(void *opaque)
{
    return ((struct rig *)opaque)->pic_intr;
}

static int pic_ack(void *opaque)
{
    struct rig *r = opaque;
    r->pic_acks++;
    r->pic_intr = false;
    return 0x30;
}

static int setup(void **state)
{
    static struct rig r;
    memset(&r, 0, sizeof(r));
    fake_clock_init(&r.fc, 1000000);
    tsc_init(&r.tsc, &r.fc.clock, 2000000000ull);
    apic_bus_init(&r.bus, &r.fc.clock, &r.tsc);
    r.bus.eoi = eoi;
    r.bus.eoi_opaque = &r;
    r.bus.extint_pending = pic_pending;
    r.bus.extint_ack = pic_ack;
    r.bus.extint_opaque = &r;
    for (int i = 0; i < 3; i++) {
        r.l[i] = lapic_create(&r.bus, i, (uint8_t)i, kick, &r.kicks[i]);
        assert_non_null(r.l[i]);
    }
    *state = &r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    for (int i = 0; i < 3; i++)
        lapic_free(r->l[i]);
    return 0;
}

static uint32_t rd(struct lapic *l, unsigned reg)
{
    return (uint32_t)lapic_mmio_read(l, reg, 4);
}

static void wr(struct lapic *l, unsigned reg, uint32_t v)
{
    lapic_mmio_write(l, reg, v, 4);
}

static void send_fixed(struct rig *r, uint8_t dest, uint8_t vector, bool level)
{
    struct apic_msg m = { .vector = vector, .delivery = APIC_DM_FIXED, .level = level,
                          .assert = true, .dest = dest };
    assert_int_equal(apic_bus_deliver(&r->bus, &m, NULL), 1);
}

static void test_priority_tpr_ppr(void **state)
{
    struct rig *r = *state;
    struct lapic *l = r->l[0];
    assert_false(lapic_irq_hint(l));
    send_fixed(r, 0, 0x31, false);
    send_fixed(r, 0, 0x52, false);
    assert_true(lapic_irq_hint(l));
    assert_int_equal(r->kicks[0], 2);
    assert_int_equal(rd(l, APIC_REG_IRR + 0x10), 1u << 0x11);    /* vector 0x31 */
    assert_int_equal(lapic_get_interrupt(l), 0x52);
    assert_int_equal(rd(l, APIC_REG_ISR + 0x20), 1u << 0x12);    /* 0x52 in service */
    assert_int_equal(rd(l, APIC_REG_PPR), 0x50);
    assert_int_equal(lapic_get_interrupt(l), -1);                 /* 0x31 is below PPR */
    assert_false(lapic_irq_hint(l));
    assert_false(lapic_has_interrupt(l));
    send_fixed(r, 0, 0x5f, false);                                /* same class: also blocked */
    assert_int_equal(lapic_get_interrupt(l), -1);
    int kicks = r->kicks[0];
    wr(l, APIC_REG_EOI, 0);
    assert_true(lapic_irq_hint(l));
    assert_int_equal(r->kicks[0], kicks + 1);     /* the EOI uncovered 0x5f: the vCPU is told */
    assert_int_equal(lapic_get_interrupt(l), 0x5f);
    wr(l, APIC_REG_EOI, 0);
    /* TPR blocks classes at or below it; CR8 is TPR[7:4]. */
    lapic_set_tpr(l, 3);
    assert_int_equal(rd(l, APIC_REG_TPR), 0x30);
    assert_int_equal(rd(l, APIC_REG_PPR), 0x30);
    assert_false(lapic_has_interrupt(l));
    kicks = r->kicks[0];
    wr(l, APIC_REG_TPR, 0x30);                    /* no change in what is deliverable: no kick */
    assert_int_equal(r->kicks[0], kicks);
    wr(l, APIC_REG_TPR, 0x20);
    assert_int_equal(r->kicks[0], kicks + 1);
    assert_int_equal(lapic_get_tpr(l), 2);
    assert_true(lapic_has_interrupt(l));
    assert_int_equal(lapic_get_interrupt(l), 0x31);
    assert_int_equal(rd(l, APIC_REG_PPR), 0x30);
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(rd(l, APIC_REG_PPR), 0x20);
    assert_int_equal(rd(l, APIC_REG_ISR + 0x10), 0);
}

static void test_eoi_level_broadcast(void **state)
{
    struct rig *r = *state;
    struct lapic *l = r->l[0];
    send_fixed(r, 0, 0x40, true);
    send_fixed(r, 0, 0x60, false);
    assert_int_equal(rd(l, APIC_REG_TMR + 0x20), 1u << 0);        /* 0x40: level */
    assert_int_equal(lapic_get_interrupt(l), 0x60);
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(r->eois[0x60], 0);                           /* edge: no broadcast */
    assert_int_equal(lapic_get_interrupt(l), 0x40);
    wr(l, APIC_REG_EOI, 0);
    assert_int_equal(r->eois[0x40], 1);
    /* Illegal vectors are refused and reported in the ESR. */
    struct apic_msg m = { .vector = 5, .delivery = APIC_DM_FIXED, .dest = 0 };
    apic_bus_deliver(&r->bus, &m, NULL);
    wr(l, APIC_REG_ESR, 0);
    assert_int_equal(rd(l, APIC_REG_ESR), APIC_ESR_RECV_ILLEGAL);
    assert_int_equal(lapic_get_interrupt(l), -1);
}

static void test_timer_oneshot(void **state)
{
    struct rig *r = *state;
    struct lapic *l = r->l[0];
    wr(l, APIC_REG_TIMER_DCR, 0x3);                               /* divide by 16 */
    wr(l, APIC_REG_LVT, 0xec);                                    /* one-shot, vector 0xec */
    wr(l, APIC_REG_TIMER_INITIAL, 1000);                          /* 16 us at 1 GHz / 16 */
    fake_clock_advance(&r->fc, 8000);
    assert_int_equal(rd(l, APIC_REG_TIMER_CURRENT), 500);
    assert_false(lapic_has_interrupt(l));
    fake_clock_advance(&r->fc, 7999);
    assert_false(lapic_has_interrupt(l));
    fake_clock_advance(&r->fc, 1);
    assert_int_equal(r->kicks[0], 1);
    assert_int_equal(rd(l, APIC_REG_TIMER_CURRENT), 0);
    assert_int_equal(lapic_get_interrupt(l), 0xec);
    fake_clock_advance(&r->fc, 1000000);
    assert_int_equal(r->kicks[0], 1);                             /* once only */
    assert_int_equal(fake_clock_next_deadline(&r->fc), 0);
    /* A divide change keeps the count reached: 100 counts of 1000 at /16, the rest at /1. */
    wr(l, APIC_REG_EOI, 0);
    wr(l, APIC_REG_TIMER_INITIAL, 1000);
    fake_clock_advance(&r->fc, 1600);
    wr(l, APIC_REG_TIMER_DCR, 0xb);                               /* divide by 1 */
    assert_int_equal(rd(l, APIC_REG_TIMER_CURRENT), 900);
    fake_clock_advance(&r->fc, 899);
    assert_false(lapic_has_interrupt(l));
    fake_clock_advance(&r->fc, 1);
    assert_int_equal(lapic_get_interrupt(l), 0xec);
    /* Masked: counts, but raises nothing. */
    wr(l, APIC_REG_LVT, 0x100ec);
    wr(l, APIC_REG_TIMER_INITIAL, 10);
    fake_clock_advance(&r->fc, 100);
    assert_int_equal(rd(l, APIC_REG_TIMER_CURRENT), 0);
    assert_int_equal(rd(l, APIC_REG_IRR + 0x70), 0);
}

static void test_timer_periodic(void **state)
{
    struct rig *r = *state;
    struct lapic *l = r->l[0];
    wr(l, APIC_REG_TIMER_DCR, 0xb);                               /* divide by 1: counts are ns */
    wr(l, APIC_REG_LVT, (APIC_TIMER_PERIODIC << 17) | 0xef);
    wr(l, APIC_REG_TIMER_INITIAL, 4000000);                       /* 4 ms: HZ=250 */
    fake_clock_advance(&r->fc, 1000000);
    assert_int_equal(rd(l, APIC_REG_TIMER_CURRENT), 3000000);
    int got = 0;
    for (int ms = 0; ms < 40; ms++) {
        fake_clock_advance(&r->fc, 1000000);
        if (lapic_get_interrupt(l) == 0xef) {
            got++;
            wr(l, APIC_REG_EOI, 0);
        }
    }
    assert_int_equal(got, 10);                                    /* 41 ms: ticks at 4, 8 .. 40 */
    assert_int_equal(rd(l, APIC_REG_TIMER_CURRENT), 4000000 - 1000000);
    /* Switching to TSC-deadline mode disarms the periodic timer. */
    wr(l, APIC_REG_LVT, (APIC_TIMER_TSC_DEADLINE << 17) | 0xef);
    assert_int_equal(rd(l, APIC_REG_TIMER_INITIAL), 0);
    assert_int_equal(fake_clock_next_deadline(&r->fc), 0);
}

static void test_timer_tsc_deadline(void **state)
{
    struct rig *r = *state;
    struct lapic *l = r->l[0];
    uint64_t v;
    /* Outside TSC-deadline mode the MSR ignores writes. */
    assert_int_equal(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 5), 0);
    assert_int_equal(lapic_msr_read(l, MSR_IA32_TSC_DEADLINE, &v), 0);
    assert_int_equal(v, 0);
    wr(l, APIC_REG_LVT, (APIC_TIMER_TSC_DEADLINE << 17) | 0xee);
    uint64_t deadline = tsc_read(&r->tsc) + 2000000;              /* 1 ms at 2 GHz */
    assert_int_equal(lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, deadline), 0);
    fake_clock_advance(&r->fc, 999999);
    assert_false(lapic_has_interrupt(l));
    fake_clock_advance(&r->fc, 1);
    assert_true(tsc_read(&r->tsc) >= deadline);
    assert_int_equal(lapic_get_interrupt(l), 0xee);
    assert_int_equal(lapic_msr_read(l, MSR_IA32_TSC_DEADLINE, &v), 0);
    assert_int_equal(v, 0);                                       /* cleared when it fires */
    wr(l, APIC_REG_EOI, 0);
    /* A deadline already in the past fires at once. */
    lapic_msr_write(l, MSR_IA32_TSC_DEADLINE, 1);
    assert_int_equal(lapic_get_interrupt(l), 0xee);
    wr(l, APIC_REG_TIMER_INITIAL, 100);                           /* ignored in this mode */
    assert_int_equal(rd(l, APIC_REG_TIMER_INITIAL), 0);
}

static void icr(struct lapic *l, uint8_t dest, uint32_t lo)
{
    wr(l, APIC_REG_ICR_HI, (uint32_t)dest << 24);
    wr(l, APIC_REG_ICR_LO, lo);
}

static void test_init_sipi(void **state)
{
    struct rig *r = *state;
    struct lapic *bsp = r->l[0], *ap = r->l[1];
    uint8_t vec = 0;
    assert_false(lapic_waiting_for_sipi(bsp));
    assert_true(lapic_waiting_for_sipi(ap));
    /* A SIPI is accepted only in wait-for-SIPI; Linux's sequence is INIT, INIT de-assert, SIPI x2. */
    icr(bsp, 1, 0x0000c500);                                      /* INIT, level, assert */
    assert_int_equal(r->kicks[1], 1);
    icr(bsp, 1, 0x00008500);                                      /* INIT level de-assert */
    assert_int_equal(r->kicks[1], 1);
    assert_int_equal(lapic_take_events(ap, &vec), LAPIC_EVENT_INIT);
    assert_true(lapic_waiting_for_sipi(ap));
    icr(bsp, 1, 0x00000608);                                      /* SIPI, vector 8: start at 0x8000 */
    icr(bsp, 1, 0x00000609);                                      /* the second SIPI is ignored */
    assert_int_equal(lapic_take_events(ap, &vec), LAPIC_EVENT_SIPI);
    assert_int_equal(vec, 8);
    assert_false(lapic_waiting_for_sipi(ap));
    assert_int_equal(lapic_take_events(ap, &vec), 0);
    /* INIT resets the LAPIC's registers, except its id. */
    wr(ap, APIC_REG_TPR, 0x70);
    wr(ap, APIC_REG_ID, 0x05000000);
    icr(bsp, 5, 0x00004500);
    assert_int_equal(lapic_take_events(ap, &vec), LAPIC_EVENT_INIT);
    assert_int_equal(rd(ap, APIC_REG_TPR), 0);
    assert_int_equal(rd(ap, APIC_REG_ID), 0x05000000);
    assert_int_equal(rd(ap, APIC_REG_SVR), 0xff);
    assert_int_equal(rd(ap, APIC_REG_LVT + 0x30), APIC_LVT_MASKED);   /* LINT0 */
    /* NMI */
    icr(bsp, 2, 0x00000400);
    assert_int_equal(lapic_take_events(r->l[2], &vec), LAPIC_EVENT_NMI);
}

static void test_ipi_destinations(void **state)
{
    struct rig *r = *state;
    struct lapic *bsp = r->l[0];
    for (int i = 1; i < 3; i++)
        wr(r->l[i], APIC_REG_SVR, 0x1ff);
    /* Shorthands: all-but-self, self, all. */
    icr(bsp, 0, (APIC_SH_OTHERS << 18) | 0x41);
    assert_int_equal(rd(bsp, APIC_REG_IRR + 0x20), 0);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x41);
    assert_int_equal(lapic_get_interrupt(r->l[2]), 0x41);
    icr(bsp, 0, (APIC_SH_SELF << 18) | 0x42);
    assert_int_equal(lapic_get_interrupt(bsp), 0x42);
    assert_int_equal(lapic_get_interrupt(r->l[1]), -1);           /* 0x41 still in service */
    icr(bsp, 0, (APIC_SH_ALL << 18) | 0x93);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lapic_get_interrupt(r->l[i]), 0x93);
    /* Logical flat mode: LDR bit per CPU, destination is a set. */
    for (int i = 0; i < 3; i++)
        wr(r->l[i], APIC_REG_LDR, (1u << i) << 24);
    icr(bsp, 0x06, (1u << 11) | 0xa1);                            /* CPUs 1 and 2 */
    assert_int_equal(rd(bsp, APIC_REG_IRR + 0x50), 0);
    assert_int_equal(rd(r->l[1], APIC_REG_IRR + 0x50), 1u << 1);
    assert_int_equal(rd(r->l[2], APIC_REG_IRR + 0x50), 1u << 1);
    /* Lowest priority: the addressed LAPIC with the lowest index, only. */
    icr(bsp, 0x06, (1u << 11) | (APIC_DM_LOWEST << 8) | 0xc1);
    assert_int_equal(rd(r->l[1], APIC_REG_IRR + 0x60), 1u << 1);
    assert_int_equal(rd(r->l[2], APIC_REG_IRR + 0x60), 0);
    /* Logical cluster mode: cluster 1, members 0b0010. */
    for (int i = 1; i < 3; i++)
        wr(r->l[i], APIC_REG_DFR, 0x0fffffff);
    wr(r->l[1], APIC_REG_LDR, 0x21000000);
    wr(r->l[2], APIC_REG_LDR, 0x12000000);
    icr(bsp, 0x12, (1u << 11) | 0xb1);
    assert_int_equal(rd(r->l[2], APIC_REG_IRR + 0x50), (1u << 17) | (1u << 1));   /* 0xb1 next to 0xa1 */
    assert_int_equal(rd(r->l[1], APIC_REG_IRR + 0x50), 1u << 1);   /* only 0xa1 from before */
    /* Physical broadcast 0xff. */
    struct apic_msg m = { .vector = 0xd1, .delivery = APIC_DM_FIXED, .dest = 0xff };
    assert_int_equal(apic_bus_deliver(&r->bus, &m, NULL), 3);
    /* The ICR reads back what was written, never busy. */
    assert_int_equal(rd(bsp, APIC_REG_ICR_LO) & APIC_ICR_BUSY, 0);
}

static void test_extint_and_disable(void **state)
{
    struct rig *r = *state;
    struct lapic *bsp = r->l[0], *ap = r->l[1];
    /* The BSP's LINT0 is ExtINT: the PIC's INTR is an interrupt, acknowledged by INTA. */
    r->pic_intr = true;
    apic_bus_extint_raised(&r->bus);
    assert_int_equal(r->kicks[0], 1);
    assert_int_equal(r->kicks[1], 0);                            /* an AP's LINT0 is masked */
    assert_true(lapic_has_interrupt(bsp));
    assert_false(lapic_has_interrupt(ap));
    assert_int_equal(lapic_get_interrupt(bsp), 0x30);
    assert_int_equal(r->pic_acks, 1);
    assert_int_equal(rd(bsp, APIC_REG_ISR + 0x10), 0);            /* not the LAPIC's in-service */
    /* An ExtINT message (IOAPIC pin in ExtINT mode) reaches the PIC through any LAPIC. */
    struct apic_msg m = { .delivery = APIC_DM_EXTINT, .dest = 1 };
    r->pic_intr = true;
    apic_bus_deliver(&r->bus, &m, NULL);
    assert_int_equal(lapic_get_interrupt(ap), 0x30);
    /* Software disable: LVTs masked and kept masked, nothing delivered from the IRR. */
    wr(bsp, APIC_REG_SVR, 0xff);
    assert_true(rd(bsp, APIC_REG_LVT + 0x30) & APIC_LVT_MASKED);
    wr(bsp, APIC_REG_LVT + 0x30, 0x700);
    assert_true(rd(bsp, APIC_REG_LVT + 0x30) & APIC_LVT_MASKED);
    send_fixed(r, 0, 0x55, false);
    assert_int_equal(lapic_get_interrupt(bsp), -1);
    wr(bsp, APIC_REG_SVR, 0x1ff);
    assert_int_equal(lapic_get_interrupt(bsp), 0x55);
}

static void test_msrs(void **state)
{
    struct rig *r = *state;
    uint64_t v;
    assert_int_equal(lapic_msr_read(r->l[0], MSR_IA32_APIC_BASE, &v), 0);
    assert_int_equal(v, APIC_DEFAULT_BASE | APIC_BASE_ENABLE | APIC_BASE_BSP);
    assert_int_equal(lapic_msr_read(r->l[1], MSR_IA32_APIC_BASE, &v), 0);
    assert_int_equal(v, APIC_DEFAULT_BASE | APIC_BASE_ENABLE);
    assert_int_equal(lapic_mmio_base(r->l[1]), APIC_DEFAULT_BASE);
    assert_int_equal(lapic_msr_read(r->l[0], 0x802, &v), -EINVAL);   /* xAPIC mode: no MSRs */
    assert_int_equal(rd(r->l[2], APIC_REG_ID), 2u << 24);
    assert_int_equal(rd(r->l[2], APIC_REG_VERSION), 0x00050014);
    /* Byte reads see the covered bytes. */
    assert_int_equal(lapic_mmio_read(r->l[2], APIC_REG_ID + 3, 1), 2);
    /* A hardware-disabled LAPIC takes no messages and passes the PIC's INTR straight through. */
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE), 0);
    struct apic_msg m = { .vector = 0x50, .delivery = APIC_DM_FIXED, .dest = 1 };
    assert_int_equal(apic_bus_deliver(&r->bus, &m, NULL), 1);
    assert_int_equal(rd(r->l[1], APIC_REG_IRR + 0x20), 0);
    r->pic_intr = true;
    assert_true(lapic_has_interrupt(r->l[1]));
}

/* x2APIC mode: the mode transitions, registers as MSRs, the 64-bit ICR, SELF IPI, #GP cases. */
static void test_x2apic(void **state)
{
    struct rig *r = *state;
    uint64_t v, xapic = APIC_DEFAULT_BASE | APIC_BASE_ENABLE, x2 = xapic | APIC_BASE_X2APIC;
    /* EXTD without EN, and disabled -> x2APIC, are invalid. */
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE | APIC_BASE_X2APIC), -EINVAL);
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE), 0);
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, x2), -EINVAL);
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, xapic), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lapic_msr_write(r->l[i], MSR_IA32_APIC_BASE, x2), 0);
    assert_int_equal(lapic_mmio_base(r->l[1]), 1);                  /* the page is not decoded */
    /* x2APIC -> xAPIC is invalid; the mode stays. */
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, xapic), -EINVAL);
    assert_int_equal(lapic_msr_read(r->l[1], 0x802, &v), 0);
    assert_int_equal(v, 1);                                         /* ID: 32 bits, not << 24 */
    assert_int_equal(lapic_msr_read(r->l[2], 0x80d, &v), 0);
    assert_int_equal(v, 1u << 2);                                   /* LDR: cluster 0, bit 2 */
    assert_int_equal(lapic_msr_write(r->l[2], 0x802, 7), -EINVAL);  /* ID read-only */
    assert_int_equal(lapic_msr_read(r->l[2], 0x80e, &v), -EINVAL);  /* no DFR */
    assert_int_equal(lapic_msr_read(r->l[2], 0x80b, &v), -EINVAL);  /* EOI write-only */
    assert_int_equal(lapic_msr_write(r->l[2], 0x80b, 1), -EINVAL);  /* EOI must be 0 */
    assert_int_equal(lapic_msr_write(r->l[2], 0x808, 0x100), -EINVAL);   /* TPR reserved bits */
    for (int i = 0; i < 3; i++)
        assert_int_equal(lapic_msr_write(r->l[i], 0x80f, 0x1ff), 0);     /* SVR: enabled */
    /* A fixed IPI through the 64-bit ICR, physical destination 2. */
    assert_int_equal(lapic_msr_write(r->l[0], 0x830, 2ull << 32 | 0x61), 0);
    assert_int_equal(lapic_msr_read(r->l[0], 0x830, &v), 0);
    assert_int_equal(v, 2ull << 32 | 0x61);
    assert_int_equal(lapic_get_interrupt(r->l[2]), 0x61);
    assert_int_equal(lapic_get_interrupt(r->l[1]), -1);
    assert_int_equal(lapic_msr_write(r->l[2], 0x80b, 0), 0);        /* EOI */
    /* Logical: cluster 0, members 1 and 2. */
    assert_int_equal(lapic_msr_write(r->l[0], 0x830, 6ull << 32 | 1u << 11 | 0x62), 0);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x62);
    assert_int_equal(lapic_get_interrupt(r->l[2]), 0x62);
    assert_int_equal(lapic_get_interrupt(r->l[0]), -1);
    for (int i = 1; i < 3; i++)
        assert_int_equal(lapic_msr_write(r->l[i], 0x80b, 0), 0);
    /* Broadcast 0xffffffff, and the xAPIC form's 0xff from the IOAPIC. */
    assert_int_equal(lapic_msr_write(r->l[0], 0x830, 0xffffffffull << 32 | 0x63), 0);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x63);
    assert_int_equal(lapic_get_interrupt(r->l[2]), 0x63);
    for (int i = 1; i < 3; i++)
        assert_int_equal(lapic_msr_write(r->l[i], 0x80b, 0), 0);
    struct apic_msg m = { .vector = 0x64, .delivery = APIC_DM_FIXED, .dest = 2 };
    assert_int_equal(apic_bus_deliver(&r->bus, &m, NULL), 1);
    assert_int_equal(lapic_get_interrupt(r->l[2]), 0x64);
    /* SELF IPI, and the ICR's reserved bits. */
    assert_int_equal(lapic_msr_write(r->l[1], 0x83f, 0x65), 0);
    assert_int_equal(lapic_get_interrupt(r->l[1]), 0x65);
    assert_int_equal(lapic_msr_write(r->l[1], 0x83f, 0x165), -EINVAL);
    assert_int_equal(lapic_msr_write(r->l[0], 0x830, 1u << 12 | 0x66), -EINVAL);
    /* x2APIC -> disabled is allowed, and resets the LAPIC. */
    assert_int_equal(lapic_msr_write(r->l[1], MSR_IA32_APIC_BASE, APIC_DEFAULT_BASE), 0);
    assert_int_equal(lapic_msr_read(r->l[1], 0x802, &v), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_priority_tpr_ppr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eoi_level_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_oneshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_periodic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_tsc_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_sipi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipi_destinations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extint_and_disable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msrs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x2apic, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
