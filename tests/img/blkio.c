/*
 * Test driver for the block layer (not part of vmon): deterministic random workloads, a writer for
 * the SIGKILL crash test, its verifier, and the power-loss test over a recording file backend.
 *
 *   blkio random FILE FMT N SEED OPS     N random ops, OPS from "wzf" (write, write-zeroes, flush)
 *   blkio writer FILE LOG SEED           write+flush forever, log "B off len seed" / "E" around each
 *   blkio verify FILE FMT LOG [STATE]    every completed write in LOG reads back
 *   blkio power DIR CLUSTER REFBITS EXTL2 COMPAT CUTS SEED
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block/block.h"

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The byte a write with this seed puts at absolute offset pos: independent of how it was split. */
static void pattern(uint8_t *buf, uint64_t off, uint64_t len, uint64_t seed)
{
    uint64_t w = 0, wi = UINT64_MAX;
    for (uint64_t i = 0; i < len; i++) {
        uint64_t p = off + i;
        if (p / 8 != wi) {
            wi = p / 8;
            w = splitmix(seed * 0x100000001b3ull ^ wi);
        }
        buf[i] = (uint8_t)(w >> (8 * (p % 8)));
    }
}

struct rng { uint64_t s; };
static uint64_t rnd(struct rng *r) { return r->s = splitmix(r->s); }

/* A random extent: mostly sector aligned, sometimes byte-granular, 1 B .. 256 KiB. */
static void rnd_extent(struct rng *r, uint64_t size, uint64_t *off, uint64_t *len)
{
    uint64_t l = 1 + rnd(r) % (256 << 10);
    if (rnd(r) % 4) {
        l = (l + 511) & ~511ull;
        *off = (rnd(r) % (size / 512)) * 512;
    } else {
        *off = rnd(r) % size;
    }
    if (l > size - *off)
        l = size - *off;
    if (!l)
        l = 1, *off = size - 1;
    *len = l;
}

static struct blk *open_or_die(const char *file, const char *fmt, int flags)
{
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open(file, fmt, flags, err);
    if (!bs) {
        fprintf(stderr, "blkio: %s\n", err);
        exit(2);
    }
    return bs;
}

static int cmd_random(char **a)
{
    struct blk *bs = open_or_die(a[0], a[1], BLK_O_RDWR);
    uint64_t n = strtoull(a[2], NULL, 0);
    struct rng r = { strtoull(a[3], NULL, 0) };
    const char *ops = a[4];
    uint8_t *buf = malloc(256 << 10);
    for (uint64_t i = 0; i < n; i++) {
        char op = ops[rnd(&r) % strlen(ops)];
        uint64_t off, len, seed = rnd(&r);
        rnd_extent(&r, bs->size, &off, &len);
        int ret = 0;
        if (op == 'w') {
            pattern(buf, off, len, seed);
            ret = blk_pwrite(bs, off, buf, len);
        } else if (op == 'z') {
            ret = blk_write_zeroes(bs, off, len);
        } else if (op == 'f') {
            ret = blk_flush(bs);
        }
        if (ret < 0) {
            fprintf(stderr, "blkio: op %c at %" PRIu64 "+%" PRIu64 ": %s %s\n", op, off, len, strerror(-ret),
                    bs->errmsg);
            return 1;
        }
    }
    free(buf);
    blk_close(bs);
    return 0;
}

static int cmd_writer(char **a)
{
    struct blk *bs = open_or_die(a[0], "qcow2", BLK_O_RDWR);
    int log = open(a[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
    struct rng r = { strtoull(a[2], NULL, 0) };
    uint8_t *buf = malloc(256 << 10);
    for (;;) {
        uint64_t off, len, seed = rnd(&r);
        rnd_extent(&r, bs->size, &off, &len);
        char line[96];
        int n = snprintf(line, sizeof(line), "B %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", off, len, seed);
        if (write(log, line, (size_t)n) != n)
            return 1;
        pattern(buf, off, len, seed);
        /* A write counts as completed once a flush acknowledged it, as for a guest. */
        if (blk_pwrite(bs, off, buf, len) < 0 || blk_flush(bs) < 0)
            return 1;
        if (write(log, "E\n", 2) != 2)
            return 1;
    }
}

static int cmd_verify(char **a)
{
    struct blk *bs = open_or_die(a[0], a[1], 0);
    FILE *log = fopen(a[2], "r");
    if (!log)
        return 2;
    uint64_t size = bs->size;
    uint8_t *model = calloc(1, size), *known = calloc(1, size), *img = malloc(size);
    /* With a state file, what earlier runs verified is the starting point and the log restarts. */
    const char *state = a[3];
    FILE *sf = state ? fopen(state, "rb") : NULL;
    if (sf) {
        if (fread(model, 1, size, sf) != size || fread(known, 1, size, sf) != size)
            return 2;
        fclose(sf);
    }
    char line[128];
    uint64_t off = 0, len = 0, seed = 0, completed = 0;
    bool open_write = false;
    while (fgets(line, sizeof(line), log)) {
        if (line[0] == 'B') {
            if (open_write)            /* killed in flight: it may have landed in part */
                memset(known + off, 0, len);
            if (sscanf(line, "B %" SCNu64 " %" SCNu64 " %" SCNu64, &off, &len, &seed) != 3)
                break;
            open_write = true;
        } else if (line[0] == 'E' && open_write) {
            pattern(model + off, off, len, seed);
            memset(known + off, 1, len);
            open_write = false;
            completed++;
        }
    }
    fclose(log);
    if (open_write)                    /* in flight at the kill: may have landed in part */
        memset(known + off, 0, len);
    if (blk_pread(bs, 0, img, size) < 0) {
        fprintf(stderr, "blkio: verify: read failed: %s\n", bs->errmsg);
        return 1;
    }
    for (uint64_t i = 0; i < size; i++) {
        if (known[i] && img[i] != model[i]) {
            fprintf(stderr, "blkio: verify: byte %" PRIu64 " is %#x, expected %#x (%" PRIu64 " writes)\n", i, img[i],
                    model[i], completed);
            return 1;
        }
    }
    printf("%" PRIu64 " completed writes verified\n", completed);
    if (state) {
        sf = fopen(state, "wb");
        if (!sf || fwrite(model, 1, size, sf) != size || fwrite(known, 1, size, sf) != size || fclose(sf))
            return 2;
        if (truncate(a[2], 0) < 0)
            return 2;
    }
    blk_close(bs);
    free(model);
    free(known);
    free(img);
    return 0;
}

/* ---- power loss: a file backend that records every write and flush -------------------------- */

struct rec_entry {
    uint64_t off, len;             /* len 0: a flush */
    uint8_t *data;
};

struct rec_file {
    struct blk_file base;
    uint8_t *data;
    uint64_t size, cap;
    struct rec_entry *log;
    size_t n, ncap;
};

static void rec_push(struct rec_file *f, uint64_t off, const void *buf, uint64_t len)
{
    if (f->n == f->ncap) {
        f->ncap = f->ncap ? f->ncap * 2 : 1024;
        f->log = realloc(f->log, f->ncap * sizeof(*f->log));
    }
    struct rec_entry *e = &f->log[f->n++];
    e->off = off;
    e->len = len;
    e->data = len ? malloc(len) : NULL;
    if (len)
        memcpy(e->data, buf, len);
}

static void mem_write(uint8_t **data, uint64_t *size, uint64_t *cap, uint64_t off, const void *buf, uint64_t len)
{
    if (off + len > *cap) {
        uint64_t nc = (off + len) * 2;
        *data = realloc(*data, nc);
        memset(*data + *cap, 0, nc - *cap);
        *cap = nc;
    }
    memcpy(*data + off, buf, len);
    if (off + len > *size)
        *size = off + len;
}

static int rec_pread(struct blk_file *bf, void *buf, size_t len, uint64_t off)
{
    struct rec_file *f = (struct rec_file *)bf;
    memset(buf, 0, len);
    if (off < f->size)
        memcpy(buf, f->data + off, off + len > f->size ? f->size - off : len);
    return 0;
}

static int rec_pwrite(struct blk_file *bf, const void *buf, size_t len, uint64_t off)
{
    struct rec_file *f = (struct rec_file *)bf;
    mem_write(&f->data, &f->size, &f->cap, off, buf, len);
    rec_push(f, off, buf, len);
    return 0;
}

static int rec_flush(struct blk_file *bf)
{
    rec_push((struct rec_file *)bf, 0, NULL, 0);
    return 0;
}

static int64_t rec_size(struct blk_file *bf) { return (int64_t)((struct rec_file *)bf)->size; }

static int rec_truncate(struct blk_file *bf, uint64_t size)
{
    struct rec_file *f = (struct rec_file *)bf;
    if (size > f->size) {
        uint8_t z = 0;
        mem_write(&f->data, &f->size, &f->cap, size - 1, &z, 1);
    }
    f->size = size;
    return 0;
}

static void rec_close(struct blk_file *bf) { (void)bf; }   /* the test owns the recording */

static const struct blk_file_ops rec_ops = {
    .pread = rec_pread, .pwrite = rec_pwrite, .flush = rec_flush, .size = rec_size,
    .truncate = rec_truncate, .close = rec_close,
};

struct guest_op {
    char op;                       /* 'w' write, 'z' zeroes, 'f' flush */
    uint64_t off, len, seed;
    size_t log_start, log_end;
};

static int cmd_power(char **a)
{
    const char *dir = a[0];
    struct blk_create_opts o = { .size = 16 << 20, .cluster_size = (uint32_t)strtoul(a[1], NULL, 0),
                                 .refcount_bits = atoi(a[2]), .extended_l2 = atoi(a[3]) != 0, .compat = atoi(a[4]) };
    int cuts = atoi(a[5]);
    struct rng r = { strtoull(a[6], NULL, 0) };
    char path[4096], raw[4096], cmd[8400];
    snprintf(path, sizeof(path), "%s/power.qcow2", dir);
    snprintf(raw, sizeof(raw), "%s/power.raw", dir);
    char err[BLK_ERR_LEN];
    if (blk_create(path, "qcow2", &o, err) < 0) {
        fprintf(stderr, "blkio: %s\n", err);
        return 2;
    }
    /* The freshly created image is the durable base; everything after goes through the recorder. */
    struct rec_file *rf = calloc(1, sizeof(*rf));
    rf->base.ops = &rec_ops;
    FILE *fp = fopen(path, "rb");
    uint8_t chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        mem_write(&rf->data, &rf->size, &rf->cap, rf->size, chunk, got);
    fclose(fp);
    uint8_t *base = malloc(rf->size);
    uint64_t base_size = rf->size;
    memcpy(base, rf->data, base_size);

    struct blk *bs = blk_open_file(&rf->base, path, "qcow2", BLK_O_RDWR, 0, err);
    if (!bs) {
        fprintf(stderr, "blkio: %s\n", err);
        return 2;
    }
    size_t nops = 400;
    struct guest_op *ops = calloc(nops, sizeof(*ops));
    uint8_t *buf = malloc(256 << 10);
    for (size_t i = 0; i < nops; i++) {
        struct guest_op *g = &ops[i];
        uint64_t k = rnd(&r) % 10;
        g->op = k < 7 ? 'w' : k < 8 ? 'z' : 'f';
        g->seed = rnd(&r);
        rnd_extent(&r, bs->size, &g->off, &g->len);
        g->log_start = rf->n;
        int ret = g->op == 'w' ? (pattern(buf, g->off, g->len, g->seed), blk_pwrite(bs, g->off, buf, g->len))
                : g->op == 'z' ? blk_write_zeroes(bs, g->off, g->len) : blk_flush(bs);
        g->log_end = rf->n;
        if (ret < 0) {
            fprintf(stderr, "blkio: power: op %zu failed: %s\n", i, strerror(-ret));
            return 1;
        }
    }
    uint64_t vsize = bs->size;
    printf("power: %zu guest ops, %zu file writes+flushes\n", nops, rf->n);

    uint8_t *img = NULL, *model = malloc(vsize), *maybe = malloc(vsize), *back = malloc(vsize);
    int failures = 0;
    for (int c = 0; c < cuts; c++) {
        size_t cut = (size_t)(rnd(&r) % (rf->n + 1));
        size_t last_flush = 0;               /* entries before this index are durable */
        for (size_t i = 0; i < cut; i++)
            if (!rf->log[i].len)
                last_flush = i + 1;
        uint64_t size = 0, cap = 0;
        free(img);
        img = NULL;
        mem_write(&img, &size, &cap, 0, base, base_size);
        for (size_t i = 0; i < cut; i++) {
            struct rec_entry *e = &rf->log[i];
            if (e->len && (i < last_flush || rnd(&r) % 2))
                mem_write(&img, &size, &cap, e->off, e->data, e->len);
        }
        FILE *out = fopen(path, "wb");
        fwrite(img, 1, size, out);
        fclose(out);
        snprintf(cmd, sizeof(cmd), "qemu-img check -q '%s' 2>/dev/null", path);
        int st = system(cmd);
        int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 99;
        if (rc != 0 && rc != 3) {
            fprintf(stderr, "blkio: power: cut %d (entry %zu of %zu): qemu-img check exit %d\n", c, cut, rf->n, rc);
            failures++;
            continue;
        }
        /* Guest ops acknowledged by a durable guest flush must read back; later ones may or may not. */
        size_t durable = 0;
        for (size_t i = 0; i < nops; i++)
            if (ops[i].op == 'f' && ops[i].log_end <= last_flush)
                durable = i + 1;
        memset(model, 0, vsize);
        memset(maybe, 0, vsize);
        for (size_t i = 0; i < nops; i++) {
            struct guest_op *g = &ops[i];
            if (g->op == 'f')
                continue;
            if (i < durable) {
                if (g->op == 'w')
                    pattern(model + g->off, g->off, g->len, g->seed);
                else
                    memset(model + g->off, 0, g->len);
            } else {
                memset(maybe + g->off, 1, g->len);
            }
        }
        /* Every tenth cut reads back through qemu-img instead of vmon's own reader. */
        bool via_qemu = c % 10 == 0;
        if (via_qemu) {
            snprintf(cmd, sizeof(cmd), "qemu-img convert -O raw '%s' '%s'", path, raw);
            if (system(cmd) != 0) {
                fprintf(stderr, "blkio: power: cut %d: qemu-img convert failed\n", c);
                failures++;
                continue;
            }
        }
        struct blk *rb = blk_open(via_qemu ? raw : path, via_qemu ? "raw" : "qcow2", 0, err);
        if (!rb || blk_pread(rb, 0, back, vsize) < 0) {
            fprintf(stderr, "blkio: power: cut %d: cannot read back: %s\n", c, rb ? rb->errmsg : err);
            failures++;
            blk_close(rb);
            continue;
        }
        blk_close(rb);
        for (uint64_t i = 0; i < vsize; i++) {
            if (!maybe[i] && back[i] != model[i]) {
                fprintf(stderr, "blkio: power: cut %d (entry %zu, durable ops %zu): byte %" PRIu64 " is %#x, expected %#x\n",
                        c, cut, durable, i, back[i], model[i]);
                failures++;
                break;
            }
        }
    }
    printf("power: %d cut points, %d failures\n", cuts, failures);
    blk_close(bs);
    for (size_t i = 0; i < rf->n; i++)
        free(rf->log[i].data);
    free(rf->log);
    free(rf->data);
    free(rf);
    free(ops);
    free(buf);
    free(img);
    free(model);
    free(maybe);
    free(back);
    free(base);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 7 && !strcmp(argv[1], "random"))
        return cmd_random(argv + 2);
    if (argc >= 5 && !strcmp(argv[1], "writer"))
        return cmd_writer(argv + 2);
    if (argc >= 5 && !strcmp(argv[1], "verify")) {
        argv[argc] = NULL;          /* a[3]: the optional state file */
        return cmd_verify(argv + 2);
    }
    if (0)
        return cmd_verify(argv + 2);
    if (argc >= 9 && !strcmp(argv[1], "power"))
        return cmd_power(argv + 2);
    fprintf(stderr, "usage: see the comment at the top of tests/img/blkio.c\n");
    return 2;
}
