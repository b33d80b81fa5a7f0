/* PCI config space and the i440FX/PIIX3 host bridge: mechanism #1 through the port bus, BAR
 * sizing and placement, decode enables, INTx and its disable bit, capabilities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hw/pci/host.h"

struct fake { uint64_t last_off, last_val; int reads; int level; };

static uint64_t fake_read(void *dev, uint64_t off, unsigned size)
{
    struct fake *f = dev;
    (void)size;
    f->last_off = off;
    f->reads++;
    return 0x5a;
}

static void fake_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct fake *f = dev;
    (void)size;
    f->last_off = off;
    f->last_val = val;
}

static void fake_irq(void *opaque, int level)
{
    ((struct fake *)opaque)->level = level;
}

static const struct io_ops fake_ops = { fake_read, fake_write };

struct rig {
    struct bus pio, mmio;
    struct pci_host *h;
    struct pci_dev dev;
    struct fake f;
};

static void rig_init(struct rig *r)
{
    bus_init(&r->pio, "pio");
    bus_init(&r->mmio, "mmio");
    r->h = pci_host_new(&r->pio, &r->mmio);
    assert_non_null(r->h);
    assert_int_equal(pci_host_map(r->h), 0);
    r->f = (struct fake){ 0 };
    pci_dev_init(&r->dev, "fake", 0x1af4, 0x1042, 0x010000, 1);
    pci_dev_set_bar(&r->dev, 0, 0x1000, false, &fake_ops, &r->f);
    pci_dev_set_bar(&r->dev, 1, 0x40, true, &fake_ops, &r->f);
    pci_dev_set_intx(&r->dev, (struct irq_line){ fake_irq, &r->f }, 10);
    assert_int_equal(pci_host_plug(r->h, 3, &r->dev), 0);
}

static uint64_t in(struct rig *r, uint16_t port, unsigned size)
{
    uint64_t v;
    bus_read(&r->pio, port, size, &v);
    return v;
}

static void out(struct rig *r, uint16_t port, uint64_t v, unsigned size)
{
    bus_write(&r->pio, port, v, size);
}

static uint32_t cfg_read(struct rig *r, unsigned slot, unsigned off, unsigned size)
{
    out(r, 0xcf8, pci_config_address(slot, off), 4);
    return (uint32_t)in(r, (uint16_t)(0xcfc + (off & 3)), size);
}

static void cfg_write(struct rig *r, unsigned slot, unsigned off, uint32_t v, unsigned size)
{
    out(r, 0xcf8, pci_config_address(slot, off), 4);
    out(r, (uint16_t)(0xcfc + (off & 3)), v, size);
}

/* Linux's pci_direct_probe/pci_sanity_check: the latch reads back, ids and classes are there. */
static void test_bridges_enumerate(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    out(&r, 0xcf8, 0x80000000, 4);
    assert_int_equal(in(&r, 0xcf8, 4), 0x80000000);
    assert_int_equal(cfg_read(&r, 0, 0, 4), 0x12378086);
    assert_int_equal(cfg_read(&r, 1, 0, 4), 0x70008086);
    assert_int_equal(cfg_read(&r, 0, 0x0a, 2), 0x0600);     /* host bridge */
    assert_int_equal(cfg_read(&r, 1, 0x0a, 2), 0x0601);     /* ISA bridge */
    assert_int_equal(cfg_read(&r, 1, 0x0e, 1), 0x80);
    /* PAM registers: 0 at reset, keep their enable bits as SeaBIOS writes them. */
    assert_int_equal(cfg_read(&r, 0, 0x59, 1), 0);
    cfg_write(&r, 0, 0x58, 0x33333333, 4);
    cfg_write(&r, 0, 0x5c, 0xffffffff, 4);
    cfg_write(&r, 0, 0x60, 0xffffffff, 4);
    assert_int_equal(cfg_read(&r, 0, 0x58, 4), 0x33333000);
    assert_int_equal(cfg_read(&r, 0, 0x5c, 4), 0x33333333);   /* PAM3-6 */
    assert_int_equal(cfg_read(&r, 0, 0x60, 4), 0);             /* past PAM6: read-only */
    assert_int_equal(cfg_read(&r, 3, 0x02, 2), 0x1042);     /* word at offset 2 */
    assert_int_equal(cfg_read(&r, 3, 0x01, 1), 0x1a);       /* byte at offset 1 */
    assert_int_equal(cfg_read(&r, 3, 0x08, 4), 0x01000001); /* class 01/00/00, revision 1 */
    /* Empty slots, other functions, other buses and a cleared enable bit: all-ones. */
    assert_int_equal(cfg_read(&r, 4, 0, 4), 0xffffffff);
    out(&r, 0xcf8, pci_config_address(3, 0) | 1u << 8, 4);
    assert_int_equal(in(&r, 0xcfc, 4), 0xffffffff);
    out(&r, 0xcf8, pci_config_address(3, 0) | 1u << 16, 4);
    assert_int_equal(in(&r, 0xcfc, 2), 0xffff);
    out(&r, 0xcf8, 3u << 11, 4);
    assert_int_equal(in(&r, 0xcfc, 4), 0xffffffff);
    /* Byte accesses to 0xcf8 do not touch the latch (0xcf9 is another device's). */
    out(&r, 0xcf8, pci_config_address(3, 0), 4);
    out(&r, 0xcf8, 0x12, 1);
    assert_int_equal(in(&r, 0xcf8, 4), pci_config_address(3, 0));
    assert_int_equal(pci_host_plug(r.h, 3, &r.dev), -16);
    assert_int_equal(pci_host_plug(r.h, 32, &r.dev), -22);
    pci_host_free(r.h);
}

/* PAM0-PAM6 (82441FX 3.2.18) go to the board's pam link after each write touching them, a reset
 * clears them and tells it too; other registers do not call it. */
struct pam_seen { int calls; uint8_t regs[PCI_PAM_REGS]; };

static void pam_changed(void *opaque, const uint8_t *regs)
{
    struct pam_seen *p = opaque;
    p->calls++;
    memcpy(p->regs, regs, PCI_PAM_REGS);
}

static void test_pam_link(void **state)
{
    (void)state;
    struct rig r;
    struct pam_seen seen = { 0 };
    rig_init(&r);
    r.h->pam = (struct pam_link){ pam_changed, &seen };
    cfg_write(&r, 0, 0x58, 0x11223344, 4);      /* PAM0 in byte 1: only bits 5:4 writable */
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.regs[0], 0x30);
    assert_int_equal(seen.regs[1], 0x22);       /* PAM1 at 0x5a */
    assert_int_equal(seen.regs[2], 0x11);
    cfg_write(&r, 0, 0x5f, 0x31, 1);            /* PAM6 */
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.regs[6], 0x31);
    cfg_write(&r, 0, 0x60, 0xff, 1);            /* past PAM6 */
    cfg_write(&r, 0, 0x57, 0xff, 1);            /* before PAM0 */
    cfg_write(&r, 3, 0x59, 0x30, 1);            /* another function's 0x59 */
    assert_int_equal(seen.calls, 2);
    pci_host_reset_pam(r.h);
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.regs[0], 0);
    assert_int_equal(seen.regs[6], 0);
    assert_int_equal(cfg_read(&r, 0, 0x5c, 4), 0);
    pci_host_free(r.h);
}

/* 6.2.5.1: all-ones reads back the size mask with the type bits; unimplemented BARs read 0. */
static void test_bar_sizing(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(cfg_read(&r, 3, 0x10, 4), 0);
    assert_int_equal(cfg_read(&r, 3, 0x14, 4), 1);
    cfg_write(&r, 3, 0x10, 0xffffffff, 4);
    cfg_write(&r, 3, 0x14, 0xffffffff, 4);
    cfg_write(&r, 3, 0x18, 0xffffffff, 4);
    assert_int_equal(cfg_read(&r, 3, 0x10, 4), 0xfffff000);
    assert_int_equal(cfg_read(&r, 3, 0x14, 4), 0xffffffc1);
    assert_int_equal(cfg_read(&r, 3, 0x18, 4), 0);
    /* Ids and the read-only header do not change. */
    cfg_write(&r, 3, 0x00, 0xffffffff, 4);
    cfg_write(&r, 3, 0x08, 0xffffffff, 4);
    assert_int_equal(cfg_read(&r, 3, 0x00, 4), 0x10421af4);
    assert_int_equal(cfg_read(&r, 3, 0x08, 4), 0x01000001);
    pci_host_free(r.h);
}

/* BARs decode only with their command bit set, follow the guest when it moves them, and a byte
 * write programs part of a BAR. */
static void test_bar_decode(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    uint64_t v;
    cfg_write(&r, 3, 0x10, 0xc0001000, 4);
    cfg_write(&r, 3, 0x14, 0xc040, 4);
    assert_false(bus_read(&r.mmio, 0xc0001004, 4, &v));
    assert_false(bus_read(&r.pio, 0xc040, 1, &v));
    cfg_write(&r, 3, 0x04, PCI_COMMAND_MEMORY, 2);
    assert_true(bus_read(&r.mmio, 0xc0001004, 4, &v));
    assert_int_equal(v, 0x5a);
    assert_int_equal(r.f.last_off, 4);
    assert_false(bus_read(&r.pio, 0xc040, 1, &v));
    cfg_write(&r, 3, 0x04, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    assert_true(bus_write(&r.pio, 0xc07f, 7, 1));
    assert_int_equal(r.f.last_off, 0x3f);
    /* Move the memory BAR with one byte write: the old place goes dark. */
    cfg_write(&r, 3, 0x11, 0x20, 1);
    assert_int_equal(cfg_read(&r, 3, 0x10, 4), 0xc0002000);
    assert_false(bus_read(&r.mmio, 0xc0001004, 4, &v));
    assert_true(bus_read(&r.mmio, 0xc0002008, 4, &v));
    /* Sizing with the decoder on does not map the window at 0xfffff000. */
    cfg_write(&r, 3, 0x10, 0xffffffff, 4);
    assert_false(bus_read(&r.mmio, 0xfffff000, 4, &v));
    assert_false(bus_read(&r.mmio, 0xc0002008, 4, &v));
    cfg_write(&r, 3, 0x10, 0xc0002000, 4);
    assert_true(bus_read(&r.mmio, 0xc0002008, 4, &v));
    cfg_write(&r, 3, 0x04, 0, 2);
    assert_false(bus_read(&r.mmio, 0xc0002008, 4, &v));
    assert_false(bus_read(&r.pio, 0xc040, 1, &v));
    pci_host_free(r.h);
}

/* The expansion ROM (6.2.5.2): sized as 0xfffff800-style masks with its enable bit, decoded only
 * with both that bit and the memory decoder on, read-only, 0xff past the image's end never read. */
static void test_rom(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    static uint8_t image[0x8000];
    for (unsigned i = 0; i < sizeof(image); i++)
        image[i] = (uint8_t)(i * 7);
    image[0] = 0x55, image[1] = 0xaa;
    pci_dev_set_rom(&r.dev, image, sizeof(image));
    uint64_t v;
    assert_int_equal(cfg_read(&r, 3, 0x30, 4), 0);
    cfg_write(&r, 3, 0x30, 0xfffffffe, 4);
    assert_int_equal(cfg_read(&r, 3, 0x30, 4), 0xffff8000);
    cfg_write(&r, 3, 0x30, 0xc0010000, 4);               /* placed, not enabled */
    cfg_write(&r, 3, 0x04, PCI_COMMAND_MEMORY, 2);
    assert_false(bus_read(&r.mmio, 0xc0010000, 2, &v));
    cfg_write(&r, 3, 0x30, 0xc0010001, 4);               /* enabled */
    assert_int_equal(cfg_read(&r, 3, 0x30, 4), 0xc0010001);
    assert_true(bus_read(&r.mmio, 0xc0010000, 2, &v));
    assert_int_equal(v, 0xaa55);
    assert_true(bus_read(&r.mmio, 0xc0010000 + 0x1234, 4, &v));
    assert_int_equal(v, (uint32_t)((uint8_t)(0x1234 * 7) | (uint8_t)(0x1235 * 7) << 8 |
                                   (uint8_t)(0x1236 * 7) << 16 | (uint32_t)(uint8_t)(0x1237 * 7) << 24));
    assert_true(bus_write(&r.mmio, 0xc0010000, 0, 4));   /* dropped */
    assert_true(bus_read(&r.mmio, 0xc0010000, 1, &v));
    assert_int_equal(v, 0x55);
    cfg_write(&r, 3, 0x04, 0, 2);                        /* memory decoder off: dark */
    assert_false(bus_read(&r.mmio, 0xc0010000, 2, &v));
    pci_host_free(r.h);
}

/* INTA#: pin 1, the firmware's line, the status bit, Interrupt Disable masking the line. */
static void test_intx(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(cfg_read(&r, 3, 0x3c, 2), 0x010a);
    pci_set_irq(&r.dev, 1);
    assert_int_equal(r.f.level, 1);
    assert_true(cfg_read(&r, 3, 0x06, 2) & PCI_STATUS_INTERRUPT);
    cfg_write(&r, 3, 0x04, PCI_COMMAND_INTX_DISABLE, 2);
    assert_int_equal(r.f.level, 0);
    assert_true(cfg_read(&r, 3, 0x06, 2) & PCI_STATUS_INTERRUPT);
    cfg_write(&r, 3, 0x04, 0, 2);
    assert_int_equal(r.f.level, 1);
    pci_set_irq(&r.dev, 0);
    assert_int_equal(r.f.level, 0);
    assert_false(cfg_read(&r, 3, 0x06, 2) & PCI_STATUS_INTERRUPT);
    cfg_write(&r, 3, 0x3c, 11, 1);
    assert_int_equal(cfg_read(&r, 3, 0x3c, 2), 0x010b);
    pci_host_free(r.h);
}

static void test_capabilities(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_int_equal(pci_add_cap(&r.dev, 0x09, 16), 0x40);
    assert_int_equal(pci_add_cap(&r.dev, 0x09, 20), 0x50);
    assert_true(cfg_read(&r, 3, 0x06, 2) & PCI_STATUS_CAP_LIST);
    assert_int_equal(cfg_read(&r, 3, 0x34, 1), 0x50);
    assert_int_equal(cfg_read(&r, 3, 0x50, 2), 0x4009);
    assert_int_equal(cfg_read(&r, 3, 0x40, 2), 0x0009);
    assert_int_equal(pci_add_cap(&r.dev, 0x09, 200), 0);
    /* Offsets past the end of config space read as all-ones (a dword at 0xfe). */
    assert_int_equal(pci_cfg_read(&r.dev, 0xfe, 4), 0xffff0000);
    pci_host_free(r.h);
}

/* ECAM: the same functions at base + (bus << 20 | dev << 15 | fn << 12 | reg), in any size. */
static void test_ecam(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    const uint64_t base = 0xe0000000;
    assert_int_equal(pci_host_map_ecam(r.h, base, 0x10000000), 0);
    uint64_t v = 0;
    assert_true(bus_read(&r.mmio, base, 4, &v));
    assert_int_equal(v, 0x12378086);
    bus_read(&r.mmio, base + (3 << 15) + 2, 2, &v);
    assert_int_equal(v, 0x1042);
    bus_read(&r.mmio, base + (3 << 15) + 0x0b, 1, &v);
    assert_int_equal(v, 0x01);
    /* A write through ECAM is a config write: the command register, seen through 0xcf8. */
    bus_write(&r.mmio, base + (3 << 15) + PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    assert_int_equal(cfg_read(&r, 3, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
    /* Empty slots, other functions and buses, extended registers: all-ones; writes dropped. */
    bus_read(&r.mmio, base + (4 << 15), 4, &v);
    assert_int_equal(v, 0xffffffff);
    bus_read(&r.mmio, base + (3 << 15) + (1 << 12), 4, &v);
    assert_int_equal(v, 0xffffffff);
    bus_read(&r.mmio, base + (1 << 20) + (3 << 15), 4, &v);
    assert_int_equal(v, 0xffffffff);
    bus_read(&r.mmio, base + (3 << 15) + 0x100, 4, &v);
    assert_int_equal(v, 0xffffffff);
    bus_read(&r.mmio, base + (3 << 15) + 0xfe, 4, &v);
    assert_int_equal(v, 0xffffffff);
    bus_read(&r.mmio, base + (3 << 15), 8, &v);
    assert_int_equal(v, 0xffffffff);
    bus_write(&r.mmio, base + (1 << 20) + (3 << 15) + PCI_COMMAND, 0, 2);
    bus_write(&r.mmio, base + (3 << 15) + (2 << 12) + PCI_COMMAND, 0, 2);
    assert_int_equal(cfg_read(&r, 3, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
    pci_host_free(r.h);
}

/* A second function (the PIIX3's IDE at 00:01.1): reached by its function number through 0xcf8
 * and ECAM; its neighbours stay all-ones. */
static void test_function(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    struct pci_dev ide;
    pci_dev_init(&ide, "ide", 0x8086, 0x7010, 0x010180, 0);
    assert_int_equal(pci_host_plug_fn(r.h, 1, 1, &ide), 0);
    assert_int_equal(pci_host_plug_fn(r.h, 1, 1, &ide), -16);
    assert_int_equal(pci_host_plug_fn(r.h, 1, 8, &ide), -22);
    out(&r, 0xcf8, pci_config_address(1, 0) | 1u << 8, 4);
    assert_int_equal(in(&r, 0xcfc, 4), 0x70108086);
    out(&r, 0xcf8, pci_config_address(1, 0) | 2u << 8, 4);
    assert_int_equal(in(&r, 0xcfc, 4), 0xffffffff);
    assert_int_equal(pci_host_map_ecam(r.h, 0xe0000000, 0x10000000), 0);
    uint64_t v = 0;
    bus_read(&r.mmio, 0xe0000000 + (1 << 15) + (1 << 12) + 0x0a, 2, &v);
    assert_int_equal(v, 0x0101);
    pci_host_free(r.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bridges_enumerate), cmocka_unit_test(test_pam_link),
        cmocka_unit_test(test_bar_sizing),
        cmocka_unit_test(test_bar_decode), cmocka_unit_test(test_rom), cmocka_unit_test(test_intx),
        cmocka_unit_test(test_capabilities), cmocka_unit_test(test_ecam), cmocka_unit_test(test_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
