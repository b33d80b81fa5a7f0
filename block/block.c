/* Block layer core: format probing, opening backing chains, and the request entry points. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/lock.h"
#include "block/probe.h"

static const struct blk_driver *const drivers[] = { &blk_qcow2_driver, &blk_vmdk_driver, &blk_vpc_driver,
                                                    &blk_vdi_driver, &blk_vhdx_driver, &blk_raw_driver };

int blk_error(char *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, BLK_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return code > 0 ? -code : code;
}

const struct blk_driver *blk_find_driver(const char *name)
{
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
        if (!strcmp(drivers[i]->name, name))
            return drivers[i];
    return NULL;
}

const char *blk_probe_buf(const uint8_t *buf, size_t len, const char *filename,
                          const struct blk_driver **drv)
{
    const struct blk_driver *best = NULL;
    int best_score = 0;
    for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        int s = drivers[i]->probe(buf, len, filename);
        if (s > best_score) {
            best = drivers[i];
            best_score = s;
        }
    }
    int fs;
    const char *other = blk_probe_foreign(buf, len, filename, &fs);
    *drv = other && fs > best_score ? NULL : best;
    return other && fs > best_score ? other : NULL;
}

const struct blk_driver *blk_probe(struct blk_file *f, const char *filename, const char **foreign)
{
    uint8_t buf[512];
    *foreign = NULL;
    if (f->ops->pread(f, buf, sizeof(buf), 0) < 0)
        return NULL;
    const struct blk_driver *best;
    *foreign = blk_probe_buf(buf, sizeof(buf), filename, &best);
    return best;
}

bool blk_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len && ((uintptr_t)p & 7)) {
        if (*p++)
            return false;
        len--;
    }
    const uint64_t *q = (const uint64_t *)p;
    for (; len >= 32; len -= 32, q += 4)
        if (q[0] | q[1] | q[2] | q[3])
            return false;
    p = (const uint8_t *)q;
    while (len--)
        if (*p++)
            return false;
    return true;
}

/* A relative backing name is relative to the directory of the image that names it (as QEMU). */
char *blk_path_join_dir(const char *image, const char *rel)
{
    if (rel[0] == '/' || !strchr(image, '/'))
        return strdup(rel);
    const char *slash = strrchr(image, '/');
    size_t dlen = (size_t)(slash - image) + 1;
    char *r = malloc(dlen + strlen(rel) + 1);
    if (!r)
        return NULL;
    memcpy(r, image, dlen);
    strcpy(r + dlen, rel);
    return r;
}

struct blk *blk_open_file(struct blk_file *f, const char *filename, const char *fmt, int flags, int depth,
                          char *err)
{
    const struct blk_driver *drv;
    if (fmt) {
        drv = blk_find_driver(fmt);
        if (!drv) {
            blk_error(err, EINVAL, "Could not open '%s': Unknown driver '%s'", filename, fmt);
            f->ops->close(f);
            return NULL;
        }
    } else {
        const char *foreign;
        drv = blk_probe(f, filename, &foreign);
        if (foreign) {
            blk_error(err, ENOTSUP, "Could not open '%s': image format '%s' is not supported by vmon "
                      "(it reads raw, qcow2, vmdk, vpc, vdi and vhdx)", filename, foreign);
            f->ops->close(f);
            return NULL;
        }
        if (!drv)
            drv = &blk_raw_driver;
    }
    struct blk *bs = calloc(1, sizeof(*bs));
    if (!bs || !(bs->filename = strdup(filename))) {
        free(bs);
        f->ops->close(f);
        blk_error(err, ENOMEM, "Could not open '%s': out of memory", filename);
        return NULL;
    }
    bs->drv = drv;
    bs->file = f;
    bs->flags = flags;
    bs->probed_raw = !fmt && drv == &blk_raw_driver && (flags & BLK_O_RDWR);
    int r = drv->open(bs, flags, err);
    if (r < 0) {
        bs->drv = NULL;
        blk_close(bs);
        return NULL;
    }
    if (bs->backing_file && !(flags & BLK_O_NO_BACKING)) {
        if (blk_open_backing(bs, flags & ~(BLK_O_RDWR | BLK_O_CHECK), depth + 1, err) < 0) {
            blk_close(bs);
            return NULL;
        }
    }
    return bs;
}

int blk_open_backing(struct blk *bs, int flags, int depth, char *err)
{
    static const char loop_msg[] = "backing file chain loops or is longer than 64 images";
    if (depth >= BLK_MAX_CHAIN)
        return blk_error(err, ELOOP, "%s", loop_msg);
    /* An image naming itself is the commonest loop: say so at once. */
    char real_here[PATH_MAX];
    if (realpath(bs->full_backing, real_here)) {
        char real_top[PATH_MAX];
        if (realpath(bs->filename, real_top) && !strcmp(real_top, real_here))
            return blk_error(err, ELOOP, "Could not open '%s': %s", bs->filename, loop_msg);
    }
    char sub[BLK_ERR_LEN];
    struct blk *b = blk_open(bs->full_backing, bs->backing_fmt, flags | ((depth + 1) << 16), sub);
    if (!b) {
        /* Deeper levels of a loop report it once, at the top, not nested 64 times. */
        if (strstr(sub, loop_msg))
            return blk_error(err, ELOOP, "Could not open '%s': %s", bs->filename, loop_msg);
        return blk_error(err, EINVAL, "Could not open '%s': Could not open backing file: %.400s", bs->filename, sub);
    }
    bs->backing = b;
    return 0;
}

/* flags bits 16..23 carry the depth in the backing chain, so that loops end (BLK_MAX_CHAIN). */
struct blk *blk_open(const char *filename, const char *fmt, int flags, char *err)
{
    int e = 0;
    int depth = (flags >> 16) & 0xff;
    flags &= 0xffff;
    if ((flags & BLK_O_SHARE) && (flags & BLK_O_RDWR)) {
        blk_error(err, EINVAL, "Could not open '%s': force-share=on can only be used with read-only images",
                  filename);
        return NULL;
    }
    struct blk_file *f = blk_file_open_posix(filename, flags & BLK_O_RDWR, false, &e);
    if (!f) {
        if (e == -EINVAL)
            blk_error(err, e, "Could not open '%s': 'file' driver requires '%s' to be a regular file", filename,
                      filename);
        else
            blk_error(err, e, "Could not open '%s': %s", filename, strerror(-e));
        return NULL;
    }
    /* The permissions QEMU's qcow2/raw nodes take on their file: see block/lock.h. */
    unsigned perm = BLK_PERM_CONSISTENT_READ | (flags & BLK_O_RDWR ? BLK_PERM_WRITE | BLK_PERM_RESIZE : 0);
    unsigned shared = flags & BLK_O_SHARE ? BLK_PERM_ALL : BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    char lerr[BLK_ERR_LEN];
    int r = f->ops->lock ? f->ops->lock(f, perm, shared, filename, lerr) : 0;
    if (r < 0) {
        blk_error(err, r, "Could not open '%s': %.400s", filename, lerr);
        f->ops->close(f);
        return NULL;
    }
    f->no_flush = (flags & BLK_O_NO_FLUSH) != 0;
    return blk_open_file(f, filename, fmt, flags, depth, err);
}

void blk_close(struct blk *bs)
{
    if (!bs)
        return;
    if (bs->drv) {
        if (bs->flags & BLK_O_RDWR)
            bs->drv->flush(bs);
        bs->drv->close(bs);
    }
    blk_close(bs->backing);
    if (bs->file)
        bs->file->ops->close(bs->file);
    free(bs->filename);
    free(bs->backing_file);
    free(bs->backing_fmt);
    free(bs->full_backing);
    free(bs);
}

int blk_create(const char *filename, const char *fmt, const struct blk_create_opts *o, char *err)
{
    const struct blk_driver *drv = blk_find_driver(fmt);
    if (!drv)
        return blk_error(err, EINVAL, "Unknown file format '%s'", fmt);
    int e = 0;
    struct blk_file *f = blk_file_open_posix(filename, true, true, &e);
    if (!f && e == -EINVAL)
        return blk_error(err, e, "'file' driver requires '%s' to be a regular file", filename);
    if (!f)
        return blk_error(err, e, "%s: Could not create '%s': %s", filename, filename, strerror(-e));
    /* Lock, then empty: a file another process (or this one) has open is left alone (QEMU's raw_co_create). */
    int r = f->ops->lock ? f->ops->lock(f, BLK_PERM_WRITE | BLK_PERM_RESIZE, BLK_PERM_ALL & ~BLK_PERM_RESIZE,
                                        filename, err) : 0;
    if (r == 0 && (r = f->ops->truncate(f, 0)) < 0)
        blk_error(err, r, "Could not resize file: %s", strerror(-r));
    if (r < 0) {
        f->ops->close(f);
        return r;
    }
    struct blk_create_opts named = *o;
    named.filename = filename;
    if (o->preallocation) {
        bool known = false;
        for (const struct blk_opt_help *h = drv->create_help; h && h->name; h++)
            known |= !strcmp(h->name, "preallocation");
        if (!known) {
            f->ops->close(f);
            return blk_error(err, EINVAL, "Invalid parameter 'preallocation'");
        }
    }
    r = drv->create(f, &named, err);
    if (r == 0)
        r = f->ops->flush(f);
    f->ops->close(f);
    if (r == 0 && o->preallocation && drv != &blk_raw_driver)
        r = blk_preallocate(filename, fmt, o->preallocation, err);
    return r;
}

/*
 * QEMU's guard on an image whose format was probed as raw: a write into sector 0 must be the whole
 * sector (-EINVAL otherwise, as QEMU asks) and must still probe as raw (-EPERM otherwise), so a
 * guest cannot turn its raw disk into, say, a qcow2 header naming host files as its backing file.
 */
static int guard_sector0(const struct blk *bs, const struct blk_req *req)
{
    if (!bs->probed_raw || req->op != BLK_WRITE || req->offset >= 512 || !req->len)
        return 0;
    if (req->offset != 0 || req->len < 512)
        return -EINVAL;
    const struct blk_driver *drv;
    if (blk_probe_buf(req->buf, 512, bs->filename, &drv) || (drv && drv != &blk_raw_driver))
        return -EPERM;
    return 0;
}

int blk_submit(struct blk *bs, struct blk_req *req)
{
    int r;
    if (req->op != BLK_FLUSH && (req->offset > bs->size || req->len > bs->size - req->offset))
        r = -EINVAL;
    else if ((req->op == BLK_WRITE || req->op == BLK_DISCARD || req->op == BLK_WRITE_ZEROES) &&
             !(bs->flags & BLK_O_RDWR))
        r = -EROFS;
    else if ((r = guard_sector0(bs, req)) < 0)
        ;
    else switch (req->op) {
    case BLK_READ:    r = req->len ? bs->drv->read(bs, req->offset, req->buf, req->len) : 0; break;
    case BLK_WRITE:   r = req->len ? bs->drv->write(bs, req->offset, req->buf, req->len) : 0; break;
    case BLK_FLUSH:   r = bs->drv->flush(bs); break;
    case BLK_DISCARD: r = bs->drv->discard ? bs->drv->discard(bs, req->offset, req->len) : 0; break;
    case BLK_WRITE_ZEROES:
        if (bs->drv->write_zeroes) {
            r = bs->drv->write_zeroes(bs, req->offset, req->len);
        } else {
            static const uint8_t zeros[65536];
            r = 0;
            for (uint64_t o = 0; o < req->len && !r; o += sizeof(zeros)) {
                uint64_t n = req->len - o < sizeof(zeros) ? req->len - o : sizeof(zeros);
                r = bs->drv->write(bs, req->offset + o, zeros, n);
            }
        }
        break;
    default: r = -EINVAL;
    }
    req->ret = r;
    if (req->done)
        req->done(req);
    return r;
}

int blk_pread(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    struct blk_req rq = { .op = BLK_READ, .offset = off, .len = len, .buf = buf };
    return blk_submit(bs, &rq);
}

int blk_pwrite(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    struct blk_req rq = { .op = BLK_WRITE, .offset = off, .len = len, .buf = (void *)buf };
    return blk_submit(bs, &rq);
}

int blk_write_zeroes(struct blk *bs, uint64_t off, uint64_t len)
{
    struct blk_req rq = { .op = BLK_WRITE_ZEROES, .offset = off, .len = len };
    return blk_submit(bs, &rq);
}

int blk_flush(struct blk *bs)
{
    struct blk_req rq = { .op = BLK_FLUSH };
    return blk_submit(bs, &rq);
}

int blk_discard(struct blk *bs, uint64_t off, uint64_t len)
{
    struct blk_req rq = { .op = BLK_DISCARD, .offset = off, .len = len };
    return blk_submit(bs, &rq);
}

int blk_map_write(struct blk *bs, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum)
{
    *pnum = len;
    if (off > bs->size || len > bs->size - off)
        return -EINVAL;
    if (!(bs->flags & BLK_O_RDWR))
        return -EROFS;
    if (!len || !bs->drv->map_write || (bs->probed_raw && off < 512))
        return 0;                              /* the format's write (and sector 0's guard) */
    return bs->drv->map_write(bs, off, len, host, pnum);
}

int blk_file_pwrite(struct blk *bs, uint64_t host, const void *buf, size_t len)
{
    return bs->file->ops->pwrite(bs->file, buf, len, host);
}

int blk_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map)
{
    if (off >= bs->size) {
        *pnum = 0;
        return 0;
    }
    if (len > bs->size - off)
        len = bs->size - off;
    return bs->drv->block_status(bs, off, len, pnum, map);
}

int blk_chain_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, int *depth)
{
    int d = 0;
    for (struct blk *b = bs; b; b = b->backing, d++) {
        if (off >= b->size) {
            *pnum = len;
            break;
        }
        uint64_t map;
        int st = blk_block_status(b, off, len, pnum, &map);
        if (st < 0)
            return st;
        if (st & BLK_STATUS_ALLOCATED) {
            if (depth)
                *depth = d;
            return st;
        }
        len = *pnum;
    }
    if (depth)
        *depth = d;
    return BLK_STATUS_ZERO;
}

int blk_read_backing(struct blk *bs, uint64_t off, void *buf, size_t len)
{
    struct blk *b = bs->backing;
    if (!b || off >= b->size) {
        memset(buf, 0, len);
        return 0;
    }
    size_t n = len;
    if (n > b->size - off) {
        n = b->size - off;
        memset((uint8_t *)buf + n, 0, len - n);
    }
    return b->drv->read(b, off, buf, n);
}

const char *blk_strerror(struct blk *bs, int r, char *buf, size_t len)
{
    for (struct blk *b = bs; b; b = b->backing) {
        if (b->errmsg[0]) {
            snprintf(buf, len, "%s: %s", b->filename, b->errmsg);
            return buf;
        }
    }
    snprintf(buf, len, "%s: %s", bs->filename, strerror(r < 0 ? -r : r));
    return buf;
}
