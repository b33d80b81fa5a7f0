/* The VGA's state, shared by its register file (hw/vga.c) and its text mirror (hw/vga-text.c). */
#ifndef VMON_HW_VGA_INT_H
#define VMON_HW_VGA_INT_H

#include <pthread.h>

#include "hw/vga.h"

/* The teletype the mirror prints as: which screen row its line is on and what it has printed of
 * each row, so a line that grows prints only its new end and a scroll prints only new lines. */
struct vga_tty {
    int row;                       /* the row the printed line is on; -1: none */
    char shown[VGA_MAX_ROWS][VGA_MAX_COLS + 1];
    char last[VGA_MAX_ROWS][VGA_MAX_COLS + 1];   /* the screen at the previous step */
    int last_rows;
};

struct vga {
    struct vga_link link;
    pthread_mutex_t lock;          /* the registers: vCPU threads and the mirror's timer */
    uint8_t misc;                  /* miscellaneous output register */
    uint8_t seq_index, seq[8];
    uint8_t crtc_index, crtc[32];
    uint8_t gc_index, gc[16];
    uint8_t ac_index, ac[32];
    bool ac_data;                  /* the attribute port's flip-flop: the next write is data */
    uint8_t dac_mask, dac_read, dac_write, dac_step, dac_state;
    uint8_t dac[256][3];
    uint8_t feature;
    unsigned status_reads;         /* input status 1 toggles retrace on every read */
    struct plat_timer *timer;
    struct vga_tty tty;            /* the mirror's state: only its timer touches it */
};

/* CP437 as ASCII (hw/vga-text.c). */
char vga_cp437_ascii(uint8_t ch);

#endif
