/* The bus master (SFF-8038i rev 1.0, "Bus Master Programming Interface for IDE ATA Controllers"):
 * per channel a command register (start, direction), a status register (active, error, interrupt,
 * drive DMA capable) and the PRD table's address, in BAR4 (8 bytes a channel). A transfer starts
 * when both the drive has a DMA command and the start bit is set, whichever comes second. PRD
 * entries come from guest memory and are hostile: each entry and region must lie in RAM, a table
 * holds at most 8192 entries (64 KiB), and a table shorter than the transfer fails it. */
#include <errno.h>

#include "hw/ide/ide-int.h"

#define PRD_MAX_ENTRIES 8192

void bm_iter_start(struct ide_channel *ch, struct bm_iter *it)
{
    *it = (struct bm_iter){ .entry = ch->bm_prd & ~3u };
}

static int next_region(struct ide_channel *ch, struct bm_iter *it)
{
    uint8_t e[8];
    if (it->last)
        return -ENOSPC;
    if (it->n >= PRD_MAX_ENTRIES)
        return -E2BIG;
    if (guest_mem_read(ch->mem, it->entry, e, sizeof(e)) < 0)
        return -EFAULT;
    it->n++;
    it->entry += 8;
    it->addr = (uint32_t)e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24;
    unsigned count = e[4] | e[5] << 8;
    it->left = count ? count & ~1u : 0x10000;   /* 0 means 64 KiB; bit 0 is reserved */
    it->last = e[7] & 0x80;
    if (it->addr & 1)
        return -EFAULT;
    return 0;
}

int bm_iter_copy(struct ide_channel *ch, struct bm_iter *it, void *buf, uint32_t len, bool to_mem)
{
    uint8_t *p = buf;
    while (len) {
        if (!it->left) {
            int r = next_region(ch, it);
            if (r < 0)
                return r;
            continue;
        }
        uint32_t n = it->left < len ? it->left : len;
        int r = to_mem ? guest_mem_write(ch->mem, it->addr, p, n)
                       : guest_mem_read(ch->mem, it->addr, p, n);
        if (r < 0)
            return -EFAULT;
        it->addr += n;
        it->left -= n;
        p += n;
        len -= n;
    }
    return 0;
}

void bm_finish(struct ide_channel *ch, bool failed)
{
    ch->bm_status &= ~BM_ACTIVE;
    if (failed)
        ch->bm_status |= BM_ERROR;
}

/* The start bit: a pending DMA command of the selected drive runs now. */
static void start(struct ide_channel *ch)
{
    struct ide_drive *d = ide_cur(ch);
    ch->bm_status |= BM_ACTIVE;
    if (!d->present || !d->dma)
        return;
    if (d->media.cdrom)
        atapi_dma_run(ch, d);
    else
        ata_dma_run(ch, d);
}

static uint64_t bm_read(void *dev, uint64_t off, unsigned size)
{
    struct ide_ctrl *c = dev;
    struct ide_channel *ch = &c->ch[(off >> 3) & 1];
    unsigned r = (unsigned)off & 7;
    uint64_t v = 0;
    pthread_mutex_lock(&c->lock);
    if (r == 0)
        v = ch->bm_cmd;
    else if (r == 2)
        v = ch->bm_status;
    else if (r >= 4)
        v = ch->bm_prd >> (8 * (r - 4));
    pthread_mutex_unlock(&c->lock);
    return size >= 4 ? (uint32_t)v : v & ((1u << (8 * size)) - 1);
}

static void bm_write_byte(struct ide_channel *ch, unsigned r, uint8_t v)
{
    switch (r) {
    case 0: {
        bool was = ch->bm_cmd & BM_CMD_START;
        ch->bm_cmd = v & (BM_CMD_START | BM_CMD_READ);
        if (!was && (v & BM_CMD_START))
            start(ch);
        else if (!(v & BM_CMD_START))
            ch->bm_status &= ~BM_ACTIVE;   /* stopping aborts what is left (3.1.1) */
        break;
    }
    case 2:                            /* INT and ERROR are write-1-to-clear; bits 6:5 plain */
        ch->bm_status = (uint8_t)((ch->bm_status & ~(v & (BM_INT | BM_ERROR)) & ~0x60) | (v & 0x60));
        break;
    case 4: case 5: case 6: case 7: {
        unsigned s = 8 * (r - 4);
        ch->bm_prd = (ch->bm_prd & ~(0xffu << s)) | (uint32_t)v << s;
        ch->bm_prd &= ~3u;
        break;
    }
    default:
        break;
    }
}

static void bm_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct ide_ctrl *c = dev;
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 0; i < size && i < 4; i++) {
        unsigned o = (unsigned)off + i;
        bm_write_byte(&c->ch[(o >> 3) & 1], o & 7, (uint8_t)(val >> (8 * i)));
    }
    pthread_mutex_unlock(&c->lock);
}

const struct io_ops ide_bm_ops = { .read = bm_read, .write = bm_write };
