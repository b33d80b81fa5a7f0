/* The PC's pair of 8259A programmable interrupt controllers (master at 0x20, slave at 0xa0 cascaded on
 * the master's IR2) and the EISA edge/level control registers (ELCR) at 0x4d0/0x4d1.
 * Intel 8259A datasheet (order 231468); ELCR: Intel 82371AB PIIX4 datasheet, section 4.1.15. */
#ifndef VMON_HW_PIC_H
#define VMON_HW_PIC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/bus.h"

struct pic;

struct pic_chip {
    struct pic *pic;
    bool master;
    uint8_t irr, isr, imr;     /* request, in-service, mask: bit n is input IRn */
    uint8_t level;             /* current input levels, for edge detection */
    uint8_t elcr, elcr_mask;   /* 1 = level-triggered; which inputs may be level-triggered */
    uint8_t vector_base;       /* ICW2 & 0xf8 */
    uint8_t lowest;            /* the input of lowest priority is lowest-1 mod 8: rotation state */
    uint8_t init_step;         /* 0: operating; 1..3: next write to port 1 is ICW2..ICW4 */
    bool need_icw4, single, auto_eoi, rotate_on_aeoi, special_mask, sfnm;
    bool read_isr, poll;       /* OCW3: what a read of port 0 returns */
};

/* Thread safety: one lock; taken by vCPU threads (port I/O, INTA) and by whoever raises lines (the
 * event loop's timers). Lock order: pic -> ioapic -> lapic; intr_changed is called with the pic
 * lock held, on every change of INT, and must not take the pic lock (vmon's drives IOAPIC pin 0
 * and the LAPICs' LINT0, which take their own locks). */
struct pic {
    pthread_mutex_t lock;
    struct pic_chip chip[2];   /* [0] master, [1] slave */
    _Atomic bool intr;         /* the master's INT output: a vector is waiting for an INTA cycle */
    void (*intr_changed)(void *opaque, bool level);
    void *opaque;
};

void pic_init(struct pic *p, void (*intr_changed)(void *opaque, bool level), void *opaque);
void pic_destroy(struct pic *p);
struct vms_writer;
struct vms_reader;
/* Snapshots (migration/vmstate.h): save the state into the open section; load: 0, or -EINVAL for a
 * section that is short, long or holds values the device cannot have (the device then unchanged). */
void pic_save(struct pic *d, struct vms_writer *w);
int pic_load(struct pic *d, struct vms_reader *r);

/* A machine reset: uninitialised, all masked, edge-triggered (the lines keep their levels). */
void pic_reset(struct pic *p);

/* Map 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1 on the port bus. 0 or -errno. */
int pic_map(struct pic *p, struct bus *pio);

/* Drive input line irq (0..15; 8..15 are the slave's IR0..IR7). */
void pic_set_irq(struct pic *p, unsigned irq, int level);

/* Is INT asserted? Lock-free, for the CPU's check at instruction boundaries. */
static inline bool pic_intr_pending(struct pic *p)
{
    return atomic_load_explicit(&p->intr, memory_order_acquire);
}

/* The INTA cycle: the vector of the highest-priority request, now in service. When nothing is
 * requested any more (the line dropped), the 8259 answers with its IR7 vector: a spurious interrupt. */
int pic_get_interrupt(struct pic *p);

#endif
