/* The test guests' virtio driver (64-bit guest only): finds a virtio PCI function through
 * configuration mechanism #1 (0xcf8/0xcfc), reads its vendor capabilities (virtio 1.2, 4.1.4),
 * negotiates features and runs one split virtqueue (2.7) of a few entries, taking its interrupt
 * through the IOAPIC (INTx, level) on the local APIC timer's vector. */
#ifndef VMON_GUEST_VIRTIO_H
#define VMON_GUEST_VIRTIO_H

#include <stdint.h>

#define VQ_SIZE 16

#define VRING_F_NEXT     1
#define VRING_F_WRITE    2
#define VRING_F_INDIRECT 4

#define VSTAT_ACK         0x01
#define VSTAT_DRIVER      0x02
#define VSTAT_DRIVER_OK   0x04
#define VSTAT_FEATURES_OK 0x08
#define VSTAT_NEEDS_RESET 0x40

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vring {
    struct vring_desc desc[VQ_SIZE];
    struct { uint16_t flags, idx, ring[VQ_SIZE], used_event; } avail;
    struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[VQ_SIZE]; uint16_t avail_event; }
        used __attribute__((aligned(4)));
};

struct vdev {
    unsigned slot, gsi;
    uintptr_t common, isr, device, notify;  /* addresses of the structures in BAR 0 */
    uint32_t notify_mult;
    uint64_t features;                      /* what the device offers */
    struct vring *vr;
    uint16_t avail_idx, used_seen;          /* the driver's copies */
    volatile unsigned irqs;                 /* interrupts whose ISR read showed a used buffer */
};

/* Scans bus 0 for vendor 0x1af4 device `id` (0x1042: block), enables memory decode and bus
 * mastering, reads the capabilities; 0 or -1 when not found. */
int vdev_find(struct vdev *d, uint16_t type);   /* virtio device type: 2 for block */
/* Reset, ACKNOWLEDGE, DRIVER, features (want & offered), FEATURES_OK, queue 0 on vr, DRIVER_OK.
 * Returns the status read back (FEATURES_OK and DRIVER_OK set on success). */
uint8_t vdev_init(struct vdev *d, uint64_t want, struct vring *vr);
/* The same with the queue's rings where the caller says (no vring set up: hostile tests). */
uint8_t vdev_init_rings(struct vdev *d, uint64_t want, uint64_t desc, uint64_t avail, uint64_t used);
uint8_t vdev_status(const struct vdev *d);
void vdev_reset(struct vdev *d);
/* Puts head in the available ring (not yet published). */
void vdev_add(struct vdev *d, uint16_t head);
/* Publishes the added heads and writes the queue's notify address. */
void vdev_kick(struct vdev *d);
/* Waits (hlt, interrupts on) until the used index reaches the driver's avail index or the device
 * status shows NEEDS_RESET; the LAPIC timer bounds it. 0: all used; 1: needs reset; -1: timed out. */
int vdev_wait(struct vdev *d);
/* Interrupt routing: the PICs masked, the IOAPIC pin of d->gsi to vector 0x40, level. */
void vdev_irq_setup(struct vdev *d);

void pci_write32(unsigned slot, unsigned off, uint32_t v);
uint32_t pci_read32(unsigned slot, unsigned off);

/* The 64-bit guest's hooks (guest64.c): its IDT, and a call from the vector 0x40 handler. */
void guest_cpu_tables(void);
extern void (*volatile guest_irq_hook)(void);

/* The tests (virtio-blk.c, virtio-hostile.c). */
void virtio_blk_test(const char *cmdline) __attribute__((noreturn));
void virtio_hostile_test(const char *cmdline) __attribute__((noreturn));

#endif
