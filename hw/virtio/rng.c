/* virtio-rng (virtio 1.2, 5.4.6): every device-writable buffer of a chain the driver offers is
 * filled from getrandom(2). The rate limit is QEMU's (backends/rng, virtio-rng's max-bytes and
 * period): at most max_bytes in each period; a chain arriving with the budget spent stays in the
 * available ring until the next period begins. */
#include "hw/virtio/rng.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/eventloop.h"

#define NS_PER_MS 1000000ull

static void fill(uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r <= 0)
            continue;                  /* EINTR; the pool is initialised long before a guest runs */
        p += r;
        n -= (size_t)r;
    }
}

/* Bytes the limit allows now (starting a new period when the last one ended). */
static uint64_t budget(struct virtio_rng *r)
{
    if (!r->max_bytes)
        return UINT64_MAX;
    uint64_t now = r->now_ns();
    if (now - r->window_start_ns >= r->period_ms * NS_PER_MS) {
        r->window_start_ns = now;
        r->used = 0;
    }
    return r->max_bytes - r->used;
}

static void serve_locked(struct virtio_rng *r)
{
    struct virtio_dev *v = &r->vdev;
    struct virtq *q = &v->queues[0];
    struct virtq_chain c;
    const char *why = NULL;
    bool used = false;
    int ret = 0;
    if (!virtio_running_locked(v) || !q->ready)
        return;
    uint64_t left;
    while ((left = budget(r)) > 0 && (ret = virtq_pop(q, &c, &why)) > 0) {
        uint32_t given = 0;
        for (int i = 0; i < c.n && left; i++) {
            if (!c.bufs[i].write)
                continue;
            uint32_t n = c.bufs[i].len < left ? c.bufs[i].len : (uint32_t)left;
            fill(c.bufs[i].hva, n);
            given += n;
            left -= n;
        }
        if (r->max_bytes)
            r->used += given;
        virtq_push(q, c.head, given);
        used = true;
    }
    if (used)
        virtio_notify_used_locked(v, 0);
    if (ret < 0)
        virtio_needs_reset_locked(v, why);
    else if (!left && r->timer)
        evtimer_arm(r->timer, r->window_start_ns + r->period_ms * NS_PER_MS);
}

static void queue_notify(struct virtio_dev *v, unsigned q)
{
    (void)q;
    serve_locked(v->opaque);
}

static void on_period(void *opaque)
{
    struct virtio_rng *r = opaque;
    pthread_mutex_lock(&r->vdev.lock);
    serve_locked(r);
    pthread_mutex_unlock(&r->vdev.lock);
}

static void reset(struct virtio_dev *v)
{
    struct virtio_rng *r = v->opaque;
    if (r->timer)
        evtimer_arm(r->timer, 0);
}

static const struct virtio_dev_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = 4,
    .num_queues = 1,
    .queue_notify = queue_notify,
    .reset = reset,
};

struct virtio_rng *virtio_rng_new(const struct guest_mem *mem, struct evloop *loop,
                                  uint64_t max_bytes, uint64_t period_ms)
{
    struct virtio_rng *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->max_bytes = max_bytes;
    r->period_ms = period_ms ? period_ms : 1000;
    r->now_ns = clock_now_ns;
    r->window_start_ns = clock_now_ns();
    if (loop && max_bytes && !(r->timer = evtimer_new(loop, on_period, r))) {
        free(r);
        return NULL;
    }
    virtio_dev_init(&r->vdev, &rng_ops, r, mem, r->config, sizeof(r->config));
    return r;
}

void virtio_rng_free(struct virtio_rng *r)
{
    if (!r)
        return;
    evtimer_free(r->timer);
    pthread_mutex_destroy(&r->vdev.lock);
    free(r);
}
