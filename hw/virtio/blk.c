/* virtio-blk (virtio 1.2, 5.2.6): read, write, flush and get-id requests. A request is a chain of
 * a 16-byte header (type, reserved, sector) the driver wrote, data buffers, and a status byte the
 * device writes last; 2.6.4 lets the driver frame these any way, so the walk below goes by byte
 * counts, not by buffer boundaries. Runs where the transport calls queue_notify (the event-loop
 * thread under virtio-pci) with the device's lock held. */
#include "hw/virtio/blk.h"

#include <stdlib.h>
#include <string.h>

#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };

#define SECTOR 512
#define SEG_MAX (VIRTQ_MAX_SEGS - 2)

/* The bytes of one kind (readable or writable) of a chain, from byte skip on, up to len bytes:
 * calls fn on each piece in guest RAM. Returns fn's first error or 0. */
static int each_piece(const struct virtq_chain *c, bool write, uint64_t skip, uint64_t len,
                      int (*fn)(void *ctx, uint8_t *p, uint32_t n, uint64_t at), void *ctx)
{
    uint64_t at = 0;
    for (int i = 0; i < c->n && len; i++) {
        const struct virtq_buf *b = &c->bufs[i];
        if (b->write != write)
            continue;
        if (skip >= b->len) {
            skip -= b->len;
            continue;
        }
        uint32_t n = (uint32_t)(b->len - skip < len ? b->len - skip : len);
        int r = fn(ctx, b->hva + skip, n, at);
        if (r < 0)
            return r;
        at += n;
        len -= n;
        skip = 0;
    }
    return 0;
}

static int copy_out(void *ctx, uint8_t *p, uint32_t n, uint64_t at)
{
    memcpy((uint8_t *)ctx + at, p, n);
    return 0;
}

static int copy_in(void *ctx, uint8_t *p, uint32_t n, uint64_t at)
{
    memcpy(p, (const uint8_t *)ctx + at, n);
    return 0;
}

struct io { struct blk *bs; uint64_t off; };

static int do_read(void *ctx, uint8_t *p, uint32_t n, uint64_t at)
{
    struct io *io = ctx;
    return blk_pread(io->bs, io->off + at, p, n);
}

static int do_write(void *ctx, uint8_t *p, uint32_t n, uint64_t at)
{
    struct io *io = ctx;
    return blk_pwrite(io->bs, io->off + at, p, n);
}

/* Data of an IN/OUT request must be whole sectors inside the disk. */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
    uint64_t cap = b->bs->size / SECTOR;
    return len % SECTOR == 0 && sector <= cap && len / SECTOR <= cap - sector;
}

/* Carries out one request; returns the status byte and sets *written (data bytes put in). */
static uint8_t execute(struct virtio_blk *b, const struct virtq_chain *c, uint32_t type,
                       uint64_t sector, uint64_t *written)
{
    uint64_t din = c->writable - 1, dout = c->readable - 16;
    struct io io = { b->bs, sector * SECTOR };
    *written = 0;
    switch (type) {
    case T_IN:
        if (!in_range(b, sector, din))
            return S_IOERR;
        if (each_piece(c, true, 0, din, do_read, &io) < 0)
            return S_IOERR;
        *written = din;
        return S_OK;
    case T_OUT:
        if (b->readonly || !in_range(b, sector, dout))
            return S_IOERR;
        return each_piece(c, false, 16, dout, do_write, &io) < 0 ? S_IOERR : S_OK;
    case T_FLUSH:
        return blk_flush(b->bs) < 0 ? S_IOERR : S_OK;
    case T_GET_ID: {
        uint64_t n = din < VIRTIO_BLK_ID_BYTES ? din : VIRTIO_BLK_ID_BYTES;
        each_piece(c, true, 0, n, copy_in, b->id);
        *written = n;
        return S_OK;
    }
    default:
        return S_UNSUPP;
    }
}

/* One chain: header, data, status. Returns -1 when the chain cannot be a request at all. */
static int handle(struct virtio_blk *b, const struct virtq_chain *c, uint32_t *used_len)
{
    if (c->readable < 16 || c->writable < 1)
        return -1;
    uint8_t hdr[16];
    each_piece(c, false, 0, 16, copy_out, hdr);
    uint32_t type;
    uint64_t sector, written;
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    uint8_t status = execute(b, c, type, sector, &written);
    each_piece(c, true, c->writable - 1, 1, copy_in, &status);
    *used_len = (uint32_t)(written + 1);
    return 0;
}

static void queue_notify(struct virtio_dev *v, unsigned qi)
{
    struct virtio_blk *b = v->opaque;
    struct virtq *q = &v->queues[qi];
    struct virtq_chain c;
    const char *why = NULL;
    bool used = false;
    int r;
    while ((r = virtq_pop(q, &c, &why)) > 0) {
        uint32_t len;
        if (handle(b, &c, &len) < 0) {
            why = "request without a 16-byte header or a status byte";
            r = -1;
            break;
        }
        virtq_push(q, c.head, len);
        used = true;
    }
    if (used)
        virtio_notify_used_locked(v, qi);
    if (r < 0)
        virtio_needs_reset_locked(v, why);
}

static const struct virtio_dev_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = 2,
    .num_queues = 1,
    .features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                1ull << VIRTIO_BLK_F_FLUSH,
    .queue_notify = queue_notify,
};

static const struct virtio_dev_ops blk_ro_ops = {
    .name = "virtio-blk",
    .device_id = 2,
    .num_queues = 1,
    .features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO,
    .queue_notify = queue_notify,
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

struct virtio_blk *virtio_blk_new(struct blk *bs, bool readonly, const char *id,
                                  const struct guest_mem *mem)
{
    struct virtio_blk *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->bs = bs;
    b->readonly = readonly;
    size_t n = strlen(id);
    memcpy(b->id, id, n < sizeof(b->id) ? n : sizeof(b->id));
    put_le(b->config + 0, bs->size / SECTOR, 8);     /* capacity, in 512-byte sectors */
    put_le(b->config + 12, SEG_MAX, 4);
    put_le(b->config + 20, SECTOR, 4);               /* blk_size */
    virtio_dev_init(&b->vdev, readonly ? &blk_ro_ops : &blk_ops, b, mem, b->config,
                    sizeof(b->config));
    return b;
}

void virtio_blk_free(struct virtio_blk *b)
{
    if (!b)
        return;
    blk_close(b->bs);
    pthread_mutex_destroy(&b->vdev.lock);
    free(b);
}
