/* The 16550A's registers as Linux's 8250 driver uses them, with a fake line and IRQ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hw/serial.h"

struct fake {
    int irq;                   /* current level */
    int edges;                 /* 0 -> 1 transitions */
    char tx[64];
    int ntx;
    int rooms;                 /* rx_room calls */
};

static void fake_irq(void *opaque, int level)
{
    struct fake *f = opaque;
    if (level && !f->irq)
        f->edges++;
    f->irq = level;
}

static void fake_room(void *opaque)
{
    ((struct fake *)opaque)->rooms++;
}

static void fake_tx(void *opaque, uint8_t b)
{
    struct fake *f = opaque;
    if (f->ntx < (int)sizeof(f->tx) - 1)
        f->tx[f->ntx++] = (char)b;
}

struct t {
    struct fake f;
    struct serial *s;
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    struct serial_link link = { .set_irq = fake_irq, .tx = fake_tx, .opaque = &t->f };
    t->s = serial_new(&link);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    serial_free(t->s);
    free(t);
    return 0;
}

static uint8_t rd(struct t *t, int reg)
{
    return (uint8_t)serial_io_ops.read(t->s, (uint64_t)reg, 1);
}

static void wr(struct t *t, int reg, uint8_t v)
{
    serial_io_ops.write(t->s, (uint64_t)reg, v, 1);
}

static void test_scratch_and_divisor(void **state)
{
    struct t *t = *state;
    wr(t, 7, 0xa5);
    assert_int_equal(rd(t, 7), 0xa5);
    wr(t, 3, 0x83);            /* DLAB */
    wr(t, 0, 0x01);
    wr(t, 1, 0x00);            /* 115200 baud */
    assert_int_equal(rd(t, 0), 0x01);
    assert_int_equal(rd(t, 1), 0x00);
    wr(t, 3, 0x03);
    assert_int_equal(rd(t, 3), 0x03);
    wr(t, 1, 0xff);            /* IER keeps its 4 defined bits */
    assert_int_equal(rd(t, 1), 0x0f);
}

static void test_transmit(void **state)
{
    struct t *t = *state;
    assert_int_equal(rd(t, 5) & 0x60, 0x60);   /* THRE | TEMT */
    wr(t, 0, 'h');
    wr(t, 0, 'i');
    assert_int_equal(t->f.ntx, 2);
    assert_memory_equal(t->f.tx, "hi", 2);
    assert_int_equal(rd(t, 5) & 0x60, 0x60);
    assert_int_equal(t->f.irq, 0);             /* IER off: no interrupt */
}

static void test_thre_interrupt(void **state)
{
    struct t *t = *state;
    wr(t, 1, 0x02);            /* enable THRI: the empty THR interrupts at once */
    assert_int_equal(t->f.irq, 1);
    assert_int_equal(rd(t, 2) & 0x0f, 0x02);   /* IIR: THRE */
    assert_int_equal(t->f.irq, 0);             /* reading IIR acknowledged it */
    assert_int_equal(rd(t, 2) & 0x0f, 0x01);   /* no interrupt pending */
    int edges = t->f.edges;
    wr(t, 0, 'x');             /* the byte leaves, THRE comes back: a new edge */
    assert_int_equal(t->f.irq, 1);
    assert_int_equal(t->f.edges, edges + 1);
    wr(t, 1, 0x00);
    assert_int_equal(t->f.irq, 0);
}

static void test_receive(void **state)
{
    struct t *t = *state;
    assert_int_equal(rd(t, 5) & 0x01, 0);
    wr(t, 1, 0x01);            /* RDI */
    assert_int_equal(serial_receive(t->s, (const uint8_t *)"ab", 2), 2);
    assert_int_equal(rd(t, 5) & 0x01, 1);
    assert_int_equal(t->f.irq, 1);
    assert_int_equal(rd(t, 2) & 0x0f, 0x04);   /* received data available */
    assert_int_equal(rd(t, 0), 'a');
    assert_int_equal(rd(t, 0), 'b');
    assert_int_equal(rd(t, 5) & 0x01, 0);
    assert_int_equal(t->f.irq, 0);
}

static void test_fifo(void **state)
{
    struct t *t = *state;
    wr(t, 2, 0xc7);            /* enable + clear both, trigger 14 */
    assert_int_equal(rd(t, 2) & 0xc0, 0xc0);   /* 16550A: FIFOs enabled */
    wr(t, 1, 0x01);
    serial_receive(t->s, (const uint8_t *)"abc", 3);
    assert_int_equal(rd(t, 2) & 0x0f, 0x0c);   /* below the trigger: character timeout */
    serial_receive(t->s, (const uint8_t *)"defghijklmn", 11);
    assert_int_equal(rd(t, 2) & 0x0f, 0x04);   /* 14 bytes: data available */
    wr(t, 2, 0x03);            /* clear RX */
    assert_int_equal(rd(t, 5) & 0x01, 0);
    wr(t, 2, 0x00);
    assert_int_equal(rd(t, 2) & 0xc0, 0);
}

static void test_loopback_and_msr(void **state)
{
    struct t *t = *state;
    assert_int_equal(rd(t, 6) & 0xf0, 0xb0);   /* DCD, DSR, CTS: a terminal is there */
    wr(t, 4, 0x1a);            /* loop, OUT2, RTS: what Linux's probe writes */
    assert_int_equal(rd(t, 6) & 0xf0, 0x90);   /* DCD (OUT2) and CTS (RTS) */
    wr(t, 0, 'z');
    assert_int_equal(t->f.ntx, 0);             /* looped back, not sent */
    assert_int_equal(rd(t, 0), 'z');
    wr(t, 4, 0x0b);
    assert_int_equal(rd(t, 4), 0x0b);
}

static void test_overrun(void **state)
{
    struct t *t = *state;
    static uint8_t lots[SERIAL_RX_BUF + 10];
    assert_int_equal(serial_receive(t->s, lots, sizeof(lots)), SERIAL_RX_BUF);
    assert_int_equal(rd(t, 5) & 0x03, 0x03);   /* data ready + overrun */
    assert_int_equal(rd(t, 5) & 0x02, 0);      /* overrun clears on read */
}

/* A backend with flow control: a full buffer takes no more, raises no overrun (nothing is lost,
 * the backend keeps the rest), and says once when the guest has read it down to half. */
static void test_backpressure(void **state)
{
    struct t *t = *state;
    serial_free(t->s);
    struct serial_link link = { .set_irq = fake_irq, .tx = fake_tx, .rx_room = fake_room,
                                .opaque = &t->f };
    t->s = serial_new(&link);
    static uint8_t lots[SERIAL_RX_BUF + 10];
    for (size_t i = 0; i < sizeof(lots); i++)
        lots[i] = (uint8_t)i;
    assert_int_equal(serial_receive(t->s, lots, sizeof(lots)), SERIAL_RX_BUF);
    assert_int_equal(rd(t, 5) & 0x03, 0x01);   /* data ready, no overrun */
    assert_int_equal(serial_receive(t->s, lots + SERIAL_RX_BUF, 10), 0);
    for (size_t i = 0; i < SERIAL_RX_BUF / 2 - 1; i++)
        assert_int_equal(rd(t, 0), (uint8_t)i);
    assert_int_equal(t->f.rooms, 0);           /* still over half full */
    assert_int_equal(rd(t, 0), (uint8_t)(SERIAL_RX_BUF / 2 - 1));
    assert_int_equal(t->f.rooms, 1);
    rd(t, 0);
    assert_int_equal(t->f.rooms, 1);           /* once per refusal */
    assert_int_equal(serial_receive(t->s, lots + SERIAL_RX_BUF, 10), 10);
    assert_int_equal(rd(t, 5) & 0x02, 0);
    /* Clearing the FIFO (FCR) is room too. */
    assert_int_equal(serial_receive(t->s, lots, sizeof(lots)), SERIAL_RX_BUF / 2 - 9);
    wr(t, 2, 0x03);
    assert_int_equal(t->f.rooms, 2);
    assert_int_equal(rd(t, 5) & 0x01, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scratch_and_divisor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loopback_and_msr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrun, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
