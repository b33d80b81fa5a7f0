/* The PIIX3 IDE controller in a snapshot (issue 18; hw/ide/ide.h): per channel the task file with its
 * HOB halves, device control, the selected device and INTRQ (ATA/ATAPI-6, 7.1-7.16) and the bus
 * master's command, status and PRD table address (SFF-8038i, 3.1); per device its status, error and
 * where a command stands: the PIO block and its bytes in the buffer, the next sector (ATA) or byte
 * (ATAPI) and what is left, a DMA command waiting for the bus master, SET MULTIPLE / SET FEATURES
 * state, the ATAPI packet and sense data; then the function's PCI configuration space (BAR4). Commands
 * run on the vCPU thread that starts them, so with the vCPUs parked none is half done. The media are
 * the board's: each device's kind and size must match the saved ones, else the section is refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/ide/ide-int.h"
#include "migration/vmstate.h"

#define IDE_STATE_VERSION 1u

static uint32_t buf_used(const struct ide_drive *d)
{
    uint32_t n = d->end > d->pos + d->reply_len ? d->end : d->pos + d->reply_len;
    return n < IDE_BUF_SIZE ? n : IDE_BUF_SIZE;
}

static void put_drive(struct vms_writer *w, const struct ide_drive *d)
{
    uint8_t b[] = { d->present, d->media.cdrom, d->status, d->error, (uint8_t)d->xfer, (uint8_t)d->mult,
                    (uint8_t)d->block, (uint8_t)d->dma, d->wcache, d->xfer_mode, d->atapi_dma, d->from_media,
                    d->sense_key, d->asc, d->ascq };
    vms_put_bytes(w, b, sizeof(b));
    vms_put_u64(w, d->present ? d->media.size : 0);
    vms_put_u32(w, d->pos);
    vms_put_u32(w, d->end);
    vms_put_u32(w, d->reply_len);
    vms_put_u64(w, d->lba);
    vms_put_u64(w, d->left);
    vms_put_bytes(w, d->cdb, sizeof(d->cdb));
    uint32_t n = d->buf ? buf_used(d) : 0;
    vms_put_u32(w, n);
    vms_put_bytes(w, d->buf, n);
}

static void put_channel(struct vms_writer *w, const struct ide_channel *ch)
{
    uint8_t b[] = { (uint8_t)ch->cur, ch->feature, ch->nsector, ch->sector, ch->lcyl, ch->hcyl, ch->select,
                    ch->hob_feature, ch->hob_nsector, ch->hob_sector, ch->hob_lcyl, ch->hob_hcyl, ch->ctrl,
                    ch->intrq, ch->bm_cmd, ch->bm_status };
    vms_put_bytes(w, b, sizeof(b));
    vms_put_u32(w, ch->bm_prd);
    for (int i = 0; i < 2; i++)
        put_drive(w, &ch->drive[i]);
}

void ide_save(struct ide_ctrl *c, struct vms_writer *w)
{
    pthread_mutex_lock(&c->lock);
    vms_put_u8(w, IDE_STATE_VERSION);
    for (int i = 0; i < IDE_CHANNELS; i++)
        put_channel(w, &c->ch[i]);
    pthread_mutex_unlock(&c->lock);
    pci_save(&c->pci, w);
}

/* Where a command stands must be one this device could be in: the buffer's places inside it, a
 * transfer inside the media (ATA: sectors; ATAPI: bytes). */
static bool drive_ok(const struct ide_drive *d, const struct ide_drive *now, uint64_t size, uint32_t n)
{
    uint64_t now_size = now->present ? now->media.size : 0;
    if (d->present != now->present || d->media.cdrom != now->media.cdrom || size != now_size)
        return false;                  /* other media than this board's */
    if (d->mult > IDE_MAX_MULT || d->block > IDE_MAX_MULT || d->dma > 2)
        return false;
    if (d->end > IDE_BUF_SIZE || d->pos > d->end || d->reply_len > IDE_BUF_SIZE - d->pos ||
        n != buf_used(d) || (!now->buf && n))
        return false;
    uint64_t units = d->media.cdrom ? size : size / IDE_SECTOR;
    return d->lba <= units && d->left <= units - d->lba;
}

/* One device into *d (a copy the caller installs); the buffer's bytes go to buf. */
static bool get_drive(struct vms_reader *r, struct ide_drive *d, const struct ide_drive *now, uint8_t *buf)
{
    uint8_t b[15];
    vms_get_bytes(r, b, sizeof(b));
    *d = *now;
    d->present = b[0] & 1;
    d->media.cdrom = b[1] & 1;
    d->status = b[2], d->error = b[3], d->xfer = (enum ide_xfer)b[4], d->mult = b[5], d->block = b[6];
    d->dma = b[7], d->wcache = b[8], d->xfer_mode = b[9], d->atapi_dma = b[10], d->from_media = b[11];
    d->sense_key = b[12], d->asc = b[13], d->ascq = b[14];
    uint64_t size = vms_get_u64(r);
    d->pos = vms_get_u32(r);
    d->end = vms_get_u32(r);
    d->reply_len = vms_get_u32(r);
    d->lba = vms_get_u64(r);
    d->left = vms_get_u64(r);
    vms_get_bytes(r, d->cdb, sizeof(d->cdb));
    uint32_t n = vms_get_u32(r);
    bool bits = b[0] <= 1 && b[1] <= 1 && b[8] <= 1 && b[10] <= 1 && b[11] <= 1 && b[4] <= XFER_ATAPI_IN;
    if (r->err || !bits || !drive_ok(d, now, size, n))
        return false;
    vms_get_bytes(r, buf, n);
    return !r->err;
}

static bool get_channel(struct vms_reader *r, struct ide_channel *ch, const struct ide_channel *now,
                        uint8_t (*bufs)[IDE_BUF_SIZE])
{
    uint8_t b[16];
    vms_get_bytes(r, b, sizeof(b));
    *ch = *now;
    ch->cur = b[0];
    ch->feature = b[1], ch->nsector = b[2], ch->sector = b[3], ch->lcyl = b[4], ch->hcyl = b[5];
    ch->select = b[6], ch->hob_feature = b[7], ch->hob_nsector = b[8], ch->hob_sector = b[9];
    ch->hob_lcyl = b[10], ch->hob_hcyl = b[11], ch->ctrl = b[12], ch->intrq = b[13] & 1;
    ch->bm_cmd = b[14], ch->bm_status = b[15];
    ch->bm_prd = vms_get_u32(r);
    if (r->err || b[0] > 1 || b[13] > 1)
        return false;
    for (int i = 0; i < 2; i++)
        if (!get_drive(r, &ch->drive[i], &now->drive[i], bufs[i]))
            return false;
    return true;
}

/* The loaded channels in place (buffers keep their allocations), and INTRQ as the registers say. */
static void install(struct ide_ctrl *c, const struct ide_channel *ch, uint8_t (*bufs)[IDE_BUF_SIZE])
{
    for (int i = 0; i < IDE_CHANNELS; i++) {
        uint8_t *keep[2] = { c->ch[i].drive[0].buf, c->ch[i].drive[1].buf };
        c->ch[i] = ch[i];
        for (int k = 0; k < 2; k++) {
            c->ch[i].drive[k].buf = keep[k];
            if (keep[k])
                memcpy(keep[k], bufs[2 * i + k], buf_used(&ch[i].drive[k]));
        }
        ide_update_irq(&c->ch[i]);
    }
}

int ide_load(struct ide_ctrl *c, struct vms_reader *r)
{
    struct ide_channel ch[IDE_CHANNELS];
    uint8_t (*bufs)[IDE_BUF_SIZE] = malloc(2 * IDE_CHANNELS * sizeof(*bufs));
    if (!bufs)
        return -ENOMEM;
    pthread_mutex_lock(&c->lock);
    bool ok = vms_get_u8(r) == IDE_STATE_VERSION;
    for (int i = 0; ok && i < IDE_CHANNELS; i++)
        ok = get_channel(r, &ch[i], &c->ch[i], bufs + 2 * i);
    if (ok)
        install(c, ch, bufs);
    pthread_mutex_unlock(&c->lock);
    free(bufs);
    return ok && pci_load(&c->pci, r) == 0 ? 0 : -EINVAL;
}
