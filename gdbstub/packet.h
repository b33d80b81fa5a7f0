/* The gdb remote protocol's framing (GDB manual, Appendix E.1 "Overview"): $data#cs packets with a
 * modulo-256 checksum, '}' escapes (byte ^ 0x20), '+'/'-' acknowledgements and the 0x03 interrupt
 * byte; plus the hex helpers every packet body uses. Pure: no I/O. */
#ifndef VMON_GDBSTUB_PACKET_H
#define VMON_GDBSTUB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_PACKET_MAX 16384       /* what qSupported's PacketSize announces: the longest body */

enum gdb_rx_event {
    GDB_RX_NONE,                   /* byte taken, nothing complete */
    GDB_RX_PACKET,                 /* rx->buf[0..len) holds a packet body, NUL-terminated */
    GDB_RX_BAD,                    /* a packet with a wrong checksum or too long: answer '-' */
    GDB_RX_INTERRUPT,              /* 0x03 outside a packet: stop the target */
    GDB_RX_ACK, GDB_RX_NAK,        /* '+' / '-' outside a packet */
};

struct gdb_rx {
    int state;
    uint8_t sum, csum;             /* running checksum of the raw bytes; the one sent */
    bool overflow;
    size_t len;
    char buf[GDB_PACKET_MAX + 1];
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* Frame body[0..len) as $...#cs into out (escaping #, $, } and *); returns the framed length, or 0
 * when out (cap bytes) is too small. */
size_t gdb_frame(const char *body, size_t len, char *out, size_t cap);

/* Hex: one digit's value or -1; n bytes as 2n lowercase digits (out gets a NUL); 2n digits to n
 * bytes (-1 on a bad digit); a hex number up to a non-hex byte (*end after it; -1 when none or
 * more than 16 digits). */
int gdb_hexval(char c);
void gdb_tohex(const void *in, size_t n, char *out);
int gdb_fromhex(const char *in, size_t n, void *out);
int gdb_parse_hex(const char *s, uint64_t *v, const char **end);

#endif
