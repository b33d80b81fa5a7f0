/* The PS/2 keyboard and the i8042 in front of it: command replies (reset, identify, set query,
 * LED argument, echo), keys in set 2 with break prefixes and in set 1 under translation, extended
 * keys, a full buffer, and the controller raising IRQ 1 afresh for each byte and holding the
 * keyboard's bytes while the keyboard port is disabled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "hw/i8042.h"
#include "hw/ps2-kbd.h"
#include "migration/vmstate.h"

static int drain(struct ps2_kbd *k, uint8_t *out, int max)
{
    int n = 0;
    while (n < max && ps2_kbd_pop(k, &out[n]))
        n++;
    return n;
}

static void test_commands(void **state)
{
    (void)state;
    struct ps2_kbd k;
    uint8_t b[8];
    ps2_kbd_reset(&k);
    ps2_kbd_write(&k, 0xff);
    assert_int_equal(drain(&k, b, 8), 2);
    assert_int_equal(b[0], 0xfa);
    assert_int_equal(b[1], 0xaa);
    ps2_kbd_write(&k, 0xf2);
    assert_int_equal(drain(&k, b, 8), 3);
    assert_int_equal(b[1], 0xab);
    assert_int_equal(b[2], 0x83);
    ps2_kbd_write(&k, 0xf0);                 /* set query: ACK, ACK, 2 */
    ps2_kbd_write(&k, 0x00);
    assert_int_equal(drain(&k, b, 8), 3);
    assert_int_equal(b[2], 2);
    ps2_kbd_write(&k, 0xed);                 /* LEDs, then a command byte instead: a new command */
    ps2_kbd_write(&k, 0xee);
    assert_int_equal(drain(&k, b, 8), 2);
    assert_int_equal(b[1], 0xee);
    ps2_kbd_write(&k, 0xed);
    ps2_kbd_write(&k, 0x07);
    assert_int_equal(k.leds, 7);
    drain(&k, b, 8);
    ps2_kbd_write(&k, 0xf5);                 /* scanning off: keys make nothing */
    drain(&k, b, 8);
    ps2_kbd_key(&k, ps2_key_by_name("a"), true, false);
    assert_int_equal(k.count, 0);
}

static void test_keys(void **state)
{
    (void)state;
    struct ps2_kbd k;
    uint8_t b[8];
    ps2_kbd_reset(&k);
    assert_null(ps2_key_by_name("nosuchkey"));
    const struct ps2_key *a = ps2_key_by_name("a"), *del = ps2_key_by_name("delete");
    ps2_kbd_key(&k, a, true, false);
    ps2_kbd_key(&k, a, false, false);
    assert_int_equal(drain(&k, b, 8), 3);
    assert_memory_equal(b, ((uint8_t[]){ 0x1c, 0xf0, 0x1c }), 3);
    ps2_kbd_key(&k, del, false, false);
    assert_int_equal(drain(&k, b, 8), 3);
    assert_memory_equal(b, ((uint8_t[]){ 0xe0, 0xf0, 0x71 }), 3);
    ps2_kbd_key(&k, a, true, true);          /* translated: set 1, break with bit 7 */
    ps2_kbd_key(&k, del, false, true);
    assert_int_equal(drain(&k, b, 8), 3);
    assert_memory_equal(b, ((uint8_t[]){ 0x1e, 0xe0, 0xd3 }), 3);
    for (int i = 0; i < 2 * PS2_KBD_QUEUE; i++)
        ps2_kbd_key(&k, a, true, true);
    assert_int_equal(k.count, PS2_KBD_QUEUE);   /* full: the rest dropped */
}

struct line {
    int level, edges;
};

static void set_line(void *opaque, int level)
{
    struct line *l = opaque;
    l->edges += level && !l->level;
    l->level = level;
}

static void test_controller(void **state)
{
    (void)state;
    struct line l = { 0, 0 };
    struct irq_line irq = { set_line, &l };
    struct stop_link stop = { 0 };
    struct i8042 *k = i8042_new(&irq, &stop);
    struct bus pio;
    bus_init(&pio, "pio");
    assert_int_equal(i8042_map(k, &pio), 0);
    uint64_t v;
    bus_write(&pio, 0x64, 0x60, 1);          /* command byte: IRQ 1, translation */
    bus_write(&pio, 0x60, 0x41, 1);
    assert_int_equal(i8042_key(k, "nosuchkey", true), -EINVAL);
    assert_int_equal(i8042_key(k, "b", true), 0);
    assert_int_equal(i8042_key(k, "b", false), 0);
    assert_int_equal(l.edges, 1);
    bus_read(&pio, 0x64, 1, &v);
    assert_true(v & 1);                      /* output buffer full */
    bus_read(&pio, 0x60, 1, &v);
    assert_int_equal(v, 0x30);               /* b's make code in set 1 */
    assert_int_equal(l.edges, 2);            /* the next byte raised IRQ 1 again */
    bus_write(&pio, 0x64, 0xad, 1);          /* keyboard port disabled: its byte waits */
    bus_read(&pio, 0x64, 1, &v);
    assert_false(v & 1);
    bus_write(&pio, 0x64, 0xae, 1);
    bus_read(&pio, 0x60, 1, &v);
    assert_int_equal(v, 0xb0);               /* b's break code */
    assert_int_equal(l.level, 0);
    i8042_free(k);
}

/* A snapshot section: the queued bytes (wrapped around the ring), set, LEDs and a pending command
 * come back in order; a queue longer than the ring, set 0 or a short section are refused. */
static void test_state(void **state)
{
    (void)state;
    struct ps2_kbd k, k2;
    uint8_t b[PS2_KBD_QUEUE + 8], b2[PS2_KBD_QUEUE + 8];
    ps2_kbd_reset(&k);
    ps2_kbd_write(&k, 0xed);
    ps2_kbd_write(&k, 0x05);
    for (int i = 0; i < 40; i++)             /* move the ring's head past its middle */
        ps2_kbd_key(&k, ps2_key_by_name("a"), i & 1, false);
    drain(&k, b, 30);
    ps2_kbd_key(&k, ps2_key_by_name("up"), true, false);
    ps2_kbd_write(&k, 0xf3);                 /* typematic: waits for its argument */
    struct vms_writer w;
    vms_writer_init(&w);
    ps2_kbd_save(&k, &w);
    struct vms_section sec = { .tag = 1, .data = w.buf, .len = (uint32_t)w.len };
    struct vms_reader r;
    ps2_kbd_reset(&k2);
    vms_reader_init(&r, &sec);
    assert_int_equal(ps2_kbd_load(&k2, &r), 0);
    assert_int_equal(k2.leds, 5);
    assert_int_equal(k2.pending, 0xf3);
    int n = drain(&k, b, sizeof(b)), n2 = drain(&k2, b2, sizeof(b2));
    assert_int_equal(n, n2);
    assert_memory_equal(b, b2, (size_t)n);
    struct vms_section cut = sec;
    cut.len--;
    vms_reader_init(&r, &cut);
    assert_int_equal(ps2_kbd_load(&k2, &r), -EINVAL);
    uint8_t bad[256];
    memcpy(bad, w.buf, w.len);
    bad[0] = PS2_KBD_QUEUE + 1;
    struct vms_section big = { .tag = 1, .data = bad, .len = (uint32_t)w.len };
    vms_reader_init(&r, &big);
    assert_int_equal(ps2_kbd_load(&k2, &r), -EINVAL);
    memcpy(bad, w.buf, w.len);
    bad[w.len - 3] = 0;                      /* scan-code set 0 */
    vms_reader_init(&r, &big);
    assert_int_equal(ps2_kbd_load(&k2, &r), -EINVAL);
    assert_int_equal(k2.count, 0);           /* refused loads left it alone */
    vms_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_controller),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
