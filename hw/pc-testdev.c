/* pc-testdev, with the register semantics of QEMU's hw/misc/pc-testdev.c (used by kvm-unit-tests):
 * a 32-bit scratch register, a page-flush port, ISA IRQ lines the guest can drive, and a 64 KiB
 * memory window that reads back what was written. Lock: t->lock, from vCPU threads. */
#include "hw/pc-testdev.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct pc_testdev {
    struct irq_line irq[TESTDEV_IRQ_LINES];
    struct guest_mem *mem;
    pthread_mutex_t lock;
    uint32_t scratch;
    uint8_t iomem[TESTDEV_IOMEM_LEN];
};

static uint32_t lane_mask(uint64_t off, unsigned size)
{
    uint32_t m = size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    return m << ((off & 3) * 8);
}

static uint64_t scratch_read(void *dev, uint64_t off, unsigned size)
{
    struct pc_testdev *t = dev;
    pthread_mutex_lock(&t->lock);
    uint32_t v = (t->scratch & lane_mask(off, size)) >> ((off & 3) * 8);
    pthread_mutex_unlock(&t->lock);
    return v;
}

static void scratch_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pc_testdev *t = dev;
    uint32_t m = lane_mask(off, size);
    pthread_mutex_lock(&t->lock);
    t->scratch = (t->scratch & ~m) | (((uint32_t)val << ((off & 3) * 8)) & m);
    pthread_mutex_unlock(&t->lock);
}

static const struct io_ops scratch_ops = { .read = scratch_read, .write = scratch_write };

/* Dropping the host mapping's permissions and restoring them makes KVM zap its shadow/EPT entries
 * for that page: the guest's next access faults in again (what kvm-unit-tests use it for). */
static void flush_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pc_testdev *t = dev;
    (void)off;
    if (size != 4)
        return;
    void *hva = guest_mem_hva(t->mem, val & ~0xfffull, 4096);
    if (hva) {
        mprotect(hva, 4096, PROT_NONE);
        mprotect(hva, 4096, PROT_READ | PROT_WRITE);
    }
}

static const struct io_ops flush_ops = { .write = flush_write };

static void irq_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pc_testdev *t = dev;
    if (size == 1 && off < TESTDEV_IRQ_LINES)
        irq_line_set(&t->irq[off], val != 0);
}

static const struct io_ops irq_ops = { .write = irq_write };

static uint64_t iomem_read(void *dev, uint64_t off, unsigned size)
{
    struct pc_testdev *t = dev;
    uint64_t v = 0;
    if (off + size > TESTDEV_IOMEM_LEN)
        return ~0ull;
    pthread_mutex_lock(&t->lock);
    memcpy(&v, &t->iomem[off], size);
    pthread_mutex_unlock(&t->lock);
    return v;
}

static void iomem_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct pc_testdev *t = dev;
    if (off + size > TESTDEV_IOMEM_LEN)
        return;
    pthread_mutex_lock(&t->lock);
    memcpy(&t->iomem[off], &val, size);
    pthread_mutex_unlock(&t->lock);
}

static const struct io_ops iomem_ops = { .read = iomem_read, .write = iomem_write };

struct pc_testdev *pc_testdev_new(const struct irq_line irq[TESTDEV_IRQ_LINES], struct guest_mem *mem)
{
    struct pc_testdev *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    memcpy(t->irq, irq, sizeof(t->irq));
    t->mem = mem;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

int pc_testdev_map(struct pc_testdev *t, struct bus *pio, struct bus *mmio)
{
    int r;
    if ((r = bus_map(pio, TESTDEV_IOPORT, 4, &scratch_ops, t, "testdev-ioport")) < 0 ||
        (r = bus_map(pio, TESTDEV_FLUSH, 4, &flush_ops, t, "testdev-flush")) < 0 ||
        (r = bus_map(pio, TESTDEV_IOPORT_BYTE, 4, &scratch_ops, t, "testdev-ioport-byte")) < 0 ||
        (r = bus_map(pio, TESTDEV_IRQ, TESTDEV_IRQ_LINES, &irq_ops, t, "testdev-irq")) < 0 ||
        (r = bus_map(mmio, TESTDEV_IOMEM, TESTDEV_IOMEM_LEN, &iomem_ops, t, "testdev-iomem")) < 0)
        return r;
    return 0;
}

void pc_testdev_free(struct pc_testdev *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}
