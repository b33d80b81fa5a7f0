/*
 * The VMDK text descriptor (VMware "Virtual Disk Format 1.1", sec. "The Descriptor File"): the
 * createType and parentFileNameHint keys and the extent lines "RW <sectors> FLAT|SPARSE|ZERO "file"
 * [offset]", CID and parentCID. Extent files are opened read-only, relative to the descriptor's folder.
 * Also qemu-img info's format-specific lines, which come from the descriptor and its extents.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vmdk.h"

/* A value with its quotes removed, copied into out (len bytes). */
static void unquote(const char *v, char *out, size_t len)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
        n--;
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
        v++, n -= 2;
    if (n >= len)
        n = len - 1;
    memcpy(out, v, n);
    out[n] = 0;
}

/* A CID as QEMU reads it (hex; 0xffffffff where it is not a number). */
static uint32_t hex32(const char *v)
{
    char *end;
    unsigned long x = strtoul(v, &end, 16);
    return end == v ? UINT32_MAX : (uint32_t)x;
}

static int open_extent_file(struct blk *bs, struct vmdk_extent *e, const char *name, char *err)
{
    char *path = blk_path_join_dir(bs->filename, name);
    if (!path)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int ferr = 0;
    e->file = blk_file_open_posix(path, false, false, &ferr);
    int r = e->file ? 0 : blk_error(err, ferr, "Could not open '%s': Could not open extent '%s': %s", bs->filename,
                                    path, strerror(-ferr));
    if (!e->file)
        free(path), path = NULL;
    e->own_file = e->file != NULL;
    e->path = path;
    return r;
}

static int add_extent(struct blk *bs, struct vmdk *s, const char *line, char *err)
{
    char access[16], type[16], name[1024];
    uint64_t sectors, offset = 0;
    int used = 0;
    if (sscanf(line, "%15s %" SCNu64 " %15s %n", access, &sectors, type, &used) != 3 || !used)
        return blk_error(err, EINVAL, "Could not open '%s': Invalid extent line: %.80s", bs->filename, line);
    const char *rest = line + used;
    if (strcmp(type, "ZERO")) {
        const char *q1 = strchr(rest, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        if (!q2 || q2 - q1 - 1 >= (long)sizeof(name) || q2 == q1 + 1)
            return blk_error(err, EINVAL, "Could not open '%s': Invalid extent line: %.80s", bs->filename, line);
        memcpy(name, q1 + 1, (size_t)(q2 - q1 - 1));
        name[q2 - q1 - 1] = 0;
        if (q2[1] && sscanf(q2 + 1, "%" SCNu64, &offset) != 1)
            offset = 0;
    }
    if (s->n >= VMDK_MAX_EXTENTS || sectors > (1ull << 40) || offset > (1ull << 40))
        return blk_error(err, EINVAL, "Could not open '%s': too many or too large extents", bs->filename);
    uint64_t start = s->n ? s->ext[s->n - 1].start + s->ext[s->n - 1].len : 0;
    if (start + sectors * 512 > (1ull << 50))
        return blk_error(err, EFBIG, "Could not open '%s': disk too large", bs->filename);
    struct vmdk_extent *nx = realloc(s->ext, sizeof(*nx) * (size_t)(s->n + 1));
    if (!nx)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    s->ext = nx;
    struct vmdk_extent *e = &s->ext[s->n++];
    memset(e, 0, sizeof(*e));
    e->start = start;
    e->len = sectors * 512;
    e->cached_grain = UINT64_MAX;
    snprintf(e->kind, sizeof(e->kind), "%s", type);
    if (!strcmp(type, "ZERO")) {
        e->type = VMDK_EXT_ZERO;
        return 0;
    }
    if (strcmp(type, "FLAT") && strcmp(type, "VMFS") && strcmp(type, "SPARSE"))
        return blk_error(err, ENOTSUP, "Could not open '%s': unsupported VMDK extent type '%s'", bs->filename, type);
    int r = open_extent_file(bs, e, name, err);
    if (r < 0)
        return r;
    if (strcmp(type, "SPARSE")) {
        e->type = VMDK_EXT_FLAT;
        e->flat_off = offset * 512;
        return 0;
    }
    e->type = VMDK_EXT_SPARSE;
    uint8_t hdr[512];
    r = e->file->ops->pread(e->file, hdr, sizeof(hdr), 0);
    if (r < 0)
        return blk_error(err, r, "Could not open '%s': %s", name, strerror(-r));
    r = vmdk_sparse_open(bs, e, hdr, err);
    if (r == 0 && e->len > get_le64(hdr + 12) * 512)
        r = blk_error(err, EINVAL, "Could not open '%s': extent '%s' is smaller than its descriptor line says",
                      bs->filename, name);
    return r;
}

int vmdk_parse_descriptor(struct blk *bs, struct vmdk *s, const char *text, bool extents, char *err)
{
    char *dup = strdup(text), *save = NULL;
    if (!dup)
        return blk_error(err, ENOMEM, "Could not open '%s': out of memory", bs->filename);
    int r = 0;
    for (char *ln = strtok_r(dup, "\n", &save); ln && !r; ln = strtok_r(NULL, "\n", &save)) {
        while (*ln == ' ' || *ln == '\t')
            ln++;
        char *eq = strchr(ln, '=');
        if (*ln == '#' || !*ln || *ln == '\r')
            continue;
        if (!strncmp(ln, "RW ", 3) || !strncmp(ln, "RDONLY ", 7) || !strncmp(ln, "NOACCESS ", 9)) {
            if (extents)
                r = add_extent(bs, s, ln, err);
        } else if (eq) {
            char raw[64], key[64];
            size_t kl = (size_t)(eq - ln) < sizeof(raw) - 1 ? (size_t)(eq - ln) : sizeof(raw) - 1;
            memcpy(raw, ln, kl);
            raw[kl] = 0;
            unquote(raw, key, sizeof(key));
            char val[1024];
            unquote(eq + 1, val, sizeof(val));
            if (!strcmp(key, "createType"))
                unquote(val, s->create_type, sizeof(s->create_type));
            else if (!strcmp(key, "CID") || !strcmp(key, "parentCID"))
                *(key[0] == 'C' ? &s->cid : &s->parent_cid) = hex32(val);
            else if (!strcmp(key, "parentFileNameHint") && val[0] && !s->parent_hint)
                s->parent_hint = strdup(val);
        }
    }
    free(dup);
    if (!r && extents && !s->n)
        r = blk_error(err, EINVAL, "Could not open '%s': VMDK descriptor names no extents", bs->filename);
    return r;
}

void vmdk_make_descriptor(char *buf, size_t len, const char *create_type, uint64_t sectors, const char *extent)
{
    uint32_t cid;
    fu_random(&cid, sizeof(cid));
    uint64_t cyl = sectors / (16 * 63);
    snprintf(buf, len,
             "# Disk DescriptorFile\nversion=1\nCID=%08x\nparentCID=ffffffff\ncreateType=\"%s\"\n\n"
             "# Extent description\nRW %" PRIu64 " SPARSE \"%s\"\n\n# The Disk Data Base\n#DDB\n\n"
             "ddb.virtualHWVersion = \"4\"\nddb.geometry.cylinders = \"%" PRIu64 "\"\nddb.geometry.heads = \"16\"\n"
             "ddb.geometry.sectors = \"63\"\nddb.adapterType = \"ide\"\n",
             cid, create_type, sectors, extent, cyl > 16383 ? 16383 : cyl);
}

static void item(struct blk_info_item *it, int *n, int depth, const char *key, enum blk_info_type type,
                 const char *str, uint64_t num)
{
    it[(*n)++] = (struct blk_info_item){ .depth = depth, .key = key, .type = type, .str = str, .num = num };
}

/* As QEMU's vmdk_get_specific_info, in its order; an extent's format is its descriptor type. */
struct blk_info_item *vmdk_specific_info(struct blk *bs, int *n)
{
    struct vmdk *s = bs->opaque;
    struct blk_info_item *it = calloc(4 + 7 * (size_t)s->n, sizeof(*it));
    *n = 0;
    if (!it)
        return NULL;
    item(it, n, 0, "cid", BLK_INFO_INT, NULL, s->cid);
    item(it, n, 0, "parent-cid", BLK_INFO_INT, NULL, s->parent_cid);
    item(it, n, 0, "create-type", BLK_INFO_STR, s->create_type, 0);
    item(it, n, 0, "extents", BLK_INFO_LIST, NULL, 0);
    for (int i = 0; i < s->n; i++) {
        const struct vmdk_extent *e = &s->ext[i];
        item(it, n, 1, NULL, BLK_INFO_DICT, NULL, 0);
        if (e->type == VMDK_EXT_SPARSE && e->compressed)
            item(it, n, 2, "compressed", BLK_INFO_BOOL, NULL, 1);
        item(it, n, 2, "virtual-size", BLK_INFO_INT, NULL, e->len);
        if (e->type != VMDK_EXT_ZERO)
            item(it, n, 2, "filename", BLK_INFO_STR, e->path ? e->path : bs->filename, 0);
        if (e->type == VMDK_EXT_SPARSE)
            item(it, n, 2, "cluster-size", BLK_INFO_INT, NULL, e->grain);
        item(it, n, 2, "format", BLK_INFO_STR, e->kind, 0);
    }
    return it;
}

/* As QEMU: the descriptor file and every extent file it opened. */
int64_t vmdk_allocated(struct blk *bs)
{
    struct vmdk *s = bs->opaque;
    if (!bs->file->ops->allocated)
        return -1;
    int64_t sum = bs->file->ops->allocated(bs->file);
    for (int i = 0; i < s->n && sum >= 0; i++) {
        struct blk_file *f = s->ext[i].file;
        int64_t a = s->ext[i].own_file && f->ops->allocated ? f->ops->allocated(f) : 0;
        sum = a < 0 ? a : sum + a;
    }
    return sum;
}
