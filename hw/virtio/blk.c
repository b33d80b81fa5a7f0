/* virtio-blk (virtio 1.2, 5.2): the device over a block-layer image: its features and
 * configuration (5.2.3-5.2.4: capacity, seg_max, blk_size, num_queues, the discard and
 * write-zeroes limits), where notifications go (an I/O thread per queue, or inline), and reset.
 * The requests themselves are blk-req.c, the threads blk-io.c. */
#include "hw/virtio/blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR 512
#define SEG_MAX (VIRTQ_MAX_SEGS - 2)
#define MAX_ZERO_SECTORS 0x3fffffu        /* per discard / write-zeroes segment: 2 GiB */

static void queue_notify(struct virtio_dev *v, unsigned qi)
{
    struct virtio_blk *b = v->opaque;
    if (b->nthreads)
        virtio_blk_kick_locked(b, qi);
    else
        virtio_blk_serve_locked(b, qi, false);
}

/* 4.1.4.3.2 / 2.4: a reset drops what is in flight; threads in I/O find a new generation. */
static void reset(struct virtio_dev *v)
{
    struct virtio_blk *b = v->opaque;
    b->generation++;
    pthread_mutex_lock(&b->wlock);
    b->kicked = 0;
    pthread_mutex_unlock(&b->wlock);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* 5.2.4: the configuration layout, little-endian. */
static void fill_config(struct virtio_blk *b)
{
    uint8_t *c = b->config;
    uint32_t align = b->bs->cluster_size >= 4096 ? b->bs->cluster_size / SECTOR : 8;
    put_le(c + 0, b->bs->size / SECTOR, 8);          /* capacity */
    put_le(c + 12, SEG_MAX, 4);
    put_le(c + 20, SECTOR, 4);                       /* blk_size */
    put_le(c + 34, b->ops.num_queues, 2);
    put_le(c + 36, MAX_ZERO_SECTORS, 4);             /* max_discard_sectors */
    put_le(c + 40, VIRTIO_BLK_DISCARD_SEGS, 4);
    put_le(c + 44, align, 4);                        /* discard_sector_alignment */
    put_le(c + 48, MAX_ZERO_SECTORS, 4);             /* max_write_zeroes_sectors */
    put_le(c + 52, VIRTIO_BLK_DISCARD_SEGS, 4);
    c[56] = 1;                                       /* write_zeroes_may_unmap */
}

static uint64_t features(const struct virtio_blk_opts *o)
{
    uint64_t f = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                 1ull << VIRTIO_BLK_F_FLUSH;
    if (o->readonly)
        f |= 1ull << VIRTIO_BLK_F_RO;
    else
        f |= 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    if (o->num_queues > 1)
        f |= 1ull << VIRTIO_BLK_F_MQ;
    return f;
}

struct virtio_blk *virtio_blk_create(struct blk *bs, const struct virtio_blk_opts *o,
                                     const struct guest_mem *mem)
{
    if (o->num_queues > VIRTIO_MAX_QUEUES) {
        errno = EINVAL;
        return NULL;
    }
    struct virtio_blk *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->bs = bs;
    b->opts = *o;
    b->opts.num_queues = o->num_queues ? o->num_queues : 1;
    b->opts.id = NULL;
    size_t n = strlen(o->id ? o->id : "");
    memcpy(b->id, o->id ? o->id : "", n < sizeof(b->id) ? n : sizeof(b->id));
    b->ops = (struct virtio_dev_ops){
        .name = "virtio-blk", .device_id = 2, .num_queues = (uint16_t)b->opts.num_queues,
        .features = features(&b->opts), .queue_notify = queue_notify, .reset = reset,
    };
    fill_config(b);
    pthread_mutex_init(&b->io_lock, NULL);
    pthread_mutex_init(&b->wlock, NULL);
    pthread_cond_init(&b->wcond, NULL);
    virtio_dev_init(&b->vdev, &b->ops, b, mem, b->config, sizeof(b->config));
    if (o->packed)
        b->vdev.extra_features |= 1ull << VIRTIO_F_RING_PACKED;
    if (o->iothreads) {
        int r = virtio_blk_start_threads(b);
        if (r < 0) {
            b->bs = NULL;
            virtio_blk_free(b);
            errno = -r;
            return NULL;
        }
    }
    return b;
}

struct virtio_blk *virtio_blk_new(struct blk *bs, bool readonly, const char *id,
                                  const struct guest_mem *mem)
{
    struct virtio_blk_opts o = { .id = id, .readonly = readonly, .num_queues = 1 };
    return virtio_blk_create(bs, &o, mem);
}

struct blk *virtio_blk_swap_image(struct virtio_blk *b, struct blk *bs)
{
    pthread_mutex_lock(&b->io_lock);
    struct blk *old = b->bs;
    b->bs = bs;
    pthread_mutex_unlock(&b->io_lock);
    return old;
}

void virtio_blk_track(struct virtio_blk *b, struct dirty_log *log)
{
    pthread_mutex_lock(&b->io_lock);
    b->track = log;
    pthread_mutex_unlock(&b->io_lock);
}

int virtio_blk_image_io(struct virtio_blk *b, bool write, uint64_t off, void *buf, size_t len)
{
    pthread_mutex_lock(&b->io_lock);
    int r = !b->bs ? -ENODEV : off > b->bs->size || len > b->bs->size - off ? -EINVAL
            : write ? blk_pwrite(b->bs, off, buf, len) : blk_pread(b->bs, off, buf, len);
    pthread_mutex_unlock(&b->io_lock);
    return r < 0 ? r : 0;
}

void virtio_blk_free(struct virtio_blk *b)
{
    if (!b)
        return;
    virtio_blk_stop(b);
    blk_close(b->bs);
    pthread_cond_destroy(&b->wcond);
    pthread_mutex_destroy(&b->wlock);
    pthread_mutex_destroy(&b->io_lock);
    pthread_mutex_destroy(&b->vdev.lock);
    free(b);
}
