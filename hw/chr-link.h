/* How a device with a byte stream (virtio-console's ports) reaches a character backend (chardev/:
 * a file, stdout, a Unix socket) without knowing which: the board hands the device a chr_link and
 * the device registers a chr_frontend on it. QEMU's chardev frontend/backend split, much smaller. */
#ifndef VMON_HW_CHR_LINK_H
#define VMON_HW_CHR_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The device side. Called on the event-loop thread, never with the backend's lock held. */
struct chr_frontend {
    /* Bytes from the host: returns how many were taken; fewer than n pauses the backend (it keeps
     * the rest) until the device calls accept_input. */
    size_t (*receive)(void *opaque, const uint8_t *buf, size_t n);
    void *opaque;
};

struct chr_link {
    /* Bytes to the host; dropped where nobody listens (an unconnected socket). Any thread. */
    void (*write)(void *be, const uint8_t *buf, size_t n);
    /* Register (or with NULL, drop) the device side. Before the VM runs, or on teardown. */
    void (*set_frontend)(void *be, const struct chr_frontend *fe);
    /* The device has room again: the backend delivers what it kept, later, on its own thread
     * (so the caller may hold its lock). */
    void (*accept_input)(void *be);
    void *be;
};

static inline void chr_link_write(const struct chr_link *l, const uint8_t *buf, size_t n)
{
    if (l && l->write)
        l->write(l->be, buf, n);
}

static inline void chr_link_accept_input(const struct chr_link *l)
{
    if (l && l->accept_input)
        l->accept_input(l->be);
}

#endif
