/* The test guests' virtio PCI driver (virtio 1.2, 4.1: the modern PCI transport; 2.7: split
 * virtqueues; 3.1.1: the driver's initialisation order). Configuration space goes through
 * mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2), the interrupt through the IOAPIC (82093AA
 * datasheet 3.2.4) to the local APIC, level-triggered as INTx is. */
#include "guest.h"
#include "virtio.h"

#define IOAPIC 0xfec00000ul
#define LAPIC  0xfee00000ul
#define VECTOR 0x40
#define WAIT_TSC 40000000000ull       /* 20 s of a 2 GHz TSC: only turns a hang into a report */

static struct vdev *irq_dev;           /* whose ISR the interrupt handler reads */

void pci_write32(unsigned slot, unsigned off, uint32_t v)
{
    outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
    outl(0xcfc, v);
}

uint32_t pci_read32(unsigned slot, unsigned off)
{
    outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
    return v;
}

static uint8_t rd8(uintptr_t a) { return *(volatile uint8_t *)a; }
static uint16_t rd16(uintptr_t a) { return *(volatile uint16_t *)a; }
static void wr8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static void wr16(uintptr_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static void wr64(uintptr_t a, uint64_t v)
{
    mmio_write32(a, (uint32_t)v);
    mmio_write32(a + 4, (uint32_t)(v >> 32));
}

/* A memory BAR's address (a 64-bit one takes the next register as its high half). */
static uintptr_t bar_addr(unsigned slot, unsigned bar)
{
    uint32_t lo = pci_read32(slot, 0x10 + 4 * bar);
    uint64_t a = lo & ~0xfu;
    if (((lo >> 1) & 3) == 2 && bar < 5)
        a |= (uint64_t)pci_read32(slot, 0x14 + 4 * bar) << 32;
    return (uintptr_t)a;
}

/* The vendor capabilities (4.1.4): where each structure lies, in the BAR each names. */
static void read_caps(struct vdev *d)
{
    unsigned at = pci_read32(d->slot, 0x34) & 0xfc;
    for (int n = 0; at && n < 48; n++) {
        uint32_t w0 = pci_read32(d->slot, at);
        if ((w0 & 0xff) == 0x09) {
            unsigned bar = pci_read32(d->slot, at + 4) & 0xff;
            uintptr_t where = bar_addr(d->slot, bar < 6 ? bar : 0) + pci_read32(d->slot, at + 8);
            switch ((w0 >> 24) & 0xff) {
            case 1: d->common = where; break;
            case 2: d->notify = where; d->notify_mult = pci_read32(d->slot, at + 16); break;
            case 3: d->isr = where; break;
            case 4: d->device = where; break;
            }
        }
        at = (w0 >> 8) & 0xfc;
    }
}

/* A virtio device of this type: modern-only (device id 0x1040 + type) or transitional (0x1000-0x103f,
 * its subsystem id the type; 4.1.2.1). */
int vdev_find(struct vdev *d, uint16_t type)
{
    for (unsigned slot = 0; slot < 32; slot++) {
        uint32_t ids = pci_read32(slot, 0);
        uint16_t did = (uint16_t)(ids >> 16);
        if ((ids & 0xffff) != 0x1af4)
            continue;
        if (did != 0x1040 + type &&
            !(did >= 0x1000 && did <= 0x103f && (pci_read32(slot, 0x2c) >> 16) == type))
            continue;
        memset(d, 0, sizeof(*d));
        d->slot = slot;
        d->gsi = pci_read32(slot, 0x3c) & 0xff;
        pci_write32(slot, 0x04, pci_read32(slot, 0x04) | 0x6);   /* memory decode, bus master */
        read_caps(d);
        return d->common && d->notify && d->isr ? 0 : -1;
    }
    return -1;
}

uint8_t vdev_status(const struct vdev *d) { return rd8(d->common + 20); }

void vdev_reset(struct vdev *d)
{
    wr8(d->common + 20, 0);
    while (rd8(d->common + 20))        /* 4.1.4.3.2: reset is done when status reads 0 */
        ;
}

static void isr_hook(void)
{
    struct vdev *d = irq_dev;
    if (d && (rd8(d->isr) & 1))        /* the read clears the ISR and lowers INTx */
        d->irqs++;
}

void vdev_irq_setup(struct vdev *d)
{
    outb(0x21, 0xff);                  /* both 8259s masked: the IOAPIC delivers */
    outb(0xa1, 0xff);
    irq_dev = d;
    guest_irq_hook = isr_hook;
    mmio_write32(LAPIC + 0xf0, 0x1ff);
    mmio_write32(IOAPIC, 0x11 + 2 * d->gsi);
    mmio_write32(IOAPIC + 0x10, 0);                        /* destination: APIC id 0 */
    mmio_write32(IOAPIC, 0x10 + 2 * d->gsi);
    mmio_write32(IOAPIC + 0x10, VECTOR | 1u << 15);        /* fixed, active high, level */
}

uint8_t vdev_init_rings(struct vdev *d, uint64_t want, uint64_t desc, uint64_t avail, uint64_t used)
{
    uintptr_t c = d->common;
    vdev_reset(d);
    wr8(c + 20, VSTAT_ACK);
    wr8(c + 20, VSTAT_ACK | VSTAT_DRIVER);
    mmio_write32(c + 0, 0);
    d->features = mmio_read32(c + 4);
    mmio_write32(c + 0, 1);
    d->features |= (uint64_t)mmio_read32(c + 4) << 32;
    uint64_t f = want & d->features;
    mmio_write32(c + 8, 0);
    mmio_write32(c + 12, (uint32_t)f);
    mmio_write32(c + 8, 1);
    mmio_write32(c + 12, (uint32_t)(f >> 32));
    wr8(c + 20, VSTAT_ACK | VSTAT_DRIVER | VSTAT_FEATURES_OK);
    if (!(rd8(c + 20) & VSTAT_FEATURES_OK))
        return rd8(c + 20);
    d->avail_idx = d->used_seen = 0;
    wr16(c + 22, 0);
    wr16(c + 24, VQ_SIZE);
    wr64(c + 32, desc);
    wr64(c + 40, avail);
    wr64(c + 48, used);
    wr16(c + 28, 1);
    wr8(c + 20, VSTAT_ACK | VSTAT_DRIVER | VSTAT_FEATURES_OK | VSTAT_DRIVER_OK);
    return rd8(c + 20);
}

uint8_t vdev_init(struct vdev *d, uint64_t want, struct vring *vr)
{
    memset(vr, 0, sizeof(*vr));
    d->vr = vr;
    return vdev_init_rings(d, want, (uintptr_t)vr->desc, (uintptr_t)&vr->avail, (uintptr_t)&vr->used);
}

void vdev_add(struct vdev *d, uint16_t head)
{
    d->vr->avail.ring[d->avail_idx % VQ_SIZE] = head;
    d->avail_idx++;
}

void vdev_kick(struct vdev *d)
{
    __atomic_store_n(&d->vr->avail.idx, d->avail_idx, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t off = rd16(d->common + 30);                   /* queue_notify_off of queue 0 */
    wr16(d->notify + (uintptr_t)off * d->notify_mult, 0);
}

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Done when every added buffer is used and an interrupt said so (the interrupt path is under
 * test too), or when the device asks for a reset. */
int vdev_wait(struct vdev *d)
{
    unsigned irqs0 = d->irqs;
    uint64_t t0 = rdtsc();
    for (uint32_t n = 0;; n++) {
        __asm__ volatile("sti; pause; pause; cli" ::: "memory");
        uint16_t used = __atomic_load_n(&d->vr->used.idx, __ATOMIC_ACQUIRE);
        if (used == d->avail_idx && d->irqs != irqs0) {
            d->used_seen = used;
            return 0;
        }
        if ((n & 0xfff) == 0xfff || rdtsc() - t0 > WAIT_TSC) {
            if (vdev_status(d) & VSTAT_NEEDS_RESET)
                return 1;
            if (rdtsc() - t0 > WAIT_TSC)
                return -1;
        }
    }
}
