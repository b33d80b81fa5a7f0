/* I/O APIC: redirection table, edge and level semantics with remote IRR, EOI. */
#include <errno.h>
#include <string.h>

#include "hw/ioapic.h"
#include "migration/vmstate.h"

#define IOAPIC_VERSION      0x20
#define REG_ID              0x00
#define REG_VERSION         0x01
#define REG_ARB             0x02
#define REG_REDTBL          0x10       /* entry n: low dword at 0x10 + 2n, high at 0x11 + 2n */

/* Send every pending, unmasked request. Caller holds the lock. */
static void service_locked(struct ioapic *io)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint32_t bit = 1u << pin;
        uint64_t e = io->redtbl[pin];
        if (!(io->irr & bit) || (e & RTE_MASKED))
            continue;          /* a masked request waits for the unmask, as QEMU's IOAPIC does */
        bool level = e & RTE_LEVEL;
        if (level && (e & RTE_REMOTE_IRR))
            continue;          /* the previous one has not been EOIed yet */
        struct apic_msg m = {
            .vector = e & RTE_VECTOR,
            .delivery = RTE_DELIVERY(e),
            .logical = e & RTE_LOGICAL,
            .level = level,
            .assert = true,
            .dest = RTE_DEST(e),
        };
        if (level)
            io->redtbl[pin] |= RTE_REMOTE_IRR;
        else
            io->irr &= ~bit;   /* an edge is one message */
        apic_bus_deliver(io->bus, &m, NULL);
    }
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
    if (pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;
    pthread_mutex_lock(&io->lock);
    bool was = io->level & bit;
    if (level)
        io->level |= bit;
    else
        io->level &= ~bit;
    if (io->redtbl[pin] & RTE_LEVEL) {
        if (level)
            io->irr |= bit;
        else
            io->irr &= ~bit;
    } else if (level && !was) {
        io->irr |= bit;
    }
    service_locked(io);
    pthread_mutex_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    pthread_mutex_lock(&io->lock);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = io->redtbl[pin];
        if ((e & RTE_VECTOR) == vector && (e & RTE_LEVEL) && (e & RTE_REMOTE_IRR))
            io->redtbl[pin] &= ~RTE_REMOTE_IRR;
    }
    service_locked(io);        /* a line still asserted requests again */
    pthread_mutex_unlock(&io->lock);
}

static uint32_t reg_read_locked(struct ioapic *io, uint32_t reg)
{
    switch (reg) {
    case REG_ID:
    case REG_ARB:
        return (uint32_t)io->id << 24;
    case REG_VERSION:
        return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
    default:
        break;
    }
    if (reg >= REG_REDTBL && reg < REG_REDTBL + 2 * IOAPIC_PINS) {
        uint64_t e = io->redtbl[(reg - REG_REDTBL) / 2];
        return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0xffffffff;         /* nothing there */
}

static void reg_write_locked(struct ioapic *io, uint32_t reg, uint32_t val)
{
    if (reg == REG_ID) {
        /* 82093AA 3.2.1: the ID is bits 24-27; the rest of the register is reserved (KVM's and
         * QEMU's IOAPICs keep 4 bits too). The board's own id, ncpus as the MADT says, may be
         * wider when there are more than 15 CPUs: a guest write can only choose among 0-15. */
        io->id = (val >> 24) & 0x0f;
        return;
    }
    if (reg < REG_REDTBL || reg >= REG_REDTBL + 2 * IOAPIC_PINS)
        return;                /* version and arbitration id are read-only */
    unsigned pin = (reg - REG_REDTBL) / 2;
    uint64_t e = io->redtbl[pin];
    uint64_t v = (reg & 1) ? ((uint64_t)val << 32) | (uint32_t)e : (e & ~0xffffffffull) | val;
    v = (v & RTE_WRITABLE) | (e & RTE_REMOTE_IRR);
    if (!(v & RTE_LEVEL))
        v &= ~RTE_REMOTE_IRR;  /* remote IRR only means something for level-triggered pins */
    io->redtbl[pin] = v;
    /* A level pin that is asserted requests as soon as it becomes level-triggered and unmasked. */
    if ((v & RTE_LEVEL) && (io->level & (1u << pin)))
        io->irr |= 1u << pin;
    service_locked(io);
}

/* The register window: IOREGSEL at 0x00, IOWIN at 0x10, EOI at 0x40. */
static uint64_t ioapic_mmio_read(void *dev, uint64_t off, unsigned size)
{
    struct ioapic *io = dev;
    uint32_t v = 0;
    pthread_mutex_lock(&io->lock);
    if (off == 0x00)
        v = io->ioregsel;
    else if (off == 0x10)
        v = reg_read_locked(io, io->ioregsel);
    pthread_mutex_unlock(&io->lock);
    return size >= 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void ioapic_mmio_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct ioapic *io = dev;
    (void)size;
    pthread_mutex_lock(&io->lock);
    if (off == 0x00)
        io->ioregsel = val & 0xff;
    else if (off == 0x10)
        reg_write_locked(io, io->ioregsel, (uint32_t)val);
    pthread_mutex_unlock(&io->lock);
    if (off == 0x40)
        ioapic_eoi(io, val & 0xff);
}

static const struct io_ops ioapic_ops = { ioapic_mmio_read, ioapic_mmio_write };

void ioapic_init(struct ioapic *io, struct apic_bus *bus, uint8_t id)
{
    memset(io, 0, sizeof(*io));
    pthread_mutex_init(&io->lock, NULL);
    io->bus = bus;
    io->id = id;
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        io->redtbl[i] = RTE_MASKED;
}

void ioapic_reset(struct ioapic *io)
{
    pthread_mutex_lock(&io->lock);
    io->ioregsel = 0;
    io->irr = 0;
    for (unsigned i = 0; i < IOAPIC_PINS; i++)
        io->redtbl[i] = RTE_MASKED;
    pthread_mutex_unlock(&io->lock);
}

void ioapic_destroy(struct ioapic *io)
{
    pthread_mutex_destroy(&io->lock);
}

int ioapic_map(struct ioapic *io, struct bus *mmio, uint64_t base)
{
    return bus_map(mmio, base, 0x1000, &ioapic_ops, io, "ioapic");
}

/* ---- snapshots: id, IOREGSEL, the redirection table and the pins' request state (82093AA) ---- */

void ioapic_save(struct ioapic *io, struct vms_writer *w)
{
    pthread_mutex_lock(&io->lock);
    vms_put_u8(w, io->id);
    vms_put_u32(w, io->ioregsel);
    vms_put_u32(w, IOAPIC_PINS);
    for (int i = 0; i < IOAPIC_PINS; i++)
        vms_put_u64(w, io->redtbl[i]);
    vms_put_u32(w, io->irr);
    vms_put_u32(w, io->level);
    pthread_mutex_unlock(&io->lock);
}

int ioapic_load(struct ioapic *io, struct vms_reader *r)
{
    uint8_t id = vms_get_u8(r);
    uint32_t sel = vms_get_u32(r), n = vms_get_u32(r);
    if (n != IOAPIC_PINS)
        return -EINVAL;
    uint64_t red[IOAPIC_PINS];
    for (int i = 0; i < IOAPIC_PINS; i++)
        red[i] = vms_get_u64(r);
    uint32_t irr = vms_get_u32(r), level = vms_get_u32(r);
    if (vms_reader_done(r) < 0)
        return -EINVAL;
    uint32_t pins = IOAPIC_PINS >= 32 ? ~0u : (1u << IOAPIC_PINS) - 1;
    pthread_mutex_lock(&io->lock);
    io->id = id;
    io->ioregsel = sel & 0xff;
    memcpy(io->redtbl, red, sizeof(red));
    io->irr = irr & pins;
    io->level = level & pins;
    pthread_mutex_unlock(&io->lock);
    return 0;
}
