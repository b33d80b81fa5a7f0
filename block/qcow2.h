/* qcow2 format state and internal interfaces (QEMU docs/interop/qcow2.txt). */
#ifndef VMON_BLOCK_QCOW2_H
#define VMON_BLOCK_QCOW2_H

#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "util/bytes.h"

#define QCOW2_MAGIC 0x514649fbu            /* "QFI\xfb" */

/* Incompatible feature bits (header byte 72). */
#define QCOW2_INCOMPAT_DIRTY       (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN       0x1full
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS     (1ull << 0)
#define QCOW2_BME_IN_USE            (1u << 0)     /* bitmap directory entry flags */
#define QCOW2_BME_AUTO              (1u << 1)

/* Header extension types. */
#define QCOW2_EXT_END           0x00000000u
#define QCOW2_EXT_BACKING_FMT   0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_BITMAPS       0x23852875u
#define QCOW2_EXT_CRYPTO        0x0537be77u
#define QCOW2_EXT_DATA_FILE     0x44415441u

/* L1/L2 entry bits ("Cluster mapping"). */
#define QCOW2_OFLAG_COPIED     (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO       (1ull << 0)
#define QCOW2_OFFSET_MASK      0x00fffffffffffe00ull   /* bits 9-55 */
#define QCOW2_L1E_RESERVED     0x7f000000000001ffull
#define QCOW2_L2E_RESERVED     0x3f000000000001feull

#define QCOW2_SUBCLUSTERS      32                     /* per cluster with extended L2 entries */
#define QCOW2_MAX_L1_BYTES     (32u << 20)            /* QEMU's limits, kept for interoperability */
#define QCOW2_MAX_RT_BYTES     (8u << 20)
#define QCOW2_MAX_SNAPSHOTS    65536

enum qcow2_ctype { QCOW2_CT_UNALLOC, QCOW2_CT_ZERO, QCOW2_CT_NORMAL, QCOW2_CT_COMPRESSED };

/* A small write-back cache of cluster-sized tables (L2 tables or refcount blocks). */
struct qcow2_cache_entry {
    uint64_t offset;               /* host offset of the table, 0: slot free */
    uint8_t *data;
    bool dirty;
    uint64_t lru;
};
struct qcow2_cache {
    struct qcow2_cache_entry *e;
    int n;
    uint64_t tick;
};

struct qcow2_snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint32_t extra_size;
    uint32_t icount_hi_lo[2];      /* extra data bytes 56-63 (icount), kept when rewriting */
    bool has_icount;
};

struct qcow2_bitmap {               /* one bitmap directory entry */
    char *name;
    uint64_t table_offset;
    uint32_t table_size;           /* entries */
    uint32_t flags;                /* QCOW2_BME_* */
    uint32_t dir_pos;              /* byte offset of the entry in the directory */
    uint8_t type, granularity_bits;
};

struct qcow2_free {                /* a refcount decrement deferred until references are gone */
    uint64_t offset, len;
};

struct qcow2 {
    /* header */
    uint32_t version;
    uint32_t cluster_bits, cluster_size;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t rt_offset;
    uint32_t rt_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;       /* bytes of the snapshot table */
    uint64_t incompat, compat, autoclear;
    uint32_t refcount_order, refcount_bits;
    uint32_t header_length;
    uint8_t compression_type;

    /* derived */
    uint32_t l2_bits, l2_entries;  /* entries per L2 table */
    uint32_t l2_entry_size;        /* 8, or 16 with extended L2 */
    bool ext_l2;
    uint32_t subcluster_size;
    uint32_t rb_bits, rb_entries;  /* refcounts per refcount block */
    uint64_t refcount_max;
    int csize_shift;               /* compressed descriptor: x = 62 - (cluster_bits - 8) */
    uint64_t csize_mask, coffset_mask;

    uint64_t *l1;                  /* active L1, host byte order */
    uint32_t l1_dirty_lo, l1_dirty_hi;   /* dirty index range, lo > hi: clean */
    uint64_t *rt;                  /* refcount table, host byte order */
    uint32_t rt_size;              /* entries */

    struct qcow2_cache l2_cache, rb_cache;

    struct qcow2_free *frees;
    size_t nfrees, frees_cap;

    uint64_t free_hint;            /* cluster index where the free-cluster search starts */
    uint64_t alloc_end;            /* bytes: end of the highest cluster allocated so far */
    uint64_t file_size;            /* at open */

    struct qcow2_snapshot *snaps;
    struct qcow2_bitmap *bitmaps;  /* loaded when the extension is valid (autoclear bit set) */
    uint32_t nb_bitmaps;
    bool bm_ext_present, bm_corrupt;
    uint32_t bm_nb;                /* the bitmaps extension's fields */
    uint64_t bm_dir_offset, bm_dir_size;
    uint32_t snaps_dropped;        /* check only: table entries past the first bad one, not read */
    void *extra;                   /* struct qcow2_extra: unknown header extensions */
    bool writable;
    bool dirty_marked;             /* we set the dirty bit (lazy refcounts) */
    bool corrupt;
    bool data_unflushed;           /* anything written to the file since its last flush */
    uint64_t free_byte_offset;     /* next free byte for compressed data, 0: none */
    uint8_t *cbuf;                 /* one cluster: the last decompressed cluster */
    uint64_t cbuf_l2e;             /* ... and the L2 entry it came from, 0: none */
    uint8_t *zbuf;                 /* two clusters: compressed bytes */
    uint8_t *tmp;                  /* one cluster: copy-on-write staging */
    struct blk *bs;
};

static inline uint64_t qcow2_align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

#define QCOW2_HEADER_V3_LEN 112   /* through compression_type, padded to 8 (qcow2.txt "Header padding") */

struct qcow2_extra {               /* header extensions vmon does not interpret, kept verbatim */
    uint8_t *ext;
    size_t len;
};

/* qcow2.c */
int qcow2_derive(struct qcow2 *s);
/* qcow2-header.c */
int qcow2_create(struct blk_file *f, const struct blk_create_opts *o, char *err);
int qcow2_update_header(struct qcow2 *s);
int qcow2_file_flush(struct qcow2 *s);
int qcow2_write_l1_entry_range(struct qcow2 *s, uint32_t lo, uint32_t hi);
int qcow2_set_incompat(struct qcow2 *s, uint64_t bits, bool set);
int qcow2_decompress(struct qcow2 *s, uint64_t l2e, uint8_t *out);
int qcow2_compress(struct qcow2 *s, const uint8_t *in, uint8_t *out, size_t outlen);

/* qcow2-cache.c */
int qcow2_cache_init(struct qcow2_cache *c, int n, uint32_t size);
void qcow2_cache_destroy(struct qcow2_cache *c);
int qcow2_cache_get(struct qcow2 *s, struct qcow2_cache *c, uint64_t offset, bool fill, uint8_t **data);
void qcow2_cache_mark_dirty(struct qcow2_cache *c, const uint8_t *data);
int qcow2_cache_flush(struct qcow2 *s, struct qcow2_cache *c);
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t offset);

/* qcow2-refcount.c */
uint64_t qcow2_rb_get(const struct qcow2 *s, const uint8_t *block, uint64_t idx);
void qcow2_rb_set(const struct qcow2 *s, uint8_t *block, uint64_t idx, uint64_t v);
int qcow2_get_refcount(struct qcow2 *s, uint64_t cluster, uint64_t *rc);
int qcow2_update_refcount(struct qcow2 *s, uint64_t offset, uint64_t len, int64_t delta);
int64_t qcow2_alloc_clusters(struct qcow2 *s, uint64_t n);
int64_t qcow2_alloc_bytes(struct qcow2 *s, uint64_t n);      /* for compressed data: sub-cluster */
int qcow2_free_later(struct qcow2 *s, uint64_t offset, uint64_t len);
int qcow2_apply_frees(struct qcow2 *s);
int qcow2_flush_metadata(struct qcow2 *s);
int qcow2_check_image(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *),
                      void *opq);

/* qcow2-cluster.c */
enum qcow2_ctype qcow2_l2e_type(const struct qcow2 *s, uint64_t l2e);
int qcow2_get_l2e(struct qcow2 *s, uint64_t vcluster, uint64_t *l2e, uint64_t *bitmap);
int qcow2_set_l2e(struct qcow2 *s, uint64_t vcluster, uint64_t l2e, uint64_t bitmap);
int qcow2_co_read(struct qcow2 *s, uint64_t off, uint8_t *buf, size_t len);
int qcow2_co_write(struct qcow2 *s, uint64_t off, const uint8_t *buf, size_t len);
int qcow2_co_map_write(struct qcow2 *s, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum);
int qcow2_co_zero_or_discard(struct qcow2 *s, uint64_t off, uint64_t len, bool discard);
int qcow2_co_write_compressed(struct qcow2 *s, uint64_t off, const uint8_t *buf, size_t len);
int qcow2_co_block_status(struct qcow2 *s, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map);
int qcow2_grow_l1(struct qcow2 *s, uint64_t min_size);
uint64_t qcow2_compressed_range(const struct qcow2 *s, uint64_t l2e, uint64_t *len);
int qcow2_free_old(struct qcow2 *s, uint64_t l2e);

/* qcow2-bitmap.c */
int qcow2_read_bitmaps(struct qcow2 *s, char *err);
void qcow2_free_bitmaps(struct qcow2 *s);
int qcow2_bitmap_size(const struct qcow2 *s, const struct qcow2_bitmap *bm, uint64_t *bytes);
int qcow2_bitmap_read(struct qcow2 *s, const struct qcow2_bitmap *bm, uint8_t *out, uint64_t bytes);
int qcow2_bitmaps_copy(struct blk *dst, struct blk *src, char *err);
int qcow2_bitmaps_invalidate(struct qcow2 *s);
/* len bytes of data into newly allocated clusters: returns their offset or -errno. */
int64_t qcow2_bitmap_write_new(struct qcow2 *s, const uint8_t *data, uint64_t len);
/* One bitmap's bits (bytes long) into newly allocated clusters: returns its table's offset or -errno. */
int64_t qcow2_bitmap_store(struct qcow2 *dst, const uint8_t *bits, uint64_t bytes, uint32_t *table_size);
/* Appends a bitmaps header extension (nb entries, the directory at dir_off) to the kept extensions. */
int qcow2_bitmap_add_ext(struct qcow2 *s, uint32_t nb, uint64_t dir_off, uint64_t dir_size);
/* qcow2-bitmap-edit.c: qemu-img bitmap's actions */
int qcow2_bitmap_change(struct blk *bs, const struct blk_bitmap_op *op, char *err);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(struct qcow2 *s, char *err);
void qcow2_free_snapshots(struct qcow2 *s);
int qcow2_snapshot_create(struct blk *bs, const char *name, char *err);
/* The same, recording a VM state of vm_state_size bytes already in the VM state area (savevm);
 * no_icount: the snapshot records no instruction count (-1), as QEMU's savevm. */
int qcow2_snapshot_create_vm(struct blk *bs, const char *name, uint64_t vm_state_size, uint64_t vm_clock_nsec,
                             bool no_icount, char *err);
int qcow2_snapshot_apply(struct blk *bs, const char *name, char *err);
int qcow2_snapshot_delete(struct blk *bs, const char *name, char *err);
int qcow2_update_copied_flags(struct qcow2 *s);
int qcow2_l1_refcounts(struct qcow2 *s, const uint64_t *l1, uint32_t l1_size, int delta, bool clear_copied);
int qcow2_make_empty(struct blk *bs);

/* qcow2-vmstate.c: the VM state area of internal snapshots (savevm / loadvm) */
uint64_t qcow2_vmstate_offset(const struct qcow2 *s);
int qcow2_vmstate_write(struct blk *bs, uint64_t pos, const void *buf, size_t len);
int qcow2_vmstate_read(struct blk *bs, uint64_t pos, void *buf, size_t len);
int qcow2_snapshot_save(struct blk *bs, const char *name, uint64_t vm_state_size, uint64_t vm_clock_nsec,
                        char *err);

/* qcow2-info.c: what qemu-img info and snapshot -l show */
int qcow2_get_info(struct blk *bs, struct blk_info *bi);
struct blk_info_item *qcow2_get_specific_info(struct blk *bs, int *n);
int qcow2_snapshot_list(struct blk *bs, struct blk_snapshot **out);

/* qcow2-opts.c: creation options, amend, measure, a new backing file */
extern const struct blk_opt_help qcow2_create_help[];
int qcow2_create_opt(struct blk_create_opts *o, const char *key, const char *val, char *err);
void qcow2_create_describe(const struct blk_create_opts *o, char *buf, size_t len);
int qcow2_amend(struct blk *bs, const char *opts, char *err);
int qcow2_measure(const struct blk_create_opts *o, struct blk *in, struct blk_measure *m, char *err);
int qcow2_change_backing_file(struct blk *bs, const char *file, const char *fmt);

#endif
