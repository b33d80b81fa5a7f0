/* virtio-console's control queues (virtio 1.2, 5.3.6.2): the driver says DEVICE_READY, the device
 * announces each port (DEVICE_ADD); on the driver's PORT_READY it tells which port is a console
 * (CONSOLE_PORT), its name (PORT_NAME) and that the host side is open (PORT_OPEN); the driver's
 * PORT_OPEN says the guest opened it. Messages come from the guest and are checked: an unknown
 * port or event is ignored, as Linux's and QEMU's do. */
#include "hw/virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void put_le(uint8_t *p, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int vcon_ctrl_parse(const uint8_t *buf, size_t n, struct vcon_ctrl *m)
{
    if (n < VCON_CTRL_HDR)
        return -EINVAL;
    m->id = get_le(buf, 4);
    m->event = (uint16_t)get_le(buf + 4, 2);
    m->value = (uint16_t)get_le(buf + 6, 2);
    return 0;
}

void vcon_ctrl_flush_locked(struct virtio_console *c)
{
    struct virtio_dev *v = &c->vdev;
    struct virtq *q = &v->queues[2];
    struct virtq_chain ch;
    const char *why = NULL;
    unsigned done = 0;
    int r = 0;
    if (!virtio_running_locked(v) || !q->ready)
        return;
    while (done < c->npending && (r = virtq_pop(q, &ch, &why)) > 0) {
        const struct vcon_msg *m = &c->pending[done++];
        uint32_t at = 0;
        for (int i = 0; i < ch.n && at < m->len; i++) {
            if (!ch.bufs[i].write || !ch.bufs[i].len)  /* a 0-byte buffer has no address */
                continue;
            uint32_t n = m->len - at < ch.bufs[i].len ? m->len - at : ch.bufs[i].len;
            memcpy(ch.bufs[i].hva, m->buf + at, n);
            at += n;
        }
        virtq_push(q, ch.head, at);
    }
    memmove(c->pending, c->pending + done, (c->npending - done) * sizeof(c->pending[0]));
    c->npending -= done;
    if (done)
        virtio_notify_used_locked(v, 2);
    if (r < 0)
        virtio_needs_reset_locked(v, why);
}

void vcon_ctrl_send_locked(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value,
                           const char *name)
{
    if (c->npending == VCON_PENDING) {
        if (!c->dropped++)
            fprintf(stderr, "vmon: virtio-console: the driver takes no control messages; dropping\n");
        return;
    }
    struct vcon_msg *m = &c->pending[c->npending++];
    put_le(m->buf, id, 4);
    put_le(m->buf + 4, event, 2);
    put_le(m->buf + 6, value, 2);
    size_t n = name ? strnlen(name, VCON_NAME_MAX) : 0;
    memcpy(m->buf + VCON_CTRL_HDR, name ? name : "", n);
    m->len = (uint8_t)(VCON_CTRL_HDR + n);
    vcon_ctrl_flush_locked(c);
}

static void port_ready(struct virtio_console *c, struct vcon_port *p)
{
    if (p->console)
        vcon_ctrl_send_locked(c, p->id, VCON_CONSOLE_PORT, 1, NULL);
    if (p->name[0])
        vcon_ctrl_send_locked(c, p->id, VCON_PORT_NAME, 1, p->name);
    vcon_ctrl_send_locked(c, p->id, VCON_PORT_OPEN, 1, NULL);   /* the host side is always open */
}

void vcon_ctrl_handle_locked(struct virtio_console *c, const struct vcon_ctrl *m)
{
    struct vcon_port *p = m->id < VCON_MAX_PORTS && c->ports[m->id].present ? &c->ports[m->id]
                                                                             : NULL;
    switch (m->event) {
    case VCON_DEVICE_READY:
        if (m->value != 1)
            return;
        for (unsigned i = 0; i < VCON_MAX_PORTS; i++)
            if (c->ports[i].present)
                vcon_ctrl_send_locked(c, i, VCON_DEVICE_ADD, 0, NULL);
        return;
    case VCON_PORT_READY:
        if (p && m->value == 1)
            port_ready(c, p);
        return;
    case VCON_PORT_OPEN:
        if (!p)
            return;
        p->guest_open = m->value != 0;
        if (p->guest_open)
            chr_link_accept_input(&p->link);   /* held host input may flow now */
        return;
    default:                            /* RESIZE and the like: nothing to do */
        return;
    }
}
