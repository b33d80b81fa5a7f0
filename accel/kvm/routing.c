/* KVM's GSI routing table (Documentation/virt/kvm/api.rst 4.52 KVM_SET_GSI_ROUTING): the ISA IRQs
 * and IOAPIC pins as on QEMU's pc machine, plus MSI routes (KVM_IRQ_ROUTING_MSI) on the GSIs from
 * ACCEL_MSI_GSI_BASE that the board asks for, so that an edge irqfd on such a GSI delivers a PCI
 * function's message without a KVM_SIGNAL_MSI call. The call replaces the whole table, so every
 * change sends it again with all routes in use. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define FIXED_ENTRIES 40

/* ISA IRQ n reaches PIC pin n and IOAPIC pin n, except that IRQ 0 (the PIT) arrives on IOAPIC
 * pin 2, which the MADT's interrupt source override announces. */
static unsigned fixed_entries(struct kvm_irq_routing_entry *e)
{
    unsigned n = 0;
    for (unsigned gsi = 0; gsi < 24; gsi++) {
        if (gsi < 16 && gsi != 2) {
            e[n].gsi = gsi;
            e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
            e[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
            e[n].u.irqchip.pin = gsi % 8;
            n++;
        }
        if (gsi == 2)
            continue;          /* the cascade: nothing drives GSI 2 from outside */
        e[n].gsi = gsi;
        e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
        e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
        e[n].u.irqchip.pin = gsi == 0 ? 2 : gsi;
        n++;
    }
    return n;
}

/* With route_lock held (or before any other thread runs). */
static int set_routing_locked(struct kvm_vm_state *k)
{
    struct kvm_irq_routing *t = calloc(1, sizeof(*t) + (FIXED_ENTRIES + ACCEL_MSI_GSIS) *
                                                      sizeof(struct kvm_irq_routing_entry));
    if (!t) {
        errno = ENOMEM;
        return -1;
    }
    unsigned n = fixed_entries(t->entries);
    for (unsigned i = 0; i < ACCEL_MSI_GSIS; i++)
        if (k->msi_on[i])
            t->entries[n++] = k->msi[i];
    t->nr = n;
    int r = ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, t);
    free(t);
    return r;
}

int kvm_set_gsi_routing(struct kvm_vm_state *k)
{
    pthread_mutex_lock(&k->route_lock);
    int r = set_routing_locked(k);
    pthread_mutex_unlock(&k->route_lock);
    return r;
}

int kvm_msi_route(struct vm *vm, unsigned gsi, uint64_t addr, uint32_t data, bool on)
{
    struct kvm_vm_state *k = vm->accel_state;
    if (!k || ioctl(k->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0)
        return -ENOTSUP;
    if (gsi < ACCEL_MSI_GSI_BASE || gsi - ACCEL_MSI_GSI_BASE >= ACCEL_MSI_GSIS)
        return -EINVAL;
    unsigned i = gsi - ACCEL_MSI_GSI_BASE;
    pthread_mutex_lock(&k->route_lock);
    struct kvm_irq_routing_entry old = k->msi[i];
    bool was_on = k->msi_on[i];
    memset(&k->msi[i], 0, sizeof(k->msi[i]));
    k->msi[i].gsi = gsi;
    k->msi[i].type = KVM_IRQ_ROUTING_MSI;
    k->msi[i].u.msi.address_lo = (uint32_t)addr;
    k->msi[i].u.msi.address_hi = (uint32_t)(addr >> 32);
    k->msi[i].u.msi.data = data;
    k->msi_on[i] = on;
    int r = set_routing_locked(k) < 0 ? -errno : 0;
    if (r) {                           /* KVM kept the old table: so do we */
        k->msi[i] = old;
        k->msi_on[i] = was_on;
    }
    pthread_mutex_unlock(&k->route_lock);
    return r;
}
