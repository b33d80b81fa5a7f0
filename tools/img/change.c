/*
 * vmon img: subcommands that change an image: snapshot, resize, commit, rebase, amend, measure;
 * the format's part goes through its blk_driver hooks (block/block.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "tools/img/img.h"


/* -c, -a, -d; a format without snapshots answers as qemu-img does for raw. 0 or 1 (error printed). */
static int snapshot_change(struct blk *bs, int action, const char *name)
{
    const struct blk_driver *d = bs->drv;
    int (*fn)(struct blk *, const char *, char *) = action == 'c' ? d->snapshot_create
                                                   : action == 'a' ? d->snapshot_apply : d->snapshot_delete;
    const char *verb = action == 'c' ? "create" : action == 'a' ? "apply" : "delete";
    char err[BLK_ERR_LEN];
    if (!fn) {
        img_err("Could not %s snapshot '%s': %s", verb, name, action == 'c' ? "-95 (Operation not supported)"
                : action == 'a' ? "Block driver does not support snapshots" : "snapshot not found");
        return 1;
    }
    if (fn(bs, name, err) < 0) {
        img_err("%s", err);
        return 1;
    }
    return 0;
}

int img_snapshot(int argc, char **argv)
{
    const char *fmt = NULL, *name = NULL;
    int action = 0, share = 0;
    bool quiet = false;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    int c;
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":la:c:d:f:hqU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'l': case 'a': case 'c': case 'd':
            if (action) {
                img_err("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = c;
            name = optarg;
            break;
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'U': share = BLK_O_SHARE; break;
        case 'h': printf("usage: vmon img snapshot [-l | -a snap | -c snap | -d snap] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    (void)quiet;
    if (!img_one_file(argc))
        return 1;
    if (!action)
        action = 'l';
    struct blk *bs = img_open_arg(argv[optind], fmt, (action == 'l' ? share : BLK_O_RDWR | share) | BLK_O_NO_BACKING, image_opts);
    if (!bs)
        return 1;
    int ret = action == 'l' ? 0 : snapshot_change(bs, action, name);
    if (action == 'l')
        img_snapshot_list(bs);
    blk_close(bs);
    return ret;
}

int img_resize(int argc, char **argv)
{
    const char *fmt = NULL;
    bool shrink = false, quiet = false;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "shrink", no_argument, 0, 'S' },
                                        { "preallocation", required_argument, 0, 'P' }, { 0, 0, 0, 0 } };
    int c;
    /* A size like "-1G" looks like an option: take it out before getopt sees it. */
    const char *neg = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9') {
            neg = argv[i];
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
            argc--;
            break;
        }
    }
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hq", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'q': quiet = true; break;
        case 'S': shrink = true; break;
        case 'P':
            if (strcmp(optarg, "off")) {
                img_err("Preallocation mode '%s' is not supported", optarg);
                return 1;
            }
            break;
        case 'h': printf("usage: vmon img resize [-f fmt] [--shrink] filename [+|-]size\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (argc - optind != (neg ? 1 : 2)) {
        img_err("Expecting image file name and size");
        return 1;
    }
    const char *file = argv[optind], *sz = neg ? neg : argv[optind + 1];
    int sign = 0;
    if (*sz == '+' || *sz == '-')
        sign = *sz++ == '+' ? 1 : -1;
    uint64_t n;
    if (blk_parse_size(sz, &n) < 0) {
        img_err("Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
        img_err("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
        return 1;
    }
    struct blk *bs = img_open_arg(file, fmt, BLK_O_RDWR | BLK_O_NO_BACKING, image_opts);
    if (!bs)
        return 1;
    uint64_t size = sign > 0 ? bs->size + n : sign < 0 ? (n > bs->size ? 0 : bs->size - n) : n;
    int ret = 1;
    if (sign < 0 && n > bs->size) {
        img_err("New image size must be positive");
    } else if (size < bs->size && !shrink) {
        img_err("Use the --shrink option to perform a shrink operation.");
        img_err("warning: Shrinking an image will delete all data beyond the shrunken image's end. Before "
                "performing such an operation, make sure there is no important data there.");
    } else if (!bs->drv->truncate) {
        img_err("Image format driver does not support resize");
    } else {
        int r = bs->drv->truncate(bs, size);
        if (r < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("Error resizing image: %s", r == -ENOTSUP ? "Can't resize an image which has snapshots"
                                                              : blk_strerror(bs, r, e, sizeof(e)));
        } else {
            if (!quiet)
                printf("Image resized.\n");
            ret = 0;
        }
    }
    blk_close(bs);
    return ret;
}

/* Copies every range the top layer holds down into its backing file. */
int img_commit(int argc, char **argv)
{
    const char *fmt = NULL;
    bool keep = false, quiet = false, progress = false;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:ht:b:dpqr:", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'd': keep = true; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 't': case 'r': break;
        case 'b': img_err("-b is not supported: vmon img commit commits into the direct backing file"); return 1;
        case 'h': printf("usage: vmon img commit [-f fmt] [-d] [-p] [-q] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (quiet)
        progress = false;
    if (!img_one_file(argc))
        return 1;
    struct blk *top = img_open_arg(argv[optind], fmt, BLK_O_RDWR | BLK_O_NO_BACKING, image_opts);
    if (!top)
        return 1;
    int ret = 1;
    if (!top->backing_file) {
        img_err("Image does not have a backing file");
        blk_close(top);
        return 1;
    }
    char err[BLK_ERR_LEN];
    /* The backing file opens writable (its own chain read-only below it). */
    struct blk *base = blk_open(top->full_backing, top->backing_fmt, BLK_O_RDWR, err);
    if (!base) {
        img_err("%s", err);
        blk_close(top);
        return 1;
    }
    top->backing = base;
    uint8_t *buf = malloc(2u << 20);
    uint64_t end = top->size < base->size ? top->size : base->size;
    img_progress(progress, 0);
    for (uint64_t pos = 0; pos < end;) {
        uint64_t pnum, map;
        uint64_t n = end - pos < (2u << 20) ? end - pos : (2u << 20);
        int st = blk_block_status(top, pos, n, &pnum, &map);
        int r = st < 0 ? st : 0;
        if (r == 0 && (st & BLK_STATUS_ALLOCATED)) {
            if (st & BLK_STATUS_ZERO)
                r = blk_write_zeroes(base, pos, pnum);
            else if ((r = blk_pread(top, pos, buf, pnum)) == 0)
                r = blk_pwrite(base, pos, buf, pnum);
        }
        if (r < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("Block job failed: %s", blk_strerror(top, r, e, sizeof(e)));
            goto out;
        }
        pos += pnum;
        img_progress(progress, pos * 100.0 / end);
    }
    if (blk_flush(base) < 0) {
        img_err("%s: flush failed", base->filename);
        goto out;
    }
    /* Like qemu-img, empty the committed image unless -d (its data now lives below). */
    if (!keep && top->drv->make_empty && top->drv->make_empty(top) < 0) {
        img_err("%s: could not empty the image", top->filename);
        goto out;
    }
    if (progress)
        printf("\n");
    if (!quiet)
        printf("Image committed.\n");
    ret = 0;
out:
    free(buf);
    blk_close(top);
    return ret;
}

/* Changes the backing file; without -u, copies into the image whatever would read differently. */
int img_rebase(int argc, char **argv)
{
    const char *fmt = NULL, *nb = NULL, *nbfmt = NULL;
    bool unsafe = false, quiet = false, progress = false;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    int c;
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:F:b:upt:T:qU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'F': nbfmt = optarg; break;
        case 'b': nb = optarg; break;
        case 'u': unsafe = true; break;
        case 'p': progress = true; break;
        case 'q': quiet = true; break;
        case 't': case 'T': case 'U': break;
        case 'h': printf("usage: vmon img rebase [-f fmt] [-u] -b backing [-F backing_fmt] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (quiet)
        progress = false;
    if (!img_one_file(argc))
        return 1;
    if (!nb) {
        img_err("Must specify backing file (-b) or use unsafe mode (-u)");
        return 1;
    }
    const char *file = argv[optind];
    struct blk *bs = img_open_arg(file, fmt, BLK_O_RDWR | (unsafe ? BLK_O_NO_BACKING : 0), image_opts);
    if (!bs)
        return 1;
    int ret = 1;
    char err[BLK_ERR_LEN];
    struct blk *newb = NULL;
    uint8_t *a = NULL, *b = NULL;
    if (!bs->drv->change_backing_file) {
        img_err("Could not change the backing file to '%s': Operation not supported", nb);
        goto out;
    }
    char *full = *nb ? blk_path_join_dir(file, nb) : NULL;
    if (*nb && !nbfmt && !unsafe) {
        /* qemu-img probes the new backing file's format when -F is missing. */
        struct blk *probe = blk_open(full, NULL, BLK_O_NO_BACKING, err);
        if (probe) {
            nbfmt = probe->drv->name;
            nbfmt = !strcmp(nbfmt, "qcow2") ? "qcow2" : "raw";
            blk_close(probe);
        }
    }
    if (!unsafe && *nb) {
        newb = blk_open(full, nbfmt, 0, err);
        if (!newb) {
            img_err("Could not open new backing file '%s': %s", full, err);
            free(full);
            goto out;
        }
    }
    free(full);
    if (!unsafe) {
        /* Every range this image does not hold itself must read the same over the new backing file. */
        size_t chunk = bs->cluster_size > 65536 ? bs->cluster_size : 65536;
        a = malloc(chunk);
        b = malloc(chunk);
        img_progress(progress, 0);
        for (uint64_t pos = 0; pos < bs->size;) {
            uint64_t pnum, map, n = bs->size - pos < chunk ? bs->size - pos : chunk;
            int st = blk_block_status(bs, pos, n, &pnum, &map);
            int r = st < 0 ? st : 0;
            if (r == 0 && !(st & BLK_STATUS_ALLOCATED)) {
                r = blk_read_backing(bs, pos, a, pnum);
                if (r == 0 && newb && pos < newb->size) {
                    uint64_t m = newb->size - pos < pnum ? newb->size - pos : pnum;
                    r = blk_pread(newb, pos, b, m);
                    memset(b + m, 0, pnum - m);
                } else {
                    memset(b, 0, pnum);
                }
                if (r == 0 && memcmp(a, b, pnum))
                    r = blk_pwrite(bs, pos, a, pnum);
            }
            if (r < 0) {
                char e[BLK_ERR_LEN + 256];
                img_err("Error while rebasing: %s", blk_strerror(bs, r, e, sizeof(e)));
                goto out;
            }
            pos += pnum;
            img_progress(progress, pos * 100.0 / bs->size);
        }
        if (progress)
            printf("\n");
    }
    if (bs->drv->change_backing_file(bs, *nb ? nb : NULL, nbfmt) < 0) {
        img_err("Could not change the backing file to '%s': %s", nb, strerror(ENOSPC));
        goto out;
    }
    ret = 0;
out:
    free(a);
    free(b);
    blk_close(newb);
    blk_close(bs);
    return ret;
}

/* Only what can change in place: compat up/down (without zero clusters), lazy_refcounts, backing. */
int img_amend(int argc, char **argv)
{
    const char *fmt = NULL;
    char *opts = NULL;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "force", no_argument, 0, 'F' },
                                        { 0, 0, 0, 0 } };
    int c;
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:f:t:pq", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'o': opts = optarg; break;
        case 'f': fmt = optarg; break;
        case 't': case 'p': case 'q': case 'F': break;
        case 'h': printf("usage: vmon img amend [-f fmt] -o options filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (!opts) {
        img_err("Must specify options (-o)");
        return 1;
    }
    if (!img_one_file(argc))
        return 1;
    struct blk *bs = img_open_arg(argv[optind], fmt, BLK_O_RDWR | BLK_O_NO_BACKING, image_opts);
    if (!bs)
        return 1;
    int ret = 1;
    char err[BLK_ERR_LEN];
    if (!bs->drv->amend) {
        img_err("Format driver '%s' does not support option amendment", bs->drv->name);
    } else if (bs->drv->amend(bs, opts, err) < 0) {
        img_err("%s", err);
    } else {
        ret = 0;
    }
    blk_close(bs);
    return ret;
}

int img_measure(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    char *opts = NULL;
    uint64_t size = 0;
    bool have_size = false, json = false;
    int share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "size", required_argument, 0, 'S' },
                                        { "output", required_argument, 0, 'J' }, { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    int c;
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:O:o:l:U", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'o': opts = optarg; break;
        case 'S':
            if (blk_parse_size(optarg, &size) < 0) {
                img_err("Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
                img_err("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
                return 1;
            }
            have_size = true;
            break;
        case 'J': json = !strcmp(optarg, "json"); break;
        case 'U': share = BLK_O_SHARE; break;
        case 'l': break;
        case 'h': printf("usage: vmon img measure [--output=json] [-O fmt] [-o options] [--size N | [-f fmt] filename]\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (have_size == (optind < argc)) {
        img_err(have_size ? "--size N cannot be used together with a filename." : "Either --size N or one filename must be specified.");
        return 1;
    }
    const struct blk_driver *drv = blk_find_driver(out_fmt);
    if (!drv) {
        img_err("Unknown file format '%s'", out_fmt);
        return 1;
    }
    struct blk_create_opts o = { .size = size };
    if (img_parse_create_opts(drv, opts, &o))
        return 1;
    if (!drv->measure) {
        img_err("Format driver '%s' does not support size measurement", out_fmt);
        return 1;
    }
    struct blk *in = NULL;
    if (!have_size && !(in = img_open_arg(argv[optind], fmt, share, image_opts)))
        return 1;
    struct blk_measure m;
    char err[BLK_ERR_LEN];
    int r = drv->measure(&o, in, &m, err);
    blk_close(in);
    if (r < 0) {
        img_err("%s", err);
        return 1;
    }
    if (json) {
        printf("{\n");
        if (m.has_bitmaps)
            printf("    \"bitmaps\": %" PRIu64 ",\n", m.bitmaps);
        printf("    \"required\": %" PRIu64 ",\n    \"fully-allocated\": %" PRIu64 "\n}\n", m.required,
               m.fully_allocated);
    } else {
        printf("required size: %" PRIu64 "\nfully allocated size: %" PRIu64 "\n", m.required, m.fully_allocated);
        if (m.has_bitmaps)
            printf("bitmaps size: %" PRIu64 "\n", m.bitmaps);
    }
    return 0;
}
