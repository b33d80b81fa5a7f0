/* Block layer: image formats (raw, qcow2) stacked on a byte-addressed host file, as QEMU's BlockDriverState. */
#ifndef VMON_BLOCK_BLOCK_H
#define VMON_BLOCK_BLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define BLK_ERR_LEN 512
#define BLK_MAX_CHAIN 64          /* longest backing chain followed before calling it a loop */

/* ---- protocol layer: the host file the format lives in ---------------------------------------- */

struct blk_file;

struct blk_file_ops {
    int (*pread)(struct blk_file *f, void *buf, size_t len, uint64_t off);   /* short read past EOF: zero-fill */
    int (*pwrite)(struct blk_file *f, const void *buf, size_t len, uint64_t off);
    int (*flush)(struct blk_file *f);                                       /* durable: a power-loss barrier */
    int64_t (*size)(struct blk_file *f);
    int (*truncate)(struct blk_file *f, uint64_t size);
    int (*discard)(struct blk_file *f, uint64_t off, uint64_t len);         /* may be NULL */
    int (*allocate)(struct blk_file *f, uint64_t off, uint64_t len);        /* fallocate; may be NULL */
    int64_t (*allocated)(struct blk_file *f);                               /* bytes on disk, may be NULL */
    /* 1 if [off, off+*pnum) holds data, 0 if it is a hole (reads zeros); may be NULL (all data). */
    int (*data_status)(struct blk_file *f, uint64_t off, uint64_t len, uint64_t *pnum);
    /* Image locks (block/lock.h permissions); QEMU's message in err (BLK_ERR_LEN). May be NULL. */
    int (*lock)(struct blk_file *f, unsigned perm, unsigned shared, const char *filename, char *err);
    void (*close)(struct blk_file *f);
};

/* Embedded first in each backend's own struct. */
struct blk_file {
    const struct blk_file_ops *ops;
    bool no_flush;                /* cache=unsafe: flushes are no-ops (qemu-img convert's default) */
};

struct blk_file *blk_file_open_posix(const char *path, bool rw, bool create, int *err);

/* ---- format layer ------------------------------------------------------------------------------ */

#define BLK_O_RDWR       0x1
#define BLK_O_NO_BACKING 0x2      /* open without following backing files (info, rebase -u) */
#define BLK_O_CHECK      0x4      /* opened for check: tolerate the corrupt bit, skip repairs */
#define BLK_O_NO_FLUSH   0x8      /* cache=unsafe: never wait for the disk (a crash means redo) */
#define BLK_O_SHARE      0x10     /* -U/--force-share: read-only, share every permission */

/* block_status flags, as QEMU's BDRV_BLOCK_*. */
#define BLK_STATUS_DATA      0x1  /* reads come from a host offset in this layer */
#define BLK_STATUS_ZERO      0x2  /* reads as zeros */
#define BLK_STATUS_ALLOCATED 0x4  /* this layer decides the content (not the backing file) */
#define BLK_STATUS_OFFSET    0x8  /* *map holds a host offset for the start of the range */
#define BLK_STATUS_COMPRESSED 0x10

struct blk;

struct blk_check {
    int64_t corruptions, leaks, check_errors;
    int64_t corruptions_fixed, leaks_fixed;
    int64_t total_clusters, allocated_clusters, fragmented_clusters, compressed_clusters;
    int64_t image_end_offset;
};

#define BLK_FIX_LEAKS  0x1
#define BLK_FIX_ERRORS 0x2

/* A check report line that starts with this is a message of the tool's own (QEMU's error_report): the
 * front end prints it after its program name ("vmon img: ..."); other lines go out as they are. */
#define BLK_CHECK_MSG "@"

enum { BLK_PREALLOC_OFF, BLK_PREALLOC_METADATA, BLK_PREALLOC_FALLOC, BLK_PREALLOC_FULL };

/* Creation options, the subset of qemu-img's -o that vmon understands. */
struct blk_create_opts {
    uint64_t size;
    const char *backing_file, *backing_fmt;
    uint32_t cluster_size;        /* 0: 64 KiB */
    int compat;                   /* 2 (0.10) or 3 (1.1); 0: 3 */
    int refcount_bits;            /* 0: 16 */
    int compression_type;         /* 0 zlib, 1 zstd */
    bool lazy_refcounts, extended_l2;
    int preallocation;            /* BLK_PREALLOC_* */
    const char *subformat;        /* vmdk, vpc: the -o subformat=; NULL: the format's default */
    bool force_size;              /* vpc: the size as given, not rounded to a CHS geometry */
    const char *filename;         /* set by blk_create: the image's own name (vmdk's extent line) */
};

/* One -o option a format takes, for `-o help` (qemu-img's "Supported options:" list). */
struct blk_opt_help {
    const char *name, *type, *help;   /* type as qemu-img prints it: "size", "str", "bool (on/off)" */
};

/* What qemu-img info shows besides the generic fields (QEMU's BlockDriverInfo). */
struct blk_info {
    uint32_t cluster_size;        /* 0: the format has no clusters */
    bool dirty;                   /* the image was not closed cleanly ("dirty-flag") */
};

/*
 * The format-specific part of qemu-img info (QEMU's ImageInfoSpecific), flat: each item is a field
 * of the data (depth 0) or an element of the LIST/DICT item before it (depth + 1). vmon img prints it
 * as JSON or as qemu-img's human dump ("key: value", '-' shown as ' ').
 */
enum blk_info_type { BLK_INFO_STR, BLK_INFO_INT, BLK_INFO_BOOL, BLK_INFO_LIST, BLK_INFO_DICT };
struct blk_info_item {
    int depth;
    const char *key;              /* NULL: an element of a list */
    enum blk_info_type type;
    const char *str;              /* STR: borrowed from the open image */
    uint64_t num;                 /* INT; BOOL: 0 or 1 */
};

/* One internal snapshot, as qemu-img lists it (QEMU's QEMUSnapshotInfo); strings borrowed. */
struct blk_snapshot {
    const char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;       /* bytes */
    uint64_t icount;              /* UINT64_MAX: none */
};

/* qemu-img measure's answer (QEMU's BlockMeasureInfo), in bytes. */
struct blk_measure {
    uint64_t required, fully_allocated;
    bool has_bitmaps;             /* the source keeps persistent bitmaps: "bitmaps size" is shown */
    uint64_t bitmaps;
};

/* One action of qemu-img bitmap on a persistent dirty bitmap. */
enum blk_bitmap_action { BLK_BITMAP_ADD, BLK_BITMAP_REMOVE, BLK_BITMAP_CLEAR, BLK_BITMAP_ENABLE,
                         BLK_BITMAP_DISABLE, BLK_BITMAP_MERGE };
struct blk_bitmap_op {
    enum blk_bitmap_action action;
    const char *name;
    uint64_t granularity;         /* ADD: bytes per bit, 0: the format's default */
    struct blk *src;              /* MERGE: the image holding src_name (may be the same one) */
    const char *src_name;
};

struct blk_driver {
    const char *name;
    int (*probe)(const uint8_t *buf, size_t len, const char *filename);   /* score, 0: not mine */
    int (*create)(struct blk_file *f, const struct blk_create_opts *o, char *err);
    int (*open)(struct blk *bs, int flags, char *err);
    int (*read)(struct blk *bs, uint64_t off, void *buf, size_t len);
    int (*write)(struct blk *bs, uint64_t off, const void *buf, size_t len);
    int (*write_zeroes)(struct blk *bs, uint64_t off, uint64_t len);      /* may be NULL */
    int (*write_compressed)(struct blk *bs, uint64_t off, const void *buf, size_t len);  /* one cluster */
    int (*flush)(struct blk *bs);
    int (*discard)(struct blk *bs, uint64_t off, uint64_t len);
    /* Where a write of [off, off+len) can go straight to the image's file (blk_map_write); NULL: the
     * format always writes its data itself. */
    int (*map_write)(struct blk *bs, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum);
    /* Status of [off, off+len) in this layer: returns flags, *pnum = bytes that share them. */
    int (*block_status)(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map);
    int (*truncate)(struct blk *bs, uint64_t size);
    int (*check)(struct blk *bs, struct blk_check *res, int fix, void (*report)(void *, const char *), void *opq);
    void (*close)(struct blk *bs);

    /* What vmon img needs besides I/O; NULL where the format has no such thing (qemu-img's message). */
    const struct blk_opt_help *create_help;   /* the -o options, ended by a NULL name */
    /* One -o key=val for create/convert/amend: 0, -ENOENT (not an option of this format), or -EINVAL
     * with the reason in err. */
    int (*create_opt)(struct blk_create_opts *o, const char *key, const char *val, char *err);
    /* The options after "fmt=NAME " in create's "Formatting ..." line; NULL: "size=N". */
    void (*create_describe)(const struct blk_create_opts *o, char *buf, size_t len);
    int (*get_info)(struct blk *bs, struct blk_info *bi);
    /* The format-specific info items (malloc'd, *n of them), or NULL with *n = 0. */
    struct blk_info_item *(*get_specific_info)(struct blk *bs, int *n);
    /* Bytes on disk of the image and the files it names (vmdk extents); NULL: its file's, as allocated. */
    int64_t (*allocated)(struct blk *bs);
    /* The snapshot table: a malloc'd array, returns how many, or -errno. NULL: none. */
    int (*snapshot_list)(struct blk *bs, struct blk_snapshot **out);
    int (*snapshot_create)(struct blk *bs, const char *name, char *err);
    int (*snapshot_apply)(struct blk *bs, const char *name, char *err);
    int (*snapshot_delete)(struct blk *bs, const char *name, char *err);
    /* The VM state area of internal snapshots (QEMU's bdrv_save_vmstate / bdrv_load_vmstate): bytes
     * kept past the end of the virtual disk, pos counted from the area's start. NULL: the format
     * has none (savevm refuses such a disk). */
    int (*vmstate_write)(struct blk *bs, uint64_t pos, const void *buf, size_t len);
    int (*vmstate_read)(struct blk *bs, uint64_t pos, void *buf, size_t len);
    /* snapshot_create for savevm: the snapshot takes the vm_state_size bytes written to the VM state
     * area (0: none) and records the VM clock; the active image lets go of the area after. */
    int (*snapshot_save)(struct blk *bs, const char *name, uint64_t vm_state_size, uint64_t vm_clock_nsec,
                         char *err);
    /* Changes what can change in place from "-o k=v,..." (qemu-img amend); the message in err. */
    int (*amend)(struct blk *bs, const char *opts, char *err);
    /* Sizes an image of this format made from in (NULL: of o->size, empty); the message in err. */
    int (*measure)(const struct blk_create_opts *o, struct blk *in, struct blk_measure *m, char *err);
    /* Copies src's persistent bitmaps into dst (convert --bitmaps); both of this format. */
    int (*bitmaps_copy)(struct blk *dst, struct blk *src, char *err);
    int (*bitmap_change)(struct blk *bs, const struct blk_bitmap_op *op, char *err);
    int (*make_empty)(struct blk *bs);                  /* drops every cluster (after commit) */
    /* Records a new backing file (NULL: none) in the image's metadata (rebase). */
    int (*change_backing_file)(struct blk *bs, const char *file, const char *fmt);
};

/* One open image: a format over a file, with an optional backing image below it. */
struct blk {
    const struct blk_driver *drv;
    struct blk_file *file;
    struct blk *backing;
    char *filename;
    char *backing_file;           /* as stored in the image */
    char *backing_fmt;
    char *full_backing;           /* resolved against the image's directory */
    uint64_t size;                /* virtual size in bytes */
    uint32_t cluster_size;        /* 0 for formats without clusters */
    int flags;
    bool probed_raw;              /* opened writable as raw because probing found no format: QEMU's
                                   * guard on sector 0 applies (blk_submit) */
    void *opaque;                 /* the format's state */
    char errmsg[BLK_ERR_LEN];     /* why the last request failed with -EIO, if the format knows */
};

/*
 * A request, explicit so that an I/O thread could run it later: today blk_submit completes it
 * before returning and calls done (if set) on the caller's thread.
 */
enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD, BLK_WRITE_ZEROES };
struct blk_req {
    enum blk_op op;
    uint64_t offset;
    uint64_t len;
    void *buf;
    int ret;                      /* 0 or -errno once complete */
    void (*done)(struct blk_req *req);
    void *opaque;
};

const struct blk_driver *blk_find_driver(const char *name);
/* The best vmon driver for the file, or NULL; *foreign: a format qemu-img would pick instead (probe.c). */
const struct blk_driver *blk_probe(struct blk_file *f, const char *filename, const char **foreign);
/* What the first len bytes of an image probe as: the foreign format's name that wins (*drv NULL),
 * or NULL with *drv the best vmon driver (NULL: nothing claims them, which opens as raw). For
 * QEMU's guard on probed raw images: a guest write to sector 0 that would make the image probe as
 * something else is refused. */
const char *blk_probe_buf(const uint8_t *buf, size_t len, const char *filename,
                          const struct blk_driver **drv);

/* fmt NULL: probe. On failure returns NULL with a one-line reason in err (BLK_ERR_LEN). */
struct blk *blk_open(const char *filename, const char *fmt, int flags, char *err);
/* Same, over an already open file (fuzzing, recording backends); the blk takes ownership of f. */
struct blk *blk_open_file(struct blk_file *f, const char *filename, const char *fmt, int flags, int depth,
                          char *err);
void blk_close(struct blk *bs);
int blk_create(const char *filename, const char *fmt, const struct blk_create_opts *o, char *err);
int blk_open_backing(struct blk *bs, int flags, int depth, char *err);
/* -o preallocation for a format with clusters, after create: every cluster allocated (prealloc.c). */
int blk_preallocate(const char *filename, const char *fmt, int mode, char *err);

int blk_submit(struct blk *bs, struct blk_req *req);
int blk_pread(struct blk *bs, uint64_t off, void *buf, size_t len);
int blk_pwrite(struct blk *bs, uint64_t off, const void *buf, size_t len);
int blk_write_zeroes(struct blk *bs, uint64_t off, uint64_t len);
int blk_flush(struct blk *bs);
int blk_discard(struct blk *bs, uint64_t off, uint64_t len);
int blk_block_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, uint64_t *map);
/*
 * A write split in two, as QEMU's qcow2 splits its writes: the metadata now, the data later and
 * possibly on another thread. Returns 1 when [off, off+*pnum) maps to bs->file from *host on,
 * contiguously, with whatever the format had to allocate for it done and recorded (qcow2: fresh
 * whole clusters, allocated in the order of the calls); the caller then owes that range its data,
 * through blk_file_pwrite, before anything reads it. Returns 0 when the first *pnum bytes need the
 * format's own write (blk_pwrite: a partial or allocated cluster, a format without this), or -errno.
 * Calls to blk_map_write, and to everything else on bs, are one at a time; blk_file_pwrite may run
 * beside them and beside each other.
 */
int blk_map_write(struct blk *bs, uint64_t off, uint64_t len, uint64_t *host, uint64_t *pnum);
int blk_file_pwrite(struct blk *bs, uint64_t host, const void *buf, size_t len);

/* Reads through the chain below bs (for a layer whose cluster is unallocated): zeros past its end. */
int blk_read_backing(struct blk *bs, uint64_t off, void *buf, size_t len);

/* Status through the whole backing chain: BLK_STATUS_ZERO when [off, off+*pnum) reads as zeros;
 * *depth (if set): the layer that decides. */
int blk_chain_status(struct blk *bs, uint64_t off, uint64_t len, uint64_t *pnum, int *depth);

/* qemu_strtosz: a decimal number (a fraction with a suffix) and an optional B/K/M/G/T/P/E suffix. */
int blk_parse_size(const char *s, uint64_t *out);
bool blk_parse_bool(const char *v, bool *out);     /* on/off, true/false, yes/no */
/* "-o k=v,k=v" into o: size, backing_file, backing_fmt, preallocation=off and drv's own options.
 * 0, or -EINVAL with qemu-img's message in err. */
int blk_parse_create_opts(const struct blk_driver *drv, const char *opts, struct blk_create_opts *o, char *err);
/* The "key=val ..." of create's "Formatting" line, as qemu-img prints it for drv. */
void blk_create_describe(const struct blk_driver *drv, const struct blk_create_opts *o, char *buf, size_t len);

char *blk_path_join_dir(const char *image, const char *rel);
bool blk_is_zero(const void *buf, size_t len);
/* "<file>: <why>" for a failed request: the layer of the chain that explained it, else strerror. */
const char *blk_strerror(struct blk *bs, int r, char *buf, size_t len);

/* Error helper: formats into err (BLK_ERR_LEN bytes), returns -code. */
int blk_error(char *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern const struct blk_driver blk_raw_driver;
extern const struct blk_driver blk_qcow2_driver;
extern const struct blk_driver blk_vmdk_driver;
extern const struct blk_driver blk_vpc_driver;
extern const struct blk_driver blk_vdi_driver;
extern const struct blk_driver blk_vhdx_driver;

#endif
