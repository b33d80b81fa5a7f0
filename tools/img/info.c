/* vmon img info: the human and JSON descriptions, in qemu-img's layout and key order (QEMU qemu-img.c,
 * block/qapi.c bdrv_image_info_dump); the format's own part comes from its blk_driver. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"
#include "tools/img/img.h"

/* ---- info -------------------------------------------------------------------------------------- */

void img_json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void snap_clock(uint64_t ns, char *buf, size_t len)
{
    uint64_t ms = ns / 1000000, sec = ms / 1000;
    snprintf(buf, len, "%02u:%02u:%02u.%03u", (unsigned)(sec / 3600), (unsigned)(sec / 60 % 60),
             (unsigned)(sec % 60), (unsigned)(ms % 1000));
}

/* The driver's snapshot table; NULL with *n = 0 when it has none (or no memory to say). */
static struct blk_snapshot *snapshots(struct blk *bs, int *n)
{
    struct blk_snapshot *l = NULL;
    *n = bs->drv->snapshot_list ? bs->drv->snapshot_list(bs, &l) : 0;
    if (*n <= 0) {
        *n = 0;
        free(l);
        return NULL;
    }
    return l;
}

void img_snapshot_list(struct blk *bs)
{
    int n;
    struct blk_snapshot *l = snapshots(bs, &n);
    if (!n)
        return;
    printf("Snapshot list:\n");
    printf("%-9s %-16s %8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
    for (int i = 0; i < n; i++) {
        const struct blk_snapshot *sn = &l[i];
        char vm[32], date[32], clk[32], ic[32] = "";
        img_size_str(sn->vm_state_size, vm, sizeof(vm));
        time_t t = sn->date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        snap_clock(sn->vm_clock_nsec, clk, sizeof(clk));
        if (sn->icount != UINT64_MAX)
            snprintf(ic, sizeof(ic), "%" PRIu64, sn->icount);
        printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, vm, date, clk, ic);
    }
    free(l);
}

static void snapshots_json(struct blk *bs, const char *I)
{
    int n;
    struct blk_snapshot *l = snapshots(bs, &n);
    if (!n)
        return;
    printf("%s    \"snapshots\": [\n", I);
    for (int i = 0; i < n; i++) {
        const struct blk_snapshot *sn = &l[i];
        printf("%s        {\n", I);
        if (sn->icount != UINT64_MAX)
            printf("%s            \"icount\": %" PRIu64 ",\n", I, sn->icount);
        printf("%s            \"vm-clock-nsec\": %" PRIu64 ",\n", I, sn->vm_clock_nsec % (uint64_t)1000000000);
        printf("%s            \"name\": ", I);
        img_json_str(sn->name);
        printf(",\n%s            \"date-sec\": %u,\n", I, sn->date_sec);
        printf("%s            \"date-nsec\": %u,\n", I, sn->date_nsec);
        printf("%s            \"vm-clock-sec\": %" PRIu64 ",\n", I, sn->vm_clock_nsec / (uint64_t)1000000000);
        printf("%s            \"id\": ", I);
        img_json_str(sn->id);
        printf(",\n%s            \"vm-state-size\": %" PRIu64 "\n", I, sn->vm_state_size);
        printf("%s        }%s\n", I, i + 1 < n ? "," : "");
    }
    printf("%s    ],\n", I);
    free(l);
}

/* ---- the format-specific part: a flat item tree (block.h) as JSON or as qemu-img's human dump ---- */

static void item_scalar(const struct blk_info_item *it, bool json)
{
    if (it->type == BLK_INFO_STR && json)
        img_json_str(it->str);
    else if (it->type == BLK_INFO_STR)
        fputs(it->str, stdout);
    else if (it->type == BLK_INFO_BOOL)
        fputs(it->num ? "true" : "false", stdout);
    else
        printf("%" PRIu64, it->num);
}

static bool compound(const struct blk_info_item *it)
{
    return it->type == BLK_INFO_LIST || it->type == BLK_INFO_DICT;
}

/* Items [i, end) at depth d, pretty-printed as qemu-img's JSON writer does (4 spaces a level). */
static int spec_json(const struct blk_info_item *it, int i, int n, int d, const char *I, int ind)
{
    while (i < n && it[i].depth == d) {
        const struct blk_info_item *x = &it[i++];
        printf("%s%*s", I, ind, "");
        if (x->key)
            printf("\"%s\": ", x->key);
        if (compound(x)) {
            printf("%c\n", x->type == BLK_INFO_LIST ? '[' : '{');
            i = spec_json(it, i, n, d + 1, I, ind + 4);
            printf("%s%*s%c", I, ind, "", x->type == BLK_INFO_LIST ? ']' : '}');
        } else {
            item_scalar(x, true);
        }
        printf("%s\n", i < n && it[i].depth == d ? "," : "");
    }
    return i;
}

/* The same as QEMU's dump_qobject: "key: value", '-' in keys shown as ' ', list elements as [k]. */
static int spec_human(const struct blk_info_item *it, int i, int n, int d, int ind)
{
    for (int k = 0; i < n && it[i].depth == d; k++) {
        const struct blk_info_item *x = &it[i++];
        char label[64];
        if (x->key) {
            snprintf(label, sizeof(label), "%s", x->key);
            for (char *c = label; *c; c++)
                *c = *c == '-' ? ' ' : *c;
        } else {
            snprintf(label, sizeof(label), "[%d]", k);
        }
        printf("%*s%s:", ind, "", label);
        if (compound(x)) {
            printf("\n");
            i = spec_human(it, i, n, d + 1, ind + 4);
        } else {
            putchar(' ');
            item_scalar(x, false);
            putchar('\n');
        }
    }
    return i;
}

static void specific_info(struct blk *bs, bool json, const char *I)
{
    int n = 0;
    struct blk_info_item *it = bs->drv->get_specific_info ? bs->drv->get_specific_info(bs, &n) : NULL;
    if (n > 0 && json) {
        printf("%s    \"format-specific\": {\n%s        \"type\": \"%s\",\n%s        \"data\": {\n", I, I,
               bs->drv->name, I);
        spec_json(it, 0, n, 0, I, 12);
        printf("%s        }\n%s    },\n", I, I);
    } else if (n > 0) {
        printf("Format specific information:\n");
        spec_human(it, 0, n, 0, 4);
    }
    free(it);
}

static struct blk_info get_info(struct blk *bs)
{
    struct blk_info bi = { 0 };
    if (bs->drv->get_info)
        bs->drv->get_info(bs, &bi);
    return bi;
}

static void info_json(struct blk *bs, int64_t actual, const char *indent)
{
    struct blk_info bi = get_info(bs);
    const char *I = indent;
    printf("%s{\n", I);
    if (bs->backing_fmt && bs->backing_file)
        printf("%s    \"backing-filename-format\": \"%s\",\n", I, bs->backing_fmt);
    /* qemu-img prints its QDict in hash order: snapshots come early. */
    snapshots_json(bs, I);
    printf("%s    \"virtual-size\": %" PRIu64 ",\n%s    \"filename\": ", I, bs->size, I);
    img_json_str(bs->filename);
    printf(",\n");
    if (bi.cluster_size)
        printf("%s    \"cluster-size\": %u,\n", I, bi.cluster_size);
    printf("%s    \"format\": \"%s\",\n", I, bs->drv->name);
    if (actual >= 0)
        printf("%s    \"actual-size\": %" PRId64 ",\n", I, actual);
    specific_info(bs, true, I);
    if (bs->backing_file) {
        printf("%s    \"full-backing-filename\": ", I);
        img_json_str(bs->full_backing);
        printf(",\n%s    \"backing-filename\": ", I);
        img_json_str(bs->backing_file);
        printf(",\n");
    }
    printf("%s    \"dirty-flag\": %s\n%s}", I, bi.dirty ? "true" : "false", I);
}

static void info_human(struct blk *bs, int64_t actual)
{
    struct blk_info bi = get_info(bs);
    char sz[32];
    img_size_str(bs->size, sz, sizeof(sz));
    printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\n", bs->filename, bs->drv->name, sz,
           bs->size);
    if (actual >= 0) {
        img_size_str((uint64_t)actual, sz, sizeof(sz));
        printf("disk size: %s\n", sz);
    } else {
        printf("disk size: unavailable\n");
    }
    if (bi.cluster_size)
        printf("cluster_size: %u\n", bi.cluster_size);
    if (bs->backing_file) {
        if (strcmp(bs->backing_file, bs->full_backing))
            printf("backing file: %s (actual path: %s)\n", bs->backing_file, bs->full_backing);
        else
            printf("backing file: %s\n", bs->backing_file);
        if (bs->backing_fmt)
            printf("backing file format: %s\n", bs->backing_fmt);
    }
    img_snapshot_list(bs);
    specific_info(bs, false, "");
}

int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, chain = false;
    int share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
        { "output", required_argument, 0, 'O' }, { "backing-chain", no_argument, 0, 'C' },
        { "format", required_argument, 0, 'f' }, { "force-share", no_argument, 0, 'U' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    bool image_opts = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'O':
            if (!strcmp(optarg, "json"))
                json = true;
            else if (strcmp(optarg, "human")) {
                img_err("--output must be used with human or json as argument.");
                return 1;
            }
            break;
        case 'C': chain = true; break;
        case 'U': share = BLK_O_SHARE; break;
        case 'h': printf("usage: vmon img info [-f fmt] [--output=human|json] [--backing-chain] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (image_opts && (fmt)) {
        img_err("--image-opts and --format are mutually exclusive");
        return 1;
    }
    if (!img_one_file(argc))
        return 1;
    /* Like qemu-img, the chain is opened to validate it even when only the top is described. */
    struct blk *top = img_open_arg(argv[optind], fmt, share, image_opts);
    if (!top)
        return 1;
    if (json && chain)
        printf("[\n");
    for (struct blk *bs = top; bs; bs = chain ? bs->backing : NULL) {
        int64_t actual = bs->drv->allocated ? bs->drv->allocated(bs)
                         : bs->file->ops->allocated ? bs->file->ops->allocated(bs->file) : -1;
        if (json) {
            info_json(bs, actual, chain ? "    " : "");
            printf("%s\n", chain && bs->backing ? "," : "");
        } else {
            if (bs != top)
                printf("\n");
            info_human(bs, actual);
        }
    }
    if (json && chain)
        printf("]\n");
    blk_close(top);
    return 0;
}

