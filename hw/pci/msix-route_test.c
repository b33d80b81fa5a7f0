/* MSI-X over routes (hw/link.h msi_link's route_set/route_free: an accelerator's irqfd): a vector
 * that fires gets a route for its message and then an eventfd write per interrupt instead of a
 * send; a masked vector writes nothing and sets its pending bit; a changed message moves the route;
 * a refused route falls back to send; destroy gives the routes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hw/pci/msix.h"

#define BAR_ADDR 0xc0001000u

struct rig {
    struct bus pio, mmio;
    struct pci_dev d;
    struct msix m;
    int sent, sets, freed, fail_with;
    int fd;                            /* the eventfd every route hands out */
    int next_id;
    uint64_t addr;                     /* the last route_set's message */
    uint32_t data;
};

static void on_msi(void *opaque, uint64_t addr, uint32_t data)
{
    (void)addr;
    (void)data;
    ((struct rig *)opaque)->sent++;
}

static int on_route_set(void *opaque, int *id, uint64_t addr, uint32_t data)
{
    struct rig *r = opaque;
    r->sets++;
    if (r->fail_with)
        return r->fail_with;
    if (*id < 0)
        *id = r->next_id++;
    r->addr = addr;
    r->data = data;
    return r->fd;
}

static void on_route_free(void *opaque, int id)
{
    (void)id;
    ((struct rig *)opaque)->freed++;
}

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    r->fd = eventfd(0, EFD_NONBLOCK);
    assert_true(r->fd >= 0);
    bus_init(&r->pio, "pio");
    bus_init(&r->mmio, "mmio");
    pci_dev_init(&r->d, "dev", 0x1af4, 0x1042, 0x010000, 1);
    r->d.pio = &r->pio;
    r->d.mmio = &r->mmio;
    pci_dev_set_msi(&r->d, (struct msi_link){ .send = on_msi, .opaque = r, .route_set = on_route_set,
                                              .route_free = on_route_free });
    assert_int_equal(msix_init(&r->m, &r->d, 4, 1), 0);
    pci_cfg_write(&r->d, PCI_BAR0 + 4, BAR_ADDR, 4);
    pci_cfg_write(&r->d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    pci_cfg_write(&r->d, r->m.cap + 2, MSIX_CTRL_ENABLE, 2);
}

static void rig_done(struct rig *r)
{
    msix_destroy(&r->m);
    close(r->fd);
}

static void wr(struct rig *r, uint64_t off, uint32_t val)
{
    assert_true(bus_write(&r->mmio, BAR_ADDR + off, val, 4));
}

static void program(struct rig *r, unsigned v, uint32_t addr, uint32_t data, uint32_t ctrl)
{
    wr(r, v * 16, addr);
    wr(r, v * 16 + 4, 0);
    wr(r, v * 16 + 8, data);
    wr(r, v * 16 + 12, ctrl);
}

/* What the eventfd counted since the last look (0 when nothing was written). */
static uint64_t taken(struct rig *r)
{
    uint64_t n = 0;
    if (read(r->fd, &n, sizeof(n)) != sizeof(n))
        return 0;
    return n;
}

static uint32_t pba(struct rig *r)
{
    uint64_t v = 0;
    assert_true(bus_read(&r->mmio, BAR_ADDR + MSIX_PBA_OFFSET, 4, &v));
    return (uint32_t)v;
}

static void test_route_per_vector(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    program(&r, 2, 0xfee01000u, 0x51, 0);
    msix_notify(&r.m, 2);
    msix_notify(&r.m, 2);
    msix_notify(&r.m, 2);
    assert_int_equal(r.sets, 1);             /* one route for the message, then only writes */
    assert_int_equal(r.addr, 0xfee01000u);
    assert_int_equal(r.data, 0x51);
    assert_int_equal(taken(&r), 3);
    assert_int_equal(r.sent, 0);
    program(&r, 2, 0xfee02000u, 0x52, 0);   /* the guest moves the vector: the route follows */
    msix_notify(&r.m, 2);
    assert_int_equal(r.sets, 2);
    assert_int_equal(r.addr, 0xfee02000u);
    assert_int_equal(r.data, 0x52);
    assert_int_equal(taken(&r), 1);
    rig_done(&r);
    assert_int_equal(r.freed, 1);
}

static void test_masked_writes_nothing(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    program(&r, 1, 0xfee00000u, 0x41, MSIX_ENTRY_MASKED);
    msix_notify(&r.m, 1);
    assert_int_equal(taken(&r), 0);
    assert_int_equal(r.sent, 0);
    assert_int_equal(pba(&r), 1u << 1);
    wr(&r, 16 + 12, 0);                      /* unmask: the pending message goes by the route */
    assert_int_equal(taken(&r), 1);
    assert_int_equal(pba(&r), 0);
    pci_cfg_write(&r.d, r.m.cap + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL, 2);
    msix_notify(&r.m, 1);
    assert_int_equal(taken(&r), 0);
    assert_int_equal(pba(&r), 1u << 1);
    pci_cfg_write(&r.d, r.m.cap + 2, MSIX_CTRL_ENABLE, 2);
    msix_config_written(&r.m);
    assert_int_equal(taken(&r), 1);
    assert_int_equal(r.sent, 0);
    rig_done(&r);
}

static void test_refused_route_sends(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    r.fail_with = -ENOSPC;
    program(&r, 0, 0xfee00000u, 0x41, 0);
    msix_notify(&r.m, 0);
    msix_notify(&r.m, 0);
    assert_int_equal(r.sent, 2);
    assert_int_equal(r.sets, 1);             /* not asked again at every interrupt */
    assert_int_equal(taken(&r), 0);
    rig_done(&r);
    assert_int_equal(r.freed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_per_vector), cmocka_unit_test(test_masked_writes_nothing),
        cmocka_unit_test(test_refused_route_sends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
