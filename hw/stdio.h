/* The host terminal as a serial line: stdin feeds the UART, its output goes to stdout. */
#ifndef VMON_HW_STDIO_H
#define VMON_HW_STDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/link.h"
#include "hw/term-lines.h"

struct evloop;
struct serial;
struct stdio_chr;

/* Put the terminal (when in_fd is one, and we own the foreground) in raw mode and watch in_fd on
 * loop. The terminal is restored by stdio_chr_free, at exit() and on fatal signals. Ctrl-A x asks
 * stop for STOP_REQ_QUIT. */
struct stdio_chr *stdio_chr_new(struct evloop *loop, const struct stop_link *stop, int in_fd,
                                int out_fd);
void stdio_chr_attach(struct stdio_chr *c, struct serial *s);

/* A second user of the terminal (the human monitor), QEMU's mon:stdio: Ctrl-A c moves the keyboard
 * between the serial line and it, Ctrl-A h prints the escapes. Called on the event-loop thread. */
struct stdio_mux_link {
    void (*input)(void *opaque, const uint8_t *buf, size_t n);   /* bytes typed while it has focus */
    void (*focus)(void *opaque, bool has_focus);
    bool focused;              /* start with the keyboard (QEMU's -monitor stdio) */
    void *opaque;
};
void stdio_chr_set_mux(struct stdio_chr *c, const struct stdio_mux_link *mux);
/* Text for the terminal from the other user (any thread). */
void stdio_chr_write(struct stdio_chr *c, const char *buf, size_t n);
/* Text from a writer beside COM1 (the VGA mirror; any thread), never inside a line COM1 is
 * writing nor while the monitor has the terminal: hw/term-lines.h says what the answers mean. */
enum term_aside stdio_chr_write_aside(struct stdio_chr *c, const char *buf, size_t n, unsigned flags);
void stdio_chr_free(struct stdio_chr *c);
/* serial_link.tx: one byte to out_fd. */
void stdio_chr_tx(void *opaque, uint8_t byte);
/* serial_link.rx_room: the UART can take typed bytes again (any thread; wakes the event loop). */
void stdio_chr_rx_room(void *opaque);

#endif
