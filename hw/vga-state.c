/* The VGA's part of a snapshot (hw/vga.h): every register the guest programs (IBM VGA Technical
 * Reference, "Registers": miscellaneous output, feature control, sequencer, CRT controller, graphics
 * controller, attribute controller with its flip-flop, the DAC's indexes, step and palette) in one
 * section. The frame buffer is guest RAM and is saved with it; the text mirror's state is the host's
 * (what it already printed) and stays as it is, so a restored screen is printed once. */
#include "hw/vga.h"

#include <errno.h>
#include <string.h>

#include "hw/vga-int.h"
#include "migration/vmstate.h"

#define VGA_STATE_VERSION 1u

void vga_save(struct vga *v, struct vms_writer *w)
{
    pthread_mutex_lock(&v->lock);
    vms_put_u8(w, VGA_STATE_VERSION);
    uint8_t b[] = { v->misc, v->feature, v->seq_index, v->crtc_index, v->gc_index, v->ac_index,
                    v->ac_data, v->dac_mask, v->dac_read, v->dac_write, v->dac_step, v->dac_state,
                    (uint8_t)(v->status_reads & 1) };
    vms_put_bytes(w, b, sizeof(b));
    vms_put_bytes(w, v->seq, sizeof(v->seq));
    vms_put_bytes(w, v->crtc, sizeof(v->crtc));
    vms_put_bytes(w, v->gc, sizeof(v->gc));
    vms_put_bytes(w, v->ac, sizeof(v->ac));
    vms_put_bytes(w, v->dac, sizeof(v->dac));
    pthread_mutex_unlock(&v->lock);
}

int vga_load(struct vga *v, struct vms_reader *r)
{
    uint8_t b[13], seq[8], crtc[32], gc[16], ac[32], dac[256][3];
    uint8_t version = vms_get_u8(r);
    vms_get_bytes(r, b, sizeof(b));
    vms_get_bytes(r, seq, sizeof(seq));
    vms_get_bytes(r, crtc, sizeof(crtc));
    vms_get_bytes(r, gc, sizeof(gc));
    vms_get_bytes(r, ac, sizeof(ac));
    vms_get_bytes(r, dac, sizeof(dac));
    /* The flip-flop and the status toggle are bits; the DAC steps through 3 colour bytes. */
    if (vms_reader_done(r) < 0 || version != VGA_STATE_VERSION || b[6] > 1 || b[10] > 2 || b[12] > 1)
        return -EINVAL;
    pthread_mutex_lock(&v->lock);
    v->misc = b[0];
    v->feature = b[1];
    v->seq_index = b[2];
    v->crtc_index = b[3];
    v->gc_index = b[4];
    v->ac_index = b[5];
    v->ac_data = b[6];
    v->dac_mask = b[7];
    v->dac_read = b[8];
    v->dac_write = b[9];
    v->dac_step = b[10];
    v->dac_state = b[11];
    v->status_reads = b[12];
    memcpy(v->seq, seq, sizeof(seq));
    memcpy(v->crtc, crtc, sizeof(crtc));
    memcpy(v->gc, gc, sizeof(gc));
    memcpy(v->ac, ac, sizeof(ac));
    memcpy(v->dac, dac, sizeof(dac));
    pthread_mutex_unlock(&v->lock);
    return 0;
}
