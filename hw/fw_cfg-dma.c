/* fw_cfg's DMA interface (QEMU docs/specs/fw_cfg.rst, "FWCfgDmaAccess"): the guest writes the guest
 * physical address of a { be32 control, be32 length, be64 address } record to 0x514 (big-endian,
 * high half at 0x514, low half at 0x518, which starts the transfer); control may select an item
 * (bit 3, key in bits 31:16), then read (bit 1) `length` bytes of it to `address`, or skip (bit 2)
 * them. On completion control reads 0, or has the error bit (0) set. Everything in the record is
 * guest input: the record and the whole destination must lie in RAM, else the error bit (or, for a
 * record outside RAM, nothing at all). Writes to items are refused (error), as items are read-only. */
#include "hw/fw_cfg-int.h"

#include <errno.h>
#include <string.h>

#include "mm/memory.h"

#define DMA_ERROR  0x01u
#define DMA_READ   0x02u
#define DMA_SKIP   0x04u
#define DMA_SELECT 0x08u
#define DMA_WRITE  0x10u
#define FW_CFG_ID_DMA 0x02u
#define DMA_SIGNATURE 0x51454d5520434647ull   /* "QEMU CFG", big-endian */

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The transfer itself, with f->lock held: the new control word. */
static uint32_t dma_run_locked(struct fw_cfg *f, uint32_t control, uint32_t len, uint64_t addr)
{
    if (control & DMA_SELECT)
        fw_cfg_select_locked(f, (uint16_t)(control >> 16));
    if (control & DMA_WRITE)
        return DMA_ERROR;
    if (control & DMA_READ) {
        uint8_t *dst = len ? guest_mem_hva(f->mem, addr, len) : NULL;
        if (len && !dst)
            return DMA_ERROR;
        for (uint32_t i = 0; i < len; i++)
            dst[i] = fw_cfg_read_byte_locked(f);
    } else if (control & DMA_SKIP) {
        for (uint32_t i = 0; i < len && f->cur && f->offset < f->cur->len; i++)
            f->offset++;
    }
    return 0;
}

static void dma_start(struct fw_cfg *f, uint64_t rec_addr)
{
    uint8_t *rec = guest_mem_hva(f->mem, rec_addr, 16);
    if (!rec)
        return;                /* nowhere to report: the guest sees control unchanged */
    uint32_t control = (uint32_t)get_be(rec, 4), len = (uint32_t)get_be(rec + 4, 4);
    uint64_t addr = get_be(rec + 8, 8);
    pthread_mutex_lock(&f->lock);
    uint32_t done = dma_run_locked(f, control, len, addr);
    pthread_mutex_unlock(&f->lock);
    uint8_t out[4] = { (uint8_t)(done >> 24), (uint8_t)(done >> 16), (uint8_t)(done >> 8),
                       (uint8_t)done };
    memcpy(rec, out, 4);
}

static uint64_t dma_read(void *dev, uint64_t off, unsigned size)
{
    (void)dev;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < 8; i++)   /* the signature's bytes, in port order */
        v |= ((DMA_SIGNATURE >> (8 * (7 - (off + i)))) & 0xff) << (8 * i);
    return v;
}

/* x86 writes each 32-bit half as a little-endian outl of a byte-swapped value: the bytes in port
 * order are the big-endian address. */
static void dma_write(void *dev, uint64_t off, uint64_t val, unsigned size)
{
    struct fw_cfg *f = dev;
    if (!f->mem || size != 4 || (off != 0 && off != 4))
        return;
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(val >> (8 * i));
    uint32_t half = (uint32_t)get_be(b, 4);
    if (off == 0) {
        pthread_mutex_lock(&f->lock);
        f->dma_high = half;
        pthread_mutex_unlock(&f->lock);
        return;
    }
    pthread_mutex_lock(&f->lock);
    uint64_t rec = (uint64_t)f->dma_high << 32 | half;
    f->dma_high = 0;
    pthread_mutex_unlock(&f->lock);
    dma_start(f, rec);
}

const struct io_ops fw_cfg_dma_io_ops = { .read = dma_read, .write = dma_write };

int fw_cfg_enable_dma(struct fw_cfg *f, struct guest_mem *mem)
{
    struct fw_cfg_item *id = fw_cfg_find(f, FW_CFG_ID);
    if (!id || !id->data || id->len < 4)
        return -EINVAL;
    f->mem = mem;
    id->data[0] |= FW_CFG_ID_DMA;
    return 0;
}
