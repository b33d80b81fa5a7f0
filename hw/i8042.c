/* i8042 keyboard controller (IBM PC/AT Technical Reference, "Keyboard controller"): the status and
 * command port 0x64, the data port 0x60, the controller command byte with its translation bit,
 * and the PS/2 keyboard behind it (hw/ps2-kbd.c), whose keys the monitor presses. What matters most: command 0xfe (pulse the reset line), which Linux's
 * reboot=k uses, and the output-port write (0xd1) with bit 0 clear, which also resets.
 * With it, the PS/2 machines' System Control Port A at 0x92 (IBM PS/2 Hardware Interface Technical
 * Reference; the PIIX keeps it): the "fast" way to the same two lines the output port drives, bit 1
 * the A20 gate and bit 0 a reset on its 0 -> 1 edge. A20 reads back as set, but vmon does not mask
 * address bit 20 when it is clear (neither does KVM): guests of the last 30 years only enable it.
 * Lock: k->lock, from vCPU threads; the IRQ line is set inside it. */
#include "hw/i8042.h"
#include "migration/vmstate.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STS_OBF 0x01           /* output buffer full */
#define STS_SYS 0x04           /* system flag: self-test passed */
#define STS_CMD 0x08           /* last write was to the command port */
#define STS_UNLOCKED 0x10      /* keyboard not inhibited by the keylock */

#define CTR_KBD_INT 0x01       /* command byte: IRQ 1 on keyboard data */
#define CTR_SYS 0x04
#define CTR_KBD_DISABLE 0x10
#define CTR_AUX_DISABLE 0x20
#define CTR_XLATE 0x40         /* translate the keyboard's set 2 into set 1 */

#define OUTP_RESET 0x01        /* output port: CPU reset line, active low */
#define OUTP_A20   0x02        /* output port and port 0x92: the A20 gate */
#define P92_RESET  0x01        /* port 0x92: fast reset on a 0 -> 1 write */

#define OUTQ 16

struct i8042 {
    struct irq_line irq_line;
    struct stop_link stop;
    pthread_mutex_t lock;
    uint8_t ctr;               /* controller command byte */
    uint8_t status;
    uint8_t pending_cmd;       /* a command waiting for its data byte on 0x60, or 0 */
    uint8_t outp;              /* output port (OUTP_*) */
    uint8_t port92;            /* System Control Port A */
    uint8_t outq[OUTQ];        /* the controller's own replies, ahead of the keyboard's bytes */
    int out_head, out_count;
    struct ps2_kbd kbd;
    bool irq;
};

static bool has_data(const struct i8042 *k)
{
    return k->out_count || (k->kbd.count && !(k->ctr & CTR_KBD_DISABLE));
}

static void update_irq(struct i8042 *k)
{
    bool level = has_data(k) && (k->ctr & CTR_KBD_INT);
    if (level != k->irq) {
        k->irq = level;
        irq_line_set(&k->irq_line, level);
    }
}

static void push(struct i8042 *k, uint8_t b)
{
    if (k->out_count < OUTQ) {
        k->outq[(k->out_head + k->out_count) % OUTQ] = b;
        k->out_count++;
    }
}

static void controller_reset(struct i8042 *k)
{
    stop_link_request(&k->stop, STOP_REQ_RESET, 0);
}

static void command(struct i8042 *k, uint8_t cmd)
{
    switch (cmd) {
    case 0x20: push(k, k->ctr); break;                 /* read command byte */
    case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        k->pending_cmd = cmd; break;                   /* data byte follows on 0x60 */
    /* Enabling and disabling a port shows in the command byte, where Linux checks it took. */
    case 0xa7: k->ctr |= CTR_AUX_DISABLE; break;
    case 0xa8: k->ctr &= (uint8_t)~CTR_AUX_DISABLE; break;
    case 0xa9: push(k, 0xff); break;                   /* aux interface test: no mouse */
    case 0xaa: push(k, 0x55); k->status |= STS_SYS; break;   /* self test passed */
    case 0xab: push(k, 0x00); break;                   /* keyboard interface test: ok */
    case 0xad: k->ctr |= CTR_KBD_DISABLE; break;
    case 0xae: k->ctr &= (uint8_t)~CTR_KBD_DISABLE; break;
    case 0xc0: push(k, 0x00); break;                   /* read input port */
    case 0xd0: push(k, k->outp); break;                /* read output port */
    default:
        /* 0xf0-0xff pulse output-port lines for the bits that are 0; bit 0 is the CPU reset. */
        if (cmd >= 0xf0 && !(cmd & 1))
            controller_reset(k);
        break;
    }
}

static void data_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;
    k->pending_cmd = 0;
    switch (cmd) {
    case 0x60: k->ctr = v; break;
    case 0xd1:                                             /* write output port */
        k->outp = v | OUTP_RESET;
        if (!(v & OUTP_RESET))
            controller_reset(k);
        break;
    case 0xd2: push(k, v); break;                          /* echo as keyboard data */
    case 0xd3: case 0xd4: break;                           /* to the (absent) mouse */
    default: ps2_kbd_write(&k->kbd, v); break;           /* to the keyboard */
    }
}

/* is_data: port 0x60 (the two ports are separate windows: 0x61 belongs to the PIT's speaker gate). */
static uint8_t i8042_access(struct i8042 *k, bool is_data, bool write, uint8_t val)
{
    uint8_t v = 0;
    pthread_mutex_lock(&k->lock);
    if (write) {
        if (is_data) {
            k->status &= (uint8_t)~STS_CMD;
            data_write(k, val);
        } else {
            k->status |= STS_CMD;
            command(k, val);
        }
        update_irq(k);
    } else if (is_data) {
        if (k->out_count) {
            v = k->outq[k->out_head];
            k->out_head = (k->out_head + 1) % OUTQ;
            k->out_count--;
        } else if (!(k->ctr & CTR_KBD_DISABLE))
            ps2_kbd_pop(&k->kbd, &v);
        /* Reading empties the output buffer, which drops IRQ 1; the next byte moving in raises it
         * again: an edge per byte for the edge-triggered PIC. */
        if (k->irq) {
            k->irq = false;
            irq_line_set(&k->irq_line, 0);
        }
        update_irq(k);
    } else {
        v = k->status | (has_data(k) ? STS_OBF : 0);
    }
    pthread_mutex_unlock(&k->lock);
    return v;
}

static uint64_t data_rd(void *dev, uint64_t off, unsigned size)
{
    (void)off; (void)size;
    return i8042_access(dev, true, false, 0);
}

static void data_wr(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)off; (void)size;
    i8042_access(dev, true, true, (uint8_t)val);
}

static uint64_t cmd_rd(void *dev, uint64_t off, unsigned size)
{
    (void)off; (void)size;
    return i8042_access(dev, false, false, 0);
}

static void cmd_wr(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)off; (void)size;
    i8042_access(dev, false, true, (uint8_t)val);
}

/* Port 0x92: bits 1 (A20) and 0 (reset) are the ones PC chipsets keep; bit 0 reads back as written
 * until the reset it starts takes the machine down. */
static uint64_t port92_rd(void *dev, uint64_t off, unsigned size)
{
    struct i8042 *k = dev;
    (void)off; (void)size;
    pthread_mutex_lock(&k->lock);
    uint8_t v = k->port92;
    pthread_mutex_unlock(&k->lock);
    return v;
}

static void port92_wr(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct i8042 *k = dev;
    (void)off; (void)size;
    pthread_mutex_lock(&k->lock);
    uint8_t old = k->port92;
    k->port92 = (uint8_t)val & (OUTP_A20 | P92_RESET);
    if ((k->port92 & P92_RESET) && !(old & P92_RESET))
        controller_reset(k);
    pthread_mutex_unlock(&k->lock);
}

static const struct io_ops data_ops = { .read = data_rd, .write = data_wr };
static const struct io_ops cmd_ops = { .read = cmd_rd, .write = cmd_wr };
static const struct io_ops port92_ops = { .read = port92_rd, .write = port92_wr };

struct i8042 *i8042_new(const struct irq_line *irq, const struct stop_link *stop)
{
    struct i8042 *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->irq_line = *irq;
    k->stop = *stop;
    pthread_mutex_init(&k->lock, NULL);
    k->ctr = CTR_KBD_INT | CTR_SYS;
    k->status = STS_SYS | STS_UNLOCKED;
    k->outp = OUTP_RESET | OUTP_A20;   /* as firmware leaves it: A20 on */
    k->port92 = OUTP_A20;
    ps2_kbd_reset(&k->kbd);
    return k;
}

int i8042_map(struct i8042 *k, struct bus *pio)
{
    int r = bus_map(pio, I8042_DATA, 1, &data_ops, k, "i8042-data");
    if (r == 0)
        r = bus_map(pio, I8042_CMD, 1, &cmd_ops, k, "i8042-cmd");
    if (r == 0)
        r = bus_map(pio, SYSCTL_PORT_A, 1, &port92_ops, k, "port92");
    return r;
}

int i8042_key(struct i8042 *k, const char *name, bool down)
{
    const struct ps2_key *key = ps2_key_by_name(name);
    if (!key)
        return -EINVAL;
    pthread_mutex_lock(&k->lock);
    ps2_kbd_key(&k->kbd, key, down, (k->ctr & CTR_XLATE) != 0);
    update_irq(k);
    pthread_mutex_unlock(&k->lock);
    return 0;
}

void i8042_free(struct i8042 *k)
{
    if (!k)
        return;
    pthread_mutex_destroy(&k->lock);
    free(k);
}

/* ---- snapshots: command byte, status, the pending command, output port, port 0x92 and the output
 * queue ---- */

void i8042_save(struct i8042 *k, struct vms_writer *w)
{
    pthread_mutex_lock(&k->lock);
    uint8_t b[] = { k->ctr, k->status, k->pending_cmd, k->outp, k->port92, (uint8_t)k->out_count };
    vms_put_bytes(w, b, sizeof(b));
    for (int i = 0; i < k->out_count; i++)
        vms_put_u8(w, k->outq[(k->out_head + i) % OUTQ]);
    pthread_mutex_unlock(&k->lock);
}

int i8042_load(struct i8042 *k, struct vms_reader *r)
{
    uint8_t b[6], q[OUTQ];
    vms_get_bytes(r, b, sizeof(b));
    if (b[5] > OUTQ)
        return -EINVAL;
    vms_get_bytes(r, q, b[5]);
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&k->lock);
    k->ctr = b[0];
    k->status = b[1];
    k->pending_cmd = b[2];
    k->outp = b[3];
    k->port92 = b[4];
    memcpy(k->outq, q, b[5]);
    k->out_head = 0;
    k->out_count = b[5];
    update_irq(k);
    pthread_mutex_unlock(&k->lock);
    return 0;
}

void i8042_kbd_save(struct i8042 *k, struct vms_writer *w)
{
    pthread_mutex_lock(&k->lock);
    ps2_kbd_save(&k->kbd, w);
    pthread_mutex_unlock(&k->lock);
}

int i8042_kbd_load(struct i8042 *k, struct vms_reader *r)
{
    pthread_mutex_lock(&k->lock);
    int e = ps2_kbd_load(&k->kbd, r);
    if (e == 0)
        update_irq(k);
    pthread_mutex_unlock(&k->lock);
    return e;
}
