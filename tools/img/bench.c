/*
 * vmon img bench: qemu-img bench's request loop over the block layer, for like-for-like timing.
 *
 * -d N keeps N requests in flight, as qemu-img does with its queue depth: N workers each claim the
 * next request of the one offset sequence and run it. Reads go through each worker's own handle on
 * the image (driver state, such as qcow2's L2 cache, is never shared between threads), so they run
 * in parallel. Writes all go through the one read-write handle, one at a time under a lock: format
 * metadata (qcow2 cluster allocation) is not safe for concurrent updates, and convert's -m workers
 * write the same way.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img/img.h"

#define BENCH_MAX_DEPTH 1024          /* threads, not coroutines: beyond this, ask for less */

struct bench {
    struct blk *bs;                   /* the image as opened: every write goes through it */
    bool write;
    uint64_t count, size, step;
    int flush_every;
    pthread_mutex_t lock;             /* the request sequence, the first error */
    pthread_mutex_t wlock;            /* the one writer at a time, and the flush count */
    uint64_t issued, next_off, written;
    int err;
};

struct bench_worker {
    struct bench *b;
    struct blk *h;                    /* this worker's handle for reads (the image's own for writes) */
    uint8_t *buf;
    pthread_t thread;
};

/* The next request's offset, as qemu-img 7.2 walks them: by step, wrapping modulo the image size;
 * a request that would pass the end restarts at 0. False when all are issued or one failed. */
static bool bench_claim(struct bench *b, uint64_t *off)
{
    pthread_mutex_lock(&b->lock);
    bool ok = !b->err && b->issued < b->count;
    if (ok) {
        if (b->next_off + b->size > b->bs->size)
            b->next_off = 0;
        *off = b->next_off;
        b->next_off = b->bs->size ? (b->next_off + b->step) % b->bs->size : 0;
        b->issued++;
    }
    pthread_mutex_unlock(&b->lock);
    return ok;
}

static void bench_fail(struct bench *b, struct blk *h, int r)
{
    pthread_mutex_lock(&b->lock);
    if (!b->err) {
        char e[BLK_ERR_LEN + 256];
        img_err("Failed request: %s", blk_strerror(h, r, e, sizeof(e)));
        b->err = r;
    }
    pthread_mutex_unlock(&b->lock);
}

static int bench_write(struct bench *b, const uint8_t *buf, uint64_t off)
{
    pthread_mutex_lock(&b->wlock);
    int r = blk_pwrite(b->bs, off, buf, b->size);
    if (r >= 0 && b->flush_every && ++b->written % (uint64_t)b->flush_every == 0)
        r = blk_flush(b->bs);
    pthread_mutex_unlock(&b->wlock);
    return r;
}

static void *bench_worker_run(void *arg)
{
    struct bench_worker *w = arg;
    struct bench *b = w->b;
    uint64_t off;
    while (bench_claim(b, &off)) {
        int r = b->write ? bench_write(b, w->buf, off) : blk_pread(w->h, off, w->buf, b->size);
        if (r < 0)
            bench_fail(b, b->write ? b->bs : w->h, r);
    }
    return NULL;
}

/* Worker 0 uses the image's handle; readers beyond it open their own, sharing every permission. */
static int bench_workers_open(struct bench *b, struct bench_worker *w, int n)
{
    for (int i = 0; i < n; i++) {
        w[i].b = b;
        w[i].buf = aligned_alloc(4096, (b->size + 4095) & ~(uint64_t)4095);
        if (!w[i].buf) {
            img_err("Out of memory for %d request buffers", n);
            return -1;
        }
        memset(w[i].buf, b->write ? 0xa5 : 0, b->size);
        w[i].h = b->bs;
        if (i && !b->write) {
            char err[BLK_ERR_LEN];
            w[i].h = blk_open(b->bs->filename, b->bs->drv->name, BLK_O_SHARE, err);
            if (!w[i].h) {
                img_err("%s", err);
                return -1;
            }
        }
    }
    return 0;
}

static void bench_workers_close(struct bench *b, struct bench_worker *w, int n)
{
    for (int i = 0; i < n; i++) {
        if (w[i].h && w[i].h != b->bs)
            blk_close(w[i].h);
        free(w[i].buf);
    }
}

/* Runs the requests with n in flight; the calling thread is worker 0. */
static int bench_run(struct bench *b, int n)
{
    struct bench_worker *w = calloc((size_t)n, sizeof(*w));
    int started = 1, ret = w ? bench_workers_open(b, w, n) : -1;
    for (; ret == 0 && started < n; started++) {
        if (pthread_create(&w[started].thread, NULL, bench_worker_run, &w[started])) {
            img_err("Could not start %d request threads", n);
            pthread_mutex_lock(&b->lock);
            b->err = -1;              /* the workers started stop at their next claim */
            pthread_mutex_unlock(&b->lock);
            ret = -1;
            break;
        }
    }
    if (ret == 0)
        bench_worker_run(&w[0]);
    for (int i = 1; i < started; i++)
        pthread_join(w[i].thread, NULL);
    if (w)
        bench_workers_close(b, w, n);
    free(w);
    return ret || b->err ? 1 : 0;
}

static int parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*s == '-' || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int img_bench(int argc, char **argv)
{
    const char *fmt = NULL;
    bool write = false, quiet = false, image_opts = false;
    uint64_t count = 75000, depth = 64, size = 4096, offset = 0, step = 0;
    int flush_every = 0, share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "flush-interval", required_argument, 0, 'F' },
                                        { "pattern", required_argument, 0, 'P' }, { "no-drain", no_argument, 0, 'D' },
                                        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'c': if (parse_count(optarg, 0, INT32_MAX, &count) < 0) { img_err("Invalid request count specified"); return 1; } break;
        case 'd': if (parse_count(optarg, 1, INT32_MAX, &depth) < 0) { img_err("Invalid queue depth specified"); return 1; } break;
        case 'f': fmt = optarg; break;
        case 'o': if (blk_parse_size(optarg, &offset) < 0) { img_err("Invalid offset specified"); return 1; } break;
        case 's': if (blk_parse_size(optarg, &size) < 0 || !size) { img_err("Invalid buffer size specified"); return 1; } break;
        case 'S': if (blk_parse_size(optarg, &step) < 0) { img_err("Invalid step size specified"); return 1; } break;
        case 'w': write = true; break;
        case 'q': quiet = true; break;
        case 'F': flush_every = atoi(optarg); break;
        case 'n': case 'i': case 't': case 'P': case 'D': break;
        case 'U': share = BLK_O_SHARE; break;
        case 'h': printf("usage: vmon img bench [-f fmt] [-w] [-c count] [-d depth] [-s size] [-o offset] [-S step] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (!img_one_file(argc))
        return 1;
    /* Never more workers than requests; a depth beyond what threads can sensibly give is refused. */
    int n = (int)(depth < count ? depth : count ? count : 1);
    if (n > BENCH_MAX_DEPTH) {
        img_err("Queue depth %d is more than vmon img bench runs (at most %d requests in parallel)", n, BENCH_MAX_DEPTH);
        return 1;
    }
    struct bench b = { .write = write, .count = count, .size = size, .step = step ? step : size,
                       .flush_every = flush_every, .next_off = offset };
    b.bs = img_open_arg(argv[optind], fmt, write ? BLK_O_RDWR | share : share, image_opts);
    if (!b.bs)
        return 1;
    if (!quiet)
        printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64 " in parallel (starting at offset %" PRIu64
               ", step size %" PRIu64 ")\n", count, write ? "write" : "read", size, depth, offset, b.step);
    pthread_mutex_init(&b.lock, NULL);
    pthread_mutex_init(&b.wlock, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ret = bench_run(&b, n);
    int fr = write && !ret ? blk_flush(b.bs) : 0;
    if (fr < 0) {
        char e[BLK_ERR_LEN + 256];
        img_err("Failed to flush the image: %s", blk_strerror(b.bs, fr, e, sizeof(e)));
        ret = 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!quiet && !ret)
        printf("Run completed in %.3f seconds.\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    pthread_mutex_destroy(&b.lock);
    pthread_mutex_destroy(&b.wlock);
    blk_close(b.bs);
    return ret;
}
