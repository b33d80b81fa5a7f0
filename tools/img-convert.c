/* vmon img: subcommands that stream image contents: convert, compare, map, bench. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img.h"

#define CONVERT_CHUNK (2u << 20)

/* Several sources are concatenated into one stream, as qemu-img convert does. */
struct src_set {
    struct blk **bs;
    int n;
    uint64_t total;
};

static struct blk *src_at(struct src_set *ss, uint64_t *off)
{
    for (int i = 0; i < ss->n; i++) {
        if (*off < ss->bs[i]->size)
            return ss->bs[i];
        *off -= ss->bs[i]->size;
    }
    return NULL;
}

static int write_span(struct blk *dst, uint64_t off, const uint8_t *buf, uint64_t len, bool compress,
                      uint32_t gran, bool must_zero)
{
    /* Skip granules that are all zero (the target reads them as zero already), write the rest. */
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
            if ((gran && blk_is_zero(buf + j, g2)) != zero || compress)
                break;
            j += g2;
        }
        int r = 0;
        if (zero) {
            if (must_zero)
                r = blk_write_zeroes(dst, off + i, j - i);
        } else if (compress) {
            r = dst->drv->write_compressed(dst, off + i, buf + i, j - i);
        } else {
            r = blk_pwrite(dst, off + i, buf + i, j - i);
        }
        if (r < 0)
            return r;
        i = j;
    }
    return 0;
}

int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw", *backing = NULL;
    char *opts = NULL;
    bool compress = false, progress = false, no_create = false, quiet = false;
    uint64_t sparse = 4096;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { "target-is-zero", no_argument, 0, 'Z' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:O:B:Cco:l:S:pt:T:qnm:WrU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'B': backing = optarg; break;
        case 'c': compress = true; break;
        case 'o':
            if (opts) {
                char *n = malloc(strlen(opts) + strlen(optarg) + 2);
                sprintf(n, "%s,%s", opts, optarg);
                free(opts);
                opts = n;
            } else {
                opts = strdup(optarg);
            }
            break;
        case 'S':
            if (img_parse_size(optarg, &sparse) < 0 || sparse % 512) {
                img_err("Invalid buffer size for sparse output specified. Valid sizes are multiples of 512.");
                return 1;
            }
            break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 'n': no_create = true; break;
        case 'C': case 'l': case 't': case 'T': case 'm': case 'W': case 'r': case 'U': case 'Z': break;
        case 'h': printf("usage: vmon img convert [-f fmt] [-O fmt] [-c] [-p] [-o options] [-n] [-S size] src... dst\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (quiet)
        progress = false;
    if (argc - optind < 2) {
        img_err("Expecting image file name");
        return 1;
    }
    if (backing) {
        img_err("-B is not supported by vmon img convert; create the target with a backing file and use -n");
        return 1;
    }
    const char *dst_name = argv[argc - 1];
    struct src_set ss = { .n = argc - optind - 1 };
    ss.bs = calloc((size_t)ss.n, sizeof(*ss.bs));
    int ret = 1;
    struct blk *dst = NULL;
    for (int i = 0; i < ss.n; i++) {
        ss.bs[i] = img_open(argv[optind + i], fmt, 0);
        if (!ss.bs[i])
            goto out;
        ss.total += ss.bs[i]->size;
    }
    if (!no_create) {
        struct blk_create_opts o = { 0 };
        if (!blk_find_driver(out_fmt)) {
            img_err("Unknown file format '%s'", out_fmt);
            goto out;
        }
        if (img_parse_create_opts(out_fmt, opts, &o))
            goto out;
        o.size = ss.total;
        char err[BLK_ERR_LEN];
        if (blk_create(dst_name, out_fmt, &o, err) < 0) {
            img_err("%s: error while converting %s: %s", dst_name, out_fmt, err);
            goto out;
        }
    }
    dst = img_open(dst_name, no_create ? out_fmt : out_fmt, BLK_O_RDWR | BLK_O_NO_BACKING);
    if (!dst)
        goto out;
    if (compress && !dst->drv->write_compressed) {
        img_err("Operation not supported for output format %s", out_fmt);
        goto out;
    }
    if (no_create && dst->size < ss.total) {
        img_err("output file is smaller than input file");
        goto out;
    }
    uint32_t gran = dst->cluster_size ? dst->cluster_size : (uint32_t)sparse;
    if (!sparse && !compress)
        gran = 0;
    uint32_t chunk = CONVERT_CHUNK;
    if (dst->cluster_size > chunk)
        chunk = dst->cluster_size;
    uint8_t *buf = malloc(chunk);
    if (!buf)
        goto out;
    img_progress(progress, 0);
    for (uint64_t pos = 0; pos < ss.total;) {
        uint64_t soff = pos;
        struct blk *src = src_at(&ss, &soff);
        uint64_t n = chunk - (pos % chunk);
        if (n > src->size - soff)
            n = src->size - soff;
        uint64_t pnum = n;
        int st = compress ? 0 : img_chain_status(src, soff, n, &pnum, NULL);
        if (st < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("error while reading block status at offset %" PRIu64 ": %s", pos,
                    blk_strerror(src, st, e, sizeof(e)));
            free(buf);
            goto out;
        }
        if (pnum == 0)
            pnum = n;
        int r = 0;
        if (st & BLK_STATUS_ZERO) {
            if (no_create)
                r = blk_write_zeroes(dst, pos, pnum);
        } else {
            r = blk_pread(src, soff, buf, pnum);
            if (r < 0) {
                char e[BLK_ERR_LEN + 256];
                img_err("error while reading at byte %" PRIu64 ": %s", pos, blk_strerror(src, r, e, sizeof(e)));
                free(buf);
                goto out;
            }
            r = write_span(dst, pos, buf, pnum, compress, gran, no_create);
        }
        if (r < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("error while writing at byte %" PRIu64 ": %s", pos, blk_strerror(dst, r, e, sizeof(e)));
            free(buf);
            goto out;
        }
        pos += pnum;
        img_progress(progress, pos * 100.0 / ss.total);
    }
    free(buf);
    if (blk_flush(dst) < 0) {
        img_err("%s: error while flushing", dst_name);
        goto out;
    }
    img_progress(progress, 100);
    if (progress)
        printf("\n");
    ret = 0;
out:
    blk_close(dst);
    for (int i = 0; i < ss.n; i++)
        blk_close(ss.bs[i]);
    free(ss.bs);
    free(opts);
    return ret;
}

/* ---- compare ----------------------------------------------------------------------------------- */

int img_compare(int argc, char **argv)
{
    const char *f1 = NULL, *f2 = NULL;
    bool strict = false, quiet = false;
    int c;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': f1 = optarg; break;
        case 'F': f2 = optarg; break;
        case 's': strict = true; break;
        case 'q': quiet = true; break;
        case 'p': case 'T': case 'U': break;
        case 'h': printf("usage: vmon img compare [-f fmt] [-F fmt] [-s] [-q] file1 file2\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 2;
        }
    }
    if (argc - optind != 2) {
        img_err("Expecting two image file names");
        return 2;
    }
    struct blk *a = img_open(argv[optind], f1, 0);
    struct blk *b = a ? img_open(argv[optind + 1], f2 ? f2 : f1, 0) : NULL;
    int ret = 2;
    uint8_t *ba = malloc(CONVERT_CHUNK), *bb = malloc(CONVERT_CHUNK);
    if (!a || !b || !ba || !bb)
        goto out;
    uint64_t common = a->size < b->size ? a->size : b->size;
    if (strict && a->size != b->size) {
        if (!quiet)
            printf("Strict mode: Image size mismatch!\n");
        ret = 1;
        goto out;
    }
    for (uint64_t pos = 0; pos < common; pos += CONVERT_CHUNK) {
        size_t n = common - pos < CONVERT_CHUNK ? common - pos : CONVERT_CHUNK;
        int r1 = blk_pread(a, pos, ba, n), r2 = r1 < 0 ? 0 : blk_pread(b, pos, bb, n);
        if (r1 < 0 || r2 < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("Error while reading offset %" PRIu64 ": %s", pos,
                    r1 < 0 ? blk_strerror(a, r1, e, sizeof(e)) : blk_strerror(b, r2, e, sizeof(e)));
            goto out;
        }
        if (memcmp(ba, bb, n)) {
            size_t i = 0;
            while (ba[i] == bb[i])
                i++;
            if (!quiet)
                printf("Content mismatch at offset %" PRIu64 "!\n", (pos + i) / 512 * 512);
            ret = 1;
            goto out;
        }
    }
    if (a->size != b->size) {
        if (strict) {
            if (!quiet)
                printf("Strict mode: Image size mismatch!\n");
            ret = 1;
            goto out;
        }
        if (!quiet)
            printf("Warning: Image size mismatch!\n");
        struct blk *big = a->size > b->size ? a : b;
        for (uint64_t pos = common; pos < big->size; pos += CONVERT_CHUNK) {
            size_t n = big->size - pos < CONVERT_CHUNK ? big->size - pos : CONVERT_CHUNK;
            int r1 = blk_pread(big, pos, ba, n);
            if (r1 < 0) {
                char e[BLK_ERR_LEN + 256];
                img_err("Error while reading offset %" PRIu64 ": %s", pos, blk_strerror(big, r1, e, sizeof(e)));
                goto out;
            }
            if (!blk_is_zero(ba, n)) {
                size_t i = 0;
                while (!ba[i])
                    i++;
                if (!quiet)
                    printf("Content mismatch at offset %" PRIu64 "!\n", (pos + i) / 512 * 512);
                ret = 1;
                goto out;
            }
        }
    }
    if (!quiet)
        printf("Images are identical.\n");
    ret = 0;
out:
    free(ba);
    free(bb);
    blk_close(a);
    blk_close(b);
    return ret;
}

/* ---- map --------------------------------------------------------------------------------------- */

struct map_ent {
    uint64_t start, len, offset;
    int depth;
    bool present, zero, data, has_offset;
    struct blk *layer;
};

static void map_print(const struct map_ent *e, bool json, bool first)
{
    if (json) {
        printf("%s{ \"start\": %" PRIu64 ", \"length\": %" PRIu64 ", \"depth\": %d, \"present\": %s, "
               "\"zero\": %s, \"data\": %s", first ? "[" : ",\n", e->start, e->len, e->depth,
               e->present ? "true" : "false", e->zero ? "true" : "false", e->data ? "true" : "false");
        if (e->has_offset)
            printf(", \"offset\": %" PRIu64, e->offset);
        printf("}");
    } else if (e->has_offset && e->data) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n", e->start, e->len, e->offset,
               e->layer->filename);
    }
}

int img_map(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false;
    static const struct option lo[] = { { "output", required_argument, 0, 'O' }, { "help", no_argument, 0, 'h' },
                                        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': json = !strcmp(optarg, "json"); break;
        case 'U': break;
        case 'h': printf("usage: vmon img map [-f fmt] [--output=human|json] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 1) {
        img_err("Expecting one image file name");
        return 1;
    }
    struct blk *top = img_open(argv[optind], fmt, 0);
    if (!top)
        return 1;
    if (!json)
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to", "File");
    struct map_ent cur = { 0 };
    bool have = false, first = true;
    int ret = 0;
    for (uint64_t pos = 0; pos < top->size;) {
        /* Walk down the chain to the layer that decides this range. */
        struct map_ent e = { .start = pos };
        uint64_t len = top->size - pos;
        int depth = 0, st = 0;
        struct blk *b = top;
        for (;; b = b->backing, depth++) {
            uint64_t pnum, map = 0;
            if (pos >= b->size) {
                st = BLK_STATUS_ZERO;
                break;
            }
            st = blk_block_status(b, pos, len, &pnum, &map);
            if (st < 0) {
                char e[BLK_ERR_LEN + 256];
                img_err("error while mapping: %s", blk_strerror(b, st, e, sizeof(e)));
                ret = 1;
                goto out;
            }
            len = pnum;
            if ((st & BLK_STATUS_ALLOCATED) || !b->backing) {
                e.offset = map;
                break;
            }
        }
        e.len = len;
        e.depth = depth;
        e.layer = b;
        e.present = (st & BLK_STATUS_ALLOCATED) != 0;
        e.zero = (st & BLK_STATUS_ZERO) || !(st & BLK_STATUS_ALLOCATED);
        e.data = (st & BLK_STATUS_DATA) != 0;
        e.has_offset = (st & BLK_STATUS_OFFSET) != 0;
        if (!json && (st & BLK_STATUS_COMPRESSED)) {
            img_err("File contains external, encrypted or compressed clusters.");
            ret = 1;
            goto out;
        }
        if (have && cur.depth == e.depth && cur.present == e.present && cur.zero == e.zero &&
            cur.data == e.data && cur.has_offset == e.has_offset && cur.layer == e.layer &&
            (!e.has_offset || cur.offset + cur.len == e.offset)) {
            cur.len += e.len;
        } else {
            if (have) {
                map_print(&cur, json, first);
                first = false;
            }
            cur = e;
            have = true;
        }
        pos += len;
    }
    if (have)
        map_print(&cur, json, first);
    if (json)
        printf("%s]\n", have ? "" : "[");
out:
    blk_close(top);
    return ret;
}

/* ---- bench ------------------------------------------------------------------------------------- */

/*
 * As qemu-img bench: count requests of size bytes, starting at offset and moving by step (wrapping
 * at the end of the image), reads unless -w; one request at a time (depth 1) through the block layer.
 */
int img_bench(int argc, char **argv)
{
    const char *fmt = NULL;
    bool write = false, quiet = false;
    uint64_t count = 75000, size = 4096, offset = 0, step = 0;
    int flush_every = 0;
    static const struct option lo[] = { { "help", no_argument, 0, 'h' }, { "flush-interval", required_argument, 0, 'F' },
                                        { "pattern", required_argument, 0, 'P' }, { "no-drain", no_argument, 0, 'D' },
                                        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", lo, NULL)) != -1) {
        switch (c) {
        case 'c': count = strtoull(optarg, NULL, 0); break;
        case 'f': fmt = optarg; break;
        case 'o': if (img_parse_size(optarg, &offset) < 0) { img_err("Invalid offset specified"); return 1; } break;
        case 's': if (img_parse_size(optarg, &size) < 0 || !size) { img_err("Invalid buffer size specified"); return 1; } break;
        case 'S': if (img_parse_size(optarg, &step) < 0) { img_err("Invalid step size specified"); return 1; } break;
        case 'w': write = true; break;
        case 'q': quiet = true; break;
        case 'F': flush_every = atoi(optarg); break;
        case 'd': case 'n': case 'i': case 't': case 'P': case 'D': case 'U': break;
        case 'h': printf("usage: vmon img bench [-f fmt] [-w] [-c count] [-s size] [-o offset] [-S step] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (optind != argc - 1) {
        img_err("Expecting one image file name");
        return 1;
    }
    if (!step)
        step = size;
    struct blk *bs = img_open(argv[optind], fmt, write ? BLK_O_RDWR : 0);
    if (!bs)
        return 1;
    uint8_t *buf = aligned_alloc(4096, (size + 4095) & ~(uint64_t)4095);
    memset(buf, write ? 0xa5 : 0, size);
    if (!quiet)
        printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, 1 in parallel (starting at offset %" PRIu64
               ", step size %" PRIu64 ")\n", count, write ? "write" : "read", size, offset, step);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t off = offset;
    int ret = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (off + size > bs->size)
            off = 0;
        int r = write ? blk_pwrite(bs, off, buf, size) : blk_pread(bs, off, buf, size);
        if (r < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("Failed request: %s", blk_strerror(bs, r, e, sizeof(e)));
            ret = 1;
            break;
        }
        if (write && flush_every && (i + 1) % (uint64_t)flush_every == 0)
            blk_flush(bs);
        off += step;
    }
    if (write)
        blk_flush(bs);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!quiet && !ret)
        printf("Run completed in %.3f seconds.\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    free(buf);
    blk_close(bs);
    return ret;
}
