/* What the IDE files share (core.c: registers and PIO; ata.c: ATA commands; atapi*.c: packet
 * commands; bmdma.c: the bus master). Every function runs with struct ide_ctrl's lock held. */
#ifndef VMON_HW_IDE_IDE_INT_H
#define VMON_HW_IDE_IDE_INT_H

#include "hw/ide/ide.h"

/* core.c */
void ide_raise(struct ide_channel *ch);            /* INTRQ and the bus master's INT bit */
void ide_update_irq(struct ide_channel *ch);       /* the line follows INTRQ and nIEN */
void ide_set_signature(struct ide_channel *ch, struct ide_drive *d);
void ide_abort(struct ide_channel *ch, struct ide_drive *d);   /* ERR + ABRT, interrupt */
void ide_done(struct ide_channel *ch, struct ide_drive *d);    /* DRDY, interrupt */
/* Start a PIO data block of len bytes in d->buf; interrupt when irq. */
void ide_pio_start(struct ide_channel *ch, struct ide_drive *d, uint32_t len, bool irq);

/* ata.c */
void ata_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd);
void ata_pio_block_done(struct ide_channel *ch, struct ide_drive *d);
/* The sector range of a DMA command: move it through the bus master (bmdma.c's iterator). */
void ata_dma_run(struct ide_channel *ch, struct ide_drive *d);

/* atapi.c */
void atapi_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd);
void atapi_packet(struct ide_channel *ch, struct ide_drive *d);   /* the 12 bytes are in buf */
void atapi_pio_block_done(struct ide_channel *ch, struct ide_drive *d);
void atapi_dma_run(struct ide_channel *ch, struct ide_drive *d);
void atapi_error(struct ide_channel *ch, struct ide_drive *d, uint8_t key, uint8_t asc);
/* atapi-data.c: the replies. Each fills buf (at most IDE_BUF_SIZE) and returns its length, or
 * -1 after atapi_error. */
void atapi_identify(const struct ide_drive *d, uint16_t *w);
int atapi_reply(struct ide_channel *ch, struct ide_drive *d, uint8_t *buf);

/* bmdma.c: walk the PRD table from bm_prd. */
struct bm_iter {
    uint32_t entry;                    /* the next PRD entry's address */
    uint32_t addr, left;               /* the current region */
    bool last;                         /* the current region is the table's last */
    unsigned n;                        /* entries read */
};
void bm_iter_start(struct ide_channel *ch, struct bm_iter *it);
/* Copy len bytes between buf and the regions (to_mem: into guest memory). 0, -EFAULT (an entry
 * or a region not in RAM, or an odd address), -ENOSPC (the table ended first) or -E2BIG (more
 * entries than a table can hold). */
int bm_iter_copy(struct ide_channel *ch, struct bm_iter *it, void *buf, uint32_t len, bool to_mem);
/* End of a DMA command: the bus master idle, its ERROR bit when failed. */
void bm_finish(struct ide_channel *ch, bool failed);

static inline struct ide_drive *ide_cur(struct ide_channel *ch)
{
    return &ch->drive[ch->cur];
}

#endif
