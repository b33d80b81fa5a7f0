/* Split virtqueue walker (virtio 1.2, 2.7.5-2.7.8, 2.7.13): descriptor chains, indirect tables
 * (2.7.5.3), the used ring. Ring memory is shared with a running guest: indices are read once per
 * use with acquire ordering and used entries are published with release ordering (2.7.13.3). */
#include "hw/virtio/queue.h"

#include <errno.h>

#include "hw/virtio/packed.h"
#include <string.h>

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

void virtq_reset(struct virtq *q, const struct guest_mem *mem)
{
    memset(q, 0, sizeof(*q));
    q->size = VIRTQ_MAX_SIZE;
    q->mem = mem;
}

void virtq_set_features(struct virtq *q, uint64_t driver_features)
{
    if (!q->ready)
        q->packed = driver_features >> VIRTIO_F_RING_PACKED & 1;
    q->event_idx = driver_features >> VIRTIO_RING_F_EVENT_IDX & 1;
}

static uint64_t desc_bytes(const struct virtq *q)  { return 16ull * q->size; }
static uint64_t avail_bytes(const struct virtq *q) { return 6 + 2ull * q->size; }
static uint64_t used_bytes(const struct virtq *q)  { return 6 + 8ull * q->size; }

int virtq_enable(struct virtq *q)
{
    if (q->packed)
        return virtq_packed_enable(q);
    if (q->size == 0 || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1)) ||
        (q->desc & 15) || (q->avail & 1) || (q->used & 3) ||
        !guest_mem_hva(q->mem, q->desc, desc_bytes(q)) ||
        !guest_mem_hva(q->mem, q->avail, avail_bytes(q)) ||
        !guest_mem_hva(q->mem, q->used, used_bytes(q)))
        return -EINVAL;
    q->ready = true;
    return 0;
}

static uint16_t *avail_ring(const struct virtq *q)
{
    return guest_mem_hva(q->mem, q->avail, avail_bytes(q));
}

static uint16_t *used_ring(const struct virtq *q)
{
    return guest_mem_hva(q->mem, q->used, used_bytes(q));
}

/* The avail_event field after the used ring (2.7.10): the driver notifies when it makes this
 * entry available. */
static void set_avail_event(const struct virtq *q, uint16_t *used)
{
    __atomic_store_n(&used[2 + 4 * q->size], q->last_avail, __ATOMIC_RELAXED);
}

int virtq_add_buf(struct virtq_chain *c, const struct virtq *q, uint64_t addr, uint32_t len,
                  bool write, const char **why)
{
    if (c->n == VIRTQ_MAX_SEGS)
        return *why = "chain longer than the device takes", -EINVAL;
    if (!write && c->writable)
        return *why = "readable buffer after a writable one", -EINVAL;
    uint8_t *hva = len ? guest_mem_hva(q->mem, addr, len) : NULL;
    if (len && !hva)
        return *why = "buffer outside guest RAM", -EINVAL;
    c->bufs[c->n++] = (struct virtq_buf){ .hva = hva, .len = len, .write = write };
    if (write)
        c->writable += len;
    else
        c->readable += len;
    return 0;
}

static int add_desc(struct virtq_chain *c, const struct virtq *q, const struct vring_desc *d,
                    const char **why)
{
    return virtq_add_buf(c, q, d->addr, d->len, d->flags & VIRTQ_DESC_F_WRITE, why);
}

/* Walks an indirect table (2.7.5.3.1): in RAM, a whole number of descriptors, no nesting, and
 * at most as many steps as it has entries (so a loop ends). */
static int walk_indirect(struct virtq_chain *c, const struct virtq *q, const struct vring_desc *d,
                         const char **why)
{
    if (d->len == 0 || d->len % 16 || d->len / 16 > 65536 || (d->flags & VIRTQ_DESC_F_NEXT))
        return *why = "bad indirect descriptor", -EINVAL;
    const struct vring_desc *t = guest_mem_hva(q->mem, d->addr, d->len);
    if (!t)
        return *why = "indirect table outside guest RAM", -EINVAL;
    uint32_t n = d->len / 16, i = 0;
    for (uint32_t steps = 0;; steps++) {
        struct vring_desc e;
        memcpy(&e, &t[i], sizeof(e));
        if (steps == n)
            return *why = "loop in an indirect table", -EINVAL;
        if (e.flags & VIRTQ_DESC_F_INDIRECT)
            return *why = "nested indirect descriptor", -EINVAL;
        int r = add_desc(c, q, &e, why);
        if (r < 0)
            return r;
        if (!(e.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (e.next >= n)
            return *why = "indirect next out of range", -EINVAL;
        i = e.next;
    }
}

static int walk(struct virtq_chain *c, const struct virtq *q, uint16_t head, const char **why)
{
    const struct vring_desc *table = guest_mem_hva(q->mem, q->desc, desc_bytes(q));
    if (!table)
        return *why = "descriptor table outside guest RAM", -EINVAL;
    uint16_t i = head;
    for (unsigned steps = 0;; steps++) {
        if (i >= q->size)
            return *why = "descriptor index out of range", -EINVAL;
        if (steps == q->size)
            return *why = "loop in a descriptor chain", -EINVAL;
        struct vring_desc d;
        memcpy(&d, &table[i], sizeof(d));     /* one read: the guest may change it meanwhile */
        int r;
        if (!(d.flags & VIRTQ_DESC_F_INDIRECT))
            r = add_desc(c, q, &d, why);
        else if (steps == 0)
            r = walk_indirect(c, q, &d, why);
        else
            r = (*why = "indirect descriptor inside a chain", -EINVAL);
        if (r < 0)
            return r;
        if ((d.flags & VIRTQ_DESC_F_INDIRECT) || !(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        i = d.next;
    }
}

/* The available index; under EVENT_IDX, when nothing is pending, asks the driver to notify on
 * its next entry and looks once more (its entry may have come before it saw the request). */
static uint16_t avail_idx(struct virtq *q, uint16_t *avail)
{
    uint16_t idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
    uint16_t *used = used_ring(q);
    if (idx != q->last_avail || !q->event_idx || !used)
        return idx;
    set_avail_event(q, used);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
}

int virtq_pop(struct virtq *q, struct virtq_chain *c, const char **why)
{
    if (!q->ready)
        return 0;
    c->n = 0;
    c->readable = c->writable = 0;
    if (q->packed)
        return virtq_packed_pop(q, c, why);
    uint16_t *avail = avail_ring(q);
    if (!avail)
        return *why = "available ring outside guest RAM", -EINVAL;
    uint16_t idx = avail_idx(q, avail);
    if (idx == q->last_avail)
        return 0;
    if ((uint16_t)(idx - q->last_avail) > q->size)
        return *why = "available index moved past the ring size", -EINVAL;
    uint16_t head = __atomic_load_n(&avail[2 + q->last_avail % q->size], __ATOMIC_RELAXED);
    c->head = head;
    int r = walk(c, q, head, why);
    if (r < 0)
        return r;
    q->last_avail++;
    if (q->event_idx && used_ring(q))
        set_avail_event(q, used_ring(q));
    return 1;
}

void virtq_chain_written(const struct virtq *q, const struct virtq_chain *c)
{
    for (int i = 0; i < c->n; i++)
        if (c->bufs[i].write)
            guest_mem_mark_hva(q->mem, c->bufs[i].hva, c->bufs[i].len);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    virtq_push_n(q, &head, &len, 1);
}

void virtq_push_n(struct virtq *q, const uint16_t *head, const uint32_t *len, unsigned n)
{
    if (q->packed) {
        virtq_packed_push_n(q, head, len, n);
        return;
    }
    uint16_t *used = used_ring(q);
    if (!used)
        return;
    for (unsigned i = 0; i < n; i++) {
        uint32_t *elem = (uint32_t *)(used + 2) + 2 * (q->used_idx % q->size);
        elem[0] = head[i];
        elem[1] = len[i];
        q->used_idx++;
    }
    __atomic_store_n(&used[1], q->used_idx, __ATOMIC_RELEASE);   /* all n at once */
    guest_mem_mark_hva(q->mem, used, used_bytes(q));   /* written after the lookup marked it */
}

void virtq_mark(const struct virtq *q, struct virtq_mark *m)
{
    *m = (struct virtq_mark){ q->last_avail, q->inflight_n, q->avail_wrap };
}

void virtq_rewind(struct virtq *q, const struct virtq_mark *m)
{
    q->last_avail = m->last_avail;
    q->inflight_n = m->inflight_n;     /* packed: the chains' entries are forgotten */
    q->avail_wrap = m->avail_wrap;
    if (!q->packed && q->event_idx && used_ring(q))
        set_avail_event(q, used_ring(q));
}

/* 2.7.10: interrupt when the entries used since the last interrupt include used_event. */
static bool used_event_passed(struct virtq *q, const uint16_t *avail)
{
    uint16_t event = __atomic_load_n(&avail[2 + q->size], __ATOMIC_ACQUIRE);
    uint16_t new = q->used_idx, old = q->signalled_used;
    bool valid = q->signalled_valid;
    q->signalled_used = new;
    q->signalled_valid = true;
    return !valid || (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

bool virtq_should_notify(struct virtq *q)
{
    if (q->packed)
        return virtq_packed_should_notify(q);
    uint16_t *avail = avail_ring(q);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* the used index before the driver's flags */
    if (!avail)
        return true;
    if (q->event_idx)
        return used_event_passed(q, avail);
    return !(__atomic_load_n(&avail[0], __ATOMIC_ACQUIRE) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
