/* KVM's in-kernel PIC, IOAPIC, PIT and LAPICs in a snapshot (machine/accel.h's save_irqchip /
 * load_irqchip). The sections are the device models' own (hw/pic.c, hw/ioapic.c, hw/pit.c,
 * hw/apic-state.c encode them): the kernel's state (KVM_GET_IRQCHIP, KVM_GET_PIT2, KVM_GET_LAPIC; Linux
 * Documentation/virt/kvm/api.rst) is turned into a scratch device model's registers and that model
 * writes its section, and back, so a file moves between KVM and the software CPU's platform. The
 * scratch models run no timers (a clock whose timers never fire). A PIT channel restarts its count at
 * the restore (KVM_SET_PIT2 does); the soft platform's HPET, which KVM VMs here lack, must be off. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm.h"
#include "hw/apic-int.h"
#include "hw/apic.h"
#include "hw/hpet.h"
#include "hw/ioapic.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "migration/vmstate.h"
#include "util/eventloop.h"
#include "util/tsc.h"

#define TAG_CLOCK VMS_TAG('C', 'L', 'C', 'K')   /* machine/pc-soft.c's */
#define TAG_PIC VMS_TAG('P', 'I', 'C', ' ')
#define TAG_IOAPIC VMS_TAG('I', 'O', 'A', 'P')
#define TAG_PIT VMS_TAG('P', 'I', 'T', ' ')
#define TAG_HPET VMS_TAG('H', 'P', 'E', 'T')
#define TAG_LAPIC VMS_TAG('L', 'A', 'P', 'C')

/* ---- a clock for scratch models: host time, timers that never fire ---- */
static uint64_t idle_now(void *ctx) { (void)ctx; return clock_now_ns(); }
static struct plat_timer *idle_new(void *ctx, void (*cb)(void *), void *o) { (void)cb; (void)o; return ctx; }
static void idle_arm(void *ctx, struct plat_timer *t, uint64_t d) { (void)ctx; (void)t; (void)d; }
static void idle_free(void *ctx, struct plat_timer *t) { (void)ctx; (void)t; }
static const struct plat_clock_ops idle_ops = { idle_now, idle_new, idle_arm, idle_free };

struct scratch {
    int dummy;                 /* what idle_new hands out as a timer */
    struct plat_clock clk;
    struct tsc tsc;
    struct apic_bus bus;
};

static void scratch_init(struct scratch *s)
{
    s->clk = (struct plat_clock){ &idle_ops, &s->dummy };
    tsc_init(&s->tsc, &s->clk, 0);
    apic_bus_init(&s->bus, &s->clk, &s->tsc);
}

/* ---- PIC: kvm_pic_state <-> struct pic_chip ---- */

static void pic_from_kvm(struct pic_chip *c, const struct kvm_pic_state *k)
{
    c->irr = k->irr; c->isr = k->isr; c->imr = k->imr; c->level = k->last_irr;
    c->elcr = k->elcr; c->elcr_mask = k->elcr_mask; c->vector_base = k->irq_base;
    c->lowest = k->priority_add & 7; c->init_step = k->init_state & 3; c->need_icw4 = k->init4;
    c->auto_eoi = k->auto_eoi; c->rotate_on_aeoi = k->rotate_on_auto_eoi;
    c->special_mask = k->special_mask; c->sfnm = k->special_fully_nested_mode;
    c->read_isr = k->read_reg_select; c->poll = k->poll;
}

static void pic_to_kvm(const struct pic_chip *c, struct kvm_pic_state *k)
{
    k->irr = c->irr; k->isr = c->isr; k->imr = c->imr; k->last_irr = c->level;
    k->elcr = c->elcr; k->irq_base = c->vector_base; k->priority_add = c->lowest;
    k->init_state = c->init_step; k->init4 = c->need_icw4; k->auto_eoi = c->auto_eoi;
    k->rotate_on_auto_eoi = c->rotate_on_aeoi; k->special_mask = c->special_mask;
    k->special_fully_nested_mode = c->sfnm; k->read_reg_select = c->read_isr; k->poll = c->poll;
}

/* ---- IOAPIC ---- */

static void ioapic_from_kvm(struct ioapic *io, const struct kvm_ioapic_state *k)
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

static void ioapic_to_kvm(const struct ioapic *io, struct kvm_ioapic_state *k)
{
    k->id = io->id;
    k->ioregsel = io->ioregsel;
    k->irr = io->irr;
    for (int i = 0; i < IOAPIC_PINS && i < KVM_IOAPIC_NUM_PINS; i++)
        k->redirtbl[i].bits = io->redtbl[i];
}

/* ---- PIT: the programmed state; the count restarts at the restore ---- */

static void pit_from_kvm(struct pit *p, const struct kvm_pit_state2 *k)
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

static void pit_to_kvm(const struct pit *p, struct kvm_pit_state2 *k)
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

static void lapic_from_kvm(struct lapic *l, const struct kvm_lapic_state *k, uint64_t apic_base, uint64_t now)
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

static void lapic_to_kvm(const struct lapic *l, struct kvm_lapic_state *k)
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

static void scratch_lapic(struct lapic *l, struct scratch *s)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->lock, NULL);
    l->bus = &s->bus;
    l->timer = (struct plat_timer *)&s->dummy;
}

/* ---- save ---- */

int kvm_save_irqchip(struct vm *vm, struct vms_writer *w)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct scratch s;
    scratch_init(&s);
    uint64_t now = clock_now_ns();
    struct kvm_irqchip chip[3];
    for (int i = 0; i < 3; i++) {
        memset(&chip[i], 0, sizeof(chip[i]));
        chip[i].chip_id = (uint32_t)i;
        if (ioctl(k->vm_fd, KVM_GET_IRQCHIP, &chip[i]) < 0)
            return -errno;
    }
    struct kvm_pit_state2 pit2;
    if (ioctl(k->vm_fd, KVM_GET_PIT2, &pit2) < 0)
        return -errno;
    vms_begin(w, TAG_CLOCK, 0);
    vms_put_u64(w, now);
    vms_put_u64(w, 0);                 /* the TSC rate is the host's, not the soft platform's */
    vms_end(w);
    struct pic pic;
    pic_init(&pic, NULL, NULL);
    pic_from_kvm(&pic.chip[0], &chip[0].chip.pic);
    pic_from_kvm(&pic.chip[1], &chip[1].chip.pic);
    vms_begin(w, TAG_PIC, 0);
    pic_save(&pic, w);
    vms_end(w);
    struct ioapic io;
    ioapic_init(&io, NULL, 0);
    ioapic_from_kvm(&io, &chip[2].chip.ioapic);
    vms_begin(w, TAG_IOAPIC, 0);
    ioapic_save(&io, w);
    vms_end(w);
    struct pit pit;
    if (pit_init(&pit, &s.clk, NULL, NULL) < 0)
        return -ENOMEM;
    pit_from_kvm(&pit, &pit2);
    vms_begin(w, TAG_PIT, 0);
    pit_save(&pit, w);
    vms_end(w);
    for (int i = 0; i < vm->ncpus; i++) {
        struct kvm_vcpu_state *c = vm->vcpus[i].accel;
        struct kvm_lapic_state ks;
        struct kvm_sregs sr;
        if (ioctl(c->fd, KVM_GET_LAPIC, &ks) < 0 || ioctl(c->fd, KVM_GET_SREGS, &sr) < 0)
            return -errno;
        struct lapic l;
        scratch_lapic(&l, &s);
        lapic_from_kvm(&l, &ks, sr.apic_base, now);
        vms_begin(w, TAG_LAPIC, (uint32_t)i);
        lapic_save(&l, w);
        vms_end(w);
    }
    return w->err;
}

/* ---- load ---- */

static struct vms_reader *section(struct vms_index *idx, uint32_t tag, uint32_t inst, struct vms_reader *r)
{
    struct vms_section *s = vms_index_take(idx, tag, inst);
    if (!s)
        return NULL;
    vms_reader_init(r, s);
    return r;
}

static int load_chips(struct vm *vm, struct vms_index *idx, struct scratch *s, const char **bad)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct vms_reader rd, *r;
    struct kvm_irqchip chip[3];
    for (int i = 0; i < 3; i++) {
        memset(&chip[i], 0, sizeof(chip[i]));
        chip[i].chip_id = (uint32_t)i;
        if (ioctl(k->vm_fd, KVM_GET_IRQCHIP, &chip[i]) < 0)
            return -errno;
    }
    struct pic pic;
    pic_init(&pic, NULL, NULL);
    pic.chip[0].elcr_mask = chip[0].chip.pic.elcr_mask;
    pic.chip[1].elcr_mask = chip[1].chip.pic.elcr_mask;
    if (!(r = section(idx, TAG_PIC, 0, &rd)) || pic_load(&pic, r) < 0)
        return *bad = "PIC", -EINVAL;
    pic_to_kvm(&pic.chip[0], &chip[0].chip.pic);
    pic_to_kvm(&pic.chip[1], &chip[1].chip.pic);
    struct ioapic io;
    ioapic_init(&io, NULL, 0);
    if (!(r = section(idx, TAG_IOAPIC, 0, &rd)) || ioapic_load(&io, r) < 0)
        return *bad = "IOAPIC", -EINVAL;
    ioapic_to_kvm(&io, &chip[2].chip.ioapic);
    struct pit pit;
    struct kvm_pit_state2 pit2;
    if (pit_init(&pit, &s->clk, NULL, NULL) < 0 || ioctl(k->vm_fd, KVM_GET_PIT2, &pit2) < 0)
        return -ENOMEM;
    if (!(r = section(idx, TAG_PIT, 0, &rd)) || pit_load(&pit, r) < 0)
        return *bad = "PIT", -EINVAL;
    pit_to_kvm(&pit, &pit2);
    for (int i = 0; i < 3; i++)
        if (ioctl(k->vm_fd, KVM_SET_IRQCHIP, &chip[i]) < 0)
            return -errno;
    return ioctl(k->vm_fd, KVM_SET_PIT2, &pit2) < 0 ? -errno : 0;
}

int kvm_load_irqchip(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    struct scratch s;
    scratch_init(&s);
    struct vms_reader rd, *r;
    const char *bad = NULL;
    vms_index_take(idx, TAG_CLOCK, 0);     /* the kernel keeps its own time */
    if ((r = section(idx, TAG_HPET, 0, &rd))) {
        struct hpet h;
        if (hpet_init(&h, &s.clk, NULL, NULL) < 0)
            return -ENOMEM;
        if (hpet_load(&h, r) < 0 || hpet_legacy_mode(&h) || (h.config & HPET_CFG_ENABLE)) {
            snprintf(err, errlen, "HPET: in use in the saved VM, and KVM VMs here have none");
            return -EINVAL;
        }
    }
    int e = load_chips(vm, idx, &s, &bad);
    for (int i = 0; e == 0 && i < vm->ncpus; i++) {
        struct kvm_vcpu_state *c = vm->vcpus[i].accel;
        struct lapic l;
        scratch_lapic(&l, &s);
        struct kvm_lapic_state ks;
        if (!(r = section(idx, TAG_LAPIC, (uint32_t)i, &rd)) || lapic_load(&l, r) < 0) {
            bad = "LAPIC";
            e = -EINVAL;
        } else if (ioctl(c->fd, KVM_GET_LAPIC, &ks) < 0) {
            e = -errno;
        } else {
            lapic_to_kvm(&l, &ks);
            if (ioctl(c->fd, KVM_SET_LAPIC, &ks) < 0)
                e = -errno;
        }
    }
    if (bad)
        snprintf(err, errlen, "%s: missing or corrupted section", bad);
    else if (e < 0)
        snprintf(err, errlen, "KVM: %s", strerror(-e));
    return e < 0 ? -EINVAL : 0;
}
