/* The board's IDE controller (hw/ide/): the PIIX3's function 1 at 00:01.1 on IRQ 14 and 15, its
 * drives opened through the block layer (machine/pc-drive.c: any format, backing chains, image
 * locks, snapshot=on, and QEMU's guard on the sector 0 of a probed raw image). A live migration hands
 * the images over as virtio-blk's are (machine/pc-migrate.c): the destination opens them read-only and
 * shared until the stream is in, the source flushes and closes them before its END; a drive with no
 * image meanwhile fails every access (-EIO), which no guest sees (its vCPUs are stopped). */
#include "machine/pc-ide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/ide/piix.h"
#include "machine/pc-drive.h"

struct pc_ide_drive {
    struct blk *bs;
};

struct pc_ide {
    struct ide_ctrl *ctrl;
    struct pc_ide_drive d[VM_MAX_IDE];
};

static int media_read(void *o, uint64_t off, void *buf, size_t len)
{
    struct pc_ide_drive *d = o;
    return d->bs ? blk_pread(d->bs, off, buf, len) : -EIO;
}

static int media_write(void *o, uint64_t off, const void *buf, size_t len)
{
    struct pc_ide_drive *d = o;
    return d->bs ? blk_pwrite(d->bs, off, buf, len) : -EIO;
}

static int media_flush(void *o)
{
    struct pc_ide_drive *d = o;
    return d->bs ? blk_flush(d->bs) : -EIO;
}

static const struct ide_media_ops media_ops = { media_read, media_write, media_flush };
static const struct ide_media_ops empty_ops = { NULL, NULL, NULL };

bool pc_ide_has_media(const struct pc_ide *p)
{
    for (int i = 0; i < VM_MAX_IDE; i++)
        if (p->d[i].bs)
            return true;
    return false;
}

struct blk *pc_ide_image(struct pc_ide *p, int i)
{
    return i >= 0 && i < VM_MAX_IDE ? p->d[i].bs : NULL;
}

struct ide_ctrl *pc_ide_ctrl(struct pc_ide *p)
{
    return p->ctrl;
}

/* The drive as the block layer opens it: a CD-ROM read-only. */
static struct vm_drive as_opened(const struct vm_drive *dr)
{
    struct vm_drive ro = *dr;
    ro.readonly = dr->readonly || dr->cdrom;
    return ro;
}

static int attach(struct pc_ide *p, int i, const struct vm_drive *dr, bool incoming, char *err, size_t errlen)
{
    struct ide_media m = { .ops = &empty_ops, .cdrom = dr->cdrom, .readonly = dr->cdrom };
    if (dr->file[0]) {
        struct vm_drive ro = as_opened(dr);
        char berr[BLK_ERR_LEN] = "";
        struct blk *bs = incoming ? pc_drive_open_incoming(&ro, berr) : pc_drive_open(&ro, berr);
        if (!bs) {
            snprintf(err, errlen, "drive %s: %s", dr->file, berr[0] ? berr : strerror(errno));
            return -EINVAL;
        }
        p->d[i].bs = bs;
        m = (struct ide_media){ .ops = &media_ops, .opaque = &p->d[i], .size = bs->size,
                                .cdrom = dr->cdrom, .readonly = ro.readonly };
    }
    return ide_attach(p->ctrl, (unsigned)i / 2, (unsigned)i % 2, &m);
}

struct pc_ide *pc_ide_new(struct vm *vm, struct pci_host *pci, const struct irq_line irq[2],
                          uint32_t io_base, char *err, size_t errlen)
{
    struct pc_ide *p = calloc(1, sizeof(*p));
    if (!p || !(p->ctrl = ide_new(&vm->mem, irq))) {
        free(p);
        snprintf(err, errlen, "creating the IDE controller: %s", strerror(ENOMEM));
        return NULL;
    }
    ide_piix_init(p->ctrl);
    for (int i = 0; i < VM_MAX_IDE; i++)
        if (vm->cfg.ide[i].attached && attach(p, i, &vm->cfg.ide[i], vm->cfg.incoming, err, errlen) < 0) {
            pc_ide_free(p);
            return NULL;
        }
    /* BAR4 where firmware would put it; the guest enables its decoding */
    pci_cfg_write(&p->ctrl->pci, PCI_BAR0 + 4 * 4, io_base, 4);
    int r = pci_host_plug_fn(pci, PCI_SLOT_PIIX3, 1, &p->ctrl->pci);
    if (r == 0)
        r = ide_map_legacy(p->ctrl, &vm->pio);
    if (r < 0) {
        snprintf(err, errlen, "mapping the IDE controller: %s", strerror(-r));
        pc_ide_free(p);
        return NULL;
    }
    return p;
}

/* give: flush and close every image (the first failed flush in err). */
static int give(struct pc_ide *p, const struct vm *vm, char *err, size_t errlen)
{
    int r = 0;
    for (int i = 0; i < VM_MAX_IDE; i++) {
        struct blk *bs = p->d[i].bs;
        p->d[i].bs = NULL;
        if (bs && (bs->flags & BLK_O_RDWR) && blk_flush(bs) < 0 && r == 0) {
            snprintf(err, errlen, "drive %s: flush failed", vm->cfg.ide[i].file);
            r = -EIO;
        }
        if (bs)
            blk_close(bs);
    }
    return r;
}

/* take: open every image for real that is not yet (closed by give, or read-only and shared). */
static int take(struct pc_ide *p, const struct vm *vm, char *err, size_t errlen)
{
    for (int i = 0; i < VM_MAX_IDE; i++) {
        const struct vm_drive *dr = &vm->cfg.ide[i];
        if (!dr->attached || !dr->file[0] || (p->d[i].bs && (p->d[i].bs->flags & BLK_O_RDWR)))
            continue;
        struct vm_drive ro = as_opened(dr);
        char berr[BLK_ERR_LEN] = "";
        struct blk *bs = pc_drive_open(&ro, berr);
        if (!bs) {
            snprintf(err, errlen, "drive %s: %s", dr->file, berr);
            return -EIO;
        }
        if (p->d[i].bs)
            blk_close(p->d[i].bs);
        p->d[i].bs = bs;
    }
    return 0;
}

int pc_ide_handover(struct pc_ide *p, const struct vm *vm, bool giving, char *err, size_t errlen)
{
    if (!p)
        return 0;
    pthread_mutex_lock(&p->ctrl->lock);        /* no command runs meanwhile */
    int r = giving ? give(p, vm, err, errlen) : take(p, vm, err, errlen);
    pthread_mutex_unlock(&p->ctrl->lock);
    return r;
}

void pc_ide_reset(struct pc_ide *p)
{
    if (p)
        ide_reset(p->ctrl);
}

void pc_ide_free(struct pc_ide *p)
{
    if (!p)
        return;
    ide_free(p->ctrl);
    for (int i = 0; i < VM_MAX_IDE; i++)
        if (p->d[i].bs)
            blk_close(p->d[i].bs);
    free(p);
}
