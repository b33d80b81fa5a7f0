/* Building the devices of machine/vdev-config.h on the PC board: chardevs first (a socket server
 * with wait=on holds the start here until a client connects), then one PCI function each for
 * virtio-rng, virtio-serial and virtio-vsock, in that order after the disks. */
#include "machine/pc-vdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chardev/chardev.h"
#include "hw/virtio/console.h"
#include "hw/virtio/pci.h"
#include "hw/virtio/rng.h"
#include "hw/virtio/vsock.h"

struct pc_vdevs {
    struct chardev *chr[VM_MAX_CHARDEVS];
    struct virtio_rng *rng;
    struct virtio_console *con;
    struct virtio_vsock *vsock;
    struct virtio_pci *pci[3];
};

static int plug_one(struct vm *vm, struct pc_vdevs *d, struct virtio_dev *v,
                    int (*plug)(void *, struct pci_dev *), void *board, char *err, size_t errlen)
{
    int i = 0;
    while (d->pci[i])
        i++;
    if (!(d->pci[i] = virtio_pci_new(v, vm->loop)))
        return snprintf(err, errlen, "%s: %s", v->ops->name, strerror(ENOMEM)), -ENOMEM;
    int r = plug(board, &d->pci[i]->pci);
    if (r < 0)
        snprintf(err, errlen, "%s: no PCI slot or BAR space: %s", v->ops->name, strerror(-r));
    return r;
}

static int add_console(struct vm *vm, struct pc_vdevs *d, char *err, size_t errlen)
{
    const struct vm_vdev_config *c = &vm->cfg.vdev;
    if (!(d->con = virtio_console_new(&vm->mem)))
        return snprintf(err, errlen, "virtio-serial: %s", strerror(ENOMEM)), -ENOMEM;
    for (int i = 0; i < c->nports; i++) {
        const struct vm_vport *p = &c->ports[i];
        int k = 0;
        while (k < c->nchardevs && strcmp(c->chardevs[k].id, p->chardev))
            k++;
        if (k == c->nchardevs)
            return snprintf(err, errlen, "chardev=%s: no -chardev with that id", p->chardev), -EINVAL;
        if (virtio_console_add_port(d->con, p->console, p->name, chardev_link(d->chr[k])) < 0)
            return snprintf(err, errlen, "virtio-serial: at most %d ports", VCON_MAX_PORTS), -ENOSPC;
    }
    return 0;
}

/* vhost-vsock would hand the rings to the host kernel's AF_VSOCK; vmon serves them itself. */
static void say_vhost(void)
{
    if (access("/dev/vhost-vsock", R_OK | W_OK) < 0)
        fprintf(stderr, "vmon: vhost-vsock: /dev/vhost-vsock is absent, so the host has no AF_VSOCK "
                        "path to the guest; vsock is served in userspace over the uds= Unix socket\n");
    else
        fprintf(stderr, "vmon: vhost-vsock: /dev/vhost-vsock exists but vmon does not use it yet; "
                        "vsock is served in userspace over the uds= Unix socket\n");
}

int pc_vdevs_add(struct vm *vm, int (*plug)(void *board, struct pci_dev *d), void *board,
                 struct pc_vdevs **out, char *err, size_t errlen)
{
    const struct vm_vdev_config *c = &vm->cfg.vdev;
    struct pc_vdevs *d = *out = calloc(1, sizeof(*d));
    if (!d)
        return snprintf(err, errlen, "devices: %s", strerror(ENOMEM)), -ENOMEM;
    for (int i = 0; i < c->nchardevs; i++)
        if (!(d->chr[i] = chardev_open(&c->chardevs[i], vm->loop, err, errlen)))
            return -EIO;
    int r;
    if (c->rng) {
        if (!(d->rng = virtio_rng_new(&vm->mem, vm->loop, c->rng_max_bytes, c->rng_period_ms)))
            return snprintf(err, errlen, "virtio-rng: %s", strerror(ENOMEM)), -ENOMEM;
        if ((r = plug_one(vm, d, &d->rng->vdev, plug, board, err, errlen)) < 0)
            return r;
    }
    if (c->serial || c->nports) {
        if ((r = add_console(vm, d, err, errlen)) < 0 ||
            (r = plug_one(vm, d, &d->con->vdev, plug, board, err, errlen)) < 0)
            return r;
    }
    if (c->vsock) {
        say_vhost();
        if (!c->vsock_uds[0])
            fprintf(stderr, "vmon: vsock: no uds=: the guest's connections to the host are refused\n");
        if (!(d->vsock = virtio_vsock_new(&vm->mem, vm->loop, c->vsock_cid,
                                          c->vsock_uds[0] ? c->vsock_uds : NULL, err, errlen)))
            return -EIO;
        if ((r = plug_one(vm, d, &d->vsock->vdev, plug, board, err, errlen)) < 0)
            return r;
    }
    return 0;
}

void pc_vdevs_free(struct pc_vdevs *d)
{
    if (!d)
        return;
    for (int i = 0; i < 3; i++)
        virtio_pci_free(d->pci[i]);
    virtio_rng_free(d->rng);
    virtio_console_free(d->con);
    virtio_vsock_free(d->vsock);
    for (int i = 0; i < VM_MAX_CHARDEVS; i++)
        chardev_free(d->chr[i]);
    free(d);
}

static struct virtio_pci *pci_of(const struct pc_vdevs *d, const struct virtio_dev *v)
{
    for (int i = 0; i < 3 && v; i++)
        if (d->pci[i] && d->pci[i]->vdev == v)
            return d->pci[i];
    return NULL;
}

void pc_vdevs_parts(const struct pc_vdevs *d, struct pc_vdev_parts *out)
{
    *out = (struct pc_vdev_parts){ 0 };
    if (!d)
        return;
    out->rng = d->rng;
    out->con = d->con;
    out->vsock = d->vsock;
    out->rng_pci = pci_of(d, d->rng ? &d->rng->vdev : NULL);
    out->con_pci = pci_of(d, d->con ? &d->con->vdev : NULL);
    out->vsock_pci = pci_of(d, d->vsock ? &d->vsock->vdev : NULL);
}
