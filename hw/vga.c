/* VGA registers (IBM VGA Technical Reference, "Registers"; FreeVGA's register pages): ports
 * 0x3b0-0x3df hold the miscellaneous output register, the sequencer, the CRT controller (at 0x3b4/5
 * or 0x3d4/5), the graphics controller, the attribute controller with its index/data flip-flop
 * (reset by reading input status 1), input status 1 whose retrace bit toggles so polling loops end,
 * and the DAC's palette with its read and write indexes. Word writes are an index and its data, as
 * video BIOSes issue them. The screen geometry the text mirror needs is read from these registers
 * (vga_read_screen). Lock: v->lock, from vCPU threads and the mirror's timer. */
#include "hw/vga.h"

#include <stdlib.h>
#include <string.h>

#include "hw/vga-int.h"
#include "mm/bus.h"
#include "mm/memory.h"
#include "util/clock.h"

enum { AC_WRITE = 0x10, AC_READ = 0x11, MISC_W = 0x12, STATUS0 = 0x12, SEQ_I = 0x14, SEQ_D = 0x15,
       DAC_MASK = 0x16, DAC_RI = 0x17, DAC_WI = 0x18, DAC_DATA = 0x19, FEAT_R = 0x1a, MISC_R = 0x1c,
       GC_I = 0x1e, GC_D = 0x1f };

static bool is_crtc(unsigned off, unsigned *data)
{
    /* 0x3b4/5 (mono) and 0x3d4/5 (colour): both answer, whichever the misc register selects. */
    if (off == 0x04 || off == 0x24 || off == 0x05 || off == 0x25) {
        *data = off & 1;
        return true;
    }
    return false;
}

static uint8_t reg_read(struct vga *v, unsigned off)
{
    unsigned data;
    if (is_crtc(off, &data))
        return data ? v->crtc[v->crtc_index & 31] : v->crtc_index;
    switch (off) {
    case 0x0a: case 0x2a:                    /* input status 1 */
        v->ac_data = false;
        return (v->status_reads++ & 1) ? 0x09 : 0x00;   /* retrace and display-disable toggle */
    case AC_WRITE: return v->ac_index;
    case AC_READ: return v->ac[v->ac_index & 31];
    case STATUS0: return 0x10;               /* switch sense: a colour monitor */
    case SEQ_I: return v->seq_index;
    case SEQ_D: return v->seq[v->seq_index & 7];
    case DAC_MASK: return v->dac_mask;
    case DAC_RI: return v->dac_state;
    case DAC_WI: return v->dac_write;
    case DAC_DATA: {
        uint8_t val = v->dac[v->dac_read][v->dac_step];
        if (++v->dac_step == 3) {
            v->dac_step = 0;
            v->dac_read++;
        }
        return val;
    }
    case FEAT_R: return v->feature;
    case MISC_R: return v->misc;
    case GC_I: return v->gc_index;
    case GC_D: return v->gc[v->gc_index & 15];
    default: return 0xff;
    }
}

static void reg_write(struct vga *v, unsigned off, uint8_t val)
{
    unsigned data;
    if (is_crtc(off, &data)) {
        if (data)
            v->crtc[v->crtc_index & 31] = val;
        else
            v->crtc_index = val;
        return;
    }
    switch (off) {
    case 0x0a: case 0x2a: v->feature = val; break;   /* feature control (write side) */
    case AC_WRITE:
        if (v->ac_data)
            v->ac[v->ac_index & 31] = val;
        else
            v->ac_index = val & 0x3f;
        v->ac_data = !v->ac_data;
        break;
    case MISC_W: v->misc = val; break;
    case SEQ_I: v->seq_index = val; break;
    case SEQ_D: v->seq[v->seq_index & 7] = val; break;
    case DAC_MASK: v->dac_mask = val; break;
    case DAC_RI: v->dac_read = val; v->dac_step = 0; v->dac_state = 3; break;
    case DAC_WI: v->dac_write = val; v->dac_step = 0; v->dac_state = 0; break;
    case DAC_DATA:
        v->dac[v->dac_write][v->dac_step] = val & 0x3f;
        if (++v->dac_step == 3) {
            v->dac_step = 0;
            v->dac_write++;
        }
        break;
    case GC_I: v->gc_index = val; break;
    case GC_D: v->gc[v->gc_index & 15] = val; break;
    default: break;
    }
}

static uint64_t vga_read(void *dev, uint64_t off, unsigned size)
{
    struct vga *v = dev;
    uint64_t val = 0;
    pthread_mutex_lock(&v->lock);
    for (unsigned i = 0; i < size && off + i < VGA_IO_LEN; i++)
        val |= (uint64_t)reg_read(v, (unsigned)off + i) << (8 * i);
    pthread_mutex_unlock(&v->lock);
    return val;
}

static void vga_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct vga *v = dev;
    pthread_mutex_lock(&v->lock);
    for (unsigned i = 0; i < size && off + i < VGA_IO_LEN; i++)
        reg_write(v, (unsigned)off + i, (uint8_t)(val >> (8 * i)));
    pthread_mutex_unlock(&v->lock);
}

const struct io_ops vga_io_ops = { .read = vga_read, .write = vga_write };

/* Where and how big the text screen is, from the registers (under the lock). */
struct geometry {
    uint64_t base, end;        /* the memory window the graphics controller maps */
    unsigned start, pitch, rows, cols, cursor;
    bool cursor_on;
};

static bool text_geometry(const struct vga *v, struct geometry *g)
{
    static const uint32_t window[4][2] = { { 0xa0000, 0xc0000 }, { 0xa0000, 0xb0000 },
                                           { 0xb0000, 0xb8000 }, { 0xb8000, 0xc0000 } };
    if ((v->gc[6] & 1) || (v->ac[0x10] & 1))
        return false;                        /* graphics mode */
    unsigned map = (v->gc[6] >> 2) & 3, char_h = (v->crtc[9] & 31) + 1;
    unsigned vde = v->crtc[0x12] | ((v->crtc[7] & 0x02u) << 7) | ((v->crtc[7] & 0x40u) << 3);
    g->base = window[map][0];
    g->end = window[map][1];
    g->cols = v->crtc[1] + 1u;
    g->rows = (vde + 1) / char_h;
    g->pitch = v->crtc[0x13] * 2u;
    g->start = (unsigned)v->crtc[0x0c] << 8 | v->crtc[0x0d];
    g->cursor = (unsigned)v->crtc[0x0e] << 8 | v->crtc[0x0f];
    g->cursor_on = !(v->crtc[0x0a] & 0x20);
    if (g->rows > VGA_MAX_ROWS)
        g->rows = VGA_MAX_ROWS;
    return g->cols >= 20 && g->cols <= VGA_MAX_COLS && g->rows >= 10 && g->pitch >= g->cols;
}

bool vga_read_screen(struct vga *v, struct vga_screen *s)
{
    struct geometry g;
    pthread_mutex_lock(&v->lock);
    bool ok = text_geometry(v, &g);
    pthread_mutex_unlock(&v->lock);
    if (!ok)
        return false;
    s->rows = (int)g.rows;
    s->cols = (int)g.cols;
    s->cursor_row = s->cursor_col = -1;
    if (g.cursor_on && g.cursor >= g.start && (g.cursor - g.start) / g.pitch < g.rows &&
        (g.cursor - g.start) % g.pitch < g.cols) {
        s->cursor_row = (int)((g.cursor - g.start) / g.pitch);
        s->cursor_col = (int)((g.cursor - g.start) % g.pitch);
    }
    uint8_t cells[VGA_MAX_COLS * 2];
    for (unsigned r = 0; r < g.rows; r++) {
        uint64_t at = g.base + 2ull * (g.start + (uint64_t)r * g.pitch);
        if (at + 2ull * g.cols > g.end || guest_mem_read(v->link.mem, at, cells, 2ull * g.cols) < 0)
            memset(cells, 0, sizeof(cells));     /* past the window: blank, as the CRTC shows */
        for (unsigned c = 0; c < g.cols; c++)
            s->text[r][c] = vga_cp437_ascii(cells[2 * c]);
        s->text[r][g.cols] = 0;
    }
    return true;
}

static void mirror_tick(void *opaque)
{
    struct vga *v = opaque;
    vga_mirror_step(v, 0);
    clk_timer_arm(v->link.clock, v->timer, clk_now(v->link.clock) + VGA_MIRROR_NS);
}

struct vga *vga_new(const struct vga_link *link)
{
    struct vga *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->link = *link;
    v->dac_mask = 0xff;
    v->tty.row = -1;
    pthread_mutex_init(&v->lock, NULL);
    if (link->clock && link->write) {
        if (!(v->timer = clk_timer_new(link->clock, mirror_tick, v))) {
            vga_free(v);
            return NULL;
        }
        clk_timer_arm(link->clock, v->timer, clk_now(link->clock) + VGA_MIRROR_NS);
    }
    return v;
}

void vga_free(struct vga *v)
{
    if (!v)
        return;
    if (v->timer) {
        clk_timer_free(v->link.clock, v->timer);
        vga_mirror_step(v, TERM_ASIDE_NOW);    /* what the guest wrote since the last step (it may have just ended) */
    }
    pthread_mutex_destroy(&v->lock);
    free(v);
}
