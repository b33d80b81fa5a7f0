/* virtio-console's own part of a snapshot (issue 18), before its transport's (virtio_pci_save, which
 * ends the section): each port's place and kind as the driver was told them (5.3.6.2: DEVICE_ADD,
 * CONSOLE_PORT, PORT_NAME) and whether the guest has it open (PORT_OPEN), and the control messages
 * still waiting for the driver's buffers. The ports' backends are the host's, opened afresh from the
 * command line: a restored VM must have the same ports (the same ids, kinds and names), else the
 * section is refused. Host input waits in its backend while the device is held (virtio_dev_hold). */
#include "hw/virtio/console.h"

#include <errno.h>
#include <string.h>

#include "migration/vmstate.h"

#define CONSOLE_STATE_VERSION 1u

void virtio_console_save(struct virtio_console *c, struct vms_writer *w)
{
    pthread_mutex_lock(&c->vdev.lock);
    vms_put_u8(w, CONSOLE_STATE_VERSION);
    for (unsigned i = 0; i < VCON_MAX_PORTS; i++) {
        const struct vcon_port *p = &c->ports[i];
        uint8_t b[] = { p->present, p->console, p->guest_open, (uint8_t)strlen(p->name) };
        vms_put_bytes(w, b, sizeof(b));
        vms_put_bytes(w, p->name, b[3]);
    }
    vms_put_u8(w, (uint8_t)c->npending);
    for (unsigned i = 0; i < c->npending; i++) {
        vms_put_u8(w, c->pending[i].len);
        vms_put_bytes(w, c->pending[i].buf, c->pending[i].len);
    }
    pthread_mutex_unlock(&c->vdev.lock);
}

/* Port i as saved: it must be this device's port i; *open gets whether the guest had it open. */
static bool get_port(struct vms_reader *r, const struct vcon_port *p, bool *open)
{
    uint8_t b[4];
    char name[VCON_NAME_MAX + 1] = "";
    vms_get_bytes(r, b, sizeof(b));
    if (r->err || b[0] > 1 || b[1] > 1 || b[2] > 1 || b[3] > VCON_NAME_MAX)
        return false;
    vms_get_bytes(r, name, b[3]);
    *open = b[2];
    return !r->err && b[0] == p->present && b[1] == p->console && strcmp(name, p->name) == 0 &&
           (p->present || !b[2]);
}

int virtio_console_load(struct virtio_console *c, struct vms_reader *r)
{
    bool open[VCON_MAX_PORTS];
    struct vcon_msg pending[VCON_PENDING];
    if (vms_get_u8(r) != CONSOLE_STATE_VERSION)
        return -EINVAL;
    for (unsigned i = 0; i < VCON_MAX_PORTS; i++)
        if (!get_port(r, &c->ports[i], &open[i]))
            return -EINVAL;
    unsigned n = vms_get_u8(r);
    if (r->err || n > VCON_PENDING)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        pending[i].len = vms_get_u8(r);
        if (r->err || pending[i].len < VCON_CTRL_HDR || pending[i].len > sizeof(pending[i].buf))
            return -EINVAL;
        vms_get_bytes(r, pending[i].buf, pending[i].len);
    }
    if (r->err)
        return -EINVAL;
    pthread_mutex_lock(&c->vdev.lock);
    for (unsigned i = 0; i < VCON_MAX_PORTS; i++)
        c->ports[i].guest_open = open[i];
    memcpy(c->pending, pending, n * sizeof(pending[0]));
    c->npending = n;
    pthread_mutex_unlock(&c->vdev.lock);
    return 0;
}
