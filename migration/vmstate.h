/* vmon's VM state file (issue 18): a versioned header, then tagged sections each saving one owner's
 * state (a vCPU, a device), then guest RAM on its own page-aligned region so a restore can map it
 * MAP_PRIVATE and let pages load on demand (Firecracker's snapshot memory file, in one file).
 *
 *   offset 0     header (VMS_HEADER_SIZE bytes, little endian): magic "VMONSNAP", version, header
 *                size, CPU model name, RAM size, vCPU count, sections offset/length and their CRC-32,
 *                RAM offset/length
 *   sections     each: tag (4 chars), instance, length, then length bytes; the list ends with "END "
 *   ram_off      RAM, ram_len bytes, page aligned (the guest's RAM in GPA order below and above the hole)
 *
 * A section's content is the architecture's (SDM register names, the 8259/IOAPIC/LAPIC registers),
 * never an accelerator's struct, so a file saved under one accelerator loads under the other.
 * Every file read is hostile: each length is checked against what remains, a reader past the end of
 * its section sets err and reads zeros. This folder includes only util/ and migration/. */
#ifndef VMON_MIGRATION_VMSTATE_H
#define VMON_MIGRATION_VMSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* n bytes (1..8) little-endian, as every field of a state file and a migration stream is stored. */
static inline void vms_le_put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t vms_le_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#define VMS_MAGIC "VMONSNAP"
#define VMS_VERSION 1u
#define VMS_HEADER_SIZE 4096u
#define VMS_MODEL_LEN 32u
#define VMS_MAX_SECTIONS 512u
#define VMS_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define VMS_TAG_END VMS_TAG('E', 'N', 'D', ' ')

struct vms_header {
    uint32_t version;
    char cpu_model[VMS_MODEL_LEN];   /* NUL-terminated */
    uint64_t ram_size;
    uint32_t ncpus;
    uint64_t sect_off, sect_len;     /* the section list */
    uint32_t sect_crc;               /* zlib crc32 of it */
    uint64_t ram_off, ram_len;
};

/* Growing buffer of sections. Allocation failure sets err (checked once at the end). */
struct vms_writer {
    uint8_t *buf;
    size_t len, cap;
    size_t sect_start;               /* where the open section's length field is */
    int err;
};

void vms_writer_init(struct vms_writer *w);
void vms_writer_free(struct vms_writer *w);
void vms_begin(struct vms_writer *w, uint32_t tag, uint32_t instance);
void vms_end(struct vms_writer *w);
void vms_put_u8(struct vms_writer *w, uint8_t v);
void vms_put_u16(struct vms_writer *w, uint16_t v);
void vms_put_u32(struct vms_writer *w, uint32_t v);
void vms_put_u64(struct vms_writer *w, uint64_t v);
void vms_put_bytes(struct vms_writer *w, const void *p, size_t n);
/* Close the list with END; 0 or -ENOMEM. */
int vms_finish(struct vms_writer *w);

/* A reader over one section's bytes. */
struct vms_reader {
    const uint8_t *p;
    size_t len, pos;
    int err;                         /* -EINVAL once a read went past the end */
};
uint8_t vms_get_u8(struct vms_reader *r);
uint16_t vms_get_u16(struct vms_reader *r);
uint32_t vms_get_u32(struct vms_reader *r);
uint64_t vms_get_u64(struct vms_reader *r);
void vms_get_bytes(struct vms_reader *r, void *p, size_t n);
/* 0 when the section was read exactly to its end, else -EINVAL. */
int vms_reader_done(const struct vms_reader *r);

/* The parsed section list: where each section's bytes are (pointers into the list's buffer). */
struct vms_section {
    uint32_t tag, instance;
    const uint8_t *data;
    uint32_t len;
    bool used;                       /* a loader took it: what is left over is unknown to this vmon */
};
struct vms_index {
    struct vms_section s[VMS_MAX_SECTIONS];
    unsigned n;
};

/* Header to/from its VMS_HEADER_SIZE bytes. vms_header_decode: 0 or -EINVAL with why (a static
 * string: "not a vmon state file", "version N, this vmon reads 1", ...). */
void vms_header_encode(const struct vms_header *h, uint8_t *out);
int vms_header_decode(const uint8_t *in, size_t len, uint64_t file_size, struct vms_header *h,
                      const char **why);
/* Split a section list into idx; 0 or -EINVAL with why (truncated, duplicate, too many, no END). */
int vms_index_build(const uint8_t *buf, size_t len, struct vms_index *idx, const char **why);
/* The section (tag, instance), marked used, or NULL. */
struct vms_section *vms_index_take(struct vms_index *idx, uint32_t tag, uint32_t instance);
/* Whether idx holds (tag, instance), without taking it. */
bool vms_index_has(const struct vms_index *idx, uint32_t tag, uint32_t instance);
/* A reader over a section. */
void vms_reader_init(struct vms_reader *r, const struct vms_section *s);
/* Tag as 4 printable characters, for messages. */
void vms_tag_name(uint32_t tag, char out[5]);

#endif
