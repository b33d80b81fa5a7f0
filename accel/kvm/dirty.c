/* KVM's half of a live migration's dirty log (machine/accel.h's dirty_log/dirty_sync; api.rst 4.35
 * KVM_SET_USER_MEMORY_REGION's KVM_MEM_LOG_DIRTY_PAGES, 4.7 KVM_GET_DIRTY_LOG): each RAM slot logs
 * the guest's writes in the kernel (pam.c says which slots those are once the PAM window splits the
 * first); a sync fetches each slot's bitmap (the kernel clears and
 * write-protects again) and ORs it into vm->mem.dirty at the slot's place in RAM. The host's own
 * writes (devices) are marked by mm/memory.c. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

static int set_logging(struct kvm_vm_state *k, const struct kvm_ram_region *s, bool on)
{
    struct kvm_userspace_memory_region r = {
        .slot = s->id, .guest_phys_addr = s->gpa, .memory_size = s->size,
        .userspace_addr = (uint64_t)(uintptr_t)s->hva,
        .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
    };
    return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

int kvm_dirty_log(struct vm *vm, bool on)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct kvm_ram_region reg[KVM_RAM_REGIONS_MAX];
    int n = kvm_ram_regions(vm, reg, KVM_RAM_REGIONS_MAX);
    k->dirty_logging = on;
    for (int i = 0; i < n; i++) {
        int r = set_logging(k, &reg[i], on);
        if (r < 0)
            return r;
    }
    return 0;
}

int kvm_dirty_sync(struct vm *vm)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct kvm_ram_region reg[KVM_RAM_REGIONS_MAX];
    int n = kvm_ram_regions(vm, reg, KVM_RAM_REGIONS_MAX);
    for (int i = 0; i < n; i++) {
        const struct kvm_ram_region *s = &reg[i];
        uint64_t pages = s->size >> 12;
        uint64_t *bits = calloc((pages + 63) / 64, sizeof(uint64_t));
        if (!bits)
            return -ENOMEM;
        struct kvm_dirty_log log = { .slot = s->id, .dirty_bitmap = bits };
        int r = ioctl(k->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0;
        if (r == 0)
            dirty_log_merge(&vm->mem.dirty, guest_mem_page_of(&vm->mem, s->hva), bits, pages);
        free(bits);
        if (r < 0)
            return r;
    }
    return 0;
}
