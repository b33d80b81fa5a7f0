/* The userspace PC platform for the software CPU: creates the devices, maps them on the VM's buses
 * and wires their interrupt lines together as a PC's chipset does. */
#include <errno.h>
#include <stdlib.h>

#include "hw/apic.h"
#include "util/clock.h"
#include "hw/hpet.h"
#include "hw/ioapic.h"
#include "machine/pc-soft.h"
#include "hw/pic.h"
#include "hw/pit.h"
#include "util/tsc.h"
#include "machine/vm.h"

struct pc_soft {
    struct vm *vm;
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
    struct pc_soft *ps = opaque;
    pc_soft_set_irq(ps->vm, 0, level);
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

void pc_soft_set_irq(struct vm *vm, unsigned gsi, int level)
{
    struct pc_soft *ps = vm->soft_platform;
    if (!ps)
        return;
    /* In legacy replacement mode the HPET owns IRQ0 and IRQ8: the PIT's and the RTC's lines are
     * cut off (HPET spec 2.3.9). */
    if ((gsi == 0 || gsi == 8) && ps->hpet_ready && hpet_legacy_mode(&ps->hpet))
        return;
    route_irq(ps, gsi, level);
}

struct tsc *pc_soft_tsc(struct vm *vm)
{
    struct pc_soft *ps = vm->soft_platform;
    return ps ? &ps->tsc : NULL;
}

/* --- creation ----------------------------------------------------------------------------------- */

void pc_soft_platform_destroy(struct vm *vm)
{
    struct pc_soft *ps = vm->soft_platform;
    if (!ps)
        return;
    for (int i = 0; i < vm->ncpus; i++) {
        lapic_free(vm->vcpus[i].lapic);
        vm->vcpus[i].lapic = NULL;
    }
    if (ps->pit_ready)
        pit_destroy(&ps->pit);
    if (ps->hpet_ready)
        hpet_destroy(&ps->hpet);
    ioapic_destroy(&ps->ioapic);
    pic_destroy(&ps->pic);
    vm->soft_platform = NULL;
    free(ps);
}

int pc_soft_platform_init(struct vm *vm)
{
    if (!vm->loop || vm->ncpus < 1 || vm->ncpus > VM_MAX_CPUS || vm->ncpus > APIC_MAX)
        return -EINVAL;
    struct pc_soft *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return -ENOMEM;
    ps->vm = vm;
    ps->clock = (struct plat_clock){ &evloop_clock_ops, vm->loop };
    vm->soft_platform = ps;

    tsc_init(&ps->tsc, &ps->clock, TSC_DEFAULT_HZ);
    apic_bus_init(&ps->apic_bus, &ps->clock, &ps->tsc);
    pic_init(&ps->pic, pic_intr_changed, ps);
    /* The IOAPIC's id follows the LAPICs' (0..ncpus-1), as the MADT and MP table say. */
    ioapic_init(&ps->ioapic, &ps->apic_bus, (uint8_t)vm->ncpus);
    ps->apic_bus.extint_pending = pic_pending;
    ps->apic_bus.extint_ack = pic_inta;
    ps->apic_bus.extint_opaque = &ps->pic;
    ps->apic_bus.eoi = lapic_eoi_to_ioapic;
    ps->apic_bus.eoi_opaque = &ps->ioapic;

    int r = 0;
    for (int i = 0; i < vm->ncpus && !r; i++) {
        ps->kick[i] = (struct kick_ctx){ ps, i };
        vm->vcpus[i].lapic = lapic_create(&ps->apic_bus, i, kick_vcpu, &ps->kick[i]);
        if (!vm->vcpus[i].lapic)
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
    if (r)
        pc_soft_platform_destroy(vm);
    return r;
}
