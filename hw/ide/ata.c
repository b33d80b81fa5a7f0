/* ATA commands of a disk (ATA/ATAPI-6, T13/1410D, chapter 8): IDENTIFY DEVICE (8.15), READ/WRITE
 * SECTORS (EXT) and MULTIPLE (EXT) by PIO, READ/WRITE DMA (EXT), FLUSH CACHE (EXT), SET FEATURES,
 * SET MULTIPLE MODE, and the no-data commands firmware and Linux's ata_piix send. A sector range
 * past the end of the disk is IDNF (9.5); a failed read or write of the media is UNC/ABRT. */
#include <errno.h>
#include <string.h>

#include "hw/ide/ide-int.h"

#define CYLS_MAX 16383
#define HEADS 16
#define SPT 63

static uint64_t sectors(const struct ide_drive *d)
{
    return d->media.size / IDE_SECTOR;
}

/* The command's first sector: LBA48, LBA28 or CHS (LBA bit 6 of the device register clear). */
static uint64_t cmd_lba(const struct ide_channel *ch, bool lba48)
{
    if (lba48)
        return (uint64_t)ch->hob_hcyl << 40 | (uint64_t)ch->hob_lcyl << 32 |
               (uint64_t)ch->hob_sector << 24 | (uint64_t)ch->hcyl << 16 | ch->lcyl << 8 | ch->sector;
    if (ch->select & 0x40)
        return (uint64_t)(ch->select & 0x0f) << 24 | (uint64_t)ch->hcyl << 16 | ch->lcyl << 8 |
               ch->sector;
    uint64_t cyl = (uint64_t)ch->hcyl << 8 | ch->lcyl;
    if (ch->sector == 0)
        return UINT64_MAX;             /* sectors count from 1 */
    return (cyl * HEADS + (ch->select & 0x0f)) * SPT + ch->sector - 1;
}

static uint64_t cmd_count(const struct ide_channel *ch, bool lba48)
{
    if (lba48) {
        unsigned n = (unsigned)ch->hob_nsector << 8 | ch->nsector;
        return n ? n : 65536;
    }
    return ch->nsector ? ch->nsector : 256;
}

static void put_string(uint16_t *w, const char *s, unsigned words)
{
    char tmp[64];
    memset(tmp, ' ', sizeof(tmp));
    memcpy(tmp, s, strnlen(s, words * 2));
    for (unsigned i = 0; i < words; i++)   /* ATA strings: the first character in the high byte */
        w[i] = (uint16_t)((uint8_t)tmp[2 * i] << 8 | (uint8_t)tmp[2 * i + 1]);
}

static void identify(const struct ide_drive *d, uint16_t *w)
{
    uint64_t n = sectors(d);
    uint64_t cyls = n / (HEADS * SPT);
    if (cyls > CYLS_MAX)
        cyls = CYLS_MAX;
    memset(w, 0, 512);
    w[0] = 0x0040;                     /* fixed disk */
    w[1] = (uint16_t)cyls, w[3] = HEADS, w[6] = SPT;
    put_string(w + 10, d->media.serial ? d->media.serial : "VM00001", 10);
    put_string(w + 23, "1.0", 4);
    put_string(w + 27, d->media.model ? d->media.model : "VMON HARDDISK", 20);
    w[47] = 0x8000 | IDE_MAX_MULT;
    w[49] = 0x0300;                    /* LBA, DMA */
    w[51] = 0x0200;
    w[53] = 0x0007;                    /* words 54-58, 64-70 and 88 valid */
    w[54] = (uint16_t)cyls, w[55] = HEADS, w[56] = SPT;
    uint32_t chs = (uint32_t)(cyls * HEADS * SPT);
    w[57] = (uint16_t)chs, w[58] = (uint16_t)(chs >> 16);
    w[59] = d->mult ? 0x100 | d->mult : 0;
    uint32_t n28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
    w[60] = (uint16_t)n28, w[61] = (uint16_t)(n28 >> 16);
    w[63] = 0x0007 | ((d->xfer_mode & 0xf8) == 0x20 ? 0x100 << (d->xfer_mode & 7) : 0);
    w[64] = 0x0003;                    /* PIO 3 and 4 */
    w[65] = w[66] = w[67] = w[68] = 120;
    w[80] = 0x00f0;                    /* ATA/ATAPI-4 to -7 */
    w[82] = 0x4020;                    /* write cache */
    w[83] = 0x7400;                    /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses */
    w[84] = 0x4000;
    w[85] = (uint16_t)(0x4000 | (d->wcache ? 0x20 : 0));
    w[86] = 0x3400;
    w[87] = 0x4000;
    w[88] = 0x003f | ((d->xfer_mode & 0xf8) == 0x40 ? 0x100 << (d->xfer_mode & 7) : 0);
    w[93] = 0x6001;                    /* device 0 passed diagnostics, 80-conductor cable */
    for (int i = 0; i < 4; i++)
        w[100 + i] = (uint16_t)(n >> (16 * i));
}

/* Read the next PIO block into buf and offer it (interrupt before each block: 9.7). */
static void read_block(struct ide_channel *ch, struct ide_drive *d)
{
    unsigned n = d->mult && d->block > 1 ? d->block : 1;
    if (n > d->left)
        n = (unsigned)d->left;
    if (d->media.ops->read(d->media.opaque, d->lba * IDE_SECTOR, d->buf, n * IDE_SECTOR) < 0) {
        ide_abort(ch, d);
        d->error |= ER_UNC;
        return;
    }
    d->lba += n;
    d->left -= n;
    d->xfer = XFER_READ;
    ide_pio_start(ch, d, n * IDE_SECTOR, true);
}

static unsigned write_block_len(const struct ide_drive *d)
{
    uint64_t n = d->mult && d->block > 1 ? d->block : 1;
    return (unsigned)(n > d->left ? d->left : n);
}

/* The end of a PIO block: the next one, or the command's end (9.7, 9.8). */
void ata_pio_block_done(struct ide_channel *ch, struct ide_drive *d)
{
    if (d->xfer == XFER_READ) {
        if (d->left)
            read_block(ch, d);
        else
            d->xfer = XFER_NONE, d->status = ST_DRDY | ST_DSC;
        return;
    }
    unsigned n = d->end / IDE_SECTOR;
    if (d->media.ops->write(d->media.opaque, d->lba * IDE_SECTOR, d->buf, d->end) < 0) {
        ide_abort(ch, d);
        return;
    }
    d->lba += n;
    d->left -= n;
    if (!d->left) {
        ide_done(ch, d);
        return;
    }
    ide_pio_start(ch, d, write_block_len(d) * IDE_SECTOR, true);
}

/* A read or write: its range checked against the disk; PIO starts now, DMA waits for the bus
 * master's start bit (bmdma.c). */
static void rw(struct ide_channel *ch, struct ide_drive *d, bool write, bool lba48, bool multi,
               bool dma)
{
    uint64_t lba = cmd_lba(ch, lba48), n = cmd_count(ch, lba48);
    if ((multi && !d->mult) || (write && d->media.readonly)) {
        ide_abort(ch, d);
        return;
    }
    if (lba == UINT64_MAX || lba > sectors(d) || n > sectors(d) - lba) {
        ide_abort(ch, d);
        d->error |= ER_IDNF;
        return;
    }
    d->lba = lba;
    d->left = n;
    d->block = multi ? d->mult : 1;
    if (dma) {
        d->dma = write ? 2 : 1;
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        if (ch->bm_cmd & BM_CMD_START)
            ata_dma_run(ch, d);
        return;
    }
    if (!write) {
        read_block(ch, d);
        return;
    }
    d->xfer = XFER_WRITE;
    ide_pio_start(ch, d, write_block_len(d) * IDE_SECTOR, false);
}

void ata_dma_run(struct ide_channel *ch, struct ide_drive *d)
{
    struct bm_iter it;
    bool write = d->dma == 2;
    int r = 0;
    d->dma = 0;
    bm_iter_start(ch, &it);
    while (d->left && r == 0) {
        uint64_t n = d->left > IDE_BUF_SIZE / IDE_SECTOR ? IDE_BUF_SIZE / IDE_SECTOR : d->left;
        uint32_t len = (uint32_t)n * IDE_SECTOR;
        if (write) {
            r = bm_iter_copy(ch, &it, d->buf, len, false);
            if (r == 0 && d->media.ops->write(d->media.opaque, d->lba * IDE_SECTOR, d->buf, len) < 0)
                r = -EIO;
        } else {
            r = d->media.ops->read(d->media.opaque, d->lba * IDE_SECTOR, d->buf, len) < 0 ? -EIO
                : bm_iter_copy(ch, &it, d->buf, len, true);
        }
        d->lba += n;
        d->left -= n;
    }
    bm_finish(ch, r != 0 && r != -EIO);    /* the bus master's error: a bad PRD table only */
    if (r)
        ide_abort(ch, d);
    if (r == -EIO && !write)
        d->error |= ER_UNC;
    if (!r)
        ide_done(ch, d);
}

static void set_features(struct ide_channel *ch, struct ide_drive *d)
{
    switch (ch->feature) {
    case 0x02: d->wcache = true; break;
    case 0x82: d->wcache = false; break;
    case 0x03: d->xfer_mode = ch->nsector; break;
    case 0x66: case 0xcc: case 0xaa: case 0x55: case 0x05: case 0x85: break;
    default: ide_abort(ch, d); return;
    }
    ide_done(ch, d);
}

void ata_command(struct ide_channel *ch, struct ide_drive *d, uint8_t cmd)
{
    switch (cmd) {
    case 0xec:                         /* IDENTIFY DEVICE */
        identify(d, (uint16_t *)d->buf);
        d->xfer = XFER_IDENTIFY;
        ide_pio_start(ch, d, IDE_SECTOR, true);
        return;
    case 0x20: case 0x21: rw(ch, d, false, false, false, false); return;
    case 0x24: rw(ch, d, false, true, false, false); return;
    case 0xc4: rw(ch, d, false, false, true, false); return;
    case 0x29: rw(ch, d, false, true, true, false); return;
    case 0x30: case 0x31: rw(ch, d, true, false, false, false); return;
    case 0x34: rw(ch, d, true, true, false, false); return;
    case 0xc5: rw(ch, d, true, false, true, false); return;
    case 0x39: rw(ch, d, true, true, true, false); return;
    case 0xc8: case 0xc9: rw(ch, d, false, false, false, true); return;
    case 0x25: rw(ch, d, false, true, false, true); return;
    case 0xca: case 0xcb: rw(ch, d, true, false, false, true); return;
    case 0x35: rw(ch, d, true, true, false, true); return;
    case 0xe7: case 0xea:              /* FLUSH CACHE (EXT) */
        if (d->media.ops->flush && d->media.ops->flush(d->media.opaque) < 0)
            ide_abort(ch, d);
        else
            ide_done(ch, d);
        return;
    case 0xef: set_features(ch, d); return;
    case 0xc6:                         /* SET MULTIPLE MODE: a power of two up to the maximum */
        if (ch->nsector > IDE_MAX_MULT || (ch->nsector & (ch->nsector - 1))) {
            ide_abort(ch, d);
            return;
        }
        d->mult = ch->nsector;
        ide_done(ch, d);
        return;
    case 0xe5:                         /* CHECK POWER MODE: active */
        ch->nsector = 0xff;
        ide_done(ch, d);
        return;
    case 0x90:                         /* EXECUTE DEVICE DIAGNOSTIC */
        ide_set_signature(ch, d);
        d->error = 1;
        ide_done(ch, d);
        return;
    case 0x91: case 0x10: case 0x40: case 0x41: case 0x42: case 0x70: case 0xe0: case 0xe1:
    case 0xe2: case 0xe3: case 0xe6:
        ide_done(ch, d);               /* geometry, recalibrate, verify, seek, power: nothing to do */
        return;
    default:                           /* IDENTIFY PACKET DEVICE, PACKET and the rest: not a disk's */
        ide_abort(ch, d);
    }
}
