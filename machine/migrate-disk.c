/* migrate -b: the disks copied with a live migration (machine/migrate-int.h's mig_disks_*), the way
 * RAM is: the first pass sends every chunk of each virtio-blk disk that is not all zeros (the
 * destination's images are blank ones of the same size, as QEMU's block migration wants), later
 * passes the chunks the guest wrote since (hw/virtio/blk's log, marked after each write under the
 * device's I/O lock, read under the same lock), the last one with the disks quiesced. */
#include "machine/migrate-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/blk.h"

static bool chunk_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

int mig_disks_start(struct precopy *c)
{
    const struct vm_board_ops *b = c->vm->board;
    if (!b || !b->disk_size || !b->disk_track || !b->disk_io) {
        snprintf(c->err, sizeof(c->err), "this machine cannot copy its disks");
        return -ENOTSUP;
    }
    if (!(c->chunk = malloc(VIRTIO_BLK_CHUNK)))
        return -ENOMEM;
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        struct mig_disk *d = &c->disks[i];
        d->size = b->disk_size(c->vm, i);
        if (!d->size)
            continue;
        uint64_t chunks = (d->size + VIRTIO_BLK_CHUNK - 1) / VIRTIO_BLK_CHUNK;
        if (dirty_log_init(&d->log, chunks) < 0 || !(d->bits = calloc((chunks + 63) / 64, 8)))
            return -ENOMEM;
        dirty_log_start(&d->log);
        b->disk_track(c->vm, i, &d->log);
    }
    return 0;
}

static int send_chunk(struct precopy *c, int i, uint64_t chunk, bool skip_zero)
{
    struct mig_disk *d = &c->disks[i];
    uint64_t off = chunk * VIRTIO_BLK_CHUNK;
    uint32_t len = (uint32_t)(d->size - off < VIRTIO_BLK_CHUNK ? d->size - off : VIRTIO_BLK_CHUNK);
    len &= ~511u;                        /* a disk's size is whole sectors; a tail is not sent */
    if (!len)
        return 0;
    int r = c->vm->board->disk_io(c->vm, i, false, off, c->chunk, len);
    if (r < 0) {
        snprintf(c->err, sizeof(c->err), "reading disk %d at %llu", i, (unsigned long long)off);
        return r;
    }
    if (skip_zero && chunk_zero(c->chunk, len))
        return 0;
    uint64_t before = c->io.bytes;
    if ((r = mig_put_disk(&c->io, (unsigned)i, off, c->chunk, len)) == 0)
        mig_throttle(c, c->io.bytes - before);
    c->p.transferred = c->io.bytes;
    return r;
}

int mig_disks_send(struct precopy *c, bool all)
{
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        struct mig_disk *d = &c->disks[i];
        if (!d->size)
            continue;
        uint64_t chunks = d->log.npages;
        if (!all)
            dirty_log_take(&d->log, d->bits);
        for (uint64_t k = 0; k < chunks; k++) {
            if (!all && !((d->bits[k / 64] >> (k % 64)) & 1))
                continue;
            int r = mig_check_cancel(c);
            if (r || (r = send_chunk(c, i, k, all)))
                return r;
        }
        mig_update(c->m, &c->p);
    }
    return 0;
}

uint64_t mig_disks_dirty(struct precopy *c)
{
    uint64_t n = 0;
    for (int i = 0; i < VM_MAX_DRIVES; i++)
        if (c->disks[i].size)
            n += dirty_log_count(&c->disks[i].log) * VIRTIO_BLK_CHUNK;
    return n;
}

void mig_disks_stop(struct precopy *c)
{
    for (int i = 0; i < VM_MAX_DRIVES; i++) {
        struct mig_disk *d = &c->disks[i];
        if (d->size && c->vm->board && c->vm->board->disk_track)
            c->vm->board->disk_track(c->vm, i, NULL);
        dirty_log_free(&d->log);
        free(d->bits);
        memset(d, 0, sizeof(*d));
    }
    free(c->chunk);
    c->chunk = NULL;
}
