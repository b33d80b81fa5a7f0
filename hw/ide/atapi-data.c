/* The replies of the CD-ROM's packet commands other than READ: IDENTIFY PACKET DEVICE (ATA/ATAPI-6
 * 8.16), and from MMC-3 (T10/1363-D) / SPC-3: TEST UNIT READY, REQUEST SENSE (fixed format),
 * INQUIRY, READ CAPACITY, READ TOC formats 0 and 1, MODE SENSE(10) pages 0x01, 0x2a and 0x3f,
 * GET CONFIGURATION (profile list and core features), GET EVENT STATUS NOTIFICATION (polled, media
 * class), READ DISC INFORMATION, MECHANISM STATUS, and the commands with no data that SeaBIOS's
 * El Torito boot and Linux's sr driver send. Every reply is cut to the allocation length. */
#include <string.h>

#include "hw/ide/ide-int.h"

#define DVD_MIN_SECTORS 360000u        /* more than a CD holds: report the DVD-ROM profile */

static void put_be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v) { put_be16(p, v >> 16); put_be16(p + 2, v); }

static uint32_t disc_sectors(const struct ide_drive *d)
{
    uint64_t n = d->media.size / IDE_CD_SECTOR;
    return n > 0xffffffffu ? 0xffffffffu : (uint32_t)n;
}

static void ident_string(uint16_t *w, const char *s, unsigned words)
{
    char t[40];
    memset(t, ' ', sizeof(t));
    memcpy(t, s, strnlen(s, words * 2));
    for (unsigned i = 0; i < words; i++)
        w[i] = (uint16_t)((uint8_t)t[2 * i] << 8 | (uint8_t)t[2 * i + 1]);
}

void atapi_identify(const struct ide_drive *d, uint16_t *w)
{
    memset(w, 0, 512);
    w[0] = 0x85c0;                     /* ATAPI, CD-ROM, removable, 50 us DRQ, 12-byte packets */
    ident_string(w + 10, d->media.serial ? d->media.serial : "VM00002", 10);
    ident_string(w + 23, "1.0", 4);
    ident_string(w + 27, d->media.model ? d->media.model : "VMON DVD-ROM", 20);
    w[49] = 0x0300;                    /* LBA, DMA */
    w[53] = 0x0007;
    w[63] = 0x0007;
    w[64] = 0x0003;
    w[65] = w[66] = w[67] = w[68] = 120;
    w[71] = 30, w[72] = 30;
    w[80] = 0x001e;                    /* ATA/ATAPI-1 to -4 */
    w[88] = 0x003f;
    w[93] = 0x6001;
}

/* A time in minutes/seconds/frames, 75 frames a second, from LBA -150 (MMC-3 4.2.3.3). */
static void put_msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = 0;
    p[1] = (uint8_t)(lba / (75 * 60));
    p[2] = (uint8_t)(lba / 75 % 60);
    p[3] = (uint8_t)(lba % 75);
}

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf)
        put_msf(p, lba);
    else
        put_be32(p, lba);
}

static int read_toc(struct ide_channel *ch, struct ide_drive *d, uint8_t *b)
{
    const uint8_t *c = d->cdb;
    bool msf = c[1] & 2;
    unsigned fmt = c[2] & 0x0f;
    if (!fmt)
        fmt = c[9] >> 6;               /* the older place of the format (SFF-8020i) */
    if (fmt == 1) {                    /* session information: one session, track 1 at 0 */
        memset(b, 0, 12);
        put_be16(b, 10);
        b[2] = b[3] = 1;
        b[5] = 0x14, b[6] = 1;
        put_addr(b + 8, 0, msf);
        return 12;
    }
    if (fmt != 0 || (c[6] > 1 && c[6] != 0xaa)) {
        atapi_error(ch, d, 0x05, 0x24);
        return -1;
    }
    uint8_t *p = b + 4;
    b[2] = b[3] = 1;                   /* first and last track */
    if (c[6] <= 1) {                   /* track 1: data, from 0 */
        memset(p, 0, 8);
        p[1] = 0x14, p[2] = 1;
        put_addr(p + 4, 0, msf);
        p += 8;
    }
    memset(p, 0, 8);                   /* the lead-out */
    p[1] = 0x14, p[2] = 0xaa;
    put_addr(p + 4, disc_sectors(d), msf);
    p += 8;
    put_be16(b, (uint32_t)(p - b - 2));
    return (int)(p - b);
}

static int mode_sense(struct ide_channel *ch, struct ide_drive *d, uint8_t *b)
{
    unsigned page = d->cdb[2] & 0x3f, pc = d->cdb[2] >> 6;
    if (pc == 3) {                     /* saved values: not supported */
        atapi_error(ch, d, 0x05, 0x39);
        return -1;
    }
    memset(b, 0, 8 + 12 + 28);
    uint8_t *p = b + 8;
    if (page == 0x01 || page == 0x3f) {    /* read error recovery */
        p[0] = 0x01, p[1] = 0x0a;
        p += 12;
    }
    if (page == 0x2a || page == 0x3f) {    /* CD capabilities and mechanical status */
        p[0] = 0x2a, p[1] = 0x1a;
        p[2] = 0x3f;                   /* reads CD-R/RW, DVD-ROM... */
        p[4] = 0x71, p[5] = 0x73;
        p[6] = 0x29;                   /* tray, eject, lock */
        put_be16(p + 8, 706), put_be16(p + 10, 2);
        put_be16(p + 12, 512), put_be16(p + 14, 706);
        p += 28;
    }
    if (p == b + 8) {
        atapi_error(ch, d, 0x05, 0x24);
        return -1;
    }
    put_be16(b, (uint32_t)(p - b - 2));
    b[2] = 0x70;                       /* medium type: 120 mm disc, door closed */
    return (int)(p - b);
}

static int get_configuration(struct ide_drive *d, uint8_t *b)
{
    bool dvd = disc_sectors(d) > DVD_MIN_SECTORS;
    memset(b, 0, 32);
    put_be16(b + 6, disc_sectors(d) ? (dvd ? 0x0010 : 0x0008) : 0);
    uint8_t *f = b + 8;                /* feature 0: the profile list */
    f[2] = 0x03, f[3] = 8;
    put_be16(f + 4, 0x0010), f[6] = dvd;
    put_be16(f + 8, 0x0008), f[10] = !dvd && disc_sectors(d);
    f += 12;
    put_be16(f, 0x0001), f[2] = 0x0b, f[3] = 8;    /* core: ATAPI */
    put_be32(f + 4, 2);
    f += 12;
    put_be32(b, (uint32_t)(f - b - 4));
    return (int)(f - b);
}

static int event_status(struct ide_channel *ch, struct ide_drive *d, uint8_t *b)
{
    if (!(d->cdb[1] & 1)) {            /* only the polled mode */
        atapi_error(ch, d, 0x05, 0x24);
        return -1;
    }
    memset(b, 0, 8);
    put_be16(b, 6);
    b[2] = 0x04;                       /* media class */
    b[3] = 0x10;                       /* supported: media */
    b[5] = disc_sectors(d) ? 0x02 : 0;  /* media present */
    return 8;
}

/* The reply to cdb in buf; its length cut to the allocation length, or -1 after atapi_error. */
static int reply(struct ide_channel *ch, struct ide_drive *d, uint8_t *b, unsigned *alloc)
{
    const uint8_t *c = d->cdb;
    bool ready = disc_sectors(d) != 0;
    *alloc = (unsigned)c[7] << 8 | c[8];
    switch (c[0]) {
    case 0x03:                         /* REQUEST SENSE */
        *alloc = c[4];
        memset(b, 0, 18);
        b[0] = 0x70, b[2] = d->sense_key, b[7] = 10, b[12] = d->asc, b[13] = d->ascq;
        return 18;
    case 0x12:                         /* INQUIRY */
        *alloc = c[4];
        memset(b, 0, 36);
        b[0] = 0x05, b[1] = 0x80, b[3] = 0x21, b[4] = 31;
        memcpy(b + 8, "VMON    VMON DVD-ROM    1.0 ", 28);
        return 36;
    case 0x00: case 0x1e: case 0x1b: case 0xbb: case 0x2b: case 0x35:
        if (!ready && (c[0] == 0x00 || c[0] == 0x2b)) {
            atapi_error(ch, d, 0x02, 0x3a);
            return -1;
        }
        return 0;                      /* TEST UNIT READY, PREVENT ALLOW, START STOP, SET SPEED,
                                          SEEK, SYNCHRONIZE CACHE */
    case 0x46: return get_configuration(d, b);
    case 0x4a: return event_status(ch, d, b);
    case 0x5a: return mode_sense(ch, d, b);
    case 0xbd:                         /* MECHANISM STATUS */
        *alloc = (unsigned)c[8] << 8 | c[9];
        memset(b, 0, 8);
        return 8;
    }
    if (!ready) {
        atapi_error(ch, d, 0x02, 0x3a);
        return -1;
    }
    switch (c[0]) {
    case 0x25:                         /* READ CAPACITY: the last LBA and the block size */
        *alloc = 8;
        put_be32(b, disc_sectors(d) - 1);
        put_be32(b + 4, IDE_CD_SECTOR);
        return 8;
    case 0x43: return read_toc(ch, d, b);
    case 0x51:                         /* READ DISC INFORMATION: a complete, finalised disc */
        memset(b, 0, 34);
        put_be16(b, 32);
        b[2] = 0x0e, b[3] = 1, b[4] = 1, b[5] = 1, b[6] = 1;
        return 34;
    default:
        atapi_error(ch, d, 0x05, 0x20);    /* ILLEGAL REQUEST, invalid command operation code */
        return -1;
    }
}

int atapi_reply(struct ide_channel *ch, struct ide_drive *d, uint8_t *buf)
{
    unsigned alloc;
    int n = reply(ch, d, buf, &alloc);
    return n > 0 && (unsigned)n > alloc ? (int)alloc : n;
}
