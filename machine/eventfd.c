/* Doorbells and INTx over an accelerator's eventfds (KVM: api.rst 4.59 KVM_IOEVENTFD, 4.75
 * KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE; QEMU does INTx the same way in hw/vfio and virtio-pci).
 * An irqfd line keeps the level its device drives: raising writes the irqfd (the accelerator
 * asserts the GSI); lowering only records it, because the accelerator lowers the GSI itself at the
 * guest's EOI and then signals the resample eventfd, where the line is raised again if its device
 * still holds it. */
#include "machine/eventfd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/eventloop.h"

struct irqfd_line {
    struct vm *vm;
    unsigned gsi;
    int fd, resample_fd;
    bool assigned;
    _Atomic int level;
};

static int doorbell_watch(void *opaque, uint64_t addr, unsigned len, int fd, bool on)
{
    struct vm *vm = opaque;
    int r = vm->accel->ioeventfd(vm, addr, len, fd, on);
    if (vm->cfg.exit_stats && on)      /* what the exit counts below will reflect */
        fprintf(stderr, "vmon: ioeventfd at 0x%" PRIx64 ": %s\n", addr, r ? strerror(-r) : "on");
    return r;
}

struct doorbell_link vm_doorbell_link(struct vm *vm)
{
    if (!vm->accel->ioeventfd)
        return (struct doorbell_link){ 0 };
    return (struct doorbell_link){ .watch = doorbell_watch, .opaque = vm };
}

static void kick(int fd)
{
    uint64_t one = 1;
    while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

/* Any thread: the device's interrupt path, possibly with its lock held. */
static void irqfd_set(void *opaque, int level)
{
    struct irqfd_line *f = opaque;
    atomic_store(&f->level, !!level);
    if (level)
        kick(f->fd);
}

/* The event loop: the guest EOId the GSI and the accelerator lowered it. */
static void resampled(void *opaque)
{
    struct irqfd_line *f = opaque;
    uint64_t n;
    if (read(f->resample_fd, &n, sizeof(n)) < 0)
        return;
    if (atomic_load(&f->level))
        kick(f->fd);
}

struct irqfd_line *irqfd_line_new(struct vm *vm, unsigned gsi)
{
    if (!vm->accel->irqfd || !vm->accel->irqchip_in_kernel || !vm->loop)
        return errno = ENOTSUP, NULL;
    struct irqfd_line *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    *f = (struct irqfd_line){ .vm = vm, .gsi = gsi, .fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
                              .resample_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
    int r = f->fd < 0 || f->resample_fd < 0 ? -errno
          : vm->accel->irqfd(vm, gsi, f->fd, f->resample_fd, true);
    if (r == 0) {
        f->assigned = true;
        r = evloop_add_fd(vm->loop, f->resample_fd, resampled, f);
    }
    if (vm->cfg.exit_stats)
        fprintf(stderr, "vmon: irqfd for GSI %u: %s\n", gsi, r ? strerror(-r) : "on");
    if (r < 0) {
        irqfd_line_free(f);
        errno = -r;
        return NULL;
    }
    return f;
}

struct irq_line irqfd_line_get(struct irqfd_line *f)
{
    return (struct irq_line){ .set = irqfd_set, .opaque = f };
}

void irqfd_line_free(struct irqfd_line *f)
{
    if (!f)
        return;
    if (f->assigned) {
        evloop_remove_fd(f->vm->loop, f->resample_fd);
        f->vm->accel->irqfd(f->vm, f->gsi, f->fd, f->resample_fd, false);
    }
    if (f->fd >= 0)
        close(f->fd);
    if (f->resample_fd >= 0)
        close(f->resample_fd);
    free(f);
}
