/* IDE channel registers (ATA/ATAPI-6, T13/1410D, 7.1-7.16: the command and control blocks) and
 * the PIO data port: the task file with its 48-bit "previous" halves (6.20), device selection,
 * software reset and the diagnostic signature (9.12), INTRQ and nIEN (5.2.9). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/ide/ide-int.h"

void ide_update_irq(struct ide_channel *ch)
{
    irq_line_set(&ch->irq, ch->intrq && !(ch->ctrl & 0x02));
}

void ide_raise(struct ide_channel *ch)
{
    ch->intrq = true;
    ch->bm_status |= BM_INT;
    ide_update_irq(ch);
}

/* After reset or EXECUTE DEVICE DIAGNOSTIC (9.12): ATAPI devices say 0xeb14 in the cylinder
 * registers, ATA devices 0. */
void ide_set_signature(struct ide_channel *ch, struct ide_drive *d)
{
    ch->nsector = 1;
    ch->sector = 1;
    ch->lcyl = d->present && d->media.cdrom ? 0x14 : 0;
    ch->hcyl = d->present && d->media.cdrom ? 0xeb : 0;
    ch->select &= 0xf0;
}

void ide_abort(struct ide_channel *ch, struct ide_drive *d)
{
    d->xfer = XFER_NONE;
    d->dma = 0;
    d->status = ST_DRDY | ST_ERR;
    d->error = ER_ABRT;
    ide_raise(ch);
}

void ide_done(struct ide_channel *ch, struct ide_drive *d)
{
    d->xfer = XFER_NONE;
    d->status = ST_DRDY | ST_DSC;
    ide_raise(ch);
}

void ide_pio_start(struct ide_channel *ch, struct ide_drive *d, uint32_t len, bool irq)
{
    d->pos = 0;
    d->end = len;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    if (irq)
        ide_raise(ch);
}

static void drive_reset(struct ide_channel *ch, struct ide_drive *d)
{
    d->xfer = XFER_NONE;
    d->dma = 0;
    d->pos = d->end = 0;
    d->mult = 0;
    d->error = 1;                      /* diagnostic: no error */
    d->status = d->media.cdrom ? 0 : ST_DRDY | ST_DSC;
    (void)ch;
}

static void channel_reset(struct ide_channel *ch)
{
    for (int i = 0; i < 2; i++)
        drive_reset(ch, &ch->drive[i]);
    ch->cur = 0;
    ch->select = 0xa0;
    ide_set_signature(ch, &ch->drive[0]);
    ch->intrq = false;
    ide_update_irq(ch);
}

/* The data port: 2 or 4 bytes of the current PIO block; the end of the block moves on. */
static uint32_t data_read(struct ide_channel *ch, unsigned size)
{
    struct ide_drive *d = ide_cur(ch);
    if (!(d->status & ST_DRQ) || d->xfer == XFER_PACKET || d->xfer == XFER_WRITE)
        return 0;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && d->pos < d->end; i++)
        v |= (uint32_t)d->buf[d->pos++] << (8 * i);
    if (d->pos >= d->end) {
        d->status &= ~ST_DRQ;
        if (d->xfer == XFER_READ)
            ata_pio_block_done(ch, d);
        else if (d->xfer == XFER_ATAPI_IN)
            atapi_pio_block_done(ch, d);
        else
            d->xfer = XFER_NONE;       /* IDENTIFY: one block */
    }
    return v;
}

static void data_write(struct ide_channel *ch, uint32_t v, unsigned size)
{
    struct ide_drive *d = ide_cur(ch);
    if (!(d->status & ST_DRQ) || (d->xfer != XFER_WRITE && d->xfer != XFER_PACKET))
        return;
    for (unsigned i = 0; i < size && d->pos < d->end; i++)
        d->buf[d->pos++] = (uint8_t)(v >> (8 * i));
    if (d->pos < d->end)
        return;
    d->status &= ~ST_DRQ;
    if (d->xfer == XFER_WRITE)
        ata_pio_block_done(ch, d);
    else
        atapi_packet(ch, d);
}

static void command(struct ide_channel *ch, uint8_t cmd)
{
    struct ide_drive *d = ide_cur(ch);
    if (!d->present || (d->status & ST_BSY))
        return;                        /* no device answers; a busy one ignores it (but reset) */
    d->error = 0;
    ch->intrq = false;
    ide_update_irq(ch);
    if (d->media.cdrom)
        atapi_command(ch, d, cmd);
    else
        ata_command(ch, d, cmd);
}

static uint32_t cmd_read(struct ide_channel *ch, unsigned off, unsigned size)
{
    struct ide_drive *d = ide_cur(ch);
    bool hob = ch->ctrl & 0x80;
    /* An empty channel reads 0, status included (not BSY), as QEMU's does: firmware written for
     * QEMU (OVMF's ATA driver) would otherwise wait out its BSY timeout on every empty channel. */
    if (!ch->drive[0].present && !ch->drive[1].present)
        return 0;
    if (off == 0)
        return data_read(ch, size == 1 ? 2 : size);
    if (!d->present)
        return 0;                      /* the other device answers for an absent one: nothing */
    switch (off) {
    case 1: return hob ? ch->hob_feature : d->error;
    case 2: return hob ? ch->hob_nsector : ch->nsector;
    case 3: return hob ? ch->hob_sector : ch->sector;
    case 4: return hob ? ch->hob_lcyl : ch->lcyl;
    case 5: return hob ? ch->hob_hcyl : ch->hcyl;
    case 6: return ch->select;
    default:                           /* status: reading it acknowledges the interrupt */
        ch->intrq = false;
        ide_update_irq(ch);
        return d->status;
    }
}

static void taskfile_write(uint8_t *cur, uint8_t *hob, uint8_t v)
{
    *hob = *cur;
    *cur = v;
}

static void cmd_write(struct ide_channel *ch, unsigned off, uint32_t v, unsigned size)
{
    if (off == 0) {
        data_write(ch, v, size == 1 ? 2 : size);
        return;
    }
    if (off != 7)
        ch->ctrl &= 0x7f;              /* a task file write clears HOB (6.20) */
    uint8_t b = (uint8_t)v;
    switch (off) {
    case 1: taskfile_write(&ch->feature, &ch->hob_feature, b); break;
    case 2: taskfile_write(&ch->nsector, &ch->hob_nsector, b); break;
    case 3: taskfile_write(&ch->sector, &ch->hob_sector, b); break;
    case 4: taskfile_write(&ch->lcyl, &ch->hob_lcyl, b); break;
    case 5: taskfile_write(&ch->hcyl, &ch->hob_hcyl, b); break;
    case 6:
        ch->select = b | 0xa0;
        ch->cur = (b >> 4) & 1;
        break;
    default: command(ch, b); break;
    }
}

/* Device control: SRST held then released resets both devices (9.2). */
static void ctl_write(struct ide_channel *ch, uint8_t v)
{
    if ((v & 0x04) && !(ch->ctrl & 0x04)) {
        for (int i = 0; i < 2; i++)
            if (ch->drive[i].present)
                ch->drive[i].status = ST_BSY;
    } else if (!(v & 0x04) && (ch->ctrl & 0x04)) {
        uint8_t keep = v;
        channel_reset(ch);
        ch->ctrl = keep;
    }
    ch->ctrl = v;
    ide_update_irq(ch);
}

static uint64_t io_cmd(struct ide_ctrl *c, unsigned chn, uint64_t off, unsigned size)
{
    pthread_mutex_lock(&c->lock);
    uint32_t v = cmd_read(&c->ch[chn], (unsigned)off & 7, size);
    pthread_mutex_unlock(&c->lock);
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void io_cmd_w(struct ide_ctrl *c, unsigned chn, uint64_t off, uint64_t v, unsigned size)
{
    pthread_mutex_lock(&c->lock);
    cmd_write(&c->ch[chn], (unsigned)off & 7, (uint32_t)v, size);
    pthread_mutex_unlock(&c->lock);
}

static uint64_t io_ctl(struct ide_ctrl *c, unsigned chn)
{
    struct ide_channel *ch = &c->ch[chn];
    pthread_mutex_lock(&c->lock);
    uint8_t v = ide_cur(ch)->present ? ide_cur(ch)->status : 0;    /* alternate status; empty: 0 */
    pthread_mutex_unlock(&c->lock);
    return v;
}

static void io_ctl_w(struct ide_ctrl *c, unsigned chn, uint64_t v)
{
    pthread_mutex_lock(&c->lock);
    ctl_write(&c->ch[chn], (uint8_t)v);
    pthread_mutex_unlock(&c->lock);
}

#define CH_OPS(n)                                                                              \
    static uint64_t cmd##n##_r(void *c, uint64_t o, unsigned s) { return io_cmd(c, n, o, s); } \
    static void cmd##n##_w(void *c, uint64_t o, uint64_t v, unsigned s) { io_cmd_w(c, n, o, v, s); } \
    static uint64_t ctl##n##_r(void *c, uint64_t o, unsigned s) { (void)o; (void)s; return io_ctl(c, n); } \
    static void ctl##n##_w(void *c, uint64_t o, uint64_t v, unsigned s) { (void)o; (void)s; io_ctl_w(c, n, v); } \
    const struct io_ops ide_cmd##n##_ops = { .read = cmd##n##_r, .write = cmd##n##_w };     \
    const struct io_ops ide_ctl##n##_ops = { .read = ctl##n##_r, .write = ctl##n##_w };
CH_OPS(0)
CH_OPS(1)

void ide_reset(struct ide_ctrl *c)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < IDE_CHANNELS; i++) {
        struct ide_channel *ch = &c->ch[i];
        ch->ctrl = 0;
        ch->bm_cmd = 0;
        ch->bm_status &= 0x60;         /* the drive-capable bits stay */
        ch->bm_prd = 0;
        channel_reset(ch);
    }
    pthread_mutex_unlock(&c->lock);
}

int ide_attach(struct ide_ctrl *c, unsigned chn, unsigned unit, const struct ide_media *m)
{
    if (chn >= IDE_CHANNELS || unit > 1 || c->ch[chn].drive[unit].present || !m->ops)
        return -EINVAL;
    struct ide_drive *d = &c->ch[chn].drive[unit];
    d->media = *m;
    d->present = true;
    d->wcache = true;
    c->ch[chn].bm_status |= (uint8_t)(0x20 << unit);   /* drive 0/1 DMA capable */
    pthread_mutex_lock(&c->lock);
    channel_reset(&c->ch[chn]);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

struct ide_ctrl *ide_new(struct guest_mem *mem, const struct irq_line irq[IDE_CHANNELS])
{
    struct ide_ctrl *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    for (int i = 0; i < IDE_CHANNELS; i++) {
        c->ch[i].irq = irq[i];
        c->ch[i].mem = mem;
        for (int u = 0; u < 2; u++)
            if (!(c->ch[i].drive[u].buf = calloc(1, IDE_BUF_SIZE))) {
                ide_free(c);
                errno = ENOMEM;
                return NULL;
            }
        channel_reset(&c->ch[i]);
    }
    return c;
}

void ide_free(struct ide_ctrl *c)
{
    if (!c)
        return;
    for (int i = 0; i < IDE_CHANNELS; i++)
        for (int u = 0; u < 2; u++)
            free(c->ch[i].drive[u].buf);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int ide_map_legacy(struct ide_ctrl *c, struct bus *pio)
{
    int r = bus_map(pio, 0x1f0, 8, &ide_cmd0_ops, c, "ide0");
    if (r == 0)
        r = bus_map(pio, 0x3f6, 1, &ide_ctl0_ops, c, "ide0-ctl");
    if (r == 0)
        r = bus_map(pio, 0x170, 8, &ide_cmd1_ops, c, "ide1");
    if (r == 0)
        r = bus_map(pio, 0x376, 1, &ide_ctl1_ops, c, "ide1-ctl");
    return r;
}
