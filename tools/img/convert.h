/* vmon img convert: the copy engine (convert-run.c) that img_convert drives, as qemu-img's convert_do_copy. */
#ifndef VMON_TOOLS_IMG_CONVERT_H
#define VMON_TOOLS_IMG_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

#define CONVERT_CHUNK (2u << 20)
#define CONVERT_MAX_WORKERS 16        /* qemu-img's MAX_COROUTINES */

/* Several sources are concatenated into one stream, as qemu-img convert does. */
struct src_set {
    struct blk **bs;
    int n;
    uint64_t total;
};

struct conv_job {
    struct src_set *ss;           /* opened by the caller; workers past the first open their own handles */
    struct blk *dst;
    uint32_t chunk;               /* bytes a worker claims at a time (a multiple of the target's cluster) */
    uint32_t gran;                /* zero detection granule; 0: write every byte */
    bool compress;                /* -c: every cluster through write_compressed */
    bool must_zero;               /* -n: the target may hold data, zero ranges are written as zeros */
    bool in_order;                /* without -W: chunks reach the target in ascending order */
    int workers;                  /* -m, 1..CONVERT_MAX_WORKERS */
    bool progress;
};

/* Copies ss into dst with job->workers threads; 0, or -1 after printing qemu-img's message. */
int conv_run(const struct conv_job *job);

#endif
