/* Guest RAM's dirty-page log for live migration (issue 18): one bit per 4 KiB page of RAM, indexed by
 * the page's offset in guest_mem's one host mapping (RAM order, not GPA: the PCI hole is not in it).
 * Whoever writes guest RAM while the log is on marks the pages: devices through guest_mem_hva and
 * guest_mem_write (mm/memory.c), the software CPU from its soft TLB's slow write path, KVM's own log
 * merged in by the accelerator (KVM_GET_DIRTY_LOG). The migration thread takes the bits, clearing them.
 * Every function may run on any thread: the bits are atomic words. */
#ifndef VMON_MM_DIRTY_H
#define VMON_MM_DIRTY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct dirty_log {
    _Atomic bool on;               /* logging: writers mark pages */
    uint64_t npages;               /* RAM pages covered */
    _Atomic uint64_t *bits;        /* (npages + 63) / 64 words */
};

/* 0 or -ENOMEM; the log starts off, all clean. */
int dirty_log_init(struct dirty_log *d, uint64_t npages);
void dirty_log_free(struct dirty_log *d);
/* Logging on (all bits cleared first) or off. */
void dirty_log_start(struct dirty_log *d);
void dirty_log_stop(struct dirty_log *d);
static inline bool dirty_log_on(const struct dirty_log *d)
{
    return atomic_load_explicit(&d->on, memory_order_acquire);
}
/* Mark pages [page, page + n) (clipped to the log); no-op while logging is off. */
void dirty_log_mark(struct dirty_log *d, uint64_t page, uint64_t n);
/* Is page marked (false past the end)? */
bool dirty_log_test(const struct dirty_log *d, uint64_t page);
/* Pages marked now (a count, nothing cleared). */
uint64_t dirty_log_count(const struct dirty_log *d);
/* Move the marks into out ((npages + 63) / 64 words, each word taken atomically), clearing them;
 * returns how many pages were marked. */
uint64_t dirty_log_take(struct dirty_log *d, uint64_t *out);
/* OR a bitmap of n pages (bit i: page first + i, 64 to a little-endian word, KVM's layout) in. */
void dirty_log_merge(struct dirty_log *d, uint64_t first, const uint64_t *bits, uint64_t n);

#endif
