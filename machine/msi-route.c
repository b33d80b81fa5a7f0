/* MSI routes on an accelerator's irqfds (KVM: api.rst 4.52 KVM_SET_GSI_ROUTING with
 * KVM_IRQ_ROUTING_MSI entries, 4.75 KVM_IRQFD without resampling; QEMU's kvm_irqchip_add_msi_route
 * and kvm_irqchip_add_irqfd_notifier do the same for virtio-pci). A PCI function's MSI-X vector
 * gets a GSI from ACCEL_MSI_GSI_BASE routed to its message and an eventfd bound to that GSI: its
 * interrupts are then eventfd writes, with no KVM_SIGNAL_MSI call each. */
#include "machine/eventfd.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct msi_routes {
    struct vm *vm;
    pthread_mutex_t lock;              /* guards fd[] */
    int fd[ACCEL_MSI_GSIS];            /* -1: free */
    bool said;                         /* --exit-stats: the first route was reported */
};

struct msi_routes *msi_routes_new(struct vm *vm)
{
    const struct accel_ops *a = vm->accel;
    if (!a->msi_route || !a->irqfd || !a->irqchip_in_kernel)
        return NULL;
    struct msi_routes *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->vm = vm;
    pthread_mutex_init(&r->lock, NULL);
    for (unsigned i = 0; i < ACCEL_MSI_GSIS; i++)
        r->fd[i] = -1;
    return r;
}

/* A free route bound to (addr, data): its index, or -errno. Lock held. */
static int add_locked(struct msi_routes *r, uint64_t addr, uint32_t data)
{
    unsigned i = 0;
    while (i < ACCEL_MSI_GSIS && r->fd[i] >= 0)
        i++;
    if (i == ACCEL_MSI_GSIS)
        return -ENOSPC;
    struct vm *vm = r->vm;
    unsigned gsi = ACCEL_MSI_GSI_BASE + i;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        return -errno;
    int e = vm->accel->msi_route(vm, gsi, addr, data, true);
    if (e == 0 && (e = vm->accel->irqfd(vm, gsi, fd, -1, true)) != 0)
        vm->accel->msi_route(vm, gsi, addr, data, false);
    if (vm->cfg.exit_stats && (!r->said || e)) {
        fprintf(stderr, "vmon: msi irqfd for GSI %u: %s\n", gsi, e ? strerror(-e) : "on");
        r->said = true;
    }
    if (e) {
        close(fd);
        return e;
    }
    r->fd[i] = fd;
    return (int)i;
}

int msi_routes_set(struct msi_routes *r, int *id, uint64_t addr, uint32_t data)
{
    pthread_mutex_lock(&r->lock);
    int fd;
    if (*id >= 0 && *id < (int)ACCEL_MSI_GSIS && r->fd[*id] >= 0) {
        int e = r->vm->accel->msi_route(r->vm, ACCEL_MSI_GSI_BASE + (unsigned)*id, addr, data, true);
        fd = e ? e : r->fd[*id];
    } else {
        int i = add_locked(r, addr, data);
        if (i >= 0)
            *id = i;
        fd = i < 0 ? i : r->fd[i];
    }
    pthread_mutex_unlock(&r->lock);
    return fd;
}

void msi_routes_put(struct msi_routes *r, int id)
{
    if (!r || id < 0 || id >= (int)ACCEL_MSI_GSIS)
        return;
    pthread_mutex_lock(&r->lock);
    if (r->fd[id] >= 0) {
        unsigned gsi = ACCEL_MSI_GSI_BASE + (unsigned)id;
        r->vm->accel->irqfd(r->vm, gsi, r->fd[id], -1, false);
        r->vm->accel->msi_route(r->vm, gsi, 0, 0, false);
        close(r->fd[id]);
        r->fd[id] = -1;
    }
    pthread_mutex_unlock(&r->lock);
}

void msi_routes_free(struct msi_routes *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < ACCEL_MSI_GSIS; i++)
        msi_routes_put(r, (int)i);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
