/* The VGA: registers as a video BIOS programs them (word writes to index/data pairs, the
 * attribute flip-flop, the DAC's indexes, the toggling retrace bit), the text screen they
 * describe, and the mirror printing it as a teletype: a growing line, new lines, a scroll, a
 * redraw, graphics mode and hostile geometry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/vga-int.h"
#include "migration/vmstate.h"
#include "mm/bus.h"
#include "mm/memory.h"

struct rig {
    struct guest_mem mem;
    struct vga *v;
    char out[8192];
    size_t n;
    enum term_aside answer;        /* the terminal's answer to the mirror's next text */
    unsigned flags;                /* the flags that text came with */
};

static enum term_aside capture(void *opaque, const char *buf, size_t n, unsigned flags)
{
    struct rig *r = opaque;
    r->flags = flags;
    if (r->answer != TERM_ASIDE_WRITE) {
        enum term_aside a = r->answer;
        r->answer = TERM_ASIDE_WRITE;
        return a;
    }
    assert_true(r->n + n < sizeof(r->out));
    memcpy(r->out + r->n, buf, n);
    r->n += n;
    r->out[r->n] = 0;
    return TERM_ASIDE_WRITE;
}

static void out8(struct rig *r, unsigned port, uint8_t v)
{
    vga_io_ops.write(r->v, port - VGA_IO_BASE, v, 1);
}

static uint8_t in8(struct rig *r, unsigned port)
{
    return (uint8_t)vga_io_ops.read(r->v, port - VGA_IO_BASE, 1);
}

static void crtc(struct rig *r, uint8_t idx, uint8_t val)
{
    vga_io_ops.write(r->v, 0x3d4 - VGA_IO_BASE, (unsigned)val << 8 | idx, 2);   /* outw */
}

/* Mode 3's text geometry: 80x25 cells of 16 lines, the screen at 0xb8000. */
static void mode3(struct rig *r)
{
    crtc(r, 0x01, 79);
    crtc(r, 0x07, 0x1f);                     /* vertical display end bit 8 */
    crtc(r, 0x09, 0x4f);
    crtc(r, 0x12, 0x8f);                     /* 400 lines */
    crtc(r, 0x13, 40);
    out8(r, 0x3ce, 6);
    out8(r, 0x3cf, 0x0e);                    /* memory map b8000, alphanumeric */
}

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(guest_mem_init(&r->mem, 1u << 20), 0);
    struct vga_link l = { .mem = &r->mem, .write = capture, .opaque = r };
    assert_non_null(r->v = vga_new(&l));
}

static void rig_free(struct rig *r)
{
    vga_free(r->v);
    guest_mem_destroy(&r->mem);
}

static void put(struct rig *r, int row, int col, const char *s)
{
    for (; *s; s++, col++) {
        uint8_t cell[2] = { (uint8_t)*s, 0x07 };
        guest_mem_write(&r->mem, 0xb8000 + 2u * (row * 80 + col), cell, 2);
    }
}

static const char *step(struct rig *r)
{
    r->n = 0;
    r->out[0] = 0;
    vga_mirror_step(r->v, 0);
    return r->out;
}

static void test_registers(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    crtc(&r, 0x0e, 0x12);
    out8(&r, 0x3d4, 0x0e);
    assert_int_equal(in8(&r, 0x3d5), 0x12);
    in8(&r, 0x3da);                          /* resets the flip-flop: next 0x3c0 is an index */
    out8(&r, 0x3c0, 0x10);
    out8(&r, 0x3c0, 0x0c);
    assert_int_equal(in8(&r, 0x3c0), 0x10);
    assert_int_equal(in8(&r, 0x3c1), 0x0c);
    assert_int_not_equal(in8(&r, 0x3da) & 8, in8(&r, 0x3da) & 8);   /* retrace toggles */
    out8(&r, 0x3c8, 5);
    out8(&r, 0x3c9, 0x3f), out8(&r, 0x3c9, 0x40), out8(&r, 0x3c9, 0x01);   /* 6-bit entries */
    out8(&r, 0x3c7, 5);
    assert_int_equal(in8(&r, 0x3c7) & 3, 3);
    assert_int_equal(in8(&r, 0x3c9), 0x3f);
    assert_int_equal(in8(&r, 0x3c9), 0x00);
    assert_int_equal(in8(&r, 0x3c9), 0x01);
    out8(&r, 0x3c2, 0x67);
    assert_int_equal(in8(&r, 0x3cc), 0x67);
    assert_int_equal(in8(&r, 0x3c5 + 0), in8(&r, 0x3c5));
    assert_int_equal(vga_io_ops.read(r.v, VGA_IO_LEN - 1, 4) >> 8, 0);   /* past the end: nothing */
    rig_free(&r);
}

static void test_teletype(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    assert_string_equal(step(&r), "");       /* no mode yet: quiet */
    mode3(&r);
    put(&r, 0, 0, "SeaBIOS (version 1.16)");
    assert_string_equal(step(&r), "\r\nSeaBIOS (version 1.16)");
    assert_string_equal(step(&r), "");      /* unchanged: nothing */
    put(&r, 1, 0, "Booting from");
    assert_string_equal(step(&r), "\r\nBooting from");
    put(&r, 1, 12, " Hard Disk...");
    assert_string_equal(step(&r), " Hard Disk...");   /* the line grew: only its end */
    put(&r, 1, 0, "X");
    assert_string_equal(step(&r), "\r\nXooting from Hard Disk...");   /* overwritten: again */
    rig_free(&r);
}

/* A terminal shared with COM1 (hw/term-lines.c): text put off comes whole at the next step, and a
 * line that grew after COM1 wrote prints whole on a new line. */
static void test_shared_terminal(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    mode3(&r);
    put(&r, 0, 0, "Booting from");
    r.answer = TERM_ASIDE_LATER;
    assert_string_equal(step(&r), "");      /* COM1 is mid-line: nothing yet */
    put(&r, 0, 12, " Hard Disk...");
    assert_string_equal(step(&r), "\r\nBooting from Hard Disk...");
    assert_int_equal(r.flags, 0);
    put(&r, 0, 25, "ok");
    r.answer = TERM_ASIDE_NEW_LINE;
    assert_string_equal(step(&r), "\r\nBooting from Hard Disk...ok");
    assert_int_equal(r.flags, 0);           /* the second offer: a new line */
    put(&r, 0, 27, "!");
    assert_string_equal(step(&r), "!");     /* nothing came between: it grows */
    assert_int_equal(r.flags, TERM_ASIDE_CONT);
    put(&r, 1, 0, "last");
    r.answer = TERM_ASIDE_LATER;
    assert_string_equal(step(&r), "");
    vga_mirror_step(r.v, TERM_ASIDE_NOW);   /* the last step (vga_free's) says so */
    assert_string_equal(r.out, "\r\nlast");
    assert_int_equal(r.flags, TERM_ASIDE_NOW);
    rig_free(&r);
}

static void test_scroll_and_clear(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    mode3(&r);
    char line[32];
    for (int i = 0; i < 25; i++) {
        snprintf(line, sizeof(line), "line %d", i);
        put(&r, i, 0, line);
    }
    step(&r);
    /* The screen moves up two rows and two new lines appear at the bottom. */
    uint8_t buf[80 * 25 * 2];
    guest_mem_read(&r.mem, 0xb8000 + 160 * 2, buf, 160 * 23);
    guest_mem_write(&r.mem, 0xb8000, buf, 160 * 23);
    uint8_t blankrow[160];
    for (int i = 0; i < 160; i += 2)
        blankrow[i] = ' ', blankrow[i + 1] = 7;
    guest_mem_write(&r.mem, 0xb8000 + 160 * 23, blankrow, 160);
    guest_mem_write(&r.mem, 0xb8000 + 160 * 24, blankrow, 160);
    put(&r, 23, 0, "line 25");
    put(&r, 24, 0, "line 26");
    assert_string_equal(step(&r), "\r\nline 25\r\nline 26");
    for (int i = 0; i < 25; i++)
        guest_mem_write(&r.mem, 0xb8000 + 160 * i, blankrow, 160);
    assert_string_equal(step(&r), "");       /* cleared: nothing to print */
    put(&r, 0, 0, "menu");
    assert_string_equal(step(&r), "\r\nmenu");
    rig_free(&r);
}

static void test_graphics_and_hostile(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r);
    mode3(&r);
    put(&r, 0, 0, "text");
    out8(&r, 0x3ce, 6);
    out8(&r, 0x3cf, 0x05);                   /* graphics at 0xa0000 */
    assert_string_equal(step(&r), "");
    mode3(&r);
    crtc(&r, 0x0c, 0xff);
    crtc(&r, 0x0d, 0xff);                    /* start address past the window */
    crtc(&r, 0x13, 0xff);
    crtc(&r, 0x01, 0xff);                    /* 256 columns: more than the mirror takes */
    struct vga_screen s;
    assert_false(vga_read_screen(r.v, &s));
    crtc(&r, 0x01, 79);
    crtc(&r, 0x09, 0);                       /* one-line characters: 400 rows, capped */
    assert_true(vga_read_screen(r.v, &s));
    assert_int_equal(s.rows, VGA_MAX_ROWS);
    assert_string_equal(s.text[0], "                                                                                ");
    step(&r);
    assert_int_equal(vga_cp437_ascii(0xc9), '+');
    assert_int_equal(vga_cp437_ascii(0xcd), '-');
    assert_int_equal(vga_cp437_ascii(0x01), '?');
    rig_free(&r);
}

/* A snapshot section: a VM restored into a fresh VGA shows the same screen and reads back the same
 * registers, DAC position included; a short section or impossible values are refused, untouched. */
static void test_state(void **state)
{
    (void)state;
    struct rig a, b;
    rig_init(&a);
    rig_init(&b);
    mode3(&a);
    put(&a, 2, 0, "saved screen");
    out8(&a, 0x3c8, 9);
    out8(&a, 0x3c9, 0x11);                   /* the DAC's write index mid-entry */
    out8(&a, 0x3c0, 0x12);                   /* the flip-flop now expects data */
    struct vms_writer w;
    vms_writer_init(&w);
    vms_begin(&w, VMS_TAG('V', 'G', 'A', ' '), 0);
    vga_save(a.v, &w);
    vms_end(&w);
    assert_int_equal(vms_finish(&w), 0);
    struct vms_index *idx = calloc(1, sizeof(*idx));
    const char *why;
    assert_int_equal(vms_index_build(w.buf, w.len, idx, &why), 0);
    struct vms_section sec = *vms_index_take(idx, VMS_TAG('V', 'G', 'A', ' '), 0), cut = sec, bad = sec;
    uint8_t copy[4096];
    assert_true(sec.len <= sizeof(copy));
    struct vms_reader r;
    cut.len--;
    vms_reader_init(&r, &cut);
    assert_int_equal(vga_load(b.v, &r), -EINVAL);
    memcpy(copy, sec.data, sec.len);
    copy[1 + 10] = 3;                        /* DAC step 3 of 0..2 */
    bad.data = copy;
    vms_reader_init(&r, &bad);
    assert_int_equal(vga_load(b.v, &r), -EINVAL);
    struct vga_screen s;
    assert_false(vga_read_screen(b.v, &s));  /* still as at reset */
    guest_mem_write(&b.mem, 0xb8000, a.mem.base + 0xb8000, 4000);   /* RAM comes with the VM */
    vms_reader_init(&r, &sec);
    assert_int_equal(vga_load(b.v, &r), 0);
    struct vga_screen sa, sb;
    assert_true(vga_read_screen(a.v, &sa));
    assert_true(vga_read_screen(b.v, &sb));
    assert_int_equal(sa.rows, sb.rows);
    assert_int_equal(sa.cols, sb.cols);
    assert_int_equal(sa.cursor_row, sb.cursor_row);
    for (int i = 0; i < sa.rows; i++)
        assert_string_equal(sa.text[i], sb.text[i]);
    assert_memory_equal(sb.text[2], "saved screen ", 13);
    out8(&a, 0x3c0, 0x05), out8(&b, 0x3c0, 0x05);   /* data for index 0x12 in both */
    assert_int_equal(in8(&b, 0x3c1), in8(&a, 0x3c1));
    out8(&a, 0x3c9, 0x22), out8(&b, 0x3c9, 0x22);
    out8(&a, 0x3c9, 0x33), out8(&b, 0x3c9, 0x33);   /* entry 9 completes the same way */
    assert_memory_equal(a.v->dac[9], b.v->dac[9], 3);
    assert_int_equal(b.v->dac_write, 10);
    free(idx);
    vms_writer_free(&w);
    rig_free(&a);
    rig_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registers),
        cmocka_unit_test(test_teletype),
        cmocka_unit_test(test_shared_terminal),
        cmocka_unit_test(test_scroll_and_clear),
        cmocka_unit_test(test_graphics_and_hostile),
        cmocka_unit_test(test_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
