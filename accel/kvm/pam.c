/* The PAM window under KVM (machine/accel.h's mem_remap; mm/pam.h, 82441FX datasheet 3.2.18). KVM
 * slots may not overlap, so the first RAM slot is split around 0xc0000-0xfffff once, and each of the
 * 13 segments becomes a slot of its own, by mode: 3 the RAM read/write; 1 the same RAM with
 * KVM_MEM_READONLY (writes exit as MMIO to mm/pam.c's bus device, which drops them); 0 and 2 the
 * PCI side read-only (mode 2's writes reach RAM through the bus device). A slot's address or flags
 * change only by deleting it (size 0) and creating it again (api.rst 4.35); a vCPU that touches the
 * segment in between exits to the same bus device, which answers as the new mode does. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <sys/ioctl.h>

#define KVM_SLOT_RAM_UPPER (GUEST_ROM_SLOT_ID + 1)   /* the first RAM slot from 1 MiB */
#define KVM_SLOT_PAM       (GUEST_ROM_SLOT_ID + 2)   /* + the segment's number */

static int set_region(struct kvm_vm_state *k, uint32_t id, uint64_t gpa, uint64_t size, void *hva,
                      uint32_t flags)
{
    struct kvm_userspace_memory_region r = {
        .slot = id, .guest_phys_addr = gpa, .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)hva, .flags = flags,
    };
    return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static uint32_t ram_flags(const struct kvm_vm_state *k)
{
    return k->dirty_logging ? KVM_MEM_LOG_DIRTY_PAGES : 0;
}

static int split_first_slot(struct vm *vm)
{
    struct kvm_vm_state *k = vm->accel_state;
    const struct mem_slot *s = &vm->mem.slots[0];
    if (vm->mem.nslots < 1 || s->gpa != 0 || s->size < PAM_END)
        return -EINVAL;
    int r = set_region(k, s->id, 0, 0, s->hva, 0);
    if (r == 0)
        r = set_region(k, s->id, 0, PAM_BASE, s->hva, ram_flags(k));
    if (r == 0 && s->size > PAM_END)
        r = set_region(k, KVM_SLOT_RAM_UPPER, PAM_END, s->size - PAM_END, s->hva + PAM_END,
                       ram_flags(k));
    k->pam_split = r == 0;
    return r;
}

/* Segment i's host memory and whether KVM may write it. */
static void seg_view(const struct pam *p, unsigned i, uint8_t **hva, bool *ro)
{
    enum pam_mode m = pam_mode_of(p, i);
    uint64_t off = pam_seg_base(i) - PAM_BASE;
    *hva = (m & PAM_READ_RAM) ? p->ram + off : p->pci + off;
    *ro = m != PAM_RAM;
}

int kvm_mem_remap(struct vm *vm, uint64_t gpa, uint64_t len)
{
    (void)gpa;
    (void)len;   /* only the PAM window remaps */
    struct kvm_vm_state *k = vm->accel_state;
    const struct pam *p = &vm->mem.pam;
    int r = 0;
    if (!p->on)
        return 0;
    if (!k->pam_split && (r = split_first_slot(vm)) < 0)
        return r;
    for (unsigned i = 0; i < PAM_SEGS && r == 0; i++) {
        uint8_t *hva;
        bool ro;
        seg_view(p, i, &hva, &ro);
        if (k->pam_hva[i] == hva && k->pam_ro[i] == ro)
            continue;
        uint64_t base = pam_seg_base(i), size = pam_seg_size(i);
        if (k->pam_hva[i]) {
            if (!k->pam_ro[i])   /* its slot's log goes with it: count the segment written */
                guest_mem_mark_hva(&vm->mem, k->pam_hva[i], size);
            r = set_region(k, KVM_SLOT_PAM + i, base, 0, k->pam_hva[i], 0);
        }
        if (r == 0)
            r = set_region(k, KVM_SLOT_PAM + i, base, size, hva, ro ? KVM_MEM_READONLY : ram_flags(k));
        k->pam_hva[i] = r == 0 ? hva : NULL;
        k->pam_ro[i] = ro;
    }
    return r;
}

/* The KVM slots that hold writable RAM, for the dirty log: the RAM slots as they are, or split. */
int kvm_ram_regions(struct vm *vm, struct kvm_ram_region *out, int max)
{
    const struct kvm_vm_state *k = vm->accel_state;
    int n = 0;
    for (int i = 0; i < vm->mem.nslots && n < max; i++) {
        const struct mem_slot *s = &vm->mem.slots[i];
        if (i > 0 || !k->pam_split) {
            out[n++] = (struct kvm_ram_region){ s->id, s->gpa, s->size, s->hva };
            continue;
        }
        out[n++] = (struct kvm_ram_region){ s->id, 0, PAM_BASE, s->hva };
        for (unsigned g = 0; g < PAM_SEGS && n < max; g++)
            if (k->pam_hva[g] && !k->pam_ro[g])
                out[n++] = (struct kvm_ram_region){ KVM_SLOT_PAM + g, pam_seg_base(g),
                                                    pam_seg_size(g), k->pam_hva[g] };
        if (s->size > PAM_END && n < max)
            out[n++] = (struct kvm_ram_region){ KVM_SLOT_RAM_UPPER, PAM_END, s->size - PAM_END,
                                                s->hva + PAM_END };
    }
    return n;
}
