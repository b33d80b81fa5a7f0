/* The VM state file's encoding (migration/vmstate.h): header, section writer and checked readers. */
#include "migration/vmstate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Header field offsets (little endian). */
enum {
    H_MAGIC = 0, H_VERSION = 8, H_SIZE = 12, H_MODEL = 16, H_RAM_SIZE = 48, H_NCPUS = 56,
    H_SECT_OFF = 64, H_SECT_LEN = 72, H_SECT_CRC = 80, H_RAM_OFF = 88, H_RAM_LEN = 96,
};

/* ---- writer ---- */

void vms_writer_init(struct vms_writer *w)
{
    memset(w, 0, sizeof(*w));
}

void vms_writer_free(struct vms_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

static uint8_t *vms_room(struct vms_writer *w, size_t n)
{
    if (w->err)
        return NULL;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *b = realloc(w->buf, cap);
        if (!b) {
            w->err = -ENOMEM;
            return NULL;
        }
        w->buf = b;
        w->cap = cap;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void vms_put(struct vms_writer *w, uint64_t v, unsigned n)
{
    uint8_t *p = vms_room(w, n);
    if (p)
        vms_le_put(p, v, n);
}

void vms_put_u8(struct vms_writer *w, uint8_t v) { vms_put(w, v, 1); }
void vms_put_u16(struct vms_writer *w, uint16_t v) { vms_put(w, v, 2); }
void vms_put_u32(struct vms_writer *w, uint32_t v) { vms_put(w, v, 4); }
void vms_put_u64(struct vms_writer *w, uint64_t v) { vms_put(w, v, 8); }

void vms_put_bytes(struct vms_writer *w, const void *p, size_t n)
{
    uint8_t *d = vms_room(w, n);
    if (d && n)
        memcpy(d, p, n);
}

void vms_begin(struct vms_writer *w, uint32_t tag, uint32_t instance)
{
    vms_put_u32(w, tag);
    vms_put_u32(w, instance);
    w->sect_start = w->len;
    vms_put_u32(w, 0);               /* length, filled by vms_end */
}

void vms_end(struct vms_writer *w)
{
    if (w->err)
        return;
    size_t n = w->len - w->sect_start - 4;
    if (n > UINT32_MAX) {
        w->err = -EFBIG;
        return;
    }
    vms_le_put(w->buf + w->sect_start, n, 4);
}

int vms_finish(struct vms_writer *w)
{
    vms_begin(w, VMS_TAG_END, 0);
    vms_end(w);
    return w->err;
}

/* ---- readers ---- */

static uint64_t vms_get(struct vms_reader *r, unsigned n)
{
    if (r->err || r->len - r->pos < n) {
        r->err = -EINVAL;
        return 0;
    }
    uint64_t v = vms_le_get(r->p + r->pos, n);
    r->pos += n;
    return v;
}

uint8_t vms_get_u8(struct vms_reader *r) { return (uint8_t)vms_get(r, 1); }
uint16_t vms_get_u16(struct vms_reader *r) { return (uint16_t)vms_get(r, 2); }
uint32_t vms_get_u32(struct vms_reader *r) { return (uint32_t)vms_get(r, 4); }
uint64_t vms_get_u64(struct vms_reader *r) { return vms_get(r, 8); }

void vms_get_bytes(struct vms_reader *r, void *p, size_t n)
{
    if (r->err || r->len - r->pos < n) {
        r->err = -EINVAL;
        memset(p, 0, n);
        return;
    }
    if (n)
        memcpy(p, r->p + r->pos, n);
    r->pos += n;
}

int vms_reader_done(const struct vms_reader *r)
{
    return r->err || r->pos != r->len ? -EINVAL : 0;
}

void vms_reader_init(struct vms_reader *r, const struct vms_section *s)
{
    r->p = s->data;
    r->len = s->len;
    r->pos = 0;
    r->err = 0;
}

/* ---- header ---- */

void vms_header_encode(const struct vms_header *h, uint8_t *out)
{
    memset(out, 0, VMS_HEADER_SIZE);
    memcpy(out + H_MAGIC, VMS_MAGIC, 8);
    vms_le_put(out + H_VERSION, h->version, 4);
    vms_le_put(out + H_SIZE, VMS_HEADER_SIZE, 4);
    size_t n = strnlen(h->cpu_model, VMS_MODEL_LEN - 1);
    memcpy(out + H_MODEL, h->cpu_model, n);
    vms_le_put(out + H_RAM_SIZE, h->ram_size, 8);
    vms_le_put(out + H_NCPUS, h->ncpus, 4);
    vms_le_put(out + H_SECT_OFF, h->sect_off, 8);
    vms_le_put(out + H_SECT_LEN, h->sect_len, 8);
    vms_le_put(out + H_SECT_CRC, h->sect_crc, 4);
    vms_le_put(out + H_RAM_OFF, h->ram_off, 8);
    vms_le_put(out + H_RAM_LEN, h->ram_len, 8);
}

static bool range_ok(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

int vms_header_decode(const uint8_t *in, size_t len, uint64_t file_size, struct vms_header *h,
                      const char **why)
{
    memset(h, 0, sizeof(*h));
    if (len < VMS_HEADER_SIZE || memcmp(in + H_MAGIC, VMS_MAGIC, 8) != 0) {
        *why = "not a vmon state file (bad magic)";
        return -EINVAL;
    }
    h->version = (uint32_t)vms_le_get(in + H_VERSION, 4);
    if (h->version != VMS_VERSION) {
        *why = "unsupported state file version (this vmon reads version 1)";
        return -EINVAL;
    }
    if (vms_le_get(in + H_SIZE, 4) != VMS_HEADER_SIZE) {
        *why = "bad header size";
        return -EINVAL;
    }
    memcpy(h->cpu_model, in + H_MODEL, VMS_MODEL_LEN);
    if (memchr(h->cpu_model, 0, VMS_MODEL_LEN) == NULL) {
        *why = "bad CPU model name";
        return -EINVAL;
    }
    h->ram_size = vms_le_get(in + H_RAM_SIZE, 8);
    h->ncpus = (uint32_t)vms_le_get(in + H_NCPUS, 4);
    h->sect_off = vms_le_get(in + H_SECT_OFF, 8);
    h->sect_len = vms_le_get(in + H_SECT_LEN, 8);
    h->sect_crc = (uint32_t)vms_le_get(in + H_SECT_CRC, 4);
    h->ram_off = vms_le_get(in + H_RAM_OFF, 8);
    h->ram_len = vms_le_get(in + H_RAM_LEN, 8);
    if (h->sect_off < VMS_HEADER_SIZE || !range_ok(h->sect_off, h->sect_len, file_size) ||
        h->sect_len > (64u << 20)) {
        *why = "truncated (the section list lies past the end of the file)";
        return -EINVAL;
    }
    if ((h->ram_off & 4095) || h->ram_len != h->ram_size || !range_ok(h->ram_off, h->ram_len, file_size) ||
        h->ram_off < h->sect_off + h->sect_len) {
        *why = "truncated (guest RAM lies past the end of the file)";
        return -EINVAL;
    }
    return 0;
}

/* ---- section index ---- */

int vms_index_build(const uint8_t *buf, size_t len, struct vms_index *idx, const char **why)
{
    idx->n = 0;
    size_t pos = 0;
    for (;;) {
        if (len - pos < 12) {
            *why = "truncated section list (no END)";
            return -EINVAL;
        }
        uint32_t tag = (uint32_t)vms_le_get(buf + pos, 4), inst = (uint32_t)vms_le_get(buf + pos + 4, 4);
        uint32_t n = (uint32_t)vms_le_get(buf + pos + 8, 4);
        pos += 12;
        if (n > len - pos) {
            *why = "truncated section (its length runs past the list)";
            return -EINVAL;
        }
        if (tag == VMS_TAG_END)
            return n == 0 && pos == len ? 0 : (*why = "bytes after END", -EINVAL);
        if (idx->n == VMS_MAX_SECTIONS) {
            *why = "too many sections";
            return -EINVAL;
        }
        for (unsigned i = 0; i < idx->n; i++) {
            if (idx->s[i].tag == tag && idx->s[i].instance == inst) {
                *why = "a section appears twice";
                return -EINVAL;
            }
        }
        idx->s[idx->n++] = (struct vms_section){ tag, inst, buf + pos, n, false };
        pos += n;
    }
}

bool vms_index_has(const struct vms_index *idx, uint32_t tag, uint32_t instance)
{
    for (unsigned i = 0; i < idx->n; i++)
        if (idx->s[i].tag == tag && idx->s[i].instance == instance)
            return true;
    return false;
}

struct vms_section *vms_index_take(struct vms_index *idx, uint32_t tag, uint32_t instance)
{
    for (unsigned i = 0; i < idx->n; i++) {
        if (idx->s[i].tag == tag && idx->s[i].instance == instance) {
            idx->s[i].used = true;
            return &idx->s[i];
        }
    }
    return NULL;
}

void vms_tag_name(uint32_t tag, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(tag >> (8 * i));
        out[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    out[4] = 0;
}
