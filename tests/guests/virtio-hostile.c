/* test=virtio-hostile: hands the virtio-blk device malformed chains (virtio 1.2, 2.7.5: what a
 * driver must not do) and checks that the device answers each with NEEDS_RESET (2.1.2) or an error
 * status, that a reset brings it back, and that it then reads the host's sectors 0-7 (host=M, the
 * pattern of virtio-blk.c). Every hostile request is a write of sector 0: the host checks the
 * image is unchanged afterwards. */
#include "guest.h"
#include "virtio.h"

#define BIG 200                         /* longer than the ring and than the device's seg_max */
#define FAR 0x0000700000000000ull       /* far above any guest RAM */

static struct vring ring __attribute__((aligned(4096)));
static struct vring_desc itable[BIG] __attribute__((aligned(16)));
static struct { uint32_t type, reserved; uint64_t sector; } hdr = { 1, 0, 0 };
static uint8_t status;
static uint8_t buf[4096] __attribute__((aligned(4096)));
static struct vdev dev;

static struct vring_desc hd(uint16_t flags, uint16_t next)
{
    return (struct vring_desc){ (uintptr_t)&hdr, 16, flags, next };
}
static struct vring_desc data(uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    return (struct vring_desc){ addr, len, flags, next };
}
static struct vring_desc st(void) { return (struct vring_desc){ (uintptr_t)&status, 1, VRING_F_WRITE, 0 }; }

/* Each case fills the ring's descriptors (and the indirect table) and returns the head. */
static uint16_t c_loop(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data((uintptr_t)buf, 512, VRING_F_NEXT, 2);
    d[2] = data((uintptr_t)buf, 512, VRING_F_NEXT, 1);    /* back to 1: never ends */
    return 0;
}
static uint16_t c_self(struct vring_desc *d)
{
    d[5] = data((uintptr_t)buf, 512, VRING_F_NEXT, 5);
    return 5;
}
static uint16_t c_far(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data(FAR, 512, VRING_F_NEXT, 2);
    d[2] = st();
    return 0;
}
static uint16_t c_wrap(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data(0xfffffffffffffe00ull, 0x400, VRING_F_NEXT, 2);   /* addr + len wraps past 2^64 */
    d[2] = st();
    return 0;
}
static uint16_t c_mmio(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data(dev.common & ~0xfffull, 512, VRING_F_NEXT, 2);  /* the device's own BAR */
    d[2] = st();
    return 0;
}
static uint16_t c_zero(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data((uintptr_t)buf, 0, VRING_F_NEXT, 2);
    d[2] = st();
    return 0;
}
static uint16_t c_zero_hdr(struct vring_desc *d)
{
    d[0] = data((uintptr_t)&hdr, 0, VRING_F_NEXT, 1);
    d[1] = st();
    return 0;
}
static uint16_t c_4g(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data((uintptr_t)buf, 0xffffffffu, VRING_F_NEXT, 2);
    d[2] = st();
    return 0;
}
static uint16_t c_4g_split(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, 1);
    for (uint16_t i = 1; i < 9; i++)                  /* 8 x 512 MiB from 0: past 64 MiB of RAM */
        d[i] = data((uint64_t)(i - 1) << 29, 1u << 29, VRING_F_NEXT, (uint16_t)(i + 1));
    d[9] = st();
    return 0;
}
static uint16_t c_next_range(struct vring_desc *d)
{
    d[0] = hd(VRING_F_NEXT, VQ_SIZE + 3);
    return 0;
}
static uint16_t c_head_range(struct vring_desc *d)
{
    (void)d;
    return 200;
}
static uint16_t c_ind_self(struct vring_desc *d)
{
    itable[0] = data((uintptr_t)itable, 32, VRING_F_INDIRECT, 0);   /* the table names itself */
    itable[1] = st();
    d[0] = data((uintptr_t)itable, 32, VRING_F_INDIRECT, 0);
    return 0;
}
static uint16_t c_ind_loop(struct vring_desc *d)
{
    itable[0] = hd(VRING_F_NEXT, 1);
    itable[1] = data((uintptr_t)buf, 512, VRING_F_NEXT, 0);
    d[0] = data((uintptr_t)itable, 32, VRING_F_INDIRECT, 0);
    return 0;
}
static uint16_t c_ind_long(struct vring_desc *d)
{
    itable[0] = hd(VRING_F_NEXT, 1);
    for (uint16_t i = 1; i < BIG - 1; i++)
        itable[i] = data((uintptr_t)buf, 512, VRING_F_NEXT, (uint16_t)(i + 1));
    itable[BIG - 1] = st();
    d[0] = data((uintptr_t)itable, BIG * 16, VRING_F_INDIRECT, 0);
    return 0;
}
static uint16_t c_ind_far(struct vring_desc *d)
{
    d[0] = data(FAR, 64, VRING_F_INDIRECT, 0);
    return 0;
}
static uint16_t c_ind_4g(struct vring_desc *d)
{
    d[0] = data((uintptr_t)itable, 0xfffffff0u, VRING_F_INDIRECT, 0);
    return 0;
}
static uint16_t c_ind_in_chain(struct vring_desc *d)
{
    itable[0] = hd(VRING_F_NEXT, 1);
    itable[1] = st();
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data((uintptr_t)itable, 32, VRING_F_INDIRECT, 0);
    return 0;
}

static const struct { const char *name; uint16_t (*fill)(struct vring_desc *); int jump; } cases[] = {
    { "loop", c_loop, 0 },           { "self-loop", c_self, 0 },       { "out-of-ram", c_far, 0 },
    { "addr-wrap", c_wrap, 0 },      { "mmio-buffer", c_mmio, 0 },     { "zero-len", c_zero, 0 },
    { "zero-header", c_zero_hdr, 0 }, { "len-4g", c_4g, 0 },           { "4g-in-pieces", c_4g_split, 0 },
    { "next-out-of-range", c_next_range, 0 }, { "head-out-of-range", c_head_range, 0 },
    { "indirect-self", c_ind_self, 0 }, { "indirect-loop", c_ind_loop, 0 },
    { "indirect-longer-than-queue", c_ind_long, 0 }, { "indirect-out-of-ram", c_ind_far, 0 },
    { "indirect-len-4g", c_ind_4g, 0 }, { "indirect-inside-chain", c_ind_in_chain, 0 },
    { "avail-idx-jump", c_loop, 100 },
};

static void __attribute__((noreturn)) fail(const char *why, const char *name)
{
    puts_("vmon-guest: virtio-hostile FAIL: ");
    puts_(why);
    puts_(" ");
    puts_(name);
    puts_("\n");
    debug_exit(0x7d);
}

static void start(const char *name)
{
    uint8_t s = vdev_init(&dev, 1ull << 32 | 1ull << 28, &ring);
    if (!(s & VSTAT_DRIVER_OK) || (s & VSTAT_NEEDS_RESET))
        fail("no DRIVER_OK after a reset before", name);
}

void virtio_hostile_test(const char *cmdline)
{
    char arg[16];
    uint32_t host = cmdline_get(cmdline, "host", arg, sizeof(arg)) ? (uint32_t)parse_dec(arg) : 0;
    guest_cpu_tables();
    if (vdev_find(&dev, 2) < 0)
        fail("no virtio-blk PCI function", "");
    vdev_irq_setup(&dev);
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 13 + 5);        /* what a wrongly taken write would leave */
    unsigned resets = 0;
    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        start(cases[k].name);
        status = 0xff;
        vdev_add(&dev, cases[k].fill(ring.desc));
        dev.avail_idx = (uint16_t)(dev.avail_idx + cases[k].jump);
        vdev_kick(&dev);
        int r = vdev_wait(&dev);
        if (r < 0)
            fail("no answer (neither used nor NEEDS_RESET) to", cases[k].name);
        puts_("vmon-guest: hostile ");
        puts_(cases[k].name);
        if (r > 0) {
            puts_(": needs reset (status 0x");
            puthex(vdev_status(&dev), 2);
            puts_(")\n");
            resets++;
        } else {
            puts_(": used, request status ");
            putdec(status);
            puts_("\n");
        }
    }
    /* Rings the device cannot use: the queue enable itself sets NEEDS_RESET. */
    static const uint64_t rings[][3] = {
        { FAR, 0x200000, 0x201000 },                    /* descriptor table out of RAM */
        { 0x200000, 0xfec00000, 0x201000 },             /* available ring on the IOAPIC */
        { 0x200000, 0x201000, 0x4000000 - 0x40 },       /* used ring running off RAM's end */
        { 0x200008, 0x201000, 0x202000 },               /* misaligned table */
    };
    for (unsigned k = 0; k < 4; k++) {
        uint8_t s = vdev_init_rings(&dev, 1ull << 32, rings[k][0], rings[k][1], rings[k][2]);
        puts_("vmon-guest: hostile rings ");
        putdec(k);
        puts_(s & VSTAT_NEEDS_RESET ? ": needs reset\n" : ": accepted\n");
        if (!(s & VSTAT_NEEDS_RESET))
            fail("rings the device cannot use were accepted, case", "");
        resets++;
    }
    /* After all that, a reset device serves a correct request. */
    start("the final read");
    struct vring_desc *d = ring.desc;
    hdr.type = 0;                      /* a read of sector 0 */
    d[0] = hd(VRING_F_NEXT, 1);
    d[1] = data((uintptr_t)buf, 4096, VRING_F_NEXT | VRING_F_WRITE, 2);
    d[2] = st();
    vdev_add(&dev, 0);
    vdev_kick(&dev);
    if (vdev_wait(&dev) != 0 || status != 0)
        fail("read after the hostile chains failed", "");
    for (unsigned s = 0; s < 8; s++)
        for (unsigned i = 0; i < 512; i++)
            if (buf[s * 512 + i] != (uint8_t)(s * 131 + i * 7 + (i >> 8) + host))
                fail("read after the hostile chains gave wrong data", "");
    puts_("vmon-guest: virtio-hostile ");
    putdec(resets);
    puts_(" resets, device works after reset\n");
    acpi_poweroff();
}
