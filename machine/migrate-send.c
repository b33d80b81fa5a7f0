/* Sending guest RAM in a live migration's stream (machine/migrate-int.h's mig_send_pages): the pages
 * a pass must send, in runs, zero pages as 16-byte records; the bandwidth cap (max-bandwidth, bytes
 * per second over a pass) sleeps in short slices so that a cancel is seen at once. */
#include "machine/migrate-int.h"

#include <errno.h>
#include <time.h>

#include "machine/vm.h"
#include "mm/memory.h"

int mig_check_cancel(struct precopy *c)
{
    return atomic_load(&c->m->cancel) ? -ECANCELED : 0;
}

/* Sleep as max-bandwidth asks (bytes per second over the pass). */
void mig_throttle(struct precopy *c, uint64_t bytes)
{
    pthread_mutex_lock(&c->m->lock);
    uint64_t bw = c->m->info.max_bandwidth;
    pthread_mutex_unlock(&c->m->lock);
    c->bw_bytes += bytes;
    if (!bw || c->final)
        return;
    uint64_t due_ns = c->bw_bytes * 1000000000ull / bw;
    uint64_t spent;
    while (!mig_check_cancel(c) && (spent = vm_mig_now_ns(CLOCK_MONOTONIC) - c->bw_start_ns) < due_ns) {
        uint64_t d = due_ns - spent > 10000000 ? 10000000 : due_ns - spent;   /* 10 ms: a cancel is seen */
        struct timespec ts = { 0, (long)d };
        nanosleep(&ts, NULL);
    }
}

/* Pages [first, first + n): runs of zero pages as ZERO records, the rest as PAGE records. */
static int send_run(struct precopy *c, uint64_t first, uint64_t n)
{
    const uint8_t *ram = c->vm->mem.base;
    uint64_t i = 0;
    while (i < n) {
        int r = mig_check_cancel(c);
        if (r)
            return r;
        bool zero = guest_page_zero(ram + (first + i) * 4096);
        uint64_t k = 1;
        while (i + k < n && (zero || k < MIG_MAX_RUN) && guest_page_zero(ram + (first + i + k) * 4096) == zero)
            k++;
        uint64_t before = c->io.bytes;
        r = zero ? mig_put_zero(&c->io, first + i, (uint32_t)k)
                 : mig_put_pages(&c->io, first + i, (uint32_t)k, ram + (first + i) * 4096);
        if (r)
            return r;
        if (zero)
            c->p.zero_pages += k;
        else
            c->p.pages += k;
        i += k;
        c->p.remaining -= k * 4096 < c->p.remaining ? k * 4096 : c->p.remaining;
        c->p.transferred = c->io.bytes;
        mig_update(c->m, &c->p);
        mig_throttle(c, c->io.bytes - before);
    }
    return 0;
}

/* Every marked page of c->bits (or all of RAM when all), in runs of consecutive pages. */
int mig_send_pages(struct precopy *c, bool all)
{
    if (all)
        return send_run(c, 0, c->npages);
    uint64_t p = 0;
    while (p < c->npages) {
        if (!((c->bits[p / 64] >> (p % 64)) & 1)) {
            p++;
            continue;
        }
        uint64_t q = p + 1;
        while (q < c->npages && ((c->bits[q / 64] >> (q % 64)) & 1))
            q++;
        int r = send_run(c, p, q - p);
        if (r)
            return r;
        p = q;
    }
    return 0;
}

