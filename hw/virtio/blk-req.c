/* virtio-blk requests (virtio 1.2, 5.2.6): read, write, flush, get-id, discard and write-zeroes.
 * A request is a chain of a 16-byte header (type, reserved, sector) the driver wrote, data
 * buffers, and a status byte the device writes last; 2.6.4 lets the driver frame these any way,
 * so the walk below goes by byte counts, not by buffer boundaries. A request completes (its used
 * entry is published) only once the block layer returned, so a flush covers everything the
 * driver saw completed before it (5.2.6.4). */
#include "hw/virtio/blk.h"

#include <time.h>

#include <string.h>

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };

#define SECTOR 512
#define SEG_BYTES 16                       /* struct virtio_blk_discard_write_zeroes */
#define F_UNMAP 1

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

/* len bytes from sector on lie inside the disk (and len is whole sectors). */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
    uint64_t cap = b->bs->size / SECTOR;
    return len % SECTOR == 0 && sector <= cap && len / SECTOR <= cap - sector;
}

/* A block migration's log (io_lock held): the chunks of [off, off + len) changed. */
static void track(struct virtio_blk *b, uint64_t off, uint64_t len)
{
    if (b->track && len)
        dirty_log_mark(b->track, off / VIRTIO_BLK_CHUNK, (off + len - 1) / VIRTIO_BLK_CHUNK - off / VIRTIO_BLK_CHUNK + 1);
}

/* Discard / write-zeroes (5.2.6.2): an array of {le64 sector, le32 num_sectors, le32 flags}. */
static uint8_t zero_or_discard(struct virtio_blk *b, const struct virtq_chain *c, uint32_t type,
                               uint64_t dout)
{
    if (dout == 0 || dout % SEG_BYTES || dout / SEG_BYTES > VIRTIO_BLK_DISCARD_SEGS)
        return S_UNSUPP;
    if (b->opts.readonly)
        return S_IOERR;
    for (uint64_t at = 0; at < dout; at += SEG_BYTES) {
        uint8_t seg[SEG_BYTES];
        each_piece(c, false, 16 + at, SEG_BYTES, copy_out, seg);
        uint64_t sector;
        uint32_t n, flags;
        memcpy(&sector, seg, 8);
        memcpy(&n, seg + 8, 4);
        memcpy(&flags, seg + 12, 4);
        /* 5.2.6.2: unmap is a write-zeroes flag only; other bits are reserved */
        if (flags & ~(type == T_WRITE_ZEROES ? F_UNMAP : 0u))
            return S_UNSUPP;
        if (!in_range(b, sector, (uint64_t)n * SECTOR))
            return S_IOERR;
        int r = 0;
        if (type == T_WRITE_ZEROES)
            r = blk_write_zeroes(b->bs, sector * SECTOR, (uint64_t)n * SECTOR);
        else if (b->opts.discard)
            r = blk_discard(b->bs, sector * SECTOR, (uint64_t)n * SECTOR);
        track(b, sector * SECTOR, (uint64_t)n * SECTOR);
        if (r < 0)
            return S_IOERR;
    }
    return S_OK;
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
    case T_OUT: {
        if (b->opts.readonly || !in_range(b, sector, dout))
            return S_IOERR;
        int r = each_piece(c, false, 16, dout, do_write, &io);
        track(b, sector * SECTOR, dout);   /* even a failed write may have changed some */
        return r < 0 ? S_IOERR : S_OK;
    }
    case T_FLUSH:
        return blk_flush(b->bs) < 0 ? S_IOERR : S_OK;
    case T_GET_ID: {
        uint64_t n = din < VIRTIO_BLK_ID_BYTES ? din : VIRTIO_BLK_ID_BYTES;
        each_piece(c, true, 0, n, copy_in, b->id);
        *written = n;
        return S_OK;
    }
    case T_DISCARD:
    case T_WRITE_ZEROES:
        return zero_or_discard(b, c, type, dout);
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
    pthread_mutex_lock(&b->io_lock);
    uint8_t status = execute(b, c, type, sector, &written);
    pthread_mutex_unlock(&b->io_lock);
    each_piece(c, true, c->writable - 1, 1, copy_in, &status);
    *used_len = (uint32_t)(written + 1);
    return 0;
}

void virtio_blk_serve_locked(struct virtio_blk *b, unsigned qi, bool unlock_io)
{
    struct virtio_dev *v = &b->vdev;
    struct virtq *q = &v->queues[qi];
    struct virtq_chain c;
    const char *why = NULL;
    int r;
    while (!b->frozen && virtio_running_locked(v) && (r = virtq_pop(q, &c, &why)) != 0) {
        if (r < 0) {
            virtio_needs_reset_locked(v, why);
            return;
        }
        unsigned gen = b->generation;
        uint32_t len;
        b->inflight++;
        if (unlock_io)
            pthread_mutex_unlock(&v->lock);
        int h = handle(b, &c, &len);
        if (unlock_io)
            pthread_mutex_lock(&v->lock);
        b->inflight--;
        if (gen != b->generation)
            return;                    /* the driver reset the device meanwhile: drop it */
        if (h < 0) {
            virtio_needs_reset_locked(v, "request without a 16-byte header or a status byte");
            return;
        }
        virtq_chain_written(q, &c);   /* a migration pass may have copied the pages meanwhile */
        virtq_push(q, c.head, len);
        virtio_notify_used_locked(v, qi);
    }
}

/* Snapshots: no new request is taken while frozen; quiesce returns once none is in flight. */
void virtio_blk_quiesce(struct virtio_blk *b)
{
    struct virtio_dev *v = &b->vdev;
    pthread_mutex_lock(&v->lock);
    b->frozen = true;
    while (b->inflight) {
        pthread_mutex_unlock(&v->lock);
        struct timespec ts = { 0, 500000 };
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&v->lock);
    }
    pthread_mutex_unlock(&v->lock);
}

/* Take requests again, and look at every queue: notifications that came while frozen found it so. */
void virtio_blk_thaw(struct virtio_blk *b)
{
    struct virtio_dev *v = &b->vdev;
    pthread_mutex_lock(&v->lock);
    b->frozen = false;
    virtio_dev_kick_all_locked(v);
    pthread_mutex_unlock(&v->lock);
}
