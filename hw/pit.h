/* The 8254 programmable interval timer at ports 0x40-0x43, and the PC-AT's port 0x61 ("port B"),
 * whose bit 0 gates channel 2 and whose bit 5 reads channel 2's output: Linux's PIT calibration of
 * the TSC counts host time while polling that bit. Intel 82C54 datasheet (order 231244); port 0x61:
 * PIIX4 datasheet 4.1.14 (NMI status and control register). */
#ifndef VMON_HW_PIT_H
#define VMON_HW_PIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h"
#include "mm/bus.h"

#define PIT_HZ 1193182ull      /* the 14.31818 MHz PC oscillator divided by 12 */
#define PIT_MIN_IRQ_INTERVAL_NS 50000ull   /* IRQ0 edges at most every 50 us (20 kHz) */

struct pit_channel {
    /* Programmed by the control word. */
    uint8_t mode;              /* 0..5 (6 and 7 are stored as 2 and 3) */
    uint8_t rw;                /* 1: LSB only, 2: MSB only, 3: LSB then MSB */
    bool bcd;                  /* kept for the status byte; counting is always binary */
    /* The count and its progress, in PIT ticks measured on the host clock. */
    uint32_t count;            /* loaded count, 1..65536 (a written 0 means 65536) */
    bool loaded;               /* a count has been written since the control word */
    bool running;              /* counting (false: waiting for a count/trigger, or gated off) */
    uint64_t start_ns;         /* host time counting (re)started */
    uint64_t frozen;           /* ticks counted before start_ns (a gate pause in modes 0 and 4) */
    bool out_before_load;      /* OUT between the control word and the start of counting */
    bool gate;
    /* The byte-serial interface. */
    bool write_msb_next, read_msb_next;
    uint8_t write_lsb;
    uint16_t latched_count;
    uint8_t latched_bytes;     /* bytes of latched_count still to be read (0: none latched) */
    bool latched_msb_next;
    uint8_t status;
    bool status_latched;
    bool null_count;
    uint64_t next_edge;        /* channel 0: tick of the next rising OUT edge, UINT64_MAX for none */
};

/* Thread safety: one lock for the three channels and port 0x61; port I/O comes from vCPU threads,
 * the IRQ0 timer from the event loop. irq0 is called with no PIT lock held (lock order: the PIT's
 * lock is never held while the PIC or IOAPIC locks are taken). */
struct pit {
    pthread_mutex_t lock;
    const struct plat_clock *clk;
    struct pit_channel ch[3];
    uint8_t port61;            /* the writable bits 0..3 of port 0x61 */
    struct plat_timer *timer;  /* channel 0's next rising edge */
    void (*irq0)(void *opaque, int level);
    void *opaque;
};

/* Power-on state as vmon's (absent) firmware would leave it: every channel in mode 3 with count 65536,
 * channel 0 running (18.2 Hz on IRQ0), channel 2's gate low. 0 or -errno (timer creation). */
int pit_init(struct pit *p, const struct plat_clock *clk, void (*irq0)(void *opaque, int level),
             void *opaque);
void pit_destroy(struct pit *p);
struct vms_writer;
struct vms_reader;
/* Snapshots (migration/vmstate.h): save the state into the open section; load: 0, or -EINVAL for a
 * section that is short, long or holds values the device cannot have (the device then unchanged). */
void pit_save(struct pit *d, struct vms_writer *w);
int pit_load(struct pit *d, struct vms_reader *r);

void pit_reset(struct pit *p);   /* a machine reset: the power-on state pit_init gives */
/* Map 0x40-0x43 and 0x61 on the port bus. 0 or -errno. */
int pit_map(struct pit *p, struct bus *pio);

#endif
