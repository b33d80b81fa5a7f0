/* vmon's live migration stream (issue 18): what one vmon sends another over tcp:, exec: or file:
 * (migration/channel.h) while its guest runs, then the rest once its vCPUs stopped.
 *
 *   header    MIG_HEADER_SIZE bytes, little endian: magic "VMONMIGR", version, header size, CPU model
 *             name (NUL-terminated), RAM size, vCPU count
 *   records   each a 16-byte head (type, count, arg) and its payload:
 *     PASS    count = the pre-copy pass that follows (no payload)
 *     PAGE    RAM pages arg .. arg+count-1 (index in RAM order, mm/dirty.h's), count * 4096 bytes
 *     ZERO    pages arg .. arg+count-1 are all zeros (no payload)
 *     DISK    count bytes (1..MIG_MAX_DISK, whole 512-byte sectors) of disk arg >> 56 at byte
 *             arg & (2^56 - 1) (a multiple of 512): migrate -b copies the disks so
 *     STOP    arg = when the source's vCPUs stopped (CLOCK_REALTIME ns), for the downtime
 *     STAT    count = length, arg = its zlib crc32: the CPU and device sections of a VM state file
 *             (migration/vmstate.h's section list, END included)
 *     END     the last record: the destination now runs; on a two-way channel (tcp) it answers with
 *             8 bytes, the CLOCK_REALTIME ns at which it resumed.
 *
 * The stream is hostile input: every count, page index and length is checked before anything is
 * read or written, a short read is "truncated", and each refusal is one line (a static string). */
#ifndef VMON_MIGRATION_STREAM_H
#define VMON_MIGRATION_STREAM_H

#include <stdint.h>
#include <stddef.h>

#include "migration/vmstate.h"

#define MIG_MAGIC "VMONMIGR"
#define MIG_VERSION 1u
#define MIG_HEADER_SIZE 64u
#define MIG_MAX_RUN 64u                 /* pages in one PAGE record */
#define MIG_MAX_STATE (64u << 20)       /* bytes of one STAT record */
#define MIG_MAX_DISK 65536u             /* bytes of one DISK record */
#define MIG_DISK_SHIFT 56               /* arg: disk index above, byte offset below */

enum mig_rec {
    MIG_REC_PASS = VMS_TAG('P', 'A', 'S', 'S'),
    MIG_REC_PAGE = VMS_TAG('P', 'A', 'G', 'E'),
    MIG_REC_ZERO = VMS_TAG('Z', 'E', 'R', 'O'),
    MIG_REC_STOP = VMS_TAG('S', 'T', 'O', 'P'),
    MIG_REC_DISK = VMS_TAG('D', 'I', 'S', 'K'),
    MIG_REC_STAT = VMS_TAG('S', 'T', 'A', 'T'),
    MIG_REC_END = VMS_TAG('E', 'N', 'D', ' '),
};

struct mig_header {
    uint32_t version;
    char cpu_model[VMS_MODEL_LEN];
    uint64_t ram_size;                  /* bytes, a multiple of 4096 */
    uint32_t ncpus;
};

/* Where the bytes go or come from: 0, or -errno (a read that ends early: -EPIPE). */
struct mig_io {
    int (*xfer)(void *opaque, void *buf, size_t n);
    void *opaque;
    uint64_t bytes;                     /* moved so far */
};

/* ---- sending ---- */
int mig_put_header(struct mig_io *io, const struct mig_header *h);
int mig_put_pass(struct mig_io *io, uint32_t pass);
/* count (1..MIG_MAX_RUN) pages from data. */
int mig_put_pages(struct mig_io *io, uint64_t first, uint32_t count, const uint8_t *data);
int mig_put_zero(struct mig_io *io, uint64_t first, uint32_t count);
int mig_put_stop(struct mig_io *io, uint64_t stop_ns);
/* len (a multiple of 512 up to MIG_MAX_DISK) bytes of disk at byte off (a multiple of 512). */
int mig_put_disk(struct mig_io *io, unsigned disk, uint64_t off, const uint8_t *data, uint32_t len);
int mig_put_state(struct mig_io *io, const uint8_t *sections, size_t len);
int mig_put_end(struct mig_io *io);

/* ---- receiving ---- */
/* What the destination got; ram/ram_pages: where pages go (its RAM, already the header's size). */
struct mig_in {
    struct mig_io *io;
    uint8_t *ram;
    uint64_t ram_pages;
    uint32_t passes;                    /* the last PASS number */
    uint64_t pages, zero_pages;         /* PAGE and ZERO pages taken */
    uint64_t stop_ns;                   /* STOP's, 0 when none came */
    /* Zero [p, p+len) of ram (page aligned); NULL: pages that are not all zeros are cleared. */
    void (*zero)(void *opaque, uint8_t *p, size_t len);
    void *zero_opaque;
    /* A DISK record's bytes, checked for form (lengths, alignment); the callback checks the disk
     * and the range: 0, or -EINVAL (refused: no such disk, past its end) / -errno. NULL: DISK
     * records are refused. */
    int (*disk)(void *opaque, unsigned disk, uint64_t off, const uint8_t *data, uint32_t len);
    void *disk_opaque;
    uint64_t disk_bytes;                /* DISK bytes taken */
    uint8_t *state;                     /* STAT's payload (malloc'd; the caller frees), or NULL */
    uint32_t state_len;
};

/* The header; 0, or -EINVAL with why (not a stream, version, bad fields), or the channel's -errno. */
int mig_get_header(struct mig_io *io, struct mig_header *h, const char **why);
/* Records up to END, pages written into in->ram; 0 at an END that came after a STAT, else -EINVAL
 * with why (or the channel's -errno: -EPIPE "truncated"). */
int mig_get_records(struct mig_in *in, const char **why);

#endif
