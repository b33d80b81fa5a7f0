/* vmon img info: the human and JSON descriptions, in qemu-img's layout and key order. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "block/qcow2.h"
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

void img_snapshot_list(struct qcow2 *s)
{
    printf("%-9s %-16s %8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT");
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        struct qcow2_snapshot *sn = &s->snaps[i];
        char vm[32], date[32], clk[32], ic[32] = "";
        img_size_str(sn->vm_state_size, vm, sizeof(vm));
        time_t t = sn->date_sec;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        snap_clock(sn->vm_clock_nsec, clk, sizeof(clk));
        if (sn->has_icount) {
            uint64_t icount = ((uint64_t)sn->icount_hi_lo[0] << 32) | sn->icount_hi_lo[1];
            if (icount != UINT64_MAX)
                snprintf(ic, sizeof(ic), "%" PRIu64, icount);
        }
        printf("%-9s %-16s %8s%20s%13s%11s\n", sn->id, sn->name, vm, date, clk, ic);
    }
}

/* Persistent bitmaps, as qemu-img lists them in the format-specific data (flags: in-use, auto). */
static void bitmaps_json(const struct qcow2 *s, const char *I)
{
    printf("%s            \"bitmaps\": [\n", I);
    for (uint32_t i = 0; i < s->nb_bitmaps; i++) {
        const struct qcow2_bitmap *bm = &s->bitmaps[i];
        printf("%s                {\n%s                    \"flags\": [\n", I, I);
        bool in_use = bm->flags & QCOW2_BME_IN_USE, aut = bm->flags & QCOW2_BME_AUTO;
        if (in_use)
            printf("%s                        \"in-use\"%s\n", I, aut ? "," : "");
        if (aut)
            printf("%s                        \"auto\"\n", I);
        printf("%s                    ],\n%s                    \"name\": ", I, I);
        img_json_str(bm->name);
        printf(",\n%s                    \"granularity\": %llu\n%s                }%s\n", I,
               1ull << bm->granularity_bits, I, i + 1 < s->nb_bitmaps ? "," : "");
    }
    printf("%s            ],\n", I);
}

static void bitmaps_human(const struct qcow2 *s)
{
    printf("    bitmaps:\n");
    for (uint32_t i = 0; i < s->nb_bitmaps; i++) {
        const struct qcow2_bitmap *bm = &s->bitmaps[i];
        int k = 0;
        printf("        [%u]:\n            flags:\n", i);
        if (bm->flags & QCOW2_BME_IN_USE)
            printf("                [%d]: in-use\n", k++);
        if (bm->flags & QCOW2_BME_AUTO)
            printf("                [%d]: auto\n", k++);
        printf("            name: %s\n            granularity: %llu\n", bm->name, 1ull << bm->granularity_bits);
    }
}

static void info_json(struct blk *bs, int64_t actual, const char *indent)
{
    struct qcow2 *s = bs->drv == &blk_qcow2_driver ? bs->opaque : NULL;
    const char *I = indent;
    printf("%s{\n", I);
    if (bs->backing_fmt && bs->backing_file)
        printf("%s    \"backing-filename-format\": \"%s\",\n", I, bs->backing_fmt);
    /* qemu-img prints its QDict in hash order: snapshots come early. */
    if (s && s->nb_snapshots) {
        printf("%s    \"snapshots\": [\n", I);
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            struct qcow2_snapshot *sn = &s->snaps[i];
            printf("%s        {\n", I);
            if (sn->has_icount) {
                uint64_t icount = ((uint64_t)sn->icount_hi_lo[0] << 32) | sn->icount_hi_lo[1];
                if (icount != UINT64_MAX)
                    printf("%s            \"icount\": %" PRIu64 ",\n", I, icount);
            }
            printf("%s            \"vm-clock-nsec\": %" PRIu64 ",\n", I, sn->vm_clock_nsec % (uint64_t)1000000000);
            printf("%s            \"name\": ", I);
            img_json_str(sn->name);
            printf(",\n%s            \"date-sec\": %u,\n", I, sn->date_sec);
            printf("%s            \"date-nsec\": %u,\n", I, sn->date_nsec);
            printf("%s            \"vm-clock-sec\": %" PRIu64 ",\n", I, sn->vm_clock_nsec / (uint64_t)1000000000);
            printf("%s            \"id\": ", I);
            img_json_str(sn->id);
            printf(",\n%s            \"vm-state-size\": %" PRIu64 "\n", I, sn->vm_state_size);
            printf("%s        }%s\n", I, i + 1 < s->nb_snapshots ? "," : "");
        }
        printf("%s    ],\n", I);
    }
    printf("%s    \"virtual-size\": %" PRIu64 ",\n%s    \"filename\": ", I, bs->size, I);
    img_json_str(bs->filename);
    printf(",\n");
    if (s)
        printf("%s    \"cluster-size\": %u,\n", I, s->cluster_size);
    printf("%s    \"format\": \"%s\",\n", I, bs->drv->name);
    if (actual >= 0)
        printf("%s    \"actual-size\": %" PRId64 ",\n", I, actual);
    if (s) {
        printf("%s    \"format-specific\": {\n%s        \"type\": \"qcow2\",\n%s        \"data\": {\n", I, I, I);
        printf("%s            \"compat\": \"%s\",\n", I, s->version >= 3 ? "1.1" : "0.10");
        printf("%s            \"compression-type\": \"%s\",\n", I, s->compression_type ? "zstd" : "zlib");
        if (s->version >= 3) {
            printf("%s            \"lazy-refcounts\": %s,\n", I,
                   s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS ? "true" : "false");
            if (s->nb_bitmaps)
                bitmaps_json(s, I);
            printf("%s            \"refcount-bits\": %u,\n", I, s->refcount_bits);
            printf("%s            \"corrupt\": %s,\n", I, s->incompat & QCOW2_INCOMPAT_CORRUPT ? "true" : "false");
            printf("%s            \"extended-l2\": %s\n", I, s->ext_l2 ? "true" : "false");
        } else {
            printf("%s            \"refcount-bits\": %u\n", I, s->refcount_bits);
        }
        printf("%s        }\n%s    },\n", I, I);
    }
    if (bs->backing_file) {
        printf("%s    \"full-backing-filename\": ", I);
        img_json_str(bs->full_backing);
        printf(",\n%s    \"backing-filename\": ", I);
        img_json_str(bs->backing_file);
        printf(",\n");
    }
    printf("%s    \"dirty-flag\": %s\n%s}", I, s && (s->incompat & QCOW2_INCOMPAT_DIRTY) ? "true" : "false", I);
}

static void info_human(struct blk *bs, int64_t actual)
{
    struct qcow2 *s = bs->drv == &blk_qcow2_driver ? bs->opaque : NULL;
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
    if (s)
        printf("cluster_size: %u\n", s->cluster_size);
    if (bs->backing_file) {
        if (strcmp(bs->backing_file, bs->full_backing))
            printf("backing file: %s (actual path: %s)\n", bs->backing_file, bs->full_backing);
        else
            printf("backing file: %s\n", bs->backing_file);
        if (bs->backing_fmt)
            printf("backing file format: %s\n", bs->backing_fmt);
    }
    if (s && s->nb_snapshots) {
        printf("Snapshot list:\n");
        img_snapshot_list(s);
    }
    if (s) {
        printf("Format specific information:\n    compat: %s\n    compression type: %s\n",
               s->version >= 3 ? "1.1" : "0.10", s->compression_type ? "zstd" : "zlib");
        if (s->version >= 3)
            printf("    lazy refcounts: %s\n", s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS ? "true" : "false");
        if (s->nb_bitmaps)
            bitmaps_human(s);
        printf("    refcount bits: %u\n", s->refcount_bits);
        if (s->version >= 3)
            printf("    corrupt: %s\n    extended l2: %s\n", s->incompat & QCOW2_INCOMPAT_CORRUPT ? "true" : "false",
                   s->ext_l2 ? "true" : "false");
    }
}

int img_info(int argc, char **argv)
{
    const char *fmt = NULL;
    bool json = false, chain = false;
    int share = 0;
    static const struct option lo[] = {
        { "output", required_argument, 0, 'O' }, { "backing-chain", no_argument, 0, 'C' },
        { "format", required_argument, 0, 'f' }, { "force-share", no_argument, 0, 'U' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hU", lo, NULL)) != -1) {
        switch (c) {
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
    if (!img_one_file(argc))
        return 1;
    /* Like qemu-img, the chain is opened to validate it even when only the top is described. */
    struct blk *top = img_open(argv[optind], fmt, share);
    if (!top)
        return 1;
    if (json && chain)
        printf("[\n");
    for (struct blk *bs = top; bs; bs = chain ? bs->backing : NULL) {
        int64_t actual = bs->file->ops->allocated ? bs->file->ops->allocated(bs->file) : -1;
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

