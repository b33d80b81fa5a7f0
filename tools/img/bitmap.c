/* vmon img bitmap: qemu-img bitmap's actions on an image's persistent dirty bitmaps, applied in order. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "tools/img/img.h"

#define MAX_ACTIONS 64

int img_bitmap(int argc, char **argv)
{
    const char *fmt = NULL, *src_file = NULL, *src_fmt = NULL;
    uint64_t gran = 0;
    struct blk_bitmap_op ops[MAX_ACTIONS];
    int nops = 0, c;
    static const struct option lo[] = {
        { "image-opts", no_argument, 0, 'I' },
        { "help", no_argument, 0, 'h' }, { "add", no_argument, 0, 'a' }, { "remove", no_argument, 0, 'r' },
        { "clear", no_argument, 0, 'c' }, { "enable", no_argument, 0, 'e' }, { "disable", no_argument, 0, 'd' },
        { "merge", required_argument, 0, 'm' }, { "granularity", required_argument, 0, 'g' },
        { "source-file", required_argument, 0, 'b' }, { "source-format", required_argument, 0, 'F' },
        { 0, 0, 0, 0 } };
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":b:f:F:g:hq", lo, NULL)) != -1) {
        enum blk_bitmap_action a;
        switch (c) {
        case 'I': image_opts = true; break;
        case 'a': a = BLK_BITMAP_ADD; goto action;
        case 'r': a = BLK_BITMAP_REMOVE; goto action;
        case 'c': a = BLK_BITMAP_CLEAR; goto action;
        case 'e': a = BLK_BITMAP_ENABLE; goto action;
        case 'd': a = BLK_BITMAP_DISABLE; goto action;
        case 'm': a = BLK_BITMAP_MERGE;
        action:
            if (nops == MAX_ACTIONS) {
                img_err("Too many actions");
                return 1;
            }
            ops[nops++] = (struct blk_bitmap_op){ .action = a, .src_name = c == 'm' ? optarg : NULL };
            break;
        case 'g':
            if (blk_parse_size(optarg, &gran) < 0 || !gran) {
                img_err("Invalid granularity specified");
                return 1;
            }
            break;
        case 'b': src_file = optarg; break;
        case 'F': src_fmt = optarg; break;
        case 'f': fmt = optarg; break;
        case 'q': break;
        case 'h':
            printf("usage: vmon img bitmap (--merge SOURCE | --add | --remove | --clear | --enable | --disable)... "
                   "[-b source_file [-F source_fmt]] [-g granularity] [-f fmt] filename bitmap\n");
            return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (!nops) {
        img_err("Need at least one of --add, --remove, --clear, --enable, --disable, or --merge");
        return 1;
    }
    if (gran) {
        bool add = false;
        for (int i = 0; i < nops; i++)
            add |= ops[i].action == BLK_BITMAP_ADD;
        if (!add) {
            img_err("granularity only supported with --add");
            return 1;
        }
    }
    if (src_fmt && !src_file) {
        img_err("-F only supported with -b");
        return 1;
    }
    if (argc - optind != 2) {
        img_err("Expecting filename and bitmap name");
        return 1;
    }
    const char *file = argv[optind], *name = argv[optind + 1];
    struct blk *bs = img_open_arg(file, fmt, BLK_O_RDWR | BLK_O_NO_BACKING, image_opts);
    if (!bs)
        return 1;
    struct blk *src = NULL;
    int ret = 0;
    for (int i = 0; i < nops && !ret; i++) {
        ops[i].name = name;
        ops[i].granularity = gran;
        ops[i].src = bs;
        if (ops[i].action == BLK_BITMAP_MERGE && src_file) {
            if (!src && !(src = img_open(src_file, src_fmt, BLK_O_SHARE | BLK_O_NO_BACKING)))
                ret = 1;
            ops[i].src = src;
        }
        char err[BLK_ERR_LEN] = "";
        if (!ret && !bs->drv->bitmap_change) {
            img_err("Operation not supported for format %s", bs->drv->name);
            ret = 1;
        } else if (!ret && bs->drv->bitmap_change(bs, &ops[i], err) < 0) {
            img_err("%s", err);
            ret = 1;
        }
    }
    blk_close(src);
    blk_close(bs);
    return ret;
}
