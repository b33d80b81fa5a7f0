/* virtio-console's data path (virtio 1.2, 5.3.6): queue 0/1 are port 0's receive/transmit, 2/3
 * the control queues, then 2 per port from port 1 (5.3.2). What the driver transmits goes to the
 * port's backend as it comes; host input fills the port's receive buffers while the guest has the
 * port open, and the backend is paused (it keeps its bytes) while there are none. */
#include "hw/virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_CONSOLE_F_MULTIPORT 1

/* Queue q's port (or NULL for the control queues), and whether q is its receive queue. */
static struct vcon_port *queue_port(struct virtio_console *c, unsigned q, bool *rx)
{
    unsigned id = q < 2 ? 0 : q < 4 ? VCON_MAX_PORTS : (q - 2) / 2;
    *rx = q % 2 == 0;
    return id < VCON_MAX_PORTS && c->ports[id].present ? &c->ports[id] : NULL;
}

static unsigned rx_queue(uint32_t id)
{
    return id == 0 ? 0 : 2 + 2 * id;
}

/* Transmit: every readable byte of each chain to the backend. */
static int port_tx(struct virtio_console *c, struct vcon_port *p, unsigned qi, const char **why)
{
    struct virtq *q = &c->vdev.queues[qi];
    struct virtq_chain ch;
    bool used = false;
    int r;
    while ((r = virtq_pop(q, &ch, why)) > 0) {
        for (int i = 0; i < ch.n; i++)
            if (!ch.bufs[i].write && ch.bufs[i].len && p)
                chr_link_write(&p->link, ch.bufs[i].hva, ch.bufs[i].len);
        virtq_push(q, ch.head, 0);
        used = true;
    }
    if (used)
        virtio_notify_used_locked(&c->vdev, qi);
    return r;
}

/* Control transmit: each chain is one message (its first 8 readable bytes). */
static int ctrl_tx(struct virtio_console *c, const char **why)
{
    struct virtq *q = &c->vdev.queues[3];
    struct virtq_chain ch;
    bool used = false;
    int r;
    while ((r = virtq_pop(q, &ch, why)) > 0) {
        uint8_t buf[VCON_CTRL_HDR];
        uint32_t at = 0;
        for (int i = 0; i < ch.n && at < sizeof(buf); i++) {
            if (ch.bufs[i].write || !ch.bufs[i].len)   /* a 0-byte buffer has no address */
                continue;
            uint32_t n = sizeof(buf) - at < ch.bufs[i].len ? sizeof(buf) - at : ch.bufs[i].len;
            memcpy(buf + at, ch.bufs[i].hva, n);
            at += n;
        }
        virtq_push(q, ch.head, 0);
        used = true;
        struct vcon_ctrl m;
        if (vcon_ctrl_parse(buf, at, &m) == 0)
            vcon_ctrl_handle_locked(c, &m);   /* a short message is dropped, as QEMU does */
    }
    if (used)
        virtio_notify_used_locked(&c->vdev, 3);
    return r;
}

static void queue_notify(struct virtio_dev *v, unsigned qi)
{
    struct virtio_console *c = v->opaque;
    const char *why = NULL;
    bool rx;
    struct vcon_port *p = queue_port(c, qi, &rx);
    int r = 0;
    if (qi == 2)
        vcon_ctrl_flush_locked(c);
    else if (qi == 3)
        r = ctrl_tx(c, &why);
    else if (rx && p)
        chr_link_accept_input(&p->link);  /* new receive buffers: held input may go in */
    else if (!rx)
        r = port_tx(c, p, qi, &why);
    if (r < 0)
        virtio_needs_reset_locked(v, why);
}

/* Host input for port p: into its receive buffers; returns the bytes taken. */
static size_t port_receive(void *opaque, const uint8_t *buf, size_t n)
{
    struct vcon_port *p = opaque;
    struct virtio_dev *v = &p->owner->vdev;
    unsigned qi = rx_queue(p->id);
    size_t taken = 0;
    const char *why = NULL;
    int r = 0;
    pthread_mutex_lock(&v->lock);
    struct virtq *q = &v->queues[qi];
    if (virtio_running_locked(v) && q->ready && p->guest_open) {
        struct virtq_chain ch;
        while (taken < n && (r = virtq_pop(q, &ch, &why)) > 0) {
            uint32_t put = 0;
            for (int i = 0; i < ch.n && taken < n; i++) {
                if (!ch.bufs[i].write || !ch.bufs[i].len)
                    continue;
                uint32_t k = n - taken < ch.bufs[i].len ? (uint32_t)(n - taken) : ch.bufs[i].len;
                memcpy(ch.bufs[i].hva, buf + taken, k);
                taken += k;
                put += k;
            }
            virtq_push(q, ch.head, put);
        }
        if (taken)
            virtio_notify_used_locked(v, qi);
        if (r < 0)
            virtio_needs_reset_locked(v, why);
    }
    pthread_mutex_unlock(&v->lock);
    return taken;
}

static void reset(struct virtio_dev *v)
{
    struct virtio_console *c = v->opaque;
    c->npending = 0;
    for (unsigned i = 0; i < VCON_MAX_PORTS; i++)
        c->ports[i].guest_open = false;
}

static const struct virtio_dev_ops console_ops = {
    .name = "virtio-serial",
    .device_id = 3,
    .num_queues = 2 * (VCON_MAX_PORTS + 1),
    .features = 1ull << VIRTIO_CONSOLE_F_MULTIPORT,
    .queue_notify = queue_notify,
    .reset = reset,
};

_Static_assert(2 * (VCON_MAX_PORTS + 1) <= VIRTIO_MAX_QUEUES, "virtio-console's queues");

struct virtio_console *virtio_console_new(const struct guest_mem *mem)
{
    struct virtio_console *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->config[4] = VCON_MAX_PORTS;     /* max_nr_ports, le32 at 4; cols/rows 0: unknown */
    virtio_dev_init(&c->vdev, &console_ops, c, mem, c->config, sizeof(c->config));
    return c;
}

int virtio_console_add_port(struct virtio_console *c, bool console, const char *name,
                            struct chr_link link)
{
    unsigned id = console && !c->ports[0].present ? 0 : 1;
    while (id < VCON_MAX_PORTS && c->ports[id].present)
        id++;
    if (id >= VCON_MAX_PORTS)
        return -ENOSPC;
    struct vcon_port *p = &c->ports[id];
    p->present = true;
    p->console = console;
    snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
    p->link = link;
    p->owner = c;
    p->id = id;
    p->fe = (struct chr_frontend){ .receive = port_receive, .opaque = p };
    if (link.set_frontend)
        link.set_frontend(link.be, &p->fe);
    return (int)id;
}

void virtio_console_free(struct virtio_console *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < VCON_MAX_PORTS; i++)
        if (c->ports[i].present && c->ports[i].link.set_frontend)
            c->ports[i].link.set_frontend(c->ports[i].link.be, NULL);
    pthread_mutex_destroy(&c->vdev.lock);
    free(c);
}
