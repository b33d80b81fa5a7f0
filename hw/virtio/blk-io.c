/* virtio-blk's I/O threads: one per request queue, so that requests run neither on the vCPU that
 * wrote the notify register nor on the event loop. A notification only sets the queue's bit and
 * wakes its thread; the thread serves the queue with the device lock dropped around the block
 * layer's I/O, and raises the completion interrupt under the device lock (the transport's
 * interrupt path is safe from any thread: virtio.h's lock order). */
#include "hw/virtio/blk.h"


static void *worker(void *opaque)
{
    struct virtio_blk *b = ((struct virtio_blk_worker *)opaque)->b;
    unsigned qi = ((struct virtio_blk_worker *)opaque)->qi;
    uint32_t bit = 1u << qi;
    pthread_mutex_lock(&b->wlock);
    for (;;) {
        while (!b->stopping && !(b->kicked & bit))
            pthread_cond_wait(&b->wcond, &b->wlock);
        if (b->stopping)
            break;
        b->kicked &= ~bit;
        pthread_mutex_unlock(&b->wlock);
        pthread_mutex_lock(&b->vdev.lock);
        virtio_blk_serve_locked(b, qi, true);
        pthread_mutex_unlock(&b->vdev.lock);
        pthread_mutex_lock(&b->wlock);
    }
    pthread_mutex_unlock(&b->wlock);
    return NULL;
}

_Static_assert(VIRTIO_MAX_QUEUES <= 32, "kicked is a 32-bit mask");

int virtio_blk_start_threads(struct virtio_blk *b)
{
    for (unsigned i = 0; i < b->ops.num_queues; i++) {
        struct virtio_blk_worker *w = &b->workers[i];
        w->b = b;
        w->qi = i;
        int r = pthread_create(&w->thread, NULL, worker, w);
        if (r) {
            virtio_blk_stop(b);
            return -r;
        }
        b->nthreads++;
    }
    return 0;
}

void virtio_blk_kick_locked(struct virtio_blk *b, unsigned qi)
{
    pthread_mutex_lock(&b->wlock);
    b->kicked |= 1u << qi;
    pthread_cond_broadcast(&b->wcond);
    pthread_mutex_unlock(&b->wlock);
}

void virtio_blk_stop(struct virtio_blk *b)
{
    if (!b || !b->nthreads)
        return;
    pthread_mutex_lock(&b->wlock);
    b->stopping = true;
    pthread_cond_broadcast(&b->wcond);
    pthread_mutex_unlock(&b->wlock);
    for (unsigned i = 0; i < b->nthreads; i++)
        pthread_join(b->workers[i].thread, NULL);
    b->nthreads = 0;
}
