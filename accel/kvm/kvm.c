/* The KVM accelerator, VM level (Documentation/virt/kvm/api.rst): open /dev/kvm, check the API and
 * the capabilities vmon relies on, create the VM with its in-kernel irqchip and PIT, register guest
 * RAM slots, raise IRQ lines. vCPUs are in vcpu.c, exit decoding in exit.c. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accel/accel.h"
#include "accel/kvm/cpuid.h"

static const struct { int cap; const char *name; } required_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
    { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
    { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
};

static bool kvm_available(const char **why)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        *why = errno == ENOENT ? "/dev/kvm: no such device (KVM is not available here)"
             : errno == EACCES || errno == EPERM ? "/dev/kvm: permission denied"
             : "/dev/kvm cannot be opened";
        return false;
    }
    close(fd);
    return true;
}

/* Both ends of the kick signal: a handler that does nothing (its only job is to interrupt
 * KVM_RUN with EINTR), installed once per process. */
static void kick_handler(int sig)
{
    (void)sig;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
    for (int nent = 128; nent <= 4096; nent *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)nent * sizeof(c->entries[0]));
        if (!c)
            return NULL;
        c->nent = (uint32_t)nent;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        int e = errno;
        free(c);
        if (e != E2BIG) {
            errno = e;
            return NULL;
        }
    }
    errno = E2BIG;
    return NULL;
}

/* The machine layout gives the IOAPIC the APIC id after the CPUs' (the MADT and MP table say so);
 * KVM's in-kernel IOAPIC starts with id 0. The id register holds 4 bits (82093AA, 3.2.1). */
static int set_ioapic_id(int vm_fd, uint8_t id)
{
    struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
    if (ioctl(vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
        return -1;
    chip.chip.ioapic.id = id & 0xfu;
    return ioctl(vm_fd, KVM_SET_IRQCHIP, &chip);
}

static int kvm_vm_init(struct vm *vm)
{
    struct kvm_vm_state *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->vm_fd = -1;
    pthread_mutex_init(&k->route_lock, NULL);
    vm->accel_state = k;
    k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->kvm_fd < 0)
        return -errno;
    int api = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION) {
        snprintf(vm->accel_err, sizeof(vm->accel_err), "API version %d, vmon needs %d", api,
                 KVM_API_VERSION);
        return -ENOTSUP;
    }
    for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
        if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
            snprintf(vm->accel_err, sizeof(vm->accel_err), "missing capability %s",
                     required_caps[i].name);
            return -ENOTSUP;
        }
    }
    int max_vcpus = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_vcpus > 0 && vm->ncpus > max_vcpus) {
        snprintf(vm->accel_err, sizeof(vm->accel_err), "%d vCPUs asked, KVM allows %d", vm->ncpus,
                 max_vcpus);
        return -EINVAL;
    }
    k->run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (k->run_size < (int)sizeof(struct kvm_run))
        return -EIO;
    k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
    if (k->vm_fd < 0)
        return -errno;
    /* Without unrestricted guest, VMX runs real mode in vm86 and needs these two regions of guest
     * physical space; put them in the hole below 4 GiB where no RAM or device lives. */
    uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
    if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 ||
        ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
        return -errno;
    if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return -errno;
    if (kvm_set_gsi_routing(k) < 0 || set_ioapic_id(k->vm_fd, vm->ioapic_id) < 0)
        return -errno;
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0 || ioctl(k->vm_fd, KVM_GET_PIT2, &k->pit0) < 0)
        return -errno;
    for (unsigned i = 0; i < 3; i++) {     /* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
        k->chips0[i].chip_id = i;
        if (ioctl(k->vm_fd, KVM_GET_IRQCHIP, &k->chips0[i]) < 0)
            return -errno;
    }

    struct kvm_cpuid2 *supported = supported_cpuid(k->kvm_fd);
    if (!supported)
        return -errno;
    k->model = vm->cfg.cpu_model;
    if (k->model.all)
        k->model.vendor = cpu_vendor_host();   /* max and host: the host's CPUID, as QEMU's */
    struct cpuid_src src = { &k->model, &vm->topo, 0, NULL };
    k->cpuid = cpuid_apply_model(supported, &src);
    free(supported);
    if (!k->cpuid)
        return -ENOMEM;
    struct cpuid_edit edits[CPUID_MAX_EDITS];
    char *err = vm->accel_err;
    size_t errlen = sizeof(vm->accel_err);
    int n = cpuid_parse_features(vm->cfg.cpu_features, edits, CPUID_MAX_EDITS, err, errlen);
    if (n < 0 || cpuid_apply(k->cpuid->entries, (int)k->cpuid->nent, edits, n, err, errlen) < 0)
        return -EINVAL;        /* the user asked for what this host cannot give */

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    return 0;
}

static int kvm_map_slot(struct vm *vm, const struct mem_slot *slot)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct kvm_userspace_memory_region r = {
        .slot = slot->id,
        .guest_phys_addr = slot->gpa,
        .memory_size = slot->size,
        .userspace_addr = (uint64_t)(uintptr_t)slot->hva,
        .flags = slot->readonly ? KVM_MEM_READONLY : 0,   /* writes exit as MMIO: dropped */
    };
    return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* Any thread: KVM_IRQ_LINE is safe to call concurrently. */
static void kvm_set_irq(struct vm *vm, unsigned gsi, int level)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)!!level };
    ioctl(k->vm_fd, KVM_IRQ_LINE, &irq);
}

/* Any thread: an MSI straight into the in-kernel LAPICs (KVM_CAP_SIGNAL_MSI, api.txt 4.71). */
static void kvm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data)
{
    struct kvm_vm_state *k = vm->accel_state;
    struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32),
                           .data = data };
    ioctl(k->vm_fd, KVM_SIGNAL_MSI, &msi);
}

/* A machine reset: the in-kernel PIC, IOAPIC and PIT as they were created (KVM has no reset ioctl
 * for them; QEMU writes its reset states back the same way). */
static int kvm_vm_reset(struct vm *vm)
{
    struct kvm_vm_state *k = vm->accel_state;
    for (int i = 0; i < 3; i++)
        if (ioctl(k->vm_fd, KVM_SET_IRQCHIP, &k->chips0[i]) < 0)
            return -errno;
    return ioctl(k->vm_fd, KVM_SET_PIT2, &k->pit0) < 0 ? -errno : 0;
}

static void kvm_vm_destroy(struct vm *vm)
{
    struct kvm_vm_state *k = vm->accel_state;
    if (!k)
        return;
    if (k->vm_fd >= 0)
        close(k->vm_fd);
    if (k->kvm_fd >= 0)
        close(k->kvm_fd);
    free(k->cpuid);
    pthread_mutex_destroy(&k->route_lock);
    free(k);
    vm->accel_state = NULL;
}

const struct accel_ops kvm_accel_ops = {
    .name = "kvm",
    .irqchip_in_kernel = true,    /* PIC, IOAPIC, LAPICs and PIT: KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2 */
    .traces = false,
    .available = kvm_available,
    .vm_init = kvm_vm_init,
    .map_slot = kvm_map_slot,
    .vcpu_init = kvm_vcpu_init,
    .vcpu_run = kvm_vcpu_run,
    .get_state = kvm_get_state,
    .set_state = kvm_set_state,
    .set_irq = kvm_set_irq,
    .ioeventfd = kvm_ioeventfd,
    .irqfd = kvm_irqfd,
    .msi_route = kvm_msi_route,
    .signal_msi = kvm_signal_msi,
    .vm_reset = kvm_vm_reset,
    .vcpu_reset = kvm_vcpu_reset,
    .vcpu_kick = kvm_vcpu_kick,
    .vcpu_destroy = kvm_vcpu_destroy,
    .vm_destroy = kvm_vm_destroy,
    .get_fpu = kvm_get_fpu,
    .set_fpu = kvm_set_fpu,
    .get_arch = kvm_get_arch,
    .set_arch = kvm_set_arch,
    .save_irqchip = kvm_save_irqchip,
    .mem_remap = kvm_mem_remap,
    .dirty_log = kvm_dirty_log,
    .dirty_sync = kvm_dirty_sync,
    .load_irqchip = kvm_load_irqchip,
    .set_debug = kvm_set_debug,
};
