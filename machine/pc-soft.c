/* The userspace PC platform, for an accelerator without an in-kernel irqchip: creates the devices,
 * maps them on the VM's buses, wires their interrupt lines together as a PC's chipset does, and hands
 * each vCPU its local APIC and the TSC through struct vcpu (machine/accel.h's struct vcpu_lapic). */
#include "machine/pc-soft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "hw/apic.h"
#include "hw/hpet.h"
#include "hw/ioapic.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "machine/vm.h"
#include "migration/vmstate.h"
#include "util/clock.h"
#include "util/eventloop.h"
#include "util/tsc.h"

struct pc_soft {
    struct vm *vm;
    struct shifted_clock shift;    /* the clock below: the event loop's, moved by a restore */
    struct plat_clock clock;
    struct tsc tsc;
    struct apic_bus apic_bus;
    struct pic pic;
    struct ioapic ioapic;
    struct pit pit;
    bool pit_ready;
    struct hpet hpet;
    bool hpet_ready;
    struct kick_ctx {
        struct pc_soft *ps;
        int index;
    } kick[VM_MAX_CPUS];       /* what each LAPIC's kick callback gets */
};

/* --- the wires ---------------------------------------------------------------------------------- */

/* An interrupt or event became pending for a vCPU: wake it from hlt or wait-for-SIPI (any thread,
 * possibly with device locks held: the accelerator's kick takes none of the platform's locks).
 * Always kick, even before vm_run marks the vCPU started: its thread may already be running and
 * asleep (an AP waiting for SIPI is), and a skipped kick would be a lost wakeup. Devices and vCPUs
 * only run once every vcpu_init has returned, so the soft accelerator's kick is valid here. */
static void kick_vcpu(void *opaque)
{
    struct kick_ctx *k = opaque;
    struct vm *vm = k->ps->vm;
    if (vm->accel && vm->accel->vcpu_kick)
        vm->accel->vcpu_kick(&vm->vcpus[k->index]);
}

static bool pic_pending(void *opaque)
{
    return pic_intr_pending(opaque);
}

static int pic_inta(void *opaque)
{
    return pic_get_interrupt(opaque);
}

static void lapic_eoi_to_ioapic(void *opaque, uint8_t vector)
{
    ioapic_eoi(opaque, vector);
}

/* The 8259's INT output: IOAPIC pin 0, and LINT0 of every LAPIC. Called with the PIC lock held. */
static void pic_intr_changed(void *opaque, bool level)
{
    struct pc_soft *ps = opaque;
    ioapic_set_irq(&ps->ioapic, 0, level);
    if (level)
        apic_bus_extint_raised(&ps->apic_bus);
}

static void pit_irq0(void *opaque, int level)
{
    pc_soft_set_irq(opaque, 0, level);
}

/* ISA IRQ n -> PIC input n and IOAPIC pin n, IRQ0 -> pin 2; GSIs 16-23 -> IOAPIC only. */
static void route_irq(struct pc_soft *ps, unsigned gsi, int level)
{
    if (gsi < 16) {
        if (gsi == 2)
            return;            /* ISA IRQ2 is the PIC cascade: no device can drive it */
        pic_set_irq(&ps->pic, gsi, level);
        ioapic_set_irq(&ps->ioapic, gsi == 0 ? 2 : gsi, level);
    } else {
        ioapic_set_irq(&ps->ioapic, gsi, level);
    }
}

static void hpet_irq(void *opaque, unsigned irq, int level)
{
    route_irq(opaque, irq, level);
}

void pc_soft_set_irq(struct pc_soft *ps, unsigned gsi, int level)
{
    /* In legacy replacement mode the HPET owns IRQ0 and IRQ8: the PIT's and the RTC's lines are
     * cut off (HPET spec 2.3.9). */
    if ((gsi == 0 || gsi == 8) && ps->hpet_ready && hpet_legacy_mode(&ps->hpet))
        return;
    route_irq(ps, gsi, level);
}

void pc_soft_msi(struct pc_soft *ps, uint64_t addr, uint32_t data)
{
    if ((addr >> 20) != 0xfee)
        return;                /* not the interrupt window: a device DMA vmon does not model */
    struct apic_msg m = {
        .vector = (uint8_t)data,
        .delivery = (uint8_t)((data >> 8) & 7),
        .logical = (addr >> 2) & 1,
        .level = (data >> 15) & 1,
        .assert = true,
        .shorthand = APIC_SH_NONE,
        .dest = (uint8_t)(addr >> 12),
    };
    if (m.delivery == APIC_DM_FIXED || m.delivery == APIC_DM_LOWEST || m.delivery == APIC_DM_NMI)
        apic_bus_deliver(&ps->apic_bus, &m, NULL);
}

/* What the CPU calls on its LAPIC: hw/apic.c's functions as they are (no wrappers), and the same
 * event and MSR numbers on both sides. */
static const struct lapic_ops lapic_cpu_ops = {
    .mmio_base = lapic_mmio_base,
    .mmio_read = lapic_mmio_read,
    .mmio_write = lapic_mmio_write,
    .msr_read = lapic_msr_read,
    .msr_write = lapic_msr_write,
    .get_tpr = lapic_get_tpr,
    .set_tpr = lapic_set_tpr,
    .has_interrupt = lapic_has_interrupt,
    .get_interrupt = lapic_get_interrupt,
    .take_events = lapic_take_events,
};
_Static_assert(LAPIC_EVENT_NMI == VCPU_EVENT_NMI && LAPIC_EVENT_INIT == VCPU_EVENT_INIT &&
               LAPIC_EVENT_SIPI == VCPU_EVENT_SIPI, "LAPIC events as struct vcpu_lapic names them");
_Static_assert(MSR_IA32_APIC_BASE == VCPU_MSR_APIC_BASE &&
               MSR_IA32_TSC_DEADLINE == VCPU_MSR_TSC_DEADLINE, "the LAPIC's MSRs");

static void vcpu_attach(struct vcpu *v, struct lapic *l, const struct tsc *tsc)
{
    v->lapic = (struct vcpu_lapic){ .dev = l, .ops = &lapic_cpu_ops, .irq_hint = &l->irq_hint,
                                    .events = &l->events };
    v->tsc = tsc;
}

/* A machine reset: the interrupt controllers and timers to their power-on state (vCPUs parked). */
void pc_soft_reset(struct pc_soft *ps)
{
    pic_reset(&ps->pic);
    ioapic_reset(&ps->ioapic);
    pit_reset(&ps->pit);
    hpet_reset(&ps->hpet);
    for (int i = 0; i < ps->vm->ncpus; i++)
        lapic_reset(ps->vm->vcpus[i].lapic.dev);
}

/* --- creation ----------------------------------------------------------------------------------- */

void pc_soft_free(struct pc_soft *ps)
{
    if (!ps)
        return;
    struct vm *vm = ps->vm;
    for (int i = 0; i < vm->ncpus; i++) {
        lapic_free(vm->vcpus[i].lapic.dev);
        vm->vcpus[i].lapic = (struct vcpu_lapic){ 0 };
        vm->vcpus[i].tsc = NULL;
    }
    if (ps->pit_ready)
        pit_destroy(&ps->pit);
    if (ps->hpet_ready)
        hpet_destroy(&ps->hpet);
    ioapic_destroy(&ps->ioapic);
    pic_destroy(&ps->pic);
    free(ps);
}

struct pc_soft *pc_soft_new(struct vm *vm)
{
    if (!vm->loop || vm->ncpus < 1 || vm->ncpus > VM_MAX_CPUS || vm->ncpus > APIC_MAX) {
        errno = EINVAL;
        return NULL;
    }
    struct pc_soft *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return NULL;
    ps->vm = vm;
    ps->shift = (struct shifted_clock){ vm->loop, 0 };
    ps->clock = (struct plat_clock){ &shifted_clock_ops, &ps->shift };

    tsc_init(&ps->tsc, &ps->clock, TSC_DEFAULT_HZ);
    apic_bus_init(&ps->apic_bus, &ps->clock, &ps->tsc);
    pic_init(&ps->pic, pic_intr_changed, ps);
    /* The IOAPIC's id follows the LAPICs', as the MADT and MP table say. */
    ioapic_init(&ps->ioapic, &ps->apic_bus, vm->ioapic_id);
    ps->apic_bus.extint_pending = pic_pending;
    ps->apic_bus.extint_ack = pic_inta;
    ps->apic_bus.extint_opaque = &ps->pic;
    ps->apic_bus.eoi = lapic_eoi_to_ioapic;
    ps->apic_bus.eoi_opaque = &ps->ioapic;

    int r = 0;
    for (int i = 0; i < vm->ncpus && !r; i++) {
        ps->kick[i] = (struct kick_ctx){ ps, i };
        struct lapic *l = lapic_create(&ps->apic_bus, i, (uint8_t)vm->vcpus[i].apic_id, kick_vcpu, &ps->kick[i]);
        if (l)
            vcpu_attach(&vm->vcpus[i], l, &ps->tsc);
        else
            r = -errno;
    }
    if (!r) {
        r = pit_init(&ps->pit, &ps->clock, pit_irq0, ps);
        ps->pit_ready = r == 0;
    }
    if (!r) {
        r = hpet_init(&ps->hpet, &ps->clock, hpet_irq, ps);
        ps->hpet_ready = r == 0;
    }
    if (!r)
        r = pic_map(&ps->pic, &vm->pio);
    if (!r)
        r = pit_map(&ps->pit, &vm->pio);
    if (!r)
        r = ioapic_map(&ps->ioapic, &vm->mmio, IOAPIC_DEFAULT_BASE);
    if (!r)
        r = hpet_map(&ps->hpet, &vm->mmio, HPET_DEFAULT_BASE);
    /* On failure the VM cannot run (the buses keep what was mapped; they have no unmap). */
    if (r) {
        pc_soft_free(ps);
        errno = -r;
        return NULL;
    }
    return ps;
}

/* --- snapshots ---------------------------------------------------------------------------------- */

#define TAG_CLOCK VMS_TAG('C', 'L', 'C', 'K')
#define TAG_PIC VMS_TAG('P', 'I', 'C', ' ')
#define TAG_IOAPIC VMS_TAG('I', 'O', 'A', 'P')
#define TAG_PIT VMS_TAG('P', 'I', 'T', ' ')
#define TAG_HPET VMS_TAG('H', 'P', 'E', 'T')
#define TAG_LAPIC VMS_TAG('L', 'A', 'P', 'C')

void pc_soft_save(struct pc_soft *ps, struct vms_writer *w)
{
    vms_begin(w, TAG_CLOCK, 0);        /* the platform clock's time: what the device times count on */
    vms_put_u64(w, clk_now(&ps->clock));
    vms_put_u64(w, ps->tsc.hz);
    vms_end(w);
    vms_begin(w, TAG_PIC, 0);
    pic_save(&ps->pic, w);
    vms_end(w);
    vms_begin(w, TAG_IOAPIC, 0);
    ioapic_save(&ps->ioapic, w);
    vms_end(w);
    vms_begin(w, TAG_PIT, 0);
    pit_save(&ps->pit, w);
    vms_end(w);
    vms_begin(w, TAG_HPET, 0);
    hpet_save(&ps->hpet, w);
    vms_end(w);
    for (int i = 0; i < ps->vm->ncpus; i++) {
        vms_begin(w, TAG_LAPIC, (uint32_t)i);
        lapic_save(ps->vm->vcpus[i].lapic.dev, w);
        vms_end(w);
    }
}

static struct vms_reader *section(struct vms_index *idx, uint32_t tag, uint32_t inst, struct vms_reader *r)
{
    struct vms_section *s = vms_index_take(idx, tag, inst);
    if (!s)
        return NULL;
    vms_reader_init(r, s);
    return r;
}

/* The clock first (every device time is on it), then the devices. A file saved under KVM has no HPET
 * section (KVM VMs here have none): it stays in its reset state. */
int pc_soft_load(struct pc_soft *ps, struct vms_index *idx, char *err, size_t errlen)
{
    struct vms_reader rd, *r = section(idx, TAG_CLOCK, 0, &rd);
    if (r) {
        uint64_t then = vms_get_u64(r), hz = vms_get_u64(r);
        if (vms_reader_done(r) < 0 || (hz && hz != ps->tsc.hz)) {   /* 0: saved by KVM */
            snprintf(err, errlen, "platform clock: corrupted section");
            return -EINVAL;
        }
        ps->shift.offset_ns = (int64_t)(then - clock_now_ns());
    }
    const char *bad = !r ? "platform clock"
        : !(r = section(idx, TAG_PIC, 0, &rd)) || pic_load(&ps->pic, r) < 0 ? "PIC"
        : !(r = section(idx, TAG_IOAPIC, 0, &rd)) || ioapic_load(&ps->ioapic, r) < 0 ? "IOAPIC"
        : !(r = section(idx, TAG_PIT, 0, &rd)) || pit_load(&ps->pit, r) < 0 ? "PIT"
        : (r = section(idx, TAG_HPET, 0, &rd)) && hpet_load(&ps->hpet, r) < 0 ? "HPET" : NULL;
    for (int i = 0; !bad && i < ps->vm->ncpus; i++)
        if (!(r = section(idx, TAG_LAPIC, (uint32_t)i, &rd)) || lapic_load(ps->vm->vcpus[i].lapic.dev, r) < 0)
            bad = "LAPIC";
    if (bad) {
        snprintf(err, errlen, "%s: missing or corrupted section", bad);
        return -EINVAL;
    }
    return 0;
}
