/* 8259 pair: init sequence, priority and EOI, masking, cascade, ELCR level triggering, spurious IRQ7,
 * auto-EOI, rotation, the poll command. Ports are driven through the bus as a guest would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hw/pic.h"
#include "hw/pio_test.h"

struct rig {
    struct bus pio;
    struct pic pic;
    int raised;
};

static void count_raise(void *opaque, bool level)
{
    if (level)
        ((struct rig *)opaque)->raised++;
}

/* What Linux's init_8259A does: ICW1..ICW4 on both chips, vectors 0x30 and 0x38. */
static void linux_init(struct rig *r, int auto_eoi)
{
    pio_outb(&r->pio, 0x20, 0x11);
    pio_outb(&r->pio, 0x21, 0x30);
    pio_outb(&r->pio, 0x21, 0x04);
    pio_outb(&r->pio, 0x21, auto_eoi ? 0x03 : 0x01);
    pio_outb(&r->pio, 0xa0, 0x11);
    pio_outb(&r->pio, 0xa1, 0x38);
    pio_outb(&r->pio, 0xa1, 0x02);
    pio_outb(&r->pio, 0xa1, 0x01);
    pio_outb(&r->pio, 0x21, 0x00);       /* unmask all */
    pio_outb(&r->pio, 0xa1, 0x00);
}

static int setup(void **state)
{
    static struct rig r;
    r.raised = 0;
    bus_init(&r.pio, "pio");
    pic_init(&r.pic, count_raise, &r);
    assert_int_equal(pic_map(&r.pic, &r.pio), 0);
    *state = &r;
    return 0;
}

static int teardown(void **state)
{
    pic_destroy(&((struct rig *)*state)->pic);
    return 0;
}

static void test_priority_and_eoi(void **state)
{
    struct rig *r = *state;
    linux_init(r, 0);
    pic_set_irq(&r->pic, 3, 1);
    pic_set_irq(&r->pic, 1, 1);
    assert_true(pic_intr_pending(&r->pic));
    assert_int_equal(r->raised, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x31);   /* IRQ1 beats IRQ3 */
    assert_false(pic_intr_pending(&r->pic));             /* IRQ3 waits behind IRQ1 in service */
    pio_outb(&r->pio, 0x20, 0x0b);                                 /* OCW3: read ISR */
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x02);
    pio_outb(&r->pio, 0x20, 0x0a);                                 /* OCW3: read IRR */
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x08);
    pio_outb(&r->pio, 0x20, 0x20);                                 /* non-specific EOI */
    assert_true(pic_intr_pending(&r->pic));
    assert_int_equal(pic_get_interrupt(&r->pic), 0x33);
    /* A higher priority request nests above the one in service. */
    pic_set_irq(&r->pic, 0, 1);
    assert_true(pic_intr_pending(&r->pic));
    assert_int_equal(pic_get_interrupt(&r->pic), 0x30);
    pio_outb(&r->pio, 0x20, 0x60);                                 /* specific EOI for IRQ0 */
    pio_outb(&r->pio, 0x20, 0x0b);
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x08);                /* IRQ3 still in service */
}

static void test_masking(void **state)
{
    struct rig *r = *state;
    linux_init(r, 0);
    pio_outb(&r->pio, 0x21, 0x10);                                 /* mask IRQ4 */
    assert_int_equal(pio_inb(&r->pio, 0x21), 0x10);
    pic_set_irq(&r->pic, 4, 1);
    assert_false(pic_intr_pending(&r->pic));
    pio_outb(&r->pio, 0x21, 0x00);                                 /* the latched edge is still there */
    assert_true(pic_intr_pending(&r->pic));
    assert_int_equal(pic_get_interrupt(&r->pic), 0x34);
    pio_outb(&r->pio, 0x20, 0x20);
    /* Masking the cascade input hides every slave request. */
    pio_outb(&r->pio, 0x21, 0x04);
    pic_set_irq(&r->pic, 12, 1);
    assert_false(pic_intr_pending(&r->pic));
    pio_outb(&r->pio, 0x21, 0x00);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x3c);
}

static void test_cascade(void **state)
{
    struct rig *r = *state;
    linux_init(r, 0);
    pic_set_irq(&r->pic, 10, 1);
    pic_set_irq(&r->pic, 9, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x39);
    pio_outb(&r->pio, 0x20, 0x0b);
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x04);                /* master: cascade in service */
    pio_outb(&r->pio, 0xa0, 0x0b);
    assert_int_equal(pio_inb(&r->pio, 0xa0), 0x02);                /* slave: IR1 in service */
    assert_false(pic_intr_pending(&r->pic));             /* master IR2 is in service */
    pio_outb(&r->pio, 0xa0, 0x20);                                 /* EOI slave then master, as Linux does */
    pio_outb(&r->pio, 0x20, 0x20);
    assert_true(pic_intr_pending(&r->pic));              /* the second slave request comes through */
    assert_int_equal(pic_get_interrupt(&r->pic), 0x3a);
}

static void test_elcr_level(void **state)
{
    struct rig *r = *state;
    linux_init(r, 0);
    pio_outb(&r->pio, 0x4d0, 0xff);
    assert_int_equal(pio_inb(&r->pio, 0x4d0), 0xf8);               /* IRQ0-2 cannot be level-triggered */
    pio_outb(&r->pio, 0x4d1, 0xff);
    assert_int_equal(pio_inb(&r->pio, 0x4d1), 0xde);               /* nor IRQ8, IRQ13 */
    pio_outb(&r->pio, 0x4d0, 0x00);
    pio_outb(&r->pio, 0x4d1, 0x08);                                /* IRQ11 level */
    pic_set_irq(&r->pic, 11, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x3b);
    pio_outb(&r->pio, 0xa0, 0x20);
    pio_outb(&r->pio, 0x20, 0x20);
    assert_true(pic_intr_pending(&r->pic));              /* still high: requests again */
    assert_int_equal(pic_get_interrupt(&r->pic), 0x3b);
    pic_set_irq(&r->pic, 11, 0);
    pio_outb(&r->pio, 0xa0, 0x20);
    pio_outb(&r->pio, 0x20, 0x20);
    assert_false(pic_intr_pending(&r->pic));
    /* An edge-triggered line held high requests once. */
    pic_set_irq(&r->pic, 5, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x35);
    pio_outb(&r->pio, 0x20, 0x20);
    assert_false(pic_intr_pending(&r->pic));
    pic_set_irq(&r->pic, 5, 0);
    pic_set_irq(&r->pic, 5, 1);
    assert_true(pic_intr_pending(&r->pic));
}

static void test_spurious(void **state)
{
    struct rig *r = *state;
    linux_init(r, 0);
    pio_outb(&r->pio, 0x4d0, 0x40);                                /* IRQ6 level */
    pic_set_irq(&r->pic, 6, 1);
    assert_true(pic_intr_pending(&r->pic));
    pic_set_irq(&r->pic, 6, 0);                          /* dropped before the INTA cycle */
    assert_int_equal(pic_get_interrupt(&r->pic), 0x37);  /* IRQ7: spurious */
    pio_outb(&r->pio, 0x20, 0x0b);
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x00);                /* and nothing went into service */
}

static void test_auto_eoi_and_rotation(void **state)
{
    struct rig *r = *state;
    linux_init(r, 1);
    pic_set_irq(&r->pic, 2 + 1, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x33);
    pio_outb(&r->pio, 0x20, 0x0b);
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x00);                /* auto-EOI: nothing in service */
    /* Rotation: after "rotate on non-specific EOI" of IRQ1, IRQ1 has the lowest priority. */
    linux_init(r, 0);
    pic_set_irq(&r->pic, 1, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x31);
    pio_outb(&r->pio, 0x20, 0xa0);
    pic_set_irq(&r->pic, 1, 0);
    pic_set_irq(&r->pic, 1, 1);
    pic_set_irq(&r->pic, 7, 1);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x37);  /* IRQ7 now outranks IRQ1 */
    pio_outb(&r->pio, 0x20, 0xc7);                                 /* set priority: IRQ7 lowest again */
    pio_outb(&r->pio, 0x20, 0x20);
    assert_int_equal(pic_get_interrupt(&r->pic), 0x31);
}

static void test_poll(void **state)
{
    struct rig *r = *state;
    linux_init(r, 0);
    pio_outb(&r->pio, 0x20, 0x0c);                                 /* OCW3: poll */
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x00);                /* nothing pending */
    pic_set_irq(&r->pic, 4, 1);
    pio_outb(&r->pio, 0x20, 0x0c);
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x84);
    assert_false(pic_intr_pending(&r->pic));             /* the poll acknowledged it */
    pio_outb(&r->pio, 0x20, 0x0b);
    assert_int_equal(pio_inb(&r->pio, 0x20), 0x10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_priority_and_eoi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elcr_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spurious, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_eoi_and_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
