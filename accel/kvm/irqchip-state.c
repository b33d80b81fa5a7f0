/* KVM's in-kernel PIC, IOAPIC, PIT and LAPICs in a snapshot (machine/accel.h's save_irqchip /
 * load_irqchip). The sections are the device models' own (hw/pic.c, hw/ioapic.c, hw/pit.c,
 * hw/apic-state.c encode them): the kernel's state (KVM_GET_IRQCHIP, KVM_GET_PIT2, KVM_GET_LAPIC; Linux
 * Documentation/virt/kvm/api.rst) is turned into a scratch device model's registers and that model
 * writes its section, and back (irqchip-conv.c), so a file moves between KVM and the software CPU's
 * platform. A PIT channel restarts its count at the restore (KVM_SET_PIT2 does); the soft platform's
 * HPET, which KVM VMs here lack, must be off. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/irqchip-conv.h"
#include "accel/kvm/kvm.h"
#include "hw/hpet.h"
#include "migration/vmstate.h"
#include "util/eventloop.h"

#define TAG_CLOCK VMS_TAG('C', 'L', 'C', 'K')   /* machine/pc-soft.c's */
#define TAG_PIC VMS_TAG('P', 'I', 'C', ' ')
#define TAG_IOAPIC VMS_TAG('I', 'O', 'A', 'P')
#define TAG_PIT VMS_TAG('P', 'I', 'T', ' ')
#define TAG_HPET VMS_TAG('H', 'P', 'E', 'T')
#define TAG_LAPIC VMS_TAG('L', 'A', 'P', 'C')

/* ---- save ---- */

int kvm_save_irqchip(struct vm *vm, struct vms_writer *w)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct kvm_scratch s;
    kvm_scratch_init(&s);
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
    kvm_pic_from_kvm(&pic.chip[0], &chip[0].chip.pic);
    kvm_pic_from_kvm(&pic.chip[1], &chip[1].chip.pic);
    vms_begin(w, TAG_PIC, 0);
    pic_save(&pic, w);
    vms_end(w);
    struct ioapic io;
    ioapic_init(&io, NULL, 0);
    kvm_ioapic_from_kvm(&io, &chip[2].chip.ioapic);
    vms_begin(w, TAG_IOAPIC, 0);
    ioapic_save(&io, w);
    vms_end(w);
    struct pit pit;
    if (pit_init(&pit, &s.clk, NULL, NULL) < 0)
        return -ENOMEM;
    kvm_pit_from_kvm(&pit, &pit2);
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
        kvm_scratch_lapic(&l, &s);
        kvm_lapic_from_kvm(&l, &ks, sr.apic_base, now);
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

static int load_chips(struct vm *vm, struct vms_index *idx, struct kvm_scratch *s, const char **bad)
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
    kvm_pic_to_kvm(&pic.chip[0], &chip[0].chip.pic);
    kvm_pic_to_kvm(&pic.chip[1], &chip[1].chip.pic);
    struct ioapic io;
    ioapic_init(&io, NULL, 0);
    if (!(r = section(idx, TAG_IOAPIC, 0, &rd)) || ioapic_load(&io, r) < 0)
        return *bad = "IOAPIC", -EINVAL;
    kvm_ioapic_to_kvm(&io, &chip[2].chip.ioapic);
    struct pit pit;
    struct kvm_pit_state2 pit2;
    if (pit_init(&pit, &s->clk, NULL, NULL) < 0 || ioctl(k->vm_fd, KVM_GET_PIT2, &pit2) < 0)
        return -ENOMEM;
    if (!(r = section(idx, TAG_PIT, 0, &rd)) || pit_load(&pit, r) < 0)
        return *bad = "PIT", -EINVAL;
    kvm_pit_to_kvm(&pit, &pit2);
    for (int i = 0; i < 3; i++)
        if (ioctl(k->vm_fd, KVM_SET_IRQCHIP, &chip[i]) < 0)
            return -errno;
    return ioctl(k->vm_fd, KVM_SET_PIT2, &pit2) < 0 ? -errno : 0;
}

int kvm_load_irqchip(struct vm *vm, struct vms_index *idx, char *err, size_t errlen)
{
    struct kvm_scratch s;
    kvm_scratch_init(&s);
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
        kvm_scratch_lapic(&l, &s);
        struct kvm_lapic_state ks;
        if (!(r = section(idx, TAG_LAPIC, (uint32_t)i, &rd)) || lapic_load(&l, r) < 0) {
            bad = "LAPIC";
            e = -EINVAL;
        } else if (ioctl(c->fd, KVM_GET_LAPIC, &ks) < 0) {
            e = -errno;
        } else {
            kvm_lapic_to_kvm(&l, &ks);
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
