/* test=virtio-blk: drives the virtio-blk PCI function through the guest's own driver (virtio.c):
 * reads sectors the host wrote, writes sectors with direct and indirect chains (virtio 1.2,
 * 2.7.5.3), flushes, reads them back, asks for the id, and runs batches that wrap the rings.
 * cmdline: seed=N (what the guest writes), host=M (what the host wrote to sectors 0-7); the host
 * checks the image afterwards. Bytes of sector s: (s * 131 + i * 7 + (i >> 8) + seed) & 0xff.
 * test=virtio-blk-msix: the same with the queue's interrupt through MSI-X (virtio-msix.c) on vector
 * VDEV_MSI_VECTOR, then a read with the vector masked and one with the function masked: the
 * completion sets the pending bit and sends nothing until the mask clears (PCI 3.0, 6.8.2.9); the
 * IOAPIC pin, pointed at a vector of its own, must see no interrupt. */
#include "guest.h"
#include "virtio.h"

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define BATCH 5                         /* 3 descriptors each in a ring of VQ_SIZE */

struct blk_hdr { uint32_t type, reserved; uint64_t sector; };

static struct vring ring __attribute__((aligned(4096)));
static struct vring_desc itable[8] __attribute__((aligned(16)));
static struct blk_hdr hdrs[BATCH];
static uint8_t stats[BATCH];
static uint8_t wbuf[8192] __attribute__((aligned(4096)));
static uint8_t rbuf[8192] __attribute__((aligned(4096)));
static struct vdev dev;

static uint8_t pat(uint32_t seed, uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 131 + i * 7 + (i >> 8) + seed);
}

static void __attribute__((noreturn)) fail(const char *why, unsigned long v)
{
    puts_("vmon-guest: virtio-blk FAIL: ");
    puts_(why);
    puts_(" ");
    putdec(v);
    puts_("\n");
    debug_exit(0x7d);
}

/* Descriptors of request k (header, data in `pieces` buffers, status) from table[first]. */
static unsigned fill(struct vring_desc *t, unsigned first, unsigned k, uint32_t type,
                     uint64_t sector, uint8_t *buf, uint32_t len, unsigned pieces)
{
    hdrs[k] = (struct blk_hdr){ type, 0, sector };
    stats[k] = 0xff;
    unsigned i = first;
    t[i] = (struct vring_desc){ (uintptr_t)&hdrs[k], sizeof(hdrs[k]), VRING_F_NEXT, (uint16_t)(i + 1) };
    i++;
    for (unsigned p = 0; p < pieces && len; p++, i++) {
        uint32_t n = len / pieces;
        t[i] = (struct vring_desc){ (uintptr_t)buf + p * n, n,
                                    (uint16_t)(VRING_F_NEXT | (type == T_OUT ? 0 : VRING_F_WRITE)),
                                    (uint16_t)(i + 1) };
    }
    t[i] = (struct vring_desc){ (uintptr_t)&stats[k], 1, VRING_F_WRITE, 0 };
    return i + 1 - first;
}

/* One request, alone in the ring: its status byte. */
static uint8_t request(uint32_t type, uint64_t sector, uint8_t *buf, uint32_t len, unsigned pieces,
                       int indirect)
{
    if (indirect) {
        unsigned n = fill(itable, 0, 0, type, sector, buf, len, pieces);
        ring.desc[0] = (struct vring_desc){ (uintptr_t)itable, n * 16, VRING_F_INDIRECT, 0 };
    } else {
        fill(ring.desc, 0, 0, type, sector, buf, len, pieces);
    }
    vdev_add(&dev, 0);
    vdev_kick(&dev);
    int r = vdev_wait(&dev);
    if (r)
        fail(r > 0 ? "device needs reset after request type" : "no completion for request type", type);
    return stats[0];
}

static void check(const uint8_t *p, uint32_t seed, uint64_t sector, unsigned sectors)
{
    for (unsigned s = 0; s < sectors; s++)
        for (unsigned i = 0; i < 512; i++)
            if (p[s * 512 + i] != pat(seed, sector + s, i))
                fail("data differs at sector", (unsigned long)(sector + s));
}

static void fill_pattern(uint8_t *p, uint32_t seed, uint64_t sector, unsigned sectors)
{
    for (unsigned s = 0; s < sectors; s++)
        for (unsigned i = 0; i < 512; i++)
            p[s * 512 + i] = pat(seed, sector + s, i);
}

/* BATCH one-sector writes per notify, rounds times: the indices wrap the ring several times. */
static void batches(uint32_t seed, uint64_t first, unsigned rounds)
{
    for (unsigned r = 0; r < rounds; r++) {
        for (unsigned k = 0; k < BATCH; k++) {
            uint64_t sector = first + r * BATCH + k;
            fill_pattern(wbuf + 512 * k, seed, sector, 1);
            fill(ring.desc, 3 * k, k, T_OUT, sector, wbuf + 512 * k, 512, 1);
            vdev_add(&dev, (uint16_t)(3 * k));
        }
        vdev_kick(&dev);
        if (vdev_wait(&dev))
            fail("batch did not complete, round", r);
        for (unsigned k = 0; k < BATCH; k++)
            if (stats[k] != 0)
                fail("batch request status", stats[k]);
    }
}

/* A read of sector 0 while the queue's vector (all: the whole function) is masked. */
static void masked_read(uint32_t host, int all)
{
    if (all)
        vdev_msix_mask_all(&dev, 1);
    else
        vdev_msix_mask(&dev, dev.queue_vec, 1);
    /* An interrupt the device sent before the mask took may still be on its way (the device's I/O
     * thread raises it, the vCPU takes it at its next boundary): let it land before counting. */
    uint64_t s0 = guest_rdtsc();
    while (guest_rdtsc() - s0 < 20000000ull)
        __asm__ volatile("sti; pause; pause; cli" ::: "memory");
    unsigned n0 = dev.irqs;
    memset(rbuf, 0, 512);
    fill(ring.desc, 0, 0, T_IN, 0, rbuf, 512, 1);
    vdev_add(&dev, 0);
    vdev_kick(&dev);
    if (vdev_poll_used(&dev))
        fail("masked: no completion, function mask", (unsigned long)all);
    uint64_t t0 = guest_rdtsc();
    while (!vdev_msix_pending(&dev, dev.queue_vec) && guest_rdtsc() - t0 < 40000000000ull)
        __asm__ volatile("sti; pause; pause; cli" ::: "memory");
    if (!vdev_msix_pending(&dev, dev.queue_vec))
        fail("masked: the pending bit stays clear, function mask", (unsigned long)all);
    if (dev.irqs != n0)
        fail("masked: interrupts delivered", dev.irqs - n0);
    if (all)
        vdev_msix_mask_all(&dev, 0);
    else
        vdev_msix_mask(&dev, dev.queue_vec, 0);
    t0 = guest_rdtsc();
    while (dev.irqs == n0 && guest_rdtsc() - t0 < 40000000000ull)
        __asm__ volatile("sti; pause; pause; cli" ::: "memory");
    if (dev.irqs != n0 + 1)
        fail("unmasked: interrupts delivered", dev.irqs - n0);
    if (vdev_msix_pending(&dev, dev.queue_vec))
        fail("unmasked: the pending bit is still set, function mask", (unsigned long)all);
    if (stats[0] != 0)
        fail("masked read status", stats[0]);
    check(rbuf, host, 0, 1);
}

void virtio_blk_test(const char *cmdline, int msix)
{
    char arg[16];
    uint32_t seed = cmdline_get(cmdline, "seed", arg, sizeof(arg)) ? (uint32_t)parse_dec(arg) : 1;
    uint32_t host = cmdline_get(cmdline, "host", arg, sizeof(arg)) ? (uint32_t)parse_dec(arg) : 0;
    guest_cpu_tables();
    if (vdev_find(&dev, 2) < 0)
        fail("no virtio-blk PCI function with its capabilities", 0);
    if (!msix)
        vdev_irq_setup(&dev);
    else if (vdev_msix_setup(&dev, 1, 0) < 0)
        fail("no MSI-X capability with 2 entries, entries", dev.msix_n);
    uint8_t st = vdev_init(&dev, 1ull << 32 | 1ull << 28, &ring);   /* VERSION_1, INDIRECT_DESC */
    if (!(st & VSTAT_DRIVER_OK) || (st & VSTAT_NEEDS_RESET))
        fail("initialisation, status", st);
    if (msix) {
        if (dev.queue_vec_read != dev.queue_vec || dev.config_vec_read != dev.config_vec)
            fail("vector not taken: queue_msix_vector reads", dev.queue_vec_read);
        puts_("vmon-guest: virtio-blk msix entries ");
        putdec(dev.msix_n);
        puts_(", queue on entry 1 vector 0x51 dest 0, config on entry 0\n");
    }
    puts_("vmon-guest: virtio-blk slot ");
    putdec(dev.slot);
    puts_(" gsi ");
    putdec(dev.gsi);
    puts_(" capacity ");
    putdec((unsigned long)mmio_read32(dev.device));
    puts_(" features 0x");
    puthex(dev.features, 16);
    puts_("\n");

    if (request(T_IN, 0, rbuf, 4096, 2, 0) != 0)
        fail("read status", stats[0]);
    check(rbuf, host, 0, 8);
    puts_("vmon-guest: virtio-blk read host data ok\n");

    fill_pattern(wbuf, seed, 16, 16);
    if (request(T_OUT, 16, wbuf, 4096, 1, 0) != 0 || request(T_OUT, 24, wbuf + 4096, 4096, 2, 1) != 0 ||
        request(T_FLUSH, 0, 0, 0, 0, 0) != 0)
        fail("write or flush status", stats[0]);
    memset(rbuf, 0, sizeof(rbuf));
    if (request(T_IN, 16, rbuf, 8192, 4, 1) != 0)
        fail("read back status", stats[0]);
    check(rbuf, seed, 16, 16);
    puts_("vmon-guest: virtio-blk write, flush, read back ok (direct and indirect)\n");

    memset(rbuf, 0, 32);
    if (request(T_GET_ID, 0, rbuf, 20, 1, 0) != 0)
        fail("get-id status", stats[0]);
    rbuf[20] = 0;
    puts_("vmon-guest: virtio-blk id \"");
    puts_((const char *)rbuf);
    puts_("\"\n");

    if (request(T_IN, mmio_read32(dev.device), rbuf, 512, 1, 0) != 1)
        fail("read past the end: status", stats[0]);
    batches(seed, 64, 8);
    puts_("vmon-guest: virtio-blk 40 writes in batches of 5 ok\n");
    if (msix) {
        masked_read(host, 0);
        masked_read(host, 1);
        puts_("vmon-guest: virtio-blk msix masked: pending bit, no interrupt; unmasked: delivered\n");
        if (dev.intx_irqs)
            fail("MSI-X on, yet INTx interrupts", dev.intx_irqs);
    }
    puts_("vmon-guest: virtio-blk ok, ");
    putdec(dev.irqs);
    puts_(" interrupts");
    if (msix) {
        puts_(" on vector 0x51, ");
        putdec(dev.intx_irqs);
        puts_(" INTx");
    }
    puts_("\n");
    acpi_poweroff();
}
