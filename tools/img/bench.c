/* vmon img bench: qemu-img bench's request loop over the block layer, for like-for-like timing. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/img/img.h"

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
    int flush_every = 0, share = 0;
    static const struct option lo[] = { { "image-opts", no_argument, 0, 'I' },
                                        { "help", no_argument, 0, 'h' }, { "flush-interval", required_argument, 0, 'F' },
                                        { "pattern", required_argument, 0, 'P' }, { "no-drain", no_argument, 0, 'D' },
                                        { "force-share", no_argument, 0, 'U' }, { 0, 0, 0, 0 } };
    int c;
    bool image_opts = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", lo, NULL)) != -1) {
        switch (c) {
        case 'I': image_opts = true; break;
        case 'c': count = strtoull(optarg, NULL, 0); break;
        case 'f': fmt = optarg; break;
        case 'o': if (blk_parse_size(optarg, &offset) < 0) { img_err("Invalid offset specified"); return 1; } break;
        case 's': if (blk_parse_size(optarg, &size) < 0 || !size) { img_err("Invalid buffer size specified"); return 1; } break;
        case 'S': if (blk_parse_size(optarg, &step) < 0) { img_err("Invalid step size specified"); return 1; } break;
        case 'w': write = true; break;
        case 'q': quiet = true; break;
        case 'F': flush_every = atoi(optarg); break;
        case 'd': case 'n': case 'i': case 't': case 'P': case 'D': break;
        case 'U': share = BLK_O_SHARE; break;
        case 'h': printf("usage: vmon img bench [-f fmt] [-w] [-c count] [-s size] [-o offset] [-S step] filename\n"); return 0;
        default: img_err("Invalid option or missing argument '%s'", argv[optind - 1]); return 1;
        }
    }
    if (!img_one_file(argc))
        return 1;
    if (!step)
        step = size;
    struct blk *bs = img_open_arg(argv[optind], fmt, write ? BLK_O_RDWR | share : share, image_opts);
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
            off = 0;        /* qemu-img 7.2 wraps modulo the image size; a request past the end restarts */
        int r = write ? blk_pwrite(bs, off, buf, size) : blk_pread(bs, off, buf, size);
        if (r < 0) {
            char e[BLK_ERR_LEN + 256];
            img_err("Failed request: %s", blk_strerror(bs, r, e, sizeof(e)));
            ret = 1;
            break;
        }
        if (write && flush_every && (i + 1) % (uint64_t)flush_every == 0)
            blk_flush(bs);
        off = bs->size ? (off + step) % bs->size : 0;
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
