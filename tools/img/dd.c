/*
 * vmon img dd: qemu-img dd's dd(1)-style copy (QEMU 7.2 qemu-img.c img_dd): bs=, count=, skip=, if=, of=;
 * the output is created (-O fmt, raw by default) with the size of the input from skip on, count blocks
 * at most, and the blocks are copied from offset skip * bs of the input to the start of the output.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img/img.h"

#define DD_CHUNK (1u << 20)

struct dd_args {
    const char *in, *out;
    uint64_t bs, count, skip;
    bool has_count;
};

/* One "key=value" operand; 0 or 1 with the error printed. */
static int dd_operand(struct dd_args *a, const char *arg)
{
    const char *v = strchr(arg, '=');
    if (!v) {
        img_err("unrecognized operand %s", arg);
        return 1;
    }
    size_t kl = (size_t)(v++ - arg);
    uint64_t n;
    if (kl == 2 && !strncmp(arg, "if", 2)) {
        a->in = v;
    } else if (kl == 2 && !strncmp(arg, "of", 2)) {
        a->out = v;
    } else if (kl == 2 && !strncmp(arg, "bs", 2)) {
        if (blk_parse_size(v, &n) < 0 || !n || n > (1u << 30)) {
            img_err("invalid number: '%s'", v);
            return 1;
        }
        a->bs = n;
    } else if ((kl == 5 && !strncmp(arg, "count", 5)) || (kl == 4 && !strncmp(arg, "skip", 4))) {
        if (blk_parse_size(v, &n) < 0) {
            img_err("invalid number: '%s'", v);
            return 1;
        }
        if (kl == 5)
            a->count = n, a->has_count = true;
        else
            a->skip = n;
    } else {
        img_err("unrecognized operand %s", arg);
        return 1;
    }
    return 0;
}

static int dd_copy(struct blk *in, struct blk *out, uint64_t from, uint64_t len)
{
    uint8_t *buf = malloc(DD_CHUNK);
    if (!buf)
        return -ENOMEM;
    int r = 0;
    for (uint64_t done = 0; r == 0 && done < len;) {
        uint64_t n = len - done < DD_CHUNK ? len - done : DD_CHUNK;
        r = blk_pread(in, from + done, buf, n);
        if (r < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("error while reading from input image file: %s", blk_strerror(in, r, e, sizeof(e)));
        } else if (!blk_is_zero(buf, n) && (r = blk_pwrite(out, done, buf, n)) < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("error while writing to output image file: %s", blk_strerror(out, r, e, sizeof(e)));
        }
        done += n;
    }
    free(buf);
    return r;
}

int img_dd(int argc, char **argv)
{
    const char *fmt = NULL, *out_fmt = "raw";
    int share = 0, c;
    struct dd_args a = { .bs = 512 };
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "force-share", no_argument, 0, 'U' },
                                        { 0, 0, 0, 0 } };
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:O:U", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'f': fmt = optarg; break;
        case 'O': out_fmt = optarg; break;
        case 'U': share = BLK_O_SHARE; break;
        case 'h': printf("usage: vmon img dd [-f fmt] [-O output_fmt] [bs=block_size] [count=blocks] [skip=blocks] "
                         "if=input of=output\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    for (int i = optind; i < argc; i++)
        if (dd_operand(&a, argv[i]))
            return 1;
    if (!a.in || !a.out) {
        img_err("Must specify both input and output files");
        return 1;
    }
    const struct blk_driver *drv = blk_find_driver(out_fmt);
    if (!drv) {
        img_err("Unknown file format '%s'", out_fmt);
        return 1;
    }
    struct blk *in = img_open_arg(a.in, fmt, share, image_opts);
    if (!in)
        return 1;
    uint64_t end = in->size, from = a.skip > UINT64_MAX / a.bs ? UINT64_MAX : a.skip * a.bs;
    if (a.has_count && a.count <= UINT64_MAX / a.bs && a.count * a.bs < end)
        end = a.count * a.bs;
    struct blk_create_opts o = { .size = from < end ? end - from : 0 };
    char err[BLK_ERR_LEN];
    int ret = 1;
    struct blk *out = NULL;
    if (blk_create(a.out, out_fmt, &o, err) < 0)
        img_err("%s: error while creating output image: %s", a.out, err);
    else if (from > in->size)
        img_err("%s: cannot skip to specified offset", a.in);
    else if ((out = img_open(a.out, out_fmt, BLK_O_RDWR)) != NULL)
        ret = dd_copy(in, out, from, o.size) < 0 || blk_flush(out) < 0;
    blk_close(out);
    blk_close(in);
    return ret;
}
