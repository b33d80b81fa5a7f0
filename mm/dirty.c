/* Guest RAM's dirty-page log (mm/dirty.h): atomic bit words, marked by every writer of guest RAM while
 * a live migration runs and taken by the migration thread pass by pass. */
#include "mm/dirty.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static uint64_t words(uint64_t npages)
{
    return (npages + 63) / 64;
}

/* The bits are mapped like the RAM they describe (zeroed, pages only touched once a log runs). */
static size_t bytes(uint64_t npages)
{
    return (size_t)(words(npages) ? words(npages) : 1) * sizeof(uint64_t);
}

int dirty_log_init(struct dirty_log *d, uint64_t npages)
{
    memset(d, 0, sizeof(*d));
    void *p = mmap(NULL, bytes(npages), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -ENOMEM;
    d->bits = p;
    d->npages = npages;
    return 0;
}

void dirty_log_free(struct dirty_log *d)
{
    if (d->bits)
        munmap((void *)d->bits, bytes(d->npages));
    memset(d, 0, sizeof(*d));
}

void dirty_log_start(struct dirty_log *d)
{
    for (uint64_t i = 0; i < words(d->npages); i++)
        atomic_store_explicit(&d->bits[i], 0, memory_order_relaxed);
    atomic_store_explicit(&d->on, true, memory_order_release);
}

void dirty_log_stop(struct dirty_log *d)
{
    atomic_store_explicit(&d->on, false, memory_order_release);
}

void dirty_log_mark(struct dirty_log *d, uint64_t page, uint64_t n)
{
    if (!dirty_log_on(d) || page >= d->npages)
        return;
    if (n > d->npages - page)
        n = d->npages - page;
    for (uint64_t p = page; p < page + n; p++) {
        uint64_t bit = 1ull << (p % 64);
        _Atomic uint64_t *w = &d->bits[p / 64];
        if (!(atomic_load_explicit(w, memory_order_relaxed) & bit))   /* a marked page costs a load */
            atomic_fetch_or_explicit(w, bit, memory_order_release);
    }
}

bool dirty_log_test(const struct dirty_log *d, uint64_t page)
{
    if (page >= d->npages)
        return false;
    return (atomic_load_explicit(&d->bits[page / 64], memory_order_acquire) >> (page % 64)) & 1;
}

uint64_t dirty_log_count(const struct dirty_log *d)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < words(d->npages); i++)
        n += (uint64_t)__builtin_popcountll(atomic_load_explicit(&d->bits[i], memory_order_acquire));
    return n;
}

uint64_t dirty_log_take(struct dirty_log *d, uint64_t *out)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < words(d->npages); i++) {
        out[i] = atomic_exchange_explicit(&d->bits[i], 0, memory_order_acq_rel);
        n += (uint64_t)__builtin_popcountll(out[i]);
    }
    return n;
}

void dirty_log_merge(struct dirty_log *d, uint64_t first, const uint64_t *bits, uint64_t n)
{
    for (uint64_t i = 0; i < words(n); i++) {
        uint64_t w = bits[i];
        while (w) {
            unsigned b = (unsigned)__builtin_ctzll(w);
            w &= w - 1;
            if (i * 64 + b < n)
                dirty_log_mark(d, first + i * 64 + b, 1);
        }
    }
}
