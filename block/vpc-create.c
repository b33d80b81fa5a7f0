/*
 * VHD creation and writes (Microsoft VHD specification 1.0): the CHS geometry of the appendix
 * "CHS Calculation", fixed disks (data then footer) and dynamic disks (footer copy, dynamic header,
 * BAT, then 2 MiB blocks each led by its sector bitmap, footer last).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "block/block.h"
#include "block/fmtutil.h"
#include "block/vpc.h"

const struct blk_opt_help vpc_create_help[] = {
    { "force_size", "bool (on/off)", "Force use of the exact size specified, instead of rounding to CHS geometry" },
    { "size", "size", "Virtual disk size" },
    { "subformat", "str", "Type of virtual hard disk file. Supported formats are {dynamic (default) | fixed} " },
    { NULL, NULL, NULL },
};

int vpc_create_opt(struct blk_create_opts *o, const char *key, const char *val, char *err)
{
    if (!strcmp(key, "subformat")) {
        if (strcmp(val, "dynamic") && strcmp(val, "fixed"))
            return blk_error(err, EINVAL, "Invalid subformat '%s'", val);
        o->subformat = strcmp(val, "fixed") ? "dynamic" : "fixed";
        return 0;
    }
    if (!strcmp(key, "force_size")) {
        if (!blk_parse_bool(val, &o->force_size))
            return blk_error(err, EINVAL, "Parameter 'force_size' expects 'on' or 'off'");
        return 0;
    }
    return -ENOENT;
}

void vpc_create_describe(const struct blk_create_opts *o, char *buf, size_t len)
{
    snprintf(buf, len, "size=%" PRIu64 "%s%s", o->size, o->subformat ? " subformat=" : "",
             o->subformat ? o->subformat : "");
}

/* The spec's CHS calculation for a sector count. */
static void vpc_geometry(uint64_t sectors, uint16_t *cyl, uint8_t *heads, uint8_t *spt)
{
    uint64_t cth;
    unsigned h, s;
    if (sectors > VPC_MAX_CHS)
        sectors = VPC_MAX_CHS;
    if (sectors >= 65535ull * 16 * 63) {
        s = 255, h = 16;
        cth = sectors / s;
    } else {
        s = 17;
        cth = sectors / s;
        h = (unsigned)((cth + 1023) / 1024);
        if (h < 4)
            h = 4;
        if (cth >= h * 1024ull || h > 16) {
            s = 31, h = 16;
            cth = sectors / s;
        }
        if (cth >= h * 1024ull) {
            s = 63, h = 16;
            cth = sectors / s;
        }
    }
    *cyl = (uint16_t)(cth / h);
    *heads = (uint8_t)h;
    *spt = (uint8_t)s;
}

static void vpc_footer(uint8_t *ft, uint64_t size, uint32_t type, bool force, uint16_t c, uint8_t h, uint8_t s)
{
    memset(ft, 0, 512);
    memcpy(ft, "conectix", 8);
    put_be32(ft + 8, 2);
    put_be32(ft + 12, 0x00010000);
    put_be64(ft + 16, type == VPC_FIXED ? UINT64_MAX : 512);
    put_be32(ft + 24, (uint32_t)(time(NULL) - 946684800));
    memcpy(ft + 28, force ? "qem2" : "vmon", 4);
    put_be32(ft + 32, 0x00010000);
    memcpy(ft + 36, "Wi2k", 4);
    put_be64(ft + 40, size);
    put_be64(ft + 48, size);
    put_be16(ft + 56, c);
    ft[58] = h;
    ft[59] = s;
    put_be32(ft + 60, type);
    fu_random(ft + 68, 16);
    put_be32(ft + 64, vpc_checksum(ft, 512, 64));
}

static int vpc_create_dynamic(struct blk_file *f, const uint8_t *ft, uint64_t size)
{
    uint32_t entries = (uint32_t)((size + VPC_BLOCK_SIZE - 1) / VPC_BLOCK_SIZE);
    uint64_t bat_len = ((uint64_t)entries * 4 + 511) & ~511ull;
    uint8_t h[1024] = { 0 };
    memcpy(h, "cxsparse", 8);
    put_be64(h + 8, UINT64_MAX);
    put_be64(h + 16, 1536);
    put_be32(h + 24, 0x00010000);
    put_be32(h + 28, entries);
    put_be32(h + 32, VPC_BLOCK_SIZE);
    put_be32(h + 36, vpc_checksum(h, sizeof(h), 36));
    uint8_t *bat = malloc(bat_len);
    if (!bat)
        return -ENOMEM;
    memset(bat, 0xff, bat_len);
    int r = f->ops->pwrite(f, ft, 512, 0);
    if (!r)
        r = f->ops->pwrite(f, h, sizeof(h), 512);
    if (!r)
        r = f->ops->pwrite(f, bat, bat_len, 1536);
    if (!r)
        r = f->ops->pwrite(f, ft, 512, 1536 + bat_len);
    free(bat);
    return r;
}

int vpc_create(struct blk_file *f, const struct blk_create_opts *o, char *err)
{
    if (o->backing_file)
        return blk_error(err, ENOTSUP, "Driver 'vpc' does not support backing files");
    bool fixed = o->subformat && !strcmp(o->subformat, "fixed");
    uint64_t sectors = (o->size + 511) / 512, size;
    uint16_t c;
    uint8_t h, s;
    vpc_geometry(sectors, &c, &h, &s);
    if (o->force_size) {
        size = sectors * 512;
    } else {
        for (uint64_t i = 1; (uint64_t)c * h * s < sectors && (uint64_t)c * h * s != VPC_MAX_CHS; i++)
            vpc_geometry(sectors + i, &c, &h, &s);
        size = (uint64_t)c * h * s == VPC_MAX_CHS ? sectors * 512 : (uint64_t)c * h * s * 512;
    }
    if (size > VPC_MAX_SIZE)
        return blk_error(err, EFBIG, "File too large");
    uint8_t ft[512];
    vpc_footer(ft, size, fixed ? VPC_FIXED : VPC_DYNAMIC, o->force_size, c, h, s);
    int r;
    if (fixed) {
        r = f->ops->truncate(f, size + 512);
        if (!r)
            r = f->ops->pwrite(f, ft, 512, size);
    } else {
        r = vpc_create_dynamic(f, ft, size);
    }
    return r < 0 ? blk_error(err, r, "Could not write the VHD image: %s", strerror(-r)) : 0;
}

/* A new block at the end of the file: all sectors marked present, data reading as zeros. */
static int vpc_alloc(struct blk *bs, struct vpc *s, uint32_t idx)
{
    uint64_t at = s->free_off;
    if (at / 512 >= VPC_UNALLOC)
        return -EFBIG;
    int r = bs->file->ops->pwrite(bs->file, s->footer, 512, at + s->bitmap_size + s->block_size);
    uint8_t *bm = malloc(s->bitmap_size);
    if (!bm)
        return -ENOMEM;
    memset(bm, 0xff, s->bitmap_size);
    if (!r)
        r = bs->file->ops->pwrite(bs->file, bm, s->bitmap_size, at);
    free(bm);
    uint8_t e[4];
    put_be32(e, (uint32_t)(at / 512));
    if (!r)
        r = bs->file->ops->pwrite(bs->file, e, 4, s->bat_off + (uint64_t)idx * 4);
    if (r < 0)
        return r;
    s->bat[idx] = (uint32_t)(at / 512);
    s->free_off = at + s->bitmap_size + s->block_size;
    return 0;
}

/* Writes buf (NULL: zeros, leaving unallocated blocks alone) to [off, off + len). */
static int vpc_rw(struct blk *bs, uint64_t off, const uint8_t *buf, uint64_t len)
{
    struct vpc *s = bs->opaque;
    static const uint8_t zeros[65536];
    while (len) {
        uint64_t n = len, host = off, in = 0;
        if (s->dynamic) {
            uint32_t idx = (uint32_t)(off / s->block_size);
            in = off % s->block_size;
            n = s->block_size - in < len ? s->block_size - in : len;
            if (s->bat[idx] == VPC_UNALLOC && buf) {
                int r = vpc_alloc(bs, s, idx);
                if (r < 0)
                    return r;
            }
            host = s->bat[idx] == VPC_UNALLOC ? UINT64_MAX : (uint64_t)s->bat[idx] * 512 + s->bitmap_size + in;
        }
        for (uint64_t done = 0; host != UINT64_MAX && done < n;) {
            uint64_t k = buf ? n : (n - done < sizeof(zeros) ? n - done : sizeof(zeros));
            int r = bs->file->ops->pwrite(bs->file, buf ? buf : zeros, k, host + done);
            if (r < 0)
                return r;
            done += k;
        }
        off += n, len -= n;
        if (buf)
            buf += n;
    }
    return 0;
}

int vpc_write(struct blk *bs, uint64_t off, const void *buf, size_t len)
{
    return vpc_rw(bs, off, buf, len);
}

int vpc_write_zeroes(struct blk *bs, uint64_t off, uint64_t len)
{
    return vpc_rw(bs, off, NULL, len);
}
