/* A test rig for the IDE controller (unit tests and fuzz-ide): a memory-backed disk and CD, guest
 * RAM for DMA, and the port accesses a driver makes. Header-only: each user includes it once. */
#ifndef VMON_HW_IDE_IDE_RIG_H
#define VMON_HW_IDE_IDE_RIG_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/ide/ide.h"
#include "hw/ide/piix.h"

struct rig_disk {
    uint8_t *data;
    size_t size;
    int fail;                          /* non-zero: every access fails with -EIO */
    int flushes;
};

static int rig_read(void *o, uint64_t off, void *buf, size_t len)
{
    struct rig_disk *d = o;
    if (d->fail || off > d->size || len > d->size - off)
        return -EIO;
    memcpy(buf, d->data + off, len);
    return 0;
}

static int rig_write(void *o, uint64_t off, const void *buf, size_t len)
{
    struct rig_disk *d = o;
    if (d->fail || off > d->size || len > d->size - off)
        return -EIO;
    memcpy(d->data + off, buf, len);
    return 0;
}

static int rig_flush(void *o)
{
    struct rig_disk *d = o;
    d->flushes++;
    return d->fail ? -EIO : 0;
}

static const struct ide_media_ops rig_ops = { rig_read, rig_write, rig_flush };

struct rig {
    struct guest_mem mem;
    struct ide_ctrl *c;
    struct rig_disk disk, cd;
    int irq[2];
};

static void rig_irq(void *o, int level)
{
    *(int *)o = level;
}

/* A 1 MiB RAM guest with a disk of disk_sectors 512-byte sectors at 0.0 and a CD of cd_sectors
 * 2048-byte sectors at 1.0 (either 0: absent), each filled with a pattern. */
static int rig_init(struct rig *r, size_t disk_sectors, size_t cd_sectors)
{
    memset(r, 0, sizeof(*r));
    if (guest_mem_init(&r->mem, 1u << 20) < 0)
        return -1;
    struct irq_line irq[2] = { { rig_irq, &r->irq[0] }, { rig_irq, &r->irq[1] } };
    if (!(r->c = ide_new(&r->mem, irq)))
        return -1;
    ide_piix_init(r->c);
    r->disk.size = disk_sectors * IDE_SECTOR;
    r->cd.size = cd_sectors * IDE_CD_SECTOR;
    r->disk.data = calloc(1, r->disk.size + 1);
    r->cd.data = calloc(1, r->cd.size + 1);
    for (size_t i = 0; i < r->disk.size; i++)
        r->disk.data[i] = (uint8_t)(i / IDE_SECTOR + i);
    for (size_t i = 0; i < r->cd.size; i++)
        r->cd.data[i] = (uint8_t)(i / IDE_CD_SECTOR * 3 + i);
    struct ide_media m = { .ops = &rig_ops, .opaque = &r->disk, .size = r->disk.size };
    if (disk_sectors && ide_attach(r->c, 0, 0, &m) < 0)
        return -1;
    m = (struct ide_media){ .ops = &rig_ops, .opaque = &r->cd, .size = r->cd.size, .cdrom = true,
                            .readonly = true };
    if (cd_sectors && ide_attach(r->c, 1, 0, &m) < 0)
        return -1;
    return 0;
}

static void rig_free(struct rig *r)
{
    ide_free(r->c);
    free(r->disk.data);
    free(r->cd.data);
    guest_mem_destroy(&r->mem);
}

/* Port accesses by ISA address, as a guest makes them. */
static uint32_t rig_in(struct rig *r, uint16_t port, unsigned size)
{
    if (port >= 0x1f0 && port < 0x1f8)
        return (uint32_t)ide_cmd0_ops.read(r->c, port - 0x1f0, size);
    if (port >= 0x170 && port < 0x178)
        return (uint32_t)ide_cmd1_ops.read(r->c, port - 0x170, size);
    if (port == 0x3f6)
        return (uint32_t)ide_ctl0_ops.read(r->c, 0, size);
    if (port == 0x376)
        return (uint32_t)ide_ctl1_ops.read(r->c, 0, size);
    return (uint32_t)ide_bm_ops.read(r->c, port & 15, size);   /* 0xc000 + n: BAR4 */
}

static void rig_out(struct rig *r, uint16_t port, uint32_t v, unsigned size)
{
    if (port >= 0x1f0 && port < 0x1f8)
        ide_cmd0_ops.write(r->c, port - 0x1f0, v, size);
    else if (port >= 0x170 && port < 0x178)
        ide_cmd1_ops.write(r->c, port - 0x170, v, size);
    else if (port == 0x3f6)
        ide_ctl0_ops.write(r->c, 0, v, size);
    else if (port == 0x376)
        ide_ctl1_ops.write(r->c, 0, v, size);
    else
        ide_bm_ops.write(r->c, port & 15, v, size);
}

#endif
