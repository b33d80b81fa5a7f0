/* KVM's eventfd paths (Documentation/virt/kvm/api.rst, 4.59 KVM_IOEVENTFD and 4.75 KVM_IRQFD):
 * a guest write to an MMIO address signals an eventfd inside the kernel instead of exiting to
 * vmon, and a write to an eventfd raises a GSI of the in-kernel irqchip without a KVM_IRQ_LINE
 * call. The irqfds are level-triggered ones (KVM_IRQFD_FLAG_RESAMPLE): KVM lowers the line at
 * the guest's EOI and signals the resample eventfd, where the board re-raises it if the device
 * still holds it. Each call checks its capability first: -ENOTSUP where the host lacks it. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

static bool has_cap(const struct kvm_vm_state *k, int cap)
{
    return ioctl(k->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

int kvm_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, int fd, bool on)
{
    struct kvm_vm_state *k = vm->accel_state;
    if (!k || !has_cap(k, KVM_CAP_IOEVENTFD))
        return -ENOTSUP;
    struct kvm_ioeventfd io;
    memset(&io, 0, sizeof(io));
    io.addr = addr;
    io.len = len;
    io.fd = fd;
    io.flags = on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN;
    return ioctl(k->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

int kvm_irqfd(struct vm *vm, unsigned gsi, int fd, int resample_fd, bool on)
{
    struct kvm_vm_state *k = vm->accel_state;
    if (!k || !has_cap(k, KVM_CAP_IRQFD) || !has_cap(k, KVM_CAP_IRQFD_RESAMPLE))
        return -ENOTSUP;
    struct kvm_irqfd irq;
    memset(&irq, 0, sizeof(irq));
    irq.fd = (uint32_t)fd;
    irq.gsi = gsi;
    if (on) {
        irq.flags = KVM_IRQFD_FLAG_RESAMPLE;
        irq.resamplefd = (uint32_t)resample_fd;
    } else {
        irq.flags = KVM_IRQFD_FLAG_DEASSIGN;
    }
    return ioctl(k->vm_fd, KVM_IRQFD, &irq) < 0 ? -errno : 0;
}
