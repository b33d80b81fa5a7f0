/* 16550A UART (the PC's COM ports): registers on the port bus, bytes to and from a backend. */
#ifndef VMON_HW_SERIAL_H
#define VMON_HW_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "mm/bus.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ 4
#define SERIAL_RX_BUF 4096     /* bytes held for the guest: the 16-byte FIFO plus backend buffering */

/* How the UART reaches the outside: its interrupt line and the transmit side of its backend.
 * All are called with the UART's lock held, from the thread of the guest access. rx_room (may be
 * NULL) is flow control: a backend that has it keeps the bytes serial_receive did not take and
 * sends them again once rx_room says the guest has drained the buffer to half (it must not call
 * serial_receive from inside rx_room). Without it, bytes that do not fit overrun (LSR.OE). */
struct serial_link {
    void (*set_irq)(void *opaque, int level);
    void (*tx)(void *opaque, uint8_t byte);
    void (*rx_room)(void *opaque);
    void *opaque;
};

struct serial;

struct serial *serial_new(const struct serial_link *link);
void serial_free(struct serial *s);
struct vms_writer;
struct vms_reader;
/* Snapshots: the registers and the receive FIFO; serial_load: 0 or -EINVAL (a bad section). */
void serial_save(struct serial *s, struct vms_writer *w);
int serial_load(struct serial *s, struct vms_reader *r);
/* Bytes from the backend (any thread); returns how many fit. The rest wait in the backend for
 * link.rx_room or, with no rx_room, overrun the FIFO. */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/* 8 registers from the UART's base port; dev is the struct serial. */
extern const struct io_ops serial_io_ops;

#endif
