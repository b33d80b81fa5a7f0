/*
 * vmon img convert's copy engine, as qemu-img's convert_do_copy with -m workers: each worker claims
 * the next chunk of the (concatenated) source, finds its zero and data ranges and reads the data on
 * its own handles of the sources, then writes it to the one target. Without -W the chunks reach the
 * target in ascending order (a worker waits for its turn); with -W in whatever order they finish.
 * The target's driver state is never shared: one worker writes at a time, so format metadata
 * (qcow2 cluster allocation, the vmdk stream) is allocated in the order the writes arrive.
 * Only the target's metadata needs the turn: a worker maps its data to the target's file there
 * (blk_map_write: qcow2 allocates the clusters, in chunk order, so the layout is the in-order one)
 * and writes the data after letting go, beside the other workers' reads and writes.
 * A worker waiting for the target sleeps on a condition of its own, and the one that lets go of the
 * target wakes only the worker whose turn it is: with one shared condition every release woke all
 * seven waiters, and 1 GiB cost about 9,000 futex calls where one chunk needs one wake-up.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/convert.h"
#include "tools/img/img.h"

struct seg {
    uint64_t off, len;            /* in the chunk */
    bool zero;
};

/* Data mapped to the target's file, written after the turn. */
struct pend {
    uint64_t host, pos, len;      /* where in the target's file, where in the image (for errors) */
    const uint8_t *buf;
};

struct worker;

struct conv {
    const struct conv_job *job;
    pthread_mutex_t lock;
    struct worker *ws;            /* the workers, nws of them (for the wake-ups) */
    int nws;
    uint64_t next;                /* stream offset of the next chunk to claim */
    uint64_t next_idx, wr_idx;    /* chunk tickets: claimed, and the next to write when in order */
    uint64_t done;                /* bytes written, for -p */
    bool writing;                 /* a worker holds the target */
    bool failed;                  /* an error was printed: every worker stops */
};

struct worker {
    struct conv *cv;
    struct blk **src;             /* this worker's handles, one per source */
    bool own;                     /* src were opened here (closed at the end) */
    uint8_t *buf;
    struct seg *segs;
    int nseg, cap;
    struct pend *pend;
    int npend, pcap;
    pthread_cond_t turn;          /* signalled when this worker may have the target */
    uint64_t idx;                 /* the ticket of the chunk it holds */
    bool waiting;                 /* asleep on turn (under cv->lock) */
    pthread_t thread;
};

/* Under cv->lock: wake the worker whose turn it is now (in order: the next ticket's; else any). */
static void wake_next_locked(struct conv *cv)
{
    for (int i = 0; i < cv->nws; i++) {
        struct worker *o = &cv->ws[i];
        if (o->waiting && (cv->failed || !cv->job->in_order || o->idx == cv->wr_idx)) {
            pthread_cond_signal(&o->turn);
            if (!cv->failed)
                return;
        }
    }
}

/* An array of n used elements with room for one more: arr itself, or grown (doubling) with *cap
 * updated; NULL when memory runs out, the old array then freed. */
static void *grow(void *arr, int *cap, int n, size_t size)
{
    if (n < *cap)
        return arr;
    int c = *cap ? *cap * 2 : 16;
    void *p = realloc(arr, (size_t)c * size);
    if (!p) {
        free(arr);
        *cap = 0;
        return NULL;
    }
    *cap = c;
    return p;
}

/* Data for [off, off+len): mapped to the target's file where its format allows (written later,
 * see pend_write), else written now through the format. */
static int put_data(struct worker *w, struct blk *dst, uint64_t off, const uint8_t *buf, uint64_t len)
{
    while (len) {
        uint64_t host, n;
        int r = blk_map_write(dst, off, len, &host, &n);
        if (r == 0)
            r = blk_pwrite(dst, off, buf, n);
        else if (r > 0 && !(w->pend = grow(w->pend, &w->pcap, w->npend, sizeof(*w->pend))))
            r = -ENOMEM;
        if (r > 0)
            w->pend[w->npend++] = (struct pend){ host, off, n, buf };
        if (r < 0)
            return r;
        off += n, buf += n, len -= n;
    }
    return 0;
}

static int write_span(struct worker *w, uint64_t off, const uint8_t *buf, uint64_t len)
{
    const struct conv_job *job = w->cv->job;
    struct blk *dst = job->dst;
    uint32_t gran = job->gran;
    /* Skip granules that are all zero (the target reads them as zero already), write the rest. */
    if (!gran && !job->compress)     /* -S 0: no sparse detection, everything is written (as qemu-img) */
        return put_data(w, dst, off, buf, len);
    uint64_t i = 0;
    while (i < len) {
        uint64_t g = gran - ((off + i) % gran);
        if (g > len - i)
            g = len - i;
        bool zero = gran && blk_is_zero(buf + i, g);
        uint64_t j = i + g;
        while (j < len) {
            uint64_t g2 = gran - ((off + j) % gran);
            if (g2 > len - j)
                g2 = len - j;
            if ((gran && blk_is_zero(buf + j, g2)) != zero || job->compress)
                break;
            j += g2;
        }
        int r = 0;
        if (zero) {
            if (job->must_zero)
                r = blk_write_zeroes(dst, off + i, j - i);
        } else if (job->compress) {
            r = dst->drv->write_compressed(dst, off + i, buf + i, j - i);
        } else {
            r = put_data(w, dst, off + i, buf + i, j - i);
        }
        if (r < 0)
            return r;
        i = j;
    }
    return 0;
}

/* The first failure prints its line; later ones (other workers seeing the stop) stay quiet. */
static void conv_fail(struct conv *cv, const char *what, uint64_t pos, struct blk *bs, int r)
{
    char e[BLK_ERR_LEN + 256];
    pthread_mutex_lock(&cv->lock);
    if (!cv->failed)
        img_err("error while %s at byte %" PRIu64 ": %s", what, pos, blk_strerror(bs, r, e, sizeof(e)));
    cv->failed = true;
    wake_next_locked(cv);                  /* failed: wakes every waiter */
    pthread_mutex_unlock(&cv->lock);
}

static int seg_add(struct worker *w, uint64_t off, uint64_t len, bool zero)
{
    if (w->nseg && w->segs[w->nseg - 1].zero == zero) {
        w->segs[w->nseg - 1].len += len;
        return 0;
    }
    if (!(w->segs = grow(w->segs, &w->cap, w->nseg, sizeof(*w->segs))))
        return -ENOMEM;
    w->segs[w->nseg++] = (struct seg){ off, len, zero };
    return 0;
}

/* Zero and data ranges of [soff, soff+n) in src, the data read into w->buf. */
static int chunk_read(struct worker *w, struct blk *src, uint64_t pos, uint64_t soff, uint64_t n)
{
    const struct conv_job *job = w->cv->job;
    bool read_all = job->compress || !job->gran;     /* no block status: read (and write) every byte */
    w->nseg = 0;
    for (uint64_t p = 0; p < n;) {
        uint64_t pnum = n - p;
        int st = read_all ? 0 : blk_chain_status(src, soff + p, n - p, &pnum, NULL);
        if (st >= 0 && (pnum == 0 || pnum > n - p))
            st = -EIO;                               /* a driver that makes no progress: never spin */
        if (st >= 0 && !(st & BLK_STATUS_ZERO))
            st = blk_pread(src, soff + p, w->buf + p, pnum);
        if (st >= 0)
            st = seg_add(w, p, pnum, st & BLK_STATUS_ZERO);
        if (st < 0) {
            conv_fail(w->cv, "reading", pos + p, src, st);
            return st;
        }
        p += pnum;
    }
    return 0;
}

/* The chunk's data the turn mapped to the target's file, written without the turn. */
static int pend_write(struct worker *w)
{
    struct blk *dst = w->cv->job->dst;
    for (int i = 0; i < w->npend; i++) {
        const struct pend *p = &w->pend[i];
        int r = blk_file_pwrite(dst, p->host, p->buf, p->len);
        if (r < 0) {
            conv_fail(w->cv, "writing", p->pos, dst, r);
            return r;
        }
    }
    return 0;
}

static int chunk_write(struct worker *w, uint64_t pos)
{
    const struct conv_job *job = w->cv->job;
    w->npend = 0;
    for (int i = 0; i < w->nseg; i++) {
        const struct seg *s = &w->segs[i];
        int r = 0;
        if (s->zero)
            r = job->must_zero ? blk_write_zeroes(job->dst, pos + s->off, s->len) : 0;
        else
            r = write_span(w, pos + s->off, w->buf + s->off, s->len);
        if (r < 0) {
            conv_fail(w->cv, "writing", pos + s->off, job->dst, r);
            return r;
        }
    }
    return 0;
}

/* Under cv->lock: the next chunk (stream position, source index and offset, length), false at the end. */
static bool chunk_claim_locked(struct conv *cv, uint64_t *pos, int *src, uint64_t *soff, uint64_t *n,
                               uint64_t *idx)
{
    const struct src_set *ss = cv->job->ss;
    if (cv->failed || cv->next >= ss->total)
        return false;
    *pos = cv->next;
    *soff = cv->next;
    for (*src = 0; *soff >= ss->bs[*src]->size; (*src)++)
        *soff -= ss->bs[*src]->size;
    *n = cv->job->chunk - *pos % cv->job->chunk;
    if (*n > ss->bs[*src]->size - *soff)
        *n = ss->bs[*src]->size - *soff;
    cv->next += *n;
    *idx = cv->next_idx++;
    return true;
}

static void *worker_main(void *opaque)
{
    struct worker *w = opaque;
    struct conv *cv = w->cv;
    for (;;) {
        uint64_t pos, soff, n, idx;
        int si;
        pthread_mutex_lock(&cv->lock);
        bool more = chunk_claim_locked(cv, &pos, &si, &soff, &n, &idx);
        pthread_mutex_unlock(&cv->lock);
        if (!more || chunk_read(w, w->src[si], pos, soff, n) < 0)
            break;
        pthread_mutex_lock(&cv->lock);
        w->idx = idx;
        w->waiting = true;
        while (!cv->failed && (cv->writing || (cv->job->in_order && cv->wr_idx != idx)))
            pthread_cond_wait(&w->turn, &cv->lock);
        w->waiting = false;
        bool stop = cv->failed;
        cv->writing = !stop;
        pthread_mutex_unlock(&cv->lock);
        if (stop || chunk_write(w, pos) < 0)
            break;
        pthread_mutex_lock(&cv->lock);
        cv->writing = false;
        cv->wr_idx++;
        cv->done += n;
        img_progress(cv->job->progress, cv->done * 100.0 / cv->job->ss->total);
        wake_next_locked(cv);
        pthread_mutex_unlock(&cv->lock);
        if (pend_write(w) < 0)
            break;
    }
    return NULL;
}

/* Worker i > 0 reads through handles of its own (driver caches are per handle); NULL if one fails. */
static struct blk **open_handles(const struct src_set *ss)
{
    struct blk **h = calloc((size_t)ss->n, sizeof(*h));
    char err[BLK_ERR_LEN];
    for (int i = 0; h && i < ss->n; i++) {
        h[i] = blk_open(ss->bs[i]->filename, ss->bs[i]->drv->name, BLK_O_SHARE, err);
        if (!h[i]) {
            while (i--)
                blk_close(h[i]);
            free(h);
            return NULL;
        }
    }
    return h;
}

static void worker_free(struct worker *w)
{
    if (w->own) {
        for (int i = 0; i < w->cv->job->ss->n; i++)
            blk_close(w->src[i]);
        free(w->src);
    }
    free(w->buf);
    free(w->segs);
    free(w->pend);
}

int conv_run(const struct conv_job *job)
{
    struct worker ws[CONVERT_MAX_WORKERS] = { 0 };
    struct conv cv = { .job = job, .ws = ws };
    int n = job->workers < 1 ? 1 : job->workers > CONVERT_MAX_WORKERS ? CONVERT_MAX_WORKERS : job->workers;
    pthread_mutex_init(&cv.lock, NULL);
    for (int i = 0; i < n; i++)
        pthread_cond_init(&ws[i].turn, NULL);
    cv.nws = n;                        /* workers not started never wait: their slots stay idle */
    img_progress(job->progress, 0);
    int started = 0;
    for (int i = 0; i < n; i++) {
        struct worker *w = &ws[i];
        w->cv = &cv;
        w->own = i > 0;
        w->src = i ? open_handles(job->ss) : job->ss->bs;
        /* Page-aligned, as qemu-img's buffers: the kernel's page-cache copies run at full speed only
         * into an aligned buffer (malloc's 16-byte offset tripled a raw->qcow2 convert's CPU time here). */
        if (posix_memalign((void **)&w->buf, 4096, job->chunk))
            w->buf = NULL;
        if (!w->src || !w->buf || pthread_create(&w->thread, NULL, worker_main, w)) {
            if (!w->src)
                w->own = false;
            worker_free(w);
            if (i == 0) {
                img_err("error while converting: %s", strerror(ENOMEM));
                cv.failed = true;
            }
            break;                     /* fewer workers than asked: still correct */
        }
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(ws[i].thread, NULL);
        worker_free(&ws[i]);
    }
    pthread_mutex_destroy(&cv.lock);
    for (int i = 0; i < n; i++)
        pthread_cond_destroy(&ws[i].turn);
    return cv.failed ? -1 : 0;
}
