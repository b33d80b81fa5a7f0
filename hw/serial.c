/* 16550A UART, as PC16550D datasheet (National Semiconductor, 1995) describes its registers.
 *
 * Transmission is instantaneous: a THR write goes straight to the backend, so THR and the shift
 * register are always empty (LSR THRE|TEMT) and the THRE interrupt re-arms at once. Received bytes
 * wait in a buffer larger than the 16-byte FIFO (the backend's buffering); the FIFO trigger level
 * decides between the "data available" and "character timeout" interrupt identities. A full
 * buffer pushes back on a backend with flow control (link.rx_room) instead of dropping bytes, as a
 * host that stops reading its side of the line.
 * Lock: s->lock, taken by bus dispatch (vCPU threads) and serial_receive (event loop); set_irq and
 * tx are called inside it. */
#include "hw/serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "migration/vmstate.h"

enum {                         /* register offsets (datasheet Table II) */
    UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
    UART_IER = 1, UART_DLM = 1,
    UART_IIR = 2, UART_FCR = 2,
    UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define IER_RDI 0x01           /* received data available */
#define IER_THRI 0x02          /* transmitter holding register empty */
#define IER_RLSI 0x04          /* receiver line status */
#define IER_MSI 0x08           /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct serial {
    pthread_mutex_t lock;
    struct serial_link link;
    uint8_t ier, lcr, mcr, lsr_err, scr, fcr;
    uint16_t divisor;
    bool thr_ipending;         /* THRE interrupt pending until IIR read or THR write */
    bool irq_level;
    bool rx_waiting;           /* the backend holds bytes that did not fit: tell it of room */
    uint8_t rx[SERIAL_RX_BUF];
    size_t rx_head, rx_count;
};

static const uint8_t fifo_trigger[4] = { 1, 4, 8, 14 };

/* Highest-priority pending source (datasheet Table IV), or IIR_NO_INT. */
static uint8_t pending_id(const struct serial *s)
{
    if ((s->ier & IER_RLSI) && s->lsr_err)
        return IIR_RLSI;
    if ((s->ier & IER_RDI) && s->rx_count) {
        if (!(s->fcr & FCR_ENABLE) || s->rx_count >= fifo_trigger[s->fcr >> 6])
            return IIR_RDI;
        return IIR_TIMEOUT;
    }
    if ((s->ier & IER_THRI) && s->thr_ipending)
        return IIR_THRI;
    return IIR_NO_INT;
}

static void update_irq(struct serial *s)
{
    bool level = pending_id(s) != IIR_NO_INT;
    if (level != s->irq_level) {
        s->irq_level = level;
        s->link.set_irq(s->link.opaque, level);
    }
}

static void rx_push(struct serial *s, uint8_t b)
{
    if (s->rx_count == SERIAL_RX_BUF) {
        s->lsr_err |= LSR_OE;
        return;
    }
    s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_BUF] = b;
    s->rx_count++;
}

static uint8_t rx_pop(struct serial *s)
{
    if (!s->rx_count)
        return 0;
    uint8_t b = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_RX_BUF;
    s->rx_count--;
    return b;
}

/* The guest took bytes: a backend holding the ones that did not fit may send them again. */
static void rx_room_check(struct serial *s)
{
    if (s->rx_waiting && s->rx_count <= SERIAL_RX_BUF / 2) {
        s->rx_waiting = false;
        s->link.rx_room(s->link.opaque);
    }
}

static uint8_t modem_status(const struct serial *s)
{
    if (s->mcr & MCR_LOOP) {   /* loopback wires the modem outputs back to the inputs (8.6) */
        uint8_t m = 0;
        if (s->mcr & MCR_RTS) m |= MSR_CTS;
        if (s->mcr & MCR_DTR) m |= MSR_DSR;
        if (s->mcr & MCR_OUT1) m |= MSR_RI;
        if (s->mcr & MCR_OUT2) m |= MSR_DCD;
        return m;
    }
    return MSR_DCD | MSR_DSR | MSR_CTS;   /* a connected terminal */
}

static uint64_t serial_read(void *dev, uint64_t off, unsigned size)
{
    struct serial *s = dev;
    uint8_t v = 0xff;
    (void)size;
    pthread_mutex_lock(&s->lock);
    switch (off) {
    case UART_RBR:
        if (s->lcr & LCR_DLAB) {
            v = (uint8_t)s->divisor;
        } else {
            v = rx_pop(s);
            update_irq(s);
            rx_room_check(s);
        }
        break;
    case UART_IER:
        v = (s->lcr & LCR_DLAB) ? (uint8_t)(s->divisor >> 8) : s->ier;
        break;
    case UART_IIR:
        v = pending_id(s);
        /* Reading IIR while THRE is the reported source acknowledges it (Table IV). */
        if (v == IIR_THRI) {
            s->thr_ipending = false;
            update_irq(s);
        }
        if (s->fcr & FCR_ENABLE)
            v |= IIR_FIFO_ON;
        break;
    case UART_LCR:
        v = s->lcr;
        break;
    case UART_MCR:
        v = s->mcr;
        break;
    case UART_LSR:
        v = LSR_THRE | LSR_TEMT | s->lsr_err | (s->rx_count ? LSR_DR : 0);
        s->lsr_err = 0;        /* error bits clear on read */
        update_irq(s);
        break;
    case UART_MSR:
        v = modem_status(s);
        break;
    case UART_SCR:
        v = s->scr;
        break;
    }
    pthread_mutex_unlock(&s->lock);
    return v;
}

static void serial_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct serial *s = dev;
    uint8_t v = (uint8_t)val;
    (void)size;
    pthread_mutex_lock(&s->lock);
    switch (off) {
    case UART_THR:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
            break;
        }
        /* The write acknowledges THRE; the byte leaves at once, so THRE comes back: an edge. */
        s->thr_ipending = false;
        update_irq(s);
        if (s->mcr & MCR_LOOP)
            rx_push(s, v);
        else
            s->link.tx(s->link.opaque, v);
        s->thr_ipending = true;
        update_irq(s);
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0x00ff) | (v << 8));
            break;
        }
        /* Enabling THRI while the THR is empty raises THRE at once, as Linux's 8250 probe expects. */
        if ((v & IER_THRI) && !(s->ier & IER_THRI))
            s->thr_ipending = true;
        s->ier = v & 0x0f;
        update_irq(s);
        break;
    case UART_FCR:
        if (v & FCR_CLEAR_RX) {
            s->rx_head = s->rx_count = 0;
        }
        s->fcr = v & 0xc9;     /* enable, DMA mode, trigger level; the clear bits self-reset */
        if (!(v & FCR_ENABLE))
            s->fcr = 0;
        update_irq(s);
        rx_room_check(s);
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        break;
    case UART_LSR:
    case UART_MSR:
        break;                 /* read-only (factory test use) */
    case UART_SCR:
        s->scr = v;
        break;
    }
    pthread_mutex_unlock(&s->lock);
}

const struct io_ops serial_io_ops = { .read = serial_read, .write = serial_write };

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    /* In loopback the receiver is disconnected from the line (8.6): the bytes are lost. */
    if (!(s->mcr & MCR_LOOP)) {
        for (; n < len && s->rx_count < SERIAL_RX_BUF; n++)
            rx_push(s, buf[n]);
        if (n < len && s->link.rx_room)
            s->rx_waiting = true;
        else if (n < len)
            s->lsr_err |= LSR_OE;
    }
    update_irq(s);
    pthread_mutex_unlock(&s->lock);
    return n;
}

struct serial *serial_new(const struct serial_link *link)
{
    struct serial *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->link = *link;
    s->divisor = 12;           /* 9600 baud, the power-on value firmware would leave */
    s->lcr = 0x03;             /* 8N1 */
    s->thr_ipending = true;
    return s;
}

void serial_free(struct serial *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- snapshots: the 16550A's registers (datasheet Table II) and the receive FIFO ---- */

void serial_save(struct serial *s, struct vms_writer *w)
{
    pthread_mutex_lock(&s->lock);
    uint8_t regs[] = { s->ier, s->lcr, s->mcr, s->lsr_err, s->scr, s->fcr, s->thr_ipending };
    vms_put_bytes(w, regs, sizeof(regs));
    vms_put_u16(w, s->divisor);
    vms_put_u16(w, (uint16_t)s->rx_count);
    for (size_t i = 0; i < s->rx_count; i++)
        vms_put_u8(w, s->rx[(s->rx_head + i) % SERIAL_RX_BUF]);
    pthread_mutex_unlock(&s->lock);
}

int serial_load(struct serial *s, struct vms_reader *r)
{
    uint8_t regs[7];
    vms_get_bytes(r, regs, sizeof(regs));
    uint16_t divisor = vms_get_u16(r), n = vms_get_u16(r);
    if (n > SERIAL_RX_BUF)
        return -EINVAL;
    uint8_t rx[SERIAL_RX_BUF];
    vms_get_bytes(r, rx, n);
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    s->ier = regs[0] & 0x0f;
    s->lcr = regs[1];
    s->mcr = regs[2] & 0x1f;
    s->lsr_err = regs[3] & 0x1e;
    s->scr = regs[4];
    s->fcr = regs[5] & 0xc9;
    s->thr_ipending = regs[6] & 1;
    s->divisor = divisor;
    memcpy(s->rx, rx, n);
    s->rx_head = 0;
    s->rx_count = n;
    update_irq(s);
    rx_room_check(s);          /* a backend waiting on the old contents may send now */
    pthread_mutex_unlock(&s->lock);
    return 0;
}
