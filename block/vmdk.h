/* VMDK driver state shared by vmdk.c (open, read), vmdk-desc.c (descriptor text), vmdk-sparse.c (hosted
 * sparse extents) and vmdk-stream.c (streamOptimized create and write). */
#ifndef VMON_BLOCK_VMDK_H
#define VMON_BLOCK_VMDK_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"

#define VMDK_GD_AT_END UINT64_MAX
#define VMDK_FLAG_NL_DETECT 0x1
#define VMDK_FLAG_ZERO_GRAIN 0x4
#define VMDK_FLAG_COMPRESS 0x10000
#define VMDK_FLAG_MARKER 0x20000
#define VMDK_MAX_EXTENTS 4096
#define VMDK_MAX_DESC (1u << 20)
#define VMDK_MAX_CACHED_GTS 1024      /* per extent, 16 MiB at most: then the cache starts over */
#define VMDK_MARKER_EOS 0
#define VMDK_MARKER_GT 1
#define VMDK_MARKER_GD 2
#define VMDK_MARKER_FOOTER 3

enum vmdk_ext_type { VMDK_EXT_FLAT, VMDK_EXT_SPARSE, VMDK_EXT_ZERO };

struct vmdk_extent {
    enum vmdk_ext_type type;
    struct blk_file *file;
    bool own_file;                 /* opened from the descriptor (else it is bs->file) */
    char *path;                    /* the file as opened from the descriptor (info's extent filename) */
    char kind[16];                 /* the descriptor's extent type ("FLAT", "SPARSE"...), "" in a monolithic file */
    uint64_t start, len;           /* bytes of the virtual disk it covers */
    uint64_t flat_off;             /* FLAT: where its data starts in the file */
    /* SPARSE (a hosted sparse extent, "KDMV"): */
    uint8_t header[512];           /* the header in force (the footer's copy for a stream) */
    uint64_t grain;                /* bytes */
    uint32_t gtes;                 /* entries per grain table */
    uint32_t gd_entries;
    uint32_t *gd;                  /* grain table sectors, host order */
    uint32_t **gt;                 /* loaded grain tables, NULL until read */
    bool compressed, markers, zero_grains;
    uint64_t file_size;
    uint32_t loaded_gts;           /* grain tables read from the file, at most VMDK_MAX_CACHED_GTS */
    bool writing;                  /* a stream is being written: its tables live in gt[] only */
    uint64_t cached_grain;         /* file offset of the grain in zbuf, UINT64_MAX: none */
    uint8_t *zbuf;                 /* struct vmdk's buffer while this extent owns it */
};

struct vmdk_stream;

struct vmdk {
    struct vmdk_extent *ext;
    int n;
    char create_type[64];
    uint32_t cid, parent_cid;      /* the descriptor's CID and parentCID (0xffffffff when missing) */
    char *parent_hint;
    struct vmdk_stream *stream;    /* set while a streamOptimized image is written */
    uint8_t *zbuf;                 /* one decompressed grain and its compressed input, shared by the */
    size_t zcap;                   /* extents (a descriptor may name thousands) */
    struct vmdk_extent *zowner;
};

/* Descriptor text: fills create_type, parent_hint and (when extents) the extents it names. */
int vmdk_parse_descriptor(struct blk *bs, struct vmdk *s, const char *text, bool extents, char *err);
/* qemu-img info's format-specific lines: cid, parent cid, create type and each extent. */
struct blk_info_item *vmdk_specific_info(struct blk *bs, int *n);
int64_t vmdk_allocated(struct blk *bs);
void vmdk_make_descriptor(char *buf, size_t len, const char *create_type, uint64_t sectors, const char *extent);

/* A hosted sparse extent over e->file whose first 512 bytes are hdr. */
int vmdk_sparse_open(struct blk *bs, struct vmdk_extent *e, const uint8_t *hdr, char *err);
/* Status and reads within one sparse extent, off relative to its start. */
int vmdk_sparse_status(struct blk *bs, struct vmdk_extent *e, uint64_t off, uint64_t len, uint64_t *pnum,
                       uint64_t *map);
int vmdk_sparse_read(struct blk *bs, struct vmdk_extent *e, uint64_t off, uint8_t *buf, uint64_t len);
/* Check: *bad = the first grain (index in the extent) of grain table i whose data starts at or past fsz,
 * UINT64_MAX if none; -errno if the table cannot be read. */
int vmdk_sparse_check_gt(struct blk *bs, struct vmdk_extent *e, uint32_t i, uint64_t fsz, uint64_t *bad);
int vmdk_load_gt(struct blk *bs, struct vmdk_extent *e, uint32_t i);
void vmdk_extent_free(struct vmdk_extent *e);

int vmdk_stream_create(struct blk_file *f, const struct blk_create_opts *o, char *err);
int vmdk_stream_write(struct blk *bs, const uint8_t *buf, uint64_t off, uint64_t len);
int vmdk_stream_flush(struct blk *bs);
void vmdk_stream_free(struct vmdk *s);

#endif
