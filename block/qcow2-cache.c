/*
 * qcow2 table cache: L2 tables and refcount blocks, write-back, LRU.
 *
 * Ordering rule (the heart of crash safety): a dirty L2 table may reach the disk only after every
 * refcount block is written and flushed, so an L2 entry never points at a cluster whose refcount
 * the disk does not yet hold (a crash then leaks, it never corrupts). Refcount blocks can be
 * written at any time because they only ever hold increments; decrements wait in s->frees.
 *
 * Pointers returned by qcow2_cache_get stay valid until the next get on the same cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "block/qcow2.h"

int qcow2_cache_init(struct qcow2_cache *c, int n, uint32_t size)
{
    c->e = calloc((size_t)n, sizeof(*c->e));
    if (!c->e)
        return -ENOMEM;
    c->n = n;
    c->tick = 0;
    for (int i = 0; i < n; i++) {
        c->e[i].data = malloc(size);
        if (!c->e[i].data) {
            c->n = i;
            qcow2_cache_destroy(c);
            return -ENOMEM;
        }
    }
    return 0;
}

void qcow2_cache_destroy(struct qcow2_cache *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->e[i].data);
    free(c->e);
    c->e = NULL;
    c->n = 0;
}

static int cache_write_entry(struct qcow2 *s, struct qcow2_cache *c, struct qcow2_cache_entry *e)
{
    if (!e->dirty)
        return 0;
    if (c == &s->l2_cache) {
        /*
         * An L2 table may point at clusters whose refcounts sit in dirty refcount blocks, or at
         * data (copy-on-write copies included) not yet durable: both go first, behind a flush.
         */
        int r = qcow2_cache_flush(s, &s->rb_cache);
        if (r == 0 && s->data_unflushed)
            r = qcow2_file_flush(s);
        if (r < 0)
            return r;
    }
    int r = s->bs->file->ops->pwrite(s->bs->file, e->data, s->cluster_size, e->offset);
    if (r < 0)
        return r;
    if (e->offset + s->cluster_size > s->file_size)
        s->file_size = e->offset + s->cluster_size;
    s->data_unflushed = true;
    e->dirty = false;
    return 0;
}

int qcow2_cache_get(struct qcow2 *s, struct qcow2_cache *c, uint64_t offset, bool fill, uint8_t **data)
{
    struct qcow2_cache_entry *victim = NULL;
    for (int i = 0; i < c->n; i++) {
        struct qcow2_cache_entry *e = &c->e[i];
        if (e->offset == offset) {
            e->lru = ++c->tick;
            if (!fill)
                memset(e->data, 0, s->cluster_size);
            *data = e->data;
            return 0;
        }
        if (!victim || (victim->offset && (!e->offset || e->lru < victim->lru)))
            victim = e;
    }
    if (victim->offset) {
        int r = cache_write_entry(s, c, victim);
        if (r < 0)
            return r;
        victim->offset = 0;
    }
    if (fill) {
        int r = s->bs->file->ops->pread(s->bs->file, victim->data, s->cluster_size, offset);
        if (r < 0)
            return r;
    } else {
        memset(victim->data, 0, s->cluster_size);
    }
    victim->offset = offset;
    victim->dirty = false;
    victim->lru = ++c->tick;
    *data = victim->data;
    return 0;
}

void qcow2_cache_mark_dirty(struct qcow2_cache *c, const uint8_t *data)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].data == data) {
            c->e[i].dirty = true;
            return;
        }
}

int qcow2_cache_flush(struct qcow2 *s, struct qcow2_cache *c)
{
    for (int i = 0; i < c->n; i++) {
        if (c->e[i].offset && c->e[i].dirty) {
            int r = cache_write_entry(s, c, &c->e[i]);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* The table at offset is being freed: forget it without writing it back. */
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t offset)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].offset == offset) {
            c->e[i].offset = 0;
            c->e[i].dirty = false;
        }
}
