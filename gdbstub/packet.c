/* The gdb remote protocol's framing (GDB manual, E.1 "Overview"): a byte-at-a-time receiver that
 * never reads past its buffer, the framer for replies, and hex helpers. Everything received is
 * hostile: a body longer than GDB_PACKET_MAX is dropped whole and answered '-'. */
#include "gdbstub/packet.h"

#include <string.h>

enum { RX_IDLE, RX_DATA, RX_ESC, RX_CS1, RX_CS2 };

void gdb_rx_init(struct gdb_rx *rx)
{
    rx->state = RX_IDLE;
    rx->len = 0;
    rx->overflow = false;
    rx->buf[0] = 0;
}

static void rx_put(struct gdb_rx *rx, char c)
{
    if (rx->len < GDB_PACKET_MAX)
        rx->buf[rx->len++] = c;
    else
        rx->overflow = true;
}

int gdb_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
    switch (rx->state) {
    case RX_IDLE:
        if (c == '$') {
            rx->state = RX_DATA;
            rx->len = 0;
            rx->sum = 0;
            rx->overflow = false;
        }
        return c == 0x03 ? GDB_RX_INTERRUPT : c == '+' ? GDB_RX_ACK : c == '-' ? GDB_RX_NAK : GDB_RX_NONE;
    case RX_DATA:
        if (c == '#') {
            rx->state = RX_CS1;
            return GDB_RX_NONE;
        }
        if (c == '$') {            /* a new packet before the end of this one: start over */
            rx->len = 0;
            rx->sum = 0;
            rx->overflow = false;
            return GDB_RX_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + c);
        if (c == '}')
            rx->state = RX_ESC;
        else
            rx_put(rx, (char)c);
        return GDB_RX_NONE;
    case RX_ESC:
        rx->sum = (uint8_t)(rx->sum + c);
        rx_put(rx, (char)(c ^ 0x20));
        rx->state = RX_DATA;
        return GDB_RX_NONE;
    case RX_CS1: {
        int hi = gdb_hexval((char)c);
        rx->csum = (uint8_t)(hi < 0 ? 0 : hi << 4);
        rx->overflow |= hi < 0;    /* not a checksum: the packet is answered '-' */
        rx->state = RX_CS2;
        return GDB_RX_NONE;
    }
    default: {
        int lo = gdb_hexval((char)c);
        rx->state = RX_IDLE;
        rx->buf[rx->len] = 0;
        if (lo < 0 || rx->overflow || (uint8_t)(rx->csum | lo) != rx->sum)
            return GDB_RX_BAD;
        return GDB_RX_PACKET;
    }
    }
}

size_t gdb_frame(const char *body, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    uint8_t sum = 0;
    if (cap < 4)
        return 0;
    out[o++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)body[i];
        bool esc = c == '#' || c == '$' || c == '}' || c == '*';
        if (o + (esc ? 2 : 1) + 3 > cap)
            return 0;
        if (esc) {
            out[o++] = '}';
            sum = (uint8_t)(sum + '}');
            c ^= 0x20;
        }
        out[o++] = (char)c;
        sum = (uint8_t)(sum + c);
    }
    out[o++] = '#';
    out[o++] = hex[sum >> 4];
    out[o++] = hex[sum & 15];
    return o;
}

void gdb_tohex(const void *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = 0;
}

int gdb_fromhex(const char *in, size_t n, void *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        int hi = gdb_hexval(in[2 * i]), lo = hi < 0 ? -1 : gdb_hexval(in[2 * i + 1]);
        if (lo < 0)
            return -1;
        p[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int gdb_parse_hex(const char *s, uint64_t *v, const char **end)
{
    uint64_t x = 0;
    int n = 0;
    while (gdb_hexval(s[n]) >= 0) {
        if (n == 16)
            return -1;
        x = x << 4 | (uint64_t)gdb_hexval(s[n]);
        n++;
    }
    if (!n)
        return -1;
    *v = x;
    if (end)
        *end = s + n;
    return 0;
}
