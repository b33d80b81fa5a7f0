/* An in-memory blk_file for the libFuzzer targets (tests/img/fuzz-*.c): grows up to MAX_FILE. */
#ifndef VMON_TESTS_IMG_FUZZ_MEM_H
#define VMON_TESTS_IMG_FUZZ_MEM_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

#define MAX_FILE (64u << 20)

struct mem_file {
    struct blk_file base;
    uint8_t *data;
    size_t size;
};

static inline int mf_pread(struct blk_file *f, void *buf, size_t len, uint64_t off)
{
    struct mem_file *m = (struct mem_file *)f;
    memset(buf, 0, len);
    if (off < m->size)
        memcpy(buf, m->data + off, len < m->size - off ? len : m->size - off);
    return 0;
}

static inline int mf_pwrite(struct blk_file *f, const void *buf, size_t len, uint64_t off)
{
    struct mem_file *m = (struct mem_file *)f;
    if (off > MAX_FILE || len > MAX_FILE - off)
        return -ENOSPC;
    if (off + len > m->size) {
        uint8_t *d = realloc(m->data, off + len);
        if (!d)
            return -ENOMEM;
        memset(d + m->size, 0, off + len - m->size);
        m->data = d;
        m->size = off + len;
    }
    memcpy(m->data + off, buf, len);
    return 0;
}

static inline int mf_flush(struct blk_file *f) { (void)f; return 0; }
static inline int64_t mf_size(struct blk_file *f) { return (int64_t)((struct mem_file *)f)->size; }
static inline int mf_truncate(struct blk_file *f, uint64_t size)
{
    struct mem_file *m = (struct mem_file *)f;
    if (size > m->size)
        return mf_pwrite(f, "", 0, size) ? -ENOSPC : (mf_pwrite(f, "\0", 1, size - 1));
    m->size = size;
    return 0;
}
static inline void mf_close(struct blk_file *f)
{
    free(((struct mem_file *)f)->data);
    free(f);
}

static const struct blk_file_ops mf_ops = {
    .pread = mf_pread, .pwrite = mf_pwrite, .flush = mf_flush, .size = mf_size,
    .truncate = mf_truncate, .close = mf_close,
};

static inline struct blk *open_mem(const uint8_t *data, size_t size, const char *name, const char *fmt, int flags)
{
    struct mem_file *m = calloc(1, sizeof(*m));
    m->base.ops = &mf_ops;
    m->data = malloc(size ? size : 1);
    memcpy(m->data, data, size);
    m->size = size;
    char err[BLK_ERR_LEN];
    return blk_open_file(&m->base, name, fmt, flags | BLK_O_NO_BACKING, 0, err);
}

#endif
