/* Port-I/O and MMIO bus: a sorted table of device windows, searched on every access. */
#include "mm/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

void bus_init(struct bus *b, const char *name)
{
    memset(b, 0, sizeof(*b));
    b->name = name;
    pthread_rwlock_init(&b->lock, NULL);
}

static int bus_map_locked(struct bus *b, uint64_t base, uint64_t len, const struct io_ops *ops,
            void *dev, const char *name)
{
    if (len == 0 || base + len < base)
        return -EINVAL;
    if (b->nranges == BUS_MAX_RANGES)
        return -ENOSPC;
    int i = 0;
    while (i < b->nranges && b->ranges[i].base < base)
        i++;
    if (i > 0 && b->ranges[i - 1].base + b->ranges[i - 1].len > base)
        return -EEXIST;
    if (i < b->nranges && base + len > b->ranges[i].base)
        return -EEXIST;
    memmove(&b->ranges[i + 1], &b->ranges[i], (size_t)(b->nranges - i) * sizeof(b->ranges[0]));
    b->ranges[i] = (struct bus_range){ .base = base, .len = len, .ops = ops, .dev = dev, .name = name };
    b->nranges++;
    return 0;
}

int bus_map(struct bus *b, uint64_t base, uint64_t len, const struct io_ops *ops,
            void *dev, const char *name)
{
    pthread_rwlock_wrlock(&b->lock);
    int r = bus_map_locked(b, base, len, ops, dev, name);
    pthread_rwlock_unlock(&b->lock);
    return r;
}

int bus_unmap(struct bus *b, uint64_t base)
{
    int r = -ENOENT;
    pthread_rwlock_wrlock(&b->lock);
    for (int i = 0; i < b->nranges; i++) {
        if (b->ranges[i].base != base)
            continue;
        memmove(&b->ranges[i], &b->ranges[i + 1],
                (size_t)(b->nranges - i - 1) * sizeof(b->ranges[0]));
        b->nranges--;
        r = 0;
        break;
    }
    pthread_rwlock_unlock(&b->lock);
    return r;
}

static const struct bus_range *find_locked(const struct bus *b, uint64_t addr)
{
    int lo = 0, hi = b->nranges;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const struct bus_range *r = &b->ranges[mid];
        if (addr < r->base)
            hi = mid;
        else if (addr - r->base >= r->len)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

bool bus_find(struct bus *b, uint64_t addr, struct bus_range *out)
{
    pthread_rwlock_rdlock(&b->lock);
    const struct bus_range *r = find_locked(b, addr);
    if (r)
        *out = *r;
    pthread_rwlock_unlock(&b->lock);
    return r != NULL;
}

static void warn_unmapped(struct bus *b, const char *dir, uint64_t addr)
{
    if (atomic_exchange(&b->warned_unmapped, true))
        return;
    fprintf(stderr, "vmon: guest %s unmapped %s address 0x%" PRIx64 " (logged once)\n",
            dir, b->name, addr);
}

bool bus_read(struct bus *b, uint64_t addr, unsigned size, uint64_t *val)
{
    struct bus_range r;
    bool found = bus_find(b, addr, &r);
    if (!found || !r.ops->read) {
        *val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
        if (!found)
            warn_unmapped(b, "read from", addr);
        return found;
    }
    *val = r.ops->read(r.dev, addr - r.base, size);
    return true;
}

bool bus_write(struct bus *b, uint64_t addr, uint64_t val, unsigned size)
{
    struct bus_range r;
    if (!bus_find(b, addr, &r)) {
        warn_unmapped(b, "write to", addr);
        return false;
    }
    if (r.ops->write)
        r.ops->write(r.dev, addr - r.base, val, size);
    return true;
}
