/* The I/O APIC at 0xfec00000: 24 input pins, each with a redirection entry that turns the pin into an
 * interrupt message to LAPICs. Intel 82093AA I/O APIC datasheet (order 290566); the EOI register at
 * 0x40 is that of version 0x20 IOAPICs (ICH/PCH). */
#ifndef VMON_HW_IOAPIC_H
#define VMON_HW_IOAPIC_H

#include <pthread.h>
#include <stdint.h>

#include "hw/apic.h"
#include "mm/bus.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ull
#define IOAPIC_PINS         24

/* Redirection table entry fields (datasheet 3.2.4). */
#define RTE_VECTOR          0xffull
#define RTE_DELIVERY(e)     (((e) >> 8) & 7)
#define RTE_LOGICAL         (1ull << 11)
#define RTE_DELIVERY_STATUS (1ull << 12)
#define RTE_POLARITY        (1ull << 13)
#define RTE_REMOTE_IRR      (1ull << 14)
#define RTE_LEVEL           (1ull << 15)
#define RTE_MASKED          (1ull << 16)
#define RTE_DEST(e)         ((uint8_t)((e) >> 56))
/* What software may write: everything but delivery status and remote IRR (datasheet 3.2.4). */
#define RTE_WRITABLE        (0xff00000000000000ull | 0x1afffull)

/* Thread safety: one lock. Lines are driven from any thread (device timers on the event loop, vCPU
 * threads through the PIC's INTR on pin 0); EOIs come from vCPU threads. Messages are delivered to
 * LAPICs with the IOAPIC lock held (lock order: pic -> ioapic -> lapic). */
struct ioapic {
    pthread_mutex_t lock;
    struct apic_bus *bus;
    uint8_t id;
    uint32_t ioregsel;
    uint64_t redtbl[IOAPIC_PINS];
    uint32_t irr;              /* pins with a request not yet delivered (edge) or asserted (level) */
    uint32_t level;            /* current pin levels (asserted = 1, whatever the polarity bit says) */
};

/* All entries masked, as after reset. */
void ioapic_init(struct ioapic *io, struct apic_bus *bus, uint8_t id);
void ioapic_destroy(struct ioapic *io);
struct vms_writer;
struct vms_reader;
/* Snapshots (migration/vmstate.h): save the state into the open section; load: 0, or -EINVAL for a
 * section that is short, long or holds values the device cannot have (the device then unchanged). */
void ioapic_save(struct ioapic *d, struct vms_writer *w);
int ioapic_load(struct ioapic *d, struct vms_reader *r);

void ioapic_reset(struct ioapic *io);   /* a machine reset: every entry masked (the id stays) */
int ioapic_map(struct ioapic *io, struct bus *mmio, uint64_t base);

/* Drive pin (0..23): level is "asserted"; the polarity bit only describes the wire, which vmon's
 * devices do not model, so it is kept but not applied. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);

/* A LAPIC's EOI of a level-triggered vector (apic_bus.eoi): clears remote IRR of the pins using it
 * and re-delivers those still asserted. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
