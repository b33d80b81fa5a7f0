/* vmon img: subcommands that stream image contents: convert, compare, map, bench. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"
#include "tools/img/convert.h"
#include "tools/img/img.h"

/* --bitmaps: the source's persistent bitmaps into the target, as qemu-img convert --bitmaps. */
static int copy_bitmaps(struct src_set *ss, struct blk *dst)
{
    if (ss->n != 1) {
        img_err("Copying bitmaps only possible with single source");
        return -1;
    }
    if (!ss->bs[0]->drv->bitmaps_copy) {
        img_err("Source lacks bitmap support");
        return -1;
    }
    if (!dst->drv->bitmaps_copy) {
        img_err("Target lacks bitmap support");
        return -1;
    }
    char err[BLK_ERR_LEN] = "";
    if (dst->drv->bitmaps_copy(dst, ss->bs[0], err) < 0) {
        img_err("Failed to populate bitmaps: %s", err);
        return -1;
    }
    return 0;
}

int img_convert(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = NULL, *backing = NULL;
    char *opts = NULL;
    bool compress = false, progress = false, no_create = false, quiet = false, unsafe = true;
    uint64_t sparse = 4096;
    int share = 0;
    bool bitmaps = false, in_order = true;
    int workers = 8;
    bool image_opts = false, target_opts = false;
    static const struct option lo[] = { { "target-image-opts", no_argument, 0, 2 },
                                        { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { "target-is-zero", no_argument, 0, 'Z' }, { "image-opts", no_argument, 0, 'I' },
                                        { "bitmaps", no_argument, 0, 1 }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:O:B:Cco:l:S:pt:T:qnm:WrU", lo, NULL)) != -1) {
        switch (c) {
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'B': backing = optarg; break;
        case 'c': compress = true; break;
        case 'o':
            img_opts_append(&opts, optarg);
            break;
        case 'S':
            if (blk_parse_size(optarg, &sparse) < 0 || sparse % 512) {
                img_err("Invalid buffer size for sparse output specified. Valid sizes are multiples of 512.");
                return 1;
            }
            break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 'n': no_create = true; break;
        case 't': unsafe = !strcmp(optarg, "unsafe"); break;   /* like qemu-img, unsafe unless told */
        case 'U': share = BLK_O_SHARE; break;
        case 1: bitmaps = true; break;
        case 2: target_opts = true; break;
        case 'm': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > CONVERT_MAX_WORKERS) {
                img_err("Invalid number of coroutines. Allowed number of coroutines is between 1 and %d",
                        CONVERT_MAX_WORKERS);
                return 1;
            }
            workers = (int)v;
            break;
        }
        case 'W': in_order = false; break;
        case 'I': image_opts = true; break;
        case 'C': case 'l': case 'T': case 'r': case 'Z': break;
        case 'h': printf("usage: vmon img convert [-f fmt] [-O fmt] [-c] [-p] [-o options] [-n] [-S size] src... dst\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (quiet)
        progress = false;
    if (image_opts && fmt) {
        img_err("--image-opts and --format are mutually exclusive");
        return 1;
    }
    if (target_opts && !no_create) {
        img_err("--target-image-opts requires use of -n flag");
        return 1;
    }
    if (!out_fmt && !target_opts)
        out_fmt = "raw";
    if (opts && out_fmt && blk_find_driver(out_fmt) && img_opts_help(blk_find_driver(out_fmt), opts)) {
        free(opts);
        return 0;
    }
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
        ss.bs[i] = img_open_arg(argv[optind + i], fmt, share, image_opts);
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
        if (img_parse_create_opts(blk_find_driver(out_fmt), opts, &o))
            goto out;
        o.size = ss.total;
        char err[BLK_ERR_LEN];
        if (blk_create(dst_name, out_fmt, &o, err) < 0) {
            img_err("%s: error while converting %s: %s", dst_name, out_fmt, err);
            goto out;
        }
    }
    dst = img_open_arg(dst_name, out_fmt, BLK_O_RDWR | BLK_O_NO_BACKING | (unsafe ? BLK_O_NO_FLUSH : 0), target_opts);
    if (!dst)
        goto out;
    if (compress && !dst->drv->write_compressed) {
        img_err("Operation not supported for output format %s", dst->drv->name);
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
    /* A vmdk stream accepts its grains once, in order: -W cannot apply to it (qemu-img would fail). */
    struct conv_job job = { .ss = &ss, .dst = dst, .chunk = chunk, .gran = gran, .compress = compress,
                            .must_zero = no_create, .in_order = in_order || !strcmp(dst->drv->name, "vmdk"),
                            .workers = workers, .progress = progress };
    if (conv_run(&job) < 0)
        goto out;
    if (bitmaps && copy_bitmaps(&ss, dst) < 0)
        goto out;
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
    bool image_opts = false;
    int c, share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' }, { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:F:T:pqsU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': f1 = optarg; break;
        case 'F': f2 = optarg; break;
        case 's': strict = true; break;
        case 'q': quiet = true; break;
        case 'U': share = BLK_O_SHARE; break;
        case 'p': case 'T': break;
        case 'h': printf("usage: vmon img compare [-f fmt] [-F fmt] [-s] [-q] file1 file2\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 2;
        }
    }
    if (image_opts && (f1 || f2)) {
        img_err("--image-opts and --format are mutually exclusive");
        return 2;
    }
    if (argc - optind != 2) {
        img_err("Expecting two image file names");
        return 2;
    }
    struct blk *a = img_open_arg(argv[optind], f1, share, image_opts);
    struct blk *b = a ? img_open_arg(argv[optind + 1], f2 ? f2 : f1, share, image_opts) : NULL;
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
    int share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' }, { "output", required_argument, 0, 'O' }, { "help", no_argument, 0, 'h' },
                                        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    bool image_opts = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'O': json = !strcmp(optarg, "json"); break;
        case 'U': share = BLK_O_SHARE; break;
        case 'h': printf("usage: vmon img map [-f fmt] [--output=human|json] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (image_opts && (fmt)) {
        img_err("--image-opts and --format are mutually exclusive");
        return 1;
    }
    if (!img_one_file(argc))
        return 1;
    struct blk *top = img_open_arg(argv[optind], fmt, share, image_opts);
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

