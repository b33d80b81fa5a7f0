/* KVM's in-kernel interrupt controllers and PIT in the device models' terms (for irqchip-state.c):
 * struct kvm_pic_state, kvm_ioapic_state, kvm_pit_state2 and the LAPIC register page (Linux
 * Documentation/virt/kvm/api.rst, KVM_GET_IRQCHIP / KVM_GET_PIT2 / KVM_GET_LAPIC; SDM 10.4.1 for the page's
 * offsets) to and from hw/'s struct pic, ioapic, pit and lapic, on scratch models whose timers never
 * fire. */
#include <string.h>

#include "accel/kvm/irqchip-conv.h"
#include "machine/accel.h"
#include "util/eventloop.h"

/* ---- a clock for scratch models: host time, timers that never fire ---- */
static uint64_t idle_now(void *ctx) { (void)ctx; return clock_now_ns(); }
static struct plat_timer *idle_new(void *ctx, void (*cb)(void *), void *o) { (void)cb; (void)o; return ctx; }
static void idle_arm(void *ctx, struct plat_timer *t, uint64_t d) { (void)ctx; (void)t; (void)d; }
static void idle_free(void *ctx, struct plat_timer *t) { (void)ctx; (void)t; }
static const struct plat_clock_ops idle_ops = { idle_now, idle_new, idle_arm, idle_free };



void kvm_scratch_init(struct kvm_scratch *s)
{
    s->clk = (struct plat_clock){ &idle_ops, &s->dummy };
    tsc_init(&s->tsc, &s->clk, 0);
    apic_bus_init(&s->bus, &s->clk, &s->tsc);
}

/* ---- PIC: kvm_pic_state <-> struct pic_chip ---- */

void kvm_pic_from_kvm(struct pic_chip *c, const struct kvm_pic_state *k)
{
    c->irr = k->irr; c->isr = k->isr; c->imr = k->imr; c->level = k->last_irr;
    c->elcr = k->elcr; c->elcr_mask = k->elcr_mask; c->vector_base = k->irq_base;
    c->lowest = k->priority_add & 7; c->init_step = k->init_state & 3; c->need_icw4 = k->init4;
    c->auto_eoi = k->auto_eoi; c->rotate_on_aeoi = k->rotate_on_auto_eoi;
    c->special_mask = k->special_mask; c->sfnm = k->special_fully_nested_mode;
    c->read_isr = k->read_reg_select; c->poll = k->poll;
}

void kvm_pic_to_kvm(const struct pic_chip *c, struct kvm_pic_state *k)
{
    k->irr = c->irr; k->isr = c->isr; k->imr = c->imr; k->last_irr = c->level;
    k->elcr = c->elcr; k->irq_base = c->vector_base; k->priority_add = c->lowest;
    k->init_state = c->init_step; k->init4 = c->need_icw4; k->auto_eoi = c->auto_eoi;
    k->rotate_on_auto_eoi = c->rotate_on_aeoi; k->special_mask = c->special_mask;
    k->special_fully_nested_mode = c->sfnm; k->read_reg_select = c->read_isr; k->poll = c->poll;
}

/* ---- IOAPIC ---- */

void kvm_ioapic_from_kvm(struct ioapic *io, const struct kvm_ioapic_state *k)
{
    io->id = (uint8_t)k->id;
    io->ioregsel = k->ioregsel;
    io->irr = k->irr;
    for (int i = 0; i < IOAPIC_PINS && i < KVM_IOAPIC_NUM_PINS; i++) {
        io->redtbl[i] = k->redirtbl[i].bits;
        if ((k->redirtbl[i].bits & (1u << 15)) && (k->irr & (1u << i)))
            io->level |= 1u << i;          /* a level-triggered pin with a request is asserted */
    }
}

void kvm_ioapic_to_kvm(const struct ioapic *io, struct kvm_ioapic_state *k)
{
    k->id = io->id;
    k->ioregsel = io->ioregsel;
    k->irr = io->irr;
    for (int i = 0; i < IOAPIC_PINS && i < KVM_IOAPIC_NUM_PINS; i++)
        k->redirtbl[i].bits = io->redtbl[i];
}

/* ---- PIT: the programmed state; the count restarts at the restore ---- */

void kvm_pit_from_kvm(struct pit *p, const struct kvm_pit_state2 *k)
{
    for (int i = 0; i < 3; i++) {
        const struct kvm_pit_channel_state *s = &k->channels[i];
        struct pit_channel *c = &p->ch[i];
        c->mode = s->mode > 5 ? s->mode & 3 : s->mode;
        c->rw = s->rw_mode & 3;
        c->bcd = s->bcd;
        c->gate = s->gate;
        c->count = s->count == 0 || s->count > 65536 ? 65536 : s->count;
        c->loaded = c->running = s->count != 0;
        c->start_ns = (uint64_t)s->count_load_time;
        c->frozen = 0;
        c->status = s->status;
        c->status_latched = s->status_latched;
    }
}

void kvm_pit_to_kvm(const struct pit *p, struct kvm_pit_state2 *k)
{
    for (int i = 0; i < 3; i++) {
        const struct pit_channel *c = &p->ch[i];
        struct kvm_pit_channel_state *s = &k->channels[i];
        s->mode = c->mode;
        s->rw_mode = c->rw;
        s->read_state = s->write_state = c->rw;
        s->bcd = c->bcd;
        s->gate = c->gate;
        s->count = c->loaded ? c->count : 0;
        s->status = c->status;
        s->status_latched = c->status_latched;
        s->count_latched = 0;
    }
}

/* ---- LAPIC: the register page (SDM 10.4.1's offsets) ---- */

static uint32_t reg(const struct kvm_lapic_state *k, unsigned off)
{
    uint32_t v;
    memcpy(&v, k->regs + off, 4);
    return v;
}

static void set_reg(struct kvm_lapic_state *k, unsigned off, uint32_t v)
{
    memcpy(k->regs + off, &v, 4);
}

void kvm_lapic_from_kvm(struct lapic *l, const struct kvm_lapic_state *k, uint64_t apic_base, uint64_t now)
{
    l->apic_base = apic_base;
    l->id = (uint8_t)((apic_base & VCPU_APIC_BASE_EXTD) ? reg(k, 0x20) : reg(k, 0x20) >> 24);
    l->tpr = (uint8_t)reg(k, 0x80);
    l->ldr = reg(k, 0xd0);
    l->dfr = reg(k, 0xe0);
    l->svr = reg(k, 0xf0);
    for (int i = 0; i < 8; i++) {
        l->isr[i] = reg(k, 0x100 + 0x10 * i);
        l->tmr[i] = reg(k, 0x180 + 0x10 * i);
        l->irr[i] = reg(k, 0x200 + 0x10 * i);
    }
    l->esr = reg(k, 0x280);
    l->icr_lo = reg(k, 0x300);
    l->icr_hi = reg(k, 0x310);
    for (int i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = reg(k, 0x320 + 0x10 * i);
    l->timer_initial = reg(k, 0x380);
    l->timer_dcr = reg(k, 0x3e0) & 0xb;
    unsigned v = (l->timer_dcr & 3) | ((l->timer_dcr >> 1) & 4);
    uint64_t div = v == 7 ? 1 : 2ull << v, cur = reg(k, 0x390);
    uint64_t done = cur <= l->timer_initial ? (l->timer_initial - cur) * div : 0;  /* 1 GHz bus */
    l->timer_start_ns = now - (done < now ? done : 0);
    l->timer_periods_done = 0;
}

void kvm_lapic_to_kvm(const struct lapic *l, struct kvm_lapic_state *k)
{
    set_reg(k, 0x20, (l->apic_base & VCPU_APIC_BASE_EXTD) ? l->id : (uint32_t)l->id << 24);
    set_reg(k, 0x80, l->tpr);
    set_reg(k, 0xd0, l->ldr);
    set_reg(k, 0xe0, l->dfr);
    set_reg(k, 0xf0, l->svr);
    for (int i = 0; i < 8; i++) {
        set_reg(k, 0x100 + 0x10 * i, l->isr[i]);
        set_reg(k, 0x180 + 0x10 * i, l->tmr[i]);
        set_reg(k, 0x200 + 0x10 * i, l->irr[i]);
    }
    set_reg(k, 0x280, l->esr);
    set_reg(k, 0x300, l->icr_lo);
    set_reg(k, 0x310, l->icr_hi);
    for (int i = 0; i < LVT_COUNT; i++)
        set_reg(k, 0x320 + 0x10 * i, l->lvt[i]);
    set_reg(k, 0x380, l->timer_initial);
    set_reg(k, 0x3e0, l->timer_dcr);
}

void kvm_scratch_lapic(struct lapic *l, struct kvm_scratch *s)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
    l->bus = &s->bus;
    l->timer = (struct plat_timer *)&s->dummy;
}
