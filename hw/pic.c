/* 8259A PIC pair with ELCR. The model is the datasheet's: IRR latches requests (on an edge, or while
 * the line is high for level-triggered inputs), IMR masks them, ISR remembers what is being served,
 * and the priority resolver picks the highest request above everything in service. */
#include <errno.h>
#include <string.h>

#include "hw/pic.h"
#include "migration/vmstate.h"

/* Priority of the highest-priority bit set in mask, 0 (highest) .. 7, or 8 for none. With rotation the
 * highest-priority input is `lowest` (the one after the last rotated-to-lowest). */
static int chip_priority(const struct pic_chip *c, uint8_t mask)
{
    if (!mask)
        return 8;
    int prio = 0;
    while (!(mask & (1u << ((prio + c->lowest) & 7))))
        prio++;
    return prio;
}

/* The input the chip would signal now, or -1. */
static int chip_pending_irq(const struct pic_chip *c)
{
    int prio = chip_priority(c, c->irr & ~c->imr);
    if (prio == 8)
        return -1;
    uint8_t in_service = c->isr;
    /* Special mask mode (OCW3): masked inputs do not block lower priorities. */
    if (c->special_mask)
        in_service &= ~c->imr;
    /* Special fully nested mode (ICW4 SFNM): the master lets a higher-priority slave request through
     * while the cascade input is already in service. */
    if (c->sfnm && c->master)
        in_service &= ~(1u << 2);
    if (prio < chip_priority(c, in_service))
        return (prio + c->lowest) & 7;
    return -1;
}

static void chip_set_line(struct pic_chip *c, unsigned irq, int level)
{
    uint8_t bit = 1u << irq;
    if (c->elcr & bit) {
        /* Level-triggered: the request follows the line. */
        if (level)
            c->irr |= bit;
        else
            c->irr &= ~bit;
    } else if (level && !(c->level & bit)) {
        c->irr |= bit;         /* a rising edge latches a request until it is acknowledged */
    }
    c->level = level ? (c->level | bit) : (c->level & ~bit);
}

/* Recompute the cascade and the INT output after any change. Caller holds the lock. */
static void pic_update_locked(struct pic *p)
{
    /* The slave's INT drives the master's IR2. It is sampled as a level whatever the ELCR says, so a
     * second slave request that keeps INT high is not lost for want of a new edge. */
    bool slave_int = chip_pending_irq(&p->chip[1]) >= 0;
    if (slave_int)
        p->chip[0].irr |= 1u << 2;
    else
        p->chip[0].irr &= ~(1u << 2);
    bool intr = chip_pending_irq(&p->chip[0]) >= 0;
    bool was = atomic_exchange_explicit(&p->intr, intr, memory_order_release);
    if (intr != was && p->intr_changed)
        p->intr_changed(p->opaque, intr);
}

/* Acknowledge input irq: into service (unless auto-EOI), and an edge-latched request is consumed. */
static void chip_ack(struct pic_chip *c, int irq)
{
    uint8_t bit = 1u << irq;
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->lowest = (irq + 1) & 7;
    } else {
        c->isr |= bit;
    }
    if (!(c->elcr & bit) && !(c->master && irq == 2))
        c->irr &= ~bit;
}

int pic_get_interrupt(struct pic *p)
{
    pthread_mutex_lock(&p->lock);
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int vector;
    int irq = chip_pending_irq(m);
    if (irq < 0) {
        vector = m->vector_base + 7;
    } else {
        chip_ack(m, irq);
        if (irq == 2 && !m->single) {
            int sirq = chip_pending_irq(s);
            if (sirq >= 0) {
                chip_ack(s, sirq);
                vector = s->vector_base + sirq;
            } else {
                vector = s->vector_base + 7;
            }
        } else {
            vector = m->vector_base + irq;
        }
    }
    pic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
    return vector;
}

void pic_set_irq(struct pic *p, unsigned irq, int level)
{
    if (irq >= 16)
        return;
    pthread_mutex_lock(&p->lock);
    chip_set_line(&p->chip[irq >> 3], irq & 7, level);
    pic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
}

/* ICW1 (datasheet "Initialization Command Words"): restart the init sequence. The ELCR, not ICW1's
 * LTIM bit, decides edge or level on a PC. */
static void chip_icw1(struct pic_chip *c, uint8_t val)
{
    c->need_icw4 = val & 0x01;
    c->single = val & 0x02;
    c->imr = 0;
    c->isr = 0;
    c->irr &= c->elcr;         /* edge latches are forgotten; level inputs still request */
    c->level &= c->elcr;
    c->lowest = 0;
    c->auto_eoi = c->rotate_on_aeoi = c->special_mask = c->sfnm = false;
    c->read_isr = c->poll = false;
    c->init_step = 1;
}

/* OCW2: the EOI and rotation commands, selected by bits 7:5 (R, SL, EOI). */
static void chip_ocw2(struct pic_chip *c, uint8_t val)
{
    unsigned cmd = val >> 5;
    switch (cmd) {
    case 0:                    /* clear rotate in auto-EOI mode */
    case 4:                    /* set rotate in auto-EOI mode */
        c->rotate_on_aeoi = cmd == 4;
        break;
    case 1:                    /* non-specific EOI */
    case 5: {                  /* rotate on non-specific EOI */
        int prio = chip_priority(c, c->isr);
        if (prio == 8)
            break;
        int irq = (prio + c->lowest) & 7;
        c->isr &= ~(1u << irq);
        if (cmd == 5)
            c->lowest = (irq + 1) & 7;
        break;
    }
    case 3:                    /* specific EOI */
    case 7:                    /* rotate on specific EOI */
        c->isr &= ~(1u << (val & 7));
        if (cmd == 7)
            c->lowest = ((val & 7) + 1) & 7;
        break;
    case 6:                    /* set priority: IR(val&7) becomes the lowest */
        c->lowest = ((val & 7) + 1) & 7;
        break;
    default:                   /* 2: no operation */
        break;
    }
}

static void chip_ocw3(struct pic_chip *c, uint8_t val)
{
    if (val & 0x04)
        c->poll = true;
    if (val & 0x02)
        c->read_isr = val & 0x01;
    if (val & 0x40)
        c->special_mask = val & 0x20;
}

/* Poll command (OCW3 P=1): the next read of port 0 is an INTA of this chip alone. */
static uint8_t chip_poll_read(struct pic_chip *c)
{
    c->poll = false;
    int irq = chip_pending_irq(c);
    if (irq < 0)
        return 0;
    chip_ack(c, irq);
    return 0x80 | irq;
}

/* Offset 0/1 of one chip (0 master, 1 slave). */
static uint8_t pic_port_read(struct pic *p, unsigned chip, unsigned port)
{
    pthread_mutex_lock(&p->lock);
    struct pic_chip *c = &p->chip[chip & 1];
    uint8_t val;
    if (port & 1)
        val = c->imr;
    else if (c->poll) {
        val = chip_poll_read(c);
        pic_update_locked(p);
    } else
        val = c->read_isr ? c->isr : c->irr;
    pthread_mutex_unlock(&p->lock);
    return val;
}

static void pic_port_write(struct pic *p, unsigned chip, unsigned port, uint8_t val)
{
    pthread_mutex_lock(&p->lock);
    struct pic_chip *c = &p->chip[chip & 1];
    if (!(port & 1)) {
        if (val & 0x10)
            chip_icw1(c, val);
        else if (val & 0x08)
            chip_ocw3(c, val);
        else
            chip_ocw2(c, val);
    } else {
        switch (c->init_step) {
        case 1:                /* ICW2: vector base */
            c->vector_base = val & 0xf8;
            c->init_step = c->single ? (c->need_icw4 ? 3 : 0) : 2;
            break;
        case 2:                /* ICW3: cascade wiring, fixed on a PC */
            c->init_step = c->need_icw4 ? 3 : 0;
            break;
        case 3:                /* ICW4: AEOI, SFNM (8086 mode and buffering do not matter here) */
            c->auto_eoi = val & 0x02;
            c->sfnm = val & 0x10;
            c->init_step = 0;
            break;
        default:               /* OCW1: the mask */
            c->imr = val;
            break;
        }
    }
    pic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
}

static uint8_t elcr_read(struct pic *p, unsigned idx)
{
    pthread_mutex_lock(&p->lock);
    uint8_t v = p->chip[idx & 1].elcr;
    pthread_mutex_unlock(&p->lock);
    return v;
}

static void elcr_write(struct pic *p, unsigned idx, uint8_t val)
{
    pthread_mutex_lock(&p->lock);
    struct pic_chip *c = &p->chip[idx & 1];
    c->elcr = val & c->elcr_mask;
    /* A line that became level-triggered requests now if it is high; one that became edge-triggered
     * keeps a request already latched. */
    c->irr |= c->level & c->elcr;
    pic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
}

static uint64_t master_read(void *dev, uint64_t off, unsigned size)
{
    (void)size;
    return pic_port_read(dev, 0, off);
}

static void master_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    pic_port_write(dev, 0, off, val);
}

static uint64_t slave_read(void *dev, uint64_t off, unsigned size)
{
    (void)size;
    return pic_port_read(dev, 1, off);
}

static void slave_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    pic_port_write(dev, 1, off, val);
}

/* A word access to 0x4d0 reads or writes both ELCRs. */
static uint64_t elcr_io_read(void *dev, uint64_t off, unsigned size)
{
    uint64_t v = elcr_read(dev, off);
    if (size >= 2 && off == 0)
        v |= (uint64_t)elcr_read(dev, 1) << 8;
    return v;
}

static void elcr_io_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    elcr_write(dev, off, val & 0xff);
    if (size >= 2 && off == 0)
        elcr_write(dev, 1, (val >> 8) & 0xff);
}

static const struct io_ops master_ops = { master_read, master_write };
static const struct io_ops slave_ops = { slave_read, slave_write };
static const struct io_ops elcr_ops = { elcr_io_read, elcr_io_write };

void pic_init(struct pic *p, void (*intr_changed)(void *opaque, bool level), void *opaque)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    for (int i = 0; i < 2; i++) {
        p->chip[i].pic = p;
        p->chip[i].master = i == 0;
    }
    /* IRQ0 (timer), 1 (keyboard), 2 (cascade), 8 (RTC) and 13 (FPU) are edge-only (PIIX4 4.1.15). */
    p->chip[0].elcr_mask = 0xf8;
    p->chip[1].elcr_mask = 0xde;
    p->chip[0].imr = p->chip[1].imr = 0xff;   /* as the firmware leaves them: all masked */
    p->intr_changed = intr_changed;
    p->opaque = opaque;
}

void pic_reset(struct pic *p)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < 2; i++) {
        struct pic_chip *c = &p->chip[i];
        *c = (struct pic_chip){ .pic = p, .master = i == 0, .level = c->level, .elcr_mask = c->elcr_mask,
                                .imr = 0xff };
    }
    if (atomic_exchange(&p->intr, false))
        p->intr_changed(p->opaque, false);
    pthread_mutex_unlock(&p->lock);
}

void pic_destroy(struct pic *p)
{
    pthread_mutex_destroy(&p->lock);
}

int pic_map(struct pic *p, struct bus *pio)
{
    int r = bus_map(pio, 0x20, 2, &master_ops, p, "pic-master");
    if (!r)
        r = bus_map(pio, 0xa0, 2, &slave_ops, p, "pic-slave");
    if (!r)
        r = bus_map(pio, 0x4d0, 2, &elcr_ops, p, "elcr");
    return r;
}

/* ---- snapshots: both chips' registers and their ICW/OCW modes (8259A datasheet) ---- */

void pic_save(struct pic *p, struct vms_writer *w)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < 2; i++) {
        const struct pic_chip *c = &p->chip[i];
        uint8_t b[] = { c->irr, c->isr, c->imr, c->level, c->elcr, c->vector_base, c->lowest,
                        c->init_step, c->need_icw4, c->single, c->auto_eoi, c->rotate_on_aeoi,
                        c->special_mask, c->sfnm, c->read_isr, c->poll };
        vms_put_bytes(w, b, sizeof(b));
    }
    pthread_mutex_unlock(&p->lock);
}

int pic_load(struct pic *p, struct vms_reader *r)
{
    uint8_t b[2][16];
    vms_get_bytes(r, b, sizeof(b));
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    for (int i = 0; i < 2; i++)
        if (b[i][6] > 7 || b[i][7] > 3)
            return -EINVAL;
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < 2; i++) {
        struct pic_chip *c = &p->chip[i];
        c->irr = b[i][0];
        c->isr = b[i][1];
        c->imr = b[i][2];
        c->level = b[i][3];
        c->elcr = b[i][4] & c->elcr_mask;
        c->vector_base = b[i][5] & 0xf8;
        c->lowest = b[i][6];
        c->init_step = b[i][7];
        bool *flags[] = { &c->need_icw4, &c->single, &c->auto_eoi, &c->rotate_on_aeoi,
                          &c->special_mask, &c->sfnm, &c->read_isr, &c->poll };
        for (int k = 0; k < 8; k++)
            *flags[k] = b[i][8 + k] & 1;
    }
    pic_update_locked(p);
    pthread_mutex_unlock(&p->lock);
    return 0;
}
