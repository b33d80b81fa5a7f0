/* Packed virtqueue walker (virtio 1.2, 2.8): one descriptor ring the driver and the device both
 * write, told apart by the AVAIL/USED flag bits against each side's wrap counter (2.8.1-2.8.2);
 * chains of consecutive descriptors (2.8.6), indirect tables (2.8.7), used descriptors written in
 * place (2.8.9) and the event suppression areas (2.8.10, 2.8.14). Every address and length the
 * driver wrote is checked against guest RAM; a chain never takes more steps than the ring has
 * entries, and no more chains are in flight than the ring holds. */
#include "hw/virtio/packed.h"

#include <errno.h>
#include <string.h>

struct pdesc {
    uint64_t addr;
    uint32_t len;
    uint16_t id;
    uint16_t flags;
};

int virtq_packed_enable(struct virtq *q)
{
    if (q->size == 0 || q->size > VIRTQ_MAX_SIZE || (q->desc & 15) || (q->avail & 3) ||
        (q->used & 3) || !guest_mem_hva(q->mem, q->desc, 16ull * q->size) ||
        !guest_mem_hva(q->mem, q->avail, 4) || !guest_mem_hva(q->mem, q->used, 4))
        return -EINVAL;
    q->avail_wrap = q->used_wrap = true;      /* 2.8.1: both counters start at 1 */
    q->last_avail = q->used_idx = 0;
    q->used_slots = q->signalled_slots = 0;
    q->inflight_first = q->inflight_n = 0;
    q->ready = true;
    return 0;
}

static struct pdesc *ring(const struct virtq *q)
{
    return guest_mem_hva(q->mem, q->desc, 16ull * q->size);
}

/* Whether the driver made d available in the round the device's avail wrap counter names. */
static bool is_avail(uint16_t flags, bool wrap)
{
    return !!(flags & VIRTQ_PACKED_F_AVAIL) == wrap && !!(flags & VIRTQ_PACKED_F_USED) != wrap;
}

/* An indirect table (2.8.7): every entry is one buffer, in order; no nesting. */
static int walk_indirect(struct virtq_chain *c, const struct virtq *q, const struct pdesc *d,
                         const char **why)
{
    if (d->len == 0 || d->len % 16 || (d->flags & VIRTQ_DESC_F_NEXT))
        return *why = "bad indirect descriptor", -EINVAL;
    const struct pdesc *t = guest_mem_hva(q->mem, d->addr, d->len);
    if (!t)
        return *why = "indirect table outside guest RAM", -EINVAL;
    for (uint32_t i = 0; i < d->len / 16; i++) {
        struct pdesc e;
        memcpy(&e, &t[i], sizeof(e));
        if (e.flags & VIRTQ_DESC_F_INDIRECT)
            return *why = "nested indirect descriptor", -EINVAL;
        int r = virtq_add_buf(c, q, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE, why);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Reads the chain at the device's position; *steps: the ring descriptors it takes. */
static int walk(struct virtq_chain *c, struct virtq *q, const struct pdesc *t, uint16_t *steps,
                const char **why)
{
    uint16_t i = q->last_avail;
    for (uint16_t n = 0;; n++) {
        if (n == q->size)
            return *why = "packed chain longer than the ring", -EINVAL;
        struct pdesc d;
        memcpy(&d, &t[i], sizeof(d));
        int r;
        if (!(d.flags & VIRTQ_DESC_F_INDIRECT))
            r = virtq_add_buf(c, q, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE, why);
        else if (n == 0)
            r = walk_indirect(c, q, &d, why);
        else
            r = (*why = "indirect descriptor inside a chain", -EINVAL);
        if (r < 0)
            return r;
        i = (uint16_t)(i + 1 == q->size ? 0 : i + 1);
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
            c->head = d.id;                  /* 2.8.6: the buffer id is in the last one */
            *steps = (uint16_t)(n + 1);
            return 0;
        }
    }
}

int virtq_packed_pop(struct virtq *q, struct virtq_chain *c, const char **why)
{
    struct pdesc *t = ring(q);
    if (!t)
        return *why = "descriptor ring outside guest RAM", -EINVAL;
    uint16_t flags = __atomic_load_n(&t[q->last_avail].flags, __ATOMIC_ACQUIRE);
    if (!is_avail(flags, q->avail_wrap))
        return 0;
    if (q->inflight_n == q->size)
        return *why = "more packed buffers in flight than the ring holds", -EINVAL;
    uint16_t steps;
    int r = walk(c, q, t, &steps, why);
    if (r < 0)
        return r;
    if (q->last_avail + steps >= q->size)
        q->avail_wrap = !q->avail_wrap;
    q->last_avail = (uint16_t)((q->last_avail + steps) % q->size);
    q->inflight[(q->inflight_first + q->inflight_n++) % q->size] = steps;
    return 1;
}

/* 2.8.9: id and len first, then the flags with both bits equal to the used wrap counter; the
 * first descriptor's flags last of all (the driver reads the ring in order from there). */
void virtq_packed_push_n(struct virtq *q, const uint16_t *id, const uint32_t *len, unsigned n)
{
    struct pdesc *t = ring(q);
    struct pdesc *first = NULL;
    uint16_t first_flags = 0;
    for (unsigned i = 0; t && i < n && q->inflight_n; i++) {
        uint16_t steps = q->inflight[q->inflight_first];
        q->inflight_first = (uint16_t)((q->inflight_first + 1) % q->size);
        q->inflight_n--;
        struct pdesc *d = &t[q->used_idx];
        d->id = id[i];
        d->len = len[i];
        uint16_t f = q->used_wrap ? VIRTQ_PACKED_F_AVAIL | VIRTQ_PACKED_F_USED : 0;
        if (i == 0) {
            first = d;
            first_flags = f;
        } else {
            __atomic_store_n(&d->flags, f, __ATOMIC_RELEASE);
        }
        if (q->used_idx + steps >= q->size)
            q->used_wrap = !q->used_wrap;
        q->used_idx = (uint16_t)((q->used_idx + steps) % q->size);
        q->used_slots += steps;
    }
    if (first)
        __atomic_store_n(&first->flags, first_flags, __ATOMIC_RELEASE);
    if (t)   /* written after the lookup marked it: a live migration's log sees the write */
        guest_mem_mark_hva(q->mem, t, 16ull * q->size);
}

/* The slot the driver's off_wrap names, as a count of used slots since enable (the round it
 * belongs to is the latest one, at or before the last slot used, with its wrap counter);
 * negative when it lies before the ring started. */
static int64_t event_slot(const struct virtq *q, uint16_t off_wrap)
{
    uint64_t last = q->used_slots - 1, size = q->size;
    uint64_t round = last / size;
    int64_t e = (int64_t)(round * size + (off_wrap & 0x7fff));
    bool wrap = !(round & 1);                /* round 0 runs with the counter at 1 */
    if (wrap != !!(off_wrap & 0x8000))
        e -= (int64_t)size;
    return e;
}

bool virtq_packed_should_notify(struct virtq *q)
{
    const uint16_t *ev = guest_mem_hva(q->mem, q->avail, 4);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* the used flags before the driver's event area */
    uint64_t old = q->signalled_slots, new = q->used_slots;
    q->signalled_slots = new;
    if (!ev)
        return true;
    uint16_t flags = __atomic_load_n(&ev[1], __ATOMIC_ACQUIRE) & 3;
    if (flags == VIRTQ_EVENT_F_DISABLE)
        return false;
    if (flags != VIRTQ_EVENT_F_DESC || !q->event_idx)
        return true;                          /* ENABLE (DESC needs EVENT_IDX; 3 is reserved) */
    if (new == old)
        return false;
    if (new - old >= q->size)
        return true;
    int64_t e = event_slot(q, __atomic_load_n(&ev[0], __ATOMIC_ACQUIRE));
    return e >= (int64_t)old && e < (int64_t)new;
}
