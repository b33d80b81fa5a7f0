/* virtio-console (virtio 1.2, 5.3) with VIRTIO_CONSOLE_F_MULTIPORT: up to VCON_MAX_PORTS ports,
 * each a byte stream to a character backend (hw/chr-link.h), announced to the driver over the
 * control queues. A port marked console becomes the guest's hvcN (console=hvc0). */
#ifndef VMON_HW_VIRTIO_CONSOLE_H
#define VMON_HW_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "hw/chr-link.h"
#include "hw/virtio/virtio.h"

#define VCON_MAX_PORTS 4               /* queues: 2 per port + 2 control <= VIRTIO_MAX_QUEUES */
#define VCON_NAME_MAX  63
#define VCON_PENDING   32              /* control messages waiting for the driver's buffers */
#define VCON_CTRL_HDR  8

/* 5.3.6.2: the control message: le32 id, le16 event, le16 value (a name may follow). */
enum {
    VCON_DEVICE_READY = 0, VCON_DEVICE_ADD = 1, VCON_DEVICE_REMOVE = 2, VCON_PORT_READY = 3,
    VCON_CONSOLE_PORT = 4, VCON_RESIZE = 5, VCON_PORT_OPEN = 6, VCON_PORT_NAME = 7,
};

struct vcon_ctrl {
    uint32_t id;
    uint16_t event, value;
};

struct vcon_port {
    bool present, console;
    char name[VCON_NAME_MAX + 1];
    struct chr_link link;
    struct chr_frontend fe;
    bool guest_open;
    struct virtio_console *owner;
    uint32_t id;
};

struct vcon_msg {
    uint8_t len;
    uint8_t buf[VCON_CTRL_HDR + VCON_NAME_MAX];
};

struct virtio_console {
    struct virtio_dev vdev;
    uint8_t config[12];                /* cols, rows, max_nr_ports, emerg_wr */
    struct vcon_port ports[VCON_MAX_PORTS];
    struct vcon_msg pending[VCON_PENDING];
    unsigned npending;
    unsigned dropped;                  /* control messages lost to a full pending list */
};

struct virtio_console *virtio_console_new(const struct guest_mem *mem);
/* A port on link (registers the device's frontend there): a console takes id 0 when free, other
 * ports the lowest free id from 1. Before the VM runs. Returns the id or -ENOSPC. */
int virtio_console_add_port(struct virtio_console *c, bool console, const char *name,
                            struct chr_link link);
void virtio_console_free(struct virtio_console *c);

/* The control queue's side (console-ctrl.c). Parse: 0, or -EINVAL when n < 8. Pure. */
int vcon_ctrl_parse(const uint8_t *buf, size_t n, struct vcon_ctrl *m);
/* A message from the driver; replies go to the pending list. v->lock held. */
void vcon_ctrl_handle_locked(struct virtio_console *c, const struct vcon_ctrl *m);
/* Queue a message to the driver (name: NULL or a string appended) and flush. v->lock held. */
void vcon_ctrl_send_locked(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value,
                           const char *name);
/* Move pending messages into the driver's control receive buffers. v->lock held. */
void vcon_ctrl_flush_locked(struct virtio_console *c);

/* console-state.c, snapshots (issue 18), before the transport's part of the device's section and with
 * the device held: the ports as the driver knows them, which the guest opened, the pending control
 * messages. load: 0, or -EINVAL for a bad section or one saved with other ports. */
struct vms_writer;
struct vms_reader;
void virtio_console_save(struct virtio_console *c, struct vms_writer *w);
int virtio_console_load(struct virtio_console *c, struct vms_reader *r);

#endif
