/* MSI (PCI 3.0, 6.8.1): the capability's layout for each of the 32/64-bit and masking variants as
 * a driver reads it, the message (address, data with the vector in its low bits for multiple
 * messages), Multiple Message Enable capped by what the function asks, per-vector masking with
 * pending bits that fire on unmask, INTx off while MSI is on, and hostile values (odd address
 * bits, vectors past the enabled count, pending bits the guest tries to write). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "hw/pci/msi.h"
#include "hw/pci/msi-sink_test.h"

struct rig {
    struct pci_dev d;
    struct msi_cap m;
    struct msi_sink s;
};

static void rig_init(struct rig *r, unsigned nvec, bool is64, bool maskable)
{
    memset(r, 0, sizeof(*r));
    pci_dev_init(&r->d, "dev", 0x8086, 0x1234, 0x020000, 1);
    msi_sink_attach(&r->s, &r->d);
    assert_int_equal(msi_cap_init(&r->m, &r->d, nvec, is64, maskable), 0);
}

static unsigned cap(struct rig *r) { return r->m.cap; }
static void cw(struct rig *r, unsigned off, uint32_t v, unsigned size) { pci_cfg_write(&r->d, cap(r) + off, v, size); }
static uint32_t cr(struct rig *r, unsigned off, unsigned size) { return pci_cfg_read(&r->d, cap(r) + off, size); }

static void test_layout(void **state)
{
    (void)state;
    static const struct { bool is64, maskable; unsigned data, mask; } v[] = {
        { false, false, 8, 0 }, { true, false, 12, 0 }, { false, true, 8, 12 }, { true, true, 12, 16 },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct rig r;
        rig_init(&r, 4, v[i].is64, v[i].maskable);
        assert_true(pci_cfg_read(&r.d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
        assert_int_equal(pci_cfg_read(&r.d, PCI_CAPABILITY_LIST, 1), cap(&r));
        assert_int_equal(cr(&r, 0, 1), PCI_CAP_ID_MSI);
        uint16_t ctrl = (uint16_t)cr(&r, 2, 2);
        assert_int_equal((ctrl >> 1) & 7, 2);            /* 4 vectors: Multiple Message Capable 2 */
        assert_int_equal(!!(ctrl & MSI_CTRL_64BIT), v[i].is64);
        assert_int_equal(!!(ctrl & MSI_CTRL_MASKABLE), v[i].maskable);
        cw(&r, 4, 0xfee0100fu, 4);                       /* the low two bits are reserved */
        assert_int_equal(cr(&r, 4, 4), 0xfee0100cu);
        cw(&r, v[i].data, 0x12345678u, 4);
        assert_int_equal(cr(&r, v[i].data, 2), 0x5678);
        if (v[i].maskable) {
            cw(&r, v[i].mask, 0xffffffffu, 4);           /* only the 4 vectors' bits exist */
            assert_int_equal(cr(&r, v[i].mask, 4), 0xf);
            cw(&r, v[i].mask + 4, 0xffffffffu, 4);       /* pending bits are read-only */
            assert_int_equal(cr(&r, v[i].mask + 4, 4), 0);
        }
        msi_cap_destroy(&r.m);
    }
}

static void test_delivery(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 4, true, false);
    cw(&r, 4, 0xfee02000u, 4);
    cw(&r, 8, 0x1, 4);
    cw(&r, 12, 0x4163, 2);
    msi_cap_notify(&r.m, 0);
    assert_int_equal(r.s.sent, 0);                         /* off: nothing */
    cw(&r, 2, MSI_CTRL_ENABLE, 2);                       /* one vector enabled */
    assert_int_equal(msi_cap_vectors(&r.m), 1);
    msi_cap_notify(&r.m, 0);
    assert_int_equal(r.s.sent, 1);
    assert_int_equal(r.s.addr, 0x1fee02000ull);
    assert_int_equal(r.s.data, 0x4163);
    msi_cap_notify(&r.m, 1);                             /* past the enabled count: dropped */
    assert_int_equal(r.s.sent, 1);
    cw(&r, 2, MSI_CTRL_ENABLE | 7 << 4, 2);              /* asks 32: capped at the 4 offered */
    assert_int_equal(msi_cap_vectors(&r.m), 4);
    cw(&r, 12, 0x4160, 2);
    msi_cap_notify(&r.m, 3);
    assert_int_equal(r.s.sent, 2);
    assert_int_equal(r.s.data, 0x4163);                    /* vector 3 in the low 2 bits */
    msi_cap_notify(&r.m, 40);
    assert_int_equal(r.s.sent, 2);
    msi_cap_destroy(&r.m);
}

static void test_masking(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 2, false, true);
    cw(&r, 4, 0xfee00000u, 4);
    cw(&r, 8, 0x50, 2);
    cw(&r, 12, 0x2, 4);                                  /* vector 1 masked */
    cw(&r, 2, MSI_CTRL_ENABLE | 1 << 4, 2);
    msi_cap_notify(&r.m, 1);
    assert_int_equal(r.s.sent, 0);
    assert_int_equal(cr(&r, 16, 4), 0x2);                /* pending */
    msi_cap_notify(&r.m, 0);
    assert_int_equal(r.s.sent, 1);
    assert_int_equal(r.s.data, 0x50);
    cw(&r, 12, 0, 4);                                    /* unmask: the pending one goes out */
    assert_int_equal(r.s.sent, 2);
    assert_int_equal(r.s.data, 0x51);
    assert_int_equal(cr(&r, 16, 4), 0);
    cw(&r, 12, 0, 4);                                    /* nothing pending: nothing more */
    assert_int_equal(r.s.sent, 2);
    msi_cap_destroy(&r.m);
}

static void test_intx_off_while_enabled(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1, false, false);
    pci_set_irq(&r.d, 1);
    assert_int_equal(r.s.level, 1);
    cw(&r, 2, MSI_CTRL_ENABLE, 2);
    assert_int_equal(r.s.level, 0);
    pci_set_irq(&r.d, 1);
    assert_int_equal(r.s.level, 0);
    cw(&r, 2, 0, 2);
    assert_int_equal(r.s.level, 1);                        /* still asserted: back on the line */
    msi_cap_destroy(&r.m);
}

static void test_bad_init(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, 1, false, false);
    assert_int_equal(msi_cap_init(&(struct msi_cap){ 0 }, &r.d, 3, false, false), -EINVAL);
    assert_int_equal(msi_cap_init(&(struct msi_cap){ 0 }, &r.d, 0, false, false), -EINVAL);
    assert_int_equal(msi_cap_init(&(struct msi_cap){ 0 }, &r.d, 64, false, false), -EINVAL);
    msi_cap_destroy(&r.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout), cmocka_unit_test(test_delivery), cmocka_unit_test(test_masking),
        cmocka_unit_test(test_intx_off_while_enabled), cmocka_unit_test(test_bad_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
