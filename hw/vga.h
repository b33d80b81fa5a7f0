/* A VGA in text mode (IBM VGA Technical Reference; the register set of FreeVGA's "VGA/SVGA Video
 * Programming" pages): the I/O registers a video BIOS programs (misc output, sequencer, CRT
 * controller, graphics controller, attribute controller, DAC) and the text screen they describe.
 * The frame buffer is guest RAM at 0xa0000-0xbffff, read linearly: text mode keeps character and
 * attribute bytes side by side there, so the guest writes it at RAM speed on either accelerator and
 * vmon only reads it. Planar graphics are not modelled (a guest switching to them sees registers
 * that hold their values, and the mirror goes quiet).
 * With no display, vmon mirrors the screen's text to the console as a teletype would print it
 * (hw/vga-text.c). */
#ifndef VMON_HW_VGA_H
#define VMON_HW_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/term-lines.h"

struct guest_mem;
struct plat_clock;
struct vga;

#define VGA_IO_BASE 0x3b0      /* 0x3b0-0x3df: the mono and colour CRTC ports and the rest */
#define VGA_IO_LEN 0x30
#define VGA_MAX_COLS 132
#define VGA_MAX_ROWS 60

struct vga_link {
    const struct guest_mem *mem;   /* the frame buffer lives in guest RAM */
    const struct plat_clock *clock;   /* the mirror's timer; NULL: no mirror */
    /* The mirror's text, written unless the answer says otherwise (a terminal it shares with COM1,
     * hw/term-lines.h); flags: TERM_ASIDE_CONT, TERM_ASIDE_NOW. */
    enum term_aside (*write)(void *opaque, const char *buf, size_t n, unsigned flags);
    void *opaque;
};

struct vga *vga_new(const struct vga_link *link);
void vga_free(struct vga *v);   /* with a mirror: its last step first */

/* dev is the struct vga; offsets from VGA_IO_BASE. */
extern const struct io_ops vga_io_ops;

/* The text screen as the registers describe it: rows of cols characters (CP437 shown as ASCII),
 * the cursor's row and column (-1 when off screen). Returns false in a graphics mode or while
 * the registers describe no usable text screen (before the video BIOS set a mode). */
struct vga_screen {
    int rows, cols, cursor_row, cursor_col;
    char text[VGA_MAX_ROWS][VGA_MAX_COLS + 1];
};
bool vga_read_screen(struct vga *v, struct vga_screen *s);

/* Snapshots (hw/vga-state.c): the registers in one section; vga_load refuses a section that is not
 * exactly one (or holds values no VGA has) with -EINVAL, v untouched. */
struct vms_writer;
struct vms_reader;
void vga_save(struct vga *v, struct vms_writer *w);
int vga_load(struct vga *v, struct vms_reader *r);

/* The mirror's step, run by its timer every VGA_MIRROR_NS (and by tests): print what changed;
 * flags as the link's write takes them (TERM_ASIDE_NOW: its last step). A step whose text the link
 * puts off leaves the mirror as it was, so the next step prints that text. */
#define VGA_MIRROR_NS 50000000ull
void vga_mirror_step(struct vga *v, unsigned flags);

#endif
