/* Split virtqueue walker (virtio 1.2, 2.7.5-2.7.8, 2.7.13): descriptor chains, indirect tables
 * (2.7.5.3), the used ring. Ring memory is shared with a running guest: indices are read once per
 * use with acquire ordering and used entries are published with release ordering (2.7.13.3). */
#include "hw/virtio/queue.h"

#include <errno.h>
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

static uint64_t desc_bytes(const struct virtq *q)  { return 16ull * q->size; }
static uint64_t avail_bytes(const struct virtq *q) { return 6 + 2ull * q->size; }
static uint64_t used_bytes(const struct virtq *q)  { return 6 + 8ull * q->size; }

int virtq_enable(struct virtq *q)
{
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

/* Adds one descriptor's buffer to c, checked against RAM and the chain's limits. */
static int add_buf(struct virtq_chain *c, const struct virtq *q, const struct vring_desc *d,
                   const char **why)
{
    bool write = d->flags & VIRTQ_DESC_F_WRITE;
    if (c->n == VIRTQ_MAX_SEGS)
        return *why = "chain longer than the device takes", -EINVAL;
    if (!write && c->writable)
        return *why = "readable buffer after a writable one", -EINVAL;
    uint8_t *hva = d->len ? guest_mem_hva(q->mem, d->addr, d->len) : NULL;
    if (d->len && !hva)
        return *why = "buffer outside guest RAM", -EINVAL;
    c->bufs[c->n++] = (struct virtq_buf){ .hva = hva, .len = d->len, .write = write };
    if (write)
        c->writable += d->len;
    else
        c->readable += d->len;
    return 0;
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
        int r = add_buf(c, q, &e, why);
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
            r = add_buf(c, q, &d, why);
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

int virtq_pop(struct virtq *q, struct virtq_chain *c, const char **why)
{
    if (!q->ready)
        return 0;
    uint16_t *avail = avail_ring(q);
    if (!avail)
        return *why = "available ring outside guest RAM", -EINVAL;
    uint16_t idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
    if (idx == q->last_avail)
        return 0;
    if ((uint16_t)(idx - q->last_avail) > q->size)
        return *why = "available index moved past the ring size", -EINVAL;
    uint16_t head = __atomic_load_n(&avail[2 + q->last_avail % q->size], __ATOMIC_RELAXED);
    c->head = head;
    c->n = 0;
    c->readable = c->writable = 0;
    int r = walk(c, q, head, why);
    if (r < 0)
        return r;
    q->last_avail++;
    return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    uint16_t *used = used_ring(q);
    if (!used)
        return;
    uint32_t *elem = (uint32_t *)(used + 2) + 2 * (q->used_idx % q->size);
    elem[0] = head;
    elem[1] = len;
    q->used_idx++;
    __atomic_store_n(&used[1], q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_notify(const struct virtq *q)
{
    uint16_t *avail = avail_ring(q);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  /* the used index before the driver's flags */
    return !avail || !(__atomic_load_n(&avail[0], __ATOMIC_ACQUIRE) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}
