/* 8254 PIT. Nothing ticks: every channel remembers when it started counting, and its counter and OUT
 * pin are computed from the host clock when read. Only channel 0's OUT is wired to an interrupt
 * (IRQ0), so only it has a timer, armed at its next rising edge. IRQ0 is raised as a pulse on each
 * rising edge of OUT (what the edge-triggered PIC and IOAPIC inputs see); edges missed while the
 * event loop was late are coalesced into one. */
#include <errno.h>
#include <string.h>

#include "hw/pit.h"
#include "migration/vmstate.h"

static uint64_t ch_ticks(const struct pit_channel *c, uint64_t now)
{
    uint64_t t = c->frozen;
    if (c->running && now > c->start_ns)
        t += muldiv64(now - c->start_ns, PIT_HZ, 1000000000ull);
    return t;
}

/* The counting element after d ticks of counting from the loaded count (datasheet, "Mode definitions"). */
static uint16_t ch_counter(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count;
    switch (c->mode) {
    case 2:                    /* rate generator: N, N-1, ..., 1, N, ... */
        return (uint16_t)(n - d % n);
    case 3:                    /* square wave: decrements by two, twice per period */
        return (uint16_t)(n - (2 * d) % n);
    default:                   /* 0, 1, 4, 5: down to 0, then wraps through 0xffff and on */
        return (uint16_t)((n - d) & 0xffff);
    }
}

static bool ch_out(const struct pit_channel *c, uint64_t now)
{
    if (!c->running && (!c->loaded || c->frozen == 0))
        return (c->mode == 2 || c->mode == 3) ? true : c->out_before_load;
    if ((c->mode == 2 || c->mode == 3) && !c->gate)
        return true;           /* gate low forces OUT high in modes 2 and 3 */
    uint64_t d = ch_ticks(c, now), n = c->count;
    switch (c->mode) {
    case 0:                    /* interrupt on terminal count: goes high at 0 and stays */
    case 1:                    /* one-shot: low from the trigger until 0 */
        return d >= n;
    case 2:                    /* low for the one tick at count 1 */
        return d % n != n - 1;
    case 3:                    /* high for the first ceil(N/2) ticks of each period */
        return d % n < (n + 1) / 2;
    default:                   /* 4, 5: strobe, low for the one tick after count 0 */
        return d != n;
    }
}

/* The tick of OUT's first rising edge after tick d, or UINT64_MAX. */
static uint64_t ch_next_rising(const struct pit_channel *c, uint64_t d)
{
    uint64_t n = c->count;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : UINT64_MAX;
    case 2:
    case 3:
        return (d / n + 1) * n;
    default:
        return d < n + 1 ? n + 1 : UINT64_MAX;
    }
}

static void ch_start(struct pit_channel *c, uint64_t now)
{
    c->running = true;
    c->frozen = 0;
    c->start_ns = now;
    c->null_count = false;
}

/* Re-arm channel 0's timer for its first rising edge after host time `from`. Caller holds the lock. */
static void pit_rearm_locked(struct pit *p, uint64_t from)
{
    struct pit_channel *c = &p->ch[0];
    uint64_t deadline = 0;
    c->next_edge = UINT64_MAX;
    if (c->running && c->loaded) {
        uint64_t d = ch_ticks(c, from);
        c->next_edge = ch_next_rising(c, d);
        if (c->next_edge != UINT64_MAX) {
            /* Round up so that, when the timer fires, the tick has really been reached. */
            uint64_t ticks = c->next_edge - c->frozen;
            deadline = c->start_ns + (uint64_t)(((unsigned __int128)ticks * 1000000000ull +
                                                 PIT_HZ - 1) / PIT_HZ);
        }
    }
    clk_timer_arm(p->clk, p->timer, deadline);
}

static void pit_timer_cb(void *opaque)
{
    struct pit *p = opaque;
    pthread_mutex_lock(&p->lock);
    uint64_t now = clk_now(p->clk);
    struct pit_channel *c = &p->ch[0];
    bool fire = c->running && c->next_edge != UINT64_MAX && ch_ticks(c, now) >= c->next_edge;
    /* A guest can program a period of a few ticks; edges closer together than this are merged so
     * IRQ0 cannot keep the event loop busy (KVM's in-kernel PIT has a minimum period too). */
    pit_rearm_locked(p, fire ? now + PIT_MIN_IRQ_INTERVAL_NS : now);
    pthread_mutex_unlock(&p->lock);
    if (fire && p->irq0) {
        p->irq0(p->opaque, 1);
        p->irq0(p->opaque, 0);
    }
}

/* A gate change (only channel 2's gate is wired, to port 0x61 bit 0). */
static void ch_set_gate(struct pit_channel *c, bool gate, uint64_t now)
{
    if (gate == c->gate)
        return;
    c->gate = gate;
    if (!c->loaded)
        return;
    switch (c->mode) {
    case 0:
    case 4:                    /* the gate enables counting: pause and resume */
        if (!gate) {
            c->frozen = ch_ticks(c, now);
            c->running = false;
        } else {
            c->running = true;
            c->start_ns = now;
        }
        break;
    case 2:
    case 3:                    /* low stops counting; a rising edge reloads */
        if (!gate) {
            c->frozen = ch_ticks(c, now);
            c->running = false;
        } else {
            ch_start(c, now);
        }
        break;
    default:                   /* 1, 5: a rising edge (re)triggers */
        if (gate)
            ch_start(c, now);
        break;
    }
}

static void ch_load(struct pit_channel *c, uint32_t val, uint64_t now)
{
    c->count = val ? val : 0x10000;
    c->loaded = true;
    c->frozen = 0;
    c->running = false;
    c->null_count = true;
    /* Modes 0, 2, 3 and 4 start counting on the count write (while the gate is high); 1 and 5 wait
     * for a trigger. A new count in modes 2/3 restarts the period at once here, where the 8254 would
     * finish the current period first. */
    if ((c->mode == 0 || c->mode == 4 || c->mode == 2 || c->mode == 3) && c->gate)
        ch_start(c, now);
    else if (c->mode == 0 || c->mode == 4 || c->mode == 2 || c->mode == 3)
        c->null_count = false;     /* loaded into the counting element, waiting for the gate */
}

static void ch_control(struct pit_channel *c, uint8_t val)
{
    c->rw = (val >> 4) & 3;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;
    c->bcd = val & 1;
    c->loaded = false;
    c->running = false;
    c->frozen = 0;
    c->null_count = true;
    c->write_msb_next = c->read_msb_next = false;
    /* OUT after a control word: low in mode 0, high in every other mode. */
    c->out_before_load = c->mode != 0;
}

static void ch_latch_count(struct pit_channel *c, uint64_t now)
{
    if (c->latched_bytes)
        return;                /* a latched count is held until read */
    c->latched_count = c->loaded ? ch_counter(c, ch_ticks(c, now)) : 0;
    c->latched_bytes = c->rw == 3 ? 2 : 1;
    c->latched_msb_next = c->rw == 2;
}

static void ch_latch_status(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched)
        return;
    c->status = (ch_out(c, now) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) | (c->rw << 4) |
                (c->mode << 1) | (c->bcd ? 1 : 0);
    c->status_latched = true;
}

/* Read-back command (control word with SC = 11): bits 3:1 select channels 2..0, bit 5 clear latches
 * their counts, bit 4 clear their status. */
static void pit_readback(struct pit *p, uint8_t val, uint64_t now)
{
    for (int i = 0; i < 3; i++) {
        if (!(val & (2u << i)))
            continue;
        if (!(val & 0x10))
            ch_latch_status(&p->ch[i], now);
        if (!(val & 0x20))
            ch_latch_count(&p->ch[i], now);
    }
}

static uint8_t ch_read(struct pit_channel *c, uint64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->latched_bytes) {
        uint8_t b = c->latched_msb_next ? c->latched_count >> 8 : c->latched_count & 0xff;
        c->latched_msb_next = !c->latched_msb_next;
        c->latched_bytes--;
        return b;
    }
    uint16_t v = c->loaded ? ch_counter(c, ch_ticks(c, now)) : 0;
    switch (c->rw) {
    case 1:
        return v & 0xff;
    case 2:
        return v >> 8;
    default:
        c->read_msb_next = !c->read_msb_next;
        return c->read_msb_next ? v & 0xff : v >> 8;
    }
}

static void ch_write(struct pit_channel *c, uint8_t val, uint64_t now)
{
    switch (c->rw) {
    case 1:
        ch_load(c, val, now);
        break;
    case 2:
        ch_load(c, (uint32_t)val << 8, now);
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            if (c->mode == 0) {    /* mode 0: writing the first byte stops the count */
                c->frozen = c->running ? ch_ticks(c, now) : c->frozen;
                c->running = false;
                c->loaded = false;
                c->out_before_load = false;
            }
        } else {
            c->write_msb_next = false;
            ch_load(c, c->write_lsb | (uint32_t)val << 8, now);
        }
        break;
    }
}

/* Ports by absolute number (0x40-0x43, 0x61); the bus handlers below map offsets to them. */
static uint8_t pit_port_read(struct pit *p, uint16_t port)
{
    pthread_mutex_lock(&p->lock);
    uint64_t now = clk_now(p->clk);
    uint8_t v = 0xff;
    if (port >= 0x40 && port <= 0x42) {
        v = ch_read(&p->ch[port - 0x40], now);
    } else if (port == 0x61) {
        /* Bit 4 toggles with every DRAM refresh request, every 15.085 us (PIIX4 4.1.14). */
        bool refresh = (now / 15085) & 1;
        v = (p->port61 & 0x0f) | (refresh ? 0x10 : 0) | (ch_out(&p->ch[2], now) ? 0x20 : 0);
    }
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void pit_port_write(struct pit *p, uint16_t port, uint8_t val)
{
    pthread_mutex_lock(&p->lock);
    uint64_t now = clk_now(p->clk);
    if (port >= 0x40 && port <= 0x42) {
        ch_write(&p->ch[port - 0x40], val, now);
    } else if (port == 0x43) {
        unsigned sc = val >> 6;
        if (sc == 3)
            pit_readback(p, val, now);
        else if (((val >> 4) & 3) == 0)
            ch_latch_count(&p->ch[sc], now);   /* counter latch command */
        else
            ch_control(&p->ch[sc], val);
    } else if (port == 0x61) {
        p->port61 = val & 0x0f;
        ch_set_gate(&p->ch[2], val & 1, now);
    }
    if (port != 0x61 && port != 0x42)
        pit_rearm_locked(p, now);
    pthread_mutex_unlock(&p->lock);
}

static uint64_t pit_io_read(void *dev, uint64_t off, unsigned size)
{
    (void)size;
    return pit_port_read(dev, 0x40 + off);
}

static void pit_io_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    pit_port_write(dev, 0x40 + off, val);
}

static uint64_t port61_io_read(void *dev, uint64_t off, unsigned size)
{
    (void)off;
    (void)size;
    return pit_port_read(dev, 0x61);
}

static void port61_io_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)off;
    (void)size;
    pit_port_write(dev, 0x61, val);
}

static const struct io_ops pit_ops = { pit_io_read, pit_io_write };
static const struct io_ops port61_ops = { port61_io_read, port61_io_write };

/* Every channel in mode 3 with count 65536, channel 2's gate low; p->lock held or not yet shared. */
static void power_on(struct pit *p)
{
    uint64_t now = clk_now(p->clk);
    p->port61 = 0;
    for (int i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];
        *c = (struct pit_channel){ .gate = i != 2 };
        ch_control(c, 0x36);   /* LSB then MSB, mode 3 */
        ch_load(c, 0, now);
    }
    pit_rearm_locked(p, now);
}

void pit_reset(struct pit *p)
{
    pthread_mutex_lock(&p->lock);
    power_on(p);
    pthread_mutex_unlock(&p->lock);
}

int pit_init(struct pit *p, const struct plat_clock *clk, void (*irq0)(void *opaque, int level),
             void *opaque)
{
    memset(p, 0, sizeof(*p));
    p->clk = clk;
    p->irq0 = irq0;
    p->opaque = opaque;
    p->timer = clk_timer_new(clk, pit_timer_cb, p);
    if (!p->timer)
        return -ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    power_on(p);
    return 0;
}

void pit_destroy(struct pit *p)
{
    clk_timer_free(p->clk, p->timer);
    p->timer = NULL;
    pthread_mutex_destroy(&p->lock);
}

int pit_map(struct pit *p, struct bus *pio)
{
    int r = bus_map(pio, 0x40, 4, &pit_ops, p, "pit");
    if (!r)
        r = bus_map(pio, 0x61, 1, &port61_ops, p, "port61");
    return r;
}

/* ---- snapshots: each channel's mode, count and progress (8254 datasheet), port 0x61 ----
 * The times are the platform clock's, which a restore carries on from the save (machine/pc-soft.c). */

void pit_save(struct pit *p, struct vms_writer *w)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < 3; i++) {
        const struct pit_channel *c = &p->ch[i];
        uint8_t b[] = { c->mode, c->rw, c->bcd, c->loaded, c->running, c->out_before_load, c->gate,
                        c->write_msb_next, c->read_msb_next, c->write_lsb, c->latched_bytes,
                        c->latched_msb_next, c->status, c->status_latched, c->null_count };
        vms_put_bytes(w, b, sizeof(b));
        vms_put_u32(w, c->count);
        vms_put_u64(w, c->start_ns);
        vms_put_u64(w, c->frozen);
        vms_put_u16(w, c->latched_count);
    }
    vms_put_u8(w, p->port61);
    pthread_mutex_unlock(&p->lock);
}

int pit_load(struct pit *p, struct vms_reader *r)
{
    struct pit_channel ch[3];
    for (int i = 0; i < 3; i++) {
        uint8_t b[15];
        vms_get_bytes(r, b, sizeof(b));
        struct pit_channel *c = &ch[i];
        memset(c, 0, sizeof(*c));
        c->mode = b[0];
        c->rw = b[1];
        c->bcd = b[2] & 1;
        c->loaded = b[3] & 1;
        c->running = b[4] & 1;
        c->out_before_load = b[5] & 1;
        c->gate = b[6] & 1;
        c->write_msb_next = b[7] & 1;
        c->read_msb_next = b[8] & 1;
        c->write_lsb = b[9];
        c->latched_bytes = b[10];
        c->latched_msb_next = b[11] & 1;
        c->status = b[12];
        c->status_latched = b[13] & 1;
        c->null_count = b[14] & 1;
        c->count = vms_get_u32(r);
        c->start_ns = vms_get_u64(r);
        c->frozen = vms_get_u64(r);
        c->latched_count = vms_get_u16(r);
        if (c->mode > 5 || c->rw > 3 || c->latched_bytes > 2 || c->count < 1 || c->count > 65536)
            return -EINVAL;
    }
    uint8_t port61 = vms_get_u8(r);
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < 3; i++)
        p->ch[i] = ch[i];
    p->port61 = port61 & 0x0f;
    pit_rearm_locked(p, clk_now(p->clk));
    pthread_mutex_unlock(&p->lock);
    return 0;
}
