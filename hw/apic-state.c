/* The local APIC in a snapshot (SDM vol. 3A ch. 10): IA32_APIC_BASE, the register file (ID, TPR, LDR,
 * DFR, SVR, ESR, ICR, the LVT, the IRR/ISR/TMR vectors), the timer (initial count, divide, its start on
 * the platform clock, which a restore carries on from the save, TSC deadline) and the INIT/SIPI state. */
#include <errno.h>
#include <string.h>

#include "hw/apic-int.h"
#include "hw/apic.h"
#include "migration/vmstate.h"

void lapic_save(struct lapic *l, struct vms_writer *w)
{
    pthread_mutex_lock(&l->lock);
    vms_put_u64(w, l->apic_base);
    vms_put_u8(w, l->id);
    vms_put_u8(w, l->tpr);
    uint32_t regs[] = { l->ldr, l->dfr, l->svr, l->esr, l->esr_pending, l->icr_lo, l->icr_hi };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        vms_put_u32(w, regs[i]);
    vms_put_u32(w, LVT_COUNT);
    for (int i = 0; i < LVT_COUNT; i++)
        vms_put_u32(w, l->lvt[i]);
    for (int i = 0; i < 8; i++) {
        vms_put_u32(w, l->irr[i]);
        vms_put_u32(w, l->isr[i]);
        vms_put_u32(w, l->tmr[i]);
    }
    vms_put_u8(w, l->extint);
    vms_put_u32(w, l->timer_initial);
    vms_put_u32(w, l->timer_dcr);
    vms_put_u64(w, l->timer_start_ns);
    vms_put_u64(w, l->timer_periods_done);
    vms_put_u64(w, l->tsc_deadline);
    vms_put_u8(w, l->wait_for_sipi);
    vms_put_u8(w, l->sipi_vector);
    pthread_mutex_unlock(&l->lock);
}

int lapic_load(struct lapic *l, struct vms_reader *r)
{
    struct lapic s;
    memset(&s, 0, sizeof(s));
    s.apic_base = vms_get_u64(r);
    s.id = vms_get_u8(r);
    s.tpr = vms_get_u8(r);
    uint32_t *regs[] = { &s.ldr, &s.dfr, &s.svr, &s.esr, &s.esr_pending, &s.icr_lo, &s.icr_hi };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        *regs[i] = vms_get_u32(r);
    if (vms_get_u32(r) != LVT_COUNT)
        return -EINVAL;
    for (int i = 0; i < LVT_COUNT; i++)
        s.lvt[i] = vms_get_u32(r);
    for (int i = 0; i < 8; i++) {
        s.irr[i] = vms_get_u32(r);
        s.isr[i] = vms_get_u32(r);
        s.tmr[i] = vms_get_u32(r);
    }
    s.extint = vms_get_u8(r) & 1;
    s.timer_initial = vms_get_u32(r);
    s.timer_dcr = vms_get_u32(r) & 0xb;
    s.timer_start_ns = vms_get_u64(r);
    s.timer_periods_done = vms_get_u64(r);
    s.tsc_deadline = vms_get_u64(r);
    s.wait_for_sipi = vms_get_u8(r) & 1;
    s.sipi_vector = vms_get_u8(r);
    /* IA32_APIC_BASE: only EN, EXTD and BSP over a page-aligned base below 2^36 (SDM 10.4.4). */
    if (vms_reader_done(r) < 0 || (s.apic_base & ~0xffffff900ull & ~0x400ull) ||
        ((s.apic_base & 0xc00) == 0x400))
        return -EINVAL;
    pthread_mutex_lock(&l->lock);
    l->apic_base = s.apic_base;
    l->id = s.id;
    l->tpr = s.tpr;
    l->ldr = s.ldr;
    l->dfr = s.dfr;
    l->svr = s.svr;
    l->esr = s.esr;
    l->esr_pending = s.esr_pending;
    l->icr_lo = s.icr_lo;
    l->icr_hi = s.icr_hi;
    memcpy(l->lvt, s.lvt, sizeof(l->lvt));
    memcpy(l->irr, s.irr, sizeof(l->irr));
    memcpy(l->isr, s.isr, sizeof(l->isr));
    memcpy(l->tmr, s.tmr, sizeof(l->tmr));
    l->extint = s.extint;
    l->timer_initial = s.timer_initial;
    l->timer_dcr = s.timer_dcr;
    l->timer_start_ns = s.timer_start_ns;
    l->timer_periods_done = s.timer_periods_done;
    l->tsc_deadline = s.tsc_deadline;
    l->wait_for_sipi = s.wait_for_sipi;
    l->sipi_vector = s.sipi_vector;
    atomic_store(&l->events, 0);
    lapic_timer_rearm_locked(l, clk_now(l->bus->clk));
    lapic_hint_locked(l);
    pthread_mutex_unlock(&l->lock);
    return 0;
}
