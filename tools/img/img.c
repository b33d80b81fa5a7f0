/*
 * vmon img: qemu-img compatible image tool. This file: dispatch, shared helpers, create, check.
 * Output formats and exit codes follow qemu-img 7.2 so scripts written for it run unchanged.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"
#include "tools/cli.h"
#include "tools/img/img.h"
#include "tools/img/imgopts.h"

void img_err(const char *fmt, ...)
{
    va_list ap;
    fputs("vmon img: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* After option parsing: exactly one file name must remain (qemu-img's message otherwise). */
bool img_one_file(int argc)
{
    if (optind == argc - 1)
        return true;
    img_err("Expecting one image file name");
    return false;
}

/* Repeated -o options add up, as in qemu-img: "-o a=1 -o b=2" is "a=1,b=2". Exits on OOM. */
void img_opts_append(char **opts, const char *arg)
{
    char *n;
    if (*opts ? asprintf(&n, "%s,%s", *opts, arg) < 0 : !(n = strdup(arg))) {
        img_err("out of memory");
        exit(1);
    }
    free(*opts);
    *opts = n;
}

/* "-o" options for drv into o; 1 after printing qemu-img's message. */
int img_parse_create_opts(const struct blk_driver *drv, const char *opts, struct blk_create_opts *o)
{
    char err[BLK_ERR_LEN];
    if (blk_parse_create_opts(drv, opts, o, err) < 0) {
        img_err("%s", err);
        return 1;
    }
    return 0;
}

/* "-o help" (or "?") anywhere in opts: prints the format's options as qemu-img does, returns true. */
bool img_opts_help(const struct blk_driver *drv, const char *opts)
{
    bool help = false;
    char *dup = opts ? strdup(opts) : NULL, *save = NULL;
    for (char *kv = dup ? strtok_r(dup, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save))
        help |= !strcmp(kv, "help") || !strcmp(kv, "?");
    free(dup);
    if (!help)
        return false;
    printf("Supported options:\n");
    for (const struct blk_opt_help *h = drv->create_help; h && h->name; h++) {
        char name[64];
        snprintf(name, sizeof(name), "%s=<%s>", h->name, h->type);
        printf("  %-22s - %s\n", name, h->help);
    }
    return true;
}

/* QEMU's size_to_str: three significant digits and a binary suffix ("196 KiB", "1.32 MiB"). */
void img_size_str(uint64_t v, char *buf, size_t len)
{
    static const char *suffix[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    int e;
    frexp((double)v / (1000.0 / 1024.0), &e);
    int i = (e - 1) / 10;
    if (i < 0)
        i = 0;
    if (i > 6)
        i = 6;
    snprintf(buf, len, "%0.3g %sB", (double)v / (double)(1ull << (i * 10)), suffix[i]);
}

struct blk *img_open(const char *file, const char *fmt, int flags)
{
    char err[BLK_ERR_LEN];
    struct blk *bs = blk_open(file, fmt, flags, err);
    if (!bs)
        img_err("%s", err);
    return bs;
}

/* A file name, or with --image-opts an option string (tools/img/imgopts.c) naming format and file. */
struct blk *img_open_arg(const char *arg, const char *fmt, int flags, bool image_opts)
{
    if (!image_opts)
        return img_open(arg, fmt, flags);
    if (fmt) {
        img_err("--image-opts and --format are mutually exclusive");
        return NULL;
    }
    struct img_image_opts o;
    char err[BLK_ERR_LEN] = "";
    if (img_image_opts_parse(arg, &o, err, sizeof(err)) < 0) {
        img_err("Could not open '%s': %s", arg, err);
        return NULL;
    }
    struct blk *bs = NULL;
    if (o.read_only && (flags & BLK_O_RDWR))
        img_err("Could not open '%s': the image is opened read-only (read-only=on)", arg);
    else if (!(bs = blk_open(o.filename, o.driver, flags | (o.force_share ? BLK_O_SHARE : 0), err)))
        img_err("Could not open '%s': %s", arg, err);
    img_image_opts_free(&o);
    return bs;
}

void img_progress(bool on, double pct)
{
    if (!on)
        return;
    printf("    (%.2f/100%%)\r", pct);
    fflush(stdout);
}

/* ---- create ------------------------------------------------------------------------------------ */

static int img_create(int argc, char **argv)
{
    const char *fmt = "raw", *base = NULL, *base_fmt = NULL;
    char *opts = NULL;
    bool quiet = false, unsafe = false;
    int c;
    optind = 1;
    while ((c = getopt(argc, argv, ":F:b:f:ho:qu")) != -1) {
        switch (c) {
        case 'F': base_fmt = optarg; break;
        case 'b': base = optarg; break;
        case 'f': fmt = optarg; break;
        case 'o':
            img_opts_append(&opts, optarg);
            break;
        case 'q': quiet = true; break;
        case 'u': unsafe = true; break;
        case 'h':
            printf("usage: vmon img create [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] "
                   "filename [size]\n");
            return 0;
        default:
            img_err("Invalid option or missing argument '%s'", argv[optind - 1]);
            return 1;
        }
    }
    const struct blk_driver *drv = blk_find_driver(fmt);
    if (opts && drv && img_opts_help(drv, opts)) {
        free(opts);
        return 0;
    }
    if (optind >= argc) {
        img_err("Expecting image file name");
        return 1;
    }
    const char *file = argv[optind++];
    struct blk_create_opts o = { 0 };
    if (!drv) {
        img_err("Unknown file format '%s'", fmt);
        return 1;
    }
    if (img_parse_create_opts(drv, opts, &o))
        return 1;
    free(opts);
    if (base)
        o.backing_file = base;
    if (base_fmt)
        o.backing_fmt = base_fmt;
    bool have_size = false;
    if (optind < argc) {
        if (blk_parse_size(argv[optind], &o.size) < 0) {
            img_err("Invalid image size specified. You may use k, M, G, T, P or E suffixes for");
            img_err("kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes.");
            return 1;
        }
        have_size = true;
        optind++;
    }
    if (optind < argc) {
        img_err("Invalid parameter '%s'", argv[optind]);
        return 1;
    }
    if (o.backing_file) {
        char err[BLK_ERR_LEN];
        char *full = blk_path_join_dir(file, o.backing_file);
        if (!o.backing_fmt) {
            struct blk *b = blk_open(full, NULL, BLK_O_NO_BACKING, err);
            fprintf(stderr, "vmon img: %s: Backing file specified without backing format\n", file);
            if (b)
                fprintf(stderr, "Detected format of %s.", b->drv->name);
            blk_close(b);
            free(full);
            return 1;
        }
        if (!unsafe || !have_size) {
            struct blk *b = blk_open(full, o.backing_fmt, 0, err);
            if (!b) {
                img_err("%s: %s", file, err);
                free(full);
                return 1;
            }
            if (!have_size)
                o.size = b->size;
            blk_close(b);
        }
        free(full);
    } else if (!have_size) {
        img_err("%s: Image creation needs a size parameter", file);
        return 1;
    }
    if (!quiet) {
        char desc[1024];
        blk_create_describe(drv, &o, desc, sizeof(desc));
        printf("Formatting '%s', fmt=%s %s\n", file, fmt, desc);
        fflush(stdout);
    }
    char err[BLK_ERR_LEN];
    if (blk_create(file, fmt, &o, err) < 0) {
        img_err("%s: %s", file, err);
        return 1;
    }
    return 0;
}

/* ---- check ------------------------------------------------------------------------------------- */

static void check_report(void *opq, const char *line)
{
    (void)opq;
    size_t n = strlen(BLK_CHECK_MSG);
    if (!strncmp(line, BLK_CHECK_MSG, n))
        fprintf(stderr, "vmon img: %s", line + n);
    else
        fputs(line, stderr);
}

static int img_check(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, quiet = false;
    int fix = 0, share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
        { "output", required_argument, 0, 'O' }, { "repair", required_argument, 0, 'r' },
        { "format", required_argument, 0, 'f' }, { "force-share", no_argument, 0, 'U' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    bool image_opts = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hr:TqU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'O': json = !strcmp(optarg, "json"); break;
        case 'r':
            if (!strcmp(optarg, "leaks"))
                fix = BLK_FIX_LEAKS;
            else if (!strcmp(optarg, "all"))
                fix = BLK_FIX_LEAKS | BLK_FIX_ERRORS;
            else {
                img_err("Unknown option value for -r (expecting 'leaks' or 'all'): %s", optarg);
                return 1;
            }
            break;
        case 'q': quiet = true; break;
        case 'U': share = BLK_O_SHARE; break;
        case 'T': break;
        case 'h': printf("usage: vmon img check [-f fmt] [--output=human|json] [-r leaks|all] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (image_opts && (fmt)) {
        img_err("--image-opts and --format are mutually exclusive");
        return 1;
    }
    if (!img_one_file(argc))
        return 1;
    const char *file = argv[optind];
    /* The backing chain opens too: qemu-img check refuses an image whose backing file is missing. */
    struct blk *bs = img_open_arg(file, fmt, BLK_O_CHECK | share | (fix ? BLK_O_RDWR : 0), image_opts);
    if (!bs)
        return 1;
    if (!bs->drv->check) {
        img_err("This image format does not support checks");
        blk_close(bs);
        return 63;
    }
    struct blk_check r;
    int ret = bs->drv->check(bs, &r, fix, quiet ? NULL : check_report, NULL);
    if (ret < 0) {
        img_err("Check failed: %s", strerror(-ret));
        blk_close(bs);
        return 1;
    }
    if (json) {
        /* Key order as qemu-img prints its QDict. */
        /* As qemu-img: the end offset where the format knows one, cluster counts where it counts them. */
        bool counts = r.total_clusters && r.allocated_clusters;
        printf("{\n");
        if (r.image_end_offset > 0)
            printf("    \"image-end-offset\": %" PRId64 ",\n", r.image_end_offset);
        if (r.compressed_clusters)
            printf("    \"compressed-clusters\": %" PRId64 ",\n", r.compressed_clusters);
        if (r.total_clusters)
            printf("    \"total-clusters\": %" PRId64 ",\n", r.total_clusters);
        if (r.corruptions)
            printf("    \"corruptions\": %" PRId64 ",\n", r.corruptions);
        printf("    \"check-errors\": %" PRId64 ",\n", r.check_errors);
        if (r.leaks)
            printf("    \"leaks\": %" PRId64 ",\n", r.leaks);
        if (r.leaks_fixed)
            printf("    \"leaks-fixed\": %" PRId64 ",\n", r.leaks_fixed);
        if (r.corruptions_fixed)
            printf("    \"corruptions-fixed\": %" PRId64 ",\n", r.corruptions_fixed);
        if (counts)
            printf("    \"allocated-clusters\": %" PRId64 ",\n", r.allocated_clusters);
        printf("    \"filename\": ");
        img_json_str(file);
        printf(",\n    \"format\": \"%s\"", bs->drv->name);
        if (r.fragmented_clusters)
            printf(",\n    \"fragmented-clusters\": %" PRId64, r.fragmented_clusters);
        printf("\n}\n");
    } else if (!quiet) {
        if (r.leaks_fixed || r.corruptions_fixed)
            printf("The following inconsistencies were found and repaired:\n\n    %" PRId64 " leaked clusters\n"
                   "    %" PRId64 " corruptions\n\nDouble checking the fixed image now...\n",
                   r.leaks_fixed, r.corruptions_fixed);
        if (!r.corruptions && !r.leaks && !r.check_errors) {
            printf("No errors were found on the image.\n");
        } else {
            if (r.corruptions)
                printf("\n%" PRId64 " errors were found on the image.\nData may be corrupted, or further writes "
                       "to the image may corrupt it.\n", r.corruptions);
            if (r.leaks)
                printf("\n%" PRId64 " leaked clusters were found on the image.\nThis means waste of disk space, "
                       "but no harm to data.\n", r.leaks);
            if (r.check_errors)
                printf("\n%" PRId64 " internal errors have occurred during the check.\n", r.check_errors);
        }
        if (r.total_clusters && r.allocated_clusters)
            printf("%" PRId64 "/%" PRId64 " = %0.2f%% allocated, %0.2f%% fragmented, %0.2f%% compressed clusters\n",
                   r.allocated_clusters, r.total_clusters, r.allocated_clusters * 100.0 / r.total_clusters,
                   r.fragmented_clusters * 100.0 / r.allocated_clusters,
                   r.compressed_clusters * 100.0 / r.allocated_clusters);
        if (r.image_end_offset > 0)
            printf("Image end offset: %" PRId64 "\n", r.image_end_offset);
    }
    blk_close(bs);
    if (r.check_errors)
        return 1;
    if (r.corruptions)
        return 2;
    if (r.leaks)
        return 3;
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static const struct img_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
} img_cmds[] = {
    { "create", img_create, "create [-f fmt] [-b backing [-F backing_fmt]] [-o options] filename [size]" },
    { "info", img_info, "info [-f fmt] [--output=human|json] [--backing-chain] filename" },
    { "check", img_check, "check [-f fmt] [--output=human|json] [-r leaks|all] filename" },
    { "convert", img_convert, "convert [-f fmt] [-O fmt] [-c] [-p] [-o options] [-n] [-S size] src... dst" },
    { "compare", img_compare, "compare [-f fmt] [-F fmt] [-s] [-q] file1 file2" },
    { "map", img_map, "map [-f fmt] [--output=human|json] filename" },
    { "snapshot", img_snapshot, "snapshot [-l | -a snap | -c snap | -d snap] filename" },
    { "resize", img_resize, "resize [-f fmt] [--shrink] filename [+|-]size" },
    { "commit", img_commit, "commit [-f fmt] [-d] filename" },
    { "rebase", img_rebase, "rebase [-f fmt] [-u] -b backing [-F backing_fmt] filename" },
    { "amend", img_amend, "amend [-f fmt] -o options filename" },
    { "measure", img_measure, "measure [-O fmt] [-o options] [--size N | [-f fmt] filename]" },
    { "dd", img_dd, "dd [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] if=input of=output" },
    { "bitmap", img_bitmap, "bitmap (--merge SOURCE | --add | --remove | --clear | --enable | --disable)... "
                            "[-b source_file [-F source_fmt]] [-g granularity] [-f fmt] filename bitmap" },
    { "bench", img_bench, "bench [-f fmt] [-w] [-c count] [-s size] [-o offset] [-S step] filename" },
};

static void img_usage(FILE *f)
{
    fprintf(f, "usage: vmon img <command> [options]\n\ncommands (as qemu-img's):\n");
    for (size_t i = 0; i < sizeof(img_cmds) / sizeof(img_cmds[0]); i++)
        fprintf(f, "  %s\n", img_cmds[i].usage);
}

int img_main(int argc, char **argv)
{
    if (argc < 2) {
        img_err("Not enough arguments");
        img_err("Try 'vmon img --help' for more information");
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        img_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("vmon img version %s (qemu-img 7.2 compatible)\n", VMON_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(img_cmds) / sizeof(img_cmds[0]); i++)
        if (!strcmp(argv[1], img_cmds[i].name))
            return img_cmds[i].fn(argc - 1, argv + 1);
    img_err("Command not found: %s", argv[1]);
    return 1;
}
