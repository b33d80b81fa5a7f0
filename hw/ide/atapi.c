/* ATAPI: the PACKET command protocol of a CD-ROM (ATA/ATAPI-6, T13/1410D, 9.10 and 9.11): the
 * 12-byte command packet by PIO, then its data by PIO in blocks no larger than the byte count
 * limit the host put in the cylinder registers, or by DMA through the bus master; the interrupt
 * reason in the sector count register (CoD bit 0, I/O bit 1). Errors carry the sense key in the
 * error register's high nibble and stay for REQUEST SENSE (MMC-3 / SPC-3 fixed sense data). */
#include <errno.h>
#include <string.h>

#include "hw/ide/ide-int.h"
#include "util/bytes.h"

#define IR_COD 0x01
#define IR_IO  0x02

static uint64_t disc_bytes(const struct ide_drive *d)
{
    return d->media.size / IDE_CD_SECTOR * IDE_CD_SECTOR;
}

void atapi_error(struct ide_channel *ch, struct ide_drive *d, uint8_t key, uint8_t asc)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = 0;
    d->xfer = XFER_NONE;
    d->dma = 0;
    d->status = ST_DRDY | ST_ERR;
    d->error = (uint8_t)(key << 4 | ER_ABRT);
    ch->nsector = IR_IO | IR_COD;
    ide_raise(ch);
}

static void complete(struct ide_channel *ch, struct ide_drive *d)
{
    d->sense_key = d->asc = d->ascq = 0;
    d->xfer = XFER_NONE;
    d->status = ST_DRDY | ST_DSC;
    ch->nsector = IR_IO | IR_COD;
    ide_raise(ch);
}

/* The next PIO block of the data-in phase: from the disc or from the reply in buf. */
static void next_block(struct ide_channel *ch, struct ide_drive *d)
{
    uint32_t limit = (uint32_t)ch->hcyl << 8 | ch->lcyl;
    if (limit == 0 || limit == 0xffff)
        limit = 0xfffe;
    limit &= ~1u;
    if (d->from_media) {
        if (!d->left) {
            complete(ch, d);
            return;
        }
        uint32_t n = limit >= IDE_CD_SECTOR ? limit / IDE_CD_SECTOR * IDE_CD_SECTOR : limit;
        if (n > d->left)
            n = (uint32_t)d->left;
        if (d->media.ops->read(d->media.opaque, d->lba, d->buf, n) < 0) {
            atapi_error(ch, d, 0x03, 0x11);            /* MEDIUM ERROR, unrecovered read error */
            return;
        }
        d->lba += n;
        d->left -= n;
        d->xfer = XFER_ATAPI_IN;
        ide_pio_start(ch, d, n, false);
    } else {
        if (!d->reply_len) {
            complete(ch, d);
            return;
        }
        uint32_t n = d->reply_len < limit ? d->reply_len : limit;
        uint32_t at = d->end;          /* where the previous block ended */
        d->reply_len -= n;
        d->xfer = XFER_ATAPI_IN;
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        d->pos = at;
        d->end = at + n;
    }
    ch->lcyl = (uint8_t)(d->end - d->pos);
    ch->hcyl = (uint8_t)((d->end - d->pos) >> 8);
    ch->nsector = IR_IO;
    ide_raise(ch);
}

void atapi_pio_block_done(struct ide_channel *ch, struct ide_drive *d)
{
    next_block(ch, d);
}

/* The data a command produced (len bytes in buf, or the disc range in lba/left): by DMA when the
 * packet asked for it, else by PIO. */
static void data_in(struct ide_channel *ch, struct ide_drive *d, uint32_t len)
{
    if (!d->from_media && len == 0) {
        complete(ch, d);
        return;
    }
    if (d->atapi_dma) {
        d->reply_len = len;
        d->dma = 1;
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        if (ch->bm_cmd & BM_CMD_START)
            atapi_dma_run(ch, d);
        return;
    }
    d->reply_len = len;
    d->pos = d->end = 0;
    next_block(ch, d);
}

void atapi_dma_run(struct ide_channel *ch, struct ide_drive *d)
{
    struct bm_iter it;
    int r = 0;
    d->dma = 0;
    bm_iter_start(ch, &it);
    if (!d->from_media)
        r = bm_iter_copy(ch, &it, d->buf, d->reply_len, true);
    while (d->from_media && d->left && r == 0) {
        uint32_t n = d->left > IDE_BUF_SIZE ? IDE_BUF_SIZE : (uint32_t)d->left;
        r = d->media.ops->read(d->media.opaque, d->lba, d->buf, n) < 0 ? -EIO
            : bm_iter_copy(ch, &it, d->buf, n, true);
        d->lba += n;
        d->left -= n;
    }
    bm_finish(ch, r != 0 && r != -EIO);
    if (r == -EIO)
        atapi_error(ch, d, 0x03, 0x11);
    else if (r)
        atapi_error(ch, d, 0x05, 0x24);    /* a bad PRD table: the command fails */
    else
        complete(ch, d);
}

/* READ(10) / READ(12): 2048-byte sectors of the disc, range checked. */
static void read_disc(struct ide_channel *ch, struct ide_drive *d, uint64_t lba, uint64_t n)
{
    uint64_t total = disc_bytes(d) / IDE_CD_SECTOR;
    if (!total) {
        atapi_error(ch, d, 0x02, 0x3a);            /* NOT READY, medium not present */
        return;
    }
    if (lba > total || n > total - lba) {
        atapi_error(ch, d, 0x05, 0x21);            /* ILLEGAL REQUEST, LBA out of range */
        return;
    }
    d->from_media = true;
    d->lba = lba * IDE_CD_SECTOR;
    d->left = n * IDE_CD_SECTOR;
    if (!n)
        complete(ch, d);
    else
        data_in(ch, d, 0);
}

/* The 12-byte packet has arrived: run it. */
void atapi_packet(struct ide_channel *ch, struct ide_drive *d)
{
    memcpy(d->cdb, d->buf, sizeof(d->cdb));
    d->from_media = false;
    const uint8_t *c = d->cdb;
    switch (c[0]) {
    case 0x28:                         /* READ(10) */
        read_disc(ch, d, get_be32(c + 2), (unsigned)c[7] << 8 | c[8]);
        return;
    case 0xa8:                         /* READ(12) */
        read_disc(ch, d, get_be32(c + 2), get_be32(c + 6));
        return;
    default: {
        int len = atapi_reply(ch, d, d->buf);
        if (len >= 0)
            data_in(ch, d, (uint32_t)len);
    }
    }
}

void atapi_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case 0xa0:                         /* PACKET: ask for the command packet (9.10) */
        d->atapi_dma = ch->feature & 1;
        d->xfer = XFER_PACKET;
        d->pos = 0;
        d->end = sizeof(d->cdb);
        d->status = ST_DRDY | ST_DRQ;
        ch->nsector = IR_COD;
        return;
    case 0xa1:                         /* IDENTIFY PACKET DEVICE */
        atapi_identify(d, (uint16_t *)d->buf);
        d->xfer = XFER_IDENTIFY;
        ide_pio_start(ch, d, IDE_SECTOR, true);
        return;
    case 0x08:                         /* DEVICE RESET */
    case 0x90:                         /* EXECUTE DEVICE DIAGNOSTIC */
        ide_set_signature(ch, d);
        d->error = 1;
        d->xfer = XFER_NONE;
        d->status = cmd == 0x90 ? ST_DRDY | ST_DSC : 0;
        if (cmd == 0x90)
            ide_raise(ch);
        return;
    case 0xef: case 0xe5: case 0xe0: case 0xe1: case 0xe7:
        ide_done(ch, d);               /* SET FEATURES, power management, FLUSH: nothing to do */
        return;
    default:                           /* IDENTIFY DEVICE among them: abort with the signature,
                                          which is how hosts tell an ATAPI device (9.12) */
        ide_set_signature(ch, d);
        ide_abort(ch, d);
    }
}
