/*
 * Probing the image formats vmon cannot read, by the magic numbers their QEMU 7.2 drivers test
 * (block/qcow.c, qed.c, vmdk.c, vdi.c, vpc.c, vhdx.c, parallels.c, dmg.c, cloop.c, bochs.c,
 * crypto.c for LUKS 1), so that such an image is refused by name instead of being read as raw.
 */
#include <string.h>

#include "block/probe.h"
#include "util/bytes.h"

static int has(const uint8_t *buf, size_t len, size_t off, const char *magic, size_t n)
{
    return len >= off + n && !memcmp(buf + off, magic, n);
}

/* qcow version 1: qcow2's magic with version 1 (qcow.c, qcow_probe). */
static int probe_qcow(const uint8_t *b, size_t len)
{
    return has(b, len, 0, "QFI\xfb", 4) && len >= 8 && get_be32(b + 4) == 1;
}

/* VMDK: sparse extents ("KDMV", "COWD") or a text descriptor file (vmdk.c, vmdk_probe). */
static int probe_vmdk(const uint8_t *b, size_t len)
{
    return has(b, len, 0, "KDMV", 4) || has(b, len, 0, "COWD", 4) ||
           has(b, len, 0, "# Disk DescriptorFile", 21);
}

/* Parallels: either signature and header version 2 (parallels.c, parallels_probe). */
static int probe_parallels(const uint8_t *b, size_t len)
{
    return (has(b, len, 0, "WithoutFreeSpace", 16) || has(b, len, 0, "WithouFreSpacExt", 16)) &&
           len >= 20 && get_le32(b + 16) == 2;
}

/* Bochs: magic, type "Redolog", subtype "Growing", version 1 or 2 (bochs.c, bochs_probe). */
static int probe_bochs(const uint8_t *b, size_t len)
{
    if (len < 68 || !has(b, len, 0, "Bochs Virtual HD Image", 23) || !has(b, len, 32, "Redolog", 8) ||
        !has(b, len, 48, "Growing", 8))
        return 0;
    return get_le32(b + 64) == 0x20000 || get_le32(b + 64) == 0x10000;
}

static int probe_cloop(const uint8_t *b, size_t len)
{
    static const char magic[] = "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n";
    return has(b, len, 0, magic, sizeof(magic) - 1);
}

/* LUKS version 1, the one QEMU 7.2's crypto driver probes (crypto/block-luks.c). */
static int probe_luks(const uint8_t *b, size_t len)
{
    return has(b, len, 0, "LUKS\xba\xbe", 6) && len >= 8 && b[6] == 0 && b[7] == 1;
}

static int probe_dmg(const char *filename)
{
    size_t n = filename ? strlen(filename) : 0;
    return n > 4 && !strcmp(filename + n - 4, ".dmg");
}

const char *blk_probe_foreign(const uint8_t *b, size_t len, const char *filename, int *score)
{
    *score = 100;
    if (probe_qcow(b, len))
        return "qcow";
    if (has(b, len, 0, "QED\0", 4))
        return "qed";
    if (probe_vmdk(b, len))
        return "vmdk";
    if (len >= 0x44 && get_le32(b + 0x40) == 0xbeda107f)
        return "vdi";
    if (has(b, len, 0, "conectix", 8))
        return "vpc";
    if (has(b, len, 0, "vhdxfile", 8))
        return "vhdx";
    if (probe_parallels(b, len))
        return "parallels";
    if (probe_bochs(b, len))
        return "bochs";
    if (probe_cloop(b, len))
        return "cloop";
    if (probe_luks(b, len))
        return "luks";
    *score = 2;
    if (probe_dmg(filename))
        return "dmg";
    *score = 0;
    return NULL;
}
