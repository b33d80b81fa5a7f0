/*
 * libFuzzer target: the split virtqueue walker (hw/virtio/queue.c) and a whole virtio-blk-pci
 * function (hw/virtio/, hw/pci/) over fake guest RAM the input fills: random descriptor tables
 * and rings, config space reads and writes through 0xcf8/0xcfc, BAR 0 accesses (common config,
 * ISR, device config, notify), status writes and notifications that make the device walk and run
 * requests on a 64 KiB in-memory raw disk. Every chain the walker hands out must lie in RAM.
 * Input: a count byte n, n ops of 8 bytes (see run_op), then the bytes of guest RAM from GPA 0.
 * Build and run: make fuzz-virtio [FUZZ_TIME=seconds].
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "hw/pci/host.h"
#include "hw/virtio/blk.h"
#include "hw/virtio/pci.h"

#define RAM (256u << 10)
#define DISK (64u << 10)
#define SLOT 2

struct mem_file {
    struct blk_file base;
    uint8_t data[DISK];
};

static int mf_pread(struct blk_file *f, void *buf, size_t len, uint64_t off)
{
    struct mem_file *m = (struct mem_file *)f;
    if (off > DISK || len > DISK - off)
        return -EIO;
    memcpy(buf, m->data + off, len);
    return 0;
}

static int mf_pwrite(struct blk_file *f, const void *buf, size_t len, uint64_t off)
{
    struct mem_file *m = (struct mem_file *)f;
    if (off > DISK || len > DISK - off)
        return -ENOSPC;
    memcpy(m->data + off, buf, len);
    return 0;
}

static int mf_flush(struct blk_file *f) { (void)f; return 0; }
static int64_t mf_size(struct blk_file *f) { (void)f; return DISK; }
static int mf_truncate(struct blk_file *f, uint64_t size) { (void)f; (void)size; return -ENOTSUP; }
static void mf_close(struct blk_file *f) { free(f); }

static const struct blk_file_ops mf_ops = {
    .pread = mf_pread, .pwrite = mf_pwrite, .flush = mf_flush, .size = mf_size,
    .truncate = mf_truncate, .close = mf_close,
};

struct rig {
    struct guest_mem *mem;
    struct bus pio, mmio;
    struct pci_host *host;
    struct virtio_blk *blk;
    struct virtio_pci *vp;
};

/* Every buffer of a chain the walker returned lies inside guest RAM. */
static void check_chain(const struct guest_mem *mem, const struct virtq_chain *c)
{
    if (c->n < 0 || c->n > VIRTQ_MAX_SEGS)
        abort();
    const uint8_t *lo = mem->base, *hi = mem->base + mem->ram_size;
    uint64_t rd = 0, wr = 0;
    for (int i = 0; i < c->n; i++) {
        const struct virtq_buf *b = &c->bufs[i];
        if (b->len && (b->hva < lo || b->hva > hi || b->len > (uint64_t)(hi - b->hva)))
            abort();
        *(b->write ? &wr : &rd) += b->len;
    }
    if (rd != c->readable || wr != c->writable)
        abort();
}

/* The walker alone, on a queue the op describes (addresses in 16-byte units). */
static void walk_direct(struct rig *r, const uint8_t *op)
{
    struct virtq q;
    virtq_reset(&q, r->mem);
    q.size = (uint16_t)(1u << (op[1] % 10));        /* 1..512: 512 is refused */
    q.desc = 16ull * (op[2] | op[3] << 8);
    q.avail = 2ull * (op[4] | op[5] << 8);
    q.used = 4ull * (op[6] | op[7] << 8);
    if (virtq_enable(&q) < 0)
        return;
    static struct virtq_chain c;
    const char *why;
    for (int i = 0; i < 8 && virtq_pop(&q, &c, &why) > 0; i++) {
        check_chain(r->mem, &c);
        virtq_push(&q, c.head, (uint32_t)c.writable);
    }
    virtq_should_notify(&q);
}

static void bar_access(struct rig *r, const uint8_t *op, bool write)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    unsigned size = sizes[op[1] & 3];
    uint64_t off = (uint64_t)(op[2] | op[3] << 8) % VIRTIO_PCI_BAR_SIZE;
    uint32_t val = (uint32_t)op[4] | (uint32_t)op[5] << 8 | (uint32_t)op[6] << 16 | (uint32_t)op[7] << 24;
    const struct pci_bar *b = &r->vp->pci.bars[0];
    if (off + size > VIRTIO_PCI_BAR_SIZE)
        return;
    if (write)
        b->ops->write(b->dev, off, val, size);
    else
        b->ops->read(b->dev, off, size);
}

/* A driver's set-up in one op, so inputs reach the queue quickly: features, queue 0 at the
 * addresses given (16-byte units), DRIVER_OK. */
static void quick_setup(struct rig *r, const uint8_t *op)
{
    const struct pci_bar *b = &r->vp->pci.bars[0];
    void *d = b->dev;
    b->ops->write(d, 20, 0, 1);
    b->ops->write(d, 20, 3, 1);
    b->ops->write(d, 8, 0, 4);
    b->ops->write(d, 12, op[1] & 1 ? 1u << 28 : 0, 4);
    b->ops->write(d, 8, 1, 4);
    b->ops->write(d, 12, 1, 4);
    b->ops->write(d, 20, 11, 1);
    b->ops->write(d, 22, 0, 2);
    b->ops->write(d, 24, 1u << (op[1] >> 4 & 7), 2);
    b->ops->write(d, 32, 16u * op[2], 4);
    b->ops->write(d, 40, 16u * (op[3] | op[4] << 8), 4);
    b->ops->write(d, 48, 16u * (op[5] | op[6] << 8), 4);
    b->ops->write(d, 28, 1, 2);
    b->ops->write(d, 20, 15, 1);
}

static void run_op(struct rig *r, const uint8_t *op)
{
    uint32_t val = (uint32_t)op[4] | (uint32_t)op[5] << 8 | (uint32_t)op[6] << 16 | (uint32_t)op[7] << 24;
    uint64_t v;
    switch (op[0] % 8) {
    case 0:                            /* config write, any slot and register, 1/2/4 bytes */
    case 1:
        bus_write(&r->pio, PCI_CONFIG_ADDRESS, 0x80000000u | (op[1] & 0x1f) << 11 | op[2], 4);
        if (op[0] % 8 == 0)
            bus_write(&r->pio, PCI_CONFIG_DATA + (op[3] & 3), val, 1u << (op[3] >> 2 & 3) & 7);
        else
            bus_read(&r->pio, PCI_CONFIG_DATA + (op[3] & 3), 1u << (op[3] >> 2 & 3) & 7, &v);
        break;
    case 2: bar_access(r, op, true); break;
    case 3: bar_access(r, op, false); break;
    case 4: quick_setup(r, op); break;
    case 5: bar_access(r, (const uint8_t[8]){ 0, 1, 0x00, 0x30 }, true); break;   /* notify q0 */
    case 6: r->vp->pci.bars[0].ops->write(r->vp, 20, op[1], 1); break;            /* status */
    default: walk_direct(r, op); break;
    }
}

static int rig_new(struct rig *r, struct guest_mem *mem)
{
    memset(r, 0, sizeof(*r));
    r->mem = mem;
    bus_init(&r->pio, "pio");
    bus_init(&r->mmio, "mmio");
    struct mem_file *m = calloc(1, sizeof(*m));
    m->base.ops = &mf_ops;
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open_file(&m->base, "fuzz.raw", "raw", BLK_O_RDWR, 0, err);
    if (!bs)
        abort();
    if (!(r->host = pci_host_new(&r->pio, &r->mmio)) || pci_host_map(r->host) < 0 ||
        !(r->blk = virtio_blk_new(bs, false, "fuzz", mem)) || !(r->vp = virtio_pci_new(&r->blk->vdev, NULL)))
        abort();
    pci_cfg_write(&r->vp->pci, PCI_BAR0, 0xc0000000u, 4);
    if (pci_host_plug(r->host, SLOT, &r->vp->pci) < 0)
        abort();
    return 0;
}

static void rig_free(struct rig *r)
{
    virtio_pci_free(r->vp);
    virtio_blk_free(r->blk);
    pci_host_free(r->host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct guest_mem mem;
    if (!mem.base && guest_mem_init(&mem, RAM) < 0)
        abort();
    if (!size)
        return 0;
    size_t nops = data[0], ops = 1;
    if (nops * 8 > size - 1)
        nops = (size - 1) / 8;
    size_t rest = size - 1 - nops * 8;
    memset(mem.base, 0, RAM);
    memcpy(mem.base, data + ops + nops * 8, rest < RAM ? rest : RAM);
    struct rig r;
    rig_new(&r, &mem);
    for (size_t i = 0; i < nops; i++)
        run_op(&r, data + ops + 8 * i);
    rig_free(&r);
    return 0;
}
